/* Unit tests of libpki/enroll: issue (CSR and generated keys) under the
 * domain policy, validity limits, renewal, revocation, holds, chains and
 * PKCS#12, on a 2-tier hierarchy built in a temporary state directory. */
#include <config.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/abstract.h>
#include <gnutls/pkcs12.h>
#include <gnutls/x509.h>

#include <spork/audit.h>
#include <spork/crl.h>
#include <spork/enroll.h>
#include "keystore.h"
#include "fixture.h"
#include <spork/hierarchy.h>
#include "issue.h"
#include <spork/state.h>

#define PASS "correct horse battery staple"
#define DAY 86400

static const char hier_toml[] =
	"[root]\n"
	"common_name = \"Test Root CA\"\n"
	"algorithm = \"ecdsa-p256\"\n"
	"validity_years = 10\n"
	"key = \"offline\"\n"
	"[[issuing_cas]]\n"
	"common_name = \"Test Issuing CA\"\n"
	"algorithm = \"ecdsa-p256\"\n"
	"validity_years = 2\n"
	"key = \"online\"\n"
	"crl_urls = [\"http://pki.test.example/issuing.crl\"]\n"
	"delta_crl_urls = [\"http://pki.test.example/issuing-delta.crl\"]\n"
	"ocsp_urls = [\"http://pki.test.example/ocsp\"]\n";

static const char policy_toml[] =
	"[[allow]]\n"
	"pattern = \"*.test.example\"\n"
	"[[allow]]\n"
	"pattern = \"test.example\"\n"    /* email addresses */
	"[[allow]]\n"
	"pattern = \"10.0.0.0/8\"\n"
	"[[deny]]\n"
	"pattern = \"*.bad.test.example\"\n";

struct fx {
	char dir[FIXTURE_DIR_MAX];
	struct pki_state *state;
	struct pki_store *st;           /* the state's */
	struct pki_enroll e;
	int wrong_pass;
};

static int
passfn(void *ctx, const char *label, enum pki_pass_purpose purpose,
       char *buf, size_t size, struct pki_error *err)
{
	struct fx *f = ctx;

	(void)label;
	(void)purpose;
	(void)err;
	snprintf(buf, size, "%s", f->wrong_pass ? "not the passphrase" : PASS);
	return PKI_OK;
}

static void
write_file(const char *dir, const char *name, const char *text)
{
	fixture_file_write(dir, name, text, strlen(text));
}

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct pki_error err = { 0 };
	struct pki_hier_plan *plan = NULL;
	struct pki_hier_result *res = NULL;
	struct pki_diags d = { 0, NULL, 0 };
	const struct pki_policy *pol = NULL;
	const char *path;

	assert_non_null(f);
	fixture_dir_make(f->dir, sizeof(f->dir), "enroll");
	path = fixture_file_write(f->dir, "h.toml", hier_toml,
				  strlen(hier_toml));
	if (pki_hier_load(path, 0, &plan, &d, &err) != PKI_OK)
		fail_msg("hier_load: %s (%zu diags: %s)", err.msg, d.n,
			 d.n ? d.v[0].msg : "");
	fixture_state_open(f->dir, PKI_STATE_CLI, passfn, f, 0, &f->state);
	f->st = pki_state_store(f->state);
	if (pki_hier_build(plan, f->state, 0, &res, &err) != PKI_OK)
		fail_msg("build: %s", err.msg);
	pki_hier_results_free(res, plan->n);
	pki_hier_free(plan);
	write_file(f->dir, "domain-policy.toml", policy_toml);
	if (pki_state_policy(f->state, &pol, &err) != PKI_OK)
		fail_msg("policy: %s", err.msg);
	assert_non_null(pol);
	f->e.state = f->state;
	f->e.source = "test";
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;
	int rc;

	pki_state_close(f->state);
	rc = fixture_dir_remove(f->dir);
	free(f);
	return rc;
}

