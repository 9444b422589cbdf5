/* Unit tests of libpki/audit: the hash chain, tampering detection with
 * plain SQL, listing. */
#include <config.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include <spork/audit.h>
#include "audit-int.h"
#include "fixture.h"
#include "store-int.h"
#include "store-write.h"

#define NOW 1767225600          /* 2026-01-01T00:00:00Z */
#define ROWS 6

struct problems {
	int n;
	enum pki_audit_problem_kind kind[16];
	int64_t id[16], last_id[16];
	char msg[16][256];
};

static void
append(struct pki_store *st, int64_t ts, const char *actor,
       const char *action, const char *object, const char *detail)
{
	struct pki_error err = { 0 };

	fixture_clock_set(st, ts);
	if (pki_store_audit(st, actor, action, object, detail, &err) != PKI_OK)
		fail_msg("audit: %s", err.msg);
}

/* A database with ROWS audit rows 1..ROWS, one per hour. */
static int
setup(void **state)
{
	struct fixture_store *f;

	f = fixture_store_new("audit");
	fixture_actor_set(f->st, "alice");
	append(f->st, NOW, NULL, "pki.build.ca", "Root CA",
	       "{\"algorithm\":\"ecdsa-p384\"}");
	append(f->st, NOW + 3600, NULL, "pki.build.ca", "Issuing CA", NULL);
	append(f->st, NOW + 7200, "acme", "cert.issue", "0A1B",
	       "{\"profile\":\"tls-server\"}");
	append(f->st, NOW + 10800, NULL, "cert.revoke", "0A1B",
	       "{\"reason\":\"keyCompromise\"}");
	append(f->st, NOW + 14400, NULL, "crl.generate", "Issuing CA",
	       "{\"number\":1}");
	append(f->st, NOW + 18000, "bob", "cert.issue", "0C0D", "{}");
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	return fixture_store_free(*state);
}

/* Tamper through a separate connection, as someone with sqlite3 would. */
static void
raw_sql(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	char *msg = NULL;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	sqlite3_busy_timeout(db, 10000);
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s", sql, msg);
	sqlite3_close(db);
}

static void
on_problem(void *ctx, const struct pki_audit_problem *p)
{
	struct problems *pr = ctx;

	if (pr->n < 16) {
		pr->kind[pr->n] = p->kind;
		pr->id[pr->n] = p->id;
		pr->last_id[pr->n] = p->last_id;
		snprintf(pr->msg[pr->n], sizeof(pr->msg[0]), "%s", p->msg);
	}
	pr->n++;
}

static int
verify(struct pki_store *st, struct problems *pr, struct pki_audit_result *res,
       struct pki_error *err)
{
	memset(pr, 0, sizeof(*pr));
	return pki_audit_verify(st, on_problem, pr, res, err);
}

/* ------------------------------------------------------------------ */

static void
test_chain_ok(void **state)
{
	struct fixture_store *f = *state;
	struct pki_audit_result res;
	struct pki_audit_row *v = NULL;
	struct problems pr;
	struct pki_error err = { 0 };
	char h[65];
	size_t n = 0;

	assert_int_equal(verify(f->st, &pr, &res, &err), PKI_OK);
	assert_int_equal(pr.n, 0);
	assert_int_equal(res.rows, ROWS);
	assert_int_equal(res.problems, 0);
	assert_int_equal(res.last_id, ROWS);

	assert_int_equal(pki_audit_list(f->st, NULL, &v, &n, &err), PKI_OK);
	assert_int_equal(n, ROWS);
	assert_int_equal(v[0].id, 1);
	assert_int_equal(v[0].ts, NOW);
	assert_string_equal(v[0].actor, "alice");        /* SPORK_ACTOR */
	assert_string_equal(v[0].action, "pki.build.ca");
	assert_string_equal(v[0].object, "Root CA");
	assert_string_equal(v[0].detail, "{\"algorithm\":\"ecdsa-p384\"}");
	assert_string_equal(v[0].prev_hash, PKI_AUDIT_ZERO_HASH);
	assert_null(v[1].detail);
	assert_string_equal(v[2].actor, "acme");
	/* each row links to the one before and its hash is recomputable */
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			assert_string_equal(v[i].prev_hash, v[i - 1].hash);
		pki__audit_hash(v[i].prev_hash, v[i].id, v[i].ts, v[i].actor,
				v[i].uid, v[i].action, v[i].object,
				v[i].detail, h);
		assert_string_equal(h, v[i].hash);
	}
	assert_string_equal(res.head_hash, v[n - 1].hash);
	pki_audit_rows_free(v, n);
}

