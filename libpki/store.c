/*
 * store: the connection to the database (see store.h): opening, the
 * schema migrations, transactions, the helpers of store-int.h, and who
 * is acting.  The areas are in store-ca.c, store-cert.c, store-revoke.c,
 * store-crl.c, store-audit.c and store-check.c.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "store-int.h"

#define BUSY_TIMEOUT_MS 10000
/* "SPK1": PRAGMA application_id of a spork database. */
#define APPLICATION_ID 0x53504b31

/*
 * The schema.  Each entry is one migration, applied in a transaction of
 * its own and recorded in schema_version; never edit an entry that has
 * shipped, append a new one.  Later issues add tables (ACME accounts,
 * orders, authorizations, challenges, nonces, EST/SCEP transactions,
 * rate limits) as further entries that reference cas(id) and
 * certificates(id); nothing here needs to change for them.
 *
 * Portability (a PostgreSQL backend is planned): plain types (INTEGER
 * for times as Unix seconds, TEXT, BLOB -> BYTEA), no SQLite-only
 * syntax except AUTOINCREMENT on revocation_events (an identity column
 * there) and the PRAGMA.  revocation_events.id must grow in commit
 * order: SQLite serializes writers; PostgreSQL will need the CRL
 * transaction to lock the table.
 *
 * Revocation bookkeeping: revocations holds the current state (one row
 * per revoked certificate); revocation_events logs every revoke and
 * every lifted hold with an ever-growing id.  A CRL records the highest
 * event id it saw (revocation_seq), so "carried by CRL n" is
 * event_id <= revocation_seq(n) and a delta on base b carries
 * event_id > revocation_seq(b) without updating a million rows per CRL.
 */
/*
 * CRL shards: which shard of its CA a CRL covers (crl-shard.h), 0 for
 * the CA's whole CRL and its deltas (every CRL recorded before).  Shard
 * CRLs share the CA's CRL numbers.
 */
#define MIGRATION_CRL_SHARDS \
	"ALTER TABLE crls ADD COLUMN shard INTEGER NOT NULL DEFAULT 0" \
	" CHECK (shard >= 0);" \
	"CREATE INDEX crls_shard ON crls (ca_id, shard, is_delta, crl_number);"

