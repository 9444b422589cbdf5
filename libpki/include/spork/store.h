/*
 * store: the SQLite database of a state directory.  Nothing else in spork
 * speaks SQL.  This header is the public, read-only part: the records and
 * the queries a caller may run on the store of an open state directory
 * (pki_state_store).  Opening, transactions and every write are internal
 * to libpki (store-write.h), so that all changes go through the modules
 * that check and audit them (enroll, crlgen, hierarchy).
 *
 * Connection settings: WAL, foreign_keys=ON, busy_timeout 10 s,
 * synchronous=FULL (every commit that records a CA, certificate,
 * revocation or CRL is durable when pki_store_commit returns),
 * cell_size_check=ON.  Every commit is checkpointed into the database
 * file at once (PASSIVE) and the last connection to close empties the
 * WAL, so the database file alone holds the CA whenever no transaction
 * is open.  Writers
 * use pki_store_begin (BEGIN IMMEDIATE) ... pki_store_commit; a failed
 * step is followed by pki_store_rollback.  The schema is a list of
 * numbered migrations applied on open; schema_version records them.
 *
 * Serials are stored as upper-case hex without leading 00 octets (as
 * "openssl x509 -serial" prints them) and are unique per issuer.
 *
 * Every write function below may be called inside the caller's
 * transaction (its rows then commit or roll back with it) or outside
 * one (it then runs in a transaction of its own).  Functions that read
 * and then write (revoke, unrevoke, the audit append, CRL numbers) are
 * atomic either way.  Timestamps are seconds since the epoch taken from
 * the store's clock (the state's, pki_state_now) unless the caller
 * passes one.
 *
 * Implementation: store.c (connection, schema, transactions) and one
 * store-<area>.c per area (ca, cert, revoke, crl, audit, check: the
 * checks, cross-checks and backup), sharing the internal store-int.h.
 */
#ifndef PKI_STORE_H
#define PKI_STORE_H

#include <gnutls/gnutls.h>
#include "pki.h"
#include "audit.h"

struct pki_store;


/* The schema version after migrations. */
int pki_store_schema_version(struct pki_store *st);

/* The newest schema version this build knows. */
int pki_store_schema_latest(void);

/* ------------------------------------------------------------------ */
/* Check and backup                                                     */

struct pki_store_check_result {
	int64_t problems;            /* every problem reported */
	int64_t damaged;             /* of which PKI_AUDIT_DAMAGED */
	struct pki_audit_result audit; /* the chain walk (audit.h) */
};

/*
 * Check the whole database: SQLite's integrity_check (every page, every
 * index against its table) and foreign_key_check, then, when the file is
 * whole, the audit chain (pki_audit_verify) and the data against the
 * log (pki_audit_crosscheck).  Problems go to cb (may be NULL) as
 * struct pki_audit_problem, the damage as PKI_AUDIT_DAMAGED; *res (may
 * be NULL) gets the counts.  Returns PKI_OK; PKI_E_DB when the file is
 * damaged; PKI_E_AUTH when the log or the data were tampered with (err
 * names the first problem); another code when it could not be read.
 * Linear in the size of the database.
 */
int pki_store_check(struct pki_store *st, pki_audit_problem_fn cb, void *ctx,
		    struct pki_store_check_result *res,
		    struct pki_error *err) PKI_WUR;

/*
 * Copy the database into the new file path with SQLite's online backup
 * API: one consistent snapshot, taken while other processes go on
 * reading and writing.  The copy is a single file (no -wal beside it)
 * of mode 0600, written next to path, checked by opening it and running
 * pki_store_check on it (*res, may be NULL), synced, and only then
 * given its name.  PKI_E_EXISTS when path exists (nothing is
 * overwritten); a copy that does not verify is removed and its problem
 * returned (PKI_E_DB, PKI_E_AUTH).  Restoring is copying the file back
 * to spork.db while no process has the state directory open.
 */
int pki_store_backup(struct pki_store *st, const char *path,
		     struct pki_store_check_result *res,
		     struct pki_error *err) PKI_WUR;

enum pki_ca_status {
	PKI_CA_ACTIVE,    /* certificate present, usable */
	PKI_CA_PENDING,   /* subordinate: CSR written, waiting for the
			     external CA's certificate */
	PKI_CA_REVOKED,
	PKI_CA__MAX
};

