/*
 * store-check: is the database whole, and does it agree with its audit
 * log?  The checks run before signing (pki_store_check_issue,
 * pki_store_check_crl in store-write.h), the cross-checks behind
 * pki_audit_crosscheck (audit.h), and pki_store_check and
 * pki_store_backup (store.h).
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <spork/audit.h>
#include "audit-int.h"
#include "store-int.h"

/* Problems as they are found: counted, the first one kept for err. */
struct probs {
	pki_audit_problem_fn cb;
	void *ctx;
	int64_t n;
	struct pki_audit_problem first;
};

static void
problem(struct probs *p, enum pki_audit_problem_kind kind, int64_t id,
	const char *fmt, ...) PKI_PRINTF(4, 5);

static void
problem(struct probs *p, enum pki_audit_problem_kind kind, int64_t id,
	const char *fmt, ...)
{
	struct pki_audit_problem pr;
	va_list ap;
	char *c;

	memset(&pr, 0, sizeof(pr));
	pr.kind = kind;
	pr.id = pr.last_id = id;
	va_start(ap, fmt);
	vsnprintf(pr.msg, sizeof(pr.msg), fmt, ap);
	va_end(ap);
	for (c = pr.msg; *c != '\0'; c++)      /* one line */
		if (*c == '\n' || *c == '\r' || *c == '\t')
			*c = ' ';
	if (p->n++ == 0)
		p->first = pr;
	if (p->cb != NULL)
		p->cb(p->ctx, &pr);
}

static const char *
col(sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);

	return t != NULL ? (const char *)t : "";
}

/* ------------------------------------------------------------------ */
/* page-level checks                                                    */

/* An integrity_check line without its "*** in database main ***" head. */
static const char *
damage_msg(const char *m)
{
	const char *nl;

	if (strncmp(m, "*** in database ", 16) == 0 &&
	    (nl = strchr(m, '\n')) != NULL)
		return nl + 1;
	return m;
}

/*
 * PRAGMA quick_check of each table (and its indexes) in tables (NULL:
 * the whole file), or integrity_check with full.  Every line that is
 * not "ok" is a PKI_AUDIT_DAMAGED problem.
 */
static int
page_check(struct pki_store *st, const char *const *tables, int full,
	   struct probs *p, struct pki_error *err)
{
	static const char *const whole[] = { NULL, NULL };
	sqlite3_stmt *s = NULL;
	char sql[128];
	int rc = PKI_OK, step, i;

	if (tables == NULL)
		tables = whole;
	for (i = 0; rc == PKI_OK && (i == 0 || tables[i] != NULL); i++) {
		/* constant names only: tables[] is never user input */
		if (tables[i] != NULL)
			snprintf(sql, sizeof(sql), "PRAGMA quick_check(%s)",
				 tables[i]);
		else
			snprintf(sql, sizeof(sql), "PRAGMA %s(100)",
				 full ? "integrity_check" : "quick_check");
		if ((rc = pki__store_prep(st, sql, &s, err)) != PKI_OK) {
			if ((sqlite3_errcode(st->db) & 0xff) != SQLITE_CORRUPT &&
			    (sqlite3_errcode(st->db) & 0xff) != SQLITE_NOTADB)
				break;
			problem(p, PKI_AUDIT_DAMAGED, 0, "the schema cannot be "
				"read: %s", sqlite3_errmsg(st->db));
			rc = PKI_OK;
			break;
		}
		while ((step = sqlite3_step(s)) == SQLITE_ROW)
			if (strcmp(col(s, 0), "ok") != 0)
				problem(p, PKI_AUDIT_DAMAGED, 0, "%.200s",
					damage_msg(col(s, 0)));
		if (step != SQLITE_DONE) {
			if ((step & 0xff) == SQLITE_CORRUPT ||
			    (step & 0xff) == SQLITE_NOTADB)
				problem(p, PKI_AUDIT_DAMAGED, 0, "%s",
					sqlite3_errmsg(st->db));
			else
				rc = pki__store_db_err(st, err, sql);
		}
		sqlite3_finalize(s);
		s = NULL;
		if (tables[i] == NULL)
			break;
	}
	sqlite3_finalize(s);
	return rc;
}

