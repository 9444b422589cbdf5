/*
 * test-crl: CRLs built by libpki/crl.c, checked the way a user would:
 * openssl crl -text / -verify, certtool --crl-info, openssl verify
 * -crl_check (and -extended_crl -use_deltas) against leaf certificates,
 * our own parser, and byte equality with a plain libtasn1 encoding of the
 * same TBSCertList.  Plus hostile input for the parser.
 */
#include <config.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <gnutls/abstract.h>
#include <libtasn1.h>

#include <spork/crl.h>
#include "crl-int.h"
#include "fixture.h"
#include "util.h"

extern const asn1_static_node pki__pkix_asn1_tab[];

#define IDP_URL "http://crl.example.test/issuing.crl"
#define DELTA_URL "http://crl.example.test/issuing-delta.crl"

struct ca {
	gnutls_privkey_t key;
	gnutls_x509_crt_t crt;
	gnutls_pk_algorithm_t pk;
};

/* ECDSA issuers use this curve (P-256 unless a test changes it). */
static gnutls_ecc_curve_t ecdsa_curve = GNUTLS_ECC_CURVE_SECP256R1;

static char tmpdir[PATH_MAX];
static struct ca p256;
static int64_t now;
static int have_openssl, have_certtool;

/* ------------------------------------------------------------ helpers */

static void
gnutls_ok(int ret)
{
	if (ret < 0)
		fail_msg("gnutls: %s", gnutls_strerror(ret));
}

static gnutls_digest_algorithm_t
dig_for(gnutls_pk_algorithm_t pk)
{
	return pk == GNUTLS_PK_EDDSA_ED25519 ? GNUTLS_DIG_SHA512 :
	       pk == GNUTLS_PK_EDDSA_ED448 ? GNUTLS_DIG_SHAKE_256 :
	       GNUTLS_DIG_SHA256;
}

static void
key_make(gnutls_pk_algorithm_t pk, gnutls_privkey_t *key)
{
	unsigned bits = pk == GNUTLS_PK_RSA ? 2048 :
			pk == GNUTLS_PK_ECDSA ?
			GNUTLS_CURVE_TO_BITS(ecdsa_curve) : 0;

	*key = fixture_key_generate(pk, bits);
}

static void
crt_common(gnutls_x509_crt_t crt, gnutls_privkey_t key, const unsigned char *serial,
	   size_t slen, const char *dn)
{
	gnutls_pubkey_t pub;
	unsigned char kid[64];
	size_t kl = sizeof(kid);
	const char *e = NULL;

	gnutls_ok(gnutls_pubkey_init(&pub));
	gnutls_ok(gnutls_pubkey_import_privkey(pub, key, 0, 0));
	gnutls_ok(gnutls_x509_crt_set_version(crt, 3));
	gnutls_ok(gnutls_x509_crt_set_serial(crt, serial, slen));
	gnutls_ok(gnutls_x509_crt_set_dn(crt, dn, &e));
	gnutls_ok(gnutls_x509_crt_set_activation_time(crt, (time_t)(now - 86400)));
	gnutls_ok(gnutls_x509_crt_set_expiration_time(crt,
						      (time_t)(now + 30 * 86400)));
	gnutls_ok(gnutls_x509_crt_set_pubkey(crt, pub));
	gnutls_ok(gnutls_pubkey_get_key_id(pub, GNUTLS_KEYID_USE_SHA1, kid, &kl));
	gnutls_ok(gnutls_x509_crt_set_subject_key_id(crt, kid, kl));
	gnutls_pubkey_deinit(pub);
}

static void
ca_make(struct ca *ca, gnutls_pk_algorithm_t pk, const char *dn)
{
	static const unsigned char serial[] = { 0x01 };

	ca->pk = pk;
	key_make(pk, &ca->key);
	gnutls_ok(gnutls_x509_crt_init(&ca->crt));
	crt_common(ca->crt, ca->key, serial, sizeof(serial), dn);
	gnutls_ok(gnutls_x509_crt_set_basic_constraints(ca->crt, 1, -1));
	gnutls_ok(gnutls_x509_crt_set_key_usage(ca->crt, GNUTLS_KEY_KEY_CERT_SIGN |
						GNUTLS_KEY_CRL_SIGN));
	gnutls_ok(gnutls_x509_crt_privkey_sign(ca->crt, ca->crt, ca->key,
					       dig_for(pk), 0));
}

static void
ca_free(struct ca *ca)
{
	gnutls_x509_crt_deinit(ca->crt);
	gnutls_privkey_deinit(ca->key);
	memset(ca, 0, sizeof(*ca));
}

/* A leaf certificate issued by ca, optionally with a CRLDP. */
static gnutls_x509_crt_t
leaf_make(const struct ca *ca, const unsigned char *serial, size_t slen,
	  const char *crldp)
{
	gnutls_privkey_t key;
	gnutls_x509_crt_t crt;
	unsigned char kid[64];
	size_t kl = sizeof(kid);
	unsigned crit;

	key_make(GNUTLS_PK_ECDSA, &key);
	gnutls_ok(gnutls_x509_crt_init(&crt));
	crt_common(crt, key, serial, slen, "CN=leaf.example.test");
	gnutls_ok(gnutls_x509_crt_set_basic_constraints(crt, 0, -1));
	gnutls_ok(gnutls_x509_crt_set_key_usage(crt,
						GNUTLS_KEY_DIGITAL_SIGNATURE));
	gnutls_ok(gnutls_x509_crt_get_subject_key_id(ca->crt, kid, &kl, &crit));
	gnutls_ok(gnutls_x509_crt_set_authority_key_id(crt, kid, kl));
	if (crldp != NULL)
		gnutls_ok(gnutls_x509_crt_set_crl_dist_points(crt, GNUTLS_SAN_URI,
							      crldp, 0));
	gnutls_ok(gnutls_x509_crt_privkey_sign(crt, ca->crt, ca->key,
					       dig_for(ca->pk), 0));
	gnutls_privkey_deinit(key);
	return crt;
}

static void
file_put(const char *name, const void *data, size_t len)
{
	fixture_file_write(tmpdir, name, data, len);
}

static void
crt_put(const char *name, gnutls_x509_crt_t crt)
{
	gnutls_datum_t pem;

	gnutls_ok(gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &pem));
	file_put(name, pem.data, pem.size);
	gnutls_free(pem.data);
}

/* Write name.der and name.pem. */
static void
crl_put(const char *name, const gnutls_datum_t *der)
{
	gnutls_datum_t pem;
	char fn[64];

	if ((size_t)snprintf(fn, sizeof(fn), "%s.der", name) >= sizeof(fn))
		fail();
	file_put(fn, der->data, der->size);
	gnutls_ok(gnutls_pem_base64_encode2("X509 CRL", der, &pem));
	if ((size_t)snprintf(fn, sizeof(fn), "%s.pem", name) >= sizeof(fn))
		fail();
	file_put(fn, pem.data, pem.size);
	gnutls_free(pem.data);
}

/* Run a shell command in tmpdir; returns its output (caller frees) and
 * exit status. */
static char *
run(int *status, const char *fmt, ...) PKI_PRINTF(2, 3);

static char *
run(int *status, const char *fmt, ...)
{
	char cmd[4096], *out = NULL;
	size_t len = 0, cap = 0, n;
	va_list ap;
	FILE *p;
	int off;

	off = snprintf(cmd, sizeof(cmd), "cd '%s' && (", tmpdir);
	va_start(ap, fmt);
	off += vsnprintf(cmd + off, sizeof(cmd) - (size_t)off, fmt, ap);
	va_end(ap);
	snprintf(cmd + off, sizeof(cmd) - (size_t)off, ") 2>&1");
	assert_non_null(p = popen(cmd, "r"));
	for (;;) {
		if (len + 4096 + 1 > cap) {
			cap = cap ? cap * 2 : 8192;
			assert_non_null(out = realloc(out, cap));
		}
		n = fread(out + len, 1, cap - len - 1, p);
		if (n == 0)
			break;
		len += n;
	}
	out[len] = '\0';
	*status = pclose(p);
	*status = WIFEXITED(*status) ? WEXITSTATUS(*status) : -1;
	return out;
}

