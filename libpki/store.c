/* store: see store.h */
#include <config.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <nettle/sha2.h>
#include <sqlite3.h>

#include "audit.h"
#include "store.h"
#include "util.h"

#define BUSY_TIMEOUT_MS 10000
/* "SPK1": PRAGMA application_id of a spork database. */
#define APPLICATION_ID 0x53504b31
#define SERIAL_HEX_MAX (2 * PKI_STORE_SERIAL_MAX + 1)

struct pki_store {
	sqlite3 *db;
	char *path;
	int version;
};

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
};
#define N_MIGRATIONS ((int)(sizeof(migrations) / sizeof(migrations[0])))

/* ------------------------------------------------------------------ */
/* helpers                                                              */

static int
db_err(struct pki_store *st, struct pki_error *err, const char *what)
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

static int
prep(struct pki_store *st, const char *sql, sqlite3_stmt **stmt,
     struct pki_error *err)
{
	if (sqlite3_prepare_v2(st->db, sql, -1, stmt, NULL) != SQLITE_OK) {
		*stmt = NULL;
		return db_err(st, err, "sqlite3_prepare_v2");
	}
	return PKI_OK;
}

/* Run constant SQL (no parameters, no user data). */
static int
exec_sql(struct pki_store *st, const char *sql, struct pki_error *err)
{
	if (sqlite3_exec(st->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return db_err(st, err, sql);
	return PKI_OK;
}

static int
bind_text(sqlite3_stmt *s, int i, const char *v)
{
	if (v == NULL)
		return sqlite3_bind_null(s, i);
	return sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC);
}

/* An int64 where 0 means "none" (NULL). */
static int
bind_id(sqlite3_stmt *s, int i, int64_t v)
{
	if (v == 0)
		return sqlite3_bind_null(s, i);
	return sqlite3_bind_int64(s, i, v);
}

static int
bind_blob(sqlite3_stmt *s, int i, const gnutls_datum_t *d)
{
	if (d == NULL || d->data == NULL || d->size == 0)
		return sqlite3_bind_null(s, i);
	return sqlite3_bind_blob(s, i, d->data, (int)d->size, SQLITE_STATIC);
}

/* Copy a text column: NULL stays NULL when nullable, else becomes "". */
static int
col_str(sqlite3_stmt *s, int i, int nullable, char **out)
{
	const unsigned char *t = sqlite3_column_text(s, i);

	if (t == NULL && nullable) {
		*out = NULL;
		return PKI_OK;
	}
	*out = strdup(t == NULL ? "" : (const char *)t);
	return *out == NULL ? PKI_E_NOMEM : PKI_OK;
}

static int
col_blob(sqlite3_stmt *s, int i, gnutls_datum_t *d)
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

static int
in_transaction(struct pki_store *st)
{
	return sqlite3_get_autocommit(st->db) == 0;
}

/*
 * Make a multi-statement operation atomic: inside the caller's
 * transaction a savepoint (so a failure undoes only this operation),
 * otherwise a transaction of its own.
 */
static int
op_begin(struct pki_store *st, int *own, struct pki_error *err)
{
	if (!in_transaction(st)) {
		*own = 1;
		return exec_sql(st, "BEGIN IMMEDIATE", err);
	}
	*own = 0;
	return exec_sql(st, "SAVEPOINT pki_op", err);
}

static int
op_end(struct pki_store *st, int own, int rc, struct pki_error *err)
{
	if (rc == PKI_OK) {
		rc = exec_sql(st, own ? "COMMIT" : "RELEASE pki_op", err);
		if (rc == PKI_OK)
			return PKI_OK;
	}
	if (own) {
		if (in_transaction(st))
			sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	} else if (in_transaction(st)) {
		sqlite3_exec(st->db, "ROLLBACK TO pki_op", NULL, NULL, NULL);
		sqlite3_exec(st->db, "RELEASE pki_op", NULL, NULL, NULL);
	}
	return rc;
}

static void
time_str(int64_t t, char *buf, size_t len)
{
	pki__time_str(t, buf, len);
}

static void
sha256_hex(const gnutls_datum_t *d, char out[65])
{
	struct sha256_ctx ctx;
	uint8_t dig[SHA256_DIGEST_SIZE];

	sha256_init(&ctx);
	sha256_update(&ctx, d->size, d->data);
	sha256_digest(&ctx, sizeof(dig), dig);
	pki__hex(dig, sizeof(dig), out);
}

/* "CA <name>" for messages; "an external CA" for 0. */
static void
ca_label(struct pki_store *st, int64_t id, char *buf, size_t len)
{
	sqlite3_stmt *s = NULL;

	if (id == 0) {
		snprintf(buf, len, "an external CA");
		return;
	}
	snprintf(buf, len, "CA #%lld", (long long)id);
	if (sqlite3_prepare_v2(st->db, "SELECT name FROM cas WHERE id = ?1",
			       -1, &s, NULL) != SQLITE_OK)
		return;
	if (sqlite3_bind_int64(s, 1, id) == SQLITE_OK &&
	    sqlite3_step(s) == SQLITE_ROW &&
	    sqlite3_column_text(s, 0) != NULL)
		snprintf(buf, len, "CA \"%s\"",
			 (const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
}

/* ------------------------------------------------------------------ */
/* open, migrations, transactions                                       */

static int
read_int_pragma(struct pki_store *st, const char *sql, int64_t *v,
		struct pki_error *err)
{
	sqlite3_stmt *s = NULL;
	int rc;

	if ((rc = prep(st, sql, &s, err)) != PKI_OK)
		return rc;
	if (sqlite3_step(s) != SQLITE_ROW) {
		rc = db_err(st, err, sql);
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

	rc = prep(st, "SELECT count(*), "
		  "sum(name = 'schema_version') FROM sqlite_master "
		  "WHERE type = 'table' AND name NOT LIKE 'sqlite_%'", &s, err);
	if (rc != PKI_OK)
		goto out;
	if (sqlite3_step(s) != SQLITE_ROW) {
		rc = db_err(st, err, "reading the schema");
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
	for (target = version + 1; target <= N_MIGRATIONS; target++) {
		if ((rc = exec_sql(st, "BEGIN IMMEDIATE", err)) != PKI_OK)
			return rc;
		/* another process may have migrated meanwhile */
		rc = read_version(st, &version, &other, err);
		if (rc == PKI_OK)
			rc = check_not_newer(st, version, err);
		if (rc != PKI_OK || version >= target)
			goto next;
		if (sqlite3_exec(st->db, migrations[target - 1], NULL, NULL,
				 NULL) != SQLITE_OK) {
			rc = db_err(st, err, "applying schema migration");
			pki_error_prefix(err, "migration %d", target);
			goto next;
		}
		if (target == 1) {
			char pragma[64];

			snprintf(pragma, sizeof(pragma),
				 "PRAGMA application_id = %d", APPLICATION_ID);
			if ((rc = exec_sql(st, pragma, err)) != PKI_OK)
				goto next;
		}
		rc = prep(st, "INSERT INTO schema_version (version, applied_at)"
			  " VALUES (?1, ?2)", &s, err);
		if (rc != PKI_OK)
			goto next;
		if (sqlite3_bind_int(s, 1, target) != SQLITE_OK ||
		    sqlite3_bind_int64(s, 2, pki_now()) != SQLITE_OK ||
		    sqlite3_step(s) != SQLITE_DONE)
			rc = db_err(st, err, "recording the schema version");
		sqlite3_finalize(s);
		s = NULL;
next:
		if (rc != PKI_OK) {
			if (in_transaction(st))
				sqlite3_exec(st->db, "ROLLBACK", NULL, NULL,
					     NULL);
			return rc;
		}
		if ((rc = exec_sql(st, "COMMIT", err)) != PKI_OK) {
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

int
pki_store_schema_latest(void)
{
	return N_MIGRATIONS;
}

int
pki_store_open(const char *path, int create, struct pki_store **out,
	       struct pki_error *err)
{
	struct pki_store *st = NULL;
	struct stat sb;
	int64_t v = 0;
	int rc = PKI_E_FAIL, fd = -1, flags;

	*out = NULL;
	if (path == NULL || *path == '\0')
		return pki_error_set(err, PKI_E_INVALID,
				     "no database path given");
	if ((st = calloc(1, sizeof(*st))) == NULL ||
	    (st->path = strdup(path)) == NULL) {
		rc = pki_error_set(err, PKI_E_NOMEM, "out of memory");
		goto out;
	}
	if (stat(path, &sb) != 0) {
		if (errno != ENOENT || !create) {
			rc = pki_error_set(err, errno == ENOENT ?
					   PKI_E_NOTFOUND : PKI_E_IO,
					   "cannot open database %s: %s%s",
					   path, strerror(errno),
					   errno == ENOENT ? " (is this the "
					   "right state directory?)" : "");
			goto out;
		}
		/* SQLite creates files 0644; ours is 0600 from the start
		 * (its -wal and -shm files copy the mode). */
		fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC |
			  O_NOFOLLOW, 0600);
		if (fd < 0 && errno != EEXIST) {
			rc = pki_error_set(err, PKI_E_IO,
					   "cannot create database %s: %s",
					   path, strerror(errno));
			goto out;
		}
		if (fd >= 0)
			close(fd);
	}
	flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW;
	if (sqlite3_open_v2(path, &st->db, flags, NULL) != SQLITE_OK) {
		if (st->db == NULL) {
			rc = pki_error_set(err, PKI_E_NOMEM, "sqlite3_open_v2: "
					   "out of memory");
			goto out;
		}
		rc = db_err(st, err, "sqlite3_open_v2");
		goto out;
	}
	sqlite3_extended_result_codes(st->db, 1);
	sqlite3_busy_timeout(st->db, BUSY_TIMEOUT_MS);
	/*
	 * Every CLI invocation and handler process opens and closes the
	 * database once.  Keeping the WAL file and leaving checkpoints to the
	 * automatic ones at commit saves creating, checkpointing and deleting
	 * the WAL (and its fsyncs) on every run; each commit is still
	 * fsynced (synchronous=FULL), so durability is unchanged.
	 */
	{
		int persist = 1;

		sqlite3_file_control(st->db, "main", SQLITE_FCNTL_PERSIST_WAL,
				     &persist);
		sqlite3_db_config(st->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1,
				  NULL);
	}
	/* a database file is data, not code */
	sqlite3_db_config(st->db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
	sqlite3_db_config(st->db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);
	if (set_wal(st) != SQLITE_OK) {
		if ((sqlite3_errcode(st->db) & 0xff) == SQLITE_NOTADB)
			rc = pki_error_set(err, PKI_E_DB, "%s is not a spork "
					   "database (not even SQLite)", path);
		else
			rc = db_err(st, err, "PRAGMA journal_mode = WAL");
		goto out;
	}
	if ((rc = exec_sql(st, "PRAGMA foreign_keys = ON", err)) != PKI_OK ||
	    (rc = exec_sql(st, "PRAGMA synchronous = FULL", err)) != PKI_OK)
		goto out;
	if ((rc = read_int_pragma(st, "PRAGMA foreign_keys", &v, err)) !=
	    PKI_OK)
		goto out;
	if (v != 1) {
		rc = pki_error_set(err, PKI_E_DB, "this SQLite library cannot "
				   "enforce foreign keys");
		goto out;
	}
	if ((rc = migrate(st, err)) != PKI_OK)
		goto out;
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
		if (in_transaction(st))
			sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
		sqlite3_close_v2(st->db);
	}
	free(st->path);
	free(st);
}

int
pki_store_begin(struct pki_store *st, struct pki_error *err)
{
	if (in_transaction(st))
		return pki_error_set(err, PKI_E_INVALID, "pki_store_begin: a "
				     "transaction is already open");
	return exec_sql(st, "BEGIN IMMEDIATE", err);
}

int
pki_store_commit(struct pki_store *st, struct pki_error *err)
{
	if (!in_transaction(st))
		return pki_error_set(err, PKI_E_INVALID, "pki_store_commit: "
				     "no transaction is open");
	return exec_sql(st, "COMMIT", err);
}

void
pki_store_rollback(struct pki_store *st)
{
	if (st != NULL && in_transaction(st))
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
}

int
pki_store_schema_version(struct pki_store *st)
{
	return st->version;
}

/* ------------------------------------------------------------------ */
/* serials                                                              */

int
pki_store_serial_canon(const char *in, char *out, size_t outlen,
		       struct pki_error *err)
{
	char digits[2 * PKI_STORE_SERIAL_MAX + 2];
	size_t n = 0, i = 0;
	int any = 0;
	const char *p;

	if (in == NULL || outlen < SERIAL_HEX_MAX)
		return pki_error_set(err, PKI_E_INVALID, "no serial given");
	for (p = in; *p != '\0'; p++) {
		if (*p == ':')
			continue;
		if (!isxdigit((unsigned char)*p))
			return pki_error_set(err, PKI_E_INVALID,
					     "\"%.80s\" is not a serial number:"
					     " give it in hex, as openssl "
					     "x509 -serial prints it", in);
		any = 1;
		if (n == 0 && *p == '0')
			continue;
		if (n >= 2 * PKI_STORE_SERIAL_MAX)
			return pki_error_set(err, PKI_E_INVALID,
					     "serial \"%.80s\" is longer than "
					     "%d octets", in,
					     PKI_STORE_SERIAL_MAX);
		digits[n++] = (char)toupper((unsigned char)*p);
	}
	if (!any)
		return pki_error_set(err, PKI_E_INVALID,
				     "\"%.80s\" is not a serial number: give "
				     "it in hex", in);
	if (n == 0)
		digits[n++] = '0';
	if (n % 2 == 1)
		out[i++] = '0';
	memcpy(out + i, digits, n);
	out[i + n] = '\0';
	return PKI_OK;
}

/* ------------------------------------------------------------------ */
/* CAs                                                                  */

static const char *const ca_status_names[PKI_CA__MAX] = {
	[PKI_CA_ACTIVE] = "active",
	[PKI_CA_PENDING] = "pending",
	[PKI_CA_REVOKED] = "revoked",
};

void
pki_ca_record_clear(struct pki_ca_record *r)
{
	if (r == NULL)
		return;
	free(r->name);
	free(r->role);
	free(r->mode);
	free(r->algorithm);
	free(r->key_uri);
	free(r->subject);
	free(r->serial);
	gnutls_free(r->cert_der.data);
	gnutls_free(r->csr_der.data);
	free(r->spec_hash);
	free(r->config_json);
	memset(r, 0, sizeof(*r));
}

void
pki_ca_records_free(struct pki_ca_record *v, size_t n)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		pki_ca_record_clear(&v[i]);
	free(v);
}

#define CA_COLS "id, name, parent_id, role, mode, algorithm, key_uri, " \
	"key_online, subject, serial, not_before, not_after, cert_der, " \
	"csr_der, spec_hash, config_json, status, created_at"

static int
read_ca(sqlite3_stmt *s, struct pki_ca_record *r)
{
	const unsigned char *status;
	int i;

	memset(r, 0, sizeof(*r));
	r->id = sqlite3_column_int64(s, 0);
	r->parent_id = sqlite3_column_int64(s, 2);
	r->key_online = sqlite3_column_int(s, 7);
	r->not_before = sqlite3_column_int64(s, 10);
	r->not_after = sqlite3_column_int64(s, 11);
	r->created_at = sqlite3_column_int64(s, 17);
	status = sqlite3_column_text(s, 16);
	r->status = PKI_CA_ACTIVE;
	for (i = 0; i < PKI_CA__MAX; i++)
		if (status != NULL &&
		    strcmp((const char *)status, ca_status_names[i]) == 0)
			r->status = (enum pki_ca_status)i;
	if (col_str(s, 1, 0, &r->name) || col_str(s, 3, 0, &r->role) ||
	    col_str(s, 4, 0, &r->mode) || col_str(s, 5, 0, &r->algorithm) ||
	    col_str(s, 6, 0, &r->key_uri) || col_str(s, 8, 0, &r->subject) ||
	    col_str(s, 9, 0, &r->serial) ||
	    col_blob(s, 12, &r->cert_der) || col_blob(s, 13, &r->csr_der) ||
	    col_str(s, 14, 0, &r->spec_hash) ||
	    col_str(s, 15, 0, &r->config_json)) {
		pki_ca_record_clear(r);
		return PKI_E_NOMEM;
	}
	return PKI_OK;
}

static int insert_cert_row(struct pki_store *st, struct pki_cert_record *r,
			   struct pki_error *err);

/* Record the certificate of CA id (cert, serial, validity given). */
static int
insert_ca_cert(struct pki_store *st, int64_t id, int64_t parent_id,
	       const char *role, const char *subject, const char *serial,
	       int64_t not_before, int64_t not_after,
	       const gnutls_datum_t *der, struct pki_error *err)
{
	struct pki_cert_record c;
	int rc;

	memset(&c, 0, sizeof(c));
	c.issuer_ca_id = parent_id != 0 ? parent_id :
			 (role != NULL && strcmp(role, "root") == 0) ? id : 0;
	c.ca_id = id;
	c.subject = (char *)subject;
	c.profile = (char *)(role != NULL && strcmp(role, "root") == 0 ?
			     "root-ca" : "sub-ca");
	c.not_before = not_before;
	c.not_after = not_after;
	c.der = *der;
	c.serial = strdup(serial);
	if (c.serial == NULL)
		return pki_error_set(err, PKI_E_NOMEM, "out of memory");
	rc = insert_cert_row(st, &c, err);
	free(c.serial);
	free(c.sha256);
	return rc;
}

int
pki_store_ca_insert(struct pki_store *st, struct pki_ca_record *r,
		    struct pki_error *err)
{
	static const char sql[] =
		"INSERT INTO cas (name, parent_id, role, mode, algorithm, "
		"key_uri, key_online, subject, serial, not_before, not_after, "
		"cert_der, csr_der, spec_hash, config_json, status, created_at)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, "
		"?13, ?14, ?15, ?16, ?17)";
	sqlite3_stmt *s = NULL;
	char serial[SERIAL_HEX_MAX], *dup = NULL;
	int rc = PKI_E_FAIL, own = 0, began = 0, has_cert;

	if (r->name == NULL || *r->name == '\0' || r->role == NULL ||
	    r->mode == NULL || r->algorithm == NULL || r->key_uri == NULL ||
	    r->subject == NULL || (unsigned)r->status >= PKI_CA__MAX)
		return pki_error_set(err, PKI_E_INVALID, "recording a CA: "
				     "name, role, mode, algorithm, key URI, "
				     "subject and status are required");
	has_cert = r->cert_der.data != NULL && r->cert_der.size > 0;
	serial[0] = '\0';
	if (has_cert || (r->serial != NULL && *r->serial != '\0')) {
		rc = pki_store_serial_canon(r->serial, serial, sizeof(serial),
					    err);
		if (rc != PKI_OK) {
			pki_error_prefix(err, "CA \"%s\"", r->name);
			return rc;
		}
	}
	if (r->created_at == 0)
		r->created_at = pki_now();
	if ((rc = op_begin(st, &own, err)) != PKI_OK)
		return rc;
	began = 1;
	if ((rc = prep(st, sql, &s, err)) != PKI_OK)
		goto out;
	if (bind_text(s, 1, r->name) || bind_id(s, 2, r->parent_id) ||
	    bind_text(s, 3, r->role) || bind_text(s, 4, r->mode) ||
	    bind_text(s, 5, r->algorithm) || bind_text(s, 6, r->key_uri) ||
	    sqlite3_bind_int(s, 7, r->key_online ? 1 : 0) ||
	    bind_text(s, 8, r->subject) || bind_text(s, 9, serial) ||
	    sqlite3_bind_int64(s, 10, r->not_before) ||
	    sqlite3_bind_int64(s, 11, r->not_after) ||
	    bind_blob(s, 12, &r->cert_der) || bind_blob(s, 13, &r->csr_der) ||
	    bind_text(s, 14, r->spec_hash ? r->spec_hash : "") ||
	    bind_text(s, 15, r->config_json ? r->config_json : "{}") ||
	    bind_text(s, 16, ca_status_names[r->status]) ||
	    sqlite3_bind_int64(s, 17, r->created_at)) {
		rc = db_err(st, err, "recording a CA");
		goto out;
	}
	if (sqlite3_step(s) != SQLITE_DONE) {
		int x = sqlite3_extended_errcode(st->db);

		if (x == SQLITE_CONSTRAINT_UNIQUE)
			rc = pki_error_set(err, PKI_E_EXISTS, "a CA named "
					   "\"%s\" already exists", r->name);
		else if (x == SQLITE_CONSTRAINT_FOREIGNKEY)
			rc = pki_error_set(err, PKI_E_NOTFOUND, "CA \"%s\": "
					   "parent CA #%lld does not exist",
					   r->name, (long long)r->parent_id);
		else
			rc = db_err(st, err, "recording a CA");
		goto out;
	}
	r->id = sqlite3_last_insert_rowid(st->db);
	if (has_cert) {
		rc = insert_ca_cert(st, r->id, r->parent_id, r->role,
				    r->subject, serial, r->not_before,
				    r->not_after, &r->cert_der, err);
		if (rc != PKI_OK) {
			pki_error_prefix(err, "CA \"%s\"", r->name);
			goto out;
		}
	}
	if (serial[0] != '\0' && (r->serial == NULL ||
				  strcmp(serial, r->serial) != 0)) {
		if ((dup = strdup(serial)) == NULL) {
			rc = pki_error_set(err, PKI_E_NOMEM, "out of memory");
			goto out;
		}
	}
	rc = PKI_OK;
out:
	sqlite3_finalize(s);
	if (began)
		rc = op_end(st, own, rc, err);
	if (rc == PKI_OK && dup != NULL) {
		free(r->serial);
		r->serial = dup;
		dup = NULL;
	}
	if (rc != PKI_OK)
		r->id = 0;
	free(dup);
	return rc;
}

static int
ca_get_by(struct pki_store *st, const char *sql, const char *name, int64_t id,
	  struct pki_ca_record *out, struct pki_error *err)
{
	sqlite3_stmt *s = NULL;
	int rc, step;

	memset(out, 0, sizeof(*out));
	if ((rc = prep(st, sql, &s, err)) != PKI_OK)
		return rc;
	if ((name != NULL ? bind_text(s, 1, name) :
	     sqlite3_bind_int64(s, 1, id)) != SQLITE_OK) {
		rc = db_err(st, err, "looking up a CA");
		goto out;
	}
	step = sqlite3_step(s);
	if (step == SQLITE_DONE) {
		if (name != NULL)
			rc = pki_error_set(err, PKI_E_NOTFOUND, "no CA named "
					   "\"%s\" (spork pki status lists "
					   "them)", name);
		else
			rc = pki_error_set(err, PKI_E_NOTFOUND, "no CA with id "
					   "%lld", (long long)id);
		goto out;
	}
	if (step != SQLITE_ROW) {
		rc = db_err(st, err, "looking up a CA");
		goto out;
	}
	if (read_ca(s, out) != PKI_OK)
		rc = pki_error_set(err, PKI_E_NOMEM, "out of memory");
	else
		rc = PKI_OK;
out:
	sqlite3_finalize(s);
	return rc;
}

int
pki_store_ca_get(struct pki_store *st, const char *name,
		 struct pki_ca_record *out, struct pki_error *err)
{
	if (name == NULL)
		name = "";
	return ca_get_by(st, "SELECT " CA_COLS " FROM cas WHERE name = ?1",
			 name, 0, out, err);
}

int
pki_store_ca_get_id(struct pki_store *st, int64_t id,
		    struct pki_ca_record *out, struct pki_error *err)
{
	return ca_get_by(st, "SELECT " CA_COLS " FROM cas WHERE id = ?1",
			 NULL, id, out, err);
}

int
pki_store_ca_list(struct pki_store *st, struct pki_ca_record **out,
		  size_t *n, struct pki_error *err)
{
	sqlite3_stmt *s = NULL;
	struct pki_ca_record *v = NULL, *nv;
	size_t cnt = 0, cap = 0;
	int rc, step;

	*out = NULL;
	*n = 0;
	if ((rc = prep(st, "SELECT " CA_COLS " FROM cas ORDER BY id", &s,
		       err)) != PKI_OK)
		return rc;
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		if (cnt == cap) {
			cap = cap ? cap * 2 : 8;
			nv = realloc(v, cap * sizeof(*v));
			if (nv == NULL) {
				rc = pki_error_set(err, PKI_E_NOMEM,
						   "out of memory");
				goto out;
			}
			v = nv;
		}
		if (read_ca(s, &v[cnt]) != PKI_OK) {
			rc = pki_error_set(err, PKI_E_NOMEM, "out of memory");
			goto out;
		}
		cnt++;
	}
	if (step != SQLITE_DONE) {
		rc = db_err(st, err, "listing CAs");
		goto out;
	}
	*out = v;
	*n = cnt;
	v = NULL;
	cnt = 0;
	rc = PKI_OK;
out:
	sqlite3_finalize(s);
	pki_ca_records_free(v, cnt);
	return rc;
}

int
pki_store_ca_set_cert(struct pki_store *st, int64_t id,
		      const gnutls_datum_t *cert_der, const char *serial,
		      int64_t not_before, int64_t not_after,
		      struct pki_error *err)
{
	struct pki_ca_record ca;
	sqlite3_stmt *s = NULL;
	char canon[SERIAL_HEX_MAX];
	int rc, own = 0, began = 0;

	memset(&ca, 0, sizeof(ca));
	if (cert_der == NULL || cert_der->data == NULL || cert_der->size == 0)
		return pki_error_set(err, PKI_E_INVALID, "completing CA #%lld:"
				     " no certificate given", (long long)id);
	if ((rc = pki_store_serial_canon(serial, canon, sizeof(canon), err)) !=
	    PKI_OK)
		return rc;
	if ((rc = op_begin(st, &own, err)) != PKI_OK)
		return rc;
	began = 1;
	if ((rc = pki_store_ca_get_id(st, id, &ca, err)) != PKI_OK)
		goto out;
	if (ca.status != PKI_CA_PENDING) {
		rc = pki_error_set(err, PKI_E_INVALID, "CA \"%s\" is not "
				   "waiting for a certificate (it is %s)",
				   ca.name, ca_status_names[ca.status]);
		goto out;
	}
	rc = prep(st, "UPDATE cas SET cert_der = ?1, serial = ?2, "
		  "not_before = ?3, not_after = ?4, status = 'active' "
		  "WHERE id = ?5", &s, err);
	if (rc != PKI_OK)
		goto out;
	if (bind_blob(s, 1, cert_der) || bind_text(s, 2, canon) ||
	    sqlite3_bind_int64(s, 3, not_before) ||
	    sqlite3_bind_int64(s, 4, not_after) ||
	    sqlite3_bind_int64(s, 5, id) || sqlite3_step(s) != SQLITE_DONE) {
		rc = db_err(st, err, "recording a CA certificate");
		goto out;
	}
	rc = insert_ca_cert(st, id, ca.parent_id, ca.role, ca.subject, canon,
			    not_before, not_after, cert_der, err);
	if (rc != PKI_OK)
		pki_error_prefix(err, "CA \"%s\"", ca.name);
out:
	sqlite3_finalize(s);
	if (began)
		rc = op_end(st, own, rc, err);
	pki_ca_record_clear(&ca);
	return rc;
}

/* ------------------------------------------------------------------ */
/* certificates                                                         */

static const char *const cert_status_names[PKI_CERT__MAX] = {
	[PKI_CERT_ANY] = "any",
	[PKI_CERT_VALID] = "valid",
	[PKI_CERT_REVOKED] = "revoked",
	[PKI_CERT_EXPIRED] = "expired",
};

const char *
pki_cert_status_name(enum pki_cert_status s)
{
	if ((unsigned)s >= PKI_CERT__MAX)
		return "unknown";
	return cert_status_names[s];
}

void
pki_cert_record_clear(struct pki_cert_record *r)
{
	if (r == NULL)
		return;
	free(r->serial);
	free(r->subject);
	free(r->sans);
	free(r->profile);
	gnutls_free(r->der.data);
	free(r->sha256);
	free(r->source);
	free(r->requester);
	free(r->issuer_name);
	memset(r, 0, sizeof(*r));
}

void
pki_cert_records_free(struct pki_cert_record *v, size_t n)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		pki_cert_record_clear(&v[i]);
	free(v);
}

enum pki_cert_status
pki_cert_record_status(const struct pki_cert_record *r, int64_t now)
{
	if (r->revoked)
		return PKI_CERT_REVOKED;
	if (r->not_after < now)
		return PKI_CERT_EXPIRED;
	return PKI_CERT_VALID;
}

static int
insert_cert_row(struct pki_store *st, struct pki_cert_record *r,
		struct pki_error *err)
{
	static const char sql[] =
		"INSERT INTO certificates (issuer_ca_id, serial, subject, "
		"sans, profile, not_before, not_after, der, sha256, "
		"renewal_of, source, requester, ca_id, created_at) VALUES "
		"(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)";
	sqlite3_stmt *s = NULL;
	char serial[SERIAL_HEX_MAX], fp[65], who[160];
	char *nserial = NULL, *nfp = NULL;
	int64_t created = r->created_at ? r->created_at : pki_now();
	int rc;

	if (r->der.data == NULL || r->der.size == 0 || r->subject == NULL ||
	    r->profile == NULL || *r->profile == '\0')
		return pki_error_set(err, PKI_E_INVALID, "recording a "
				     "certificate: DER, subject and profile "
				     "are required");
	if (r->issuer_ca_id == 0 && r->ca_id == 0)
		return pki_error_set(err, PKI_E_INVALID, "recording a "
				     "certificate: the issuing CA is "
				     "required");
	if (r->not_before > r->not_after)
		return pki_error_set(err, PKI_E_INVALID, "recording a "
				     "certificate: notBefore is after "
				     "notAfter");
	if ((rc = pki_store_serial_canon(r->serial, serial, sizeof(serial),
					 err)) != PKI_OK)
		return rc;
	sha256_hex(&r->der, fp);
	if ((nserial = strdup(serial)) == NULL || (nfp = strdup(fp)) == NULL) {
		rc = pki_error_set(err, PKI_E_NOMEM, "out of memory");
		goto out;
	}
	if ((rc = prep(st, sql, &s, err)) != PKI_OK)
		goto out;
	if (bind_id(s, 1, r->issuer_ca_id) || bind_text(s, 2, serial) ||
	    bind_text(s, 3, r->subject) ||
	    bind_text(s, 4, r->sans ? r->sans : "") ||
	    bind_text(s, 5, r->profile) ||
	    sqlite3_bind_int64(s, 6, r->not_before) ||
	    sqlite3_bind_int64(s, 7, r->not_after) ||
	    bind_blob(s, 8, &r->der) || bind_text(s, 9, fp) ||
	    bind_id(s, 10, r->renewal_of) ||
	    bind_text(s, 11, r->source && *r->source ? r->source : "cli") ||
	    bind_text(s, 12, r->requester && *r->requester ? r->requester :
		      pki_store_actor()) ||
	    bind_id(s, 13, r->ca_id) || sqlite3_bind_int64(s, 14, created)) {
		rc = db_err(st, err, "recording a certificate");
		goto out;
	}
	if (sqlite3_step(s) != SQLITE_DONE) {
		int x = sqlite3_extended_errcode(st->db);

		ca_label(st, r->issuer_ca_id, who, sizeof(who));
		if (x == SQLITE_CONSTRAINT_UNIQUE &&
		    strstr(sqlite3_errmsg(st->db), "sha256") != NULL)
			rc = pki_error_set(err, PKI_E_EXISTS, "this "
					   "certificate (SHA-256 %s) is "
					   "already recorded", fp);
		else if (x == SQLITE_CONSTRAINT_UNIQUE)
			rc = pki_error_set(err, PKI_E_EXISTS, "serial %s was "
					   "already used by %s: serials are "
					   "never reused", serial, who);
		else if (x == SQLITE_CONSTRAINT_FOREIGNKEY)
			rc = pki_error_set(err, PKI_E_NOTFOUND, "recording "
					   "certificate %s: the issuing CA, "
					   "CA or renewed certificate it "
					   "names does not exist", serial);
		else
			rc = db_err(st, err, "recording a certificate");
		goto out;
	}
	r->id = sqlite3_last_insert_rowid(st->db);
	r->created_at = created;
	free(r->serial);
	r->serial = nserial;
	nserial = NULL;
	free(r->sha256);
	r->sha256 = nfp;
	nfp = NULL;
	rc = PKI_OK;
out:
	sqlite3_finalize(s);
	free(nserial);
	free(nfp);
	return rc;
}

int
pki_store_cert_insert(struct pki_store *st, struct pki_cert_record *r,
		      struct pki_error *err)
{
	return insert_cert_row(st, r, err);
}

#define CERT_SELECT_HEAD \
	"SELECT c.id, c.issuer_ca_id, c.serial, c.subject, c.sans, " \
	"c.profile, c.not_before, c.not_after, "
#define CERT_SELECT_TAIL \
	", c.sha256, c.renewal_of, c.source, c.requester, c.ca_id, " \
	"c.created_at, r.cert_id IS NOT NULL, r.revoked_at, r.reason, " \
	"r.invalidity_date, r.recorded_at, " \
	"(SELECT min(l.crl_number) FROM crls l WHERE " \
	"l.ca_id = r.issuer_ca_id AND l.revocation_seq >= r.event_id), " \
	"a.name FROM certificates c " \
	"LEFT JOIN revocations r ON r.cert_id = c.id " \
	"LEFT JOIN cas a ON a.id = c.issuer_ca_id"
#define CERT_SELECT CERT_SELECT_HEAD "c.der" CERT_SELECT_TAIL

static int
read_cert(sqlite3_stmt *s, struct pki_cert_record *r)
{
	memset(r, 0, sizeof(*r));
	r->id = sqlite3_column_int64(s, 0);
	r->issuer_ca_id = sqlite3_column_int64(s, 1);
	r->not_before = sqlite3_column_int64(s, 6);
	r->not_after = sqlite3_column_int64(s, 7);
	r->renewal_of = sqlite3_column_int64(s, 10);
	r->ca_id = sqlite3_column_int64(s, 13);
	r->created_at = sqlite3_column_int64(s, 14);
	r->revoked = sqlite3_column_int(s, 15);
	r->revoked_at = sqlite3_column_int64(s, 16);
	r->reason = sqlite3_column_int(s, 17);
	r->invalidity_date = sqlite3_column_int64(s, 18);
	r->revocation_recorded_at = sqlite3_column_int64(s, 19);
	r->first_crl_number = sqlite3_column_int64(s, 20);
	if (col_str(s, 2, 0, &r->serial) || col_str(s, 3, 0, &r->subject) ||
	    col_str(s, 4, 0, &r->sans) || col_str(s, 5, 0, &r->profile) ||
	    col_blob(s, 8, &r->der) || col_str(s, 9, 0, &r->sha256) ||
	    col_str(s, 11, 0, &r->source) ||
	    col_str(s, 12, 0, &r->requester) ||
	    col_str(s, 21, 1, &r->issuer_name)) {
		pki_cert_record_clear(r);
		return PKI_E_NOMEM;
	}
	return PKI_OK;
}

/* Run a certificate query expected to give one row. */
static int
cert_get_one(struct pki_store *st, sqlite3_stmt *s, const char *what,
	     struct pki_cert_record *out, struct pki_error *err)
{
	int step = sqlite3_step(s);

	if (step == SQLITE_DONE)
		return pki_error_set(err, PKI_E_NOTFOUND, "no certificate %s",
				     what);
	if (step != SQLITE_ROW)
		return db_err(st, err, "looking up a certificate");
	if (read_cert(s, out) != PKI_OK)
		return pki_error_set(err, PKI_E_NOMEM, "out of memory");
	return PKI_OK;
}

int
pki_store_cert_get(struct pki_store *st, int64_t issuer_ca_id,
		   const char *serial, struct pki_cert_record *out,
		   struct pki_error *err)
{
	sqlite3_stmt *s = NULL;
	char canon[SERIAL_HEX_MAX], what[512], who[160];
	char names[512];
	int rc, step, found = 0;
	size_t len;

	memset(out, 0, sizeof(*out));
	if ((rc = pki_store_serial_canon(serial, canon, sizeof(canon), err)) !=
	    PKI_OK)
		return rc;
	if (issuer_ca_id != 0) {
		ca_label(st, issuer_ca_id, who, sizeof(who));
		snprintf(what, sizeof(what), "with serial %s issued by %s",
			 canon, who);
		rc = prep(st, CERT_SELECT " WHERE c.issuer_ca_id = ?1 AND "
			  "c.serial = ?2", &s, err);
		if (rc != PKI_OK)
			goto out;
		if (sqlite3_bind_int64(s, 1, issuer_ca_id) ||
		    bind_text(s, 2, canon)) {
			rc = db_err(st, err, "looking up a certificate");
			goto out;
		}
		rc = cert_get_one(st, s, what, out, err);
		goto out;
	}
	/* any issuer: the serial must name one certificate */
	rc = prep(st, "SELECT coalesce(a.name, '(external)') FROM "
		  "certificates c LEFT JOIN cas a ON a.id = c.issuer_ca_id "
		  "WHERE c.serial = ?1 ORDER BY c.id", &s, err);
	if (rc != PKI_OK)
		goto out;
	if (bind_text(s, 1, canon)) {
		rc = db_err(st, err, "looking up a certificate");
		goto out;
	}
	names[0] = '\0';
	len = 0;
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		snprintf(names + len, sizeof(names) - len, "%s\"%s\"",
			 len ? ", " : "", sqlite3_column_text(s, 0));
		len = strlen(names);
		found++;
	}
	if (step != SQLITE_DONE) {
		rc = db_err(st, err, "looking up a certificate");
		goto out;
	}
	if (found > 1) {
		rc = pki_error_set(err, PKI_E_CONFLICT, "serial %s was issued "
				   "by more than one CA (%s): name the CA "
				   "with --ca", canon, names);
		goto out;
	}
	sqlite3_finalize(s);
	s = NULL;
	snprintf(what, sizeof(what), "with serial %s", canon);
	rc = prep(st, CERT_SELECT " WHERE c.serial = ?1", &s, err);
	if (rc != PKI_OK)
		goto out;
	if (bind_text(s, 1, canon)) {
		rc = db_err(st, err, "looking up a certificate");
		goto out;
	}
	rc = cert_get_one(st, s, what, out, err);
out:
	sqlite3_finalize(s);
	return rc;
}

int
pki_store_cert_get_id(struct pki_store *st, int64_t id,
		      struct pki_cert_record *out, struct pki_error *err)
{
	sqlite3_stmt *s = NULL;
	char what[64];
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = prep(st, CERT_SELECT " WHERE c.id = ?1", &s, err)) != PKI_OK)
		return rc;
	snprintf(what, sizeof(what), "with id %lld", (long long)id);
	if (sqlite3_bind_int64(s, 1, id))
		rc = db_err(st, err, "looking up a certificate");
	else
		rc = cert_get_one(st, s, what, out, err);
	sqlite3_finalize(s);
	return rc;
}

int
pki_store_cert_get_sha256(struct pki_store *st, const char *sha256_hex,
			  struct pki_cert_record *out, struct pki_error *err)
{
	sqlite3_stmt *s = NULL;
	unsigned char dig[SHA256_DIGEST_SIZE];
	char fp[65], what[128];
	int rc;

	memset(out, 0, sizeof(*out));
	if (sha256_hex == NULL ||
	    pki__unhex(sha256_hex, dig, sizeof(dig)) != (long)sizeof(dig))
		return pki_error_set(err, PKI_E_INVALID, "\"%.100s\" is not a "
				     "SHA-256 fingerprint (64 hex digits)",
				     sha256_hex ? sha256_hex : "");
	pki__hex(dig, sizeof(dig), fp);
	if ((rc = prep(st, CERT_SELECT " WHERE c.sha256 = ?1", &s, err)) !=
	    PKI_OK)
		return rc;
	snprintf(what, sizeof(what), "with SHA-256 fingerprint %s", fp);
	if (bind_text(s, 1, fp))
		rc = db_err(st, err, "looking up a certificate");
	else
		rc = cert_get_one(st, s, what, out, err);
	sqlite3_finalize(s);
	return rc;
}

/* Does glob match the DN string or one of its attribute values? */
static int
dn_matches(const char *glob, const char *dn)
{
	char val[1024];
	const char *p = dn;
	size_t n;
	int in_value;

	if (fnmatch(glob, dn, FNM_CASEFOLD) == 0)
		return 1;
	while (*p != '\0') {
		n = 0;
		in_value = 0;
		for (; *p != '\0' && *p != ',' && *p != '+'; p++) {
			char c = *p;

			if (c == '\\' && p[1] != '\0') {
				if (isxdigit((unsigned char)p[1]) &&
				    isxdigit((unsigned char)p[2])) {
					unsigned v;

					sscanf(p + 1, "%2x", &v);
					c = (char)v;
					p += 2;
				} else {
					c = *++p;
				}
			} else if (c == '=' && !in_value) {
				in_value = 1;
				continue;
			}
			if (in_value && n + 1 < sizeof(val))
				val[n++] = c;
		}
		val[n] = '\0';
		if (in_value && fnmatch(glob, val, FNM_CASEFOLD) == 0)
			return 1;
		if (*p != '\0')
			p++;
	}
	return 0;
}

/* Does glob match one SAN line, with or without its "type:" prefix? */
static int
sans_match(const char *glob, const char *sans)
{
	char line[1024];
	const char *p = sans, *e, *colon;
	size_t n;

	while (p != NULL && *p != '\0') {
		e = strchr(p, '\n');
		n = e ? (size_t)(e - p) : strlen(p);
		if (n >= sizeof(line))
			n = sizeof(line) - 1;
		memcpy(line, p, n);
		line[n] = '\0';
		colon = strchr(line, ':');
		if (fnmatch(glob, line, FNM_CASEFOLD) == 0 ||
		    (colon && fnmatch(glob, colon + 1, FNM_CASEFOLD) == 0))
			return 1;
		p = e ? e + 1 : NULL;
	}
	return 0;
}

int
pki_store_cert_foreach(struct pki_store *st, const struct pki_cert_filter *f,
		       pki_cert_fn cb, void *ctx, struct pki_error *err)
{
	static const struct pki_cert_filter none;
	char sql[2048];
	sqlite3_stmt *s = NULL;
	struct pki_cert_record r;
	int64_t now;
	size_t count = 0;
	int rc, step, idx;

	memset(&r, 0, sizeof(r));
	if (f == NULL)
		f = &none;
	if ((unsigned)f->status >= PKI_CERT__MAX || f->expiring_within < 0)
		return pki_error_set(err, PKI_E_INVALID, "listing "
				     "certificates: bad filter");
	now = f->now ? f->now : pki_now();
	/* Only constant fragments go into the SQL text; values are bound. */
	snprintf(sql, sizeof(sql), "%s%s%s WHERE 1 = 1%s%s%s%s ORDER BY c.id%s",
		 CERT_SELECT_HEAD, f->with_der ? "c.der" : "NULL",
		 CERT_SELECT_TAIL,
		 f->issuer_ca_id ? " AND c.issuer_ca_id = :issuer" : "",
		 f->status == PKI_CERT_VALID ?
			" AND r.cert_id IS NULL AND c.not_after >= :now" :
		 f->status == PKI_CERT_REVOKED ? " AND r.cert_id IS NOT NULL" :
		 f->status == PKI_CERT_EXPIRED ?
			" AND r.cert_id IS NULL AND c.not_after < :now" : "",
		 f->expiring_within ?
			" AND c.not_after >= :now AND c.not_after <= :soon" :
			"",
		 f->profile ? " AND c.profile = :profile" : "",
		 f->limit && f->name_glob == NULL ? " LIMIT :limit" : "");
	if ((rc = prep(st, sql, &s, err)) != PKI_OK)
		return rc;
	rc = SQLITE_OK;
	if ((idx = sqlite3_bind_parameter_index(s, ":issuer")) > 0)
		rc |= sqlite3_bind_int64(s, idx, f->issuer_ca_id);
	if ((idx = sqlite3_bind_parameter_index(s, ":now")) > 0)
		rc |= sqlite3_bind_int64(s, idx, now);
	if ((idx = sqlite3_bind_parameter_index(s, ":soon")) > 0)
		rc |= sqlite3_bind_int64(s, idx,
					 f->expiring_within > INT64_MAX - now ?
					 INT64_MAX : now + f->expiring_within);
	if ((idx = sqlite3_bind_parameter_index(s, ":profile")) > 0)
		rc |= bind_text(s, idx, f->profile);
	if ((idx = sqlite3_bind_parameter_index(s, ":limit")) > 0)
		rc |= sqlite3_bind_int64(s, idx, f->limit > INT64_MAX ?
					 INT64_MAX : (int64_t)f->limit);
	if (rc != SQLITE_OK) {
		rc = db_err(st, err, "listing certificates");
		goto out;
	}
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		if (f->name_glob != NULL) {
			const char *subj = (const char *)sqlite3_column_text(s, 3);
			const char *sans = (const char *)sqlite3_column_text(s, 4);

			if (!dn_matches(f->name_glob, subj ? subj : "") &&
			    !sans_match(f->name_glob, sans ? sans : ""))
				continue;
		}
		if (read_cert(s, &r) != PKI_OK) {
			rc = pki_error_set(err, PKI_E_NOMEM, "out of memory");
			goto out;
		}
		rc = cb(ctx, &r);
		pki_cert_record_clear(&r);
		if (rc != 0)
			goto out;
		if (f->limit && ++count >= f->limit)
			break;
	}
	if (step != SQLITE_ROW && step != SQLITE_DONE) {
		rc = db_err(st, err, "listing certificates");
		goto out;
	}
	rc = PKI_OK;
out:
	sqlite3_finalize(s);
	return rc;
}