static const char *const migrations[] = {
	/* 1: CAs, certificates, revocations, CRLs, audit */
	"CREATE TABLE schema_version ("
	" version INTEGER PRIMARY KEY,"
	" applied_at INTEGER NOT NULL);"

	"CREATE TABLE cas ("
	" id INTEGER PRIMARY KEY,"
	" name TEXT NOT NULL UNIQUE,"
	" parent_id INTEGER REFERENCES cas(id),"
	" role TEXT NOT NULL,"
	" mode TEXT NOT NULL,"
	" algorithm TEXT NOT NULL,"
	" key_uri TEXT NOT NULL,"
	" key_online INTEGER NOT NULL DEFAULT 0 CHECK (key_online IN (0, 1)),"
	" subject TEXT NOT NULL,"
	" serial TEXT NOT NULL DEFAULT '',"
	" not_before INTEGER NOT NULL DEFAULT 0,"
	" not_after INTEGER NOT NULL DEFAULT 0,"
	" cert_der BLOB,"
	" csr_der BLOB,"
	" spec_hash TEXT NOT NULL DEFAULT '',"
	" config_json TEXT NOT NULL DEFAULT '{}',"
	" status TEXT NOT NULL"
	"  CHECK (status IN ('active', 'pending', 'revoked')),"
	" next_crl_number INTEGER NOT NULL DEFAULT 1"
	"  CHECK (next_crl_number >= 1),"
	" created_at INTEGER NOT NULL);"

	"CREATE TABLE certificates ("
	" id INTEGER PRIMARY KEY,"
	" issuer_ca_id INTEGER REFERENCES cas(id),"
	" serial TEXT NOT NULL,"
	" subject TEXT NOT NULL,"
	" sans TEXT NOT NULL DEFAULT '',"
	" profile TEXT NOT NULL,"
	" not_before INTEGER NOT NULL,"
	" not_after INTEGER NOT NULL,"
	" der BLOB NOT NULL,"
	" sha256 TEXT NOT NULL UNIQUE,"
	" renewal_of INTEGER REFERENCES certificates(id),"
	" source TEXT NOT NULL,"
	" requester TEXT NOT NULL,"
	" ca_id INTEGER REFERENCES cas(id),"
	" created_at INTEGER NOT NULL,"
	" CHECK (issuer_ca_id IS NOT NULL OR ca_id IS NOT NULL),"
	" CHECK (not_before <= not_after));"
	"CREATE UNIQUE INDEX certificates_issuer_serial"
	" ON certificates (issuer_ca_id, serial);"
	"CREATE INDEX certificates_serial ON certificates (serial);"
	"CREATE INDEX certificates_not_after ON certificates (not_after);"
	"CREATE INDEX certificates_ca ON certificates (ca_id);"
	"CREATE INDEX certificates_renewal_of ON certificates (renewal_of);"

	"CREATE TABLE revocation_events ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" cert_id INTEGER NOT NULL REFERENCES certificates(id),"
	" issuer_ca_id INTEGER NOT NULL REFERENCES cas(id),"
	" event TEXT NOT NULL CHECK (event IN ('revoke', 'release')),"
	" event_time INTEGER NOT NULL,"
	" reason INTEGER NOT NULL,"
	" invalidity_date INTEGER,"
	" released_event_id INTEGER REFERENCES revocation_events(id),"
	" recorded_at INTEGER NOT NULL);"
	"CREATE INDEX revocation_events_issuer"
	" ON revocation_events (issuer_ca_id, event, id);"
	"CREATE INDEX revocation_events_cert ON revocation_events (cert_id);"

	"CREATE TABLE revocations ("
	" cert_id INTEGER PRIMARY KEY REFERENCES certificates(id),"
	" issuer_ca_id INTEGER NOT NULL REFERENCES cas(id),"
	" serial TEXT NOT NULL,"
	" revoked_at INTEGER NOT NULL,"
	" reason INTEGER NOT NULL"
	"  CHECK (reason BETWEEN 0 AND 10 AND reason NOT IN (7, 8)),"
	" invalidity_date INTEGER,"
	" recorded_at INTEGER NOT NULL,"
	" event_id INTEGER NOT NULL UNIQUE REFERENCES revocation_events(id));"
	"CREATE INDEX revocations_issuer ON revocations (issuer_ca_id, event_id);"

	"CREATE TABLE crls ("
	" id INTEGER PRIMARY KEY,"
	" ca_id INTEGER NOT NULL REFERENCES cas(id),"
	" crl_number INTEGER NOT NULL,"
	" is_delta INTEGER NOT NULL DEFAULT 0 CHECK (is_delta IN (0, 1)),"
	" base_crl_number INTEGER,"
	" this_update INTEGER NOT NULL,"
	" next_update INTEGER NOT NULL,"
	" revocation_seq INTEGER NOT NULL,"
	" entries INTEGER NOT NULL,"
	" der BLOB NOT NULL,"
	" created_at INTEGER NOT NULL,"
	" UNIQUE (ca_id, crl_number));"
	"CREATE INDEX crls_seq ON crls (ca_id, revocation_seq);"

	"CREATE TABLE audit ("
	" id INTEGER PRIMARY KEY,"
	" ts INTEGER NOT NULL,"
	" actor TEXT NOT NULL,"
	" action TEXT NOT NULL,"
	" object TEXT NOT NULL,"
	" detail TEXT,"
	" prev_hash TEXT NOT NULL,"
	" hash TEXT NOT NULL);"
	"CREATE INDEX audit_ts ON audit (ts);"
	"CREATE TABLE audit_head ("
	" one INTEGER PRIMARY KEY CHECK (one = 1),"
	" last_id INTEGER NOT NULL,"
	" hash TEXT NOT NULL);",

	/*
	 * 2: who acted by uid, and refusals.  audit.uid is the real uid of
	 * the process that wrote the row (NULL in rows written before); a
	 * row with a uid is hashed with it (pki__audit_hash, v2).  refusals
	 * records what was refused (policy denials, wrong passphrases,
	 * tampered sealed keys) outside the hash chain: a refusal changes
	 * nothing in the CA, is written after the refused operation rolled
	 * back, and may be provoked by anyone a handler serves, so it must
	 * neither crowd nor wait on the chain of changes.
	 */
	"ALTER TABLE audit ADD COLUMN uid INTEGER;"
	"CREATE TABLE refusals ("
	" id INTEGER PRIMARY KEY,"
	" ts INTEGER NOT NULL,"
	" uid INTEGER NOT NULL,"
	" actor TEXT NOT NULL,"
	" action TEXT NOT NULL,"
	" object TEXT NOT NULL,"
	" error TEXT NOT NULL,"
	" message TEXT NOT NULL);"
	"CREATE INDEX refusals_ts ON refusals (ts);"
	/* the cross-checks of audit verify look rows up by object */
	"CREATE INDEX audit_object ON audit (object, action);",

	/* 3: OCSP: each CA's delegated signer (its certificate is a row of
	 * certificates, its key sealed under online.kek) and the responses
	 * signed ahead of time (spork-ocsp(1)).  A pre-signed response
	 * keeps the status it says (0 good, 1 revoked, 2 unknown) with the
	 * revocation time and reason, so that the responder can tell it
	 * from what the store says now; request_der is the minimal request
	 * it answers (the layout of an export). */
	"CREATE TABLE ocsp_signers ("
	" ca_id INTEGER PRIMARY KEY REFERENCES cas(id),"
	" cert_id INTEGER NOT NULL REFERENCES certificates(id),"
	" key_uri TEXT NOT NULL,"
	" created_at INTEGER NOT NULL);"
	"CREATE TABLE ocsp_responses ("
	" ca_id INTEGER NOT NULL REFERENCES cas(id),"
	" serial TEXT NOT NULL,"
	" status INTEGER NOT NULL CHECK (status IN (0, 1, 2)),"
	" revoked_at INTEGER NOT NULL DEFAULT 0,"
	" reason INTEGER NOT NULL DEFAULT 0,"
	" this_update INTEGER NOT NULL,"
	" next_update INTEGER NOT NULL,"
	" request_der BLOB NOT NULL,"
	" der BLOB NOT NULL,"
	" created_at INTEGER NOT NULL,"
	" PRIMARY KEY (ca_id, serial),"
	" CHECK (this_update < next_update));"
	"CREATE INDEX ocsp_responses_next ON ocsp_responses (ca_id, next_update);",

	/* 4: CRL shards (crls.shard) */
	MIGRATION_CRL_SHARDS,

	/*
	 * 5: what a CA is for, beyond its definition (store-ca-roles.c):
	 * the issuing CA a profile defaults to, which CA a rotation made
	 * the successor of which, and the CRL lifetimes of hierarchy.toml.
	 * Rows change on every build and rotation; cas rows do not.
	 */
	"CREATE TABLE ca_defaults ("
	" profile TEXT PRIMARY KEY,"
	" ca_id INTEGER NOT NULL REFERENCES cas(id),"
	" set_at INTEGER NOT NULL);"
	"CREATE TABLE ca_rotations ("
	" old_ca_id INTEGER PRIMARY KEY REFERENCES cas(id),"
	" new_ca_id INTEGER NOT NULL UNIQUE REFERENCES cas(id),"
	" rotated_at INTEGER NOT NULL);"
	"CREATE TABLE ca_crl_settings ("
	" ca_id INTEGER PRIMARY KEY REFERENCES cas(id),"
	" next_update INTEGER NOT NULL,"
	" delta_next_update INTEGER NOT NULL);",
};
#define N_MIGRATIONS ((int)(sizeof(migrations) / sizeof(migrations[0])))

