/*
 * ocsp-respond: OCSP requests made with GnuTLS's request API (what
 * ocsptool sends) answered from a state directory opened the way a
 * handler opens it (online keys only): good, revoked and unknown
 * certificates in one signed response that GnuTLS verifies against the
 * issuing CA; malformedRequest, unauthorized for an issuer the store does
 * not hold or for several issuers, and internalError (not a passphrase
 * prompt) for a CA whose key is offline.  Then spork ocsp's parts: the
 * freshness rule of pre-signed responses, the minimal request, pre-signed
 * answers served and passed over (nonce, nextUpdate, a later revocation),
 * and a delegated signer answering for the root until it expires.
 */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <gnutls/gnutls.h>
#include <gnutls/ocsp.h>
#include <gnutls/x509.h>

#include <spork/enroll.h>
#include <spork/hierarchy.h>
#include <spork/ocsp.h>
#include <spork/state.h>
#include <spork/store.h>
#include "fixture.h"
#include "ocsp-int.h"
#include "store-write.h"

#define NOW 1893456000LL                /* 2030-01-01 */

static const char hier_toml[] =
	"[root]\n"
	"common_name = \"OCSP Test Root\"\n"
	"algorithm = \"ecdsa-p256\"\n"
	"validity_years = 10\n"
	"key = \"offline\"\n"
	"[[issuing_cas]]\n"
	"common_name = \"OCSP Test Issuing\"\n"
	"algorithm = \"ecdsa-p384\"\n"
	"validity_years = 2\n"
	"key = \"online\"\n"
	"ocsp_urls = [\"http://pki.test.example/ocsp\"]\n";

static const char policy_toml[] =
	"[[allow]]\n"
	"pattern = \"*.test.example\"\n";

struct fx {
	char dir[FIXTURE_DIR_MAX];
	gnutls_x509_crt_t root, issuing, good, revoked;
};

static gnutls_x509_crt_t
ca_cert(struct pki_state *s, const char *name)
{
	struct pki_ca_record r;
	struct pki_error err = { 0 };
	gnutls_x509_crt_t c;

	memset(&r, 0, sizeof(r));
	if (pki_store_ca_get(pki_state_store(s), name, &r, &err) != PKI_OK)
		fail_msg("ca_get %s: %s", name, err.msg);
	c = fixture_crt_of(&r.cert_der);
	pki_ca_record_clear(&r);
	return c;
}

/* A 2-tier hierarchy, two leaves, one of them revoked (keyCompromise). */
static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct pki_error err = { 0 };
	struct pki_hier_plan *plan = NULL;
	struct pki_hier_result *res = NULL;
	struct pki_diags d = { 0, NULL, 0 };
	struct pki_state *s = NULL;
	struct pki_enroll e;
	struct pki_cert_record rec;
	char serial[64];
	size_t n = sizeof(serial);
	unsigned char raw[32];
	size_t i;

	assert_non_null(f);
	fixture_dir_make(f->dir, sizeof(f->dir), "ocsp-respond");
	if (pki_hier_load(fixture_file_write(f->dir, "h.toml", hier_toml,
					     strlen(hier_toml)), 0, &plan, &d,
			  &err) != PKI_OK)
		fail_msg("hier_load: %s", err.msg);
	fixture_state_open(f->dir, PKI_STATE_CLI, fixture_passfn, NULL, NOW - 86400,
			   &s);
	if (pki_hier_build(plan, s, 0, &res, &err) != PKI_OK)
		fail_msg("build: %s", err.msg);
	pki_hier_results_free(res, plan->n);
	pki_hier_free(plan);
	fixture_file_write(f->dir, "domain-policy.toml", policy_toml,
			   strlen(policy_toml));
	memset(&e, 0, sizeof(e));
	e.state = s;
	e.source = "test";
	f->good = fixture_issue_tls(&e, "good.test.example");
	f->revoked = fixture_issue_tls(&e, "revoked.test.example");
	assert_int_equal(gnutls_x509_crt_get_serial(f->revoked, raw, &n), 0);
	for (i = 0; i < n; i++)
		snprintf(serial + 2 * i, 3, "%02x", raw[i]);
	memset(&rec, 0, sizeof(rec));
	if (pki_enroll_revoke(&e, serial, NULL, 1, 0, &rec, &err) != PKI_OK)
		fail_msg("revoke %s: %s", serial, err.msg);
	pki_cert_record_clear(&rec);
	f->root = ca_cert(s, "OCSP Test Root");
	f->issuing = ca_cert(s, "OCSP Test Issuing");
	pki_state_close(s);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;
	int rc;

	gnutls_x509_crt_deinit(f->root);
	gnutls_x509_crt_deinit(f->issuing);
	gnutls_x509_crt_deinit(f->good);
	gnutls_x509_crt_deinit(f->revoked);
	rc = fixture_dir_remove(f->dir);
	free(f);
	return rc;
}

