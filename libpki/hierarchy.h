#ifndef PKI_HIERARCHY_H
#define PKI_HIERARCHY_H
#include "pki.h"
#endif
