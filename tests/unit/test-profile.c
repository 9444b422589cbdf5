/*
 * Unit tests for profile (profiles, lint) and issue (building, signing,
 * CSRs): a root, a sub-CA and one leaf per end-entity profile built in
 * memory, checked with GnuTLS getters and verified by certtool and
 * openssl; lint failures; CSR parsing of good and hostile input.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509-ext.h>
#include <gnutls/x509.h>

#include "profile-int.h"
#include "fixture.h"
#include "issue.h"
#include <spork/profile.h>

#define Y2060 ((int64_t)2840140800)	/* 2060-01-01T00:00:00Z */
#define DAY ((int64_t)86400)

struct fixture {
	char dir[FIXTURE_DIR_MAX];
	int64_t now;
	gnutls_privkey_t root_key, sub_key, rsa_key, ec_key, ed_key;
	gnutls_pubkey_t root_pub, sub_pub, rsa_pub, ec_pub, ed_pub;
	gnutls_x509_crt_t root, sub;
	struct pki_cert_template sub_tpl;
};

static struct fixture F;

static gnutls_privkey_t
gen_key(gnutls_pk_algorithm_t pk, unsigned bits, gnutls_pubkey_t *pub)
{
	gnutls_privkey_t k = fixture_key_generate(pk, bits);

	assert_int_equal(pki_issue_pubkey_from_privkey(k, pub, NULL), PKI_OK);
	return k;
}

static void
add(struct pki_strlist *l, const char *s)
{
	assert_int_equal(pki_strlist_add(l, s), PKI_OK);
}

static void
tpl_init(struct pki_cert_template *t, enum pki_profile_id id, const char *cn,
	 int64_t nb, int64_t na)
{
	memset(t, 0, sizeof(*t));
	t->profile = pki_profile_get(id);
	assert_non_null(t->profile);
	t->path_len = -1;
	t->not_before = nb;
	t->not_after = na;
	if (cn != NULL)
		t->subject.common_name = strdup(cn);
}

static void
write_pem(const char *name, const gnutls_datum_t *der)
{
	gnutls_datum_t pem = { NULL, 0 };

	assert_int_equal(gnutls_pem_base64_encode2("CERTIFICATE", der, &pem), 0);
	fixture_file_write(F.dir, name, pem.data, pem.size);
	gnutls_free(pem.data);
}

static gnutls_x509_crt_t
import(const gnutls_datum_t *der)
{
	gnutls_x509_crt_t c;

	assert_int_equal(pki_cert_parse(der, &c, NULL), PKI_OK);
	return c;
}

static int
run(const char *fmt, ...) PKI_PRINTF(1, 2);

static int
run(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	st = system(cmd);
	if (st != 0)
		fprintf(stderr, "command failed (%d): %s\n", st, cmd);
	return st;
}

static int
setup(void **state)
{
	struct pki_cert_template rt;
	struct pki_error err;
	gnutls_datum_t der = { NULL, 0 };

	(void)state;
	fixture_dir_make(F.dir, sizeof(F.dir), "profile");
	F.now = (int64_t)time(NULL);
	F.root_key = gen_key(GNUTLS_PK_ECDSA,
			     GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP384R1),
			     &F.root_pub);
	F.sub_key = gen_key(GNUTLS_PK_ECDSA,
			    GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1),
			    &F.sub_pub);
	F.rsa_key = gen_key(GNUTLS_PK_RSA, 2048, &F.rsa_pub);
	F.ec_key = gen_key(GNUTLS_PK_ECDSA,
			   GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1),
			   &F.ec_pub);
	F.ed_key = gen_key(GNUTLS_PK_EDDSA_ED25519, 256, &F.ed_pub);

	/* root: P-384, valid past 2050, pathLen 2 */
	tpl_init(&rt, PKI_PROFILE_ROOT_CA, "Spork Test Root", F.now - 3600,
		 Y2060);
	rt.subject.organization = strdup("Spork Test");
	rt.subject.country = strdup("DE");
	rt.path_len = 2;
	rt.digital_signature = 1;
	if (pki_issue_sign(&rt, F.root_pub, NULL, F.root_key, &der, &err) !=
	    PKI_OK)
		fail_msg("root: %s", err.msg);
	assert_int_equal(rt.serial_len >= 16, 1);
	F.root = import(&der);
	write_pem("root.pem", &der);
	gnutls_free(der.data);
	pki_cert_template_clear(&rt);

	/* sub-CA: P-256, pathLen 0, constraints, policies, URLs */
	tpl_init(&F.sub_tpl, PKI_PROFILE_SUB_CA, "Spork Test Issuing CA",
		 F.now - 3600, F.now + 5 * 365 * DAY);
	F.sub_tpl.subject.organization = strdup("Spork Test");
	F.sub_tpl.subject.organizational_unit = strdup("Issuing");
	F.sub_tpl.subject.country = strdup("DE");
	F.sub_tpl.path_len = 0;
	add(&F.sub_tpl.permitted_dns, "example.com");
	add(&F.sub_tpl.excluded_dns, "bad.example.com");
	add(&F.sub_tpl.permitted_ip, "10.0.0.0/8");
	add(&F.sub_tpl.permitted_ip, "2001:db8::/32");
	add(&F.sub_tpl.excluded_ip, "10.99.0.0/16");
	add(&F.sub_tpl.permitted_email, "example.com");
	add(&F.sub_tpl.policy_oids, "2.23.140.1.2.1");
	add(&F.sub_tpl.policy_oids, "1.3.6.1.4.1.55555.1");
	add(&F.sub_tpl.crl_urls, "http://crl.example.com/root.crl");
	add(&F.sub_tpl.freshest_crl_urls, "http://crl.example.com/root-delta.crl");
	add(&F.sub_tpl.ocsp_urls, "http://ocsp.example.com/");
	add(&F.sub_tpl.ca_issuers_urls, "http://pki.example.com/root.crt");
	if (pki_issue_sign(&F.sub_tpl, F.sub_pub, F.root, F.root_key, &der,
			   &err) != PKI_OK)
		fail_msg("sub: %s", err.msg);
	F.sub = import(&der);
	write_pem("sub.pem", &der);
	gnutls_free(der.data);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	gnutls_x509_crt_deinit(F.root);
	gnutls_x509_crt_deinit(F.sub);
	pki_cert_template_clear(&F.sub_tpl);
	gnutls_privkey_deinit(F.root_key);
	gnutls_privkey_deinit(F.sub_key);
	gnutls_privkey_deinit(F.rsa_key);
	gnutls_privkey_deinit(F.ec_key);
	gnutls_privkey_deinit(F.ed_key);
	gnutls_pubkey_deinit(F.root_pub);
	gnutls_pubkey_deinit(F.sub_pub);
	gnutls_pubkey_deinit(F.rsa_pub);
	gnutls_pubkey_deinit(F.ec_pub);
	gnutls_pubkey_deinit(F.ed_pub);
	return fixture_dir_remove(F.dir);
}