/* ------------------------------------------------------------------ */
/* helpers (their contracts are in store-int.h)                         */

int
pki__store_db_err(struct pki_store *st, struct pki_error *err,
		  const char *what)
{
	int code = sqlite3_errcode(st->db);

	if (code == SQLITE_BUSY || code == SQLITE_LOCKED)
		return pki_error_set(err, PKI_E_DB,
				     "%s: database %s is locked by another "
				     "process (waited %d s); retry later",
				     what, st->path, BUSY_TIMEOUT_MS / 1000);
	if (code == SQLITE_NOMEM)
		return pki_error_set(err, PKI_E_NOMEM, "%s: out of memory",
				     what);
	return pki_error_set(err, PKI_E_DB, "%s: %s (database %s)", what,
			     sqlite3_errmsg(st->db), st->path);
}

int
pki__store_prep(struct pki_store *st, const char *sql, sqlite3_stmt **stmt,
		struct pki_error *err)
{
	if (sqlite3_prepare_v2(st->db, sql, -1, stmt, NULL) != SQLITE_OK) {
		*stmt = NULL;
		return pki__store_db_err(st, err, "sqlite3_prepare_v2");
	}
	return PKI_OK;
}

int
pki__store_exec(struct pki_store *st, const char *sql,
		struct pki_error *err)
{
	if (sqlite3_exec(st->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return pki__store_db_err(st, err, sql);
	return PKI_OK;
}

int
pki__store_bind_text(sqlite3_stmt *s, int i, const char *v)
{
	if (v == NULL)
		return sqlite3_bind_null(s, i);
	return sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC);
}

int
pki__store_bind_id(sqlite3_stmt *s, int i, int64_t v)
{
	if (v == 0)
		return sqlite3_bind_null(s, i);
	return sqlite3_bind_int64(s, i, v);
}

int
pki__store_bind_blob(sqlite3_stmt *s, int i, const gnutls_datum_t *d)
{
	if (d == NULL || d->data == NULL || d->size == 0)
		return sqlite3_bind_null(s, i);
	return sqlite3_bind_blob(s, i, d->data, (int)d->size, SQLITE_STATIC);
}

int
pki__store_col_str(sqlite3_stmt *s, int i, int nullable, char **out)
{
	const unsigned char *t = sqlite3_column_text(s, i);

	if (t == NULL && nullable) {
		*out = NULL;
		return PKI_OK;
	}
	*out = strdup(t == NULL ? "" : (const char *)t);
	return *out == NULL ? PKI_E_NOMEM : PKI_OK;
}

int
pki__store_col_blob(sqlite3_stmt *s, int i, gnutls_datum_t *d)
{
	const void *p = sqlite3_column_blob(s, i);
	int n = sqlite3_column_bytes(s, i);

	d->data = NULL;
	d->size = 0;
	if (p == NULL || n <= 0)
		return PKI_OK;
	d->data = gnutls_malloc((size_t)n);
	if (d->data == NULL)
		return PKI_E_NOMEM;
	memcpy(d->data, p, (size_t)n);
	d->size = (unsigned)n;
	return PKI_OK;
}

int
pki__store_in_transaction(struct pki_store *st)
{
	return sqlite3_get_autocommit(st->db) == 0;
}

int
pki__store_op_begin(struct pki_store *st, int *own, struct pki_error *err)
{
	if (!pki__store_in_transaction(st)) {
		*own = 1;
		return pki__store_exec(st, "BEGIN IMMEDIATE", err);
	}
	*own = 0;
	return pki__store_exec(st, "SAVEPOINT pki_op", err);
}

int
pki__store_op_end(struct pki_store *st, int own, int rc,
		  struct pki_error *err)
{
	if (rc == PKI_OK) {
		rc = pki__store_exec(st, own ? "COMMIT" : "RELEASE pki_op",
				     err);
		if (rc == PKI_OK)
			return PKI_OK;
	}
	if (own) {
		if (pki__store_in_transaction(st))
			sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	} else if (pki__store_in_transaction(st)) {
		sqlite3_exec(st->db, "ROLLBACK TO pki_op", NULL, NULL, NULL);
		sqlite3_exec(st->db, "RELEASE pki_op", NULL, NULL, NULL);
	}
	return rc;
}

/* ------------------------------------------------------------------ */
/* open, migrations, transactions                                       */

static int
read_int_pragma(struct pki_store *st, const char *sql, int64_t *v,
		struct pki_error *err)
{
	sqlite3_stmt *s = NULL;
	int rc;