struct cert_vec {
	struct pki_cert_record *v;
	size_t n, cap;
};

static int
collect_cert(void *ctx, const struct pki_cert_record *r)
{
	struct cert_vec *cv = ctx;
	struct pki_cert_record *nv, *d;

	if (cv->n == cv->cap) {
		size_t cap = cv->cap ? cv->cap * 2 : 16;

		if ((nv = realloc(cv->v, cap * sizeof(*nv))) == NULL)
			return PKI_E_NOMEM;
		cv->v = nv;
		cv->cap = cap;
	}
	d = &cv->v[cv->n];
	*d = *r;
	d->serial = strdup(r->serial);
	d->subject = strdup(r->subject);
	d->sans = strdup(r->sans);
	d->profile = strdup(r->profile);
	d->sha256 = strdup(r->sha256);
	d->source = strdup(r->source);
	d->requester = strdup(r->requester);
	d->issuer_name = pki__strdup(r->issuer_name);
	d->der.data = NULL;
	d->der.size = 0;
	if (r->der.size > 0 && (d->der.data = gnutls_malloc(r->der.size)) != NULL) {
		memcpy(d->der.data, r->der.data, r->der.size);
		d->der.size = r->der.size;
	}
	cv->n++;
	if (!d->serial || !d->subject || !d->sans || !d->profile ||
	    !d->sha256 || !d->source || !d->requester ||
	    (r->issuer_name && !d->issuer_name) ||
	    (r->der.size > 0 && d->der.data == NULL))
		return PKI_E_NOMEM;
	return 0;
}