/* A request for certs[0..n) issued by issuers[i], with a nonce. */
static gnutls_datum_t
request(gnutls_x509_crt_t const *issuers, gnutls_x509_crt_t const *certs,
	size_t n)
{
	gnutls_ocsp_req_t req;
	gnutls_datum_t nonce = { (unsigned char *)"0123456789abcdef", 16 };
	gnutls_datum_t out = { NULL, 0 };
	size_t i;

	assert_int_equal(gnutls_ocsp_req_init(&req), 0);
	for (i = 0; i < n; i++)
		assert_int_equal(gnutls_ocsp_req_add_cert(req, GNUTLS_DIG_SHA1,
							  issuers[i], certs[i]),
				 0);
	assert_int_equal(gnutls_ocsp_req_set_nonce(req, 0, &nonce), 0);
	assert_int_equal(gnutls_ocsp_req_export(req, &out), 0);
	gnutls_ocsp_req_deinit(req);
	return out;
}

/* A request for f->good and for a serial the issuing CA never issued,
 * with the CA's name and key hashes as GnuTLS computes them. */
static gnutls_datum_t
request_unknown(struct fx *f)
{
	gnutls_ocsp_req_t req;
	gnutls_digest_algorithm_t dig;
	gnutls_datum_t nh, kh, sn, out = { NULL, 0 };
	gnutls_datum_t never = { (unsigned char *)"\x01\x02\x03\x04", 4 };

	out = request(&f->issuing, &f->good, 1);
	assert_int_equal(gnutls_ocsp_req_init(&req), 0);
	assert_int_equal(gnutls_ocsp_req_import(req, &out), 0);
	gnutls_free(out.data);
	assert_int_equal(gnutls_ocsp_req_get_cert_id(req, 0, &dig, &nh, &kh,
						     &sn), 0);
	assert_int_equal(gnutls_ocsp_req_add_cert_id(req, dig, &nh, &kh,
						     &never), 0);
	assert_int_equal(gnutls_ocsp_req_export(req, &out), 0);
	gnutls_free(nh.data);
	gnutls_free(kh.data);
	gnutls_free(sn.data);
	gnutls_ocsp_req_deinit(req);
	return out;
}

/* Answer der from the state directory opened for online use. */
static int
respond(struct fx *f, gnutls_datum_t der, gnutls_datum_t *resp,
	struct pki_ocsp_answer *a, struct pki_error *err)
{
	struct pki_state *s = NULL;
	struct pki_ocsp_respond_opts o = { 600 };
	int rc;

	fixture_state_open(f->dir, PKI_STATE_ONLINE, NULL, NULL, NOW, &s);
	rc = pki_ocsp_respond(s, der.data, der.size, &o, resp, a, err);
	pki_state_close(s);
	gnutls_free(der.data);
	return rc;
}

static int
resp_status(const gnutls_datum_t *der)
{
	gnutls_ocsp_resp_t r;
	int st;

	assert_int_equal(gnutls_ocsp_resp_init(&r), 0);
	assert_int_equal(gnutls_ocsp_resp_import(r, der), 0);
	st = gnutls_ocsp_resp_get_status(r);
	gnutls_ocsp_resp_deinit(r);
	return st;
}