/* Run and require exit status 0 and every needle in the output. */
static void
run_expect(const char *const *needles, const char *fmt, ...) PKI_PRINTF(2, 3);

static void
run_expect(const char *const *needles, const char *fmt, ...)
{
	char cmd[2048], *out;
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	out = run(&st, "%s", cmd);
	if (st != 0)
		fail_msg("'%s' exited %d:\n%s", cmd, st, out);
	for (; needles != NULL && *needles != NULL; needles++)
		if (strstr(out, *needles) == NULL)
			fail_msg("'%s' output lacks '%s':\n%s", cmd, *needles,
				 out);
	free(out);
}

/* openssl verify -crl_check of leaf.pem: 1 accepted, 0 revoked. */
static int
openssl_verify(const char *crls, const char *leaf, int deltas)
{
	char *out;
	int st, ok;

	out = run(&st, "openssl verify -crl_check %s -CRLfile %s -CAfile ca.pem "
		  "%s", deltas ? "-extended_crl -use_deltas" : "", crls, leaf);
	ok = st == 0 && strstr(out, ": OK") != NULL;
	if (!ok && strstr(out, "certificate revoked") == NULL)
		fail_msg("openssl verify failed for another reason:\n%s", out);
	free(out);
	return ok;
}

struct list {
	const struct pki_crl_entry *e;
	size_t n, i;
};

static int
list_next(void *ctx, struct pki_crl_entry *e)
{
	struct list *l = ctx;

	if (l->i >= l->n)
		return 0;
	*e = l->e[l->i++];
	return 1;
}

static void
params_init(struct pki_crl_params *p, uint64_t number)
{
	memset(p, 0, sizeof(*p));
	p->this_update = now - 60;
	p->next_update = now + 7 * 86400;
	p->crl_number = number;
}

static void
build(const struct ca *ca, const struct pki_crl_params *p,
      const struct pki_crl_entry *e, size_t n, gnutls_datum_t *der)
{
	struct list l = { e, n, 0 };
	struct pki_error err = { 0 };
	int rc;

	rc = pki_crl_build(p, list_next, &l, ca->crt, ca->key, der, &err);
	if (rc != PKI_OK)
		fail_msg("pki_crl_build: %s", err.msg);
}

static struct pki_crl *
parse_ok(const gnutls_datum_t *der)
{
	struct pki_crl *crl = NULL;
	struct pki_error err = { 0 };

	if (pki_crl_parse(der->data, der->size, &crl, &err) != PKI_OK)
		fail_msg("pki_crl_parse: %s", err.msg);
	return crl;
}

static void
need_tools(void)
{
	if (!have_openssl || !have_certtool)
		skip();
}

static const unsigned char s1[] = { 0x12, 0x34, 0x56, 0x78, 0x9a };
static const unsigned char s2[] = { 0x80, 0x01 }; /* high bit: 0x00 prefix */
static const unsigned char s3[] = { 0x00, 0x00, 0x07 }; /* leading zeros */
static const unsigned char s20[] = { 0x7f, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11,
				     12, 13, 14, 15, 16, 17, 18, 19 };

/* ------------------------------------------------------------ tests */

static void
test_empty(void **state)
{
	struct pki_crl_params p;
	struct pki_crl *crl;
	struct pki_error err = { 0 };
	gnutls_datum_t der;
	struct pki_crl_entry e;
	static const char *const text[] = {
		"Version 2 (0x1)", "ecdsa-with-SHA256",
		"Issuer: O = spork, CN = Test CA", "X509v3 CRL Number:",
		"X509v3 Authority Key Identifier:", "No Revoked Certificates.",
		NULL };
	static const char *const ct[] = { "No revoked certificates.",
					  "CRL Number (not critical): 01",
					  "Authority Key Identifier", NULL };

	(void)state;
	params_init(&p, 1);
	build(&p256, &p, NULL, 0, &der);
	crl = parse_ok(&der);
	assert_int_equal(crl->version, 2);
	assert_int_equal(crl->entry_count, 0);
	assert_true(crl->has_number);
	assert_int_equal(crl->number, 1);
	assert_string_equal(crl->number_hex, "01");
	assert_false(crl->is_delta);
	assert_false(crl->has_idp);
	assert_null(crl->idp_url);
	assert_int_equal(crl->this_update, p.this_update);
	assert_int_equal(crl->next_update, p.next_update);
	assert_string_equal(crl->issuer, "CN=Test CA,O=spork");
	assert_int_equal(crl->sign_algo, GNUTLS_SIGN_ECDSA_SHA256);
	assert_int_equal(crl->aki_len, 20);
	assert_int_equal(pki_crl_entry_next(crl, &e), 0);
	assert_int_equal(pki_crl_verify(crl, p256.crt, &err), PKI_OK);
	pki_crl_free(crl);

	if (!have_openssl || !have_certtool) {
		gnutls_free(der.data);
		skip();
	}
	crl_put("empty", &der);
	run_expect(text, "openssl crl -inform DER -in empty.der -text -noout");
	run_expect(NULL, "openssl crl -in empty.pem -verify -CAfile ca.pem "
		   "-noout 2>&1 | grep -x 'verify OK'");
	run_expect(ct, "certtool --crl-info --inder --infile empty.der");
	/* certtool checks the signature too. */
	run_expect(NULL, "certtool --verify-crl --load-ca-certificate ca.pem "
		   "--infile empty.pem | grep -i 'verified'");
	gnutls_free(der.data);
}

static void
test_reasons(void **state)
{
	struct pki_crl_entry e[12], got;
	struct pki_crl_params p;
	struct pki_crl *crl;
	gnutls_datum_t der;
	unsigned char serials[12][2];
	size_t i, n = 0;
	int r;
	static const char *const text[] = {
		"Key Compromise", "CA Compromise",
		"Affiliation Changed", "Superseded", "Cessation Of Operation",
		"Certificate Hold", "Privilege Withdrawn", "AA Compromise",
		"Invalidity Date:", "Serial Number: 0103",
		"X509v3 CRL Number:", NULL };

	(void)state;
	memset(e, 0, sizeof(e));
	for (r = 0; r <= 10; r++) {
		if (r == 7 || r == 8)
			continue;
		serials[n][0] = 1;
		serials[n][1] = (unsigned char)r;
		e[n].serial = serials[n];
		e[n].serial_len = 2;
		e[n].revocation_time = now - 3600 * (r + 1);
		e[n].reason = r;
		if (r == PKI_CRL_REASON_KEY_COMPROMISE)
			e[n].invalidity_date = now - 86400 * 3;
		n++;
	}
	/* No reason at all, and an invalidity date without a reason. */
	e[n].serial = s1;
	e[n].serial_len = sizeof(s1);
	e[n].revocation_time = now - 10;
	e[n].reason = -1;
	n++;
	e[n].serial = s2;
	e[n].serial_len = sizeof(s2);
	e[n].revocation_time = now - 20;
	e[n].reason = -1;
	e[n].invalidity_date = now - 86400;
	n++;
	params_init(&p, 0x1234567890ULL);
	build(&p256, &p, e, n, &der);

	crl = parse_ok(&der);
	assert_int_equal(crl->entry_count, n);
	assert_int_equal(crl->number, 0x1234567890ULL);
	assert_string_equal(crl->number_hex, "1234567890");
	for (i = 0; i < n; i++) {
		assert_int_equal(pki_crl_entry_next(crl, &got), 1);
		assert_int_equal(got.serial_len, e[i].serial_len);
		assert_memory_equal(got.serial, e[i].serial, e[i].serial_len);
		assert_int_equal(got.revocation_time, e[i].revocation_time);
		/* unspecified(0) is written as no reasonCode (5.3.1) */
		assert_int_equal(got.reason, e[i].reason ==
				 PKI_CRL_REASON_UNSPECIFIED ? -1 : e[i].reason);
		assert_int_equal(got.invalidity_date, e[i].invalidity_date);
		assert_false(got.remove_from_crl);
	}
	assert_int_equal(pki_crl_entry_next(crl, &got), 0);
	pki_crl_entry_rewind(crl);
	assert_int_equal(pki_crl_entry_next(crl, &got), 1);
	pki_crl_free(crl);

	if (!have_openssl || !have_certtool) {
		gnutls_free(der.data);
		skip();
	}
	crl_put("reasons", &der);
	run_expect(text, "openssl crl -inform DER -in reasons.der -text -noout");
	/* the high-bit serial is written as a positive INTEGER */
	run_expect(NULL, "openssl crl -inform DER -in reasons.der -text -noout "
		   "| grep -q 'Serial Number: 8001'");
	run_expect(NULL, "! openssl crl -inform DER -in reasons.der -text "
		   "-noout | grep -q Unspecified");
	run_expect(NULL, "openssl crl -in reasons.pem -verify -CAfile ca.pem "
		   "-noout 2>&1 | grep -x 'verify OK'");
	run_expect((const char *const[]){ "Revoked certificates (11)", NULL },
		   "certtool --crl-info --inder --infile reasons.der");
	gnutls_free(der.data);
}

