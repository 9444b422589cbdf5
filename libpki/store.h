/*
 * store: the SQLite database of a state directory.  Nothing else in spork
 * speaks SQL.
 *
 * Connection settings: WAL, foreign_keys=ON, busy_timeout 10 s,
 * synchronous=FULL (every commit that records a CA, certificate,
 * revocation or CRL is durable when pki_store_commit returns).  Writers
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
 * pki_now() (SPORK_NOW) unless the caller passes one.
 *
 * Implementation: store.c (connection, schema, transactions) and one
 * store-<area>.c per area (ca, cert, revoke, crl, audit), sharing the
 * internal store-int.h.
 */
#ifndef PKI_STORE_H
#define PKI_STORE_H

#include <gnutls/gnutls.h>
#include "pki.h"

struct pki_store;

/* Open (and with create != 0, create) the database at path and bring the
 * schema up to date.  Free with pki_store_close.
 * A new database file is created with mode 0600.  A database whose
 * schema is newer than this build knows is refused (PKI_E_UNSUPPORTED);
 * a file that is not a spork database is refused (PKI_E_DB); a missing
 * file with create == 0 is PKI_E_NOTFOUND. */
int pki_store_open(const char *path, int create, struct pki_store **out,
		   struct pki_error *err) PKI_WUR;
void pki_store_close(struct pki_store *st);

/* BEGIN IMMEDIATE (waits up to the busy timeout for other writers);
 * PKI_E_INVALID if a transaction is already open on st. */
int pki_store_begin(struct pki_store *st, struct pki_error *err) PKI_WUR;
int pki_store_commit(struct pki_store *st, struct pki_error *err) PKI_WUR;
void pki_store_rollback(struct pki_store *st);

/* The schema version after migrations. */
int pki_store_schema_version(struct pki_store *st);

/* The newest schema version this build knows. */
int pki_store_schema_latest(void);

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

/* Insert; fills r->id.  PKI_E_EXISTS for a duplicate name.
 * When r->cert_der is not empty the CA's certificate is also recorded in
 * the certificates table (profile "root-ca" or "sub-ca", ca_id = r->id,
 * issuer: the parent, the CA itself for a root, none (external) for a
 * CA without parent that is not a root); do not insert it again with
 * pki_store_cert_insert.  r->serial is rewritten to canonical form and
 * r->created_at is set (pki_now()) when 0.  PKI_E_EXISTS also when the
 * serial is already used by the issuer. */
int pki_store_ca_insert(struct pki_store *st, struct pki_ca_record *r,
			struct pki_error *err) PKI_WUR;
/* PKI_E_NOTFOUND when absent. */
int pki_store_ca_get(struct pki_store *st, const char *name,
		     struct pki_ca_record *out, struct pki_error *err) PKI_WUR;
int pki_store_ca_get_id(struct pki_store *st, int64_t id,
			struct pki_ca_record *out, struct pki_error *err) PKI_WUR;
/* All CAs in creation order; free with pki_ca_records_free. */
int pki_store_ca_list(struct pki_store *st, struct pki_ca_record **out,
		      size_t *n, struct pki_error *err) PKI_WUR;
void pki_ca_records_free(struct pki_ca_record *v, size_t n);
/* Complete a pending CA with its certificate: sets cert_der, serial,
 * validity, status ACTIVE and parent_id (0 for external).
 * parent_id is left as inserted (0 for a subordinate CA, whose signer is
 * external).  Only a PENDING CA can be completed (else PKI_E_INVALID).
 * The certificate is also recorded in the certificates table, as for
 * pki_store_ca_insert. */
int pki_store_ca_set_cert(struct pki_store *st, int64_t id,
			  const gnutls_datum_t *cert_der, const char *serial,
			  int64_t not_before, int64_t not_after,
			  struct pki_error *err) PKI_WUR;

/*
 * Append an audit row inside the caller's transaction.  actor is who
 * (user name, "acme", ...), action a dotted verb ("pki.build.ca",
 * "cert.issue", "cert.revoke", "crl.generate"), object what it touched
 * (CA name, serial), detail a JSON object text (may be NULL).  Rows are
 * hash-chained: hash = SHA-256(prev_hash || canonical fields).
 * actor NULL means pki_store_actor(); object NULL means "".  A detail
 * that is not a JSON object is refused (PKI_E_INVALID).  The hash
 * encoding is in audit.c (pki__audit_hash); audit.h verifies the chain.
 */