static void
test_good_revoked_unknown(void **state)
{
	struct fx *f = *state;
	gnutls_x509_crt_t iss[2] = { f->issuing, f->issuing };
	gnutls_x509_crt_t certs[2] = { f->good, f->revoked };
	gnutls_datum_t resp = { NULL, 0 }, nonce = { NULL, 0 };
	gnutls_datum_t kh = { NULL, 0 }, rid = { NULL, 0 };
	struct pki_ocsp_answer a;
	struct pki_error err = { 0 };
	gnutls_ocsp_resp_t r;
	unsigned verify = 99, cs, reason;
	time_t tu, nu, rt;

	if (respond(f, request(iss, certs, 2), &resp, &a, &err) != PKI_OK)
		fail_msg("respond: %s", err.msg);
	assert_int_equal(a.response_status, 0);
	assert_int_equal(a.n, 2);
	assert_int_equal(a.status[0], PKI_OCSP_GOOD);
	assert_int_equal(a.status[1], PKI_OCSP_REVOKED);

	assert_int_equal(gnutls_ocsp_resp_init(&r), 0);
	assert_int_equal(gnutls_ocsp_resp_import(r, &resp), 0);
	assert_int_equal(gnutls_ocsp_resp_get_status(r),
			 GNUTLS_OCSP_RESP_SUCCESSFUL);
	assert_int_equal(gnutls_ocsp_resp_verify_direct(r, f->issuing, &verify,
							0), 0);
	assert_int_equal(verify, 0);
	assert_int_equal(gnutls_ocsp_resp_check_crt(r, 0, f->good), 0);
	assert_int_equal(gnutls_ocsp_resp_get_single(r, 0, NULL, NULL, &kh,
						     NULL, &cs, &tu, &nu, &rt,
						     &reason), 0);
	/* byKey is the SHA-1 of the CA's subjectPublicKey, as the CertID's
	 * issuerKeyHash (what OpenSSL looks the signer up by) */
	assert_int_equal(gnutls_ocsp_resp_get_responder_raw_id(r,
			 GNUTLS_OCSP_RESP_ID_KEY, &rid), 0);
	assert_int_equal(rid.size, 20);
	assert_int_equal(kh.size, 20);
	assert_memory_equal(rid.data, kh.data, 20);
	gnutls_free(rid.data);
	gnutls_free(kh.data);
	assert_int_equal(cs, GNUTLS_OCSP_CERT_GOOD);
	assert_int_equal((int64_t)tu, NOW);
	assert_int_equal((int64_t)nu, NOW + 600);
	assert_int_equal(gnutls_ocsp_resp_check_crt(r, 1, f->revoked), 0);
	assert_int_equal(gnutls_ocsp_resp_get_single(r, 1, NULL, NULL, NULL,
						     NULL, &cs, &tu, &nu, &rt,
						     &reason), 0);
	assert_int_equal(cs, GNUTLS_OCSP_CERT_REVOKED);
	assert_int_equal(reason, GNUTLS_X509_CRLREASON_KEYCOMPROMISE);
	assert_true((int64_t)rt >= NOW - 86400 && (int64_t)rt < NOW);
	/* signed by the issuing CA, not by the root */
	verify = 0;
	assert_int_equal(gnutls_ocsp_resp_verify_direct(r, f->root, &verify,
							0), 0);
	assert_int_not_equal(verify, 0);
	assert_int_equal(gnutls_ocsp_resp_get_nonce(r, NULL, &nonce), 0);
	assert_int_equal(nonce.size, 16);
	assert_memory_equal(nonce.data, "0123456789abcdef", 16);
	gnutls_free(nonce.data);
	gnutls_ocsp_resp_deinit(r);
	gnutls_free(resp.data);

	/* A serial the CA never issued: unknown, in a signed response. */
	if (respond(f, request_unknown(f), &resp, &a, &err) != PKI_OK)
		fail_msg("respond: %s", err.msg);
	assert_int_equal(a.n, 2);
	assert_int_equal(a.status[0], PKI_OCSP_GOOD);
	assert_int_equal(a.status[1], PKI_OCSP_UNKNOWN);
	assert_int_equal(gnutls_ocsp_resp_init(&r), 0);
	assert_int_equal(gnutls_ocsp_resp_import(r, &resp), 0);
	verify = 99;
	assert_int_equal(gnutls_ocsp_resp_verify_direct(r, f->issuing, &verify,
							0), 0);
	assert_int_equal(verify, 0);
	assert_int_equal(gnutls_ocsp_resp_get_single(r, 1, NULL, NULL, NULL,
						     NULL, &cs, &tu, &nu, &rt,
						     &reason), 0);
	assert_int_equal(cs, GNUTLS_OCSP_CERT_UNKNOWN);
	gnutls_ocsp_resp_deinit(r);
	gnutls_free(resp.data);
}

