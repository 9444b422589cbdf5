/* tls-int: what the rest of libpki needs from tls.c; internal. */
#ifndef PKI_TLS_INT_H
#define PKI_TLS_INT_H

#include <stddef.h>
#include <gnutls/abstract.h>
#include <spork/state.h>

/* The key id (hex, size >= 65) of the sealed key <state>/tls/server.pem
 * names, so that a build does not prune it.  PKI_E_NOTFOUND when there
 * is no such file. */
int pki__tls_key_id(struct pki_state *s, char *id, size_t size);

/* A PKCS#10 request for key with no subject (the enroll path sets the
 * names), self-signed, DER into *der (gnutls_free); for keys spork
 * makes for its own services (the handlers' TLS key, OCSP signers). */
int pki__tls_csr_for(gnutls_privkey_t key, gnutls_datum_t *der,
		     struct pki_error *err) PKI_WUR;

#endif