	if ((rc = pki__store_prep(st, sql, &s, err)) != PKI_OK)
		return rc;
	if (sqlite3_step(s) != SQLITE_ROW) {
		rc = pki__store_db_err(st, err, sql);
		goto out;
	}
	*v = sqlite3_column_int64(s, 0);
	rc = PKI_OK;
out:
	sqlite3_finalize(s);
	return rc;
}

/* Current schema version (0: no schema_version table yet); also tells
 * whether the file holds other tables. */
static int
read_version(struct pki_store *st, int *version, int *other_tables,
	     struct pki_error *err)
{
	sqlite3_stmt *s = NULL;
	int64_t n = 0, v = 0;
	int rc;

	rc = pki__store_prep(st, "SELECT count(*), "
			     "sum(name = 'schema_version') FROM sqlite_master "
			     "WHERE type = 'table' "
			     "AND name NOT LIKE 'sqlite_%'", &s, err);
	if (rc != PKI_OK)
		goto out;
	if (sqlite3_step(s) != SQLITE_ROW) {
		rc = pki__store_db_err(st, err, "reading the schema");
		goto out;
	}
	n = sqlite3_column_int64(s, 0);
	v = sqlite3_column_int64(s, 1);
	sqlite3_finalize(s);
	s = NULL;
	*other_tables = n > v;
	*version = 0;
	if (v > 0) {
		rc = read_int_pragma(st, "SELECT coalesce(max(version), 0) "
				     "FROM schema_version", &v, err);
		if (rc != PKI_OK)
			goto out;
		if (v > INT_MAX)
			v = INT_MAX;
		*version = (int)v;
	}
	rc = PKI_OK;
out:
	sqlite3_finalize(s);
	return rc;
}

static int
check_not_newer(struct pki_store *st, int version, struct pki_error *err)
{
	if (version > N_MIGRATIONS)
		return pki_error_set(err, PKI_E_UNSUPPORTED,
				     "database %s has schema version %d, newer "
				     "than this spork %s knows (%d): use a "
				     "newer spork, or restore a backup made "
				     "before the upgrade", st->path, version,
				     pki_version(), N_MIGRATIONS);
	return PKI_OK;
}

static int
migrate(struct pki_store *st, struct pki_error *err)
{
	sqlite3_stmt *s = NULL;
	int64_t app_id = 0;
	int version, other, target, rc;

	rc = read_version(st, &version, &other, err);
	if (rc != PKI_OK)
		return rc;
	rc = read_int_pragma(st, "PRAGMA application_id", &app_id, err);
	if (rc != PKI_OK)
		return rc;
	if ((app_id != 0 && app_id != APPLICATION_ID) ||
	    (app_id == 0 && (version > 0 || other)))
		return pki_error_set(err, PKI_E_DB,
				     "%s is an SQLite database of another "
				     "program, not a spork database: name "
				     "another state directory", st->path);
	if ((rc = check_not_newer(st, version, err)) != PKI_OK)
		return rc;
	if (st->readonly && version < N_MIGRATIONS)
		return pki_error_set(err, PKI_E_UNSUPPORTED,
				     "database %s has schema version %d, older "
				     "than this spork %s uses (%d), and it is "
				     "opened read-only: it is upgraded when "
				     "opened for writing (by a command that "
				     "changes it)", st->path, version,
				     pki_version(), N_MIGRATIONS);
	for (target = version + 1; target <= N_MIGRATIONS; target++) {
		rc = pki__store_exec(st, "BEGIN IMMEDIATE", err);
		if (rc != PKI_OK)
			return rc;
		/* another process may have migrated meanwhile */
		rc = read_version(st, &version, &other, err);
		if (rc == PKI_OK)
			rc = check_not_newer(st, version, err);
		if (rc != PKI_OK || version >= target)
			goto next;
		if (sqlite3_exec(st->db, migrations[target - 1], NULL, NULL,
				 NULL) != SQLITE_OK) {
			rc = pki__store_db_err(st, err,
					       "applying schema migration");
			pki_error_prefix(err, "migration %d", target);
			goto next;
		}
		if (target == 1) {
			char pragma[64];

			snprintf(pragma, sizeof(pragma),
				 "PRAGMA application_id = %d", APPLICATION_ID);
			if ((rc = pki__store_exec(st, pragma, err)) != PKI_OK)
				goto next;
		}
		rc = pki__store_prep(st, "INSERT INTO schema_version (version, "
				     "applied_at) VALUES (?1, ?2)", &s, err);
		if (rc != PKI_OK)
			goto next;
		if (sqlite3_bind_int(s, 1, target) != SQLITE_OK ||
		    sqlite3_bind_int64(s, 2, pki__store_now(st)) != SQLITE_OK ||
		    sqlite3_step(s) != SQLITE_DONE)
			rc = pki__store_db_err(st, err,
					       "recording the schema version");
		sqlite3_finalize(s);
		s = NULL;
next:
		if (rc != PKI_OK) {
			if (pki__store_in_transaction(st))
				sqlite3_exec(st->db, "ROLLBACK", NULL, NULL,
					     NULL);
			return rc;
		}
		if ((rc = pki__store_exec(st, "COMMIT", err)) != PKI_OK) {
			sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
			return rc;
		}
	}
	rc = read_version(st, &version, &other, err);
	if (rc != PKI_OK)
		return rc;
	st->version = version;
	return PKI_OK;
}

/*
 * PRAGMA journal_mode = WAL.  Switching a new database to WAL, or reading
 * the mode while another process does, can fail with SQLITE_BUSY at once
 * (SQLite does not call the busy handler there): retry for as long as
 * the busy timeout.
 */
static int
set_wal(struct pki_store *st)
{
	struct timespec pause = { 0, 0 };
	int rc, waited_ms = 0;

	for (;;) {
		rc = sqlite3_exec(st->db, "PRAGMA journal_mode = WAL", NULL,
				  NULL, NULL);
		if ((rc & 0xff) != SQLITE_BUSY || waited_ms >= BUSY_TIMEOUT_MS)
			return rc;
		pause.tv_nsec = (5 + (waited_ms % 7)) * 1000000L;
		nanosleep(&pause, NULL);
		waited_ms += (int)(pause.tv_nsec / 1000000L);
	}
}

const char *
pki__store_migration_sql(int version)
{
	if (version < 1 || version > N_MIGRATIONS)
		return NULL;
	return migrations[version - 1];
}

int
pki_store_schema_latest(void)
{
	return N_MIGRATIONS;
}

/*
 * Open the connection: path itself, or with immutable the URI
 * "file:<path>?immutable=1" (SQLite then takes no lock and reads no
 * -wal or -shm file).  Fills st->db; the error names the call.
 */
static int
open_db(struct pki_store *st, int flags, int immutable,
	struct pki_error *err)
{
	static const char hexd[] = "0123456789ABCDEF";
	const char *p;
	char *uri = NULL, *o;
	int rc;