/* A DER CSR for a new key of pk/bits with CN cn and DNS SANs. */
static void
make_csr(gnutls_pk_algorithm_t pk, unsigned bits, const char *cn,
	 const char *const *dns, gnutls_datum_t *out)
{
	gnutls_x509_privkey_t key;
	gnutls_x509_crq_t crq;
	size_t i;

	assert_int_equal(gnutls_x509_privkey_init(&key), 0);
	assert_int_equal(gnutls_x509_privkey_generate(key, pk, bits, 0), 0);
	assert_int_equal(gnutls_x509_crq_init(&crq), 0);
	assert_int_equal(gnutls_x509_crq_set_dn_by_oid(crq,
		GNUTLS_OID_X520_COMMON_NAME, 0, cn, strlen(cn)), 0);
	for (i = 0; dns != NULL && dns[i] != NULL; i++)
		assert_int_equal(gnutls_x509_crq_set_subject_alt_name(crq,
			GNUTLS_SAN_DNSNAME, dns[i], strlen(dns[i]),
			GNUTLS_FSAN_APPEND), 0);
	assert_int_equal(gnutls_x509_crq_set_key(crq, key), 0);
	assert_int_equal(gnutls_x509_crq_sign2(crq, key, GNUTLS_DIG_SHA256, 0), 0);
	assert_int_equal(gnutls_x509_crq_export2(crq, GNUTLS_X509_FMT_DER, out), 0);
	gnutls_x509_crq_deinit(crq);
	gnutls_x509_privkey_deinit(key);
}

static void
issue_keygen(struct fx *f, const char *profile, const char *cn,
	     const char *sans, unsigned days, struct pki_enroll_result *res)
{
	struct pki_enroll_request req;
	struct pki_error err = { 0 };

	memset(&req, 0, sizeof(req));
	req.profile = profile;
	req.cn = cn;
	req.days = days;
	req.key_alg = PKI_KEY_ECDSA_P256;
	if (sans != NULL && pki_enroll_add_sans(&req, sans, &err) != PKI_OK)
		fail_msg("add_sans: %s", err.msg);
	if (pki_enroll_issue(&f->e, &req, res, &err) != PKI_OK)
		fail_msg("issue: %s", err.msg);
	pki_enroll_request_clear(&req);
}

static void
test_add_sans(void **state)
{
	struct pki_enroll_request req;
	struct pki_error err = { 0 };

	(void)state;
	memset(&req, 0, sizeof(req));
	assert_int_equal(pki_enroll_add_sans(&req, "dns:WWW.Test.Example,"
		"ip:10.0.0.1, email:a@test.example,uri:https://x.test/y", &err),
		PKI_OK);
	assert_int_equal(pki_enroll_add_sans(&req, "10.0.0.2,b@test.example,"
		"https://z.test/,bare.test.example,2001:db8::1", &err), PKI_OK);
	assert_int_equal(req.san_dns.n, 2);
	assert_string_equal(req.san_dns.v[0], "www.test.example");
	assert_string_equal(req.san_dns.v[1], "bare.test.example");
	assert_int_equal(req.san_ip.n, 3);
	assert_string_equal(req.san_ip.v[2], "2001:db8::1");
	assert_int_equal(req.san_email.n, 2);
	assert_int_equal(req.san_uri.n, 2);
	/* duplicates fold */
	assert_int_equal(pki_enroll_add_sans(&req, "dns:www.test.example", &err),
			 PKI_OK);
	assert_int_equal(req.san_dns.n, 2);
	assert_int_equal(pki_enroll_add_sans(&req, "xyz:foo", &err), PKI_E_INVALID);
	assert_non_null(strstr(err.msg, "xyz:foo"));
	assert_int_equal(pki_enroll_add_sans(&req, "ip:999.1.1.1", &err),
			 PKI_E_INVALID);
	assert_int_equal(pki_enroll_add_sans(&req, "dns:", &err), PKI_E_INVALID);
	assert_int_equal(pki_enroll_add_sans(&req, ",,", &err), PKI_E_INVALID);
	pki_enroll_request_clear(&req);
}