static void
test_verify_leaf(void **state)
{
	static const unsigned char bad[] = { 0x42, 0x01 }, good[] = { 0x42, 0x02 };
	struct pki_crl_entry e = { bad, sizeof(bad), 0, 1, 0, 0 };
	struct pki_crl_params p;
	gnutls_x509_crt_t lb, lg;
	gnutls_datum_t der;

	(void)state;
	need_tools();
	e.revocation_time = now - 600;
	lb = leaf_make(&p256, bad, sizeof(bad), NULL);
	lg = leaf_make(&p256, good, sizeof(good), NULL);
	crt_put("leaf-bad.pem", lb);
	crt_put("leaf-good.pem", lg);
	params_init(&p, 7);
	build(&p256, &p, &e, 1, &der);
	crl_put("leafcrl", &der);
	assert_false(openssl_verify("leafcrl.pem", "leaf-bad.pem", 0));
	assert_true(openssl_verify("leafcrl.pem", "leaf-good.pem", 0));
	gnutls_free(der.data);
	gnutls_x509_crt_deinit(lb);
	gnutls_x509_crt_deinit(lg);
}

static void
test_idp(void **state)
{
	static const unsigned char bad[] = { 0x43, 0x01 }, good[] = { 0x43, 0x02 };
	struct pki_crl_entry e = { bad, sizeof(bad), 0, 4, 0, 0 };
	struct pki_crl_params p;
	struct pki_crl *crl;
	gnutls_x509_crt_t lb, lg;
	gnutls_datum_t der;
	static const char *const text[] = {
		"X509v3 Issuing Distribution Point: critical",
		"URI:" IDP_URL, "Only User Certificates", NULL };

	(void)state;
	e.revocation_time = now - 600;
	params_init(&p, 9);
	p.idp_url = IDP_URL;
	p.idp_only_user_certs = 1;
	build(&p256, &p, &e, 1, &der);
	crl = parse_ok(&der);
	assert_true(crl->has_idp);
	assert_string_equal(crl->idp_url, IDP_URL);
	assert_true(crl->idp_only_user_certs);
	assert_false(crl->idp_only_ca_certs);
	pki_crl_free(crl);

	if (!have_openssl || !have_certtool) {
		gnutls_free(der.data);
		skip();
	}
	crl_put("idp", &der);
	run_expect(text, "openssl crl -inform DER -in idp.der -text -noout");
	run_expect(NULL, "certtool --crl-info --inder --infile idp.der");
	/* The leaves name the CRL in their CRLDP, as the IDP scope requires. */
	lb = leaf_make(&p256, bad, sizeof(bad), IDP_URL);
	lg = leaf_make(&p256, good, sizeof(good), IDP_URL);
	crt_put("idp-bad.pem", lb);
	crt_put("idp-good.pem", lg);
	assert_false(openssl_verify("idp.pem", "idp-bad.pem", 0));
	assert_true(openssl_verify("idp.pem", "idp-good.pem", 0));
	gnutls_free(der.data);
	gnutls_x509_crt_deinit(lb);
	gnutls_x509_crt_deinit(lg);
}

static void
test_delta(void **state)
{
	static const unsigned char held[] = { 0x44, 0x01 },
				   comp[] = { 0x44, 0x02 },
				   good[] = { 0x44, 0x03 };
	struct pki_crl_entry base_e = { held, sizeof(held), 0,
					PKI_CRL_REASON_CERTIFICATE_HOLD, 0, 0 };
	struct pki_crl_entry delta_e[2] = {
		{ held, sizeof(held), 0, -1, 0, 1 },
		{ comp, sizeof(comp), 0, PKI_CRL_REASON_KEY_COMPROMISE, 0, 0 },
	};
	struct pki_crl_params p;
	struct pki_crl *crl;
	struct pki_crl_entry got;
	gnutls_x509_crt_t lh, lc, lg;
	gnutls_datum_t base, delta;
	static const char *const dtext[] = {
		"X509v3 Delta CRL Indicator: critical", "Remove From CRL",
		"Key Compromise", NULL };
	static const char *const btext[] = { "X509v3 Freshest CRL:",
					     "URI:" DELTA_URL, NULL };

	(void)state;
	base_e.revocation_time = now - 7200;
	delta_e[0].revocation_time = now - 600;
	delta_e[1].revocation_time = now - 300;
	params_init(&p, 5);
	p.freshest_url = DELTA_URL;
	build(&p256, &p, &base_e, 1, &base);
	crl = parse_ok(&base);
	assert_string_equal(crl->freshest_url, DELTA_URL);
	pki_crl_free(crl);

	params_init(&p, 6);
	p.is_delta = 1;
	p.base_crl_number = 5;
	build(&p256, &p, delta_e, 2, &delta);
	crl = parse_ok(&delta);
	assert_true(crl->is_delta);
	assert_int_equal(crl->base_number, 5);
	assert_int_equal(crl->number, 6);
	assert_int_equal(crl->entry_count, 2);
	assert_int_equal(pki_crl_entry_next(crl, &got), 1);
	assert_true(got.remove_from_crl);
	assert_int_equal(got.reason, PKI_CRL_REASON_REMOVE_FROM_CRL);
	pki_crl_free(crl);

	if (!have_openssl || !have_certtool) {
		gnutls_free(base.data);
		gnutls_free(delta.data);
		skip();
	}
	crl_put("base", &base);
	crl_put("delta", &delta);
	run_expect(btext, "openssl crl -inform DER -in base.der -text -noout");
	run_expect(dtext, "openssl crl -inform DER -in delta.der -text -noout");
	run_expect(NULL, "certtool --crl-info --inder --infile delta.der");
	run_expect(NULL, "openssl crl -in delta.pem -verify -CAfile ca.pem "
		   "-noout 2>&1 | grep -x 'verify OK'");
	run_expect(NULL, "cat base.pem delta.pem > both.pem");

	lh = leaf_make(&p256, held, sizeof(held), NULL);
	lc = leaf_make(&p256, comp, sizeof(comp), NULL);
	lg = leaf_make(&p256, good, sizeof(good), NULL);
	crt_put("held.pem", lh);
	crt_put("comp.pem", lc);
	crt_put("good.pem", lg);
	/* The base alone: the held certificate is revoked, the others not. */
	assert_false(openssl_verify("base.pem", "held.pem", 0));
	assert_true(openssl_verify("base.pem", "comp.pem", 0));
	/* With the delta: the hold is lifted, the compromise is revoked. */
	assert_true(openssl_verify("both.pem", "held.pem", 1));
	assert_false(openssl_verify("both.pem", "comp.pem", 1));
	assert_true(openssl_verify("both.pem", "good.pem", 1));
	gnutls_free(base.data);
	gnutls_free(delta.data);
	gnutls_x509_crt_deinit(lh);
	gnutls_x509_crt_deinit(lc);
	gnutls_x509_crt_deinit(lg);
}