int
pki_store_cert_list(struct pki_store *st, const struct pki_cert_filter *f,
		    struct pki_cert_record **out, size_t *n,
		    struct pki_error *err)
{
	struct cert_vec cv = { NULL, 0, 0 };
	int rc;

	*out = NULL;
	*n = 0;
	rc = pki_store_cert_foreach(st, f, collect_cert, &cv, err);
	if (rc == PKI_E_NOMEM)
		pki_error_set(err, rc, "listing certificates: out of memory");
	if (rc != PKI_OK) {
		pki_cert_records_free(cv.v, cv.n);
		return rc;
	}
	*out = cv.v;
	*n = cv.n;
	return PKI_OK;
}

/* ------------------------------------------------------------------ */
/* revocations                                                          */

static const char *const reason_names[11] = {
	"unspecified", "keyCompromise", "cACompromise", "affiliationChanged",
	"superseded", "cessationOfOperation", "certificateHold", NULL,
	"removeFromCRL", "privilegeWithdrawn", "aACompromise",
};

const char *
pki_store_reason_name(int reason)
{
	if (reason < 0 || reason > 10)
		return NULL;
	return reason_names[reason];
}

int
pki_store_cert_revoke(struct pki_store *st, int64_t cert_id, int reason,
		      int64_t revoked_at, int64_t invalidity_date,
		      struct pki_error *err)
{
	sqlite3_stmt *s = NULL;
	char serial[SERIAL_HEX_MAX], when[32];
	int64_t issuer, ca_id, ev, now = pki_now();
	int rc, own = 0, began = 0, step;

