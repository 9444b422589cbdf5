/*
 * sign: choosing the signature algorithm for a CA key, shared by what
 * libpki signs with libtasn1 (CRLs, OCSP responses); internal.
 */
#ifndef PKI_SIGN_H
#define PKI_SIGN_H

#include <gnutls/gnutls.h>
#include <gnutls/abstract.h>
#include <gnutls/x509.h>
#include <libtasn1.h>
#include <spork/pki.h>

/* The signature algorithm a key calls for, with its OID and whether its
 * AlgorithmIdentifier carries NULL parameters (RSA) or none. */
struct pki__sigalg {
	gnutls_sign_algorithm_t sign;
	const char *oid;
	int null_params;
};

/*
 * Pick the algorithm for key (RSA with SHA-256, ECDSA with the curve's
 * hash, Ed25519, Ed448), and check that key is the one of signer's
 * certificate (PKI_E_INVALID otherwise).  PKI_E_UNSUPPORTED for other
 * key types.
 */
int pki__sigalg_pick(gnutls_privkey_t key, gnutls_x509_crt_t signer,
		     struct pki__sigalg *sa, struct pki_error *err) PKI_WUR;

/* Write sa as the AlgorithmIdentifier at name. */
int pki__sigalg_put(asn1_node node, const char *name,
		    const struct pki__sigalg *sa, struct pki_error *err) PKI_WUR;

#endif