/* ------------------------------------------------------------ helpers */

static void
assert_ext(gnutls_x509_crt_t c, const char *oid, int want_critical)
{
	gnutls_datum_t v = { NULL, 0 };
	unsigned crit = 99;

	if (gnutls_x509_crt_get_extension_by_oid2(c, oid, 0, &v, &crit) < 0)
		fail_msg("extension %s missing", oid);
	gnutls_free(v.data);
	if (want_critical >= 0)
		assert_int_equal(crit, (unsigned)want_critical);
}

static int
has_ext(gnutls_x509_crt_t c, const char *oid)
{
	gnutls_datum_t v = { NULL, 0 };
	unsigned crit;
	int ret = gnutls_x509_crt_get_extension_by_oid2(c, oid, 0, &v, &crit);

	gnutls_free(v.data);
	return ret >= 0;
}

/* Sign a leaf of the sub-CA; returns the PKI error code. */
static int
issue_leaf(struct pki_cert_template *t, gnutls_pubkey_t pub,
	   gnutls_datum_t *der, struct pki_error *err)
{
	return pki_issue_sign(t, pub, F.sub, F.sub_key, der, err);
}

static void
assert_lint(int rc, const struct pki_error *err, const char *needle)
{
	assert_int_equal(rc, PKI_E_LINT);
	if (strstr(err->msg, needle) == NULL)
		fail_msg("lint message lacks '%s': %s", needle, err->msg);
}

/* ------------------------------------------------------------- tests */

static void
test_profile_table(void **state)
{
	static const char *names[] = { "root-ca", "sub-ca", "tls-server",
		"tls-client", "code-signing", "email", "ocsp-signing" };
	const struct pki_profile *p;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		p = pki_profile_by_name(names[i]);
		assert_non_null(p);
		assert_ptr_equal(p, pki_profile_get(p->id));
		assert_string_equal(p->name, names[i]);
	}
	assert_null(pki_profile_by_name("tls-serverx"));
	assert_null(pki_profile_by_name(NULL));
	assert_null(pki_profile_get(PKI_PROFILE__MAX));
	p = pki_profile_by_name("tls-server");
	assert_int_equal(p->max_days, 398);
	assert_int_equal(p->san_required, 1);
	assert_string_equal(p->eku[0], GNUTLS_KP_TLS_WWW_SERVER);
	assert_int_equal(pki_profile_by_name("tls-client")->max_days, 398);
	assert_int_equal(pki_profile_by_name("code-signing")->max_days, 1095);
	assert_true(pki_profile_by_name("ocsp-signing")->max_days <= 90);
	assert_true(pki_profile_by_name("sub-ca")->is_ca);
}

static void
test_name_checks(void **state)
{
	unsigned char b[32];
	size_t n;

	(void)state;
	assert_int_equal(pki_cidr_parse("10.0.0.0/8", b, &n, NULL), PKI_OK);
	assert_int_equal(n, 8);
	assert_memory_equal(b, "\x0a\x00\x00\x00\xff\x00\x00\x00", 8);
	assert_int_equal(pki_cidr_parse("2001:db8::/33", b, &n, NULL), PKI_OK);
	assert_int_equal(n, 32);
	assert_int_equal(b[16 + 4], 0x80);
	assert_int_equal(pki_cidr_parse("10.1.2.3/8", b, &n, NULL),
			 PKI_E_INVALID);
	assert_int_equal(pki_cidr_parse("10.0.0.0/33", b, &n, NULL),
			 PKI_E_INVALID);
	assert_int_equal(pki_cidr_parse("10.0.0.0", b, &n, NULL), PKI_E_INVALID);
	assert_int_equal(pki_cidr_parse("10.0.0.0/", b, &n, NULL), PKI_E_INVALID);
	assert_int_equal(pki_cidr_parse("x/8", b, &n, NULL), PKI_E_INVALID);
	assert_int_equal(pki_ip_parse("::1", b, &n, NULL), PKI_OK);
	assert_int_equal(n, 16);
	assert_int_equal(pki_ip_parse("1.2.3", b, &n, NULL), PKI_E_INVALID);

	assert_int_equal(pki_san_check(PKI_SAN_DNS, "www.example.com", 0, NULL),
			 PKI_OK);
	assert_int_equal(pki_san_check(PKI_SAN_DNS, "*.example.com", 1, NULL),
			 PKI_OK);
	assert_int_equal(pki_san_check(PKI_SAN_DNS, "*.example.com", 0, NULL),
			 PKI_E_INVALID);
	assert_int_equal(pki_san_check(PKI_SAN_DNS, "*.com", 1, NULL),
			 PKI_E_INVALID);
	assert_int_equal(pki_san_check(PKI_SAN_DNS, "a..b", 0, NULL),
			 PKI_E_INVALID);
	assert_int_equal(pki_san_check(PKI_SAN_DNS, "-a.b", 0, NULL),
			 PKI_E_INVALID);
	assert_int_equal(pki_san_check(PKI_SAN_DNS, "a_b.c", 0, NULL),
			 PKI_E_INVALID);
	assert_int_equal(pki_san_check(PKI_SAN_DNS, "example.com.", 0, NULL),
			 PKI_E_INVALID);
	assert_int_equal(pki_san_check(PKI_SAN_EMAIL, "a@example.com", 0, NULL),
			 PKI_OK);
	assert_int_equal(pki_san_check(PKI_SAN_EMAIL, "example.com", 0, NULL),
			 PKI_E_INVALID);
	assert_int_equal(pki_san_check(PKI_SAN_EMAIL, "a b@example.com", 0,
				       NULL), PKI_E_INVALID);
	assert_int_equal(pki_san_check(PKI_SAN_URI, "spiffe://x/y", 0, NULL),
			 PKI_OK);
	assert_int_equal(pki_san_check(PKI_SAN_URI, "no-scheme", 0, NULL),
			 PKI_E_INVALID);
	assert_int_equal(pki_san_check(PKI_SAN_URI, "http://a b", 0, NULL),
			 PKI_E_INVALID);
}