static void
test_refusals(void **state)
{
	struct fx *f = *state;
	gnutls_x509_crt_t iss2[2] = { f->issuing, f->root };
	gnutls_x509_crt_t certs2[2] = { f->good, f->issuing };
	gnutls_x509_crt_t stranger = f->good;     /* a leaf as "issuer" */
	gnutls_datum_t resp = { NULL, 0 }, junk;
	struct pki_ocsp_answer a;
	struct pki_error err = { 0 };

	/* garbage: malformedRequest */
	junk.data = gnutls_malloc(4);
	memcpy(junk.data, "\x30\x02\x05\x00", 4);
	junk.size = 4;
	assert_int_equal(respond(f, junk, &resp, &a, &err), PKI_OK);
	assert_int_equal(a.response_status, 1);
	assert_int_equal(resp_status(&resp), GNUTLS_OCSP_RESP_MALFORMEDREQUEST);
	assert_true(a.why[0] != '\0');
	gnutls_free(resp.data);

	/* an issuer the store does not hold: unauthorized */
	assert_int_equal(respond(f, request(&stranger, &f->good, 1), &resp, &a,
				 &err), PKI_OK);
	assert_int_equal(a.response_status, 6);
	assert_int_equal(resp_status(&resp), GNUTLS_OCSP_RESP_UNAUTHORIZED);
	gnutls_free(resp.data);

	/* two issuers in one request: unauthorized */
	assert_int_equal(respond(f, request(iss2, certs2, 2), &resp, &a, &err),
			 PKI_OK);
	assert_int_equal(a.response_status, 6);
	assert_non_null(strstr(a.why, "several"));
	gnutls_free(resp.data);

	/* The root's key is offline: a handler cannot sign with it and says
	 * internalError, never asking for a passphrase. */
	assert_int_equal(respond(f, request(&f->root, &f->issuing, 1), &resp,
				 &a, &err), PKI_OK);
	assert_int_equal(a.response_status, 2);
	assert_int_equal(resp_status(&resp), GNUTLS_OCSP_RESP_INTERNALERROR);
	assert_non_null(strstr(a.why, "OCSP Test Root"));
	gnutls_free(resp.data);
}

/* The freshness rule of pre-signed responses, case by case. */
static void
test_presigned_fresh(void **state)
{
	struct pki_store_ocsp_response r;
	struct pki_ocsp_single cur;

	(void)state;
	memset(&r, 0, sizeof(r));
	memset(&cur, 0, sizeof(cur));
	r.status = PKI_OCSP_GOOD;
	r.this_update = 1000;
	r.next_update = 2000;
	cur.status = PKI_OCSP_GOOD;
	assert_true(pki__ocsp_presigned_fresh(&r, &cur, 1000));
	assert_true(pki__ocsp_presigned_fresh(&r, &cur, 1999));
	assert_false(pki__ocsp_presigned_fresh(&r, &cur, 999));   /* early */
	assert_false(pki__ocsp_presigned_fresh(&r, &cur, 2000));  /* expired */
	/* revoked after signing: the stored "good" is stale */
	cur.status = PKI_OCSP_REVOKED;
	cur.revocation_time = 1500;
	cur.reason = 1;
	assert_false(pki__ocsp_presigned_fresh(&r, &cur, 1600));
	/* revoked before signing, said so: fresh */
	r.status = PKI_OCSP_REVOKED;
	r.revoked_at = 1500;
	r.reason = 1;
	assert_true(pki__ocsp_presigned_fresh(&r, &cur, 1600));
	/* a hold lifted and a revocation recorded again differently */
	cur.reason = 6;
	assert_false(pki__ocsp_presigned_fresh(&r, &cur, 1600));
	cur.reason = 1;
	cur.revocation_time = 1700;
	assert_false(pki__ocsp_presigned_fresh(&r, &cur, 1800));
	/* a hold lifted after signing: the stored "revoked" is stale */
	cur.status = PKI_OCSP_GOOD;
	assert_false(pki__ocsp_presigned_fresh(&r, &cur, 1600));
}

