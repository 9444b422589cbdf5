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
 *   <slug>-<n>.crl  <slug>-<n>.crl.pem      the latest CRL of shard n
 *
 * CRL shards (a CA's crl_shards = N in hierarchy.toml): the end-entity
 * certificates the CA issues are split over N shards by serial number,
 * shard (serial mod N) + 1, and each names its shard's CRL in
 * cRLDistributionPoints: the CA's crl_urls entry with "-<n>" before
 * ".crl".  The CA still publishes its whole CRL, with every revoked
 * certificate and no IssuingDistributionPoint: it covers what names the
 * unsharded URL (the CA certificates it issues).  Shard n's CRL carries
 * the revoked certificates of shard n and a critical
 * IssuingDistributionPoint naming shard n's URL (RFC 5280 5.2.5), so a
 * relying party does not take it for a CRL of another shard.  Shards
 * have no delta CRLs (hierarchy.toml refuses delta_crl_urls with
 * crl_shards).  Whole and shard CRLs take their numbers from the CA's
 * one cRLNumber sequence: each scope's numbers increase (RFC 5280
 * 5.2.3), and no two CRLs of the CA share a number.
 */
#ifndef PKI_CRLGEN_H
#define PKI_CRLGEN_H

#include "pki.h"
#include "state.h"

/*
 * nextUpdate - thisUpdate, the first of: the caller's validity; the
 * CA's crl_next_update / delta_crl_next_update from hierarchy.toml
 * (pki_store_ca_crl_settings); for a CA whose key is offline (not
 * sealed under online.kek: lockbox offline, PKCS#11) the OFFLINE
 * defaults, so that a root's CRL outlives the months between
 * ceremonies; for an online CA spork.toml's [crl] next_update /
 * delta_next_update, else the defaults.
 */
#define PKI_CRLGEN_FULL_VALIDITY (7 * 86400)
#define PKI_CRLGEN_DELTA_VALIDITY (86400)
#define PKI_CRLGEN_OFFLINE_FULL_VALIDITY (26 * 7 * 86400)
#define PKI_CRLGEN_OFFLINE_DELTA_VALIDITY (30 * 86400)

struct pki_crlgen_opts {
	int delta;              /* a delta CRL on the latest full CRL */
	int64_t now;            /* thisUpdate; 0: the state's clock */
	int64_t validity;       /* seconds to nextUpdate; 0: as above */
	unsigned shard;         /* 1..the CA's crl_shards: that shard's
				   CRL (not with delta); 0: the whole CRL */
};

struct pki_crlgen_result {
	int64_t crl_number;
	int64_t base_crl_number; /* delta only */
	int64_t entries;
	int64_t this_update, next_update;
	char *idp_url;           /* IssuingDistributionPoint: a shard's
				    URL; NULL for the whole CRL and its
				    deltas; owned */
	char *der_path;          /* owned */
	char *pem_path;          /* owned */
	char *url;               /* where it is published: the CA's first
				    crl_urls (delta: delta_crl_urls)
				    entry, a shard's URL derived from it,
				    or NULL; owned */
	unsigned shard;          /* opts->shard */
	unsigned shards;         /* the CA's crl_shards: the shard CRLs it
				    publishes besides the whole CRL */
};
void pki_crlgen_result_clear(struct pki_crlgen_result *r);

/*
 * Generate, sign, record and publish a CRL for CA ca_name of the state
 * directory (opened for CLI or online use).  The CA's key is unsealed
 * through the state's key store (an offline CA's passphrase is asked;
 * a state opened online-only refuses an offline CA with PKI_E_DENIED).
 * A CA's whole CRL covers every certificate it issued, so neither it
 * nor a delta carries an IssuingDistributionPoint (a delta has its
 * base's scope, RFC 5280 5.2.4); a shard's CRL (opts->shard) names its
 * shard's URL in a critical one (see above); a full CRL names the CA's first
 * delta_crl_urls entry in freshestCRL.  Entries revoked for reason
 * unspecified carry no reasonCode (RFC 5280 5.3.1).  A delta
 * needs a full CRL first (PKI_E_NOTFOUND says so).  Files are written
 * only after the CRL is durable in the store.
 */
int pki_crlgen_generate(struct pki_state *state, const char *ca_name,
			const struct pki_crlgen_opts *opts,
			struct pki_crlgen_result *res,
			struct pki_error *err) PKI_WUR;

