/* Unit tests of libpki/store: schema, CAs, certificates, revocations,
 * CRL numbers, concurrency. */
#include <config.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "fixture.h"
#include "store-write.h"

#define NOW 1767225600          /* 2026-01-01T00:00:00Z */
#define DAY 86400

static int
setup(void **state)
{
	struct fixture_store *f = fixture_store_new("store");

	fixture_clock_set(f->st, NOW);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	return fixture_store_free(*state);
}

/* Run SQL on the database through a separate raw connection. */
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

static int64_t
raw_int(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	int64_t v;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	sqlite3_busy_timeout(db, 10000);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return v;
}

static void
raw_str(const char *path, const char *sql, char *out, size_t len)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	sqlite3_busy_timeout(db, 10000);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	snprintf(out, len, "%s", (const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	sqlite3_close(db);
}

static int64_t
add_ca(struct pki_store *st, const char *name, int64_t parent,
       const char *role, const char *serial, int with_cert)
{
	struct pki_ca_record r;
	struct pki_error err = { 0 };
	char der[128], subj[128];
	int64_t id;

	memset(&r, 0, sizeof(r));
	snprintf(subj, sizeof(subj), "CN=%s,O=Example", name);
	snprintf(der, sizeof(der), "cert of %s", name);
	r.name = (char *)name;
	r.parent_id = parent;
	r.role = (char *)role;
	r.mode = with_cert ? "local" : "subordinate";
	r.algorithm = "ecdsa-p256";
	r.key_uri = "lockbox:k1";
	r.subject = subj;
	r.serial = strdup(with_cert ? serial : "");
	r.not_before = NOW - DAY;
	r.not_after = NOW + 3650 * DAY;
	if (with_cert) {
		r.cert_der.data = (unsigned char *)der;
		r.cert_der.size = (unsigned)strlen(der);
	}
	r.config_json = "{\"crl_urls\":[\"http://crl.example/x.crl\"]}";
	r.status = with_cert ? PKI_CA_ACTIVE : PKI_CA_PENDING;
	if (pki_store_ca_insert(st, &r, &err) != PKI_OK)
		fail_msg("ca insert %s: %s", name, err.msg);
	id = r.id;
	free(r.serial);
	return id;
}

/* Insert an end-entity certificate; returns the rc (id in *id). */
static int
add_cert(struct pki_store *st, int64_t issuer, const char *serial,
	 const char *cn, const char *sans, const char *profile,
	 int64_t not_after, int64_t *id, struct pki_error *err)
{
	struct pki_cert_record r;
	char der[256], subj[160];
	int rc;

	memset(&r, 0, sizeof(r));
	snprintf(subj, sizeof(subj), "CN=%s,O=Example", cn);
	snprintf(der, sizeof(der), "der %lld %s %s", (long long)issuer,
		 serial, cn);
	r.issuer_ca_id = issuer;
	r.serial = strdup(serial);
	r.subject = strdup(subj);
	r.sans = sans ? strdup(sans) : NULL;
	r.profile = strdup(profile);
	r.not_before = (not_after < NOW ? not_after : NOW) - DAY;
	r.not_after = not_after;
	r.der.data = gnutls_malloc(strlen(der));
	memcpy(r.der.data, der, strlen(der));
	r.der.size = (unsigned)strlen(der);
	rc = pki_store_cert_insert(st, &r, err);
	if (id != NULL)
		*id = r.id;
	pki_cert_record_clear(&r);
	return rc;
}

static int64_t
must_add_cert(struct pki_store *st, int64_t issuer, const char *serial,
	      const char *cn, const char *sans, int64_t not_after)
{
	struct pki_error err = { 0 };
	int64_t id = 0;

	if (add_cert(st, issuer, serial, cn, sans, "tls-server", not_after,
		     &id, &err) != PKI_OK)
		fail_msg("cert %s: %s", serial, err.msg);
	assert_true(id > 0);
	return id;
}

/* ------------------------------------------------------------------ */

static void
test_migrations(void **state)
{
	struct fixture_store *f = *state;
	struct pki_store *st2 = NULL;
	struct pki_error err = { 0 };
	struct stat sb;
	char missing[400], txt[64];

	assert_int_equal(pki_store_schema_version(f->st),
			 pki_store_schema_latest());
	assert_true(pki_store_schema_latest() >= 1);
	assert_int_equal(stat(f->path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	raw_str(f->path, "PRAGMA journal_mode", txt, sizeof(txt));
	assert_string_equal(txt, "wal");
	raw_str(f->path, "PRAGMA application_id", txt, sizeof(txt));
	assert_string_equal(txt, "1397771057");   /* "SPK1" */

	/* reopening applies nothing twice */
	pki_store_close(f->st);
	f->st = NULL;
	assert_int_equal(pki_store_open(f->path, 0, &f->st, &err), PKI_OK);
	assert_int_equal(pki_store_open(f->path, 1, &st2, &err), PKI_OK);
	pki_store_close(st2);
	assert_int_equal(pki_store_schema_version(f->st),
			 pki_store_schema_latest());
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM schema_version"),
			 pki_store_schema_latest());

	/* a missing database is not created without create */
	snprintf(missing, sizeof(missing), "%s/none.db", f->dir);
	assert_int_equal(pki_store_open(missing, 0, &st2, &err),
			 PKI_E_NOTFOUND);
	assert_null(st2);
	assert_int_equal(access(missing, F_OK), -1);
}

static void
test_newer_schema_refused(void **state)
{
	struct fixture_store *f = *state;
	struct pki_store *st2 = NULL;
	struct pki_error err = { 0 };
	char sql[128];

	snprintf(sql, sizeof(sql), "INSERT INTO schema_version VALUES "
		 "(%d, 0)", pki_store_schema_latest() + 1);
	raw_sql(f->path, sql);
	assert_int_equal(pki_store_open(f->path, 0, &st2, &err),
			 PKI_E_UNSUPPORTED);
	assert_null(st2);
	assert_non_null(strstr(err.msg, "newer"));
}

static void
test_foreign_files_refused(void **state)
{
	struct fixture_store *f = *state;
	struct pki_store *st2 = NULL;
	struct pki_error err = { 0 };
	char other[400], junk[4096];
	int fd;

	snprintf(other, sizeof(other), "%s/other.db", f->dir);
	raw_sql(other, "CREATE TABLE t (x)");
	assert_int_equal(pki_store_open(other, 0, &st2, &err), PKI_E_DB);
	assert_non_null(strstr(err.msg, "another program"));

	snprintf(other, sizeof(other), "%s/junk.db", f->dir);
	fd = open(other, O_WRONLY | O_CREAT, 0600);
	assert_true(fd >= 0);
	memset(junk, 'j', sizeof(junk));
	assert_int_equal(write(fd, junk, sizeof(junk)), sizeof(junk));
	close(fd);
	assert_int_equal(pki_store_open(other, 0, &st2, &err), PKI_E_DB);
	assert_null(st2);
}

static void
test_transactions(void **state)
{
	struct fixture_store *f = *state;
	struct pki_error err = { 0 };

	assert_int_equal(pki_store_begin(f->st, &err), PKI_OK);
	assert_int_equal(pki_store_begin(f->st, &err), PKI_E_INVALID);
	add_ca(f->st, "Rolled Back", 0, "root", "01", 1);
	pki_store_rollback(f->st);
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM cas"), 0);
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM certificates"),
			 0);
	assert_int_equal(pki_store_commit(f->st, &err), PKI_E_INVALID);

	assert_int_equal(pki_store_begin(f->st, &err), PKI_OK);
	add_ca(f->st, "Kept", 0, "root", "01", 1);
	assert_int_equal(pki_store_commit(f->st, &err), PKI_OK);
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM cas"), 1);
}

static void
test_ca_records(void **state)
{
	struct fixture_store *f = *state;
	struct pki_ca_record r, *v = NULL;
	struct pki_cert_record c;
	struct pki_error err = { 0 };
	gnutls_datum_t der = { (unsigned char *)"sub cert", 8 };
	int64_t root, issuing, sub;
	size_t n = 0;

	root = add_ca(f->st, "Root CA", 0, "root", "00:0a:bc", 1);
	issuing = add_ca(f->st, "Issuing CA", root, "issuing", "1f", 1);
	sub = add_ca(f->st, "Sub CA", 0, "issuing", NULL, 0);
	assert_true(root > 0 && issuing > root && sub > issuing);

	assert_int_equal(pki_store_ca_get(f->st, "Issuing CA", &r, &err),
			 PKI_OK);
	assert_int_equal(r.id, issuing);
	assert_int_equal(r.parent_id, root);
	assert_string_equal(r.serial, "1F");
	assert_string_equal(r.role, "issuing");
	assert_string_equal(r.subject, "CN=Issuing CA,O=Example");
	assert_int_equal(r.cert_der.size, strlen("cert of Issuing CA"));
	assert_memory_equal(r.cert_der.data, "cert of Issuing CA",
			    r.cert_der.size);
	assert_int_equal(r.status, PKI_CA_ACTIVE);
	assert_int_equal(r.created_at, NOW);
	assert_string_equal(r.config_json,
			    "{\"crl_urls\":[\"http://crl.example/x.crl\"]}");
	pki_ca_record_clear(&r);

	assert_int_equal(pki_store_ca_get_id(f->st, root, &r, &err), PKI_OK);
	assert_string_equal(r.name, "Root CA");
	assert_string_equal(r.serial, "0ABC");
	assert_int_equal(r.parent_id, 0);
	pki_ca_record_clear(&r);

	assert_int_equal(pki_store_ca_get(f->st, "Nope", &r, &err),
			 PKI_E_NOTFOUND);
	assert_non_null(strstr(err.msg, "Nope"));
	assert_int_equal(pki_store_ca_get_id(f->st, 999, &r, &err),
			 PKI_E_NOTFOUND);

	assert_int_equal(pki_store_ca_list(f->st, &v, &n, &err), PKI_OK);
	assert_int_equal(n, 3);
	assert_string_equal(v[0].name, "Root CA");
	assert_string_equal(v[1].name, "Issuing CA");
	assert_string_equal(v[2].name, "Sub CA");
	assert_int_equal(v[2].status, PKI_CA_PENDING);
	assert_int_equal(v[2].cert_der.size, 0);
	pki_ca_records_free(v, n);

	/* duplicate names */
	memset(&r, 0, sizeof(r));
	r.name = "Root CA";
	r.role = "root";
	r.mode = "local";
	r.algorithm = "ed25519";
	r.key_uri = "lockbox:x";
	r.subject = "CN=x";
	r.status = PKI_CA_PENDING;
	assert_int_equal(pki_store_ca_insert(f->st, &r, &err), PKI_E_EXISTS);
	assert_non_null(strstr(err.msg, "Root CA"));

	/* a CA's certificate is in the inventory, issued by its parent
	 * (a root by itself) */
	assert_int_equal(pki_store_cert_get(f->st, 0, "0abc", &c, &err),
			 PKI_OK);
	assert_int_equal(c.ca_id, root);
	assert_int_equal(c.issuer_ca_id, root);
	assert_string_equal(c.profile, "root-ca");
	pki_cert_record_clear(&c);
	assert_int_equal(pki_store_cert_get(f->st, root, "1F", &c, &err),
			 PKI_OK);
	assert_int_equal(c.ca_id, issuing);
	assert_string_equal(c.profile, "sub-ca");
	assert_string_equal(c.issuer_name, "Root CA");
	pki_cert_record_clear(&c);

	/* completing the pending subordinate CA */
	assert_int_equal(pki_store_ca_set_cert(f->st, sub, &der, "7777",
					       NOW, NOW + 365 * DAY, &err),
			 PKI_OK);
	assert_int_equal(pki_store_ca_get(f->st, "Sub CA", &r, &err), PKI_OK);
	assert_int_equal(r.status, PKI_CA_ACTIVE);
	assert_string_equal(r.serial, "7777");
	assert_int_equal(r.not_after, NOW + 365 * DAY);
	assert_int_equal(r.parent_id, 0);
	assert_memory_equal(r.cert_der.data, "sub cert", 8);
	pki_ca_record_clear(&r);
	assert_int_equal(pki_store_cert_get(f->st, 0, "7777", &c, &err),
			 PKI_OK);
	assert_int_equal(c.issuer_ca_id, 0);   /* external issuer */
	assert_null(c.issuer_name);
	assert_int_equal(c.ca_id, sub);
	pki_cert_record_clear(&c);
	/* only once */
	assert_int_equal(pki_store_ca_set_cert(f->st, sub, &der, "7778",
					       NOW, NOW + DAY, &err),
			 PKI_E_INVALID);
}

static void
test_serial_canon(void **state)
{
	struct pki_error err = { 0 };
	char out[2 * PKI_STORE_SERIAL_MAX + 1];
	char longer[200];

	(void)state;
	assert_int_equal(pki_store_serial_canon("0a:1B", out, sizeof(out),
						&err), PKI_OK);
	assert_string_equal(out, "0A1B");
	assert_int_equal(pki_store_serial_canon("00A1", out, sizeof(out), &err),
			 PKI_OK);
	assert_string_equal(out, "A1");
	assert_int_equal(pki_store_serial_canon("1", out, sizeof(out), &err),
			 PKI_OK);
	assert_string_equal(out, "01");
	assert_int_equal(pki_store_serial_canon("0", out, sizeof(out), &err),
			 PKI_OK);
	assert_string_equal(out, "00");
	assert_int_equal(pki_store_serial_canon("", out, sizeof(out), &err),
			 PKI_E_INVALID);
	assert_int_equal(pki_store_serial_canon("xyz", out, sizeof(out), &err),
			 PKI_E_INVALID);
	assert_int_equal(pki_store_serial_canon("12; DROP TABLE cas", out,
						sizeof(out), &err),
			 PKI_E_INVALID);
	memset(longer, 'F', 130);
	longer[130] = '\0';
	assert_int_equal(pki_store_serial_canon(longer, out, sizeof(out), &err),
			 PKI_E_INVALID);
}

static void
test_cert_insert_get(void **state)
{
	struct fixture_store *f = *state;
	struct pki_cert_record c;
	struct pki_error err = { 0 };
	int64_t a, b, id1, id2, id;

	a = add_ca(f->st, "CA A", 0, "root", "01", 1);
	b = add_ca(f->st, "CA B", 0, "root", "02", 1);
	id1 = must_add_cert(f->st, a, "00:AB:CD", "www.example.com",
			    "dns:www.example.com\nip:10.0.0.1", NOW + 90 * DAY);
	/* the same serial under another issuer is fine */
	id2 = must_add_cert(f->st, b, "abcd", "other.example.com", NULL,
			    NOW + 90 * DAY);
	assert_true(id2 > id1);

	/* never twice under one issuer, however it is spelled */
	assert_int_equal(add_cert(f->st, a, "ABCD", "dup.example.com", NULL,
				  "tls-server", NOW + DAY, &id, &err),
			 PKI_E_EXISTS);
	assert_non_null(strstr(err.msg, "ABCD"));
	assert_non_null(strstr(err.msg, "CA A"));
	/* an unknown issuer */
	assert_int_equal(add_cert(f->st, 4242, "01", "x", NULL, "tls-server",
				  NOW + DAY, &id, &err), PKI_E_NOTFOUND);
	/* no issuer at all */
	assert_int_equal(add_cert(f->st, 0, "01", "x", NULL, "tls-server",
				  NOW + DAY, &id, &err), PKI_E_INVALID);

	/* by serial across CAs: ambiguous */
	assert_int_equal(pki_store_cert_get(f->st, 0, "ABCD", &c, &err),
			 PKI_E_CONFLICT);
	assert_int_equal(err.hint, PKI_HINT_NAME_CA);  /* the CLI: give --ca */
	assert_non_null(strstr(err.msg, "CA A"));
	assert_non_null(strstr(err.msg, "CA B"));
	/* by issuer and serial */
	assert_int_equal(pki_store_cert_get(f->st, a, "ab:cd", &c, &err),
			 PKI_OK);
	assert_int_equal(c.id, id1);
	assert_string_equal(c.serial, "ABCD");
	assert_string_equal(c.subject, "CN=www.example.com,O=Example");
	assert_string_equal(c.sans, "dns:www.example.com\nip:10.0.0.1");
	assert_string_equal(c.profile, "tls-server");
	assert_string_equal(c.source, "cli");
	assert_string_equal(c.requester, "tester");
	assert_string_equal(c.issuer_name, "CA A");
	assert_int_equal(c.created_at, NOW);
	assert_int_equal(c.revoked, 0);
	assert_int_equal(strlen(c.sha256), 64);
	assert_true(c.der.size > 0);
	assert_int_equal(pki_cert_record_status(&c, NOW), PKI_CERT_VALID);
	assert_int_equal(pki_cert_record_status(&c, NOW + 91 * DAY),
			 PKI_CERT_EXPIRED);
	{
		char fp[65];
		struct pki_cert_record c2;

		snprintf(fp, sizeof(fp), "%s", c.sha256);
		pki_cert_record_clear(&c);
		assert_int_equal(pki_store_cert_get_sha256(f->st, fp, &c2,
							   &err), PKI_OK);
		assert_int_equal(c2.id, id1);
		pki_cert_record_clear(&c2);
	}
	/* unique serial: found without --ca */
	must_add_cert(f->st, b, "5555", "five.example.com", NULL, NOW + DAY);
	assert_int_equal(pki_store_cert_get(f->st, 0, "5555", &c, &err),
			 PKI_OK);
	assert_string_equal(c.issuer_name, "CA B");
	pki_cert_record_clear(&c);
	assert_int_equal(pki_store_cert_get_id(f->st, id2, &c, &err), PKI_OK);
	assert_string_equal(c.subject, "CN=other.example.com,O=Example");
	assert_string_equal(c.sans, "");
	pki_cert_record_clear(&c);

	assert_int_equal(pki_store_cert_get(f->st, 0, "0BADBAD0", &c, &err),
			 PKI_E_NOTFOUND);
	assert_non_null(strstr(err.msg, "0BADBAD0"));
	assert_int_equal(pki_store_cert_get(f->st, 0, "zz", &c, &err),
			 PKI_E_INVALID);
	assert_int_equal(pki_store_cert_get_id(f->st, 9999, &c, &err),
			 PKI_E_NOTFOUND);
	assert_int_equal(pki_store_cert_get_sha256(f->st, "00", &c, &err),
			 PKI_E_INVALID);

	/* a renewal points at the certificate it renews */
	{
		struct pki_cert_record r;

		memset(&r, 0, sizeof(r));
		r.issuer_ca_id = a;
		r.serial = strdup("0F0F");
		r.subject = strdup("CN=www.example.com,O=Example");
		r.profile = strdup("tls-server");
		r.not_before = NOW;
		r.not_after = NOW + 90 * DAY;
		r.der.data = gnutls_malloc(7);
		memcpy(r.der.data, "renewed", 7);
		r.der.size = 7;
		r.renewal_of = id1;
		r.source = strdup("acme");
		assert_int_equal(pki_store_cert_insert(f->st, &r, &err),
				 PKI_OK);
		id = r.id;
		pki_cert_record_clear(&r);
		assert_int_equal(pki_store_cert_get_id(f->st, id, &c, &err),
				 PKI_OK);
		assert_int_equal(c.renewal_of, id1);
		assert_string_equal(c.source, "acme");
		pki_cert_record_clear(&c);
	}
}

static size_t
count_list(struct pki_store *st, const struct pki_cert_filter *flt)
{
	struct pki_cert_record *v = NULL;
	struct pki_error err = { 0 };
	size_t n = 0;

	if (pki_store_cert_list(st, flt, &v, &n, &err) != PKI_OK)
		fail_msg("list: %s", err.msg);
	pki_cert_records_free(v, n);
	return n;
}

static void
test_cert_list_filters(void **state)
{
	struct fixture_store *f = *state;
	struct pki_cert_filter flt;
	struct pki_cert_record *v = NULL;
	struct pki_error err = { 0 };
	size_t n;
	int64_t a, b, revoked_id;

	a = add_ca(f->st, "CA A", 0, "root", "01", 1);
	b = add_ca(f->st, "CA B", 0, "root", "02", 1);
	must_add_cert(f->st, a, "10", "www.example.com",
		      "dns:www.example.com\ndns:example.com", NOW + 200 * DAY);
	must_add_cert(f->st, a, "11", "api.example.com", "dns:api.example.com",
		      NOW + 10 * DAY);
	must_add_cert(f->st, a, "12", "old.example.com", "dns:old.example.com",
		      NOW - 5 * DAY);
	revoked_id = must_add_cert(f->st, a, "13", "bad.example.org",
				   "dns:bad.example.org", NOW + 100 * DAY);
	must_add_cert(f->st, b, "14", "Host One", "ip:192.0.2.7",
		      NOW + 20 * DAY);
	{
		int64_t id;

		assert_int_equal(add_cert(f->st, b, "15", "Alice",
					  "email:alice@example.com", "email",
					  NOW + 300 * DAY, &id, &err), PKI_OK);
	}
	assert_int_equal(pki_store_cert_revoke(f->st, revoked_id, 1, 0, 0,
					       &err), PKI_OK);

	/* 2 CA certificates + 6 */
	assert_int_equal(count_list(f->st, NULL), 8);

	memset(&flt, 0, sizeof(flt));
	flt.issuer_ca_id = a;
	/* root A's own certificate + 4 */
	assert_int_equal(count_list(f->st, &flt), 5);

	memset(&flt, 0, sizeof(flt));
	flt.status = PKI_CERT_REVOKED;
	assert_int_equal(pki_store_cert_list(f->st, &flt, &v, &n, &err),
			 PKI_OK);
	assert_int_equal(n, 1);
	assert_string_equal(v[0].serial, "13");
	assert_int_equal(v[0].revoked, 1);
	assert_int_equal(v[0].reason, 1);
	assert_int_equal(v[0].revoked_at, NOW);
	assert_int_equal(v[0].der.size, 0);   /* with_der not asked */
	pki_cert_records_free(v, n);

	flt.status = PKI_CERT_EXPIRED;
	assert_int_equal(pki_store_cert_list(f->st, &flt, &v, &n, &err),
			 PKI_OK);
	assert_int_equal(n, 1);
	assert_string_equal(v[0].serial, "12");
	pki_cert_records_free(v, n);

	flt.status = PKI_CERT_VALID;
	assert_int_equal(count_list(f->st, &flt), 6);
	/* at another time the answer changes */
	flt.now = NOW + 50 * DAY;
	assert_int_equal(count_list(f->st, &flt), 4);

	/* expiring within 30 days (and still valid) */
	memset(&flt, 0, sizeof(flt));
	flt.status = PKI_CERT_VALID;
	flt.expiring_within = 30 * DAY;
	assert_int_equal(pki_store_cert_list(f->st, &flt, &v, &n, &err),
			 PKI_OK);
	assert_int_equal(n, 2);
	assert_string_equal(v[0].serial, "11");
	assert_string_equal(v[1].serial, "14");
	pki_cert_records_free(v, n);

	/* name globs: CN value, SAN with and without type, subject */
	memset(&flt, 0, sizeof(flt));
	flt.name_glob = "*.example.com";
	assert_int_equal(count_list(f->st, &flt), 3);
	flt.name_glob = "EXAMPLE.COM";           /* SAN of serial 10 */
	assert_int_equal(count_list(f->st, &flt), 1);
	flt.name_glob = "192.0.2.*";
	assert_int_equal(count_list(f->st, &flt), 1);
	flt.name_glob = "ip:192.0.2.7";
	assert_int_equal(count_list(f->st, &flt), 1);
	flt.name_glob = "alice@*";
	assert_int_equal(count_list(f->st, &flt), 1);
	flt.name_glob = "host one";
	assert_int_equal(count_list(f->st, &flt), 1);
	flt.name_glob = "CN=*,O=Example";      /* whole DN: every row */
	assert_int_equal(count_list(f->st, &flt), 8);
	flt.name_glob = "'; DROP TABLE certificates; --";
	assert_int_equal(count_list(f->st, &flt), 0);
	flt.name_glob = "*.example.*";
	flt.limit = 2;                         /* limit after the glob */
	assert_int_equal(pki_store_cert_list(f->st, &flt, &v, &n, &err),
			 PKI_OK);
	assert_int_equal(n, 2);
	assert_string_equal(v[0].serial, "10");
	assert_string_equal(v[1].serial, "11");
	pki_cert_records_free(v, n);

	memset(&flt, 0, sizeof(flt));
	flt.profile = "email";
	flt.with_der = 1;
	assert_int_equal(pki_store_cert_list(f->st, &flt, &v, &n, &err),
			 PKI_OK);
	assert_int_equal(n, 1);
	assert_string_equal(v[0].serial, "15");
	assert_true(v[0].der.size > 0);
	pki_cert_records_free(v, n);

	memset(&flt, 0, sizeof(flt));
	flt.limit = 3;
	assert_int_equal(count_list(f->st, &flt), 3);

	/* the raw table still has every row */
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM certificates"),
			 8);
}