	if (immutable) {
		/* "file:" + every byte as %XX at worst + the query + NUL */
		if ((uri = malloc(5 + 3 * strlen(st->path) + 13)) == NULL)
			return pki_error_set(err, PKI_E_NOMEM, "out of memory");
		memcpy(uri, "file:", 5);
		o = uri + 5;
		for (p = st->path; *p != '\0'; p++) {
			unsigned char c = (unsigned char)*p;

			if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			    (c >= '0' && c <= '9') || strchr("/._-", c) != NULL) {
				*o++ = (char)c;
			} else {
				*o++ = '%';
				*o++ = hexd[c >> 4];
				*o++ = hexd[c & 15];
			}
		}
		strcpy(o, "?immutable=1");
		flags |= SQLITE_OPEN_URI;
	}
	rc = sqlite3_open_v2(uri != NULL ? uri : st->path, &st->db, flags, NULL);
	free(uri);
	if (rc == SQLITE_OK)
		return PKI_OK;
	if (st->db == NULL)
		return pki_error_set(err, PKI_E_NOMEM, "sqlite3_open_v2: out of "
				     "memory");
	return pki__store_db_err(st, err, "sqlite3_open_v2");
}

/*
 * A read-only connection.  SQLite reads a WAL database through its -wal
 * and -shm files; where they are missing and cannot be made (a
 * write-protected medium), it cannot open the database at all.  Then
 * the database file is opened immutable, which ignores the -wal file:
 * done only when that file is absent or empty, since otherwise the
 * changes it holds would silently be missing.
 */