	if (reason < 0 || reason > 10 || reason == 7 || reason == 8)
		return pki_error_set(err, PKI_E_INVALID, "%d is not a "
				     "revocation reason (RFC 5280: 0-6, 9, 10;"
				     " removeFromCRL(8) only appears in delta "
				     "CRLs)", reason);
	if (revoked_at == 0)
		revoked_at = now;
	if (invalidity_date < 0 || invalidity_date > revoked_at)
		return pki_error_set(err, PKI_E_INVALID, "the invalidity date "
				     "must not be after the revocation time");
	if ((rc = op_begin(st, &own, err)) != PKI_OK)
		return rc;
	began = 1;
	rc = prep(st, "SELECT c.issuer_ca_id, c.serial, c.ca_id, "
		  "r.cert_id IS NOT NULL, r.revoked_at, r.reason "
		  "FROM certificates c LEFT JOIN revocations r "
		  "ON r.cert_id = c.id WHERE c.id = ?1", &s, err);
	if (rc != PKI_OK)
		goto out;
	if (sqlite3_bind_int64(s, 1, cert_id)) {
		rc = db_err(st, err, "revoking a certificate");
		goto out;
	}
	step = sqlite3_step(s);
	if (step == SQLITE_DONE) {
		rc = pki_error_set(err, PKI_E_NOTFOUND, "no certificate with "
				   "id %lld", (long long)cert_id);
		goto out;
	}
	if (step != SQLITE_ROW) {
		rc = db_err(st, err, "revoking a certificate");
		goto out;
	}
	issuer = sqlite3_column_int64(s, 0);
	snprintf(serial, sizeof(serial), "%s", sqlite3_column_text(s, 1));
	ca_id = sqlite3_column_int64(s, 2);
	if (sqlite3_column_int(s, 3)) {
		const char *why = pki_store_reason_name(sqlite3_column_int(s, 5));

		time_str(sqlite3_column_int64(s, 4), when, sizeof(when));
		rc = pki_error_set(err, PKI_E_EXISTS, "certificate %s was "
				   "already revoked on %s (reason %s)", serial,
				   when, why ? why : "unknown");
		goto out;
	}
	if (issuer == 0) {
		rc = pki_error_set(err, PKI_E_INVALID, "certificate %s was "
				   "issued by an external CA: only that CA can "
				   "revoke it", serial);
		goto out;
	}
	sqlite3_finalize(s);
	s = NULL;