/* An issuer of another key type: build, parse, verify, openssl checks. */
static void
other_issuer(gnutls_pk_algorithm_t pk, gnutls_sign_algorithm_t sign,
	     const char *sigtext, const char *subdir)
{
	static const unsigned char bad[] = { 0x45, 0x01 }, good[] = { 0x45, 0x02 };
	struct pki_crl_entry e = { bad, sizeof(bad), 0, 1, 0, 0 };
	struct pki_crl_params p;
	struct pki_error err = { 0 };
	struct pki_crl *crl;
	struct ca ca;
	gnutls_x509_crt_t lb, lg;
	gnutls_datum_t der;
	char save[PATH_MAX];
	const char *const text[] = { sigtext, "Key Compromise", NULL };

	e.revocation_time = now - 600;
	ca_make(&ca, pk, "CN=Other CA,O=spork");
	params_init(&p, 3);
	build(&ca, &p, &e, 1, &der);
	crl = parse_ok(&der);
	assert_int_equal(crl->sign_algo, sign);
	assert_int_equal(pki_crl_verify(crl, ca.crt, &err), PKI_OK);
	/* ... and not by the P-256 CA */
	assert_int_not_equal(pki_crl_verify(crl, p256.crt, &err), PKI_OK);
	pki_crl_free(crl);

	if (have_openssl && have_certtool) {
		/* A subdirectory so ca.pem is this issuer's. */
		snprintf(save, sizeof(save), "%s", tmpdir);
		snprintf(tmpdir + strlen(tmpdir), sizeof(tmpdir) - strlen(tmpdir),
			 "/%s", subdir);
		assert_int_equal(mkdir(tmpdir, 0700), 0);
		crt_put("ca.pem", ca.crt);
		crl_put("crl", &der);
		run_expect(text, "openssl crl -inform DER -in crl.der -text "
			   "-noout");
		run_expect(NULL, "openssl crl -in crl.pem -verify -CAfile ca.pem "
			   "-noout 2>&1 | grep -x 'verify OK'");
		run_expect(NULL, "certtool --verify-crl --load-ca-certificate "
			   "ca.pem --infile crl.pem | grep -i verified");
		lb = leaf_make(&ca, bad, sizeof(bad), NULL);
		lg = leaf_make(&ca, good, sizeof(good), NULL);
		crt_put("bad.pem", lb);
		crt_put("good.pem", lg);
		assert_false(openssl_verify("crl.pem", "bad.pem", 0));
		assert_true(openssl_verify("crl.pem", "good.pem", 0));
		gnutls_x509_crt_deinit(lb);
		gnutls_x509_crt_deinit(lg);
		snprintf(tmpdir, sizeof(tmpdir), "%s", save);
	}
	gnutls_free(der.data);
	ca_free(&ca);
	if (!have_openssl || !have_certtool)
		skip();
}

static void
test_rsa(void **state)
{
	(void)state;
	other_issuer(GNUTLS_PK_RSA, GNUTLS_SIGN_RSA_SHA256,
		     "sha256WithRSAEncryption", "rsa");
}

static void
test_ed25519(void **state)
{
	(void)state;
	other_issuer(GNUTLS_PK_EDDSA_ED25519, GNUTLS_SIGN_EDDSA_ED25519,
		     "ED25519", "ed25519");
}

static void
test_ed448(void **state)
{
	(void)state;
	other_issuer(GNUTLS_PK_EDDSA_ED448, GNUTLS_SIGN_EDDSA_ED448, "ED448",
		     "ed448");
}

/* The hash follows the curve: P-384 signs with SHA-384, P-521 with SHA-512. */
static void
test_p384_p521(void **state)
{
	(void)state;
	ecdsa_curve = GNUTLS_ECC_CURVE_SECP384R1;
	other_issuer(GNUTLS_PK_ECDSA, GNUTLS_SIGN_ECDSA_SHA384,
		     "ecdsa-with-SHA384", "p384");
	ecdsa_curve = GNUTLS_ECC_CURVE_SECP521R1;
	other_issuer(GNUTLS_PK_ECDSA, GNUTLS_SIGN_ECDSA_SHA512,
		     "ecdsa-with-SHA512", "p521");
	ecdsa_curve = GNUTLS_ECC_CURVE_SECP256R1;
}

/* Times before 2050 are UTCTime, from 2050 on GeneralizedTime. */
static void
test_times(void **state)
{
	struct pki_crl_entry e[2] = {
		{ s1, sizeof(s1), 2524607999LL, -1, 0, 0 },  /* 2049-12-31T23:59:59Z */
		{ s3, sizeof(s3), 2524608000LL, -1, 0, 0 },  /* 2050-01-01T00:00:00Z */
	};
	static const unsigned char utc[] = "\x17\x0d" "491231235959Z",
				   gen[] = "\x18\x0f" "20500101000000Z",
				   gen1949[] = "\x18\x0f" "19491231235959Z";
	struct pki_crl_params p;
	struct pki_crl *crl;
	struct pki_crl_entry got;
	gnutls_datum_t der;

	(void)state;
	memset(&p, 0, sizeof(p));
	p.this_update = 2524607999LL;
	p.next_update = 2524608000LL;
	p.crl_number = 1;
	build(&p256, &p, e, 2, &der);
	assert_non_null(memmem(der.data, der.size, utc, sizeof(utc) - 1));
	assert_non_null(memmem(der.data, der.size, gen, sizeof(gen) - 1));
	crl = parse_ok(&der);
	assert_int_equal(crl->this_update, 2524607999LL);
	assert_int_equal(crl->next_update, 2524608000LL);
	assert_int_equal(pki_crl_entry_next(crl, &got), 1);
	assert_int_equal(got.revocation_time, 2524607999LL);
	assert_int_equal(pki_crl_entry_next(crl, &got), 1);
	assert_int_equal(got.revocation_time, 2524608000LL);
	/* leading zero octets of the serial are dropped */
	assert_int_equal(got.serial_len, 1);
	assert_int_equal(got.serial[0], 7);
	pki_crl_free(crl);
	if (have_openssl) {
		crl_put("times", &der);
		run_expect((const char *const[]){ "Jan  1 00:00:00 2050 GMT",
						  "Dec 31 23:59:59 2049 GMT",
						  NULL },
			   "openssl crl -inform DER -in times.der -text -noout");
	}
	gnutls_free(der.data);

	/* 1949 is GeneralizedTime too. */
	p.this_update = -631152001LL; /* 1949-12-31T23:59:59Z */
	p.next_update = 2524608000LL;
	build(&p256, &p, NULL, 0, &der);
	assert_non_null(memmem(der.data, der.size, gen1949, sizeof(gen1949) - 1));
	crl = parse_ok(&der);
	assert_int_equal(crl->this_update, -631152001LL);
	pki_crl_free(crl);
	gnutls_free(der.data);
}

/* Decode the builder's output as a whole CertificateList with libtasn1
 * and re-encode its TBSCertList from the test's own entries with the
 * plain RFC 5280 types: the bytes must be identical. */