/* The minimal request: one SHA-1 CertID, no nonce; a serial with its top
 * bit set gets its leading 00; the export path has no empty component. */
static void
test_minimal_request(void **state)
{
	struct fx *f = *state;
	struct pki_ocsp_request req;
	struct pki_error err = { 0 };
	gnutls_datum_t ca = { NULL, 0 }, der = { NULL, 0 };
	char *path;

	assert_int_equal(gnutls_x509_crt_export2(f->issuing,
						 GNUTLS_X509_FMT_DER, &ca), 0);
	if (pki__ocsp_request_minimal(&ca, "80FF01", &der, &err) != PKI_OK)
		fail_msg("minimal: %s", err.msg);
	assert_int_equal(pki_ocsp_request_parse(der.data, der.size, &req, &err),
			 PKI_OK);
	assert_int_equal(req.n, 1);
	assert_int_equal(req.has_nonce, 0);
	assert_int_equal(req.ids[0].hash, PKI_OCSP_SHA1);
	assert_int_equal(req.ids[0].serial_len, 3);
	assert_memory_equal(req.ids[0].serial, "\x80\xff\x01", 3);
	path = pki__ocsp_export_path(&der);
	assert_non_null(path);
	assert_null(strstr(path, "//"));
	assert_true(path[0] != '/' && path[strlen(path) - 1] != '/');
	free(path);
	gnutls_free(der.data);
	gnutls_free(ca.data);
}

/* Open the state as the CLI does (the root's passphrase at hand) at t. */
static struct pki_state *
cli_at(struct fx *f, int64_t t)
{
	struct pki_state *s = NULL;

	fixture_state_open(f->dir, PKI_STATE_CLI, fixture_passfn, NULL, t, &s);
	return s;
}

/* Answer der at time t (online keys only), with the answer's details. */
static int
respond_at(struct fx *f, int64_t t, gnutls_datum_t der, gnutls_datum_t *resp,
	   struct pki_ocsp_answer *a, struct pki_error *err)
{
	struct pki_state *s = NULL;
	struct pki_ocsp_respond_opts o = { 600 };
	int rc;

	fixture_state_open(f->dir, PKI_STATE_ONLINE, NULL, NULL, t, &s);
	rc = pki_ocsp_respond(s, der.data, der.size, &o, resp, a, err);
	pki_state_close(s);
	gnutls_free(der.data);
	return rc;
}

/* A delegated signer: the root (offline key) answers through it while it
 * is valid; once it has expired the root says internalError (its own key
 * is offline) and an online CA falls back to its own key. */