/* PKI_E_DB naming the damage when page_check found any. */
static int
refuse_damaged(struct pki_store *st, const struct probs *p, const char *what,
	       struct pki_error *err)
{
	if (p->n == 0)
		return PKI_OK;
	return pki_error_set(err, PKI_E_DB, "the database %s is damaged "
			     "(%s); %s is refused until it is restored from a "
			     "backup", st->path, p->first.msg, what);
}

/* The last audit row is the one the head names, and its hash holds:
 * rows cut or rewritten at the end show before anything is signed. */
static int
audit_tip_check(struct pki_store *st, struct pki_error *err)
{
	sqlite3_stmt *s = NULL;
	char h[65];
	int rc, step;

	rc = pki__store_prep(st, "SELECT h.last_id, h.hash, a.id, a.ts, "
			     "a.actor, coalesce(a.uid, -1), a.action, "
			     "a.object, a.detail, a.prev_hash, a.hash "
			     "FROM audit_head h LEFT JOIN audit a "
			     "ON a.id = (SELECT max(id) FROM audit) "
			     "WHERE h.one = 1", &s, err);
	if (rc != PKI_OK)
		return rc;
	step = sqlite3_step(s);
	if (step == SQLITE_DONE) {
		rc = PKI_OK;    /* nothing written yet (or head removed:
				   audit verify names that) */
		goto out;
	}
	if (step != SQLITE_ROW) {
		rc = pki__store_db_err(st, err, "reading the audit log");
		goto out;
	}
	pki__audit_hash(col(s, 9), sqlite3_column_int64(s, 2),
			sqlite3_column_int64(s, 3), col(s, 4),
			sqlite3_column_int64(s, 5), col(s, 6), col(s, 7),
			sqlite3_column_type(s, 8) == SQLITE_NULL ? NULL :
			col(s, 8), h);
	if (sqlite3_column_int64(s, 0) != sqlite3_column_int64(s, 2) ||
	    strcmp(col(s, 1), col(s, 10)) != 0 || strcmp(h, col(s, 10)) != 0)
		rc = pki_error_set(err, PKI_E_AUTH, "the audit log was tampered "
				   "with: its last row does not match the "
				   "recorded head (row %lld); nothing is signed "
				   "until it is verified",
				   (long long)sqlite3_column_int64(s, 0));
	else
		rc = PKI_OK;
out:
	sqlite3_finalize(s);
	return rc;
}

int
pki_store_check_issue(struct pki_store *st, struct pki_error *err)
{
	/* the small tables issuance trusts in full: the CAs, the
	 * revocations (a revoked CA must not sign), the schema */
	static const char *const tables[] = {
		"cas", "revocations", "audit_head", "schema_version", NULL
	};
	struct probs p;
	int rc;

	memset(&p, 0, sizeof(p));
	if ((rc = page_check(st, tables, 0, &p, err)) != PKI_OK ||
	    (rc = refuse_damaged(st, &p, "issuing", err)) != PKI_OK)
		return rc;
	return audit_tip_check(st, err);
}

int
pki_store_check_crl_pages(struct pki_store *st, struct pki_error *err)
{
	/* every table a CRL depends on; not crls, the archive of the
	 * CRLs signed before (which a delta reads one row of) */
	static const char *const tables[] = {
		"cas", "certificates", "revocations", "revocation_events",
		"audit", "audit_head", "schema_version", "sqlite_sequence",
		NULL
	};
	struct probs p;
	int rc;

	memset(&p, 0, sizeof(p));
	if ((rc = page_check(st, tables, 0, &p, err)) != PKI_OK ||
	    (rc = refuse_damaged(st, &p, "signing a CRL", err)) != PKI_OK)
		return rc;
	return audit_tip_check(st, err);
}

