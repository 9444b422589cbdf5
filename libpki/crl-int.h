/*
 * crl-int: building and signing a CRL (crlgen.c feeds it from the
 * store); internal to libpki.  Reading CRLs is public (crl.h).
 */
#ifndef PKI_CRL_INT_H
#define PKI_CRL_INT_H

#include <gnutls/abstract.h>
#include <spork/crl.h>

/*
 * What goes into a CRL besides its entries.
 *
 * this_update, next_update: seconds since the epoch; next_update must be
 *   later than this_update.  Years 1950..2049 are written as UTCTime,
 *   others as GeneralizedTime (RFC 5280 5.1.2.4).
 * crl_number: the cRLNumber (RFC 5280 5.2.3); the caller keeps it
 *   monotonically increasing per issuer and scope.
 * is_delta, base_crl_number: a delta CRL (critical deltaCRLIndicator
 *   naming the base CRL's number, RFC 5280 5.2.4).
 * idp_url: the CRL's own location, written as a critical
 *   IssuingDistributionPoint with this URI as fullName; NULL for none.
 *   idp_only_user_certs / idp_only_ca_certs set onlyContainsUserCerts /
 *   onlyContainsCACerts in it (at most one of them).
 * freshest_url: in a full CRL, a non-critical freshestCRL extension
 *   naming where its delta CRLs are published; NULL for none.
 */
struct pki_crl_params {
	int64_t this_update;
	int64_t next_update;
	uint64_t crl_number;
	int is_delta;
	uint64_t base_crl_number;
	const char *idp_url;
	int idp_only_user_certs;
	int idp_only_ca_certs;
	const char *freshest_url;
};

/*
 * Build and sign a CRL.
 *
 * next(ctx, e) is called until it returns 0: it fills *e with the next
 * entry and returns 1, returns 0 at the end, or a negative value to abort
 * the build, which then fails with the pki_rc -ret (PKI_E_FAIL when -ret
 * is not one); a caller that needs the detail keeps it in ctx.  Entries
 * are written in the order given.
 *
 * The issuer name is the issuer certificate's subject DER, copied byte for
 * byte; the authorityKeyIdentifier is its subjectKeyIdentifier (or, if it
 * has none, the SHA-1 key identifier of its public key).  key must be the
 * private key of issuer (checked); the signature algorithm follows the
 * key: ECDSA with SHA-256/384/512 for P-256/384/521, RSA PKCS#1 v1.5 with
 * SHA-256, Ed25519, Ed448.
 *
 * On success *der holds the DER CertificateList; the caller frees
 * der->data with gnutls_free().  Returns PKI_OK or a pki_rc with err
 * filled; *der is left empty on failure.
 */
int pki_crl_build(const struct pki_crl_params *p,
		  int (*next)(void *ctx, struct pki_crl_entry *e), void *ctx,
		  gnutls_x509_crt_t issuer, gnutls_privkey_t key,
		  gnutls_datum_t *der, struct pki_error *err) PKI_WUR;

#endif