static void
test_revoke_rules(void **state)
{
	struct fixture_store *f = *state;
	struct pki_cert_record c;
	struct pki_ca_record ca;
	struct pki_error err = { 0 };
	int64_t root, issuing, id1, id2, id3, ca_cert;

	root = add_ca(f->st, "Root", 0, "root", "01", 1);
	issuing = add_ca(f->st, "Issuing", root, "issuing", "02", 1);
	id1 = must_add_cert(f->st, issuing, "A1", "one", NULL, NOW + DAY);
	id2 = must_add_cert(f->st, issuing, "A2", "two", NULL, NOW + DAY);
	id3 = must_add_cert(f->st, issuing, "A3", "three", NULL, NOW + DAY);

	/* reasons: 7 is unused, 8 only for delta CRLs */
	assert_int_equal(pki_store_cert_revoke(f->st, id1, 7, 0, 0, &err),
			 PKI_E_INVALID);
	assert_int_equal(pki_store_cert_revoke(f->st, id1, 8, 0, 0, &err),
			 PKI_E_INVALID);
	assert_int_equal(pki_store_cert_revoke(f->st, id1, 11, 0, 0, &err),
			 PKI_E_INVALID);
	assert_int_equal(pki_store_cert_revoke(f->st, id1, -1, 0, 0, &err),
			 PKI_E_INVALID);
	/* invalidity date after the revocation */
	assert_int_equal(pki_store_cert_revoke(f->st, id1, 1, NOW, NOW + 1,
					       &err), PKI_E_INVALID);
	assert_int_equal(pki_store_cert_revoke(f->st, 4242, 1, 0, 0, &err),
			 PKI_E_NOTFOUND);

	/* keyCompromise with an invalidity date */
	assert_int_equal(pki_store_cert_revoke(f->st, id1, 1, NOW - 60,
					       NOW - 3600, &err), PKI_OK);
	assert_int_equal(pki_store_cert_get_id(f->st, id1, &c, &err), PKI_OK);
	assert_int_equal(c.revoked, 1);
	assert_int_equal(c.reason, 1);
	assert_int_equal(c.revoked_at, NOW - 60);
	assert_int_equal(c.invalidity_date, NOW - 3600);
	assert_int_equal(c.revocation_recorded_at, NOW);
	assert_int_equal(c.first_crl_number, 0);
	assert_int_equal(pki_cert_record_status(&c, NOW), PKI_CERT_REVOKED);
	pki_cert_record_clear(&c);
	/* twice: says when and why */
	assert_int_equal(pki_store_cert_revoke(f->st, id1, 4, 0, 0, &err),
			 PKI_E_EXISTS);
	assert_non_null(strstr(err.msg, "already revoked"));
	assert_non_null(strstr(err.msg, "2025-12-31T23:59:00Z"));
	assert_non_null(strstr(err.msg, "keyCompromise"));
	/* only a hold can be lifted */
	assert_int_equal(pki_store_cert_unrevoke(f->st, id1, &err),
			 PKI_E_INVALID);
	assert_non_null(strstr(err.msg, "certificateHold"));
	assert_int_equal(pki_store_cert_unrevoke(f->st, id2, &err),
			 PKI_E_INVALID);           /* not revoked */
	assert_non_null(strstr(err.msg, "not revoked"));
	assert_int_equal(pki_store_cert_unrevoke(f->st, 4242, &err),
			 PKI_E_NOTFOUND);

	/* hold, lift, hold again */
	assert_int_equal(pki_store_cert_revoke(f->st, id2, 6, 0, 0, &err),
			 PKI_OK);
	assert_int_equal(pki_store_cert_unrevoke(f->st, id2, &err), PKI_OK);
	assert_int_equal(pki_store_cert_get_id(f->st, id2, &c, &err), PKI_OK);
	assert_int_equal(c.revoked, 0);
	assert_int_equal(pki_cert_record_status(&c, NOW), PKI_CERT_VALID);
	pki_cert_record_clear(&c);
	assert_int_equal(pki_store_cert_revoke(f->st, id2, 6, 0, 0, &err),
			 PKI_OK);
	assert_int_equal(pki_store_cert_revoke(f->st, id3, 0, 0, 0, &err),
			 PKI_OK);
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM revocations"),
			 3);

	/* revoking a CA's certificate marks the CA */
	assert_int_equal(pki_store_cert_get(f->st, root, "02", &c, &err),
			 PKI_OK);
	ca_cert = c.id;
	pki_cert_record_clear(&c);
	assert_int_equal(pki_store_cert_revoke(f->st, ca_cert, 6, 0, 0, &err),
			 PKI_OK);
	assert_int_equal(pki_store_ca_get_id(f->st, issuing, &ca, &err),
			 PKI_OK);
	assert_int_equal(ca.status, PKI_CA_REVOKED);
	pki_ca_record_clear(&ca);
	assert_int_equal(pki_store_cert_unrevoke(f->st, ca_cert, &err), PKI_OK);
	assert_int_equal(pki_store_ca_get_id(f->st, issuing, &ca, &err),
			 PKI_OK);
	assert_int_equal(ca.status, PKI_CA_ACTIVE);
	pki_ca_record_clear(&ca);

	/* a failed revoke inside the caller's transaction leaves the rest
	 * of the transaction alone */
	assert_int_equal(pki_store_begin(f->st, &err), PKI_OK);
	must_add_cert(f->st, issuing, "B1", "in-tx", NULL, NOW + DAY);
	assert_int_equal(pki_store_cert_revoke(f->st, id1, 1, 0, 0, &err),
			 PKI_E_EXISTS);
	assert_int_equal(pki_store_commit(f->st, &err), PKI_OK);
	assert_int_equal(pki_store_cert_get(f->st, issuing, "B1", &c, &err),
			 PKI_OK);
	pki_cert_record_clear(&c);
}