static void
test_reference_encoding(void **state)
{
	struct pki_crl_entry e[8];
	struct pki_crl_params p;
	gnutls_datum_t der, dn;
	asn1_node defs = NULL, cl = NULL, ref = NULL;
	char msg[ASN1_MAX_ERROR_DESCRIPTION_SIZE], name[128], oid[64], crit[8];
	unsigned char buf[256], *refder;
	int start, end, len, i, count = 0, reflen;
	size_t k;
	static const int64_t t[8] = { 1700000000LL, 2600000000LL, 0, 1LL,
				      2524607999LL, 4102444800LL, -1LL,
				      1234567890LL };
	/* Repeated reasons exercise the builder's cached extension blocks. */
	static const int reason[8] = { -1, -1, -1, 3, 4, 3, 4, 1 };

	(void)state;
	memset(e, 0, sizeof(e));
	for (k = 0; k < 8; k++) {
		e[k].serial = k % 2 ? s20 : s2;
		e[k].serial_len = k % 2 ? sizeof(s20) : sizeof(s2);
		e[k].revocation_time = t[k];
		e[k].reason = reason[k];
		e[k].invalidity_date = k % 3 == 1 ? 1600000000LL + (int64_t)k : 0;
	}
	params_init(&p, UINT64_MAX);
	p.idp_url = IDP_URL;
	p.idp_only_ca_certs = 1;
	p.freshest_url = DELTA_URL;
	build(&p256, &p, e, 8, &der);

	assert_int_equal(asn1_array2tree(pki__pkix_asn1_tab, &defs, msg), 0);
	assert_int_equal(asn1_create_element(defs, "PKIX-SPORK.CertificateList",
					     &cl), 0);
	assert_int_equal(asn1_der_decoding2(&cl, der.data, &(int){ (int)der.size },
					    ASN1_DECODE_FLAG_STRICT_DER, msg), 0);
	assert_int_equal(asn1_der_decoding_startEnd(cl, der.data, (int)der.size,
						    "tbsCertList", &start, &end),
			 0);

	assert_int_equal(asn1_create_element(defs, "PKIX-SPORK.TBSCertList", &ref),
			 0);
	assert_int_equal(asn1_write_value(ref, "version", "1", 0), 0);
	assert_int_equal(asn1_write_value(ref, "signature.algorithm",
					  "1.2.840.10045.4.3.2", 1), 0);
	assert_int_equal(asn1_write_value(ref, "signature.parameters", NULL, 0), 0);
	gnutls_ok(gnutls_x509_crt_get_raw_dn(p256.crt, &dn));
	assert_int_equal(asn1_write_value(ref, "issuer", dn.data, (int)dn.size), 0);
	gnutls_free(dn.data);
	for (i = 0; i < 2; i++) {
		const char *f = i ? "nextUpdate" : "thisUpdate";
		char v[32];

		snprintf(name, sizeof(name), "tbsCertList.%s.utcTime", f);
		len = sizeof(v);
		assert_int_equal(asn1_read_value(cl, name, v, &len), 0);
		v[len] = '\0';
		assert_int_equal(asn1_write_value(ref, f, "utcTime", 1), 0);
		snprintf(name, sizeof(name), "%s.utcTime", f);
		assert_int_equal(asn1_write_value(ref, name, v, len), 0);
	}
	for (k = 0; k < 8; k++) {
		struct tm tm;
		time_t tt = (time_t)e[k].revocation_time;
		char v[32];
		int gen;
		asn1_node x;

		assert_int_equal(asn1_write_value(ref, "revokedCertificates", "NEW",
						  1), 0);
		buf[0] = 0;
		memcpy(buf + 1, e[k].serial, e[k].serial_len);
		assert_int_equal(asn1_write_value(ref,
			"revokedCertificates.?LAST.userCertificate", buf,
			(int)e[k].serial_len + 1), 0);
		gmtime_r(&tt, &tm);
		gen = tm.tm_year + 1900 >= 2050 || tm.tm_year + 1900 < 1950;
		strftime(v, sizeof(v), "%Y%m%d%H%M%SZ", &tm);
		assert_int_equal(asn1_write_value(ref,
			"revokedCertificates.?LAST.revocationDate",
			gen ? "generalTime" : "utcTime", 1), 0);
		snprintf(name, sizeof(name),
			 "revokedCertificates.?LAST.revocationDate.%s",
			 gen ? "generalTime" : "utcTime");
		assert_int_equal(asn1_write_value(ref, name, gen ? v : v + 2,
						  (int)strlen(gen ? v : v + 2)), 0);
		if (e[k].reason < 0 && e[k].invalidity_date == 0) {
			assert_int_equal(asn1_write_value(ref,
				"revokedCertificates.?LAST.crlEntryExtensions",
				NULL, 0), 0);
			continue;
		}
		if (e[k].reason >= 0) {
			unsigned char rv = (unsigned char)e[k].reason;

			assert_int_equal(asn1_create_element(defs,
				"PKIX-SPORK.CRLReason", &x), 0);
			assert_int_equal(asn1_write_value(x, "", &rv, 1), 0);
			len = sizeof(buf);
			assert_int_equal(asn1_der_coding(x, "", buf, &len, msg), 0);
			asn1_delete_structure(&x);
			assert_int_equal(asn1_write_value(ref,
				"revokedCertificates.?LAST.crlEntryExtensions",
				"NEW", 1), 0);
			assert_int_equal(asn1_write_value(ref,
				"revokedCertificates.?LAST.crlEntryExtensions.?LAST.extnID",
				"2.5.29.21", 1), 0);
			assert_int_equal(asn1_write_value(ref,
				"revokedCertificates.?LAST.crlEntryExtensions.?LAST.critical",
				"FALSE", 1), 0);
			assert_int_equal(asn1_write_value(ref,
				"revokedCertificates.?LAST.crlEntryExtensions.?LAST.extnValue",
				buf, len), 0);
		}
		if (e[k].invalidity_date != 0) {
			tt = (time_t)e[k].invalidity_date;
			gmtime_r(&tt, &tm);
			strftime(v, sizeof(v), "%Y%m%d%H%M%SZ", &tm);
			assert_int_equal(asn1_create_element(defs,
				"PKIX-SPORK.InvalidityDate", &x), 0);
			assert_int_equal(asn1_write_value(x, "", v, (int)strlen(v)), 0);
			len = sizeof(buf);
			assert_int_equal(asn1_der_coding(x, "", buf, &len, msg), 0);
			asn1_delete_structure(&x);
			assert_int_equal(asn1_write_value(ref,
				"revokedCertificates.?LAST.crlEntryExtensions",
				"NEW", 1), 0);
			assert_int_equal(asn1_write_value(ref,
				"revokedCertificates.?LAST.crlEntryExtensions.?LAST.extnID",
				"2.5.29.24", 1), 0);
			assert_int_equal(asn1_write_value(ref,
				"revokedCertificates.?LAST.crlEntryExtensions.?LAST.critical",
				"FALSE", 1), 0);
			assert_int_equal(asn1_write_value(ref,
				"revokedCertificates.?LAST.crlEntryExtensions.?LAST.extnValue",
				buf, len), 0);
		}
	}
	/* crlExtensions copied from the output (their values are checked by
	 * openssl in the other tests). */
	assert_int_equal(asn1_number_of_elements(cl, "tbsCertList.crlExtensions",
						 &count), 0);
	assert_int_equal(count, 4); /* AKI, cRLNumber, IDP, freshestCRL */
	for (i = 1; i <= count; i++) {
		unsigned char v[512];
		int vl = sizeof(v), ol = sizeof(oid), cl2 = sizeof(crit);

		snprintf(name, sizeof(name), "tbsCertList.crlExtensions.?%d.extnID", i);
		assert_int_equal(asn1_read_value(cl, name, oid, &ol), 0);
		snprintf(name, sizeof(name), "tbsCertList.crlExtensions.?%d.critical", i);
		assert_int_equal(asn1_read_value(cl, name, crit, &cl2), 0);
		snprintf(name, sizeof(name), "tbsCertList.crlExtensions.?%d.extnValue", i);
		assert_int_equal(asn1_read_value(cl, name, v, &vl), 0);
		assert_int_equal(asn1_write_value(ref, "crlExtensions", "NEW", 1), 0);
		assert_int_equal(asn1_write_value(ref, "crlExtensions.?LAST.extnID",
						  oid, 1), 0);
		assert_int_equal(asn1_write_value(ref, "crlExtensions.?LAST.critical",
						  crit, 1), 0);
		assert_int_equal(asn1_write_value(ref, "crlExtensions.?LAST.extnValue",
						  v, vl), 0);
	}
	reflen = 0;
	assert_int_equal(asn1_der_coding(ref, "", NULL, &reflen, msg),
			 ASN1_MEM_ERROR);
	assert_non_null(refder = malloc((size_t)reflen));
	assert_int_equal(asn1_der_coding(ref, "", refder, &reflen, msg), 0);
	assert_int_equal(reflen, end - start + 1);
	assert_memory_equal(refder, der.data + start, (size_t)reflen);
	free(refder);
	asn1_delete_structure(&ref);
	asn1_delete_structure(&cl);
	asn1_delete_structure(&defs);
	gnutls_free(der.data);
}