static void
test_ca_extensions(void **state)
{
	unsigned char rski[64], sski[64], saki[64], raki[64];
	size_t rl = sizeof(rski), sl = sizeof(sski), sal = sizeof(saki),
	       ral = sizeof(raki);
	unsigned crit, ca, ku, type, i;
	int pathlen;
	gnutls_x509_name_constraints_t nc;
	gnutls_datum_t name;
	struct gnutls_x509_policy_st pol;
	char buf[256];
	size_t sz;

	(void)state;
	/* root: self-signed, version 3, BC critical pathLen 2 */
	assert_int_equal(gnutls_x509_crt_get_version(F.root), 3);
	assert_int_equal(gnutls_x509_crt_get_basic_constraints(F.root, &crit,
							       &ca, &pathlen), 1);
	assert_int_equal(crit, 1);
	assert_int_equal(pathlen, 2);
	assert_int_equal(gnutls_x509_crt_get_key_usage(F.root, &ku, &crit), 0);
	assert_int_equal(crit, 1);
	assert_int_equal(ku, GNUTLS_KEY_KEY_CERT_SIGN | GNUTLS_KEY_CRL_SIGN |
			 GNUTLS_KEY_DIGITAL_SIGNATURE);
	assert_int_equal(gnutls_x509_crt_get_subject_key_id(F.root, rski, &rl,
							    &crit), 0);
	assert_int_equal(crit, 0);
	assert_int_equal(rl, 20);
	/* root AKI = its own SKI */
	assert_int_equal(gnutls_x509_crt_get_authority_key_id(F.root, raki, &ral,
							      &crit), 0);
	assert_int_equal(ral, rl);
	assert_memory_equal(raki, rski, rl);
	/* ECDSA P-384 signs with SHA-384 */
	assert_int_equal(gnutls_x509_crt_get_signature_algorithm(F.sub),
			 GNUTLS_SIGN_ECDSA_SHA384);
	assert_int_equal(gnutls_x509_crt_get_signature_algorithm(F.root),
			 GNUTLS_SIGN_ECDSA_SHA384);

	/* sub: pathLen 0, KU without digitalSignature, AKI = root SKI */
	assert_int_equal(gnutls_x509_crt_get_basic_constraints(F.sub, &crit,
							       &ca, &pathlen), 1);
	assert_int_equal(crit, 1);
	assert_int_equal(pathlen, 0);
	assert_int_equal(gnutls_x509_crt_get_key_usage(F.sub, &ku, &crit), 0);
	assert_int_equal(crit, 1);
	assert_int_equal(ku, GNUTLS_KEY_KEY_CERT_SIGN | GNUTLS_KEY_CRL_SIGN);
	assert_int_equal(gnutls_x509_crt_get_subject_key_id(F.sub, sski, &sl,
							    &crit), 0);
	assert_int_equal(gnutls_x509_crt_get_authority_key_id(F.sub, saki, &sal,
							      &crit), 0);
	assert_int_equal(sal, rl);
	assert_memory_equal(saki, rski, rl);
	assert_false(sl == rl && memcmp(sski, rski, rl) == 0);

	/* nameConstraints critical, with every requested subtree */
	assert_int_equal(gnutls_x509_name_constraints_init(&nc), 0);
	assert_int_equal(gnutls_x509_crt_get_name_constraints(F.sub, nc, 0,
							      &crit), 0);
	assert_int_equal(crit, 1);
	for (i = 0; gnutls_x509_name_constraints_get_permitted(nc, i, &type,
							       &name) >= 0; i++)
		;
	assert_int_equal(i, 4);
	assert_int_equal(gnutls_x509_name_constraints_get_excluded(nc, 0, &type,
								   &name), 0);
	assert_int_equal(type, GNUTLS_SAN_DNSNAME);
	assert_int_equal(name.size, strlen("bad.example.com"));
	assert_int_equal(gnutls_x509_name_constraints_get_excluded(nc, 1, &type,
								   &name), 0);
	assert_int_equal(type, GNUTLS_SAN_IPADDRESS);
	assert_int_equal(name.size, 8);
	assert_memory_equal(name.data, "\x0a\x63\x00\x00\xff\xff\x00\x00", 8);
	gnutls_x509_name_constraints_deinit(nc);

	/* policies */
	assert_int_equal(gnutls_x509_crt_get_policy(F.sub, 0, &pol, &crit), 0);
	assert_string_equal(pol.oid, "2.23.140.1.2.1");
	assert_int_equal(crit, 0);
	gnutls_x509_policy_release(&pol);
	assert_int_equal(gnutls_x509_crt_get_policy(F.sub, 1, &pol, &crit), 0);
	assert_string_equal(pol.oid, "1.3.6.1.4.1.55555.1");
	gnutls_x509_policy_release(&pol);

	/* AIA, CRL DP, freshestCRL */
	{
		gnutls_datum_t v = { NULL, 0 };

		assert_int_equal(gnutls_x509_crt_get_authority_info_access(F.sub,
				 0, GNUTLS_IA_OCSP_URI, &v, &crit), 0);
		assert_int_equal(v.size, strlen("http://ocsp.example.com/"));
		assert_memory_equal(v.data, "http://ocsp.example.com/", v.size);
		gnutls_free(v.data);
		assert_int_equal(gnutls_x509_crt_get_authority_info_access(F.sub,
				 1, GNUTLS_IA_CAISSUERS_URI, &v, &crit), 0);
		assert_memory_equal(v.data, "http://pki.example.com/root.crt",
				    v.size);
		gnutls_free(v.data);
	}
	sz = sizeof(buf);
	assert_true(gnutls_x509_crt_get_crl_dist_points(F.sub, 0, buf, &sz,
						       NULL, &crit) >= 0);
	assert_string_equal(buf, "http://crl.example.com/root.crl");
	assert_ext(F.sub, "2.5.29.46", 0);
	assert_ext(F.sub, "2.5.29.31", 0);
	assert_ext(F.sub, "1.3.6.1.5.5.7.1.1", 0);
	/* the root carries no URLs, no constraints */
	assert_false(has_ext(F.root, "2.5.29.30"));
	assert_false(has_ext(F.root, "2.5.29.31"));
	assert_false(has_ext(F.root, "2.5.29.37"));

	/* openssl reads freshestCRL back */
	assert_int_equal(run("openssl x509 -in %s/sub.pem -noout -text | "
			     "grep -A3 'Freshest CRL' | grep -q "
			     "'URI:http://crl.example.com/root-delta.crl'",
			     F.dir), 0);
	assert_int_equal(run("openssl x509 -in %s/sub.pem -noout -text | "
			     "grep -q 'Permitted:'", F.dir), 0);
	/* the root's notAfter (2060) is a GeneralizedTime, notBefore UTC */
	assert_int_equal(run("openssl asn1parse -in %s/root.pem | "
			     "grep -q 'GENERALIZEDTIME *:20600101000000Z'",
			     F.dir), 0);
	assert_int_equal(run("test $(openssl asn1parse -in %s/root.pem | "
			     "grep -c UTCTIME) = 1", F.dir), 0);
	assert_int_equal(run("test $(openssl asn1parse -in %s/sub.pem | "
			     "grep -c UTCTIME) = 2", F.dir), 0);
	/* the SKI is RFC 5280 method 1: SHA-1 of the subjectPublicKey bits
	 * (for P-256, the last 65 octets of the SubjectPublicKeyInfo) */
	assert_int_equal(run("cd %s && test \"$(openssl x509 -in sub.pem "
			     "-noout -pubkey | openssl pkey -pubin -outform DER "
			     "| tail -c 65 | openssl dgst -sha1 -r | cut -c1-40)"
			     "\" = \"$(openssl x509 -in sub.pem -noout -ext "
			     "subjectKeyIdentifier | tail -1 | tr -d ' :' | "
			     "tr A-F a-f)\"", F.dir), 0);
}