/* One CA.  Strings are owned by the record; free with pki_ca_record_clear. */
struct pki_ca_record {
	int64_t id;
	char *name;              /* unique */
	int64_t parent_id;       /* 0: root or signed by an external CA */
	char *role;              /* "root", "policy", "issuing" */
	char *mode;              /* "local", "subordinate", "import" */
	char *algorithm;         /* "ecdsa-p384" ... */
	char *key_uri;           /* "lockbox:<id>" or "pkcs11:..." */
	int key_online;          /* sealed under online.kek */
	char *subject;           /* RFC 4514 DN string */
	char *serial;            /* hex, "" while pending */
	int64_t not_before, not_after;
	gnutls_datum_t cert_der; /* empty while pending */
	gnutls_datum_t csr_der;  /* subordinate mode only */
	char *spec_hash;         /* hex SHA-256 of the canonical definition */
	char *config_json;       /* URLs and settings inherited by issuance:
				    {"crl_urls":[..],"ocsp_urls":[..],
				     "ca_issuers_urls":[..],
				     "freshest_crl_urls":[..], ...} */
	enum pki_ca_status status;
	int64_t created_at;
};
void pki_ca_record_clear(struct pki_ca_record *r);

/* PKI_E_NOTFOUND when absent. */
int pki_store_ca_get(struct pki_store *st, const char *name,
		     struct pki_ca_record *out, struct pki_error *err) PKI_WUR;
int pki_store_ca_get_id(struct pki_store *st, int64_t id,
			struct pki_ca_record *out, struct pki_error *err) PKI_WUR;
/* All CAs in creation order; free with pki_ca_records_free. */
int pki_store_ca_list(struct pki_store *st, struct pki_ca_record **out,
		      size_t *n, struct pki_error *err) PKI_WUR;
void pki_ca_records_free(struct pki_ca_record *v, size_t n);

/*
 * A CA by the name a user gives: its name exactly, else ignoring case,
 * else its file slug (pki_state_slug: "spork-root-ca").  PKI_E_NOTFOUND
 * naming every CA when none matches, PKI_E_INVALID (PKI_HINT_NAME_CA)
 * when a looser match fits several.  Free *out with pki_ca_record_clear.
 */
int pki_store_ca_find(struct pki_store *st, const char *name,
		      struct pki_ca_record *out, struct pki_error *err) PKI_WUR;

/* *held = 1 when CA ca is revoked for certificateHold (its own
 * certificate row), else 0. */
int pki_store_ca_on_hold(struct pki_store *st, const struct pki_ca_record *ca,
			 int *held, struct pki_error *err) PKI_WUR;

/* The issuing CA a profile defaults to when no CA is named (hierarchy
 * default_for, moved along by a rotation). */
struct pki_ca_default {
	char *profile;           /* "tls-server" ... */
	int64_t ca_id;
};
/* Every default, by profile; free with pki_ca_defaults_free. */
int pki_store_ca_defaults(struct pki_store *st, struct pki_ca_default **out,
			  size_t *n, struct pki_error *err) PKI_WUR;
void pki_ca_defaults_free(struct pki_ca_default *v, size_t n);

/* CA old_id was succeeded by new_id (pki_hier_rotate). */
struct pki_ca_rotation {
	int64_t old_id, new_id, rotated_at;
};
/* Every rotation, oldest first; caller frees *out with free(). */
int pki_store_ca_rotations(struct pki_store *st,
			   struct pki_ca_rotation **out, size_t *n,
			   struct pki_error *err) PKI_WUR;

/* A CA's CRL lifetimes from hierarchy.toml, in seconds; 0: not set
 * (crlgen.h says what applies then). */
struct pki_ca_crl_settings {
	int64_t next_update, delta_next_update;
};
/* All zero when the CA has none recorded. */
int pki_store_ca_crl_settings(struct pki_store *st, int64_t ca_id,
			      struct pki_ca_crl_settings *out,
			      struct pki_error *err) PKI_WUR;


/* ------------------------------------------------------------------ */
/* Serials                                                              */

/* Longest serial accepted, in octets (RFC 5280 allows 20; certificates
 * from other CAs are sometimes longer). */