	rc = prep(st, "INSERT INTO revocation_events (cert_id, issuer_ca_id, "
		  "event, event_time, reason, invalidity_date, recorded_at) "
		  "VALUES (?1, ?2, 'revoke', ?3, ?4, ?5, ?6)", &s, err);
	if (rc != PKI_OK)
		goto out;
	if (sqlite3_bind_int64(s, 1, cert_id) ||
	    sqlite3_bind_int64(s, 2, issuer) ||
	    sqlite3_bind_int64(s, 3, revoked_at) ||
	    sqlite3_bind_int(s, 4, reason) || bind_id(s, 5, invalidity_date) ||
	    sqlite3_bind_int64(s, 6, now) || sqlite3_step(s) != SQLITE_DONE) {
		rc = db_err(st, err, "recording a revocation");
		goto out;
	}
	ev = sqlite3_last_insert_rowid(st->db);
	sqlite3_finalize(s);
	s = NULL;

	rc = prep(st, "INSERT INTO revocations (cert_id, issuer_ca_id, serial,"
		  " revoked_at, reason, invalidity_date, recorded_at, "
		  "event_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)", &s, err);
	if (rc != PKI_OK)
		goto out;
	if (sqlite3_bind_int64(s, 1, cert_id) ||
	    sqlite3_bind_int64(s, 2, issuer) || bind_text(s, 3, serial) ||
	    sqlite3_bind_int64(s, 4, revoked_at) ||
	    sqlite3_bind_int(s, 5, reason) || bind_id(s, 6, invalidity_date) ||
	    sqlite3_bind_int64(s, 7, now) || sqlite3_bind_int64(s, 8, ev) ||
	    sqlite3_step(s) != SQLITE_DONE) {
		rc = db_err(st, err, "recording a revocation");
		goto out;
	}
	sqlite3_finalize(s);
	s = NULL;

