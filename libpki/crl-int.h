/*
 * crl-int: building and signing a CRL (crlgen.c feeds it from the
 * store); internal to libpki.  Reading CRLs is public (crl.h).  The end of
 * this file holds what crl.c (reading) and crl-build.c (building) share.
 */
#ifndef PKI_CRL_INT_H
#define PKI_CRL_INT_H

#include <gnutls/abstract.h>
#include <libtasn1.h>
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

/* ---- shared by crl.c and crl-build.c only */

#define OID_AKI "2.5.29.35"
#define OID_CRL_NUMBER "2.5.29.20"
#define OID_DELTA "2.5.29.27"
#define OID_IDP "2.5.29.28"
#define OID_FRESHEST "2.5.29.46"
#define OID_REASON "2.5.29.21"
#define OID_INVALIDITY "2.5.29.24"

/* Room for one SEQUENCE header: tag and a length of up to 2^32-1. */
#define HDR_MAX 6
/* Longest URL accepted in IDP and freshestCRL. */
#define URL_MAX 2048

/* Fill err for the libtasn1 call named call that returned rc about what;
 * returns PKI_E_NOMEM or PKI_E_FAIL. */
int pki__crl_asn1_fail(struct pki_error *err, int rc, const char *call,
		       const char *what);

/* Load the PKIX-SPORK definitions (pkix.asn) into *defs, NULL on failure;
 * free with pki__crl_node_free(). */
int pki__crl_defs_load(asn1_node *defs, struct pki_error *err) PKI_WUR;

/* A new element *node of PKIX-SPORK.type (NULL on failure). */
int pki__crl_node_new(asn1_node defs, const char *type, asn1_node *node,
		      struct pki_error *err) PKI_WUR;

/* Delete *node if set and set it to NULL. */
void pki__crl_node_free(asn1_node *node);

/* Write a SEQUENCE header for content of len bytes ending at end (with at
 * least HDR_MAX bytes free before it); returns its size. */
size_t pki__crl_seq_hdr_before(unsigned char *end, size_t len);

#endif
