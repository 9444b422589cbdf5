/*
 * store-write: the store's writes, transactions and opening, internal to
 * libpki (not installed; store.h is the public, read-only part).  The
 * modules that change a state directory (state, enroll, crlgen,
 * hierarchy, audit) include this header; the CLI and the handlers reach
 * these writes only through them.
 */
#ifndef PKI_STORE_WRITE_H
#define PKI_STORE_WRITE_H

#include <spork/profile.h>
#include <spork/store.h>

/* How pki_store_open opens. */
enum pki_store_open_mode {
	PKI_STORE_EXISTING = 0, /* read-write; the file must exist */
	PKI_STORE_CREATE = 1,   /* read-write; created when missing */
	PKI_STORE_READONLY = 2, /* read only; the file must exist */
	PKI_STORE_OPEN__MAX
};

/* Open (and with PKI_STORE_CREATE, create) the database at path and
 * bring the schema up to date.  Free with pki_store_close.
 * A new database file is created with mode 0600.  A database whose
 * schema is newer than this build knows is refused (PKI_E_UNSUPPORTED);
 * a file that is not a spork database is refused (PKI_E_DB); a missing
 * file is PKI_E_NOTFOUND unless created.
 *
 * PKI_STORE_READONLY writes nothing, so that a state directory on a
 * write-protected medium can be inspected: SQLite reads it through its
 * -wal and -shm files when they exist or can be made, else the database
 * file alone is opened immutable, which is only done when there is no
 * write-ahead log with content to miss (else PKI_E_IO, saying so).  A
 * schema older than this build's is PKI_E_UNSUPPORTED (it would need
 * migrating).  Every write on such a store fails with PKI_E_DB. */
int pki_store_open(const char *path, enum pki_store_open_mode mode,
		   struct pki_store **out, struct pki_error *err) PKI_WUR;
void pki_store_close(struct pki_store *st);

/* BEGIN IMMEDIATE (waits up to the busy timeout for other writers);
 * PKI_E_INVALID if a transaction is already open on st. */
int pki_store_begin(struct pki_store *st, struct pki_error *err) PKI_WUR;
int pki_store_commit(struct pki_store *st, struct pki_error *err) PKI_WUR;
void pki_store_rollback(struct pki_store *st);

/* Insert; fills r->id.  PKI_E_EXISTS for a duplicate name.
 * When r->cert_der is not empty the CA's certificate is also recorded in
 * the certificates table (profile "root-ca" or "sub-ca", ca_id = r->id,
 * issuer: the parent, the CA itself for a root, none (external) for a
 * CA without parent that is not a root); do not insert it again with
 * pki_store_cert_insert.  r->serial is rewritten to canonical form and
 * r->created_at is set (the store's clock) when 0.  PKI_E_EXISTS also when the
 * serial is already used by the issuer. */
int pki_store_ca_insert(struct pki_store *st, struct pki_ca_record *r,
			struct pki_error *err) PKI_WUR;

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
 * actor NULL means the state's actor (pki_state_actor); object NULL
 * means "".  A detail
 * that is not a JSON object is refused (PKI_E_INVALID).  The hash
 * encoding is in audit.c (pki__audit_hash); audit.h verifies the chain.
 */
int pki_store_audit(struct pki_store *st, const char *actor,
		    const char *action, const char *object,
		    const char *detail_json, struct pki_error *err) PKI_WUR;

/*
 * Record that action on object was refused, when why->code says it was
 * by policy or authentication (PKI_E_DENIED, PKI_E_AUTH; other codes are
 * not refusals and are ignored): a row in the refusals table (audit.h)
 * with the time, the actor (NULL: the state's), the uid, the error and
 * its message.  Call it after the refused operation rolled back.  It
 * writes in a transaction of its own and never fails the caller: the
 * return (PKI_E_DB when the row could not be written) is advisory.
 */
int pki_store_refusal(struct pki_store *st, const char *actor,
		      const char *action, const char *object,
		      const struct pki_error *why);

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

/* ------------------------------------------------------------------ */
/* Revocations                                                          */

/*
 * Revoke certificate cert_id: reason 0..10 except 7 (unused) and 8
 * (removeFromCRL, a delta-CRL-only code); revoked_at 0 means now (the store's clock);
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

/* ------------------------------------------------------------------ */
/* Checks before signing (store-check.c)                                */

/*
 * Before a certificate is signed, cheaply: the tables issuance trusts
 * in full (CAs, revocations, the schema) are read page by page (PRAGMA
 * quick_check of those tables), and the last audit row must be the one
 * the head records, with a hash that holds.  The cost grows with the
 * number of revocations, not of certificates.  PKI_E_DB naming the
 * damage, PKI_E_AUTH for a tampered log tip.
 */
int pki_store_check_issue(struct pki_store *st, struct pki_error *err) PKI_WUR;

/*
 * Before a CRL is signed: every table the CRL depends on (all but the
 * archive of earlier CRLs) read page by page, and the audit tip as
 * above.  Linear in the size of those tables.  Call it outside the
 * CRL's transaction (it would hold the write lock).
 */
int pki_store_check_crl_pages(struct pki_store *st,
			      struct pki_error *err) PKI_WUR;