	if (ca_id != 0) {
		rc = prep(st, "UPDATE cas SET status = 'revoked' WHERE id = ?1",
			  &s, err);
		if (rc != PKI_OK)
			goto out;
		if (sqlite3_bind_int64(s, 1, ca_id) ||
		    sqlite3_step(s) != SQLITE_DONE) {
			rc = db_err(st, err, "marking the CA revoked");
			goto out;
		}
	}
	rc = PKI_OK;
out:
	sqlite3_finalize(s);
	if (began)
		rc = op_end(st, own, rc, err);
	return rc;
}

int
pki_store_cert_unrevoke(struct pki_store *st, int64_t cert_id,
			struct pki_error *err)
{
	sqlite3_stmt *s = NULL;
	char serial[SERIAL_HEX_MAX], when[32];
	int64_t issuer, ca_id, hold_ev, now = pki_now();
	int rc, own = 0, began = 0, step, reason;

	if ((rc = op_begin(st, &own, err)) != PKI_OK)
		return rc;
	began = 1;
	rc = prep(st, "SELECT c.serial, c.ca_id, r.cert_id IS NOT NULL, "
		  "r.reason, r.revoked_at, r.event_id, r.issuer_ca_id "
		  "FROM certificates c LEFT JOIN revocations r "
		  "ON r.cert_id = c.id WHERE c.id = ?1", &s, err);
	if (rc != PKI_OK)
		goto out;
	if (sqlite3_bind_int64(s, 1, cert_id)) {
		rc = db_err(st, err, "lifting a hold");
		goto out;
	}
	step = sqlite3_step(s);
	if (step == SQLITE_DONE) {
		rc = pki_error_set(err, PKI_E_NOTFOUND, "no certificate with "
				   "id %lld", (long long)cert_id);
		goto out;
	}
	if (step != SQLITE_ROW) {
		rc = db_err(st, err, "lifting a hold");
		goto out;
	}
	snprintf(serial, sizeof(serial), "%s", sqlite3_column_text(s, 0));
	ca_id = sqlite3_column_int64(s, 1);
	if (!sqlite3_column_int(s, 2)) {
		rc = pki_error_set(err, PKI_E_INVALID, "certificate %s is not "
				   "revoked", serial);
		goto out;
	}
	reason = sqlite3_column_int(s, 3);
	if (reason != 6) {
		const char *why = pki_store_reason_name(reason);

		time_str(sqlite3_column_int64(s, 4), when, sizeof(when));
		rc = pki_error_set(err, PKI_E_INVALID, "certificate %s was "
				   "revoked on %s for %s: only a "
				   "certificateHold can be lifted", serial,
				   when, why ? why : "an unknown reason");
		goto out;
	}
	hold_ev = sqlite3_column_int64(s, 5);
	issuer = sqlite3_column_int64(s, 6);
	sqlite3_finalize(s);
	s = NULL;

	rc = prep(st, "DELETE FROM revocations WHERE cert_id = ?1", &s, err);
	if (rc != PKI_OK)
		goto out;
	if (sqlite3_bind_int64(s, 1, cert_id) ||
	    sqlite3_step(s) != SQLITE_DONE) {
		rc = db_err(st, err, "lifting a hold");
		goto out;
	}
	sqlite3_finalize(s);
	s = NULL;

	rc = prep(st, "INSERT INTO revocation_events (cert_id, issuer_ca_id, "
		  "event, event_time, reason, released_event_id, recorded_at) "
		  "VALUES (?1, ?2, 'release', ?3, 6, ?4, ?3)", &s, err);
	if (rc != PKI_OK)
		goto out;
	if (sqlite3_bind_int64(s, 1, cert_id) ||
	    sqlite3_bind_int64(s, 2, issuer) ||
	    sqlite3_bind_int64(s, 3, now) || sqlite3_bind_int64(s, 4, hold_ev) ||
	    sqlite3_step(s) != SQLITE_DONE) {
		rc = db_err(st, err, "recording a lifted hold");
		goto out;
	}
	sqlite3_finalize(s);
	s = NULL;

	if (ca_id != 0) {
		rc = prep(st, "UPDATE cas SET status = 'active' WHERE id = ?1 "
			  "AND status = 'revoked'", &s, err);
		if (rc != PKI_OK)
			goto out;
		if (sqlite3_bind_int64(s, 1, ca_id) ||
		    sqlite3_step(s) != SQLITE_DONE) {
			rc = db_err(st, err, "marking the CA active");
			goto out;
		}
	}
	rc = PKI_OK;
out:
	sqlite3_finalize(s);
	if (began)
		rc = op_end(st, own, rc, err);
	return rc;
}

struct pki_revocation_cursor {
	struct pki_store *st;
	sqlite3_stmt *s[2];       /* revoked entries, then lifted holds */
	int phase;
	unsigned char serial[PKI_STORE_SERIAL_MAX];
};