int
pki_store_check_crl_counts(struct pki_store *st, int64_t ca_id,
			   int64_t *revoked, struct pki_error *err)
{
	sqlite3_stmt *s = NULL;
	int64_t table, events;
	int rc;

	*revoked = 0;
	/* NOT INDEXED: each count from its table, not from an index that
	 * may disagree with it */
	rc = pki__store_prep(st, "SELECT (SELECT count(*) FROM revocations "
			     "NOT INDEXED WHERE issuer_ca_id = ?1), (SELECT "
			     "coalesce(sum(event = 'revoke') - sum(event = "
			     "'release'), 0) FROM revocation_events NOT INDEXED "
			     "WHERE issuer_ca_id = ?1)", &s, err);
	if (rc != PKI_OK)
		return rc;
	if (sqlite3_bind_int64(s, 1, ca_id) || sqlite3_step(s) != SQLITE_ROW) {
		rc = pki__store_db_err(st, err, "counting revocations");
		goto out;
	}
	table = sqlite3_column_int64(s, 0);
	events = sqlite3_column_int64(s, 1);
	if (table != events) {
		rc = pki_error_set(err, PKI_E_AUTH, "the database was tampered "
				   "with: the CA has %lld revocation%s recorded "
				   "but its revocation events account for %lld; "
				   "no CRL is signed until it is restored",
				   (long long)table, table == 1 ? "" : "s",
				   (long long)events);
		goto out;
	}
	*revoked = table;
	rc = PKI_OK;
out:
	sqlite3_finalize(s);
	return rc;
}

/* ------------------------------------------------------------------ */
/* the data against the audit log                                       */

/* The issuer's name of an audit row about a certificate. */
#define ROW_CA "(CASE WHEN json_valid(a.detail) THEN " \
	"json_extract(a.detail, '$.ca') END)"

/* CAs and certificates without the audit row that made them. */
static int
cross_unlogged(struct pki_store *st, struct probs *p, struct pki_error *err)
{
	sqlite3_stmt *s = NULL;
	int rc, step;

	rc = pki__store_prep(st,
		"SELECT 'CA', c.name, '' FROM cas c WHERE NOT EXISTS "
		"(SELECT 1 FROM audit a WHERE a.object = c.name AND "
		"a.action IN ('pki.build.ca', 'pki.build.csr', "
		"'pki.build.import')) "
		"UNION ALL "
		"SELECT 'certificate', c.serial, i.name FROM certificates c "
		"JOIN cas i ON i.id = c.issuer_ca_id WHERE c.ca_id IS NULL "
		"AND NOT EXISTS (SELECT 1 FROM audit a WHERE a.object = "
		"c.serial AND a.action IN ('cert.issue', 'cert.renew') AND "
		ROW_CA " = i.name)", &s, err);
	if (rc != PKI_OK)
		return rc;
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		if (strcmp(col(s, 0), "CA") == 0)
			problem(p, PKI_AUDIT_UNLOGGED, 0, "CA '%.100s' has no "
				"audit row: it was added outside spork",
				col(s, 1));
		else
			problem(p, PKI_AUDIT_UNLOGGED, 0, "certificate %.130s "
				"of CA '%.60s' has no audit row: it was added "
				"outside spork", col(s, 1), col(s, 2));
	}
	if (step != SQLITE_DONE)
		rc = pki__store_db_err(st, err, "cross-checking the audit log");
	sqlite3_finalize(s);
	return rc;
}

/*
 * Audit rows whose object the tables do not hold: a certificate (issue,
 * renew, revoke, lifted hold), a CA (pki.*, but for the removal of an
 * orphaned key, whose object is the lockbox), a CRL (crl.generate).
 */
static int
cross_orphans(struct pki_store *st, struct probs *p, struct pki_error *err)
{
	sqlite3_stmt *s = NULL;
	int rc, step;

	rc = pki__store_prep(st,
		"SELECT a.id, a.action, a.object, coalesce(" ROW_CA ", '') "
		"FROM audit a WHERE "
		"(a.action IN ('cert.issue', 'cert.renew', 'cert.revoke', "
		"'cert.unhold') AND NOT EXISTS (SELECT 1 FROM certificates c "
		"JOIN cas i ON i.id = c.issuer_ca_id WHERE c.serial = a.object "
		"AND i.name = " ROW_CA ")) "
		/* a removed orphan key names the lockbox, not a CA */
		"OR (a.action LIKE 'pki.%' AND a.action <> "
		"'pki.build.orphan-key' AND NOT EXISTS (SELECT 1 FROM cas "
		"WHERE name = a.object)) "
		"OR (a.action = 'crl.generate' AND NOT EXISTS (SELECT 1 FROM "
		"crls r JOIN cas i ON i.id = r.ca_id WHERE i.name = a.object "
		"AND json_valid(a.detail) AND "
		"r.crl_number = json_extract(a.detail, '$.crl_number'))) "
		"ORDER BY a.id", &s, err);
	if (rc != PKI_OK)
		return rc;
	while ((step = sqlite3_step(s)) == SQLITE_ROW)
		problem(p, PKI_AUDIT_ORPHAN, sqlite3_column_int64(s, 0),
			"row %lld (%.40s of %.100s%s%.60s%s) names %s the "
			"database does not hold: it was deleted",
			(long long)sqlite3_column_int64(s, 0), col(s, 1),
			col(s, 2), *col(s, 3) ? ", CA '" : "", col(s, 3),
			*col(s, 3) ? "'" : "",
			strncmp(col(s, 1), "pki.", 4) == 0 ? "a CA" :
			strcmp(col(s, 1), "crl.generate") == 0 ? "a CRL" :
			"a certificate");
	if (step != SQLITE_DONE)
		rc = pki__store_db_err(st, err, "cross-checking the audit log");
	sqlite3_finalize(s);
	return rc;
}

