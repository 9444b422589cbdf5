#ifndef PKI_CRL_H
#define PKI_CRL_H
#include "pki.h"
#endif