static void
test_policy_file(void **state)
{
	struct fx *f = *state;
	const struct pki_policy *pol = (void *)1;
	struct pki_state *s = NULL;
	struct pki_error err = { 0 };
	const char *p = pki_state_path(f->state, PKI_STATE_POLICY);
	char away[300];

	assert_non_null(p);
	assert_non_null(strstr(p, "/domain-policy.toml"));
	snprintf(away, sizeof(away), "%s.away", p);
	assert_int_equal(rename(p, away), 0);
	/* missing: no policy, no error */
	fixture_state_open(f->dir, PKI_STATE_READ, NULL, NULL, 0, &s);
	assert_int_equal(pki_state_policy(s, &pol, &err), PKI_OK);
	assert_null(pol);
	pki_state_close(s);
	/* broken: an error with its position */
	write_file(f->dir, "domain-policy.toml", "[[allow]]\npattern = 7\n");
	fixture_state_open(f->dir, PKI_STATE_READ, NULL, NULL, 0, &s);
	pol = (void *)1;
	assert_int_not_equal(pki_state_policy(s, &pol, &err), PKI_OK);
	assert_null(pol);
	assert_int_equal(err.line, 2);
	pki_state_close(s);
	assert_int_equal(rename(away, p), 0);
}

static void
test_issue_csr(void **state)
{
	struct fx *f = *state;
	static const char *const dns[] = { "api.test.example", NULL };
	struct pki_enroll_request req;
	struct pki_enroll_result res;
	struct pki_cert_record r;
	struct pki_audit_filter af;
	struct pki_audit_row *rows = NULL;
	struct pki_store *other = NULL;
	struct pki_error err = { 0 };
	gnutls_datum_t csr = { NULL, 0 };
	gnutls_x509_crt_t crt;
	char db[512], buf[256];
	size_t n = 0, size;
	unsigned crit;
	int64_t before = time(NULL);

	memset(&req, 0, sizeof(req));
	memset(&r, 0, sizeof(r));
	make_csr(GNUTLS_PK_ECDSA, GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1),
		 "www.test.example", dns, &csr);
	req.csr = &csr;
	if (pki_enroll_issue(&f->e, &req, &res, &err) != PKI_OK)
		fail_msg("issue: %s", err.msg);
	assert_null(res.key);
	assert_int_equal(res.nchain, 1);       /* issuing CA, not the root */
	assert_string_equal(res.rec.profile, "tls-server");
	assert_string_equal(res.rec.issuer_name, "Test Issuing CA");
	/* CN added to the SANs */
	assert_string_equal(res.rec.sans, "dns:api.test.example\n"
					  "dns:www.test.example");
	assert_true(res.rec.not_after - res.rec.not_before + 1 == 398 * DAY);
	assert_true(res.rec.not_before >= before);

	/* The issuer's URLs are in the certificate. */
	assert_int_equal(gnutls_x509_crt_init(&crt), 0);
	assert_int_equal(gnutls_x509_crt_import(crt, &res.der,
						GNUTLS_X509_FMT_DER), 0);
	size = sizeof(buf);
	assert_true(gnutls_x509_crt_get_crl_dist_points(crt, 0, buf, &size,
							NULL, &crit) >= 0);
	assert_string_equal(buf, "http://pki.test.example/issuing.crl");
	gnutls_x509_crt_deinit(crt);

	/* Durable: another connection sees the row and its audit row. */
	snprintf(db, sizeof(db), "%s/spork.db", f->dir);
	assert_int_equal(pki_store_open(db, 0, &other, &err), PKI_OK);
	assert_int_equal(pki_store_cert_get(other, 0, res.rec.serial, &r, &err),
			 PKI_OK);
	assert_int_equal(r.der.size, res.der.size);
	assert_memory_equal(r.der.data, res.der.data, res.der.size);
	assert_string_equal(r.source, "test");
	memset(&af, 0, sizeof(af));
	af.action_prefix = "cert.issue";
	af.object = res.rec.serial;
	assert_int_equal(pki_audit_list(other, &af, &rows, &n, &err), PKI_OK);
	assert_int_equal(n, 1);
	assert_non_null(strstr(rows[0].detail, "\"key\":\"csr\""));
	pki_audit_rows_free(rows, n);
	pki_cert_record_clear(&r);
	pki_store_close(other);
	gnutls_free(csr.data);
	pki_enroll_result_clear(&res);
}