static int
open_readonly(struct pki_store *st, struct pki_error *err)
{
	const int flags = SQLITE_OPEN_READONLY | SQLITE_OPEN_NOFOLLOW;
	struct stat sb;
	char *wal = NULL;
	int rc, code;

	if ((rc = open_db(st, flags, 0, err)) != PKI_OK)
		return rc;
	/* The first read opens the -wal and -shm files. */
	if (sqlite3_exec(st->db, "SELECT count(*) FROM sqlite_master", NULL,
			 NULL, NULL) == SQLITE_OK)
		return PKI_OK;
	code = sqlite3_errcode(st->db) & 0xff;
	if (code == SQLITE_NOTADB)
		return pki_error_set(err, PKI_E_DB, "%s is not a spork database "
				     "(not even SQLite)", st->path);
	if (code != SQLITE_CANTOPEN && code != SQLITE_READONLY)
		return pki__store_db_err(st, err, "reading the database");
	if (asprintf(&wal, "%s-wal", st->path) < 0)
		return pki_error_set(err, PKI_E_NOMEM, "out of memory");
	rc = stat(wal, &sb) == 0 && sb.st_size > 0;
	if (rc) {
		rc = pki_error_set(err, PKI_E_IO, "cannot read database %s "
				   "read-only: its shared-memory file %s-shm "
				   "is missing and cannot be made here, and "
				   "its write-ahead log %s holds changes that "
				   "reading the database file alone would "
				   "miss; copy the state directory again with "
				   "its spork.db-wal and spork.db-shm files",
				   st->path, st->path, wal);
		free(wal);
		return rc;
	}
	free(wal);
	sqlite3_close_v2(st->db);
	st->db = NULL;
	st->immutable = 1;
	return open_db(st, flags, 1, err);
}