struct collected {
	int n;
	char serial[8][32];
	int reason[8];
	int remove[8];
	int64_t invalidity[8];
};

static int
collect_rev(void *ctx, const struct pki_revocation *e)
{
	struct collected *c = ctx;

	if (c->n < 8) {
		snprintf(c->serial[c->n], sizeof(c->serial[0]), "%s",
			 e->serial_hex);
		c->reason[c->n] = e->reason;
		c->remove[c->n] = e->remove_from_crl;
		c->invalidity[c->n] = e->invalidity_date;
	}
	c->n++;
	return 0;
}

static void
record_crl(struct pki_store *st, int64_t ca, int64_t base, int64_t *num,
	   struct collected *got)
{
	struct pki_crl_record r;
	struct pki_error err = { 0 };
	char der[32];

	memset(got, 0, sizeof(*got));
	assert_int_equal(pki_store_begin(st, &err), PKI_OK);
	assert_int_equal(pki_store_crl_next_number(st, ca, num, &err), PKI_OK);
	if (pki_store_revocations_foreach(st, ca, base, collect_rev, got,
					  &err) != PKI_OK)
		fail_msg("revocations: %s", err.msg);
	memset(&r, 0, sizeof(r));
	snprintf(der, sizeof(der), "crl %lld", (long long)*num);
	r.ca_id = ca;
	r.crl_number = *num;
	r.is_delta = base > 0;
	r.base_crl_number = base;
	r.this_update = NOW;
	r.next_update = NOW + 7 * DAY;
	r.entries = got->n;
	r.der.data = (unsigned char *)der;
	r.der.size = (unsigned)strlen(der);
	if (pki_store_crl_insert(st, &r, &err) != PKI_OK)
		fail_msg("crl insert: %s", err.msg);
	assert_true(r.id > 0);
	assert_int_equal(pki_store_commit(st, &err), PKI_OK);
}