static int
fail_next(void *ctx, struct pki_crl_entry *e)
{
	int *left = ctx;

	if ((*left)-- > 0) {
		e->serial = s1;
		e->serial_len = sizeof(s1);
		e->revocation_time = now;
		return 1;
	}
	return -PKI_E_DB;
}

/* What the builder refuses, with a message. */
static void
test_build_refuses(void **state)
{
	unsigned char big[PKI_CRL_SERIAL_MAX + 1];
	struct pki_crl_entry e = { s1, sizeof(s1), 0, -1, 0, 0 };
	struct pki_crl_params p;
	struct pki_error err = { 0 };
	struct list l;
	struct ca other;
	gnutls_datum_t der = { NULL, 0 };
	int left = 3;

	(void)state;
	e.revocation_time = now;
#define REFUSE(code, params, entry) do { \
		l.e = (entry); l.n = 1; l.i = 0; \
		err.msg[0] = '\0'; \
		assert_int_equal(pki_crl_build((params), list_next, &l, p256.crt, \
					       p256.key, &der, &err), (code)); \
		assert_null(der.data); \
		assert_true(strlen(err.msg) > 10); \
	} while (0)

	params_init(&p, 1);
	p.next_update = p.this_update;
	REFUSE(PKI_E_INVALID, &p, &e);
	params_init(&p, 1);
	e.reason = 7;
	REFUSE(PKI_E_INVALID, &p, &e);
	e.reason = 11;
	REFUSE(PKI_E_INVALID, &p, &e);
	e.reason = PKI_CRL_REASON_REMOVE_FROM_CRL;
	REFUSE(PKI_E_INVALID, &p, &e);
	e.reason = -1;
	e.remove_from_crl = 1;
	REFUSE(PKI_E_INVALID, &p, &e);   /* not a delta */
	p.is_delta = 1;
	e.reason = 1;
	REFUSE(PKI_E_INVALID, &p, &e);   /* removeFromCRL with another reason */
	p.base_crl_number = 1;           /* base must be older than the delta */
	e.reason = -1;
	REFUSE(PKI_E_INVALID, &p, &e);
	params_init(&p, 1);
	e.remove_from_crl = 0;
	memset(big, 1, sizeof(big));
	e.serial = big;
	e.serial_len = sizeof(big);
	REFUSE(PKI_E_INVALID, &p, &e);
	e.serial_len = 0;
	REFUSE(PKI_E_INVALID, &p, &e);
	e.serial = s1;
	e.serial_len = sizeof(s1);
	e.revocation_time = 253402300800LL; /* year 10000 */
	REFUSE(PKI_E_INVALID, &p, &e);
	e.revocation_time = now;
	p.idp_url = "http://bad url/";
	REFUSE(PKI_E_INVALID, &p, &e);
	p.idp_url = "no-scheme";
	REFUSE(PKI_E_INVALID, &p, &e);
	p.idp_url = IDP_URL;
	p.idp_only_ca_certs = p.idp_only_user_certs = 1;
	REFUSE(PKI_E_INVALID, &p, &e);
	params_init(&p, 1);
	p.idp_only_ca_certs = 1;          /* scope without an IDP URL */
	REFUSE(PKI_E_INVALID, &p, &e);

	/* A key that is not the issuer's. */
	params_init(&p, 1);
	key_make(GNUTLS_PK_ECDSA, &other.key);
	l.e = &e;
	l.n = 1;
	l.i = 0;
	assert_int_equal(pki_crl_build(&p, list_next, &l, p256.crt, other.key,
				       &der, &err), PKI_E_INVALID);
	assert_non_null(strstr(err.msg, "issuer"));
	gnutls_privkey_deinit(other.key);

	/* The callback's error code comes back. */
	assert_int_equal(pki_crl_build(&p, fail_next, &left, p256.crt, p256.key,
				       &der, &err), PKI_E_DB);
	assert_null(der.data);
	assert_non_null(strstr(err.msg, "4"));
#undef REFUSE
}

/* Craft a CRL with libtasn1 directly, to feed the parser what the
 * builder never writes.  mode selects the defect. */
enum craft {
	CRAFT_OK, CRAFT_DUP_EXT, CRAFT_UNKNOWN_CRITICAL, CRAFT_REMOVE_IN_FULL,
	CRAFT_REASON_7, CRAFT_NEGATIVE_SERIAL, CRAFT_VERSION_3,
	CRAFT_V1_WITH_EXTS, CRAFT_BAD_TIME, CRAFT_ENTRY_UNKNOWN_CRITICAL,
	CRAFT_SIGALG_MISMATCH, CRAFT_LONG_NUMBER, CRAFT_URI_CONTROL,
	CRAFT__MAX
};