static void
test_issue_refusals(void **state)
{
	struct fx *f = *state;
	static const char *const dns[] = { "weak.test.example", NULL };
	struct pki_enroll_request req;
	struct pki_enroll_result res;
	struct pki_error err = { 0 };
	gnutls_datum_t csr = { NULL, 0 }, junk;
	struct pki_enroll e2 = f->e;

	memset(&req, 0, sizeof(req));
	/* weak key */
	make_csr(GNUTLS_PK_RSA, 1024, "weak.test.example", dns, &csr);
	req.csr = &csr;
	assert_int_equal(pki_enroll_issue(&f->e, &req, &res, &err), PKI_E_INVALID);
	gnutls_free(csr.data);
	/* junk */
	junk.data = (unsigned char *)"not a CSR";
	junk.size = 9;
	req.csr = &junk;
	assert_int_equal(pki_enroll_issue(&f->e, &req, &res, &err), PKI_E_PARSE);
	req.csr = NULL;
	req.key_alg = PKI_KEY_ECDSA_P256;

	/* denied by a rule, by default, and without a policy */
	req.cn = "x.bad.test.example";
	assert_int_equal(pki_enroll_issue(&f->e, &req, &res, &err), PKI_E_DENIED);
	assert_non_null(strstr(err.msg, "x.bad.test.example"));
	assert_non_null(strstr(err.msg, "[[deny]] #1"));
	req.cn = "www.example.org";
	assert_int_equal(pki_enroll_issue(&f->e, &req, &res, &err), PKI_E_DENIED);
	assert_non_null(strstr(err.msg, "www.example.org"));
	req.cn = "ok.test.example";
	assert_int_equal(pki_enroll_add_sans(&req, "ip:192.168.0.1", &err), PKI_OK);
	assert_int_equal(pki_enroll_issue(&f->e, &req, &res, &err), PKI_E_DENIED);
	assert_non_null(strstr(err.msg, "192.168.0.1"));
	pki_enroll_request_clear(&req);
	{
		/* the same state directory without its policy file */
		const char *p = pki_state_path(f->state, PKI_STATE_POLICY);
		char away[300];

		snprintf(away, sizeof(away), "%s.away", p);
		assert_int_equal(rename(p, away), 0);
		fixture_state_open(f->dir, PKI_STATE_CLI, passfn, f, 0,
				   &e2.state);
		assert_int_equal(pki_enroll_issue(&e2, &req, &res, &err),
				 PKI_E_DENIED);
		assert_non_null(strstr(err.msg, "domain-policy.toml"));
		pki_state_close(e2.state);
		assert_int_equal(rename(away, p), 0);
	}

	/* a tls-server CN must be a host name */
	req.cn = "Not A Host";
	assert_int_equal(pki_enroll_add_sans(&req, "dns:ok.test.example", &err),
			 PKI_OK);
	assert_int_equal(pki_enroll_issue(&f->e, &req, &res, &err), PKI_E_INVALID);
	pki_enroll_request_clear(&req);
	/* types the profile does not allow, missing names */
	req.cn = "ok.test.example";
	assert_int_equal(pki_enroll_add_sans(&req, "email:a@test.example", &err),
			 PKI_OK);
	assert_int_equal(pki_enroll_issue(&f->e, &req, &res, &err), PKI_E_INVALID);
	pki_enroll_request_clear(&req);
	req.profile = "email";
	req.cn = "Alice";
	assert_int_equal(pki_enroll_issue(&f->e, &req, &res, &err), PKI_E_INVALID);
	req.profile = "root-ca";
	assert_int_equal(pki_enroll_issue(&f->e, &req, &res, &err), PKI_E_NOTFOUND);
	req.profile = NULL;
	/* validity */
	req.cn = "ok.test.example";
	req.days = 399;
	assert_int_equal(pki_enroll_issue(&f->e, &req, &res, &err), PKI_E_INVALID);
	assert_non_null(strstr(err.msg, "398"));
	req.days = 0;
	/* the CA */
	req.ca_name = "Test Root CA";
	assert_int_equal(pki_enroll_issue(&f->e, &req, &res, &err), PKI_E_INVALID);
	req.ca_name = "Nope";
	assert_int_equal(pki_enroll_issue(&f->e, &req, &res, &err), PKI_E_NOTFOUND);
	assert_non_null(strstr(err.msg, "'Test Issuing CA'"));
	pki_enroll_request_clear(&req);
}

