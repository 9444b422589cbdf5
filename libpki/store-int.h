/*
 * store-int: what the store files share; libpki/store*.c include it and
 * nothing else does.  Names start with pki__store_ and are not exported.
 *
 * store.c is the connection: opening, the schema migrations,
 * transactions and the mapping of SQLite errors.  Each area has a file:
 * store-ca.c, store-cert.c (and serials), store-revoke.c, store-crl.c,
 * store-audit.c, store-check.c (the checks before signing, the
 * cross-checks of the audit log, pki_store_check and the backup).  A new
 * area (ACME accounts and orders, EST, SCEP, rate
 * limits ...) is a new store-<area>.c built on this header: its tables
 * are a new entry appended to the migrations in store.c, its API goes
 * into store.h.  Only the store files call sqlite3_*.
 */
#ifndef PKI_STORE_INT_H
#define PKI_STORE_INT_H

#include <sqlite3.h>

#include "store-write.h"

/* Room for a canonical serial (pki_store_serial_canon) and its NUL. */
#define PKI__STORE_SERIAL_HEX_MAX (2 * PKI_STORE_SERIAL_MAX + 1)

/* An open database (opaque in store.h). */
struct pki_store {
	sqlite3 *db;
	char *path;              /* for messages */
	int version;             /* schema version after migrations */
	int readonly;            /* PKI_STORE_READONLY: never written */
	int immutable;           /* read-only and opened immutable (no WAL
				    file could be used, none had content) */
	char actor[256];         /* who acts, for audit rows (no controls) */
	int64_t uid;             /* the real uid of the acting process */
	int64_t now;             /* a fixed clock; 0: the system clock */
};


/*
 * Fill err from the last error of st's connection, what naming the step
 * that failed, and return the code: PKI_E_DB naming the database ("locked
 * by another process" after the busy timeout), PKI_E_NOMEM when SQLite
 * ran out of memory.  Call it right after the failing sqlite3_ call.
 */
int pki__store_db_err(struct pki_store *st, struct pki_error *err,
		      const char *what) PKI_WUR;

/* Prepare sql on st; *stmt is NULL on failure.  Finalize with
 * sqlite3_finalize (NULL is harmless). */
int pki__store_prep(struct pki_store *st, const char *sql,
		    sqlite3_stmt **stmt, struct pki_error *err) PKI_WUR;

/* Run constant SQL (no parameters, no user data). */
int pki__store_exec(struct pki_store *st, const char *sql,
		    struct pki_error *err) PKI_WUR;

/* Bind parameter i; these return an SQLite code (SQLITE_OK: 0), so that
 * binds chain with ||.  The value is not copied: it must outlive the
 * step.  bind_text: NULL binds NULL.  bind_id: an int64 where 0 means
 * "none" (NULL).  bind_blob: NULL or empty binds NULL. */
int pki__store_bind_text(sqlite3_stmt *s, int i, const char *v);
int pki__store_bind_id(sqlite3_stmt *s, int i, int64_t v);
int pki__store_bind_blob(sqlite3_stmt *s, int i, const gnutls_datum_t *d);

/* Copy text column i into *out (free): NULL stays NULL when nullable,
 * else becomes "".  PKI_E_NOMEM (err not filled) or PKI_OK. */
int pki__store_col_str(sqlite3_stmt *s, int i, int nullable,
		       char **out) PKI_WUR;
/* Copy blob column i into *d (d->data from gnutls_malloc; empty for NULL
 * or an empty blob).  PKI_E_NOMEM (err not filled) or PKI_OK. */
int pki__store_col_blob(sqlite3_stmt *s, int i, gnutls_datum_t *d) PKI_WUR;

/* Is a transaction open on st? */
int pki__store_in_transaction(struct pki_store *st);

/*
 * Make a multi-statement operation atomic: inside the caller's
 * transaction a savepoint (so a failure undoes only this operation),
 * otherwise a transaction of its own (*own = 1).  When op_begin
 * succeeded, end with rc = pki__store_op_end(st, own, rc, err): it
 * commits (or releases) when rc is PKI_OK, else undoes the operation,
 * and returns the final code.
 */
int pki__store_op_begin(struct pki_store *st, int *own,
			struct pki_error *err) PKI_WUR;
int pki__store_op_end(struct pki_store *st, int own, int rc,
		      struct pki_error *err) PKI_WUR;

/* The SQL of migration version (1 .. pki_store_schema_latest()), or
 * NULL: for tests that make a database of an older schema. */
const char *pki__store_migration_sql(int version);

/* Open the database file at path read-only, as it is (no WAL, no
 * migration; its schema must be this build's): a backup copy to check.
 * Free with pki_store_close. */
int pki__store_open_copy(const char *path, struct pki_store **out,
			 struct pki_error *err) PKI_WUR;

/* store-crl.c: the revocation_seq of full CRL base of CA ca_id.
 * PKI_E_NOTFOUND when it was not recorded, PKI_E_INVALID when it is a
 * delta CRL. */
int pki__store_crl_base_seq(struct pki_store *st, int64_t ca_id, int64_t base,
			    int64_t *seq, struct pki_error *err) PKI_WUR;

#endif