static void
craft(enum craft mode, gnutls_datum_t *out)
{
	asn1_node defs = NULL, n = NULL, x = NULL;
	char msg[ASN1_MAX_ERROR_DESCRIPTION_SIZE];
	unsigned char v[64], serial[3] = { 0x00, 0x10, 0x01 };
	int len;
	const char *pre = "tbsCertList.";
	char name[128];
	gnutls_datum_t dn;

	assert_int_equal(asn1_array2tree(pki__pkix_asn1_tab, &defs, msg), 0);
	assert_int_equal(asn1_create_element(defs, "PKIX-SPORK.CertificateList",
					     &n), 0);
#define W(f, val, l) do { snprintf(name, sizeof(name), "%s%s", pre, f); \
		assert_int_equal(asn1_write_value(n, name, val, l), 0); } while (0)
	if (mode == CRAFT_V1_WITH_EXTS)
		W("version", NULL, 0);
	else
		W("version", mode == CRAFT_VERSION_3 ? "2" : "1", 0);
	W("signature.algorithm", "1.2.840.10045.4.3.2", 1);
	W("signature.parameters", NULL, 0);
	gnutls_ok(gnutls_x509_crt_get_raw_dn(p256.crt, &dn));
	W("issuer", dn.data, (int)dn.size);
	gnutls_free(dn.data);
	W("thisUpdate", "utcTime", 1);
	W("thisUpdate.utcTime", mode == CRAFT_BAD_TIME ? "2601010000Z" :
	  "260101000000Z", mode == CRAFT_BAD_TIME ? 11 : 13);
	W("nextUpdate", NULL, 0);
	W("revokedCertificates", "NEW", 1);
	if (mode == CRAFT_NEGATIVE_SERIAL)
		serial[0] = 0xff;
	W("revokedCertificates.?LAST.userCertificate", serial, 3);
	W("revokedCertificates.?LAST.revocationDate", "utcTime", 1);
	W("revokedCertificates.?LAST.revocationDate.utcTime", "250101000000Z", 13);
	if (mode == CRAFT_REMOVE_IN_FULL || mode == CRAFT_REASON_7 ||
	    mode == CRAFT_ENTRY_UNKNOWN_CRITICAL) {
		unsigned char r = mode == CRAFT_REASON_7 ? 7 : 8;

		W("revokedCertificates.?LAST.crlEntryExtensions", "NEW", 1);
		W("revokedCertificates.?LAST.crlEntryExtensions.?LAST.extnID",
		  mode == CRAFT_ENTRY_UNKNOWN_CRITICAL ? "2.5.29.29" : "2.5.29.21", 1);
		W("revokedCertificates.?LAST.crlEntryExtensions.?LAST.critical",
		  mode == CRAFT_ENTRY_UNKNOWN_CRITICAL ? "TRUE" : "FALSE", 1);
		v[0] = 0x0a;
		v[1] = 1;
		v[2] = r;
		W("revokedCertificates.?LAST.crlEntryExtensions.?LAST.extnValue", v, 3);
	} else
		W("revokedCertificates.?LAST.crlEntryExtensions", NULL, 0);

	if (mode != CRAFT_OK) {
		unsigned char num[] = { 0x02, 0x01, 0x05 };
		unsigned char longnum[23] = { 0x02, 21, 0x01 };

		W("crlExtensions", "NEW", 1);
		W("crlExtensions.?LAST.extnID", "2.5.29.20", 1);
		W("crlExtensions.?LAST.critical", "FALSE", 1);
		if (mode == CRAFT_LONG_NUMBER)
			W("crlExtensions.?LAST.extnValue", longnum, sizeof(longnum));
		else
			W("crlExtensions.?LAST.extnValue", num, sizeof(num));
		if (mode == CRAFT_DUP_EXT || mode == CRAFT_UNKNOWN_CRITICAL) {
			W("crlExtensions", "NEW", 1);
			W("crlExtensions.?LAST.extnID", mode == CRAFT_DUP_EXT ?
			  "2.5.29.20" : "1.2.3.4", 1);
			W("crlExtensions.?LAST.critical", mode == CRAFT_DUP_EXT ?
			  "FALSE" : "TRUE", 1);
			W("crlExtensions.?LAST.extnValue", num, sizeof(num));
		}
		if (mode == CRAFT_URI_CONTROL) {
			/* IDP fullName URI "http://\x1b[2J" */
			static const unsigned char idp[] = {
				0x30, 0x11, 0xa0, 0x0f, 0xa0, 0x0d, 0x86, 0x0b,
				'h', 't', 't', 'p', ':', '/', '/', 0x1b, '[',
				'2', 'J' };

			W("crlExtensions", "NEW", 1);
			W("crlExtensions.?LAST.extnID", "2.5.29.28", 1);
			W("crlExtensions.?LAST.critical", "TRUE", 1);
			W("crlExtensions.?LAST.extnValue", idp, sizeof(idp));
		}
	} else
		W("crlExtensions", NULL, 0);
	pre = "";
	W("signatureAlgorithm.algorithm", mode == CRAFT_SIGALG_MISMATCH ?
	  "1.2.840.10045.4.3.3" : "1.2.840.10045.4.3.2", 1);
	W("signatureAlgorithm.parameters", NULL, 0);
	W("signature", "\x30\x00", 16);
#undef W
	len = 0;
	assert_int_equal(asn1_der_coding(n, "", NULL, &len, msg), ASN1_MEM_ERROR);
	assert_non_null(out->data = gnutls_malloc((size_t)len));
	assert_int_equal(asn1_der_coding(n, "", out->data, &len, msg), 0);
	out->size = (unsigned)len;
	asn1_delete_structure(&x);
	asn1_delete_structure(&n);
	asn1_delete_structure(&defs);
}

/* pki_crl_parse_take: the buffer is taken (DER) or decoded and freed
 * (PEM), and emptied also when the parse fails. */
static void
test_parse_take(void **state)
{
	struct pki_crl *crl = NULL;
	struct pki_error err;
	gnutls_datum_t d, pem = { NULL, 0 };
	unsigned char *was;

	(void)state;
	craft(CRAFT_OK, &d);
	assert_int_equal(gnutls_pem_base64_encode2("X509 CRL", &d, &pem), 0);
	was = d.data;
	assert_int_equal(pki_crl_parse_take(&d, &crl, &err), PKI_OK);
	assert_null(d.data);
	assert_int_equal(d.size, 0);
	assert_ptr_equal(crl->der.data, was);        /* not copied */
	assert_int_equal(crl->entry_count, 1);
	pki_crl_free(crl);
	assert_int_equal(pki_crl_parse_take(&pem, &crl, &err), PKI_OK);
	assert_null(pem.data);
	assert_int_equal(crl->entry_count, 1);
	pki_crl_free(crl);
	craft(CRAFT_NEGATIVE_SERIAL, &d);
	assert_int_equal(pki_crl_parse_take(&d, &crl, &err), PKI_E_PARSE);
	assert_null(d.data);
	assert_null(crl);
}

static void
test_parse_crafted(void **state)
{
	static const struct { enum craft mode; int rc; } cases[] = {
		{ CRAFT_OK, PKI_OK },
		{ CRAFT_DUP_EXT, PKI_E_PARSE },
		{ CRAFT_UNKNOWN_CRITICAL, PKI_E_UNSUPPORTED },
		{ CRAFT_REMOVE_IN_FULL, PKI_E_PARSE },
		{ CRAFT_REASON_7, PKI_E_PARSE },
		{ CRAFT_NEGATIVE_SERIAL, PKI_E_PARSE },
		{ CRAFT_VERSION_3, PKI_E_PARSE },
		{ CRAFT_V1_WITH_EXTS, PKI_E_PARSE },
		{ CRAFT_BAD_TIME, PKI_E_PARSE },
		{ CRAFT_ENTRY_UNKNOWN_CRITICAL, PKI_E_UNSUPPORTED },
		{ CRAFT_SIGALG_MISMATCH, PKI_E_PARSE },
		{ CRAFT_LONG_NUMBER, PKI_E_PARSE },
		{ CRAFT_URI_CONTROL, PKI_E_PARSE },
	};
	struct pki_crl *crl;
	struct pki_error err;
	gnutls_datum_t d;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		craft(cases[i].mode, &d);
		memset(&err, 0, sizeof(err));
		crl = NULL;
		if (pki_crl_parse(d.data, d.size, &crl, &err) != cases[i].rc)
			fail_msg("crafted case %zu: expected %d, got '%s'", i,
				 cases[i].rc, err.msg);
		if (cases[i].rc == PKI_OK) {
			assert_non_null(crl);
			assert_int_equal(crl->entry_count, 1);
			assert_int_equal(crl->next_update, 0);
		} else {
			assert_null(crl);
			assert_true(strlen(err.msg) > 5);
		}
		pki_crl_free(crl);
		gnutls_free(d.data);
	}
}

/* Every truncation, every single-byte change and some classic DER
 * violations of a real CRL: rejected cleanly or parsed, never a crash. */