/*
 * Keeping every CA's CRLs current, unattended (a timer): pki_crlgen_all.
 *
 * A CRL is due when the CA has none yet, or when less than a quarter of
 * the latest one's validity (nextUpdate - thisUpdate) is left: a 7-day
 * CRL is renewed 42 hours before it expires, a 1-day delta 6 hours
 * before.  The margin grows with the period, so a run that failed or a
 * host that was down for up to a quarter of it still leaves relying
 * parties a valid CRL, and an hourly run signs about one CRL per CA per
 * three quarters of a period.  A CA whose configuration names
 * delta_crl_urls also keeps a delta current: it is due when missing,
 * when it builds on an older full CRL than the latest, or by the same
 * margin.
 */
#define PKI_CRLGEN_MARGIN_DIVISOR 4

/* What pki_crlgen_all did with one CRL of one CA. */
enum pki_crlgen_status {
	PKI_CRLGEN_GENERATED,   /* published: res */
	PKI_CRLGEN_FRESH,       /* not due until due_at */
	PKI_CRLGEN_OFFLINE,     /* due, but its key is offline and
				   offline keys were not asked for */
	PKI_CRLGEN_INACTIVE,    /* pending, revoked or expired: a CA that
				   publishes no CRL */
	PKI_CRLGEN_FAILED,      /* err says why */
	PKI_CRLGEN__MAX
};

/* Why a CRL was due (GENERATED, OFFLINE, FAILED). */
enum pki_crlgen_due {
	PKI_CRLGEN_DUE_NONE,     /* not due (FRESH, INACTIVE) */
	PKI_CRLGEN_DUE_MISSING,  /* the CA has no such CRL yet */
	PKI_CRLGEN_DUE_EXPIRING, /* within the margin of its nextUpdate,
				    or past it */
	PKI_CRLGEN_DUE_NEW_BASE, /* a delta on an older full CRL */
	PKI_CRLGEN_DUE_FORCED,   /* opts->force */
	PKI_CRLGEN_DUE__MAX
};

/* One line of pki_crlgen_all's report; every pointer is borrowed for
 * the duration of the callback. */
struct pki_crlgen_report {
	const char *ca_name;
	int delta;                        /* about the delta CRL */
	unsigned shard;                   /* about this shard's CRL (1..);
					     0: the whole CRL or its delta */
	enum pki_crlgen_status status;
	enum pki_crlgen_due due;
	const char *inactive;             /* INACTIVE: "pending", "revoked"
					     or "expired" */
	int64_t crl_number;               /* the current CRL (FRESH,
					     OFFLINE; 0: none) */
	int64_t next_update, due_at;      /* of the current CRL, likewise */
	const struct pki_crlgen_result *res; /* GENERATED */
	const struct pki_error *err;      /* FAILED */
};

typedef void (*pki_crlgen_report_fn)(void *ctx,
				     const struct pki_crlgen_report *r);

struct pki_crlgen_all_opts {
	int force;      /* publish every active CA's CRLs, due or not */
	int offline;    /* also sign with offline keys: the state must be
			   opened for CLI use, and its passphrase source
			   answers (a key store opened online-only refuses
			   them, which is then a failure) */
	int64_t now;    /* 0: the state's clock */
};

/*
 * Publish the CRLs that are due for every CA of the state, in creation
 * order, and call report once per CA (and once more for the delta of a
 * CA that names delta_crl_urls, and once per shard of a CA with
 * crl_shards, unless the CA is inactive or its full CRL failed or needs
 * an offline key; the shards follow in order, and stop at the first
 * that failed).  A CA that fails does not stop
 * the others: *failed counts them.  A CA whose key is offline is
 * reported as OFFLINE, not failed, unless opts->offline.  Returns
 * PKI_OK when every CA was visited, else the error that stopped the run
 * (the store could not list the CAs).
 */
int pki_crlgen_all(struct pki_state *state,
		   const struct pki_crlgen_all_opts *opts,
		   pki_crlgen_report_fn report, void *ctx,
		   unsigned *failed, struct pki_error *err) PKI_WUR;

/* Paths of a CA's published CRL files (caller frees). */
char *pki_crlgen_path(const struct pki_state *state, const char *ca_name,
		      int delta, int pem);
/* Paths of shard's CRL files (shard 0: the whole CRL's; caller frees). */
char *pki_crlgen_shard_path(const struct pki_state *state,
			    const char *ca_name, unsigned shard, int pem);

#endif