int pki_store_audit(struct pki_store *st, const char *actor,
		    const char *action, const char *object,
		    const char *detail_json, struct pki_error *err) PKI_WUR;

/* Who is acting: $SPORK_ACTOR, else the login name, else "uid:<n>".
 * Returns a static buffer. */
const char *pki_store_actor(void);

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
				    pki_store_actor() */
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
};
void pki_cert_record_clear(struct pki_cert_record *r);
void pki_cert_records_free(struct pki_cert_record *v, size_t n);

/* The status of r at time now. */
enum pki_cert_status pki_cert_record_status(const struct pki_cert_record *r,
					    int64_t now);

/*
 * Record a certificate; fills r->id, r->sha256 and r->created_at and
 * rewrites r->serial to canonical form.  Required: der, serial, subject,
 * profile, not_before <= not_after, and issuer_ca_id (or ca_id for an
 * externally issued CA certificate).  Returns PKI_E_EXISTS when the
 * issuer already has that serial (serials are never reused: rows are
 * never deleted), PKI_E_NOTFOUND when issuer_ca_id, ca_id or renewal_of
 * names nothing.  Durable once the surrounding transaction commits.
 */
int pki_store_cert_insert(struct pki_store *st, struct pki_cert_record *r,
			  struct pki_error *err) PKI_WUR;

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
				    0: pki_now() */
	int64_t expiring_within; /* seconds: now <= not_after <= now + N
				    (combine with PKI_CERT_VALID to drop
				    revoked ones) */
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
/* Revocations                                                          */

/* RFC 5280 reason name ("keyCompromise", ...) or NULL.  (crl.h has the
 * same table as pki_crl_reason_name; this copy keeps store independent.) */
const char *pki_store_reason_name(int reason);

/*
 * Revoke certificate cert_id: reason 0..10 except 7 (unused) and 8
 * (removeFromCRL, a delta-CRL-only code); revoked_at 0 means pki_now();
 * invalidity_date 0 for none, else not after revoked_at.  Revoking a
 * CA's own certificate also marks that CA PKI_CA_REVOKED.
 * PKI_E_EXISTS when already revoked (the message says when and why),
 * PKI_E_NOTFOUND for an unknown id, PKI_E_INVALID for a bad reason or
 * a certificate issued by an external CA.
 */
int pki_store_cert_revoke(struct pki_store *st, int64_t cert_id, int reason,
			  int64_t revoked_at, int64_t invalidity_date,
			  struct pki_error *err) PKI_WUR;

/*
 * Lift a certificateHold(6): the revocation row goes, and a "release"
 * event stays so that a delta CRL can carry removeFromCRL.  PKI_E_INVALID
 * when the certificate is not revoked or revoked for another reason
 * (only a hold can be lifted), PKI_E_NOTFOUND for an unknown id.
 */
int pki_store_cert_unrevoke(struct pki_store *st, int64_t cert_id,
			    struct pki_error *err) PKI_WUR;

/* One CRL entry as the store yields it.  Pointers are borrowed until the
 * next call on the cursor. */
struct pki_revocation {
	const unsigned char *serial; /* big-endian magnitude, no leading 00 */
	size_t serial_len;
	const char *serial_hex;      /* canonical hex */
	int64_t revocation_time;     /* revoked_at; for remove_from_crl, when
					the hold was lifted */
	int reason;                  /* 0..10 except 7; 8 when
					remove_from_crl */
	int64_t invalidity_date;     /* 0: none */
	int remove_from_crl;         /* delta only: a hold that was lifted */
	int64_t cert_id;
};

struct pki_revocation_cursor;

/*
 * Open a cursor over the revocations of CA issuer_ca_id for a CRL, in
 * constant memory (one row at a time, however many there are).
 *  - base_crl_number 0: every current revocation (a full CRL).
 *  - base_crl_number > 0: what a delta CRL on top of that full CRL
 *    carries: the revocations that CRL did not, then removeFromCRL
 *    entries for holds it carried that were lifted since.  The base must
 *    be a recorded full CRL of this CA (PKI_E_NOTFOUND / PKI_E_INVALID).
 * Must be called inside pki_store_begin ... commit, the same
 * transaction that allocates the CRL number and records the CRL
 * (PKI_E_INVALID otherwise), so that what the CRL carries is exactly
 * what pki_store_crl_insert marks as carried.
 * Close with pki_store_revocations_close (before commit).
 */