static void
test_parse_hostile(void **state)
{
	struct pki_crl_entry e[2] = {
		{ s1, sizeof(s1), 0, 1, 0, 0 },
		{ s2, sizeof(s2), 0, -1, 0, 0 },
	};
	struct pki_crl_params p;
	struct pki_crl *crl;
	struct pki_crl_entry got;
	struct pki_error err;
	gnutls_datum_t der, pem;
	unsigned char *m;
	size_t i, j;
	int rc;

	(void)state;
	e[0].revocation_time = e[1].revocation_time = now;
	e[0].invalidity_date = now - 100;
	params_init(&p, 2);
	p.idp_url = IDP_URL;
	build(&p256, &p, e, 2, &der);
	assert_non_null(m = malloc(der.size + 8));

	for (i = 0; i < der.size; i++) {
		crl = NULL;
		assert_int_not_equal(pki_crl_parse(der.data, i, &crl, &err), PKI_OK);
		assert_null(crl);
	}
	for (i = 0; i < der.size; i++) {
		static const unsigned char flips[] = { 0x01, 0x80, 0xff };

		for (j = 0; j < sizeof(flips); j++) {
			memcpy(m, der.data, der.size);
			m[i] ^= flips[j];
			crl = NULL;
			rc = pki_crl_parse(m, der.size, &crl, &err);
			if (rc == PKI_OK) {
				while (pki_crl_entry_next(crl, &got) == 1)
					;
				pki_crl_free(crl);
			} else
				assert_null(crl);
		}
	}
	/* trailing garbage */
	memcpy(m, der.data, der.size);
	m[der.size] = 0;
	assert_int_equal(pki_crl_parse(m, der.size + 1, &crl, &err), PKI_E_PARSE);
	/* indefinite length on the outer SEQUENCE */
	memcpy(m, der.data, der.size);
	assert_true(m[1] & 0x80);
	m[1] = 0x80;
	assert_int_equal(pki_crl_parse(m, der.size, &crl, &err), PKI_E_PARSE);
	/* a non-minimal length: 0x82 00 NN where 0x81 NN will do is not DER */
	{
		gnutls_datum_t empty;
		unsigned char *q;

		params_init(&p, 1);
		build(&p256, &p, NULL, 0, &empty);
		assert_int_equal(empty.data[1], 0x81);
		assert_non_null(q = malloc(empty.size + 1));
		q[0] = 0x30;
		q[1] = 0x82;
		q[2] = 0x00;
		memcpy(q + 3, empty.data + 2, empty.size - 2);
		assert_int_equal(pki_crl_parse(q, empty.size + 1, &crl, &err),
				 PKI_E_PARSE);
		assert_int_equal(pki_crl_parse(empty.data, empty.size, &crl, &err),
				 PKI_OK);
		pki_crl_free(crl);
		free(q);
		gnutls_free(empty.data);
	}
	/* not a CRL at all, empty input, a certificate */
	assert_int_equal(pki_crl_parse((const unsigned char *)"", 0, &crl, &err),
			 PKI_E_PARSE);
	assert_int_equal(pki_crl_parse((const unsigned char *)"hello", 5, &crl,
				       &err), PKI_E_PARSE);
	{
		gnutls_datum_t c;

		gnutls_ok(gnutls_x509_crt_export2(p256.crt, GNUTLS_X509_FMT_DER, &c));
		assert_int_not_equal(pki_crl_parse(c.data, c.size, &crl, &err),
				     PKI_OK);
		gnutls_free(c.data);
	}
	/* PEM in, with the wrong label too */
	gnutls_ok(gnutls_pem_base64_encode2("X509 CRL", &der, &pem));
	assert_int_equal(pki_crl_parse(pem.data, pem.size, &crl, &err), PKI_OK);
	assert_int_equal(crl->entry_count, 2);
	assert_int_equal(pki_crl_verify(crl, p256.crt, &err), PKI_OK);
	pki_crl_free(crl);
	gnutls_free(pem.data);
	gnutls_ok(gnutls_pem_base64_encode2("CERTIFICATE", &der, &pem));
	assert_int_equal(pki_crl_parse(pem.data, pem.size, &crl, &err),
			 PKI_E_PARSE);
	gnutls_free(pem.data);
	/* a changed signature byte: parses, does not verify */
	memcpy(m, der.data, der.size);
	m[der.size - 3] ^= 0x01;
	if (pki_crl_parse(m, der.size, &crl, &err) == PKI_OK) {
		assert_int_equal(pki_crl_verify(crl, p256.crt, &err), PKI_E_CRYPTO);
		pki_crl_free(crl);
	}
	free(m);
	gnutls_free(der.data);
}

static void
test_reason_names(void **state)
{
	(void)state;
	assert_string_equal(pki_crl_reason_name(1), "keyCompromise");
	assert_null(pki_crl_reason_name(7));
	assert_null(pki_crl_reason_name(11));
	assert_null(pki_crl_reason_name(-1));
	assert_int_equal(pki_crl_reason_parse("keyCompromise"), 1);
	assert_int_equal(pki_crl_reason_parse("key-compromise"), 1);
	assert_int_equal(pki_crl_reason_parse("CESSATION_OF_OPERATION"), 5);
	assert_int_equal(pki_crl_reason_parse("aACompromise"), 10);
	assert_int_equal(pki_crl_reason_parse("keyCompromised"), -1);
	assert_int_equal(pki_crl_reason_parse(""), -1);
}

/* A larger CRL round-trips through the parser and openssl. */
static void
test_many(void **state)
{
	enum { N = 20000 };
	struct pki_crl_entry *e;
	unsigned char (*ser)[16];
	struct pki_crl_params p;
	struct pki_crl *crl;
	struct pki_crl_entry got;
	gnutls_datum_t der;
	size_t i;
	char *out;
	int st;

	(void)state;
	assert_non_null(e = calloc(N, sizeof(*e)));
	assert_non_null(ser = calloc(N, sizeof(*ser)));
	for (i = 0; i < N; i++) {
		ser[i][0] = 0x5a;
		ser[i][12] = (unsigned char)(i >> 16);
		ser[i][13] = (unsigned char)(i >> 8);
		ser[i][14] = (unsigned char)i;
		ser[i][15] = 0x99;
		e[i].serial = ser[i];
		e[i].serial_len = 16;
		e[i].revocation_time = now - (int64_t)i;
		e[i].reason = (int)(i % 7);
	}
	params_init(&p, 100);
	build(&p256, &p, e, N, &der);
	crl = parse_ok(&der);
	assert_int_equal(crl->entry_count, N);
	for (i = 0; pki_crl_entry_next(crl, &got) == 1; i++) {
		assert_memory_equal(got.serial, ser[i], 16);
		assert_int_equal(got.reason, e[i].reason == 0 ? -1 :
				 e[i].reason);
	}
	assert_int_equal(i, N);
	pki_crl_free(crl);
	if (have_openssl) {
		crl_put("many", &der);
		out = run(&st, "openssl crl -inform DER -in many.der -text -noout "
			  "| grep -c 'Serial Number:'");
		assert_int_equal(st, 0);
		assert_int_equal(atoi(out), N);
		free(out);
	}
	gnutls_free(der.data);
	free(ser);
	free(e);
}

/* ------------------------------------------------------------ setup */

static int
setup(void **state)
{
	int st;
	char *out;

	(void)state;
	now = (int64_t)time(NULL);
	fixture_dir_make(tmpdir, sizeof(tmpdir), "crl");
	ca_make(&p256, GNUTLS_PK_ECDSA, "CN=Test CA,O=spork");
	crt_put("ca.pem", p256.crt);
	out = run(&st, "openssl version");
	have_openssl = st == 0;
	free(out);
	out = run(&st, "certtool --version");
	have_certtool = st == 0;
	free(out);
	if (!have_openssl || !have_certtool)
		print_message("openssl or certtool missing: interop checks skip\n");
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	ca_free(&p256);
	return fixture_dir_remove(tmpdir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reason_names),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_reasons),
		cmocka_unit_test(test_times),
		cmocka_unit_test(test_reference_encoding),
		cmocka_unit_test(test_verify_leaf),
		cmocka_unit_test(test_idp),
		cmocka_unit_test(test_delta),
		cmocka_unit_test(test_rsa),
		cmocka_unit_test(test_ed25519),
		cmocka_unit_test(test_ed448),
		cmocka_unit_test(test_p384_p521),
		cmocka_unit_test(test_build_refuses),
		cmocka_unit_test(test_parse_crafted),
		cmocka_unit_test(test_parse_take),
		cmocka_unit_test(test_parse_hostile),
		cmocka_unit_test(test_many),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