/*
 * Per certificate with any revocation history: the revocation row, the
 * revocation events and the audit rows must tell the same story (as many
 * revokes and lifted holds in the events as in the log; revoked now
 * exactly when there is one revoke more).
 */
static int
cross_revocations(struct pki_store *st, struct probs *p,
		  struct pki_error *err)
{
	sqlite3_stmt *s = NULL;
	int64_t er, el, cur, ar, al;
	int rc, step;

	rc = pki__store_prep(st,
		"WITH ev AS (SELECT cert_id, sum(event = 'revoke') AS r, "
		"sum(event = 'release') AS l FROM revocation_events "
		"GROUP BY cert_id), "
		"au AS (SELECT a.object AS serial, " ROW_CA " AS ca, "
		"sum(a.action = 'cert.revoke') AS r, "
		"sum(a.action = 'cert.unhold') AS l, max(a.id) AS last_id "
		"FROM audit a WHERE a.action IN ('cert.revoke', 'cert.unhold') "
		"GROUP BY 1, 2) "
		"SELECT c.serial, i.name, coalesce(ev.r, 0), coalesce(ev.l, 0), "
		"(SELECT count(*) FROM revocations r WHERE r.cert_id = c.id), "
		"coalesce(au.r, 0), coalesce(au.l, 0), coalesce(au.last_id, 0) "
		"FROM certificates c JOIN cas i ON i.id = c.issuer_ca_id "
		"LEFT JOIN ev ON ev.cert_id = c.id "
		"LEFT JOIN au ON au.serial = c.serial AND au.ca = i.name "
		"WHERE ev.cert_id IS NOT NULL OR au.serial IS NOT NULL OR "
		"EXISTS (SELECT 1 FROM revocations r WHERE r.cert_id = c.id) "
		"ORDER BY c.id", &s, err);
	if (rc != PKI_OK)
		return rc;
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		er = sqlite3_column_int64(s, 2);
		el = sqlite3_column_int64(s, 3);
		cur = sqlite3_column_int64(s, 4);
		ar = sqlite3_column_int64(s, 5);
		al = sqlite3_column_int64(s, 6);
		if (cur == 0 && ar > al)
			problem(p, PKI_AUDIT_ORPHAN, sqlite3_column_int64(s, 7),
				"row %lld revoked certificate %.130s of CA "
				"'%.60s', but the database holds no revocation "
				"of it: the revocation was deleted",
				(long long)sqlite3_column_int64(s, 7),
				col(s, 0), col(s, 1));
		else if (cur > 0 && ar <= al)
			problem(p, PKI_AUDIT_UNLOGGED, 0, "certificate %.130s "
				"of CA '%.60s' is revoked, but no audit row "
				"revoked it: the revocation was added outside "
				"spork", col(s, 0), col(s, 1));
		else if (er != ar || el != al || er - el != cur)
			problem(p, PKI_AUDIT_UNLOGGED, 0, "the revocation "
				"events of certificate %.130s of CA '%.60s' "
				"(%lld revoked, %lld lifted) disagree with "
				"the audit log (%lld, %lld)", col(s, 0),
				col(s, 1), (long long)er, (long long)el,
				(long long)ar, (long long)al);
	}
	if (step != SQLITE_DONE)
		rc = pki__store_db_err(st, err, "cross-checking revocations");
	sqlite3_finalize(s);
	return rc;
}

