#ifndef PKI_POLICY_H
#define PKI_POLICY_H
#include "pki.h"
#endif