static void
test_hash_is_unambiguous(void **state)
{
	char a[65], b[65];

	(void)state;
	/* moving bytes between fields changes the hash */
	pki__audit_hash(PKI_AUDIT_ZERO_HASH, 1, 2, "ab", -1, "c", "d", NULL, a);
	pki__audit_hash(PKI_AUDIT_ZERO_HASH, 1, 2, "a", -1, "bc", "d", NULL, b);
	assert_string_not_equal(a, b);
	/* NULL detail differs from "" */
	pki__audit_hash(PKI_AUDIT_ZERO_HASH, 1, 2, "a", -1, "b", "c", NULL, a);
	pki__audit_hash(PKI_AUDIT_ZERO_HASH, 1, 2, "a", -1, "b", "c", "", b);
	assert_string_not_equal(a, b);
	/* id and ts are separate fields */
	pki__audit_hash(PKI_AUDIT_ZERO_HASH, 12, 3, "a", -1, "b", "c", NULL, a);
	pki__audit_hash(PKI_AUDIT_ZERO_HASH, 1, 23, "a", -1, "b", "c", NULL, b);
	assert_string_not_equal(a, b);
	assert_int_equal(strlen(a), 64);
}

static void
test_append_rules(void **state)
{
	struct fixture_store *f = *state;
	struct pki_audit_row *v = NULL;
	struct pki_audit_result res;
	struct problems pr;
	struct pki_error err = { 0 };
	size_t n = 0;

	/* detail must be a JSON object; an action is required */
	assert_int_equal(pki_store_audit(f->st, NULL, "x.y", "o", "[1,2]",
					 &err), PKI_E_INVALID);
	assert_int_equal(pki_store_audit(f->st, NULL, "x.y", "o", "{bad",
					 &err), PKI_E_INVALID);
	assert_int_equal(pki_store_audit(f->st, NULL, "", "o", NULL, &err),
			 PKI_E_INVALID);

	/* a rolled back transaction leaves no row and no gap */
	assert_int_equal(pki_store_begin(f->st, &err), PKI_OK);
	append(f->st, NOW + 20000, NULL, "cert.issue", "DEAD", NULL);
	pki_store_rollback(f->st);
	assert_int_equal(pki_store_begin(f->st, &err), PKI_OK);
	append(f->st, NOW + 20001, NULL, "cert.issue", "BEEF", NULL);
	assert_int_equal(pki_store_commit(f->st, &err), PKI_OK);
	assert_int_equal(pki_audit_list(f->st, NULL, &v, &n, &err), PKI_OK);
	assert_int_equal(n, ROWS + 1);
	assert_int_equal(v[n - 1].id, ROWS + 1);
	assert_string_equal(v[n - 1].object, "BEEF");
	pki_audit_rows_free(v, n);
	assert_int_equal(verify(f->st, &pr, &res, &err), PKI_OK);

	/* the chain survives reopening */
	pki_store_close(f->st);
	f->st = NULL;
	assert_int_equal(pki_store_open(f->path, 0, &f->st, &err), PKI_OK);
	append(f->st, NOW + 30000, NULL, "crl.generate", "Issuing CA", NULL);
	assert_int_equal(verify(f->st, &pr, &res, &err), PKI_OK);
	assert_int_equal(res.rows, ROWS + 2);
}