struct leaf_case {
	enum pki_profile_id id;
	const char *file;
	const char *purpose;	/* openssl verify -purpose, or NULL */
};

static void
test_leaves_verify(void **state)
{
	static const struct leaf_case cases[] = {
		{ PKI_PROFILE_TLS_SERVER, "server.pem", "sslserver" },
		{ PKI_PROFILE_TLS_CLIENT, "client.pem", "sslclient" },
		{ PKI_PROFILE_CODE_SIGNING, "code.pem", NULL },
		{ PKI_PROFILE_EMAIL, "email.pem", "smimesign" },
		{ PKI_PROFILE_OCSP_SIGNING, "ocsp.pem", "ocsphelper" },
	};
	struct pki_cert_template t;
	struct pki_error err;
	gnutls_datum_t der;
	gnutls_x509_crt_t c;
	gnutls_pubkey_t pub;
	size_t i;
	unsigned ku, crit, ca;
	int pathlen;
	char oid[128];
	size_t oidsz;
	unsigned char ski[64], aki[64];
	size_t skil = sizeof(ski), akil = sizeof(aki);

	(void)state;
	assert_int_equal(gnutls_x509_crt_get_subject_key_id(F.sub, ski, &skil,
							    &crit), 0);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct leaf_case *lc = &cases[i];

		pub = F.ec_pub;
		tpl_init(&t, lc->id, NULL, F.now - 60, F.now + 60 * DAY);
		switch (lc->id) {
		case PKI_PROFILE_TLS_SERVER:
			pub = F.rsa_pub;
			t.subject.common_name = strdup("www.example.com");
			add(&t.san_dns, "www.example.com");
			add(&t.san_dns, "*.api.example.com");
			add(&t.san_ip, "10.1.2.3");
			add(&t.san_ip, "2001:db8::1");
			break;
		case PKI_PROFILE_TLS_CLIENT:
			t.subject.common_name = strdup("client 1");
			add(&t.san_uri, "spiffe://example.com/client1");
			break;
		case PKI_PROFILE_CODE_SIGNING:
			pub = F.ed_pub;
			t.subject.common_name = strdup("Spork Code Signer");
			t.subject.organization = strdup("Spork Test");
			break;
		case PKI_PROFILE_EMAIL:
			pub = F.rsa_pub;
			t.subject.common_name = strdup("Alice");
			t.subject.email = strdup("alice@example.com");
			add(&t.san_email, "alice@example.com");
			break;
		default:
			t.subject.common_name = strdup("Spork OCSP Responder");
			break;
		}
		add(&t.crl_urls, "http://crl.example.com/sub.crl");
		add(&t.ocsp_urls, "http://ocsp.example.com/sub");
		add(&t.ca_issuers_urls, "http://pki.example.com/sub.crt");
		if (issue_leaf(&t, pub, &der, &err) != PKI_OK)
			fail_msg("%s: %s", t.profile->name, err.msg);
		write_pem(lc->file, &der);
		c = import(&der);
		gnutls_free(der.data);

		/* end-entity: CA:FALSE critical, KU critical, one EKU */
		assert_int_equal(gnutls_x509_crt_get_basic_constraints(c, &crit,
				 &ca, &pathlen), 0);
		assert_int_equal(crit, 1);
		assert_int_equal(ca, 0);
		assert_int_equal(gnutls_x509_crt_get_key_usage(c, &ku, &crit), 0);
		assert_int_equal(crit, 1);
		assert_true(ku & GNUTLS_KEY_DIGITAL_SIGNATURE);
		assert_false(ku & (GNUTLS_KEY_KEY_CERT_SIGN | GNUTLS_KEY_CRL_SIGN));
		assert_int_equal((ku & GNUTLS_KEY_KEY_ENCIPHERMENT) != 0,
				 pub == F.rsa_pub);
		oidsz = sizeof(oid);
		assert_int_equal(gnutls_x509_crt_get_key_purpose_oid(c, 0, oid,
				 &oidsz, &crit), 0);
		assert_string_equal(oid, t.profile->eku[0]);
		oidsz = sizeof(oid);
		assert_int_equal(gnutls_x509_crt_get_key_purpose_oid(c, 1, oid,
				 &oidsz, &crit),
				 GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE);
		akil = sizeof(aki);
		assert_int_equal(gnutls_x509_crt_get_authority_key_id(c, aki,
				 &akil, &crit), 0);
		assert_int_equal(akil, skil);
		assert_memory_equal(aki, ski, skil);
		assert_int_equal(has_ext(c, "1.3.6.1.5.5.7.48.1.5"),
				 lc->id == PKI_PROFILE_OCSP_SIGNING);
		assert_false(has_ext(c, "2.5.29.30"));
		/* P-256 issuer signs with SHA-256 */
		assert_int_equal(gnutls_x509_crt_get_signature_algorithm(c),
				 GNUTLS_SIGN_ECDSA_SHA256);
		gnutls_x509_crt_deinit(c);

		/* real verifiers accept the chain */
		assert_int_equal(run("cd %s && cat %s sub.pem root.pem > "
				     "chain.pem && certtool --verify-chain "
				     "--infile chain.pem >/dev/null 2>&1",
				     F.dir, lc->file), 0);
		assert_int_equal(run("cd %s && certtool --verify "
				     "--load-ca-certificate root.pem --infile "
				     "chain.pem >/dev/null 2>&1", F.dir), 0);
		assert_int_equal(run("cd %s && openssl verify -x509_strict "
				     "-CAfile root.pem -untrusted sub.pem %s%s "
				     "%s >/dev/null", F.dir,
				     lc->purpose ? "-purpose " : "",
				     lc->purpose ? lc->purpose : "", lc->file),
				 0);
		pki_cert_template_clear(&t);
	}
	/* openssl sees the OCSP no-check extension */
	assert_int_equal(run("openssl x509 -in %s/ocsp.pem -noout -text | "
			     "grep -q 'OCSP No Check'", F.dir), 0);
}