static void
test_validity_near_ca_end(void **state)
{
	struct fx *f = *state;
	struct pki_ca_record ca;
	struct pki_enroll_request req;
	struct pki_enroll_result res;
	struct pki_enroll e;
	struct pki_error err = { 0 };

	memset(&ca, 0, sizeof(ca));
	memset(&req, 0, sizeof(req));
	memset(&e, 0, sizeof(e));
	assert_int_equal(pki_store_ca_get(f->st, "Test Issuing CA", &ca, &err),
			 PKI_OK);
	/* The state directory's clock, 10 days before the CA expires. */
	e.source = "test";
	fixture_state_open(f->dir, PKI_STATE_CLI, passfn, f,
			   ca.not_after - 10 * DAY, &e.state);
	req.cn = "late.test.example";
	req.key_alg = PKI_KEY_ECDSA_P256;
	req.days = 30;
	assert_int_equal(pki_enroll_issue(&e, &req, &res, &err), PKI_E_INVALID);
	assert_non_null(strstr(err.msg, "at most 10 days"));
	req.days = 0;       /* the default is cut to the CA's end */
	if (pki_enroll_issue(&e, &req, &res, &err) != PKI_OK)
		fail_msg("issue: %s", err.msg);
	assert_true(res.rec.not_after == ca.not_after);
	assert_non_null(res.key);
	pki_enroll_result_clear(&res);
	pki_state_close(e.state);
	fixture_state_open(f->dir, PKI_STATE_CLI, passfn, f, ca.not_after + 1,
			   &e.state);
	assert_int_equal(pki_enroll_issue(&e, &req, &res, &err), PKI_E_INVALID);
	assert_non_null(strstr(err.msg, "expired"));
	pki_state_close(e.state);
	pki_ca_record_clear(&ca);
}