/*
 * Inside the CRL's transaction: the number of current revocations of CA
 * ca_id, counted from the revocations table, must equal what its
 * revocation events add up to (revokes less lifted holds), each counted
 * without an index.  *revoked gets the count (what a full CRL must
 * carry).  PKI_E_AUTH naming both counts when they differ.
 */
int pki_store_check_crl_counts(struct pki_store *st, int64_t ca_id,
			       int64_t *revoked, struct pki_error *err) PKI_WUR;

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


/*
 * Who acts and what time it is, as the state directory's owner set them
 * (state.c): the actor goes into audit rows and into a certificate's
 * requester when none is given, with control characters replaced by
 * '?'; NULL or "" is "unknown".  now 0 is the system clock.  A store
 * opened on its own acts as "unknown" on the system clock.
 */
void pki__store_set_actor(struct pki_store *st, const char *actor);
const char *pki__store_actor(const struct pki_store *st);
void pki__store_set_clock(struct pki_store *st, int64_t now);
/* The real uid written next to the actor: getuid() of the process that
 * opened the store.  The library takes it itself rather than from its
 * caller, so that the actor (a name anyone may claim) always comes with
 * who really ran the process; set_uid is for tests. */
void pki__store_set_uid(struct pki_store *st, int64_t uid);
int64_t pki__store_uid(const struct pki_store *st);
int64_t pki__store_now(const struct pki_store *st);

/* ------------------------------------------------------------------ */
/* OCSP (store-ocsp.c): delegated signers and pre-signed responses      */

/* A CA's delegated OCSP signer.  key_uri owned; clear with
 * pki_store_ocsp_signer_clear. */
struct pki_store_ocsp_signer {
	int64_t ca_id;
	int64_t cert_id;         /* its row in certificates */
	char *key_uri;           /* sealed under online.kek */
	int64_t created_at;
};
void pki_store_ocsp_signer_clear(struct pki_store_ocsp_signer *r);

/* The signer of CA ca_id; PKI_E_NOTFOUND (no message) when it has none. */
int pki_store_ocsp_signer_get(struct pki_store *st, int64_t ca_id,
			      struct pki_store_ocsp_signer *out,
			      struct pki_error *err) PKI_WUR;
/* Make r the signer of r->ca_id (replacing the one before); created_at
 * 0 means now.  Call it in the transaction that records its audit row. */
int pki_store_ocsp_signer_set(struct pki_store *st,
			      const struct pki_store_ocsp_signer *r,
			      struct pki_error *err) PKI_WUR;
/* The key URIs of every signer, appended to *uris. */
int pki_store_ocsp_signer_keys(struct pki_store *st, struct pki_strlist *uris,
			       struct pki_error *err) PKI_WUR;

/* A pre-signed response.  Owned fields; clear with
 * pki_store_ocsp_response_clear. */
struct pki_store_ocsp_response {
	int64_t ca_id;
	char *serial;            /* canonical hex */
	int status;              /* enum pki_ocsp_status */
	int64_t revoked_at;      /* revoked: as signed */
	int reason;
	int64_t this_update, next_update;
	gnutls_datum_t request;  /* the minimal request it answers (DER) */
	gnutls_datum_t der;      /* the OCSPResponse */
};
void pki_store_ocsp_response_clear(struct pki_store_ocsp_response *r);

/* Store r, replacing the response for the same CA and serial. */
int pki_store_ocsp_response_put(struct pki_store *st,
				const struct pki_store_ocsp_response *r,
				struct pki_error *err) PKI_WUR;
/* The response for serial (canonical hex) of ca_id; PKI_E_NOTFOUND (no
 * message) when there is none. */
int pki_store_ocsp_response_get(struct pki_store *st, int64_t ca_id,
				const char *serial,
				struct pki_store_ocsp_response *out,
				struct pki_error *err) PKI_WUR;
/* Remove the responses of ca_id signed before t or no longer valid at t;
 * *removed (may be NULL) is how many. */
int pki_store_ocsp_response_prune(struct pki_store *st, int64_t ca_id,
				  int64_t t, size_t *removed,
				  struct pki_error *err) PKI_WUR;
/* How many responses ca_id has, the oldest thisUpdate and the earliest
 * nextUpdate among them (0 when there are none). */
int pki_store_ocsp_response_summary(struct pki_store *st, int64_t ca_id,
				    size_t *count, int64_t *oldest_this,
				    int64_t *earliest_next,
				    struct pki_error *err) PKI_WUR;

/* store-ca-roles.c: set the default CA of profile; record that old_id
 * was succeeded by new_id (PKI_E_EXISTS when it was already); set a
 * CA's CRL lifetimes.  Inside the caller's transaction. */
int pki_store_ca_default_set(struct pki_store *st, const char *profile,
			     int64_t ca_id, struct pki_error *err) PKI_WUR;
int pki_store_ca_rotation_add(struct pki_store *st, int64_t old_id,
			      int64_t new_id, struct pki_error *err) PKI_WUR;
int pki_store_ca_crl_settings_set(struct pki_store *st, int64_t ca_id,
				  const struct pki_ca_crl_settings *v,
				  struct pki_error *err) PKI_WUR;

#endif