static void
test_digest_choice(void **state)
{
	struct pki_cert_template t;
	struct pki_error err;
	gnutls_datum_t der;
	gnutls_x509_crt_t c;

	(void)state;
	assert_int_equal(pki_issue_digest_for(F.root_key), GNUTLS_DIG_SHA384);
	assert_int_equal(pki_issue_digest_for(F.sub_key), GNUTLS_DIG_SHA256);
	assert_int_equal(pki_issue_digest_for(F.rsa_key), GNUTLS_DIG_SHA256);
	assert_int_equal(pki_issue_digest_for(F.ed_key), GNUTLS_DIG_UNKNOWN);

	/* a self-signed Ed25519 root: pure EdDSA, verified by openssl */
	tpl_init(&t, PKI_PROFILE_ROOT_CA, "Ed Root", F.now - 60,
		 F.now + 365 * DAY);
	if (pki_issue_sign(&t, F.ed_pub, NULL, F.ed_key, &der, &err) != PKI_OK)
		fail_msg("ed25519 root: %s", err.msg);
	c = import(&der);
	assert_int_equal(gnutls_x509_crt_get_signature_algorithm(c),
			 GNUTLS_SIGN_EDDSA_ED25519);
	write_pem("ed.pem", &der);
	assert_int_equal(run("cd %s && openssl verify -x509_strict -CAfile "
			     "ed.pem ed.pem >/dev/null", F.dir), 0);
	gnutls_x509_crt_deinit(c);
	gnutls_free(der.data);
	pki_cert_template_clear(&t);

	/* an RSA root signs with SHA-256 (2048 bits) */
	tpl_init(&t, PKI_PROFILE_ROOT_CA, "RSA Root", F.now - 60,
		 F.now + 365 * DAY);
	if (pki_issue_sign(&t, F.rsa_pub, NULL, F.rsa_key, &der, &err) != PKI_OK)
		fail_msg("rsa root: %s", err.msg);
	c = import(&der);
	assert_int_equal(gnutls_x509_crt_get_signature_algorithm(c),
			 GNUTLS_SIGN_RSA_SHA256);
	gnutls_x509_crt_deinit(c);
	gnutls_free(der.data);
	pki_cert_template_clear(&t);
}

static void
test_serial(void **state)
{
	struct pki_cert_template t;
	struct pki_error err;
	gnutls_datum_t der;
	gnutls_x509_crt_t c;
	char hex[64], cmd[FIXTURE_PATH_MAX + 64], line[128];
	FILE *fp;
	int i, high = 0;

	(void)state;
	/* random serials: 16 octets, 0x00 in front only when needed */
	for (i = 0; i < 8; i++) {
		tpl_init(&t, PKI_PROFILE_TLS_CLIENT, "serial test", F.now,
			 F.now + DAY);
		if (issue_leaf(&t, F.ec_pub, &der, &err) != PKI_OK)
			fail_msg("%s", err.msg);
		assert_true(t.serial_len == 16 || t.serial_len == 17);
		if (t.serial_len == 17) {
			assert_int_equal(t.serial[0], 0);
			assert_true(t.serial[1] & 0x80);
			high = 1;
		} else {
			assert_int_not_equal(t.serial[0], 0);
			assert_false(t.serial[0] & 0x80);
		}
		c = import(&der);
		assert_int_equal(pki_cert_serial_hex(c, hex, sizeof(hex), NULL),
				 PKI_OK);
		assert_int_equal(strlen(hex), 32);
		assert_int_equal(pki_cert_serial_hex(c, hex, 10, NULL),
				 PKI_E_INVALID);
		assert_int_equal(pki_cert_serial_hex(c, hex, sizeof(hex), NULL),
				 PKI_OK);
		write_pem("serial.pem", &der);
		snprintf(cmd, sizeof(cmd), "openssl x509 -in %s/serial.pem "
			 "-noout -serial", F.dir);
		fp = popen(cmd, "r");
		assert_non_null(fp);
		assert_non_null(fgets(line, sizeof(line), fp));
		pclose(fp);
		line[strcspn(line, "\n")] = '\0';
		assert_string_equal(line + strlen("serial="), hex);
		gnutls_x509_crt_deinit(c);
		gnutls_free(der.data);
		pki_cert_template_clear(&t);
	}
	(void)high;

	/* a caller-chosen serial with a leading 0x00 octet */
	tpl_init(&t, PKI_PROFILE_TLS_CLIENT, "fixed serial", F.now, F.now + DAY);
	memcpy(t.serial, "\x00\x81\x02\x03\x04\x05\x06\x07\x08", 9);
	t.serial_len = 9;
	if (issue_leaf(&t, F.ec_pub, &der, &err) != PKI_OK)
		fail_msg("%s", err.msg);
	c = import(&der);
	assert_int_equal(pki_cert_serial_hex(c, hex, sizeof(hex), NULL), PKI_OK);
	assert_string_equal(hex, "8102030405060708");
	gnutls_x509_crt_deinit(c);
	gnutls_free(der.data);
	pki_cert_template_clear(&t);

	/* a short serial fails the lint */
	tpl_init(&t, PKI_PROFILE_TLS_CLIENT, "short serial", F.now, F.now + DAY);
	memcpy(t.serial, "\x01\x02\x03", 3);
	t.serial_len = 3;
	assert_lint(issue_leaf(&t, F.ec_pub, &der, &err), &err, "64 random");
	pki_cert_template_clear(&t);
}

