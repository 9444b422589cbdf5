#ifndef PKI_ENROLL_H
#define PKI_ENROLL_H
#include "pki.h"
#endif