/* Connection settings; for a writer also WAL mode and synchronous=FULL. */
static int
configure(struct pki_store *st, struct pki_error *err)
{
	int64_t v = 0;
	int rc;

	sqlite3_extended_result_codes(st->db, 1);
	sqlite3_busy_timeout(st->db, BUSY_TIMEOUT_MS);
	/*
	 * Every CLI invocation and handler process opens and closes the
	 * database once.  The WAL file is kept (not created and deleted on
	 * every run), but spork.db alone must hold the CA: a backup that
	 * copies only spork.db is the obvious one.  So every commit is
	 * checkpointed at once (wal_autocheckpoint = 1 page, PASSIVE: it
	 * never waits for readers), and the last connection to close
	 * checkpoints what is left and truncates the WAL (journal_size_limit
	 * = 0); a connection that is not the last (another process holds
	 * the database) leaves that to the last one.
	 */
	if (!st->readonly) {
		int persist = 1;

		sqlite3_file_control(st->db, "main", SQLITE_FCNTL_PERSIST_WAL,
				     &persist);
		sqlite3_db_config(st->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 0,
				  NULL);
		sqlite3_wal_autocheckpoint(st->db, 1);
	}
	/* a database file is data, not code */
	sqlite3_db_config(st->db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
	sqlite3_db_config(st->db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);
	if (!st->readonly && set_wal(st) != SQLITE_OK) {
		if ((sqlite3_errcode(st->db) & 0xff) == SQLITE_NOTADB)
			return pki_error_set(err, PKI_E_DB, "%s is not a spork "
					     "database (not even SQLite)",
					     st->path);
		return pki__store_db_err(st, err, "PRAGMA journal_mode = WAL");
	}
	rc = pki__store_exec(st, "PRAGMA foreign_keys = ON", err);
	if (rc == PKI_OK && !st->readonly)
		rc = pki__store_exec(st, "PRAGMA synchronous = FULL", err);
	if (rc == PKI_OK && !st->readonly)
		rc = pki__store_exec(st, "PRAGMA journal_size_limit = 0", err);
	/* damaged pages are refused as they are read, not trusted */
	if (rc == PKI_OK)
		rc = pki__store_exec(st, "PRAGMA cell_size_check = ON", err);
	if (rc == PKI_OK)
		rc = read_int_pragma(st, "PRAGMA foreign_keys", &v, err);
	if (rc == PKI_OK && v != 1)
		rc = pki_error_set(err, PKI_E_DB, "this SQLite library cannot "
				   "enforce foreign keys");
	return rc;
}

/* A missing database file: made (mode 0600) with create, else an error. */
static int
create_file(const char *path, int create, struct pki_error *err)
{
	int fd;

	if (errno != ENOENT || !create)
		return pki_error_set(err, errno == ENOENT ? PKI_E_NOTFOUND :
				     PKI_E_IO, "cannot open database %s: %s%s",
				     path, strerror(errno), errno == ENOENT ?
				     " (is this the right state directory?)" :
				     "");
	/* SQLite creates files 0644; ours is 0600 from the start (its -wal
	 * and -shm files copy the mode). */
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
		  0600);
	if (fd < 0 && errno != EEXIST)
		return pki_error_set(err, PKI_E_IO, "cannot create database "
				     "%s: %s", path, strerror(errno));
	if (fd >= 0)
		close(fd);
	return PKI_OK;
}

int
pki_store_open(const char *path, enum pki_store_open_mode mode,
	       struct pki_store **out, struct pki_error *err)
{
	struct pki_store *st = NULL;
	struct stat sb;
	int rc = PKI_E_FAIL;