static void
test_altered_row_named(void **state)
{
	struct fixture_store *f = *state;
	struct pki_audit_result res;
	struct problems pr;
	struct pki_error err = { 0 };

	raw_sql(f->path, "UPDATE audit SET object = '0BAD' WHERE id = 3");
	assert_int_equal(verify(f->st, &pr, &res, &err), PKI_E_AUTH);
	assert_int_equal(pr.n, 1);
	assert_int_equal(pr.kind[0], PKI_AUDIT_ALTERED);
	assert_int_equal(pr.id[0], 3);
	assert_non_null(strstr(pr.msg[0], "row 3"));
	assert_non_null(strstr(err.msg, "row 3"));
	assert_int_equal(res.problems, 1);

	/* a second change elsewhere is named too */
	raw_sql(f->path, "UPDATE audit SET ts = ts + 1 WHERE id = 5");
	assert_int_equal(verify(f->st, &pr, &res, &err), PKI_E_AUTH);
	assert_int_equal(pr.n, 2);
	assert_int_equal(pr.id[0], 3);
	assert_int_equal(pr.kind[1], PKI_AUDIT_ALTERED);
	assert_int_equal(pr.id[1], 5);
}

static void
test_deleted_row_named(void **state)
{
	struct fixture_store *f = *state;
	struct problems pr;
	struct pki_error err = { 0 };

	raw_sql(f->path, "DELETE FROM audit WHERE id = 4");
	assert_int_equal(verify(f->st, &pr, NULL, &err), PKI_E_AUTH);
	assert_int_equal(pr.n, 1);
	assert_int_equal(pr.kind[0], PKI_AUDIT_DELETED);
	assert_int_equal(pr.id[0], 4);
	assert_int_equal(pr.last_id[0], 4);
	assert_non_null(strstr(pr.msg[0], "row 4 was deleted"));

	/* the first row */
	raw_sql(f->path, "DELETE FROM audit WHERE id = 1");
	assert_int_equal(verify(f->st, &pr, NULL, &err), PKI_E_AUTH);
	assert_int_equal(pr.n, 2);
	assert_int_equal(pr.kind[0], PKI_AUDIT_DELETED);
	assert_int_equal(pr.id[0], 1);
	assert_int_equal(pr.id[1], 4);
}

static void
test_deleted_range_named(void **state)
{
	struct fixture_store *f = *state;
	struct problems pr;
	struct pki_error err = { 0 };

	raw_sql(f->path, "DELETE FROM audit WHERE id BETWEEN 2 AND 4");
	assert_int_equal(verify(f->st, &pr, NULL, &err), PKI_E_AUTH);
	assert_int_equal(pr.n, 1);
	assert_int_equal(pr.kind[0], PKI_AUDIT_DELETED);
	assert_int_equal(pr.id[0], 2);
	assert_int_equal(pr.last_id[0], 4);
}

static void
test_truncated_tail_named(void **state)
{
	struct fixture_store *f = *state;
	struct problems pr;
	struct pki_audit_result res;
	struct pki_error err = { 0 };

	raw_sql(f->path, "DELETE FROM audit WHERE id >= 5");
	assert_int_equal(verify(f->st, &pr, &res, &err), PKI_E_AUTH);
	assert_int_equal(pr.n, 1);
	assert_int_equal(pr.kind[0], PKI_AUDIT_TRUNCATED);
	assert_int_equal(pr.id[0], 5);
	assert_int_equal(pr.last_id[0], ROWS);

	/* writing on continues after the recorded head: the gap stays */
	append(f->st, NOW + 99999, NULL, "cert.issue", "AAAA", NULL);
	assert_int_equal(verify(f->st, &pr, &res, &err), PKI_E_AUTH);
	assert_int_equal(pr.n, 1);
	assert_int_equal(pr.kind[0], PKI_AUDIT_DELETED);
	assert_int_equal(pr.id[0], 5);
	assert_int_equal(pr.last_id[0], ROWS);
	assert_int_equal(res.last_id, ROWS + 1);
}

