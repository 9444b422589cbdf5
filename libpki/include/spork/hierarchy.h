/*
 * hierarchy: hierarchy.toml -> plan -> build.
 *
 * validate and preview are the plan without the build.  A plan is a list
 * of CA nodes, parents before children.  Every problem found while
 * loading is collected (file, line, column, message) so the user sees them
 * all at once.
 *
 * Modes:
 *   local        [root] with [[policy_cas]] / [[policy_cas.issuing_cas]]
 *                (3-tier) or [[issuing_cas]] (2-tier) below it;
 *   subordinate  [external] names a CA outside spork; the CAs directly
 *                under it are signed by that CA: build writes their CSRs
 *                and stops, pki_hier_import_cert finishes them;
 *   import       [import] brings an existing CA certificate and key from a
 *                PKCS#12 file; CAs may be defined below it.
 */
#ifndef PKI_HIERARCHY_H
#define PKI_HIERARCHY_H

#include <gnutls/gnutls.h>
#include "pki.h"
#include "diag.h"
#include "state.h"
#include "key.h"
#include "profile.h"
#include "store.h"

#define PKI_HIER_NONE ((size_t)-1)

enum pki_hier_mode {
	PKI_HIER_LOCAL,
	PKI_HIER_SUBORDINATE,
	PKI_HIER_IMPORT,
	PKI_HIER__MAX
};

struct pki_hier_node {
	char *name;                 /* unique; `name` or the common_name */
	const char *role;           /* "root", "policy", "issuing" */
	size_t parent;              /* index, or PKI_HIER_NONE */
	int external_parent;        /* signed by the [external] CA */
	int imported;               /* the [import] CA itself */
	unsigned line, column;      /* where the CA's table starts */
	enum pki_key_alg alg;
	int online;                 /* key sealed under online.kek */
	char *pkcs11_uri;           /* key in a token instead of the lockbox */
	int64_t validity_seconds;   /* from validity_years / validity_days */
	unsigned validity_years, validity_days;
	struct pki_cert_template tpl;  /* subject, constraints, policies */
	/* This CA's own services, put into the certificates it issues
	 * (and its CRL's IssuingDistributionPoint). */
	struct pki_strlist crl_urls, delta_crl_urls, ocsp_urls, ca_issuers_urls;
	unsigned crl_shards;        /* crl_shards: end-entity certificates'
				       CRL shards (2..256), 0 for none */
	/* Not part of the definition (a change is no drift): recorded
	 * on every build. */
	struct pki_strlist default_for; /* profiles it is the default for */
	int64_t crl_next_update;    /* seconds; 0: crlgen.h's default */
	int64_t delta_crl_next_update;
	char *spec_json;            /* canonical definition (no dates) */
	char spec_hash[65];         /* hex SHA-256 of spec_json */
};

struct pki_hier_plan {
	char *path;                 /* the hierarchy file */
	char *basedir;              /* its directory: relative paths start here */
	enum pki_hier_mode mode;
	char *external_name;        /* subordinate */
	char *external_cert;        /* subordinate: external CA certificate path */
	char *import_pkcs12;        /* import: PKCS#12 path */
	size_t n;
	struct pki_hier_node *nodes;
};

/*
 * Load and validate a hierarchy file.  Every problem goes into diags
 * (caller clears it); returns PKI_E_INVALID if there was any, PKI_E_PARSE
 * for TOML syntax errors (also reported as one diag), PKI_OK otherwise.
 * *plan is set only on success; free with pki_hier_free.  now is the
 * time the plan is checked at (a CA that would already have expired ...);
 * 0: the system clock.
 */
int pki_hier_load(const char *path, int64_t now, struct pki_hier_plan **plan,
		  struct pki_diags *diags, struct pki_error *err) PKI_WUR;
void pki_hier_free(struct pki_hier_plan *plan);

enum pki_hier_state {
	PKI_HIER_NEW,        /* not built yet */
	PKI_HIER_UNCHANGED,  /* built, same definition */
	PKI_HIER_CHANGED,    /* built with another definition: refused */
	PKI_HIER_PENDING,    /* CSR written, waiting for external certificate */
	PKI_HIER_STATE__MAX
};
const char *pki_hier_state_name(enum pki_hier_state s);

/* What the state directory holds for each node. */
struct pki_hier_status {
	enum pki_hier_state state;
	char *why;                  /* CHANGED: which fields differ */
	struct pki_ca_record rec;   /* when built or pending */
	int64_t not_before, not_after; /* as built, or as planned */
};

/*
 * Compare the plan with the store of state (NULL: nothing was built
 * yet, everything is new), as of now.
 * Also checks what depends on time and on existing state: a new child
 * that would outlive its existing parent, or a path length the existing
 * parent cannot hold, goes into diags.  *out is an array of plan->n
 * entries; free with pki_hier_status_free.
 */