#define PKI_STORE_SERIAL_MAX 64

/*
 * Canonical form of a hex serial: upper case, ':' separators and leading
 * zero octets removed, an even number of digits ("0a:1B" -> "0A1B",
 * "00A1" -> "A1", "1" -> "01", "0" -> "00").  out must hold
 * 2 * PKI_STORE_SERIAL_MAX + 1 bytes.  PKI_E_INVALID (err names the
 * input) for anything but hex digits and colons, or a longer serial.
 */
int pki_store_serial_canon(const char *in, char *out, size_t outlen,
			   struct pki_error *err) PKI_WUR;

/* ------------------------------------------------------------------ */
/* Certificates: every certificate any CA issued, CA certificates too.  */

enum pki_cert_status {
	PKI_CERT_ANY = 0,    /* filter only: no status filter */
	PKI_CERT_VALID,      /* not revoked, not_after >= now */
	PKI_CERT_REVOKED,    /* a revocation is recorded (also when expired) */
	PKI_CERT_EXPIRED,    /* not revoked, not_after < now */
	PKI_CERT__MAX
};

/* "valid", "revoked", "expired" ("any" for PKI_CERT_ANY). */
const char *pki_cert_status_name(enum pki_cert_status s);

/*
 * One certificate.  Strings and der are owned by the record (der->data
 * from gnutls_malloc); free with pki_cert_record_clear.  The fields
 * after "revocation" are filled by get/list and ignored by insert.
 */
struct pki_cert_record {
	int64_t id;
	int64_t issuer_ca_id;    /* 0: issued by an external CA (only for
				    a CA's own certificate) */
	char *serial;            /* canonical hex (see above) */
	char *subject;           /* RFC 4514 DN string */
	char *sans;              /* subjectAltNames, one "type:value" per
				    line ("dns:a.example\nip:10.0.0.1"),
				    "" or NULL for none */
	char *profile;           /* "tls-server", ..., "root-ca", "sub-ca" */
	int64_t not_before, not_after; /* not_after: last valid second */
	gnutls_datum_t der;
	char *sha256;            /* lower-case hex SHA-256 of der; computed
				    by insert */
	int64_t renewal_of;      /* id of the certificate this renews, 0 */
	char *source;            /* "cli", later "acme", "est", "scep" ...;
				    NULL on insert means "cli" */
	char *requester;         /* who asked; NULL on insert means
				    the state's actor */
	int64_t ca_id;           /* the CA whose own certificate this is, 0 */
	int64_t created_at;      /* set by insert when 0 */

	/* revocation (filled by get/list) */
	char *issuer_name;       /* issuing CA's name, NULL when external */
	int revoked;
	int64_t revoked_at;
	int reason;              /* RFC 5280 CRLReason 0..10 (not 7, 8) */
	int64_t invalidity_date; /* 0: none */
	int64_t revocation_recorded_at;
	int64_t first_crl_number; /* first CRL (full or delta) that carried
				     the revocation; 0: none yet */

	/* renewals (filled by get/list) */
	int64_t renewed_by;      /* id of the newest certificate recorded as
				    its renewal (renewal_of), 0: none */
	int64_t superseded_by;   /* id of the newest of those that is valid
				    (neither revoked nor expired) at the
				    filter's now, or the store's clock for
				    get; 0: none */
};
void pki_cert_record_clear(struct pki_cert_record *r);
void pki_cert_records_free(struct pki_cert_record *v, size_t n);

/* The status of r at time now. */
enum pki_cert_status pki_cert_record_status(const struct pki_cert_record *r,
					    int64_t now);


/*
 * Find a certificate by serial (any spelling pki_store_serial_canon
 * accepts).  issuer_ca_id 0 searches every CA: PKI_E_CONFLICT (naming
 * the CAs) when several CAs issued that serial.  PKI_E_NOTFOUND when
 * absent, PKI_E_INVALID for a malformed serial.  *out is filled (der
 * included); clear it with pki_cert_record_clear.
 */
int pki_store_cert_get(struct pki_store *st, int64_t issuer_ca_id,
		       const char *serial, struct pki_cert_record *out,
		       struct pki_error *err) PKI_WUR;