static void
test_inserted_row_named(void **state)
{
	struct fixture_store *f = *state;
	struct problems pr;
	struct pki_error err = { 0 };

	/* a hand-made row at the end, with a made-up hash */
	raw_sql(f->path, "INSERT INTO audit (id, ts, actor, action, object, "
		"detail, prev_hash, hash) VALUES (7, 1767300000, 'mallory', "
		"'cert.revoke', '0A1B', NULL, "
		"'0000000000000000000000000000000000000000000000000000000000000000', "
		"'1111111111111111111111111111111111111111111111111111111111111111')");
	assert_int_equal(verify(f->st, &pr, NULL, &err), PKI_E_AUTH);
	assert_int_equal(pr.n, 1);
	assert_int_equal(pr.kind[0], PKI_AUDIT_INSERTED);
	assert_int_equal(pr.id[0], 7);
	assert_non_null(strstr(pr.msg[0], "row 7 was inserted"));
}

static void
test_inserted_chained_row_named(void **state)
{
	struct fixture_store *f = *state;
	struct pki_audit_row *v = NULL;
	struct problems pr;
	struct pki_error err = { 0 };
	char h[65], sql[1024];
	size_t n = 0;

	/* someone who knows the hash recipe appends a well-chained row but
	 * does not update the head */
	assert_int_equal(pki_audit_list(f->st, NULL, &v, &n, &err), PKI_OK);
	pki__audit_hash(v[n - 1].hash, ROWS + 1, NOW + 50000, "mallory", -1,
			"cert.issue", "EVIL", NULL, h);
	snprintf(sql, sizeof(sql), "INSERT INTO audit VALUES (%d, %d, "
		 "'mallory', 'cert.issue', 'EVIL', NULL, '%s', '%s', NULL)",
		 ROWS + 1, NOW + 50000, v[n - 1].hash, h);
	pki_audit_rows_free(v, n);
	raw_sql(f->path, sql);
	assert_int_equal(verify(f->st, &pr, NULL, &err), PKI_E_AUTH);
	assert_int_equal(pr.n, 1);
	assert_int_equal(pr.kind[0], PKI_AUDIT_INSERTED);
	assert_int_equal(pr.id[0], ROWS + 1);
}

static void
test_inserted_middle_row_named(void **state)
{
	struct fixture_store *f = *state;
	struct problems pr;
	struct pki_error err = { 0 };

	/* make room in the middle by moving the rows after 3 up by 1000,
	 * then add a row 4: the moved rows keep their hashes, so the chain
	 * goes 3 -> 1004 around the new row */
	raw_sql(f->path, "UPDATE audit SET id = id + 1000 WHERE id > 3;"
		"INSERT INTO audit VALUES (4, 1767240000, 'mallory', "
		"'cert.revoke', '0C0D', NULL, "
		"'2222222222222222222222222222222222222222222222222222222222222222', "
		"'3333333333333333333333333333333333333333333333333333333333333333', NULL)");
	assert_int_equal(verify(f->st, &pr, NULL, &err), PKI_E_AUTH);
	assert_true(pr.n >= 1);
	assert_int_equal(pr.kind[0], PKI_AUDIT_INSERTED);
	assert_int_equal(pr.id[0], 4);
}

static void
test_rehashed_row_found(void **state)
{
	struct fixture_store *f = *state;
	struct pki_audit_row *v = NULL;
	struct problems pr;
	struct pki_error err = { 0 };
	char h[65], sql[512];
	size_t n = 0;

	/* row 2 changed and its own hash recomputed: row 3 no longer
	 * chains to it */
	assert_int_equal(pki_audit_list(f->st, NULL, &v, &n, &err), PKI_OK);
	pki__audit_hash(v[1].prev_hash, 2, v[1].ts, "mallory", v[1].uid,
			v[1].action, v[1].object, v[1].detail, h);
	snprintf(sql, sizeof(sql), "UPDATE audit SET actor = 'mallory', "
		 "hash = '%s' WHERE id = 2", h);
	pki_audit_rows_free(v, n);
	raw_sql(f->path, sql);
	assert_int_equal(verify(f->st, &pr, NULL, &err), PKI_E_AUTH);
	assert_int_equal(pr.n, 1);
	assert_int_equal(pr.kind[0], PKI_AUDIT_RELINKED);
	assert_int_equal(pr.id[0], 3);
	assert_non_null(strstr(pr.msg[0], "row 2"));
}