static void
test_crls(void **state)
{
	struct fixture_store *f = *state;
	struct pki_crl_record r;
	struct pki_cert_record c;
	struct pki_revocation_cursor *cur = NULL;
	struct pki_revocation e;
	struct collected got;
	struct pki_error err = { 0 };
	int64_t root, other, id1, id2, id3, id4, n1, n2, n3, n4, n5, n;

	root = add_ca(f->st, "Root", 0, "root", "01", 1);
	other = add_ca(f->st, "Other", 0, "root", "01", 1);
	id1 = must_add_cert(f->st, root, "C1", "c1", NULL, NOW + DAY);
	id2 = must_add_cert(f->st, root, "C2", "c2", NULL, NOW + DAY);
	id3 = must_add_cert(f->st, root, "C3", "c3", NULL, NOW + DAY);
	id4 = must_add_cert(f->st, root, "00:C4", "c4", NULL, NOW + DAY);
	n = must_add_cert(f->st, other, "C1", "o1", NULL, NOW + DAY);
	assert_int_equal(pki_store_cert_revoke(f->st, n, 4, 0, 0, &err),
			 PKI_OK);

	/* cursors and CRL records belong in a transaction */
	assert_int_equal(pki_store_revocations_open(f->st, root, 0, &cur,
						    &err), PKI_E_INVALID);
	memset(&r, 0, sizeof(r));
	r.ca_id = root;
	r.crl_number = 1;
	r.this_update = NOW;
	r.next_update = NOW + DAY;
	r.der.data = (unsigned char *)"x";
	r.der.size = 1;
	assert_int_equal(pki_store_crl_insert(f->st, &r, &err), PKI_E_INVALID);
	/* a number that was not allocated */
	assert_int_equal(pki_store_begin(f->st, &err), PKI_OK);
	assert_int_equal(pki_store_crl_insert(f->st, &r, &err), PKI_E_INVALID);
	pki_store_rollback(f->st);
	assert_int_equal(pki_store_crl_latest(f->st, root, PKI_STORE_CRL_ANY,
					      &r, &err), PKI_E_NOTFOUND);

	assert_int_equal(pki_store_cert_revoke(f->st, id1, 1, NOW - 10,
					       NOW - 100, &err), PKI_OK);
	assert_int_equal(pki_store_cert_revoke(f->st, id2, 6, 0, 0, &err),
			 PKI_OK);

	/* full CRL 1: C1 and C2 (not Other's C1) */
	record_crl(f->st, root, 0, &n1, &got);
	assert_int_equal(n1, 1);
	assert_int_equal(got.n, 2);
	assert_string_equal(got.serial[0], "C1");
	assert_int_equal(got.reason[0], 1);
	assert_int_equal(got.invalidity[0], NOW - 100);
	assert_string_equal(got.serial[1], "C2");
	assert_int_equal(got.reason[1], 6);
	assert_int_equal(got.remove[1], 0);
	assert_int_equal(pki_store_cert_get_id(f->st, id1, &c, &err), PKI_OK);
	assert_int_equal(c.first_crl_number, 1);
	pki_cert_record_clear(&c);

	/* after it: C3 revoked, the hold on C2 lifted */
	assert_int_equal(pki_store_cert_revoke(f->st, id3, 5, 0, 0, &err),
			 PKI_OK);
	assert_int_equal(pki_store_cert_unrevoke(f->st, id2, &err), PKI_OK);

	/* delta 2 on base 1: C3, and C2 removeFromCRL */
	record_crl(f->st, root, n1, &n2, &got);
	assert_int_equal(n2, 2);
	assert_int_equal(got.n, 2);
	assert_string_equal(got.serial[0], "C3");
	assert_int_equal(got.reason[0], 5);
	assert_int_equal(got.remove[0], 0);
	assert_string_equal(got.serial[1], "C2");
	assert_int_equal(got.reason[1], 8);
	assert_int_equal(got.remove[1], 1);
	assert_int_equal(pki_store_cert_get_id(f->st, id3, &c, &err), PKI_OK);
	assert_int_equal(c.first_crl_number, 2);   /* first carried by a delta */
	pki_cert_record_clear(&c);

	/* C4 held and lifted between CRLs: it never was on the base, so no
	 * delta mentions it */
	assert_int_equal(pki_store_cert_revoke(f->st, id4, 6, 0, 0, &err),
			 PKI_OK);
	assert_int_equal(pki_store_cert_unrevoke(f->st, id4, &err), PKI_OK);
	record_crl(f->st, root, n1, &n3, &got);
	assert_int_equal(n3, 3);
	assert_int_equal(got.n, 2);                /* cumulative: C3, C2 */

	/* full CRL 4: C1, C3 */
	record_crl(f->st, root, 0, &n4, &got);
	assert_int_equal(n4, 4);
	assert_int_equal(got.n, 2);
	assert_string_equal(got.serial[0], "C1");
	assert_string_equal(got.serial[1], "C3");
	/* delta 5 on base 4: nothing changed */
	record_crl(f->st, root, n4, &n5, &got);
	assert_int_equal(got.n, 0);

	/* C2 held again after base 4 and lifted: not on base 4 -> nothing;
	 * held again: a plain entry */
	assert_int_equal(pki_store_cert_revoke(f->st, id2, 6, 0, 0, &err),
			 PKI_OK);
	assert_int_equal(pki_store_begin(f->st, &err), PKI_OK);
	assert_int_equal(pki_store_revocations_open(f->st, root, n4, &cur,
						    &err), PKI_OK);
	assert_int_equal(pki_store_revocations_next(cur, &e, &err), 1);
	assert_string_equal(e.serial_hex, "C2");
	assert_int_equal(e.serial_len, 1);
	assert_int_equal(e.serial[0], 0xC2);
	assert_int_equal(e.remove_from_crl, 0);
	assert_int_equal(pki_store_revocations_next(cur, &e, &err), 0);
	pki_store_revocations_close(cur);
	cur = NULL;
	/* a delta cannot build on a delta, nor on nothing */
	assert_int_equal(pki_store_revocations_open(f->st, root, n5, &cur,
						    &err), PKI_E_INVALID);
	assert_int_equal(pki_store_revocations_open(f->st, root, 99, &cur,
						    &err), PKI_E_NOTFOUND);
	pki_store_rollback(f->st);

	/* latest */
	assert_int_equal(pki_store_crl_latest(f->st, root, PKI_STORE_CRL_FULL,
					      &r, &err), PKI_OK);
	assert_int_equal(r.crl_number, 4);
	assert_int_equal(r.is_delta, 0);
	assert_int_equal(r.entries, 2);
	assert_memory_equal(r.der.data, "crl 4", 5);
	pki_crl_record_clear(&r);
	assert_int_equal(pki_store_crl_latest(f->st, root, PKI_STORE_CRL_DELTA,
					      &r, &err), PKI_OK);
	assert_int_equal(r.crl_number, 5);
	assert_int_equal(r.is_delta, 1);
	assert_int_equal(r.base_crl_number, 4);
	pki_crl_record_clear(&r);
	assert_int_equal(pki_store_crl_latest(f->st, root, PKI_STORE_CRL_ANY,
					      &r, &err), PKI_OK);
	assert_int_equal(r.crl_number, 5);
	pki_crl_record_clear(&r);
	assert_int_equal(pki_store_crl_get(f->st, root, 2, &r, &err), PKI_OK);
	assert_int_equal(r.is_delta, 1);
	assert_int_equal(r.base_crl_number, 1);
	assert_int_equal(r.this_update, NOW);
	assert_int_equal(r.next_update, NOW + 7 * DAY);
	pki_crl_record_clear(&r);
	assert_int_equal(pki_store_crl_get(f->st, root, 42, &r, &err),
			 PKI_E_NOTFOUND);
	assert_int_equal(pki_store_crl_latest(f->st, other, PKI_STORE_CRL_ANY,
					      &r, &err), PKI_E_NOTFOUND);

	/* numbers are per CA, and a recorded number is never given again */
	assert_int_equal(pki_store_crl_next_number(f->st, other, &n, &err),
			 PKI_OK);
	assert_int_equal(n, 1);
	assert_int_equal(pki_store_crl_next_number(f->st, root, &n, &err),
			 PKI_OK);
	assert_int_equal(n, 6);
	assert_int_equal(pki_store_crl_next_number(f->st, 4242, &n, &err),
			 PKI_E_NOTFOUND);
	/* recording a number twice */
	assert_int_equal(pki_store_begin(f->st, &err), PKI_OK);
	memset(&r, 0, sizeof(r));
	r.ca_id = root;
	r.crl_number = 4;
	r.this_update = NOW;
	r.next_update = NOW + DAY;
	r.der.data = (unsigned char *)"again";
	r.der.size = 5;
	assert_int_equal(pki_store_crl_insert(f->st, &r, &err), PKI_E_EXISTS);
	pki_store_rollback(f->st);
}