static void
test_lint_failures(void **state)
{
	struct pki_cert_template t;
	struct pki_error err;
	gnutls_datum_t der = { NULL, 0 };
	int rc;

	(void)state;
	/* validity starts before the issuer's */
	tpl_init(&t, PKI_PROFILE_TLS_CLIENT, "early", F.now - 7200, F.now + DAY);
	rc = issue_leaf(&t, F.ec_pub, &der, &err);
	assert_lint(rc, &err, "before the issuer's notBefore");
	assert_null(der.data);
	pki_cert_template_clear(&t);

	/* a sub-CA outliving the root: refused, not clamped */
	tpl_init(&t, PKI_PROFILE_SUB_CA, "long sub", F.now, Y2060 + DAY);
	t.path_len = 0;
	rc = pki_issue_sign(&t, F.ec_pub, F.root, F.root_key, &der, &err);
	assert_lint(rc, &err, "after the issuer's notAfter");
	assert_null(der.data);
	pki_cert_template_clear(&t);

	/* longer than the profile's maximum */
	tpl_init(&t, PKI_PROFILE_TLS_SERVER, "www.example.com", F.now,
		 F.now + 400 * DAY);
	add(&t.san_dns, "www.example.com");
	assert_lint(issue_leaf(&t, F.ec_pub, &der, &err), &err,
		    "exceeds the tls-server maximum of 398 days");
	pki_cert_template_clear(&t);

	/* tls-server without a SAN */
	tpl_init(&t, PKI_PROFILE_TLS_SERVER, "www.example.com", F.now,
		 F.now + DAY);
	assert_lint(issue_leaf(&t, F.ec_pub, &der, &err), &err,
		    "subjectAltName is missing");
	pki_cert_template_clear(&t);

	/* CN not among the SANs; SAN types the profile does not allow */
	tpl_init(&t, PKI_PROFILE_TLS_SERVER, "other.example.com", F.now,
		 F.now + DAY);
	add(&t.san_dns, "www.example.com");
	add(&t.san_email, "a@example.com");
	rc = issue_leaf(&t, F.ec_pub, &der, &err);
	assert_lint(rc, &err, "is not one of the subjectAltNames");
	assert_lint(rc, &err, "rfc822Name is not allowed");
	pki_cert_template_clear(&t);

	/* CA constraints on a leaf: all findings reported at once */
	tpl_init(&t, PKI_PROFILE_TLS_SERVER, "www.example.com", F.now,
		 F.now + DAY);
	add(&t.san_dns, "www.example.com");
	t.path_len = 0;
	add(&t.permitted_dns, "example.com");
	rc = issue_leaf(&t, F.ec_pub, &der, &err);
	assert_lint(rc, &err, "pathLenConstraint on a certificate that is not");
	assert_lint(rc, &err, "nameConstraints on a tls-server");
	assert_lint(rc, &err, "2 findings");
	pki_cert_template_clear(&t);

	/* names outside the issuer's nameConstraints */
	tpl_init(&t, PKI_PROFILE_TLS_SERVER, "www.example.org", F.now,
		 F.now + DAY);
	add(&t.san_dns, "www.example.org");
	add(&t.san_ip, "10.99.1.1");
	rc = issue_leaf(&t, F.ec_pub, &der, &err);
	assert_lint(rc, &err, "dNSName of the certificate is outside");
	assert_lint(rc, &err, "iPAddress of the certificate is outside");
	pki_cert_template_clear(&t);

	/* malformed names */
	tpl_init(&t, PKI_PROFILE_TLS_SERVER, NULL, F.now, F.now + DAY);
	add(&t.san_dns, "bad_name.example.com");
	assert_lint(issue_leaf(&t, F.ec_pub, &der, &err), &err,
		    "character other than");
	pki_cert_template_clear(&t);

	/* a leaf may not be self-signed; a root may not have an issuer */
	tpl_init(&t, PKI_PROFILE_TLS_CLIENT, "self", F.now, F.now + DAY);
	assert_lint(pki_issue_sign(&t, F.ec_pub, NULL, F.ec_key, &der, &err),
		    &err, "only root-ca certificates are self-signed");
	pki_cert_template_clear(&t);

	/* the sub-CA has pathLen 0: it cannot issue another CA */
	tpl_init(&t, PKI_PROFILE_SUB_CA, "third tier", F.now, F.now + DAY);
	rc = issue_leaf(&t, F.ec_pub, &der, &err);
	assert_lint(rc, &err, "pathLenConstraint is 0");
	pki_cert_template_clear(&t);

	/* sub-CA pathLen must be below the root's (2) */
	tpl_init(&t, PKI_PROFILE_SUB_CA, "wide sub", F.now, F.now + DAY);
	t.path_len = 2;
	assert_lint(pki_issue_sign(&t, F.ec_pub, F.root, F.root_key, &der,
				   &err), &err, "must be at most 1");
	pki_cert_template_clear(&t);

	/* bad country code and a CA without subject */
	tpl_init(&t, PKI_PROFILE_SUB_CA, NULL, F.now, F.now + DAY);
	t.path_len = 0;
	t.subject.country = strdup("Germany");
	rc = pki_issue_sign(&t, F.ec_pub, F.root, F.root_key, &der, &err);
	assert_int_equal(rc == PKI_E_LINT || rc == PKI_E_INVALID, 1);
	pki_cert_template_clear(&t);

	/* weak and mismatched keys are refused before anything is built */
	tpl_init(&t, PKI_PROFILE_TLS_CLIENT, "wrong key", F.now, F.now + DAY);
	assert_int_equal(pki_issue_sign(&t, F.ec_pub, F.sub, F.root_key, &der,
					&err), PKI_E_INVALID);
	assert_non_null(strstr(err.msg, "does not belong to the issuer"));
	pki_cert_template_clear(&t);
}

/* Mutate a good leaf, re-sign it with the sub-CA key and lint it. */
static void
test_lint_mutations(void **state)
{
	struct pki_cert_template t;
	struct pki_error err;
	gnutls_datum_t der;
	gnutls_x509_crt_t c;

	(void)state;
	tpl_init(&t, PKI_PROFILE_TLS_SERVER, "www.example.com", F.now,
		 F.now + DAY);
	add(&t.san_dns, "www.example.com");
	if (issue_leaf(&t, F.ec_pub, &der, &err) != PKI_OK)
		fail_msg("%s", err.msg);
	c = import(&der);
	gnutls_free(der.data);
	assert_int_equal(pki_profile_lint(&t, c, F.sub, &err), PKI_OK);
	assert_int_equal(pki_profile_lint(&t, c, F.root, &err), PKI_E_LINT);
	assert_non_null(strstr(err.msg, "issuer name is not"));

	/* wrong key usage */
	assert_int_equal(gnutls_x509_crt_set_key_usage(c,
			 GNUTLS_KEY_DIGITAL_SIGNATURE |
			 GNUTLS_KEY_KEY_CERT_SIGN | GNUTLS_KEY_KEY_ENCIPHERMENT),
			 0);
	/* an extension the profiles do not know; a second EKU */
	assert_int_equal(gnutls_x509_crt_set_key_purpose_oid(c,
			 GNUTLS_KP_TLS_WWW_CLIENT, 0), 0);
	assert_int_equal(gnutls_x509_crt_set_extension_by_oid(c,
			 "1.3.6.1.4.1.55555.9", "\x05\x00", 2, 0), 0);
	assert_int_equal(gnutls_x509_crt_privkey_sign(c, F.sub, F.sub_key,
						      GNUTLS_DIG_SHA256, 0), 0);
	assert_int_equal(pki_profile_lint(&t, c, F.sub, &err), PKI_E_LINT);
	assert_non_null(strstr(err.msg, "keyUsage keyCertSign is not allowed"));
	assert_non_null(strstr(err.msg, "keyEncipherment is not allowed in the "
			       "tls-server profile for a non-RSA key"));
	assert_non_null(strstr(err.msg, "unexpected extension "
			       "1.3.6.1.4.1.55555.9"));
	assert_non_null(strstr(err.msg, "extKeyUsage 1.3.6.1.5.5.7.3.2 is not "
			       "allowed"));
	gnutls_x509_crt_deinit(c);

	/* linting the same certificate against another profile */
	t.profile = pki_profile_get(PKI_PROFILE_EMAIL);
	if (issue_leaf(&t, F.ec_pub, &der, &err) == PKI_OK)
		fail_msg("email profile accepted a DNS name");
	assert_non_null(strstr(err.msg, "dNSName is not allowed in the email"));
	pki_cert_template_clear(&t);
}

static void
test_generalized_time(void **state)
{
	struct pki_cert_template t;
	struct pki_error err;
	gnutls_datum_t der;
	gnutls_x509_crt_t c;
	int64_t nb = (int64_t)2524608000 - 3600;  /* 2049-12-31T23:00Z */

	(void)state;
	/* a sub-CA from 2049 into 2050: UTCTime then GeneralizedTime */
	tpl_init(&t, PKI_PROFILE_SUB_CA, "Spork 2050 CA", nb, nb + 2 * 3600);
	t.path_len = 0;
	if (pki_issue_sign(&t, F.ec_pub, F.root, F.root_key, &der, &err) !=
	    PKI_OK)
		fail_msg("%s", err.msg);
	write_pem("y2050.pem", &der);
	c = import(&der);
	assert_int_equal(gnutls_x509_crt_get_expiration_time(c),
			 (time_t)(nb + 2 * 3600));
	assert_int_equal(pki_profile_lint(&t, c, F.root, &err), PKI_OK);
	assert_int_equal(run("openssl asn1parse -in %s/y2050.pem | "
			     "grep -q 'UTCTIME *:491231230000Z'", F.dir), 0);
	assert_int_equal(run("openssl asn1parse -in %s/y2050.pem | "
			     "grep -q 'GENERALIZEDTIME *:20500101010000Z'",
			     F.dir), 0);
	gnutls_x509_crt_deinit(c);
	gnutls_free(der.data);
	pki_cert_template_clear(&t);
}