static void
test_signer(void **state)
{
	struct fx *f = *state;
	struct pki_state *s = cli_at(f, NOW);
	struct pki_enroll e = { s, "test", NULL };
	struct pki_enroll_result res;
	struct pki_error err = { 0 };
	gnutls_datum_t resp = { NULL, 0 }, rid = { NULL, 0 }, kh = { NULL, 0 };
	struct pki_ocsp_answer a;
	gnutls_x509_crt_t signer, *certs = NULL;
	gnutls_ocsp_resp_t r;
	unsigned verify = 99;
	size_t ncerts = 0;
	int64_t end;

	if (pki_ocsp_signer_issue(&e, "OCSP Test Root", PKI_KEY_ECDSA_P256, 7,
				  &res, &err) != PKI_OK)
		fail_msg("signer issue: %s", err.msg);
	signer = fixture_crt_of(&res.der);
	end = res.rec.not_after;
	pki_enroll_result_clear(&res);
	/* and one for the issuing CA, to see it fall back */
	if (pki_ocsp_signer_issue(&e, "OCSP Test Issuing", PKI_KEY_ECDSA_P256,
				  7, &res, &err) != PKI_OK)
		fail_msg("signer issue: %s", err.msg);
	pki_enroll_result_clear(&res);
	pki_state_close(s);

	if (respond_at(f, NOW + 60, request(&f->root, &f->issuing, 1), &resp,
		       &a, &err) != PKI_OK)
		fail_msg("respond: %s", err.msg);
	assert_int_equal(a.response_status, 0);
	assert_int_equal(a.delegated, 1);
	assert_int_equal(gnutls_ocsp_resp_init(&r), 0);
	assert_int_equal(gnutls_ocsp_resp_import(r, &resp), 0);
	assert_int_equal(gnutls_ocsp_resp_verify_direct(r, signer, &verify, 0),
			 0);
	assert_int_equal(verify, 0);
	/* byKey of the signer's key, its certificate included */
	assert_int_equal(gnutls_ocsp_resp_get_responder_raw_id(r,
			 GNUTLS_OCSP_RESP_ID_KEY, &rid), 0);
	assert_int_equal(gnutls_ocsp_resp_get_certs(r, &certs, &ncerts), 0);
	assert_int_equal(ncerts, 1);
	assert_int_equal(gnutls_x509_crt_equals(certs[0], signer), 1);
	gnutls_x509_crt_deinit(certs[0]);
	gnutls_free(certs);
	assert_int_equal(gnutls_ocsp_resp_get_single(r, 0, NULL, NULL, &kh,
						     NULL, NULL, NULL, NULL,
						     NULL, NULL), 0);
	/* not the root's key hash */
	assert_int_equal(rid.size, 20);
	assert_true(memcmp(rid.data, kh.data, 20) != 0);
	gnutls_free(rid.data);
	gnutls_free(kh.data);
	gnutls_ocsp_resp_deinit(r);
	gnutls_free(resp.data);

	/* after the signer's end: the root cannot answer */
	assert_int_equal(respond_at(f, end + 1, request(&f->root, &f->issuing,
							  1), &resp, &a, &err),
			 PKI_OK);
	assert_int_equal(a.response_status, 2);
	assert_non_null(strstr(a.why, "expired"));
	gnutls_free(resp.data);
	/* ... and the issuing CA signs with its own key again */
	assert_int_equal(respond_at(f, end + 1, request(&f->issuing, &f->good,
							  1), &resp, &a, &err),
			 PKI_OK);
	assert_int_equal(a.response_status, 0);
	assert_int_equal(a.delegated, 0);
	assert_int_equal(gnutls_ocsp_resp_init(&r), 0);
	assert_int_equal(gnutls_ocsp_resp_import(r, &resp), 0);
	verify = 99;
	assert_int_equal(gnutls_ocsp_resp_verify_direct(r, f->issuing, &verify,
							0), 0);
	assert_int_equal(verify, 0);
	gnutls_ocsp_resp_deinit(r);
	gnutls_free(resp.data);
	gnutls_x509_crt_deinit(signer);
}

/* The minimal request for cert from issuer (what openssl -no_nonce sends). */
static gnutls_datum_t
minimal(gnutls_x509_crt_t issuer, gnutls_x509_crt_t cert)
{
	gnutls_datum_t ca = { NULL, 0 }, der = { NULL, 0 };
	unsigned char raw[32];
	char hex[65];
	size_t n = sizeof(raw), i;
	struct pki_error err = { 0 };

	assert_int_equal(gnutls_x509_crt_get_serial(cert, raw, &n), 0);
	for (i = 0; i < n; i++)
		snprintf(hex + 2 * i, 3, "%02X", raw[i]);
	assert_int_equal(gnutls_x509_crt_export2(issuer, GNUTLS_X509_FMT_DER,
						 &ca), 0);
	if (pki__ocsp_request_minimal(&ca, hex, &der, &err) != PKI_OK)
		fail_msg("minimal: %s", err.msg);
	gnutls_free(ca.data);
	return der;
}

