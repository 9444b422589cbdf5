/* store-metrics: the SQL of metrics-int.h (metrics.db, and the counts
 * /metrics reads from spork.db). */
#include <config.h>

#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "metrics-int.h"
#include "store-int.h"

static const char schema[] =
	"PRAGMA journal_mode=WAL;"
	"PRAGMA synchronous=OFF;"
	"PRAGMA journal_size_limit=65536;"
	"CREATE TABLE IF NOT EXISTS metrics ("
	" name TEXT NOT NULL,"
	" labels TEXT NOT NULL,"
	" value INTEGER NOT NULL,"
	" PRIMARY KEY (name, labels));";

static int
mdb_err(sqlite3 *db, const char *path, const char *what,
	struct pki_error *err)
{
	return pki_error_set(err, PKI_E_DB, "%s: %s: %s", path, what,
			     db != NULL ? sqlite3_errmsg(db) : "out of memory");
}

static int
mdb_open(const char *path, int create, sqlite3 **db, struct pki_error *err)
{
	int flags = create ? SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE :
		SQLITE_OPEN_READONLY;

	*db = NULL;
	if (sqlite3_open_v2(path, db, flags | SQLITE_OPEN_NOFOLLOW, NULL) !=
	    SQLITE_OK) {
		int rc = mdb_err(*db, path, "open", err);

		sqlite3_close(*db);
		*db = NULL;
		return rc;
	}
	sqlite3_busy_timeout(*db, 2000);
	/* every handler process adds its counts once: keep the -wal and
	 * -shm files rather than create and delete them each time (an
	 * inode made and freed per connection showed in the profile);
	 * the last writer still checkpoints, and the WAL is cut to 64 KiB */
	if (create) {
		int persist = 1;

		sqlite3_file_control(*db, "main", SQLITE_FCNTL_PERSIST_WAL,
				     &persist);
	}
	if (create && sqlite3_exec(*db, schema, NULL, NULL, NULL) != SQLITE_OK) {
		int rc = mdb_err(*db, path, "schema", err);

		sqlite3_close(*db);
		*db = NULL;
		return rc;
	}
	return PKI_OK;
}

int
pki__metrics_db_add(const char *path, const struct pki__metric *v, size_t n,
		    struct pki_error *err)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	size_t i;
	int rc;

	if (n == 0)
		return PKI_OK;
	if ((rc = mdb_open(path, 1, &db, err)) != PKI_OK)
		return rc;
	if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "INSERT INTO metrics (name, labels, value) "
			       "VALUES (?1, ?2, ?3) ON CONFLICT (name, labels) "
			       "DO UPDATE SET value = value + excluded.value",
			       -1, &s, NULL) != SQLITE_OK) {
		rc = mdb_err(db, path, "adding counters", err);
		goto out;
	}
	for (i = 0; i < n; i++) {
		sqlite3_reset(s);
		if (sqlite3_bind_text(s, 1, v[i].name, -1, SQLITE_STATIC) ||
		    sqlite3_bind_text(s, 2, v[i].labels, -1, SQLITE_STATIC) ||
		    sqlite3_bind_int64(s, 3, v[i].value) ||
		    sqlite3_step(s) != SQLITE_DONE) {
			rc = mdb_err(db, path, "adding counters", err);
			goto out;
		}
	}
	if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		rc = mdb_err(db, path, "commit", err);
out:
	sqlite3_finalize(s);
	if (rc != PKI_OK)
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(db);
	return rc;
}

int
pki__metrics_db_read(const char *path,
		     void (*fn)(void *ctx, const struct pki__metric *m),
		     void *ctx, struct pki_error *err)
{
	struct pki__metric m;
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	int r, rc;

	if ((rc = mdb_open(path, 0, &db, err)) != PKI_OK) {
		/* no handler has counted anything yet */
		if (sqlite3_errcode(db) == SQLITE_CANTOPEN || db == NULL) {
			pki_error_clear(err);
			return PKI_OK;
		}
		return rc;
	}
	if (sqlite3_prepare_v2(db, "SELECT name, labels, value FROM metrics "
			       /* histogram buckets: +Inf last */
			       "ORDER BY name, instr(labels, 'le=\"+Inf\"') "
			       "> 0, labels", -1, &s, NULL) !=
	    SQLITE_OK) {
		/* a file without the table: nothing counted */
		rc = PKI_OK;
		goto out;
	}
	while ((r = sqlite3_step(s)) == SQLITE_ROW) {
		snprintf(m.name, sizeof(m.name), "%s",
			 (const char *)sqlite3_column_text(s, 0));
		snprintf(m.labels, sizeof(m.labels), "%s",
			 (const char *)sqlite3_column_text(s, 1));
		m.value = sqlite3_column_int64(s, 2);
		fn(ctx, &m);
	}
	if (r != SQLITE_DONE)
		rc = mdb_err(db, path, "reading counters", err);
out:
	sqlite3_finalize(s);
	sqlite3_close(db);
	return rc;
}

int
pki__store_metric_counts(struct pki_store *st,
			 void (*fn)(void *ctx, const char *what,
				    const char *ca, const char *source,
				    int64_t n),
			 void *ctx, struct pki_error *err)
{
	static const char *const sql[2] = {
		"SELECT c.name, x.source, count(*) FROM certificates x "
		"JOIN cas c ON c.id = x.issuer_ca_id GROUP BY c.name, x.source "
		"ORDER BY c.name, x.source",
		"SELECT c.name, NULL, count(*) FROM revocations r "
		"JOIN cas c ON c.id = r.issuer_ca_id GROUP BY c.name "
		"ORDER BY c.name",
	};
	static const char *const what[2] = { "issued", "revoked" };
	sqlite3_stmt *s = NULL;
	int i, r, rc = PKI_OK;

	for (i = 0; i < 2 && rc == PKI_OK; i++) {
		if ((rc = pki__store_prep(st, sql[i], &s, err)) != PKI_OK)
			break;
		while ((r = sqlite3_step(s)) == SQLITE_ROW)
			fn(ctx, what[i], (const char *)sqlite3_column_text(s, 0),
			   (const char *)sqlite3_column_text(s, 1),
			   sqlite3_column_int64(s, 2));
		if (r != SQLITE_DONE)
			rc = pki__store_db_err(st, err, "counting certificates");
		sqlite3_finalize(s);
		s = NULL;
	}
	return rc;
}