static int
hexnib(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Decode a canonical hex serial of len digits; the octet count or -1.
 * (The per-row path of a million-entry CRL: no copies, no formatting.) */
static long
unhex_serial(const char *hex, int len, unsigned char *out)
{
	int i, hi, lo;

	if (hex == NULL || len <= 0 || len % 2 != 0 ||
	    len > 2 * PKI_STORE_SERIAL_MAX)
		return -1;
	for (i = 0; i < len; i += 2) {
		hi = hexnib((unsigned char)hex[i]);
		lo = hexnib((unsigned char)hex[i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		out[i / 2] = (unsigned char)(hi << 4 | lo);
	}
	return len / 2;
}

void
pki_store_revocations_close(struct pki_revocation_cursor *c)
{
	if (c == NULL)
		return;
	sqlite3_finalize(c->s[0]);
	sqlite3_finalize(c->s[1]);
	free(c);
}

/* The revocation_seq of full CRL base of ca_id. */
static int
base_seq(struct pki_store *st, int64_t ca_id, int64_t base, int64_t *seq,
	 struct pki_error *err)
{
	sqlite3_stmt *s = NULL;
	int rc, step;

	rc = prep(st, "SELECT revocation_seq, is_delta FROM crls "
		  "WHERE ca_id = ?1 AND crl_number = ?2", &s, err);
	if (rc != PKI_OK)
		return rc;
	if (sqlite3_bind_int64(s, 1, ca_id) || sqlite3_bind_int64(s, 2, base)) {
		rc = db_err(st, err, "looking up the base CRL");
		goto out;
	}
	step = sqlite3_step(s);
	if (step == SQLITE_DONE) {
		rc = pki_error_set(err, PKI_E_NOTFOUND, "no CRL number %lld "
				   "was recorded for this CA: a delta CRL "
				   "needs a full CRL to build on",
				   (long long)base);
		goto out;
	}
	if (step != SQLITE_ROW) {
		rc = db_err(st, err, "looking up the base CRL");
		goto out;
	}
	if (sqlite3_column_int(s, 1)) {
		rc = pki_error_set(err, PKI_E_INVALID, "CRL number %lld is a "
				   "delta CRL: a delta builds on a full CRL",
				   (long long)base);
		goto out;
	}
	*seq = sqlite3_column_int64(s, 0);
	rc = PKI_OK;
out:
	sqlite3_finalize(s);
	return rc;
}

int
pki_store_revocations_open(struct pki_store *st, int64_t issuer_ca_id,
			   int64_t base_crl_number,
			   struct pki_revocation_cursor **out,
			   struct pki_error *err)
{
	struct pki_revocation_cursor *c = NULL;
	int64_t seq = 0;
	int rc;

	*out = NULL;
	if (!in_transaction(st))
		return pki_error_set(err, PKI_E_INVALID, "reading revocations "
				     "for a CRL: call pki_store_begin first "
				     "(the CRL must be recorded in the same "
				     "transaction)");
	if (base_crl_number < 0)
		return pki_error_set(err, PKI_E_INVALID, "bad base CRL number");
	if (base_crl_number > 0 &&
	    (rc = base_seq(st, issuer_ca_id, base_crl_number, &seq, err)) !=
	    PKI_OK)
		return rc;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return pki_error_set(err, PKI_E_NOMEM, "out of memory");
	c->st = st;
	rc = prep(st, "SELECT serial, revoked_at, reason, invalidity_date, "
		  "cert_id FROM revocations WHERE issuer_ca_id = ?1 AND "
		  "event_id > ?2 ORDER BY event_id", &c->s[0], err);
	if (rc != PKI_OK)
		goto out;
	if (sqlite3_bind_int64(c->s[0], 1, issuer_ca_id) ||
	    sqlite3_bind_int64(c->s[0], 2, seq)) {
		rc = db_err(st, err, "reading revocations");
		goto out;
	}
	if (base_crl_number > 0) {
		/* holds on the base CRL (hold event <= seq) lifted after it
		 * (release event > seq), not revoked again since */
		rc = prep(st, "SELECT c.serial, e.event_time, e.cert_id "
			  "FROM revocation_events e "
			  "JOIN certificates c ON c.id = e.cert_id "
			  "WHERE e.issuer_ca_id = ?1 AND e.event = 'release' "
			  "AND e.id > ?2 AND e.released_event_id <= ?2 "
			  "AND NOT EXISTS (SELECT 1 FROM revocations r "
			  "WHERE r.cert_id = e.cert_id) ORDER BY e.id",
			  &c->s[1], err);
		if (rc != PKI_OK)
			goto out;
		if (sqlite3_bind_int64(c->s[1], 1, issuer_ca_id) ||
		    sqlite3_bind_int64(c->s[1], 2, seq)) {
			rc = db_err(st, err, "reading lifted holds");
			goto out;
		}
	}
	*out = c;
	c = NULL;
	rc = PKI_OK;
out:
	pki_store_revocations_close(c);
	return rc;
}

int
pki_store_revocations_next(struct pki_revocation_cursor *c,
			   struct pki_revocation *e, struct pki_error *err)
{
	const char *hex;
	long n;
	int step;

	memset(e, 0, sizeof(*e));
	while (c->phase < 2) {
		sqlite3_stmt *s = c->s[c->phase];

		if (s == NULL || (step = sqlite3_step(s)) == SQLITE_DONE) {
			c->phase++;
			continue;
		}
		if (step != SQLITE_ROW)
			return -db_err(c->st, err, "reading revocations");
		hex = (const char *)sqlite3_column_text(s, 0);
		n = unhex_serial(hex, sqlite3_column_bytes(s, 0), c->serial);
		if (n <= 0)
			return -pki_error_set(err, PKI_E_DB, "the database "
					      "holds a malformed serial \"%.140s\"",
					      hex ? hex : "");
		e->serial = c->serial;
		e->serial_len = (size_t)n;
		e->serial_hex = hex;   /* valid until the next step */
		e->revocation_time = sqlite3_column_int64(s, 1);
		if (c->phase == 0) {
			e->reason = sqlite3_column_int(s, 2);
			e->invalidity_date = sqlite3_column_int64(s, 3);
			e->cert_id = sqlite3_column_int64(s, 4);
		} else {
			e->reason = 8;
			e->remove_from_crl = 1;
			e->cert_id = sqlite3_column_int64(s, 2);
		}
		return 1;
	}
	return 0;
}

int
pki_store_revocations_foreach(struct pki_store *st, int64_t issuer_ca_id,
			      int64_t base_crl_number, pki_revocation_fn cb,
			      void *ctx, struct pki_error *err)
{
	struct pki_revocation_cursor *c = NULL;
	struct pki_revocation e;
	int rc;

	rc = pki_store_revocations_open(st, issuer_ca_id, base_crl_number, &c,
					err);
	if (rc != PKI_OK)
		return rc;
	while ((rc = pki_store_revocations_next(c, &e, err)) == 1)
		if ((rc = cb(ctx, &e)) != 0)
			goto out;
	rc = rc < 0 ? -rc : PKI_OK;
out:
	pki_store_revocations_close(c);
	return rc;
}

/* ------------------------------------------------------------------ */
/* CRLs                                                                 */

void
pki_crl_record_clear(struct pki_crl_record *r)
{
	if (r == NULL)
		return;
	gnutls_free(r->der.data);
	memset(r, 0, sizeof(*r));
}

int
pki_store_crl_next_number(struct pki_store *st, int64_t ca_id,
			  int64_t *number, struct pki_error *err)
{
	sqlite3_stmt *s = NULL;
	int rc, step;

	*number = 0;
	rc = prep(st, "UPDATE cas SET next_crl_number = next_crl_number + 1 "
		  "WHERE id = ?1 RETURNING next_crl_number - 1", &s, err);
	if (rc != PKI_OK)
		return rc;
	if (sqlite3_bind_int64(s, 1, ca_id)) {
		rc = db_err(st, err, "allocating a CRL number");
		goto out;
	}
	step = sqlite3_step(s);
	if (step == SQLITE_DONE) {
		rc = pki_error_set(err, PKI_E_NOTFOUND, "no CA with id %lld",
				   (long long)ca_id);
		goto out;
	}
	if (step != SQLITE_ROW) {
		rc = db_err(st, err, "allocating a CRL number");
		goto out;
	}
	*number = sqlite3_column_int64(s, 0);
	if (sqlite3_step(s) != SQLITE_DONE) {
		*number = 0;
		rc = db_err(st, err, "allocating a CRL number");
		goto out;
	}
	rc = PKI_OK;
out:
	sqlite3_finalize(s);
	return rc;
}

int
pki_store_crl_insert(struct pki_store *st, struct pki_crl_record *r,
		     struct pki_error *err)
{
	sqlite3_stmt *s = NULL;
	int64_t next = 0, seq = 0;
	int64_t created = pki_now();
	int rc, step;

	if (!in_transaction(st))
		return pki_error_set(err, PKI_E_INVALID, "recording a CRL: "
				     "call pki_store_begin first (the CRL "
				     "must be recorded in the transaction "
				     "that read its revocations)");
	if (r->der.data == NULL || r->der.size == 0 || r->crl_number <= 0 ||
	    r->next_update <= r->this_update || r->entries < 0)
		return pki_error_set(err, PKI_E_INVALID, "recording a CRL: "
				     "DER, a positive number and nextUpdate "
				     "after thisUpdate are required");
	if (r->is_delta) {
		if (r->base_crl_number <= 0 ||
		    r->base_crl_number >= r->crl_number)
			return pki_error_set(err, PKI_E_INVALID, "delta CRL "
					     "%lld: its base must be an earlier "
					     "full CRL",
					     (long long)r->crl_number);
		rc = base_seq(st, r->ca_id, r->base_crl_number, &seq, err);
		if (rc != PKI_OK)
			return rc;
	}
	rc = prep(st, "SELECT next_crl_number FROM cas WHERE id = ?1", &s,
		  err);
	if (rc != PKI_OK)
		return rc;
	if (sqlite3_bind_int64(s, 1, r->ca_id)) {
		rc = db_err(st, err, "recording a CRL");
		goto out;
	}
	step = sqlite3_step(s);
	if (step == SQLITE_DONE) {
		rc = pki_error_set(err, PKI_E_NOTFOUND, "no CA with id %lld",
				   (long long)r->ca_id);
		goto out;
	}
	if (step != SQLITE_ROW) {
		rc = db_err(st, err, "recording a CRL");
		goto out;
	}
	next = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	s = NULL;
	if (r->crl_number >= next) {
		rc = pki_error_set(err, PKI_E_INVALID, "CRL number %lld was "
				   "not allocated (use "
				   "pki_store_crl_next_number)",
				   (long long)r->crl_number);
		goto out;
	}
	rc = prep(st, "INSERT INTO crls (ca_id, crl_number, is_delta, "
		  "base_crl_number, this_update, next_update, revocation_seq, "
		  "entries, der, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, "
		  "(SELECT coalesce(max(id), 0) FROM revocation_events), ?7, "
		  "?8, ?9)", &s, err);
	if (rc != PKI_OK)
		goto out;
	if (sqlite3_bind_int64(s, 1, r->ca_id) ||
	    sqlite3_bind_int64(s, 2, r->crl_number) ||
	    sqlite3_bind_int(s, 3, r->is_delta ? 1 : 0) ||
	    bind_id(s, 4, r->is_delta ? r->base_crl_number : 0) ||
	    sqlite3_bind_int64(s, 5, r->this_update) ||
	    sqlite3_bind_int64(s, 6, r->next_update) ||
	    sqlite3_bind_int64(s, 7, r->entries) ||
	    bind_blob(s, 8, &r->der) || sqlite3_bind_int64(s, 9, created)) {
		rc = db_err(st, err, "recording a CRL");
		goto out;
	}
	if (sqlite3_step(s) != SQLITE_DONE) {
		if (sqlite3_extended_errcode(st->db) ==
		    SQLITE_CONSTRAINT_UNIQUE)
			rc = pki_error_set(err, PKI_E_EXISTS, "CRL number %lld "
					   "is already recorded: CRL numbers "
					   "are never reused",
					   (long long)r->crl_number);
		else
			rc = db_err(st, err, "recording a CRL");
		goto out;
	}
	r->id = sqlite3_last_insert_rowid(st->db);
	r->created_at = created;
	rc = PKI_OK;
out:
	sqlite3_finalize(s);
	return rc;
}

#define CRL_COLS "id, ca_id, crl_number, is_delta, base_crl_number, " \
	"this_update, next_update, entries, der, created_at"

static int
crl_get_one(struct pki_store *st, sqlite3_stmt *s, const char *what,
	    struct pki_crl_record *r, struct pki_error *err)
{
	int step = sqlite3_step(s);

	if (step == SQLITE_DONE)
		return pki_error_set(err, PKI_E_NOTFOUND, "no %s was recorded "
				     "for this CA", what);
	if (step != SQLITE_ROW)
		return db_err(st, err, "reading a CRL");
	r->id = sqlite3_column_int64(s, 0);
	r->ca_id = sqlite3_column_int64(s, 1);
	r->crl_number = sqlite3_column_int64(s, 2);
	r->is_delta = sqlite3_column_int(s, 3);
	r->base_crl_number = sqlite3_column_int64(s, 4);
	r->this_update = sqlite3_column_int64(s, 5);
	r->next_update = sqlite3_column_int64(s, 6);
	r->entries = sqlite3_column_int64(s, 7);
	r->created_at = sqlite3_column_int64(s, 9);
	if (col_blob(s, 8, &r->der) != PKI_OK) {
		pki_crl_record_clear(r);
		return pki_error_set(err, PKI_E_NOMEM, "out of memory");
	}
	return PKI_OK;
}

int
pki_store_crl_latest(struct pki_store *st, int64_t ca_id,
		     enum pki_store_crl_kind kind, struct pki_crl_record *out,
		     struct pki_error *err)
{
	sqlite3_stmt *s = NULL;
	const char *sql, *what;
	int rc;

	memset(out, 0, sizeof(*out));
	switch (kind) {
	case PKI_STORE_CRL_FULL:
		sql = "SELECT " CRL_COLS " FROM crls WHERE ca_id = ?1 AND "
		      "is_delta = 0 ORDER BY crl_number DESC LIMIT 1";
		what = "full CRL";
		break;
	case PKI_STORE_CRL_DELTA:
		sql = "SELECT " CRL_COLS " FROM crls WHERE ca_id = ?1 AND "
		      "is_delta = 1 ORDER BY crl_number DESC LIMIT 1";
		what = "delta CRL";
		break;
	default:
		sql = "SELECT " CRL_COLS " FROM crls WHERE ca_id = ?1 "
		      "ORDER BY crl_number DESC LIMIT 1";
		what = "CRL";
		break;
	}
	if ((rc = prep(st, sql, &s, err)) != PKI_OK)
		return rc;
	if (sqlite3_bind_int64(s, 1, ca_id))
		rc = db_err(st, err, "reading a CRL");
	else
		rc = crl_get_one(st, s, what, out, err);
	sqlite3_finalize(s);
	return rc;
}

int
pki_store_crl_get(struct pki_store *st, int64_t ca_id, int64_t crl_number,
		  struct pki_crl_record *out, struct pki_error *err)
{
	sqlite3_stmt *s = NULL;
	char what[64];
	int rc;

	memset(out, 0, sizeof(*out));
	rc = prep(st, "SELECT " CRL_COLS " FROM crls WHERE ca_id = ?1 AND "
		  "crl_number = ?2", &s, err);
	if (rc != PKI_OK)
		return rc;
	snprintf(what, sizeof(what), "CRL number %lld",
		 (long long)crl_number);
	if (sqlite3_bind_int64(s, 1, ca_id) ||
	    sqlite3_bind_int64(s, 2, crl_number))
		rc = db_err(st, err, "reading a CRL");
	else
		rc = crl_get_one(st, s, what, out, err);
	sqlite3_finalize(s);
	return rc;
}

/* ------------------------------------------------------------------ */
/* audit                                                                */

int
pki_store_audit(struct pki_store *st, const char *actor, const char *action,
		const char *object, const char *detail_json,
		struct pki_error *err)
{
	sqlite3_stmt *s = NULL;
	char prev[65], hash[65];
	int64_t id = 1, ts = pki_now();
	int rc, own = 0, began = 0, step;

	if (action == NULL || *action == '\0')
		return pki_error_set(err, PKI_E_INVALID, "audit: an action is "
				     "required");
	if (actor == NULL)
		actor = pki_store_actor();
	if (object == NULL)
		object = "";
	if (detail_json != NULL) {
		json_error_t je;
		json_t *j = json_loads(detail_json, JSON_REJECT_DUPLICATES,
				       &je);
		int ok = j != NULL && json_is_object(j);

		json_decref(j);
		if (!ok)
			return pki_error_set(err, PKI_E_INVALID, "audit detail "
					     "for %s is not a JSON object",
					     action);
	}
	if ((rc = op_begin(st, &own, err)) != PKI_OK)
		return rc;
	began = 1;
	memcpy(prev, PKI_AUDIT_ZERO_HASH, sizeof(prev));
	/* The head is the authority for the next id and prev_hash, so that
	 * rows deleted at the end stay visible as a gap. */
	rc = prep(st, "SELECT last_id, hash FROM audit_head WHERE one = 1",
		  &s, err);
	if (rc != PKI_OK)
		goto out;
	step = sqlite3_step(s);
	if (step == SQLITE_ROW) {
		id = sqlite3_column_int64(s, 0) + 1;
		snprintf(prev, sizeof(prev), "%s", sqlite3_column_text(s, 1));
	} else if (step != SQLITE_DONE) {
		rc = db_err(st, err, "reading the audit head");
		goto out;
	} else {
		/* no head (never written, or removed): continue after the
		 * last row if any */
		sqlite3_finalize(s);
		s = NULL;
		rc = prep(st, "SELECT id, hash FROM audit ORDER BY id DESC "
			  "LIMIT 1", &s, err);
		if (rc != PKI_OK)
			goto out;
		step = sqlite3_step(s);
		if (step == SQLITE_ROW) {
			id = sqlite3_column_int64(s, 0) + 1;
			snprintf(prev, sizeof(prev), "%s",
				 sqlite3_column_text(s, 1));
		} else if (step != SQLITE_DONE) {
			rc = db_err(st, err, "reading the audit log");
			goto out;
		}
	}
	sqlite3_finalize(s);
	s = NULL;

	pki__audit_hash(prev, id, ts, actor, action, object, detail_json,
			hash);
	rc = prep(st, "INSERT INTO audit (id, ts, actor, action, object, "
		  "detail, prev_hash, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, "
		  "?7, ?8)", &s, err);
	if (rc != PKI_OK)
		goto out;
	if (sqlite3_bind_int64(s, 1, id) || sqlite3_bind_int64(s, 2, ts) ||
	    bind_text(s, 3, actor) || bind_text(s, 4, action) ||
	    bind_text(s, 5, object) || bind_text(s, 6, detail_json) ||
	    bind_text(s, 7, prev) || bind_text(s, 8, hash) ||
	    sqlite3_step(s) != SQLITE_DONE) {
		rc = db_err(st, err, "writing an audit row");
		goto out;
	}
	sqlite3_finalize(s);
	s = NULL;

	rc = prep(st, "UPDATE audit_head SET last_id = ?1, hash = ?2 "
		  "WHERE one = 1", &s, err);
	if (rc != PKI_OK)
		goto out;
	if (sqlite3_bind_int64(s, 1, id) || bind_text(s, 2, hash) ||
	    sqlite3_step(s) != SQLITE_DONE) {
		rc = db_err(st, err, "updating the audit head");
		goto out;
	}
	if (sqlite3_changes(st->db) == 0) {
		sqlite3_finalize(s);
		s = NULL;
		rc = prep(st, "INSERT INTO audit_head (one, last_id, hash) "
			  "VALUES (1, ?1, ?2)", &s, err);
		if (rc != PKI_OK)
			goto out;
		if (sqlite3_bind_int64(s, 1, id) || bind_text(s, 2, hash) ||
		    sqlite3_step(s) != SQLITE_DONE) {
			rc = db_err(st, err, "writing the audit head");
			goto out;
		}
	}
	rc = PKI_OK;
out:
	sqlite3_finalize(s);
	if (began)
		rc = op_end(st, own, rc, err);
	return rc;
}

#define AUDIT_COLS "id, ts, actor, action, object, detail, prev_hash, hash"

static int
audit_rows(struct pki_store *st, sqlite3_stmt *s,
	   int (*cb)(void *ctx, const struct pki_audit_row *r), void *ctx,
	   struct pki_error *err)
{
	struct pki_audit_row row;
	int step, rc;

	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		row.id = sqlite3_column_int64(s, 0);
		row.ts = sqlite3_column_int64(s, 1);
		row.actor = (char *)sqlite3_column_text(s, 2);
		row.action = (char *)sqlite3_column_text(s, 3);
		row.object = (char *)sqlite3_column_text(s, 4);
		row.detail = (char *)sqlite3_column_text(s, 5);
		row.prev_hash = (char *)sqlite3_column_text(s, 6);
		row.hash = (char *)sqlite3_column_text(s, 7);
		if ((rc = cb(ctx, &row)) != 0)
			return rc;
	}
	if (step != SQLITE_DONE)
		return db_err(st, err, "reading the audit log");
	return PKI_OK;
}

int
pki__store_audit_chain(struct pki_store *st, struct pki__audit_head *head,
		       int (*cb)(void *ctx, const struct pki_audit_row *r),
		       void *ctx, struct pki_error *err)
{
	sqlite3_stmt *s = NULL;
	int rc, step, own = 0;

	memset(head, 0, sizeof(*head));
	/* one read snapshot for the head and the rows */
	if (!in_transaction(st)) {
		if ((rc = exec_sql(st, "BEGIN", err)) != PKI_OK)
			return rc;
		own = 1;
	}
	rc = prep(st, "SELECT last_id, hash FROM audit_head WHERE one = 1",
		  &s, err);
	if (rc != PKI_OK)
		goto out;
	step = sqlite3_step(s);
	if (step == SQLITE_ROW) {
		head->present = 1;
		head->last_id = sqlite3_column_int64(s, 0);
		snprintf(head->hash, sizeof(head->hash), "%s",
			 sqlite3_column_text(s, 1));
	} else if (step != SQLITE_DONE) {
		rc = db_err(st, err, "reading the audit head");
		goto out;
	}
	sqlite3_finalize(s);
	s = NULL;
	rc = prep(st, "SELECT " AUDIT_COLS " FROM audit ORDER BY id", &s, err);
	if (rc != PKI_OK)
		goto out;
	rc = audit_rows(st, s, cb, ctx, err);
out:
	sqlite3_finalize(s);
	if (own)
		sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL);
	return rc;
}

int
pki__store_audit_select(struct pki_store *st, const struct pki_audit_filter *f,
			int (*cb)(void *ctx, const struct pki_audit_row *r),
			void *ctx, struct pki_error *err)
{
	static const struct pki_audit_filter none;
	char sql[1024], where[512];
	sqlite3_stmt *s = NULL;
	int rc, idx;

	if (f == NULL)
		f = &none;
	/* constant fragments only; values are bound */
	snprintf(where, sizeof(where), "WHERE 1 = 1%s%s%s%s",
		 f->since ? " AND ts >= :since" : "",
		 f->until ? " AND ts <= :until" : "",
		 f->action_prefix && *f->action_prefix ?
			" AND substr(action, 1, :plen) = :prefix" : "",
		 f->object ? " AND object = :object" : "");
	if (f->limit)
		snprintf(sql, sizeof(sql), "SELECT " AUDIT_COLS " FROM "
			 "(SELECT " AUDIT_COLS " FROM audit %s ORDER BY id "
			 "DESC LIMIT :limit) AS t ORDER BY id", where);
	else
		snprintf(sql, sizeof(sql), "SELECT " AUDIT_COLS " FROM audit "
			 "%s ORDER BY id", where);
	if ((rc = prep(st, sql, &s, err)) != PKI_OK)
		return rc;
	rc = SQLITE_OK;
	if ((idx = sqlite3_bind_parameter_index(s, ":since")) > 0)
		rc |= sqlite3_bind_int64(s, idx, f->since);
	if ((idx = sqlite3_bind_parameter_index(s, ":until")) > 0)
		rc |= sqlite3_bind_int64(s, idx, f->until);
	if ((idx = sqlite3_bind_parameter_index(s, ":plen")) > 0)
		rc |= sqlite3_bind_int64(s, idx,
					 (int64_t)strlen(f->action_prefix));
	if ((idx = sqlite3_bind_parameter_index(s, ":prefix")) > 0)
		rc |= bind_text(s, idx, f->action_prefix);
	if ((idx = sqlite3_bind_parameter_index(s, ":object")) > 0)
		rc |= bind_text(s, idx, f->object);
	if ((idx = sqlite3_bind_parameter_index(s, ":limit")) > 0)
		rc |= sqlite3_bind_int64(s, idx, f->limit > INT64_MAX ?
					 INT64_MAX : (int64_t)f->limit);
	if (rc != SQLITE_OK)
		rc = db_err(st, err, "listing the audit log");
	else
		rc = audit_rows(st, s, cb, ctx, err);
	sqlite3_finalize(s);
	return rc;
}

/* ------------------------------------------------------------------ */
/* actor                                                                */

const char *
pki_store_actor(void)
{
	static char buf[256];
	char pwbuf[4096];
	struct passwd pw, *res = NULL;
	const char *e = getenv("SPORK_ACTOR");
	char *p;

	if (e != NULL && *e != '\0') {
		snprintf(buf, sizeof(buf), "%s", e);
	} else if (getlogin_r(buf, sizeof(buf)) == 0 && buf[0] != '\0') {
		/* the login name (under sudo: who logged in) */
	} else if (getpwuid_r(getuid(), &pw, pwbuf, sizeof(pwbuf), &res) == 0
		   && res != NULL && pw.pw_name != NULL) {
		snprintf(buf, sizeof(buf), "%s", pw.pw_name);
	} else {
		snprintf(buf, sizeof(buf), "uid:%u", (unsigned)getuid());
	}
	for (p = buf; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	return buf;
}