/* Pre-signed: served as stored while fresh; a nonce, a revocation after
 * signing, or nextUpdate passed get an answer signed then. */
static void
test_presign(void **state)
{
	struct fx *f = *state;
	struct pki_state *s = cli_at(f, NOW + 100);
	struct pki_enroll e = { s, "test", NULL };
	struct pki_ocsp_presign_opts o = { "OCSP Test Issuing", 3600, NULL };
	struct pki_ocsp_presign_result r;
	struct pki_error err = { 0 };
	struct pki_cert_record rec;
	gnutls_datum_t a1 = { NULL, 0 }, a2 = { NULL, 0 };
	struct pki_ocsp_answer a;
	gnutls_x509_crt_t later = fixture_issue_tls(&e, "later.test.example");
	unsigned char raw[32];
	char serial[65];
	size_t n = sizeof(raw), i;

	pki_state_close(s);
	s = cli_at(f, NOW + 100);
	if (pki_ocsp_presign(s, &o, &r, &err) != PKI_OK)
		fail_msg("presign: %s", err.msg);
	pki_state_close(s);
	assert_int_equal(r.revoked, 1);
	assert_true(r.good >= 2);
	assert_int_equal(r.next_update, NOW + 100 + 3600);

	if (respond_at(f, NOW + 200, minimal(f->issuing, later), &a1, &a,
		       &err) != PKI_OK)
		fail_msg("respond: %s", err.msg);
	assert_int_equal(a.presigned, 1);
	assert_int_equal(a.status[0], PKI_OCSP_GOOD);
	assert_int_equal(a.this_update, NOW + 100);
	assert_int_equal(respond_at(f, NOW + 300, minimal(f->issuing, later),
				    &a2, &a, &err), PKI_OK);
	assert_int_equal(a.presigned, 1);
	assert_int_equal(a1.size, a2.size);
	assert_memory_equal(a1.data, a2.data, a1.size);
	gnutls_free(a2.data);
	/* with a nonce: signed now */
	assert_int_equal(respond_at(f, NOW + 300, request(&f->issuing, &later,
							  1), &a2, &a, &err),
			 PKI_OK);
	assert_int_equal(a.presigned, 0);
	assert_int_equal(a.nonce, 1);
	gnutls_free(a2.data);
	/* after nextUpdate: signed now */
	assert_int_equal(respond_at(f, NOW + 100 + 3600,
				    minimal(f->issuing, later), &a2, &a, &err),
			 PKI_OK);
	assert_int_equal(a.response_status, 0);
	assert_int_equal(a.presigned, 0);
	gnutls_free(a2.data);

	/* revoked after pre-signing: never the stale "good" */
	assert_int_equal(gnutls_x509_crt_get_serial(later, raw, &n), 0);
	for (i = 0; i < n; i++)
		snprintf(serial + 2 * i, 3, "%02x", raw[i]);
	s = cli_at(f, NOW + 400);
	e.state = s;
	memset(&rec, 0, sizeof(rec));
	if (pki_enroll_revoke(&e, serial, NULL, 4, 0, &rec, &err) != PKI_OK)
		fail_msg("revoke: %s", err.msg);
	pki_cert_record_clear(&rec);
	pki_state_close(s);
	assert_int_equal(respond_at(f, NOW + 500, minimal(f->issuing, later),
				    &a2, &a, &err), PKI_OK);
	assert_int_equal(a.presigned, 0);
	assert_int_equal(a.status[0], PKI_OCSP_REVOKED);
	assert_true(a2.size != a1.size || memcmp(a1.data, a2.data, a1.size));
	gnutls_free(a1.data);
	gnutls_free(a2.data);
	gnutls_x509_crt_deinit(later);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_revoked_unknown),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_presigned_fresh),
		cmocka_unit_test(test_minimal_request),
		cmocka_unit_test(test_presign),
		cmocka_unit_test(test_signer),
	};

	gnutls_global_init();
	return cmocka_run_group_tests(tests, setup, teardown);
}