static void
test_renew(void **state)
{
	struct fx *f = *state;
	struct pki_enroll_result a, b, c;
	struct pki_enroll_renewal rn;
	struct pki_error err = { 0 };
	gnutls_x509_crt_t ca_, cb;
	gnutls_pubkey_t pa, pb;
	char ia[80], ib[80];

	issue_keygen(f, "tls-client", "client1", "email:c1@test.example,"
		     "dns:c1.test.example", 30, &a);
	memset(&rn, 0, sizeof(rn));
	rn.serial = a.rec.serial;
	if (pki_enroll_renew(&f->e, &rn, &b, &err) != PKI_OK)
		fail_msg("renew: %s", err.msg);
	assert_string_not_equal(a.rec.serial, b.rec.serial);
	assert_string_equal(a.rec.subject, b.rec.subject);
	assert_string_equal(a.rec.sans, b.rec.sans);
	assert_string_equal(b.rec.profile, "tls-client");
	assert_int_equal(b.rec.renewal_of, a.rec.id);
	assert_true(b.rec.not_after - b.rec.not_before + 1 == 30 * DAY);
	assert_null(b.key);
	/* same key */
	assert_int_equal(gnutls_x509_crt_init(&ca_), 0);
	assert_int_equal(gnutls_x509_crt_init(&cb), 0);
	assert_int_equal(gnutls_x509_crt_import(ca_, &a.der, GNUTLS_X509_FMT_DER), 0);
	assert_int_equal(gnutls_x509_crt_import(cb, &b.der, GNUTLS_X509_FMT_DER), 0);
	assert_int_equal(gnutls_pubkey_init(&pa), 0);
	assert_int_equal(gnutls_pubkey_init(&pb), 0);
	assert_int_equal(gnutls_pubkey_import_x509(pa, ca_, 0), 0);
	assert_int_equal(gnutls_pubkey_import_x509(pb, cb, 0), 0);
	assert_int_equal(pki_key_id(pa, ia, sizeof(ia), &err), PKI_OK);
	assert_int_equal(pki_key_id(pb, ib, sizeof(ib), &err), PKI_OK);
	assert_string_equal(ia, ib);
	/* rekey: a new key of the old type */
	/* renewed already: again only when forced */
	rn.rekey = 1;
	rn.days = 7;
	assert_int_equal(pki_enroll_renew(&f->e, &rn, &c, &err), PKI_E_CONFLICT);
	assert_int_equal(err.hint, PKI_HINT_FORCE);
	rn.force = 1;
	if (pki_enroll_renew(&f->e, &rn, &c, &err) != PKI_OK)
		fail_msg("rekey: %s", err.msg);
	assert_non_null(c.key);
	assert_true(c.rec.not_after - c.rec.not_before + 1 == 7 * DAY);
	assert_string_equal(a.rec.sans, c.rec.sans);
	pki_enroll_result_clear(&c);
	/* a revoked certificate is not renewed */
	assert_int_equal(pki_enroll_revoke(&f->e, a.rec.serial, NULL,
					   PKI_CRL_REASON_SUPERSEDED, 0, NULL,
					   &err), PKI_OK);
	rn.rekey = 0;
	assert_int_equal(pki_enroll_renew(&f->e, &rn, &c, &err), PKI_E_INVALID);
	/* CA certificates are not renewed here */
	rn.serial = "00";
	assert_int_equal(pki_enroll_renew(&f->e, &rn, &c, &err), PKI_E_NOTFOUND);
	gnutls_pubkey_deinit(pa);
	gnutls_pubkey_deinit(pb);
	gnutls_x509_crt_deinit(ca_);
	gnutls_x509_crt_deinit(cb);
	pki_enroll_result_clear(&a);
	pki_enroll_result_clear(&b);
}