/* ---------------------------------------------------------- concurrency */

#define PER_CHILD 200
#define SHARED 50
#define CRLS_PER_CHILD 40

static int
child(const char *path, int which, const char *numfile)
{
	struct pki_store *st = NULL;
	struct pki_error err = { 0 };
	struct pki_ca_record ca;
	char serial[32];
	FILE *fp = NULL;
	int64_t id, num;
	int i, rc, shared_ok = 0;

	if (pki_store_open(path, 0, &st, &err) != PKI_OK)
		return 10;
	if (pki_store_ca_get(st, "Busy CA", &ca, &err) != PKI_OK)
		return 11;
	if ((fp = fopen(numfile, "w")) == NULL)
		return 12;
	for (i = 0; i < PER_CHILD; i++) {
		snprintf(serial, sizeof(serial), "%02X%04X", which + 1, i);
		if (pki_store_begin(st, &err) != PKI_OK)
			return 13;
		rc = add_cert(st, ca.id, serial, "busy", NULL, "tls-server",
			      NOW + DAY, &id, &err);
		if (rc != PKI_OK ||
		    pki_store_audit(st, NULL, "cert.issue", serial, NULL,
				    &err) != PKI_OK) {
			pki_store_rollback(st);
			return 14;
		}
		if (pki_store_commit(st, &err) != PKI_OK)
			return 15;
		/* both children try the same serials: one wins each */
		if (i < SHARED) {
			snprintf(serial, sizeof(serial), "FF%04X", i);
			rc = add_cert(st, ca.id, serial, "shared", NULL,
				      "tls-server", NOW + DAY, &id, &err);
			if (rc == PKI_OK)
				shared_ok++;
			else if (rc != PKI_E_EXISTS)
				return 16;
		}
		if (i < CRLS_PER_CHILD) {
			if (pki_store_begin(st, &err) != PKI_OK ||
			    pki_store_crl_next_number(st, ca.id, &num,
						      &err) != PKI_OK ||
			    pki_store_commit(st, &err) != PKI_OK)
				return 17;
			fprintf(fp, "%lld\n", (long long)num);
		}
	}
	fprintf(fp, "shared %d\n", shared_ok);
	fclose(fp);
	pki_ca_record_clear(&ca);
	pki_store_close(st);
	return 0;
}