int pki_hier_diff(const struct pki_hier_plan *plan, struct pki_state *state,
		  int64_t now, struct pki_hier_status **out,
		  struct pki_diags *diags, struct pki_error *err) PKI_WUR;
void pki_hier_status_free(struct pki_hier_status *s, size_t n);

enum pki_hier_action {
	PKI_HIER_DID_NOTHING,
	PKI_HIER_CREATED,
	PKI_HIER_CSR_WRITTEN,
	PKI_HIER_WAITING,           /* parent pending: not built */
	PKI_HIER_IMPORTED
};

struct pki_hier_result {
	enum pki_hier_action action;
	char *cert_path;            /* <state>/ca/<slug>.pem */
	char *chain_path;           /* <state>/ca/<slug>-chain.pem */
	char *csr_path;             /* subordinate */
	char *forced;               /* imported despite this ("; "-joined
				       findings, PKI_HIER_FORCE), or NULL */
};
void pki_hier_results_free(struct pki_hier_result *r, size_t n);

/*
 * Flags of pki_hier_build and pki_hier_import_cert.
 *
 * PKI_HIER_FORCE: accept a CA certificate spork did not make (the
 * [import] PKCS#12 file's, or the one the external CA issued) although
 * its basicConstraints extension is not critical or it expires after
 * its issuer (when the issuer's certificate is at hand: in the PKCS#12
 * file, or the [external] certificate file).  Without it such a
 * certificate is refused with PKI_E_INVALID and the hint PKI_HINT_FORCE;
 * with it, what was accepted is recorded in the audit row ("forced") and
 * returned to the caller to show.
 */
#define PKI_HIER_FORCE 0x1u

/*
 * Build what is new into the state directory (opened for CLI use, with
 * its clock): keys, certificates, store rows and audit rows (one
 * transaction per CA), PEM files under <state>/ca/.  Offline keys'
 * passphrases, and the password of an [import] PKCS#12 file (purpose
 * PKI_PASS_PKCS12_IN, label "PKCS#12 file <path>"), come from the
 * state's passphrase source.  Refuses with PKI_E_CONFLICT, before
 * creating anything, if any CA's definition changed.  flags:
 * PKI_HIER_FORCE or 0.  *results has plan->n entries (free with
 * pki_hier_results_free).
 */
int pki_hier_build(const struct pki_hier_plan *plan, struct pki_state *state,
		   unsigned flags, struct pki_hier_result **results,
		   struct pki_error *err) PKI_WUR;

/*
 * Subordinate mode, second step: import the certificate the external CA
 * issued for the pending CA ca_name.  Checks that it certifies the key of
 * the request, the requested subject, is a CA certificate, and, when the
 * plan names the external CA certificate, that it verifies against it.
 * flags: PKI_HIER_FORCE or 0; *forced (when forced is not NULL; caller
 * frees) says what PKI_HIER_FORCE let through, NULL when nothing.
 */
int pki_hier_import_cert(const struct pki_hier_plan *plan,
			 struct pki_state *state, const char *ca_name,
			 const gnutls_datum_t *cert, unsigned flags,
			 char **forced, struct pki_error *err) PKI_WUR;

/* What pki_hier_rotate did; strings owned, pki_hier_rotation_clear. */
struct pki_hier_rotation {
	char *old_name;
	char *new_name;
	char *cert_path;            /* <state>/ca/<slug>.pem of the successor */
	char *chain_path;
	char *defaults;             /* ", "-joined profiles it is now the
				       default for; "" when none */
};
void pki_hier_rotation_clear(struct pki_hier_rotation *r);

/*
 * Issuing CA rollover: a successor of the issuing CA ca_name (found as
 * pki_store_ca_find finds it) under the same parent, with the same
 * definition (algorithm, validity, subject but for the common name,
 * constraints, policies, key location), a new key, and its service
 * URLs with the old CA's file slug replaced by the new one's.  new_name
 * NULL: "<name> 2" (or one more than the number ending the name).  The
 * common name gets the same number (" 2", or "-2" after the first
 * label of a host-name-like one).  In the transaction that records it:
 * the rotation, the old CA's CRL lifetimes, and the old CA's profile
 * defaults (all profiles without a default when it had none) move to
 * the successor, with a "pki.rotate" audit row.  The old CA stays
 * active: it issues when named and publishes CRLs until it expires;
 * a later pki_hier_build moves the defaults of its default_for along
 * the rotation instead of back.  Refused: a CA that is not an active
 * issuing CA, one whose parent is outside the store (external,
 * imported top), a PKCS#11 key, one rotated before (PKI_E_EXISTS).
 * The parent's key is unsealed (an offline one asks the passphrase
 * source).  state opened for CLI use.
 */
int pki_hier_rotate(struct pki_state *state, const char *ca_name,
		    const char *new_name, struct pki_hier_rotation *out,
		    struct pki_error *err) PKI_WUR;

#endif
