/*
 * crlgen: publishing a CA's revocations as a CRL, from the store.
 *
 * crl.h encodes a CRL from a stream of entries; this module feeds it the
 * store's revocations, allocates the cRLNumber, records the CRL and an
 * audit row in one transaction, and writes the files.
 *
 * Files, under <state>/ca/ (slug as pki_state_slug):
 *   <slug>.crl  <slug>.crl.pem              the latest full CRL
 *   <slug>-delta.crl  <slug>-delta.crl.pem  the latest delta CRL
 */
#ifndef PKI_CRLGEN_H
#define PKI_CRLGEN_H

#include "pki.h"
#include "state.h"

/* Defaults for nextUpdate - thisUpdate. */
#define PKI_CRLGEN_FULL_VALIDITY (7 * 86400)
#define PKI_CRLGEN_DELTA_VALIDITY (86400)

struct pki_crlgen_opts {
	int delta;              /* a delta CRL on the latest full CRL */
	int64_t now;            /* thisUpdate; 0: the state's clock */
	int64_t validity;       /* seconds to nextUpdate; 0: spork.toml's
				   [crl] next_update / delta_next_update,
				   else the defaults above */
};

struct pki_crlgen_result {
	int64_t crl_number;
	int64_t base_crl_number; /* delta only */
	int64_t entries;
	int64_t this_update, next_update;
	char *idp_url;           /* IssuingDistributionPoint, or NULL
				    (always NULL: a CA's CRLs are not
				    sharded, see pki_crlgen_generate) */
	char *der_path;          /* owned */
	char *pem_path;          /* owned */
	char *url;               /* where it is published: the CA's first
				    crl_urls (delta: delta_crl_urls)
				    entry, or NULL; owned */
};
void pki_crlgen_result_clear(struct pki_crlgen_result *r);

/*
 * Generate, sign, record and publish a CRL for CA ca_name of the state
 * directory (opened for CLI or online use).  The CA's key is unsealed
 * through the state's key store (an offline CA's passphrase is asked;
 * a state opened online-only refuses an offline CA with PKI_E_DENIED).
 * A CA's CRL covers every certificate it issued, so neither a full CRL
 * nor a delta carries an IssuingDistributionPoint (a delta has its
 * base's scope, RFC 5280 5.2.4); a full CRL names the CA's first
 * delta_crl_urls entry in freshestCRL.  Entries revoked for reason
 * unspecified carry no reasonCode (RFC 5280 5.3.1).  A delta
 * needs a full CRL first (PKI_E_NOTFOUND says so).  Files are written
 * only after the CRL is durable in the store.
 */
int pki_crlgen_generate(struct pki_state *state, const char *ca_name,
			const struct pki_crlgen_opts *opts,
			struct pki_crlgen_result *res,
			struct pki_error *err) PKI_WUR;

/* Paths of a CA's published CRL files (caller frees). */
char *pki_crlgen_path(const struct pki_state *state, const char *ca_name,
		      int delta, int pem);

#endif