static void
test_revoke(void **state)
{
	struct fx *f = *state;
	struct pki_enroll_result a;
	struct pki_cert_record r;
	struct pki_error err = { 0 };
	char lower[128];
	int reason = -1;
	size_t i, k;
	int64_t now = time(NULL);

	memset(&r, 0, sizeof(r));
	assert_int_equal(pki_enroll_reason_parse("keyCompromise", &reason, &err),
			 PKI_OK);
	assert_int_equal(reason, 1);
	assert_int_equal(pki_enroll_reason_parse("CESSATION-of-operation",
						 &reason, &err), PKI_OK);
	assert_int_equal(reason, 5);
	assert_int_equal(pki_enroll_reason_parse("6", &reason, &err), PKI_OK);
	assert_int_equal(reason, 6);
	assert_int_equal(pki_enroll_reason_parse("7", &reason, &err), PKI_E_INVALID);
	assert_int_equal(pki_enroll_reason_parse("removeFromCRL", &reason, &err),
			 PKI_E_INVALID);
	assert_int_equal(err.hint, PKI_HINT_UNHOLD);      /* the CLI says: spork cert unhold */
	assert_int_equal(pki_enroll_reason_parse("bogus", &reason, &err),
			 PKI_E_INVALID);

	issue_keygen(f, NULL, "rev.test.example", NULL, 0, &a);
	/* lower case with colons finds it */
	for (i = 0, k = 0; a.rec.serial[i] != '\0'; i++) {
		if (i > 0 && i % 2 == 0)
			lower[k++] = ':';
		lower[k++] = (char)tolower((unsigned char)a.rec.serial[i]);
	}
	lower[k] = '\0';
	if (pki_enroll_find(&f->e, lower, NULL, &r, &err) != PKI_OK)
		fail_msg("find %s: %s", lower, err.msg);
	assert_string_equal(r.serial, a.rec.serial);
	pki_cert_record_clear(&r);
	assert_int_equal(pki_enroll_find(&f->e, "zz", NULL, &r, &err), PKI_E_INVALID);
	assert_int_equal(pki_enroll_find(&f->e, "0BADBADBAD", NULL, &r, &err),
			 PKI_E_NOTFOUND);
	assert_int_equal(pki_enroll_find(&f->e, a.rec.serial, "Nope", &r, &err),
			 PKI_E_NOTFOUND);

	/* invalidity dates: compromise only, not in the future */
	assert_int_equal(pki_enroll_revoke(&f->e, a.rec.serial, NULL, 4, now - DAY,
					   NULL, &err), PKI_E_INVALID);
	assert_int_equal(pki_enroll_revoke(&f->e, a.rec.serial, NULL, 1, now + DAY,
					   NULL, &err), PKI_E_INVALID);
	/* hold, unhold, revoke for good, twice */
	assert_int_equal(pki_enroll_unhold(&f->e, a.rec.serial, NULL, NULL, &err),
			 PKI_E_INVALID);
	assert_int_equal(pki_enroll_revoke(&f->e, a.rec.serial, NULL, 6, 0, &r,
					   &err), PKI_OK);
	assert_true(r.revoked);
	assert_int_equal(r.reason, 6);
	pki_cert_record_clear(&r);
	assert_int_equal(pki_enroll_revoke(&f->e, a.rec.serial, NULL, 1, 0, NULL,
					   &err), PKI_E_EXISTS);
	assert_non_null(strstr(err.msg, "lift the hold first"));
	assert_int_equal(err.hint, PKI_HINT_UNHOLD);
	assert_int_equal(pki_enroll_unhold(&f->e, a.rec.serial, NULL, &r, &err),
			 PKI_OK);
	assert_false(r.revoked);
	pki_cert_record_clear(&r);
	assert_int_equal(pki_enroll_revoke(&f->e, a.rec.serial, "Test Issuing CA",
					   1, now - DAY, &r, &err), PKI_OK);
	assert_int_equal(r.invalidity_date, now - DAY);
	pki_cert_record_clear(&r);
	assert_int_equal(pki_enroll_revoke(&f->e, a.rec.serial, NULL, 4, 0, NULL,
					   &err), PKI_E_EXISTS);
	assert_non_null(strstr(err.msg, "keyCompromise"));
	assert_int_equal(pki_enroll_unhold(&f->e, a.rec.serial, NULL, NULL, &err),
			 PKI_E_INVALID);
	pki_enroll_result_clear(&a);
}

static void
test_revoke_ca(void **state)
{
	struct fx *f = *state;
	struct pki_ca_record ca;
	struct pki_enroll_result a;
	struct pki_enroll_request req;
	struct pki_error err = { 0 };

	memset(&ca, 0, sizeof(ca));
	memset(&req, 0, sizeof(req));
	assert_int_equal(pki_store_ca_get(f->st, "Test Issuing CA", &ca, &err),
			 PKI_OK);
	f->wrong_pass = 1;
	assert_int_equal(pki_enroll_revoke(&f->e, ca.serial, NULL, 5, 0, NULL,
					   &err), PKI_E_AUTH);
	assert_non_null(strstr(err.msg, "Test Root CA"));
	issue_keygen(f, NULL, "still.test.example", NULL, 0, &a);
	pki_enroll_result_clear(&a);
	f->wrong_pass = 0;
	assert_int_equal(pki_enroll_revoke(&f->e, ca.serial, NULL, 5, 0, NULL,
					   &err), PKI_OK);
	req.cn = "after.test.example";
	req.key_alg = PKI_KEY_ECDSA_P256;
	req.ca_name = "Test Issuing CA";
	assert_int_equal(pki_enroll_issue(&f->e, &req, &a, &err), PKI_E_INVALID);
	assert_non_null(strstr(err.msg, "revoked"));
	req.ca_name = NULL;
	assert_int_equal(pki_enroll_issue(&f->e, &req, &a, &err), PKI_E_NOTFOUND);
	pki_ca_record_clear(&ca);
}