/* root -> policy CA (nameConstraints, pathLen 1) -> issuing CA -> leaf:
 * the constraints of a CA above the issuer hold for the leaf, and CA
 * subjects (not host names) do not trip them. */
static void
test_three_tier(void **state)
{
	struct pki_cert_template t;
	struct pki_error err;
	gnutls_datum_t der;
	gnutls_x509_crt_t policy, issuing;
	gnutls_privkey_t pkey;
	gnutls_pubkey_t ppub;

	(void)state;
	pkey = gen_key(GNUTLS_PK_ECDSA,
		       GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP384R1), &ppub);
	tpl_init(&t, PKI_PROFILE_SUB_CA, "Spork TLS Policy CA", F.now - 3600,
		 F.now + 3 * 365 * DAY);
	t.path_len = 1;
	add(&t.permitted_dns, "example.com");
	add(&t.permitted_ip, "10.0.0.0/8");
	add(&t.policy_oids, "1.3.6.1.4.1.55555.1");
	if (pki_issue_sign(&t, ppub, F.root, F.root_key, &der, &err) != PKI_OK)
		fail_msg("policy CA: %s", err.msg);
	policy = import(&der);
	write_pem("policy.pem", &der);
	gnutls_free(der.data);
	pki_cert_template_clear(&t);

	tpl_init(&t, PKI_PROFILE_SUB_CA, "Spork TLS Issuing CA 2", F.now - 3600,
		 F.now + 2 * 365 * DAY);
	t.path_len = 0;
	t.digital_signature = 1;
	add(&t.policy_oids, "1.3.6.1.4.1.55555.1");
	if (pki_issue_sign(&t, F.ec_pub, policy, pkey, &der, &err) != PKI_OK)
		fail_msg("issuing CA: %s", err.msg);
	issuing = import(&der);
	write_pem("issuing.pem", &der);
	gnutls_free(der.data);
	pki_cert_template_clear(&t);

	tpl_init(&t, PKI_PROFILE_TLS_SERVER, "app.example.com", F.now - 60,
		 F.now + 30 * DAY);
	add(&t.san_dns, "app.example.com");
	add(&t.san_ip, "10.9.8.7");
	if (pki_issue_sign(&t, F.rsa_pub, issuing, F.ec_key, &der, &err) !=
	    PKI_OK)
		fail_msg("leaf: %s", err.msg);
	write_pem("app.pem", &der);
	gnutls_free(der.data);
	pki_cert_template_clear(&t);

	assert_int_equal(run("cd %s && cat app.pem issuing.pem policy.pem "
			     "root.pem > chain3.pem && certtool --verify-chain "
			     "--infile chain3.pem >/dev/null 2>&1", F.dir), 0);
	assert_int_equal(run("cd %s && cat issuing.pem policy.pem > "
			     "untrusted3.pem && openssl verify -x509_strict "
			     "-purpose sslserver -CAfile root.pem -untrusted "
			     "untrusted3.pem app.pem >/dev/null", F.dir), 0);
	gnutls_x509_crt_deinit(issuing);
	gnutls_x509_crt_deinit(policy);
	gnutls_privkey_deinit(pkey);
	gnutls_pubkey_deinit(ppub);
}

/* ---------------------------------------------------------------- CSR */

static void
make_csr(gnutls_privkey_t key, gnutls_datum_t *der)
{
	struct pki_cert_template t;
	struct pki_error err;

	tpl_init(&t, PKI_PROFILE_SUB_CA, "Spork Subordinate CA", 0, 0);
	t.subject.organization = strdup("Spork Test");
	t.path_len = 0;
	if (pki_issue_make_csr(&t, key, der, &err) != PKI_OK)
		fail_msg("make_csr: %s", err.msg);
	pki_cert_template_clear(&t);
}

static void
test_csr_roundtrip(void **state)
{
	struct pki_error err;
	gnutls_datum_t der, pem = { NULL, 0 };
	gnutls_x509_crq_t crq;
	gnutls_pubkey_t pub;
	unsigned crit, ca, ku;
	int pathlen;
	char buf[128];
	size_t sz = sizeof(buf);
	FILE *fp;
	char path[FIXTURE_PATH_MAX];

	(void)state;
	make_csr(F.ec_key, &der);
	assert_int_equal(pki_issue_parse_csr(&der, &crq, &err), PKI_OK);
	assert_int_equal(gnutls_x509_crq_get_basic_constraints(crq, &crit, &ca,
							       &pathlen), 1);
	assert_int_equal(crit, 1);
	assert_int_equal(pathlen, 0);
	assert_int_equal(gnutls_x509_crq_get_key_usage(crq, &ku, &crit), 0);
	assert_int_equal(ku, GNUTLS_KEY_KEY_CERT_SIGN | GNUTLS_KEY_CRL_SIGN);
	assert_int_equal(gnutls_x509_crq_get_dn_by_oid(crq,
			 GNUTLS_OID_X520_COMMON_NAME, 0, 0, buf, &sz), 0);
	assert_string_equal(buf, "Spork Subordinate CA");
	assert_int_equal(pki_issue_pubkey_from_csr(crq, &pub, NULL), PKI_OK);
	gnutls_pubkey_deinit(pub);
	gnutls_x509_crq_deinit(crq);

	/* PEM works too, and openssl agrees the signature is good */
	assert_int_equal(gnutls_pem_base64_encode2("CERTIFICATE REQUEST", &der,
						   &pem), 0);
	assert_int_equal(pki_issue_parse_csr(&pem, &crq, &err), PKI_OK);
	gnutls_x509_crq_deinit(crq);
	snprintf(path, sizeof(path), "%s/sub.csr", F.dir);
	fp = fopen(path, "w");
	assert_non_null(fp);
	assert_int_equal(fwrite(pem.data, 1, pem.size, fp), pem.size);
	fclose(fp);
	assert_int_equal(run("openssl req -in %s -noout -verify 2>&1 | "
			     "grep -q 'verify OK'", path), 0);
	gnutls_free(pem.data);

	/* a flipped byte in the signature */
	der.data[der.size - 3] ^= 0x01;
	assert_int_equal(pki_issue_parse_csr(&der, &crq, &err), PKI_E_INVALID);
	assert_non_null(strstr(err.msg, "signature does not verify"));
	assert_null(crq);
	gnutls_free(der.data);

	/* Ed25519 and RSA-2048 requests are accepted */
	make_csr(F.ed_key, &der);
	assert_int_equal(pki_issue_parse_csr(&der, &crq, &err), PKI_OK);
	gnutls_x509_crq_deinit(crq);
	gnutls_free(der.data);
}

