/*
 * audit: the append-only, hash-chained audit log.
 *
 * Rows are written by pki_store_audit (store.h) in the same transaction
 * as the change they describe.  Each row holds
 *     hash = SHA-256(encoding of prev_hash, id, ts, actor, action,
 *                    object, detail)
 * where the encoding is unambiguous (a version tag, then every field
 * length-prefixed; see pki__audit_hash) and prev_hash is the previous
 * row's hash (64 zeros for the first row).  The store also keeps the id
 * and hash of the last row written (the "head"), updated in the same
 * transaction.
 *
 * What verification can and cannot show: a changed field breaks the
 * row's own hash; a removed row leaves a gap in the ids and a broken
 * link; a row added by hand does not chain; rows cut from the end leave
 * the head pointing past the last row.  Someone with write access to the
 * database can recompute every hash after a change, head included: the
 * chain then verifies.  It catches careless or partial tampering, not a
 * determined attacker with the database in hand; for that, ship the head
 * hash elsewhere (logs, a ticket) and compare.
 */
#ifndef PKI_AUDIT_H
#define PKI_AUDIT_H

#include "pki.h"

struct pki_store;

/* One audit row.  From pki_audit_list the strings are owned (free with
 * pki_audit_row_clear / pki_audit_rows_free); inside a store callback
 * they are borrowed. */
struct pki_audit_row {
	int64_t id;
	int64_t ts;
	char *actor;             /* who said they acted ($SPORK_ACTOR ...) */
	int64_t uid;             /* the real uid of the process that wrote
				    the row; -1: not recorded (rows written
				    before spork recorded it) */
	char *action;
	char *object;
	char *detail;            /* JSON object text, or NULL; for a
				    refusal {"error":..,"message":..} */
	char *prev_hash;         /* 64 lower-case hex digits ("" for a
				    refusal: refusals are not chained) */
	char *hash;
};
void pki_audit_row_clear(struct pki_audit_row *r);
void pki_audit_rows_free(struct pki_audit_row *v, size_t n);

/* Filters for pki_audit_list; zero/NULL fields do not filter. */
struct pki_audit_filter {
	int64_t since;           /* ts >= since */
	int64_t until;           /* ts <= until */
	const char *action_prefix; /* action starts with this ("cert." or
				      "cert.revoke") */
	const char *object;      /* object equals this */
	size_t limit;            /* the newest `limit` matching rows */
	int refusals;            /* list the refusals instead (below) */
};

/*
 * Refusals: what libpki refused to do (a name the domain policy denies,
 * a wrong passphrase, a sealed key or data found tampered with, a key
 * the purpose may not use) is recorded in a table of its own, outside
 * the hash chain, with when, the actor and uid, the action that was
 * refused ("cert.issue", "crl.generate" ...), its object and the error.
 * pki_audit_list with f->refusals lists them as rows whose detail is
 * {"error":"denied"|"auth","message":"..."} and whose hashes are "".
 */

/*
 * The matching rows in ascending id order (with a limit: the newest
 * ones, still ascending).  *out is an array of *n rows; free with
 * pki_audit_rows_free.
 */
int pki_audit_list(struct pki_store *st, const struct pki_audit_filter *f,
		   struct pki_audit_row **out, size_t *n,
		   struct pki_error *err) PKI_WUR;

enum pki_audit_problem_kind {
	PKI_AUDIT_ALTERED,    /* the row's hash does not match its fields */
	PKI_AUDIT_INSERTED,   /* the row is not part of the chain */
	PKI_AUDIT_DELETED,    /* rows id..last_id are missing */
	PKI_AUDIT_RELINKED,   /* the row does not chain to the one before,
				 and no id is missing: the row before was
				 rewritten with a new hash, or rows were
				 renumbered */
	PKI_AUDIT_TRUNCATED,  /* the last rows id..last_id are missing (the
				 head says there were more) */
	PKI_AUDIT_HEAD,       /* the head record is missing or disagrees */
	PKI_AUDIT_UNLOGGED,   /* a CA, certificate or revocation in the
				 tables has no audit row (id 0) */
	PKI_AUDIT_ORPHAN,     /* audit row id describes a CA, certificate,
				 revocation or CRL the tables do not hold */
	PKI_AUDIT_DAMAGED,    /* the database file is damaged (pages,
				 indexes, references; pki_store_check) */
	PKI_AUDIT__MAX
};

/* "altered", "inserted", "deleted", "relinked", "truncated", "head",
 * "unlogged", "orphan", "damaged". */
const char *pki_audit_problem_name(enum pki_audit_problem_kind k);

struct pki_audit_problem {
	enum pki_audit_problem_kind kind;
	int64_t id;              /* the row concerned; first missing id */
	int64_t last_id;         /* DELETED, TRUNCATED: last missing id;
				    otherwise equal to id */
	char msg[256];           /* a sentence naming the row(s) */
};

typedef void (*pki_audit_problem_fn)(void *ctx,
				     const struct pki_audit_problem *p);

struct pki_audit_result {
	int64_t rows;            /* rows read */
	int64_t problems;        /* problems reported */
	int64_t last_id;         /* id of the last row (0: none) */
	char head_hash[65];      /* hash of the last row in the chain */
};

/*
 * Walk the whole chain (constant memory) and report every problem found
 * through cb (may be NULL), in id order.  *res (may be NULL) gets the
 * counts.  Returns PKI_OK when the chain is intact, PKI_E_AUTH when
 * problems were found (err says how many and names the first), or
 * another code when the database could not be read.
 */
int pki_audit_verify(struct pki_store *st, pki_audit_problem_fn cb, void *ctx,
		     struct pki_audit_result *res,
		     struct pki_error *err) PKI_WUR;

/*
 * Cross-check the data against the log: every CA, every certificate a
 * CA of this store issued and every revocation (and lifted hold) has its
 * audit row, and every audit row about a CA, certificate, revocation or
 * CRL names one the tables hold, with the revocation events agreeing
 * with both.  This is what shows a row deleted or added with sqlite3
 * in the tables themselves (a revocation removed makes a revoked
 * certificate valid again) that the chain walk cannot see.  Problems
 * (PKI_AUDIT_UNLOGGED, PKI_AUDIT_ORPHAN) go to cb as for
 * pki_audit_verify; *problems (may be NULL) gets their count.  Returns
 * PKI_OK, PKI_E_AUTH (err names the first problem), or another code
 * when the database could not be read.
 */
int pki_audit_crosscheck(struct pki_store *st, pki_audit_problem_fn cb,
			 void *ctx, int64_t *problems,
			 struct pki_error *err) PKI_WUR;

/* First row's prev_hash. */
#define PKI_AUDIT_ZERO_HASH \
	"0000000000000000000000000000000000000000000000000000000000000000"


#endif