static void
test_head_removed(void **state)
{
	struct fixture_store *f = *state;
	struct problems pr;
	struct pki_error err = { 0 };

	raw_sql(f->path, "DELETE FROM audit_head");
	assert_int_equal(verify(f->st, &pr, NULL, &err), PKI_E_AUTH);
	assert_int_equal(pr.n, 1);
	assert_int_equal(pr.kind[0], PKI_AUDIT_HEAD);
	assert_string_equal(pki_audit_problem_name(pr.kind[0]), "head");
}

static void
test_list_filters(void **state)
{
	struct fixture_store *f = *state;
	struct pki_audit_filter flt;
	struct pki_audit_row *v = NULL;
	struct pki_error err = { 0 };
	size_t n = 0;

	memset(&flt, 0, sizeof(flt));
	flt.action_prefix = "cert.";
	assert_int_equal(pki_audit_list(f->st, &flt, &v, &n, &err), PKI_OK);
	assert_int_equal(n, 3);
	assert_int_equal(v[0].id, 3);
	assert_int_equal(v[1].id, 4);
	assert_int_equal(v[2].id, 6);
	pki_audit_rows_free(v, n);

	flt.action_prefix = "cert.issue";
	flt.limit = 1;                       /* the newest one */
	assert_int_equal(pki_audit_list(f->st, &flt, &v, &n, &err), PKI_OK);
	assert_int_equal(n, 1);
	assert_int_equal(v[0].id, 6);
	assert_string_equal(v[0].actor, "bob");
	pki_audit_rows_free(v, n);

	memset(&flt, 0, sizeof(flt));
	flt.object = "0A1B";
	assert_int_equal(pki_audit_list(f->st, &flt, &v, &n, &err), PKI_OK);
	assert_int_equal(n, 2);
	pki_audit_rows_free(v, n);

	memset(&flt, 0, sizeof(flt));
	flt.since = NOW + 3600;
	flt.until = NOW + 10800;
	assert_int_equal(pki_audit_list(f->st, &flt, &v, &n, &err), PKI_OK);
	assert_int_equal(n, 3);
	assert_int_equal(v[0].id, 2);
	assert_int_equal(v[2].id, 4);
	pki_audit_rows_free(v, n);

	memset(&flt, 0, sizeof(flt));
	flt.limit = 4;
	assert_int_equal(pki_audit_list(f->st, &flt, &v, &n, &err), PKI_OK);
	assert_int_equal(n, 4);
	assert_int_equal(v[0].id, 3);        /* the newest four, ascending */
	assert_int_equal(v[3].id, 6);
	pki_audit_rows_free(v, n);

	memset(&flt, 0, sizeof(flt));
	flt.action_prefix = "%";             /* not a LIKE pattern */
	assert_int_equal(pki_audit_list(f->st, &flt, &v, &n, &err), PKI_OK);
	assert_int_equal(n, 0);
	pki_audit_rows_free(v, n);
}

static void
test_actor(void **state)
{
	struct fixture_store *f = *state;

	pki__store_set_actor(f->st, "ops\nteam");
	assert_string_equal(pki__store_actor(f->st), "ops?team");
	pki__store_set_actor(f->st, NULL);
	assert_string_equal(pki__store_actor(f->st), "unknown");
	pki__store_set_actor(f->st, "alice");
}

/*
 * A database of schema version 1 (rows without a uid, hashed as v1)
 * migrates on open: the old rows still verify, new rows carry the uid
 * and chain on, and refusals can be recorded.
 */