	*out = NULL;
	if (path == NULL || *path == '\0' ||
	    (unsigned)mode >= PKI_STORE_OPEN__MAX)
		return pki_error_set(err, PKI_E_INVALID,
				     "no database path given, or an unknown "
				     "mode");
	if ((st = calloc(1, sizeof(*st))) == NULL ||
	    (st->path = strdup(path)) == NULL) {
		rc = pki_error_set(err, PKI_E_NOMEM, "out of memory");
		goto out;
	}
	st->readonly = mode == PKI_STORE_READONLY;
	pki__store_set_actor(st, NULL);
	st->uid = (int64_t)getuid();
	if (stat(path, &sb) != 0 &&
	    (rc = create_file(path, mode == PKI_STORE_CREATE, err)) != PKI_OK)
		goto out;
	if (st->readonly)
		rc = open_readonly(st, err);
	else
		rc = open_db(st, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW, 0,
			     err);
	if (rc == PKI_OK && !st->readonly &&
	    sqlite3_db_readonly(st->db, "main") == 1)
		rc = pki_error_set(err, PKI_E_IO, "database %s cannot be "
				   "written (a write-protected file or "
				   "medium)", path);
	if (rc != PKI_OK || (rc = configure(st, err)) != PKI_OK ||
	    (rc = migrate(st, err)) != PKI_OK)
		goto out;
	*out = st;
	st = NULL;
	rc = PKI_OK;
out:
	pki_store_close(st);
	return rc;
}

int
pki__store_open_copy(const char *path, struct pki_store **out,
		     struct pki_error *err)
{
	struct pki_store *st = NULL;
	int64_t app_id = 0;
	int rc, version = 0, other = 0;

	*out = NULL;
	if ((st = calloc(1, sizeof(*st))) == NULL ||
	    (st->path = strdup(path)) == NULL) {
		rc = pki_error_set(err, PKI_E_NOMEM, "out of memory");
		goto out;
	}
	pki__store_set_actor(st, NULL);
	st->uid = (int64_t)getuid();
	if (sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READONLY |
			    SQLITE_OPEN_NOFOLLOW, NULL) != SQLITE_OK) {
		rc = st->db == NULL ? pki_error_set(err, PKI_E_NOMEM, "out of "
						    "memory") :
			pki__store_db_err(st, err, "sqlite3_open_v2");
		goto out;
	}
	sqlite3_extended_result_codes(st->db, 1);
	sqlite3_db_config(st->db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
	sqlite3_db_config(st->db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);
	if ((rc = pki__store_exec(st, "PRAGMA cell_size_check = ON",
				  err)) != PKI_OK ||
	    (rc = read_version(st, &version, &other, err)) != PKI_OK ||
	    (rc = read_int_pragma(st, "PRAGMA application_id", &app_id,
				  err)) != PKI_OK)
		goto out;
	if (app_id != APPLICATION_ID || version != N_MIGRATIONS) {
		rc = pki_error_set(err, PKI_E_DB, "%s is not a spork database "
				   "of schema version %d", path, N_MIGRATIONS);
		goto out;
	}
	st->version = version;
	*out = st;
	st = NULL;
	rc = PKI_OK;
out:
	pki_store_close(st);
	return rc;
}

void
pki_store_close(struct pki_store *st)
{
	if (st == NULL)
		return;
	if (st->db != NULL) {
		if (pki__store_in_transaction(st))
			sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
		sqlite3_close_v2(st->db);
	}
	free(st->path);
	free(st);
}

int
pki_store_begin(struct pki_store *st, struct pki_error *err)
{
	if (pki__store_in_transaction(st))
		return pki_error_set(err, PKI_E_INVALID, "pki_store_begin: a "
				     "transaction is already open");
	return pki__store_exec(st, "BEGIN IMMEDIATE", err);
}

int
pki_store_commit(struct pki_store *st, struct pki_error *err)
{
	if (!pki__store_in_transaction(st))
		return pki_error_set(err, PKI_E_INVALID, "pki_store_commit: "
				     "no transaction is open");
	return pki__store_exec(st, "COMMIT", err);
}

void
pki_store_rollback(struct pki_store *st)
{
	if (st != NULL && pki__store_in_transaction(st))
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
}

int
pki_store_schema_version(struct pki_store *st)
{
	return st->version;
}


/* ------------------------------------------------------------------ */
/* actor and clock                                                      */

void
pki__store_set_actor(struct pki_store *st, const char *actor)
{
	char *p;

	snprintf(st->actor, sizeof(st->actor), "%s",
		 actor != NULL && *actor != '\0' ? actor : "unknown");
	for (p = st->actor; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
}

const char *
pki__store_actor(const struct pki_store *st)
{
	return st->actor;
}

void
pki__store_set_uid(struct pki_store *st, int64_t uid)
{
	st->uid = uid;
}

int64_t
pki__store_uid(const struct pki_store *st)
{
	return st->uid;
}

void
pki__store_set_clock(struct pki_store *st, int64_t now)
{
	st->now = now;
}

int64_t
pki__store_now(const struct pki_store *st)
{
	return st->now != 0 ? st->now : (int64_t)time(NULL);
}