int
pki_audit_crosscheck(struct pki_store *st, pki_audit_problem_fn cb,
		     void *ctx, int64_t *problems, struct pki_error *err)
{
	struct probs p;
	int rc, own = 0;

	memset(&p, 0, sizeof(p));
	p.cb = cb;
	p.ctx = ctx;
	if (problems != NULL)
		*problems = 0;
	/* one read snapshot for every query */
	if (!pki__store_in_transaction(st)) {
		if ((rc = pki__store_exec(st, "BEGIN", err)) != PKI_OK)
			return rc;
		own = 1;
	}
	if ((rc = cross_unlogged(st, &p, err)) == PKI_OK &&
	    (rc = cross_revocations(st, &p, err)) == PKI_OK)
		rc = cross_orphans(st, &p, err);
	if (own)
		sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL);
	if (rc != PKI_OK)
		return rc;
	if (problems != NULL)
		*problems = p.n;
	if (p.n > 0)
		return pki_error_set(err, PKI_E_AUTH, "the database and its "
				     "audit log disagree: %lld problem%s, "
				     "first: %s", (long long)p.n,
				     p.n == 1 ? "" : "s", p.first.msg);
	return PKI_OK;
}

/* ------------------------------------------------------------------ */
/* check and backup                                                     */

static int
fk_check(struct pki_store *st, struct probs *p, struct pki_error *err)
{
	sqlite3_stmt *s = NULL;
	int rc, step;

	if ((rc = pki__store_prep(st, "PRAGMA foreign_key_check", &s,
				  err)) != PKI_OK)
		return rc;
	while ((step = sqlite3_step(s)) == SQLITE_ROW)
		problem(p, PKI_AUDIT_DAMAGED, 0, "row %lld of %.40s refers to "
			"a row of %.40s that does not exist",
			(long long)sqlite3_column_int64(s, 1), col(s, 0),
			col(s, 2));
	if (step != SQLITE_DONE)
		rc = pki__store_db_err(st, err, "PRAGMA foreign_key_check");
	sqlite3_finalize(s);
	return rc;
}

int
pki_store_check(struct pki_store *st, pki_audit_problem_fn cb, void *ctx,
		struct pki_store_check_result *res, struct pki_error *err)
{
	struct pki_store_check_result local;
	struct pki_error e2;
	struct probs p;
	int64_t n = 0;
	int rc, vrc;

	if (res == NULL)
		res = &local;
	memset(res, 0, sizeof(*res));
	memset(&p, 0, sizeof(p));
	p.cb = cb;
	p.ctx = ctx;
	if ((rc = page_check(st, NULL, 1, &p, err)) != PKI_OK ||
	    (p.n == 0 && (rc = fk_check(st, &p, err)) != PKI_OK))
		return rc;
	res->damaged = p.n;
	res->problems = p.n;
	if (p.n > 0)
		return pki_error_set(err, PKI_E_DB, "the database %s is "
				     "damaged: %lld problem%s, first: %s",
				     st->path, (long long)p.n,
				     p.n == 1 ? "" : "s", p.first.msg);
	pki_error_clear(&e2);
	vrc = pki_audit_verify(st, cb, ctx, &res->audit, err);
	if (vrc != PKI_OK && vrc != PKI_E_AUTH)
		return vrc;
	rc = pki_audit_crosscheck(st, cb, ctx, &n, vrc == PKI_OK ? err : &e2);
	if (rc != PKI_OK && rc != PKI_E_AUTH)
		return rc;
	res->problems = res->audit.problems + n;
	if (vrc != PKI_OK)
		return vrc;
	return rc;
}

/* Copy st into the new file tmp with SQLite's online backup: one read
 * snapshot of the source, while other processes go on writing; the copy
 * is left in rollback-journal mode, a single self-contained file. */