static void
test_migrate_v1(void **state)
{
	struct fixture_store *f = *state;
	struct pki_store *st = NULL;
	struct pki_audit_row *v = NULL;
	struct pki_audit_result res;
	struct pki_audit_filter rf;
	struct pki_error err = { 0 }, why = { 0 };
	sqlite3 *db = NULL;
	char h1[65], h2[65], sql[1024], path[FIXTURE_PATH_MAX];
	size_t n = 0;

	snprintf(path, sizeof(path), "%s/v1.db", f->dir);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, pki__store_migration_sql(1), NULL,
				      NULL, NULL), SQLITE_OK);
	pki__audit_hash(PKI_AUDIT_ZERO_HASH, 1, NOW, "alice", -1,
			"pki.build.ca", "Root CA", NULL, h1);
	pki__audit_hash(h1, 2, NOW + 60, "bob", -1, "cert.issue", "0A1B",
			"{}", h2);
	snprintf(sql, sizeof(sql), "PRAGMA application_id = 1397771057;"
		 "INSERT INTO schema_version VALUES (1, %d);"
		 "INSERT INTO audit VALUES (1, %d, 'alice', 'pki.build.ca', "
		 "'Root CA', NULL, '%s', '%s');"
		 "INSERT INTO audit VALUES (2, %d, 'bob', 'cert.issue', "
		 "'0A1B', '{}', '%s', '%s');"
		 "INSERT INTO audit_head VALUES (1, 2, '%s');", NOW, NOW,
		 PKI_AUDIT_ZERO_HASH, h1, NOW + 60, h1, h2, h2);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);

	assert_int_equal(pki_store_open(path, 0, &st, &err), PKI_OK);
	assert_int_equal(pki_store_schema_version(st),
			 pki_store_schema_latest());
	assert_int_equal(pki_audit_verify(st, NULL, NULL, &res, &err), PKI_OK);
	assert_int_equal(res.rows, 2);
	assert_int_equal(pki_store_audit(st, NULL, "test.after", "x", NULL,
					 &err), PKI_OK);
	assert_int_equal(pki_audit_verify(st, NULL, NULL, &res, &err), PKI_OK);
	assert_int_equal(res.rows, 3);
	assert_int_equal(pki_audit_list(st, NULL, &v, &n, &err), PKI_OK);
	assert_int_equal(n, 3);
	assert_int_equal(v[0].uid, -1);
	assert_int_equal(v[1].uid, -1);
	assert_int_equal(v[2].uid, (int64_t)getuid());
	pki_audit_rows_free(v, n);
	v = NULL;

	/* the uid is part of the new row's hash */
	pki_store_close(st);
	st = NULL;
	raw_sql(path, "UPDATE audit SET uid = uid + 1 WHERE id = 3");
	assert_int_equal(pki_store_open(path, 0, &st, &err), PKI_OK);
	assert_int_equal(pki_audit_verify(st, NULL, NULL, &res, &err),
			 PKI_E_AUTH);

	/* refusals: recorded apart, listed with the filter */
	pki_error_set(&why, PKI_E_DENIED, "www.other.example is denied");
	assert_int_equal(pki_store_refusal(st, "mallory", "cert.issue",
					   "www.other.example", &why), PKI_OK);
	pki_error_set(&why, PKI_E_NOTFOUND, "not a refusal");
	assert_int_equal(pki_store_refusal(st, NULL, "cert.issue", "y", &why),
			 PKI_OK);
	memset(&rf, 0, sizeof(rf));
	rf.refusals = 1;
	assert_int_equal(pki_audit_list(st, &rf, &v, &n, &err), PKI_OK);
	assert_int_equal(n, 1);
	assert_string_equal(v[0].actor, "mallory");
	assert_int_equal(v[0].uid, (int64_t)getuid());
	assert_string_equal(v[0].object, "www.other.example");
	assert_string_equal(v[0].detail, "{\"error\":\"denied\",\"message\":"
			    "\"www.other.example is denied\"}");
	pki_audit_rows_free(v, n);
	pki_store_close(st);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_chain_ok, setup, teardown),
		cmocka_unit_test(test_hash_is_unambiguous),
		cmocka_unit_test_setup_teardown(test_append_rules, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_altered_row_named, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_deleted_row_named, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_deleted_range_named, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_truncated_tail_named, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_inserted_row_named, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_inserted_chained_row_named,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_inserted_middle_row_named,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_rehashed_row_found, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_head_removed, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_list_filters, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_actor, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migrate_v1, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