static void
test_csr_hostile(void **state)
{
	struct pki_error err;
	gnutls_datum_t der, in;
	gnutls_x509_crq_t crq = NULL;
	gnutls_privkey_t weak;
	gnutls_pubkey_t weak_pub;
	unsigned char *big;
	char path[FIXTURE_PATH_MAX];

	(void)state;
	/* RSA-1024 */
	weak = gen_key(GNUTLS_PK_RSA, 1024, &weak_pub);
	make_csr(weak, &der);
	assert_int_equal(pki_issue_parse_csr(&der, &crq, &err), PKI_E_INVALID);
	assert_non_null(strstr(err.msg, "1024 bits"));
	assert_non_null(strstr(err.msg, "at least 2048"));
	gnutls_free(der.data);
	/* and no certificate for that key either */
	{
		struct pki_cert_template t;

		tpl_init(&t, PKI_PROFILE_TLS_CLIENT, "weak", F.now, F.now + DAY);
		assert_int_equal(issue_leaf(&t, weak_pub, &der, &err),
				 PKI_E_INVALID);
		pki_cert_template_clear(&t);
	}
	gnutls_privkey_deinit(weak);
	gnutls_pubkey_deinit(weak_pub);

	/* an openssl-made request on a curve spork does not certify */
	snprintf(path, sizeof(path), "%s/p224.csr", F.dir);
	if (run("openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-224 "
		"-nodes -keyout /dev/null -subj /CN=p224 -outform DER -out %s "
		"2>/dev/null", path) == 0) {
		FILE *fp = fopen(path, "rb");
		unsigned char buf[2048];

		assert_non_null(fp);
		in.size = (unsigned)fread(buf, 1, sizeof(buf), fp);
		fclose(fp);
		in.data = buf;
		assert_int_not_equal(pki_issue_parse_csr(&in, &crq, &err),
				     PKI_OK);
		assert_null(crq);
	}

	/* garbage, empty, truncated, oversized */
	in.data = (unsigned char *)"this is not a CSR";
	in.size = 17;
	assert_int_equal(pki_issue_parse_csr(&in, &crq, &err), PKI_E_PARSE);
	assert_non_null(strstr(err.msg, "PKCS#10"));
	in.data = (unsigned char *)"-----BEGIN CERTIFICATE REQUEST-----\n"
				   "AAAA\n-----END CERTIFICATE REQUEST-----\n";
	in.size = (unsigned)strlen((char *)in.data);
	assert_int_equal(pki_issue_parse_csr(&in, &crq, &err), PKI_E_PARSE);
	in.size = 0;
	assert_int_equal(pki_issue_parse_csr(&in, &crq, &err), PKI_E_PARSE);
	make_csr(F.ec_key, &der);
	der.size /= 2;
	assert_int_equal(pki_issue_parse_csr(&der, &crq, &err), PKI_E_PARSE);
	gnutls_free(der.data);
	big = calloc(1, 65 * 1024);
	assert_non_null(big);
	in.data = big;
	in.size = 65 * 1024;
	assert_int_equal(pki_issue_parse_csr(&in, &crq, &err), PKI_E_INVALID);
	assert_non_null(strstr(err.msg, "64 KiB"));
	free(big);

	/* a certificate is not a request */
	in.data = (unsigned char *)"garbage";
	in.size = 7;
	assert_int_equal(pki_cert_parse(&in, NULL, &err), PKI_E_PARSE);
}

static void
test_csr_template(void **state)
{
	struct pki_cert_template t, leaf;
	struct pki_error err;
	gnutls_datum_t der, cert;
	gnutls_x509_crq_t crq;
	gnutls_pubkey_t pub;

	(void)state;
	/* a request as a client would send it (EE, with SANs) */
	tpl_init(&t, PKI_PROFILE_TLS_SERVER, "WWW.Example.com", 0, 0);
	add(&t.san_dns, "WWW.Example.com");
	add(&t.san_dns, "api.example.com");
	add(&t.san_ip, "10.1.2.3");
	add(&t.san_ip, "2001:db8::2");
	add(&t.san_email, "ops@example.com");
	add(&t.san_uri, "https://example.com/x");
	assert_int_equal(pki_issue_make_csr(&t, F.ec_key, &der, &err), PKI_OK);
	pki_cert_template_clear(&t);

	assert_int_equal(pki_issue_parse_csr(&der, &crq, &err), PKI_OK);
	gnutls_free(der.data);
	tpl_init(&leaf, PKI_PROFILE_TLS_SERVER, NULL, F.now, F.now + 30 * DAY);
	assert_int_equal(pki_issue_template_from_csr(crq, &leaf, &err), PKI_OK);
	assert_string_equal(leaf.subject.common_name, "WWW.Example.com");
	assert_int_equal(leaf.san_dns.n, 2);
	assert_string_equal(leaf.san_dns.v[0], "www.example.com");
	assert_string_equal(leaf.san_dns.v[1], "api.example.com");
	assert_int_equal(leaf.san_ip.n, 2);
	assert_string_equal(leaf.san_ip.v[0], "10.1.2.3");
	assert_string_equal(leaf.san_ip.v[1], "2001:db8::2");
	assert_int_equal(leaf.san_email.n, 1);
	assert_string_equal(leaf.san_email.v[0], "ops@example.com");
	assert_int_equal(leaf.san_uri.n, 1);
	assert_string_equal(leaf.san_uri.v[0], "https://example.com/x");

	/* the tls-server profile refuses the email and URI names */
	assert_int_equal(pki_issue_pubkey_from_csr(crq, &pub, NULL), PKI_OK);
	assert_lint(issue_leaf(&leaf, pub, &cert, &err), &err,
		    "rfc822Name is not allowed in the tls-server");
	pki_strlist_clear(&leaf.san_email);
	pki_strlist_clear(&leaf.san_uri);
	free(leaf.subject.common_name);
	leaf.subject.common_name = strdup("www.example.com");
	if (issue_leaf(&leaf, pub, &cert, &err) != PKI_OK)
		fail_msg("%s", err.msg);
	gnutls_free(cert.data);
	gnutls_pubkey_deinit(pub);
	gnutls_x509_crq_deinit(crq);
	pki_cert_template_clear(&leaf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_profile_table),
		cmocka_unit_test(test_name_checks),
		cmocka_unit_test(test_ca_extensions),
		cmocka_unit_test(test_leaves_verify),
		cmocka_unit_test(test_digest_choice),
		cmocka_unit_test(test_serial),
		cmocka_unit_test(test_lint_failures),
		cmocka_unit_test(test_lint_mutations),
		cmocka_unit_test(test_generalized_time),
		cmocka_unit_test(test_three_tier),
		cmocka_unit_test(test_csr_roundtrip),
		cmocka_unit_test(test_csr_hostile),
		cmocka_unit_test(test_csr_template),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