static void
test_concurrent_writers(void **state)
{
	struct fixture_store *f = *state;
	char files[2][400], line[64];
	unsigned char seen[2 * CRLS_PER_CHILD + 1];
	pid_t pid[2];
	int i, status, shared_total = 0, numbers = 0;
	long long v;

	add_ca(f->st, "Busy CA", 0, "root", "01", 1);
	pki_store_close(f->st);
	f->st = NULL;
	for (i = 0; i < 2; i++) {
		snprintf(files[i], sizeof(files[i]), "%s/child%d", f->dir, i);
		pid[i] = fork();
		assert_true(pid[i] >= 0);
		if (pid[i] == 0)
			_exit(child(f->path, i, files[i]));
	}
	for (i = 0; i < 2; i++) {
		assert_int_equal(waitpid(pid[i], &status, 0), pid[i]);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
	}
	/* nothing lost, nothing doubled */
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM certificates "
				 "WHERE subject = 'CN=busy,O=Example'"),
			 2 * PER_CHILD);
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM certificates "
				 "WHERE subject = 'CN=shared,O=Example'"),
			 SHARED);
	assert_int_equal(raw_int(f->path, "SELECT count(DISTINCT serial) FROM "
				 "certificates"),
			 raw_int(f->path, "SELECT count(*) FROM certificates"));
	raw_str(f->path, "PRAGMA integrity_check", line, sizeof(line));
	assert_string_equal(line, "ok");
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM audit"),
			 2 * PER_CHILD);
	/* every CRL number handed out exactly once */
	memset(seen, 0, sizeof(seen));
	for (i = 0; i < 2; i++) {
		FILE *fp = fopen(files[i], "r");

		assert_non_null(fp);
		while (fgets(line, sizeof(line), fp) != NULL) {
			int s;

			if (sscanf(line, "shared %d", &s) == 1) {
				shared_total += s;
				continue;
			}
			v = atoll(line);
			assert_true(v >= 1 && v <= 2 * CRLS_PER_CHILD);
			assert_int_equal(seen[v], 0);
			seen[v] = 1;
			numbers++;
		}
		fclose(fp);
	}
	assert_int_equal(numbers, 2 * CRLS_PER_CHILD);
	assert_int_equal(shared_total, SHARED);
}

