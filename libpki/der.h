/*
 * der: the libtasn1 writing helpers shared by what libpki encodes itself
 * (CRLs, OCSP responses); internal.
 */
#ifndef PKI_DER_H
#define PKI_DER_H

#include <stdint.h>
#include <gnutls/gnutls.h>
#include <libtasn1.h>
#include <spork/pki.h>

/* asn1_write_value of len bytes (0: a NUL-terminated string, or the
 * named value of an ENUMERATED/CHOICE) with the failing field named. */
int pki__der_put(asn1_node node, const char *name, const void *value,
		 size_t len, struct pki_error *err) PKI_WUR;

/* The DER of node in a new datum (caller gnutls_free()s out->data). */
int pki__der_encode(asn1_node node, const char *what, gnutls_datum_t *out,
		    struct pki_error *err) PKI_WUR;

/*
 * Format t as UTCTime "YYMMDDHHMMSSZ" when its year is 1950..2049 and
 * utc_allowed, else as GeneralizedTime "YYYYMMDDHHMMSSZ" (RFC 5280
 * 4.1.2.5); *utc says which.  Returns -1 if t is outside years 1..9999.
 */
int pki__der_time(int64_t t, int utc_allowed, char buf[16], int *utc);

#endif