/* By row id; PKI_E_NOTFOUND when absent. */
int pki_store_cert_get_id(struct pki_store *st, int64_t id,
			  struct pki_cert_record *out,
			  struct pki_error *err) PKI_WUR;
/* By SHA-256 fingerprint of the DER (hex, any case, ':' allowed);
 * PKI_E_NOTFOUND when absent. */
int pki_store_cert_get_sha256(struct pki_store *st, const char *sha256_hex,
			      struct pki_cert_record *out,
			      struct pki_error *err) PKI_WUR;

/* Filters for listing; zero/NULL fields do not filter. */
struct pki_cert_filter {
	int64_t issuer_ca_id;
	enum pki_cert_status status;
	int64_t now;             /* for status and expiring_within;
				    0: the store's clock */
	int64_t expiring_within; /* seconds: not revoked and
				    not_after <= now + N, the expired ones
				    included (as openssl x509 -checkend);
				    combine with PKI_CERT_VALID to keep
				    only those not expired yet */
	int expiring;            /* apply expiring_within even when it is 0
				    ("expired or expiring now"); a
				    positive expiring_within applies
				    anyway */
	int exclude_superseded;  /* leave out certificates that have a
				    valid renewal (superseded_by != 0) */
	const char *name_glob;   /* fnmatch(3) glob, case-insensitive,
				    against the subject DN, each of its
				    attribute values, and each SAN (with
				    and without its "type:" prefix) */
	const char *profile;
	size_t limit;            /* at most this many (the oldest first) */
	int with_der;            /* also load der (else der is empty) */
};

/* Called once per certificate, in issue (id) order; r is valid only
 * during the call.  Return 0 to go on; any other value stops the
 * listing and is returned by pki_store_cert_foreach. */
typedef int (*pki_cert_fn)(void *ctx, const struct pki_cert_record *r);

/* Stream the certificates matching f (f may be NULL: all). */
int pki_store_cert_foreach(struct pki_store *st,
			   const struct pki_cert_filter *f, pki_cert_fn cb,
			   void *ctx, struct pki_error *err) PKI_WUR;
/* The same into an array; free with pki_cert_records_free. */
int pki_store_cert_list(struct pki_store *st, const struct pki_cert_filter *f,
			struct pki_cert_record **out, size_t *n,
			struct pki_error *err) PKI_WUR;

/* ------------------------------------------------------------------ */
/* CRLs                                                                 */

/* One CRL as recorded.  der->data from gnutls_malloc; free the record
 * with pki_crl_record_clear. */
struct pki_crl_record {
	int64_t id;
	int64_t ca_id;
	int64_t crl_number;
	int is_delta;
	int64_t base_crl_number;  /* delta: the full CRL it builds on; 0 */
	int64_t this_update, next_update;
	int64_t entries;          /* number of entries it carries */
	gnutls_datum_t der;
	int64_t created_at;       /* set by insert */
	unsigned shard;           /* the CRL shard it covers (1..the CA's
				     crl_shards), 0: the CA's whole CRL */
};
void pki_crl_record_clear(struct pki_crl_record *r);


enum pki_store_crl_kind {
	PKI_STORE_CRL_ANY = 0,
	PKI_STORE_CRL_FULL,
	PKI_STORE_CRL_DELTA
};

/* The CRL of ca_id with the highest number of that kind, among the
 * CA's whole CRLs and their deltas (not its shard CRLs); PKI_E_NOTFOUND
 * when none was recorded. */
int pki_store_crl_latest(struct pki_store *st, int64_t ca_id,
			 enum pki_store_crl_kind kind,
			 struct pki_crl_record *out,
			 struct pki_error *err) PKI_WUR;
/* The latest CRL of shard (1..) of ca_id; PKI_E_NOTFOUND when none was
 * recorded. */
int pki_store_crl_latest_shard(struct pki_store *st, int64_t ca_id,
			       unsigned shard, struct pki_crl_record *out,
			       struct pki_error *err) PKI_WUR;
/* A CRL by number; PKI_E_NOTFOUND when absent. */
int pki_store_crl_get(struct pki_store *st, int64_t ca_id, int64_t crl_number,
		      struct pki_crl_record *out, struct pki_error *err) PKI_WUR;

#endif