int pki_store_revocations_open(struct pki_store *st, int64_t issuer_ca_id,
			       int64_t base_crl_number,
			       struct pki_revocation_cursor **out,
			       struct pki_error *err) PKI_WUR;
/* Fill *e and return 1; return 0 after the last entry; on error return
 * -rc (a negated enum pki_rc) with err filled.  (The same convention as
 * the next() callback of pki_crl_build.) */
int pki_store_revocations_next(struct pki_revocation_cursor *c,
			       struct pki_revocation *e,
			       struct pki_error *err) PKI_WUR;
void pki_store_revocations_close(struct pki_revocation_cursor *c);

/* The same as a callback: cb returns 0 to go on, any other value stops
 * the walk and is returned. */
typedef int (*pki_revocation_fn)(void *ctx, const struct pki_revocation *e);
int pki_store_revocations_foreach(struct pki_store *st, int64_t issuer_ca_id,
				  int64_t base_crl_number,
				  pki_revocation_fn cb, void *ctx,
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
};
void pki_crl_record_clear(struct pki_crl_record *r);

/*
 * Allocate the next cRLNumber of CA ca_id (1, 2, ...; full and delta
 * CRLs share the sequence).  Atomic; inside the caller's transaction the
 * number returns to the pool if that transaction rolls back, which is
 * safe only because a CRL file is written after commit.  Never returns
 * a number twice once committed.  PKI_E_NOTFOUND for an unknown CA.
 */
int pki_store_crl_next_number(struct pki_store *st, int64_t ca_id,
			      int64_t *number, struct pki_error *err) PKI_WUR;

/*
 * Record a CRL built from a revocation cursor (see there) in the same
 * transaction (PKI_E_INVALID outside one).  r->crl_number must have been
 * allocated by pki_store_crl_next_number and not recorded yet; a delta
 * needs base_crl_number naming a recorded full CRL with a smaller
 * number.  Every revocation the CRL carried is marked with it (this is
 * what first_crl_number reports and what later deltas start from).
 * Fills r->id and r->created_at.
 */
int pki_store_crl_insert(struct pki_store *st, struct pki_crl_record *r,
			 struct pki_error *err) PKI_WUR;

enum pki_store_crl_kind {
	PKI_STORE_CRL_ANY = 0,
	PKI_STORE_CRL_FULL,
	PKI_STORE_CRL_DELTA
};

/* The CRL of ca_id with the highest number of that kind; PKI_E_NOTFOUND
 * when none was recorded. */
int pki_store_crl_latest(struct pki_store *st, int64_t ca_id,
			 enum pki_store_crl_kind kind,
			 struct pki_crl_record *out,
			 struct pki_error *err) PKI_WUR;
/* A CRL by number; PKI_E_NOTFOUND when absent. */
int pki_store_crl_get(struct pki_store *st, int64_t ca_id, int64_t crl_number,
		      struct pki_crl_record *out, struct pki_error *err) PKI_WUR;

/* ------------------------------------------------------------------ */
/* Audit rows: internal to audit.c (see audit.h for the public API).    */

struct pki_audit_row;
struct pki_audit_filter;

/* The chain head: the id and hash of the last row written. */
struct pki__audit_head {
	int present;             /* 0: no row was ever written */
	int64_t last_id;
	char hash[65];
};

/* Fill *head, then call cb for every row in id order, all from one read
 * snapshot.  The row's strings are borrowed for the call.  cb returns 0
 * to go on. */
int pki__store_audit_chain(struct pki_store *st, struct pki__audit_head *head,
			   int (*cb)(void *ctx, const struct pki_audit_row *r),
			   void *ctx, struct pki_error *err) PKI_WUR;
/* Rows matching f (see audit.h), ascending id; strings borrowed. */
int pki__store_audit_select(struct pki_store *st,
			    const struct pki_audit_filter *f,
			    int (*cb)(void *ctx, const struct pki_audit_row *r),
			    void *ctx, struct pki_error *err) PKI_WUR;

#endif