/* Several processes creating the same new database at once: every one
 * opens it (one migrates, the others wait) and writes. */
static void
test_concurrent_first_open(void **state)
{
	struct fixture_store *f = *state;
	char path[400];
	pid_t pid[4];
	int round, i, status;

	for (round = 0; round < 5; round++) {
		snprintf(path, sizeof(path), "%s/race%d.db", f->dir, round);
		for (i = 0; i < 4; i++) {
			pid[i] = fork();
			assert_true(pid[i] >= 0);
			if (pid[i] == 0) {
				struct pki_store *st = NULL;
				struct pki_error err = { 0 };

				if (pki_store_open(path, 1, &st, &err) != PKI_OK)
					_exit(1);
				if (pki_store_audit(st, NULL, "test.open", NULL,
						    NULL, &err) != PKI_OK)
					_exit(2);
				pki_store_close(st);
				_exit(0);
			}
		}
		for (i = 0; i < 4; i++) {
			assert_int_equal(waitpid(pid[i], &status, 0), pid[i]);
			assert_true(WIFEXITED(status));
			assert_int_equal(WEXITSTATUS(status), 0);
		}
		assert_int_equal(raw_int(path, "SELECT count(*) FROM audit"), 4);
		assert_int_equal(raw_int(path, "SELECT count(*) FROM "
					 "schema_version"),
				 pki_store_schema_latest());
	}
}