static int
backup_copy(struct pki_store *st, const char *tmp, struct pki_error *err)
{
	sqlite3 *dst = NULL;
	sqlite3_backup *b = NULL;
	int rc = PKI_E_DB, step, tries = 0;

	if (sqlite3_open_v2(tmp, &dst, SQLITE_OPEN_READWRITE |
			    SQLITE_OPEN_NOFOLLOW, NULL) != SQLITE_OK) {
		rc = pki_error_set(err, PKI_E_DB, "cannot open %s: %s", tmp,
				   dst ? sqlite3_errmsg(dst) : "out of memory");
		goto out;
	}
	if ((b = sqlite3_backup_init(dst, "main", st->db, "main")) == NULL) {
		rc = pki_error_set(err, PKI_E_DB, "sqlite3_backup_init: %s",
				   sqlite3_errmsg(dst));
		goto out;
	}
	while ((step = sqlite3_backup_step(b, -1)) == SQLITE_BUSY ||
	       step == SQLITE_LOCKED) {
		if (++tries > 1000)
			break;
		sqlite3_sleep(10);
	}
	if (sqlite3_backup_finish(b) != SQLITE_OK || step != SQLITE_DONE) {
		rc = pki_error_set(err, PKI_E_DB, "copying %s: %s", st->path,
				   step == SQLITE_BUSY || step == SQLITE_LOCKED ?
				   "the database stayed locked" :
				   sqlite3_errstr(step));
		goto out;
	}
	if (sqlite3_exec(dst, "PRAGMA journal_mode = DELETE", NULL, NULL,
			 NULL) != SQLITE_OK) {
		rc = pki_error_set(err, PKI_E_DB, "%s: %s", tmp,
				   sqlite3_errmsg(dst));
		goto out;
	}
	rc = PKI_OK;
out:
	if (dst != NULL && sqlite3_close(dst) != SQLITE_OK && rc == PKI_OK)
		rc = pki_error_set(err, PKI_E_DB, "closing %s", tmp);
	return rc;
}

static int
fsync_path(const char *path, int dir)
{
	int fd = open(path, (dir ? O_RDONLY | O_DIRECTORY : O_RDWR) |
		      O_CLOEXEC), rc;

	if (fd < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

/* The copy tmp must open as a spork database and pass pki_store_check. */
static int
backup_verify(const char *tmp, struct pki_store_check_result *res,
	      struct pki_error *err)
{
	struct pki_store *copy = NULL;
	int rc;

	if ((rc = pki__store_open_copy(tmp, &copy, err)) == PKI_OK)
		rc = pki_store_check(copy, NULL, NULL, res, err);
	pki_store_close(copy);
	if (rc != PKI_OK)
		pki_error_prefix(err, "the copy does not verify");
	return rc;
}

int
pki_store_backup(struct pki_store *st, const char *path,
		 struct pki_store_check_result *res, struct pki_error *err)
{
	struct pki_store_check_result local;
	char *tmp = NULL, *dir = NULL, *slash;
	int rc, fd = -1;

	if (res == NULL)
		res = &local;
	memset(res, 0, sizeof(*res));
	if (path == NULL || *path == '\0')
		return pki_error_set(err, PKI_E_INVALID, "no backup file named");
	if (access(path, F_OK) == 0 || errno != ENOENT)
		return pki_error_set(err, PKI_E_EXISTS, "%s exists already; a "
				     "backup is written to a new file", path);
	if (asprintf(&tmp, "%s.XXXXXX", path) < 0 ||
	    (dir = strdup(path)) == NULL) {
		tmp = NULL;
		rc = pki_error_set(err, PKI_E_NOMEM, "out of memory");
		goto out;
	}
	if ((slash = strrchr(dir, '/')) != NULL)
		slash[slash == dir ? 1 : 0] = '\0';
	else
		strcpy(dir, ".");
	if ((fd = mkstemp(tmp)) < 0) {
		free(tmp);
		tmp = NULL;
		rc = pki_error_set(err, PKI_E_IO, "cannot create a file next "
				   "to %s: %s", path, strerror(errno));
		goto out;
	}
	close(fd);
	if ((rc = backup_copy(st, tmp, err)) != PKI_OK ||
	    (rc = backup_verify(tmp, res, err)) != PKI_OK)
		goto out;
	/* link: never over a file that appeared meanwhile */
	if (fsync_path(tmp, 0) != 0 || link(tmp, path) != 0) {
		rc = pki_error_set(err, errno == EEXIST ? PKI_E_EXISTS :
				   PKI_E_IO, "cannot write %s: %s", path,
				   strerror(errno));
		goto out;
	}
	if (fsync_path(dir, 1) != 0) {
		rc = pki_error_set(err, PKI_E_IO, "cannot sync %s: %s", dir,
				   strerror(errno));
		goto out;
	}
	rc = PKI_OK;
out:
	if (tmp != NULL)
		unlink(tmp);
	free(tmp);
	free(dir);
	return rc;
}