static void
test_chain_pkcs12(void **state)
{
	struct fx *f = *state;
	struct pki_enroll_result a;
	struct pki_ca_record ca;
	struct pki_error err = { 0 };
	gnutls_datum_t *chain = NULL, p12der = { NULL, 0 };
	gnutls_pkcs12_t p12;
	gnutls_x509_privkey_t key = NULL;
	gnutls_x509_crt_t *certs = NULL;
	unsigned ncerts = 0, i;
	size_t n = 0;

	memset(&ca, 0, sizeof(ca));
	issue_keygen(f, "tls-client", "p12 user", "email:u@test.example", 0, &a);
	assert_int_equal(pki_store_ca_get(f->st, "Test Issuing CA", &ca, &err),
			 PKI_OK);
	assert_int_equal(pki_enroll_chain(f->st, ca.id, 1, &chain, &n, &err),
			 PKI_OK);
	assert_int_equal(n, 2);
	assert_memory_equal(chain[0].data, ca.cert_der.data, ca.cert_der.size);
	pki_enroll_chain_free(chain, n);

	assert_int_equal(pki_enroll_pkcs12(&a.der, a.chain, a.nchain, a.key, "",
					   NULL, &p12der, &err), PKI_E_INVALID);
	assert_int_equal(pki_enroll_pkcs12(&a.der, a.chain, a.nchain, a.key,
					   "p12 pass", "p12 user", &p12der, &err),
			 PKI_OK);
	assert_int_equal(gnutls_pkcs12_init(&p12), 0);
	assert_int_equal(gnutls_pkcs12_import(p12, &p12der, GNUTLS_X509_FMT_DER,
					      0), 0);
	assert_true(gnutls_pkcs12_verify_mac(p12, "wrong") < 0);
	assert_int_equal(gnutls_pkcs12_verify_mac(p12, "p12 pass"), 0);
	assert_int_equal(gnutls_pkcs12_simple_parse(p12, "p12 pass", &key,
		&certs, &ncerts, NULL, NULL, NULL, 0), 0);
	assert_non_null(key);
	assert_int_equal(ncerts, 2);      /* the certificate, the issuing CA */
	gnutls_x509_privkey_deinit(key);
	for (i = 0; i < ncerts; i++)
		gnutls_x509_crt_deinit(certs[i]);
	gnutls_free(certs);
	gnutls_pkcs12_deinit(p12);
	gnutls_free(p12der.data);
	/* certificates only */
	assert_int_equal(pki_enroll_pkcs12(&a.der, a.chain, a.nchain, NULL,
					   "p12 pass", NULL, &p12der, &err), PKI_OK);
	gnutls_free(p12der.data);
	pki_ca_record_clear(&ca);
	pki_enroll_result_clear(&a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_sans),
		cmocka_unit_test_setup_teardown(test_policy_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_issue_csr, setup, teardown),
		cmocka_unit_test_setup_teardown(test_issue_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_validity_near_ca_end, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_renew, setup, teardown),
		cmocka_unit_test_setup_teardown(test_revoke, setup, teardown),
		cmocka_unit_test_setup_teardown(test_revoke_ca, setup, teardown),
		cmocka_unit_test_setup_teardown(test_chain_pkcs12, setup, teardown),
	};
	int rc;

	gnutls_global_init();
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	gnutls_global_deinit();
	return rc;
}