/* ------------------------------------------------- constant memory walk */

static int
count_rev(void *ctx, const struct pki_revocation *e)
{
	int64_t *n = ctx;

	if (e->serial_len == 0 || e->reason != 4)
		return PKI_E_FAIL;
	(*n)++;
	return 0;
}

static long
maxrss_kib(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

/* Bulk-load N revocations with raw SQL (set SPORK_TEST_REVOCATIONS for
 * 1000000), then walk them: the walk must not grow memory with N. */
static void
test_revocation_walk_constant_memory(void **state)
{
	struct fixture_store *f = *state;
	struct pki_error err = { 0 };
	const char *e = getenv("SPORK_TEST_REVOCATIONS");
	int64_t rows = e ? atoll(e) : 100000, n = 0, ca;
	char sql[2048];
	long before, after;
	struct timespec t0, t1;
	pid_t pid;
	int status;

	ca = add_ca(f->st, "Big CA", 0, "root", "01", 1);
	snprintf(sql, sizeof(sql),
		 "BEGIN;"
		 "WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 "
		 " FROM k WHERE i < %lld) "
		 "INSERT INTO certificates (issuer_ca_id, serial, subject, "
		 " profile, not_before, not_after, der, sha256, source, "
		 " requester, created_at) "
		 "SELECT %lld, printf('%%032X', i * 7919 + 1000000), 'CN=x', "
		 " 'tls-server', 0, 1, randomblob(16), printf('%%064x', i), "
		 " 'cli', 't', 0 FROM k;"
		 "INSERT INTO revocation_events (cert_id, issuer_ca_id, event,"
		 " event_time, reason, recorded_at) SELECT id, issuer_ca_id, "
		 " 'revoke', %d, 4, %d FROM certificates WHERE ca_id IS NULL;"
		 "INSERT INTO revocations (cert_id, issuer_ca_id, serial, "
		 " revoked_at, reason, recorded_at, event_id) SELECT e.cert_id,"
		 " e.issuer_ca_id, c.serial, e.event_time, 4, e.recorded_at, "
		 " e.id FROM revocation_events e JOIN certificates c ON "
		 " c.id = e.cert_id;"
		 "COMMIT;", (long long)rows, (long long)ca, NOW, NOW);
	/* in a child, so that its memory does not count below */
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		sqlite3 *db = NULL;

		_exit(sqlite3_open(f->path, &db) != SQLITE_OK ||
		      sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK ||
		      sqlite3_close(db) != SQLITE_OK);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);

	assert_int_equal(pki_store_begin(f->st, &err), PKI_OK);
	before = maxrss_kib();
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (pki_store_revocations_foreach(f->st, ca, 0, count_rev, &n, &err) !=
	    PKI_OK)
		fail_msg("walk: %s", err.msg);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	after = maxrss_kib();
	pki_store_rollback(f->st);
	assert_int_equal(n, rows);
	/* SQLite's page cache is bounded (default 2 MB); allow slack but
	 * nothing proportional to the row count (100k rows ~ 10 MB) */
	if (after - before > 8 * 1024)
		fail_msg("walking %lld revocations grew RSS by %ld KiB",
			 (long long)rows, after - before);
	if (e != NULL)
		fprintf(stderr, "# walked %lld revocations in %.3f s, RSS "
			"+%ld KiB\n", (long long)rows,
			(double)(t1.tv_sec - t0.tv_sec) +
			(double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
			after - before);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_migrations, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_newer_schema_refused,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_foreign_files_refused,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_transactions, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_ca_records, setup,
						teardown),
		cmocka_unit_test(test_serial_canon),
		cmocka_unit_test_setup_teardown(test_cert_insert_get, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_cert_list_filters, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_revoke_rules, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_crls, setup, teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_writers, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_first_open,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_revocation_walk_constant_memory, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
