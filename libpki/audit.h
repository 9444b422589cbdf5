#ifndef PKI_AUDIT_H
#define PKI_AUDIT_H
#include "pki.h"
#endif
