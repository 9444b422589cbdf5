/*
 * serve: pki_serve answering raw request bytes (parsed by pki_http_parse)
 * from a 2-tier state directory opened the way a handler opens it
 * (online keys only): routing and module switches, 405 with Allow, HEAD,
 * OCSP by POST and GET (percent-encoded or raw base64) with the caching
 * headers of RFC 5019 only where they belong, CRLs and CA certificates by
 * slug and at the paths of the CA's URLs, conditional GETs (304), /health
 * before and after the CRLs; and the IMF-fixdate helpers of http.c.
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

#include <spork/crlgen.h>
#include <spork/enroll.h>
#include <spork/hierarchy.h>
#include <spork/http.h>
#include <spork/serve.h>
#include <spork/state.h>
#include <spork/store.h>
#include "fixture.h"

#define NOW 1893456000LL                /* 2030-01-01 */
#define ROOT "Serve Test Root"
#define ISSUING "Serve Test Issuing"
#define ROOT_SLUG "serve-test-root"
#define ISSUING_SLUG "serve-test-issuing"
#define ALL (PKI_SERVE_OCSP | PKI_SERVE_CRL | PKI_SERVE_CA | PKI_SERVE_HEALTH)

static const char hier_toml[] =
	"[root]\n"
	"common_name = \"" ROOT "\"\n"
	"algorithm = \"ecdsa-p256\"\n"
	"validity_years = 10\n"
	"key = \"offline\"\n"
	"[[issuing_cas]]\n"
	"common_name = \"" ISSUING "\"\n"
	"algorithm = \"ecdsa-p256\"\n"
	"validity_years = 2\n"
	"key = \"online\"\n"
	"ocsp_urls = [\"http://pki.test.example/ocsp\"]\n"
	"crl_urls = [\"http://pki.test.example/pub/issuing.crl\"]\n"
	"delta_crl_urls = [\"http://pki.test.example/pub/issuing+.crl?x=1\"]\n"
	"ca_issuers_urls = [\"http://pki.test.example/pub/issuing.crt\"]\n";

/* The issuing CA's certificate: what signs every OCSP answer. */
static gnutls_x509_crt_t signer;

static const char policy_toml[] =
	"[[allow]]\n"
	"pattern = \"*.test.example\"\n";

struct fx {
	char dir[FIXTURE_DIR_MAX];
	gnutls_x509_crt_t issuing, good, revoked;
	int64_t issuing_not_before;
	int have_crls;
};

/* A 2-tier hierarchy (offline root, online issuing CA), two leaves, one
 * of them revoked; no CRL yet. */
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
	struct pki_ca_record r;
	char serial[64];
	size_t n = sizeof(serial);
	unsigned char raw[32];
	size_t i;

	assert_non_null(f);
	fixture_dir_make(f->dir, sizeof(f->dir), "serve");
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
	memset(&r, 0, sizeof(r));
	if (pki_store_ca_get(pki_state_store(s), ISSUING, &r, &err) != PKI_OK)
		fail_msg("ca_get: %s", err.msg);
	f->issuing = fixture_crt_of(&r.cert_der);
	signer = f->issuing;
	f->issuing_not_before = r.not_before;
	pki_ca_record_clear(&r);
	pki_state_close(s);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;
	int rc;

	if (f == NULL)
		return 0;
	gnutls_x509_crt_deinit(f->issuing);
	gnutls_x509_crt_deinit(f->good);
	gnutls_x509_crt_deinit(f->revoked);
	rc = fixture_dir_remove(f->dir);
	free(f);
	return rc;
}

/* Full CRLs for both CAs (the root's offline key through the CLI state)
 * and a delta CRL for the issuing CA, once. */
static void
make_crls(struct fx *f)
{
	struct pki_crlgen_opts o;
	struct pki_crlgen_result res;
	struct pki_error err = { 0 };
	struct pki_state *s = NULL;

	if (f->have_crls)
		return;
	memset(&o, 0, sizeof(o));
	fixture_state_open(f->dir, PKI_STATE_CLI, fixture_passfn, NULL, NOW, &s);
	memset(&res, 0, sizeof(res));
	if (pki_crlgen_generate(s, ROOT, &o, &res, &err) != PKI_OK)
		fail_msg("crlgen root: %s", err.msg);
	pki_crlgen_result_clear(&res);
	memset(&res, 0, sizeof(res));
	if (pki_crlgen_generate(s, ISSUING, &o, &res, &err) != PKI_OK)
		fail_msg("crlgen issuing: %s", err.msg);
	pki_crlgen_result_clear(&res);
	o.delta = 1;
	memset(&res, 0, sizeof(res));
	if (pki_crlgen_generate(s, ISSUING, &o, &res, &err) != PKI_OK)
		fail_msg("crlgen delta: %s", err.msg);
	pki_crlgen_result_clear(&res);
	pki_state_close(s);
	f->have_crls = 1;
}

/* Parse the len bytes of raw as one whole request and answer it from
 * the state directory opened for online use, with modules and mount. */
static void
serve_raw(struct fx *f, unsigned modules, const char *mount,
	  const void *raw, size_t len, struct pki_response *resp)
{
	struct pki_serve_opts o;
	struct pki_http_request req;
	struct pki_error err = { 0 };
	struct pki_state *s = NULL;
	size_t consumed = 0;
	int status = 0;

	if (pki_http_parse(raw, len, NULL, &req, &consumed, &status, &err) !=
	    PKI_OK)
		fail_msg("http_parse (%d): %s", status, err.msg);
	assert_int_equal(consumed, len);
	memset(&o, 0, sizeof(o));
	o.modules = modules;
	o.ocsp_mount = mount;
	o.ocsp_validity = 600;
	fixture_state_open(f->dir, PKI_STATE_ONLINE, NULL, NULL, NOW, &s);
	if (pki_serve(s, &o, &req, resp, &err) != PKI_OK)
		fail_msg("serve: %s", err.msg);
	pki_state_close(s);
	pki_http_request_clear(&req);
}

/* A request with no body: "METHOD target", Host and extra header lines
 * (each ending in CRLF, or ""). */
static void
serve_req(struct fx *f, unsigned modules, const char *method,
	  const char *target, const char *extra, struct pki_response *resp)
{
	char buf[8192];
	int n;

	n = snprintf(buf, sizeof(buf), "%s %s HTTP/1.1\r\n"
		     "Host: pki.test.example\r\n%s\r\n", method, target, extra);
	assert_true(n > 0 && (size_t)n < sizeof(buf));
	serve_raw(f, modules, "/ocsp", buf, (size_t)n, resp);
}

/* A POST of body (len bytes) to target with Content-Type type (NULL:
 * none). */
static void
serve_post(struct fx *f, unsigned modules, const char *mount,
	   const char *target, const char *type, const void *body,
	   size_t len, struct pki_response *resp)
{
	char head[512];
	unsigned char *buf;
	int n;

	n = snprintf(head, sizeof(head), "POST %s HTTP/1.1\r\n"
		     "Host: pki.test.example\r\n%s%s%s"
		     "Content-Length: %zu\r\n\r\n", target,
		     type ? "Content-Type: " : "", type ? type : "",
		     type ? "\r\n" : "", len);
	assert_true(n > 0 && (size_t)n < sizeof(head));
	buf = malloc((size_t)n + len);
	assert_non_null(buf);
	memcpy(buf, head, (size_t)n);
	memcpy(buf + n, body, len);
	serve_raw(f, modules, mount, buf, (size_t)n + len, resp);
	free(buf);
}

/* The value of response header name, or NULL. */
static const char *
hdr(const struct pki_response *r, const char *name)
{
	size_t i, n = strlen(name);

	for (i = 0; i < r->nheaders; i++)
		if (strncmp(r->headers[i], name, n) == 0 &&
		    r->headers[i][n] == ':' && r->headers[i][n + 1] == ' ')
			return r->headers[i] + n + 2;
	return NULL;
}

static void
assert_hdr(const struct pki_response *r, const char *name, const char *want)
{
	const char *v = hdr(r, name);

	if (v == NULL)
		fail_msg("no %s header (status %d)", name, r->status);
	assert_string_equal(v, want);
}

/* A copy of r's body as a string (the caller frees). */
static char *
body_str(const struct pki_response *r)
{
	char *s = malloc(r->body_len + 1);

	assert_non_null(s);
	memcpy(s, r->body, r->body_len);
	s[r->body_len] = '\0';
	return s;
}

/* An OCSP request for cert (issued by the issuing CA), with a nonce when
 * nonce is set. */
static gnutls_datum_t
ocsp_request(struct fx *f, gnutls_x509_crt_t cert, int nonce)
{
	gnutls_ocsp_req_t req;
	gnutls_datum_t nd = { (unsigned char *)"0123456789abcdef", 16 };
	gnutls_datum_t out = { NULL, 0 };

	assert_int_equal(gnutls_ocsp_req_init(&req), 0);
	assert_int_equal(gnutls_ocsp_req_add_cert(req, GNUTLS_DIG_SHA1,
						  f->issuing, cert), 0);
	if (nonce)
		assert_int_equal(gnutls_ocsp_req_set_nonce(req, 0, &nd), 0);
	assert_int_equal(gnutls_ocsp_req_export(req, &out), 0);
	gnutls_ocsp_req_deinit(req);
	return out;
}

/* The base64 of the len bytes at p into out (NUL-terminated); with
 * escape, '+', '/' and '=' and the first character percent-encoded. */
static void
base64(const unsigned char *p, size_t len, int escape, char *out,
       size_t size)
{
	static const char al[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		"0123456789+/";
	char plain[4096];
	size_t i, n = 0, o = 0;
	uint32_t v;

	assert_true((len + 2) / 3 * 4 < sizeof(plain));
	for (i = 0; i < len; i += 3) {
		v = (uint32_t)p[i] << 16;
		if (i + 1 < len)
			v |= (uint32_t)p[i + 1] << 8;
		if (i + 2 < len)
			v |= p[i + 2];
		plain[n++] = al[v >> 18 & 63];
		plain[n++] = al[v >> 12 & 63];
		plain[n++] = i + 1 < len ? al[v >> 6 & 63] : '=';
		plain[n++] = i + 2 < len ? al[v & 63] : '=';
	}
	for (i = 0; i < n; i++) {
		assert_true(o + 4 < size);
		if (escape && (i == 0 || plain[i] == '+' || plain[i] == '/' ||
			       plain[i] == '='))
			o += (size_t)snprintf(out + o, size - o, "%%%02X",
					      (unsigned char)plain[i]);
		else
			out[o++] = plain[i];
	}
	out[o] = '\0';
}

/* The OCSP response in r's body: its status and, when successful, the
 * status of its first (only) certificate. */
static int
ocsp_status(const struct pki_response *r, unsigned *cert_status)
{
	gnutls_ocsp_resp_t o;
	gnutls_datum_t der = { r->body, (unsigned)r->body_len };
	unsigned verify = 99;
	int st;

	assert_string_equal(hdr(r, "Content-Type"), "application/ocsp-response");
	assert_int_equal(gnutls_ocsp_resp_init(&o), 0);
	assert_int_equal(gnutls_ocsp_resp_import(o, &der), 0);
	st = gnutls_ocsp_resp_get_status(o);
	if (st == GNUTLS_OCSP_RESP_SUCCESSFUL) {
		assert_int_equal(gnutls_ocsp_resp_verify_direct(o, signer,
								&verify, 0), 0);
		assert_int_equal(verify, 0);
		assert_int_equal(gnutls_ocsp_resp_get_single(o, 0, NULL, NULL,
				 NULL, NULL, cert_status, NULL, NULL, NULL,
				 NULL), 0);
	}
	gnutls_ocsp_resp_deinit(o);
	return st;
}

static void
assert_no_cache(const struct pki_response *r)
{
	assert_null(hdr(r, "Expires"));
	assert_null(hdr(r, "Last-Modified"));
	assert_null(hdr(r, "ETag"));
	if (r->status == 200)
		assert_string_equal(hdr(r, "Cache-Control"), "no-store");
	else
		assert_null(hdr(r, "Cache-Control"));
}

/* Before any CRL: the CRL paths are 404 and /health is 503. */
static void
test_before_crls(void **state)
{
	struct fx *f = *state;
	struct pki_response r = { 0 };
	char *body;

	serve_req(f, ALL, "GET", "/crl/" ISSUING_SLUG ".crl", "", &r);
	assert_int_equal(r.status, 404);
	assert_string_equal(r.module, "crl");
	assert_null(hdr(&r, "ETag"));
	pki_response_clear(&r);
	serve_req(f, ALL, "GET", "/pub/issuing+.crl", "", &r);
	assert_int_equal(r.status, 404);
	pki_response_clear(&r);

	serve_req(f, ALL, "GET", "/health", "", &r);
	assert_int_equal(r.status, 503);
	assert_string_equal(r.module, "health");
	assert_string_equal(hdr(&r, "Content-Type"), "application/json");
	assert_string_equal(hdr(&r, "Cache-Control"), "no-store");
	body = body_str(&r);
	assert_non_null(strstr(body, "\"status\": \"fail\""));
	assert_non_null(strstr(body, "\"crl\": null"));
	assert_non_null(strstr(body, "\"key_unseals\": true"));
	assert_non_null(strstr(body, "\"database\": true"));
	free(body);
	pki_response_clear(&r);
}

/* Paths no module serves, modules switched off, methods not allowed. */
static void
test_routing(void **state)
{
	struct fx *f = *state;
	struct pki_response r = { 0 };
	gnutls_datum_t der = ocsp_request(f, f->good, 1);
	static const char *const unknown[] = {
		"/", "/nothing", "/crl/", "/crl/" ISSUING_SLUG,
		"/crl/" ISSUING_SLUG ".crl/", "/crl/" ISSUING_SLUG ".crlx",
		"/crl/" ISSUING_SLUG "-delta.pem", "/crl/serve-test.crl",
		"/ca/" ISSUING_SLUG ".crl", "/ca/" ISSUING_SLUG ".crt.pem",
		"/CA/" ISSUING_SLUG ".crt", "/pub/issuing.crl/", "/healthz",
		"/health/", "/ocspx", "/ocsp", "/pub/issuing+.crl%3Fx=1",
	};
	size_t i;

	make_crls(f);
	for (i = 0; i < sizeof(unknown) / sizeof(*unknown); i++) {
		serve_req(f, ALL, "GET", unknown[i], "", &r);
		if (r.status != 404)
			fail_msg("GET %s: %d, not 404", unknown[i], r.status);
		assert_null(r.module);
		assert_string_equal(hdr(&r, "Content-Type"),
				    "text/plain; charset=utf-8");
		assert_int_equal(r.body_len, strlen("404 Not Found\n"));
		assert_memory_equal(r.body, "404 Not Found\n", r.body_len);
		pki_response_clear(&r);
	}
	/* a query does not change what the path names */
	serve_req(f, ALL, "GET", "/pub/issuing.crl?x=1", "", &r);
	assert_int_equal(r.status, 200);
	pki_response_clear(&r);

	/* each module only when enabled */
	serve_req(f, ALL & ~PKI_SERVE_HEALTH, "GET", "/health", "", &r);
	assert_int_equal(r.status, 404);
	pki_response_clear(&r);
	serve_req(f, PKI_SERVE_HEALTH, "GET", "/health", "", &r);
	assert_int_equal(r.status, 200);
	pki_response_clear(&r);
	serve_req(f, ALL & ~PKI_SERVE_CRL, "GET", "/crl/" ISSUING_SLUG ".crl",
		  "", &r);
	assert_int_equal(r.status, 404);
	pki_response_clear(&r);
	serve_req(f, ALL & ~PKI_SERVE_CRL, "GET", "/pub/issuing.crl", "", &r);
	assert_int_equal(r.status, 404);
	pki_response_clear(&r);
	serve_req(f, PKI_SERVE_CRL, "GET", "/crl/" ISSUING_SLUG ".crl", "", &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.module, "crl");
	pki_response_clear(&r);
	serve_req(f, ALL & ~PKI_SERVE_CA, "GET", "/ca/" ISSUING_SLUG ".crt", "",
		  &r);
	assert_int_equal(r.status, 404);
	pki_response_clear(&r);
	serve_req(f, ALL & ~PKI_SERVE_CA, "GET", "/pub/issuing.crt", "", &r);
	assert_int_equal(r.status, 404);
	pki_response_clear(&r);
	serve_req(f, PKI_SERVE_CA, "GET", "/ca/" ISSUING_SLUG ".crt", "", &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.module, "ca");
	pki_response_clear(&r);
	serve_post(f, ALL & ~PKI_SERVE_OCSP, "/ocsp", "/ocsp",
		   "application/ocsp-request", der.data, der.size, &r);
	assert_int_equal(r.status, 404);
	pki_response_clear(&r);
	serve_post(f, PKI_SERVE_OCSP, "/ocsp", "/ocsp",
		   "application/ocsp-request", der.data, der.size, &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.module, "ocsp");
	pki_response_clear(&r);
	serve_req(f, 0, "GET", "/health", "", &r);
	assert_int_equal(r.status, 404);
	pki_response_clear(&r);

	/* 405 with Allow; OCSP also allows POST */
	serve_req(f, ALL, "PUT", "/ocsp", "", &r);
	assert_int_equal(r.status, 405);
	assert_string_equal(r.module, "ocsp");
	assert_hdr(&r, "Allow", "GET, HEAD, POST");
	pki_response_clear(&r);
	serve_req(f, ALL, "DELETE", "/ocsp/MAIFAA==", "", &r);
	assert_int_equal(r.status, 405);
	assert_hdr(&r, "Allow", "GET, HEAD, POST");
	pki_response_clear(&r);
	serve_req(f, ALL, "OPTIONS", "/crl/" ISSUING_SLUG "-delta.crl", "", &r);
	assert_int_equal(r.status, 405);
	assert_hdr(&r, "Allow", "GET, HEAD");
	assert_string_equal(r.module, "crl");
	pki_response_clear(&r);
	serve_post(f, ALL, "/ocsp", "/ca/" ISSUING_SLUG ".crt",
		   "application/ocsp-request", der.data, der.size, &r);
	assert_int_equal(r.status, 405);
	assert_hdr(&r, "Allow", "GET, HEAD");
	assert_string_equal(r.module, "ca");
	pki_response_clear(&r);
	serve_req(f, ALL, "DELETE", "/pub/issuing.crl", "", &r);
	assert_int_equal(r.status, 405);
	pki_response_clear(&r);
	serve_req(f, ALL, "PUT", "/health", "", &r);
	assert_int_equal(r.status, 405);
	assert_hdr(&r, "Allow", "GET, HEAD");
	assert_null(hdr(&r, "Cache-Control"));
	pki_response_clear(&r);
	/* POST under the mount is not OCSP; nor is "OPTIONS *" anything */
	serve_post(f, ALL, "/ocsp", "/ocsp/x", "application/ocsp-request",
		   der.data, der.size, &r);
	assert_int_equal(r.status, 404);
	pki_response_clear(&r);
	serve_req(f, ALL, "OPTIONS", "*", "", &r);
	assert_int_equal(r.status, 404);
	pki_response_clear(&r);
	gnutls_free(der.data);
}

/* HEAD answers what GET answers; the handler leaves the body out. */
static void
test_head(void **state)
{
	struct fx *f = *state;
	static const char *const paths[] = {
		"/crl/" ISSUING_SLUG ".crl", "/ca/" ROOT_SLUG ".crt",
		"/health", "/nothing",
	};
	struct pki_response g = { 0 }, h = { 0 };
	size_t i, j;

	make_crls(f);
	for (i = 0; i < sizeof(paths) / sizeof(*paths); i++) {
		serve_req(f, ALL, "GET", paths[i], "", &g);
		serve_req(f, ALL, "HEAD", paths[i], "", &h);
		assert_int_equal(h.status, g.status);
		assert_int_equal(h.body_len, g.body_len);
		assert_int_equal(h.nheaders, g.nheaders);
		for (j = 0; j < g.nheaders; j++)
			assert_string_equal(h.headers[j], g.headers[j]);
		pki_response_clear(&g);
		pki_response_clear(&h);
	}
}

static void
test_ocsp_post(void **state)
{
	struct fx *f = *state;
	struct pki_response r = { 0 };
	gnutls_datum_t der = ocsp_request(f, f->revoked, 1);
	unsigned cs = 99;

	serve_post(f, ALL, "/ocsp", "/ocsp", "application/ocsp-request",
		   der.data, der.size, &r);
	assert_int_equal(r.status, 200);
	assert_int_equal(ocsp_status(&r, &cs), GNUTLS_OCSP_RESP_SUCCESSFUL);
	assert_int_equal(cs, GNUTLS_OCSP_CERT_REVOKED);
	assert_string_equal(r.note, "revoked");
	/* a nonce answer is never cached */
	assert_no_cache(&r);
	pki_response_clear(&r);

	/* the media type is case-insensitive; the mount may end in '/' */
	serve_post(f, ALL, "/ocsp/", "/ocsp", "Application/OCSP-Request",
		   der.data, der.size, &r);
	assert_int_equal(r.status, 200);
	pki_response_clear(&r);

	/* without a nonce, a POST answer is still not cached */
	gnutls_free(der.data);
	der = ocsp_request(f, f->good, 0);
	serve_post(f, ALL, "/ocsp", "/ocsp", "application/ocsp-request",
		   der.data, der.size, &r);
	assert_int_equal(r.status, 200);
	assert_int_equal(ocsp_status(&r, &cs), GNUTLS_OCSP_RESP_SUCCESSFUL);
	assert_int_equal(cs, GNUTLS_OCSP_CERT_GOOD);
	assert_no_cache(&r);
	pki_response_clear(&r);

	/* the content type is required, and must be this one */
	serve_post(f, ALL, "/ocsp", "/ocsp", NULL, der.data, der.size, &r);
	assert_int_equal(r.status, 415);
	assert_string_equal(r.module, "ocsp");
	assert_no_cache(&r);
	pki_response_clear(&r);
	serve_post(f, ALL, "/ocsp", "/ocsp", "application/octet-stream",
		   der.data, der.size, &r);
	assert_int_equal(r.status, 415);
	pki_response_clear(&r);
	serve_post(f, ALL, "/ocsp", "/ocsp",
		   "application/ocsp-request; charset=x", der.data, der.size,
		   &r);
	assert_int_equal(r.status, 415);
	pki_response_clear(&r);

	/* mounted at the root */
	serve_post(f, ALL, NULL, "/", "application/ocsp-request", der.data,
		   der.size, &r);
	assert_int_equal(r.status, 200);
	assert_int_equal(ocsp_status(&r, &cs), GNUTLS_OCSP_RESP_SUCCESSFUL);
	pki_response_clear(&r);
	serve_post(f, ALL, "/", "/", "application/ocsp-request", der.data,
		   der.size, &r);
	assert_int_equal(r.status, 200);
	pki_response_clear(&r);
	serve_post(f, ALL, "", "/ocsp", "application/ocsp-request", der.data,
		   der.size, &r);
	assert_int_equal(r.status, 404);
	pki_response_clear(&r);

	/* garbage DER and an empty body: a malformedRequest answer */
	serve_post(f, ALL, "/ocsp", "/ocsp", "application/ocsp-request",
		   "\x30\x02\x05\x00", 4, &r);
	assert_int_equal(r.status, 200);
	assert_int_equal(ocsp_status(&r, &cs),
			 GNUTLS_OCSP_RESP_MALFORMEDREQUEST);
	assert_string_equal(r.note, "malformedRequest");
	assert_no_cache(&r);
	pki_response_clear(&r);
	serve_post(f, ALL, "/ocsp", "/ocsp", "application/ocsp-request", "",
		   0, &r);
	assert_int_equal(r.status, 200);
	assert_int_equal(ocsp_status(&r, &cs),
			 GNUTLS_OCSP_RESP_MALFORMEDREQUEST);
	pki_response_clear(&r);
	gnutls_free(der.data);
}

/* A GET answer: 200 with the caching headers of RFC 5019. */
static void
assert_cached_get(const struct pki_response *r, unsigned want)
{
	char date[PKI_HTTP_DATE_LEN];
	unsigned cs = 99;

	assert_int_equal(r->status, 200);
	assert_string_equal(r->module, "ocsp");
	assert_int_equal(ocsp_status(r, &cs), GNUTLS_OCSP_RESP_SUCCESSFUL);
	assert_int_equal(cs, want);
	pki_http_date(NOW, date);
	assert_hdr(r, "Last-Modified", date);
	pki_http_date(NOW + 600, date);
	assert_hdr(r, "Expires", date);
	assert_hdr(r, "Cache-Control",
		   "max-age=600, public, no-transform, must-revalidate");
	assert_null(hdr(r, "ETag"));
}

static void
test_ocsp_get(void **state)
{
	struct fx *f = *state;
	struct pki_response r = { 0 };
	gnutls_datum_t der = ocsp_request(f, f->good, 0);
	char b64[4096], target[4200];
	unsigned cs = 99;

	/* percent-encoded, as RFC 6960 A.1 says */
	base64(der.data, der.size, 1, b64, sizeof(b64));
	assert_non_null(strchr(b64, '%'));
	snprintf(target, sizeof(target), "/ocsp/%s", b64);
	serve_req(f, ALL, "GET", target, "", &r);
	assert_cached_get(&r, GNUTLS_OCSP_CERT_GOOD);
	assert_string_equal(r.note, "good");
	pki_response_clear(&r);
	/* lower-case hex digits too */
	snprintf(target, sizeof(target), "/ocsp/%%4d%s", b64 + 3);
	if (b64[0] == 'M' && b64[3] != '\0') {
		serve_req(f, ALL, "GET", target, "", &r);
		assert_cached_get(&r, GNUTLS_OCSP_CERT_GOOD);
		pki_response_clear(&r);
	}

	/* raw base64, '/' and '+' as they are; at the root mount too */
	base64(der.data, der.size, 0, b64, sizeof(b64));
	snprintf(target, sizeof(target), "/ocsp/%s", b64);
	serve_req(f, ALL, "GET", target, "", &r);
	assert_cached_get(&r, GNUTLS_OCSP_CERT_GOOD);
	pki_response_clear(&r);
	snprintf(target, sizeof(target), "GET /%s HTTP/1.1\r\n"
		 "Host: x\r\n\r\n", b64);
	serve_raw(f, ALL, NULL, target, strlen(target), &r);
	assert_cached_get(&r, GNUTLS_OCSP_CERT_GOOD);
	pki_response_clear(&r);
	gnutls_free(der.data);

	/* revoked, by HEAD */
	der = ocsp_request(f, f->revoked, 0);
	base64(der.data, der.size, 1, b64, sizeof(b64));
	snprintf(target, sizeof(target), "/ocsp/%s", b64);
	serve_req(f, ALL, "HEAD", target, "", &r);
	assert_cached_get(&r, GNUTLS_OCSP_CERT_REVOKED);
	pki_response_clear(&r);
	gnutls_free(der.data);

	/* a nonce in a GET request: answered, not cached */
	der = ocsp_request(f, f->good, 1);
	base64(der.data, der.size, 1, b64, sizeof(b64));
	snprintf(target, sizeof(target), "/ocsp/%s", b64);
	serve_req(f, ALL, "GET", target, "", &r);
	assert_int_equal(r.status, 200);
	assert_int_equal(ocsp_status(&r, &cs), GNUTLS_OCSP_RESP_SUCCESSFUL);
	assert_no_cache(&r);
	pki_response_clear(&r);
	gnutls_free(der.data);

	/* garbage DER that is good base64: 200 malformedRequest, not
	 * cached */
	serve_req(f, ALL, "GET", "/ocsp/MAIFAA%3D%3D", "", &r);
	assert_int_equal(r.status, 200);
	assert_int_equal(ocsp_status(&r, &cs),
			 GNUTLS_OCSP_RESP_MALFORMEDREQUEST);
	assert_no_cache(&r);
	pki_response_clear(&r);
}

/* What is not base64 (after percent-decoding) is a 400. */
static void
test_ocsp_get_bad(void **state)
{
	struct fx *f = *state;
	struct pki_response r = { 0 };
	static const char *const bad[] = {
		"/ocsp/MAIFA", "/ocsp/MAIFAA=", "/ocsp/MAIF!A==",
		"/ocsp/MAIFAA%3", "/ocsp/MAIFAA%3G%3D", "/ocsp/%zzIFAA==",
		"/ocsp/MAIFAA==MAIF", "/ocsp/MA=FAA==", "/ocsp/%00AIFAA==",
		"/ocsp/MAIFAA%3D%3D%3D%3D", "/ocsp/MA-_AA==", "/ocsp/M%",
		"/ocsp//", "/ocsp/MAIF/", "/ocsp/MAIF%0AAA==",
		"/ocsp/MAIF%20AA=",
		/* white space base64 decoders skip: refused, not repaired */
		"/ocsp/MAIF%09%09%09%09", "/ocsp/MA%20%20IFAA==",
		"/ocsp/MAIF%0D%0AAA%3D%3D", "/ocsp/MAIFAA==%20%20%20%20",
	};
	char long_b64[6200];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		serve_req(f, ALL, "GET", bad[i], "", &r);
		if (r.status != 400)
			fail_msg("GET %s: %d, not 400", bad[i], r.status);
		assert_string_equal(r.module, "ocsp");
		assert_no_cache(&r);
		pki_response_clear(&r);
	}
	/* under the root mount, any other path is an OCSP GET */
	memset(&r, 0, sizeof(r));
	serve_raw(f, ALL, NULL, "GET /nothing HTTP/1.1\r\nHost: x\r\n\r\n",
		  strlen("GET /nothing HTTP/1.1\r\nHost: x\r\n\r\n"), &r);
	assert_int_equal(r.status, 400);
	pki_response_clear(&r);

	/* Up to 4096 bytes of DER are taken from a path (and this is not
	 * a request: malformedRequest); more is refused, never decoded past
	 * the buffer. */
	for (i = 5452; i <= 5476; i += 4) {
		memcpy(long_b64, "/ocsp/", 6);
		memset(long_b64 + 6, 'A', i);
		long_b64[6 + i] = '\0';
		serve_req(f, ALL, "GET", long_b64, "", &r);
		if (r.status != (i / 4 * 3 <= 4096 ? 200 : 400))
			fail_msg("GET of %zu base64 characters: %d", i,
				 r.status);
		pki_response_clear(&r);
		/* the same with "==": two bytes fewer */
		memcpy(long_b64 + 6 + i - 2, "==", 2);
		serve_req(f, ALL, "GET", long_b64, "", &r);
		if (r.status != (i / 4 * 3 - 2 <= 4096 ? 200 : 400))
			fail_msg("GET of %zu base64 characters with \"==\": "
				 "%d", i, r.status);
		pki_response_clear(&r);
	}
}

static void
test_dist(void **state)
{
	struct fx *f = *state;
	struct pki_response r = { 0 }, r2 = { 0 };
	gnutls_x509_crl_t crl;
	gnutls_datum_t der;
	char date[PKI_HTTP_DATE_LEN];
	const char *etag;

	make_crls(f);
	/* the full CRL by slug and at its configured URL path */
	serve_req(f, ALL, "GET", "/crl/" ISSUING_SLUG ".crl", "", &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.module, "crl");
	assert_string_equal(hdr(&r, "Content-Type"), "application/pkix-crl");
	etag = hdr(&r, "ETag");
	assert_non_null(etag);
	assert_int_equal(strlen(etag), 34);
	assert_true(etag[0] == '"' && etag[33] == '"');
	pki_http_date(NOW, date);
	assert_hdr(&r, "Last-Modified", date);
	pki_http_date(NOW + PKI_CRLGEN_FULL_VALIDITY, date);
	assert_hdr(&r, "Expires", date);
	assert_hdr(&r, "Cache-Control", "max-age=3600, public");
	der.data = r.body;
	der.size = (unsigned)r.body_len;
	assert_int_equal(gnutls_x509_crl_init(&crl), 0);
	assert_int_equal(gnutls_x509_crl_import(crl, &der,
						GNUTLS_X509_FMT_DER), 0);
	assert_int_equal(gnutls_x509_crl_get_crt_count(crl), 1);
	assert_int_equal(gnutls_x509_crl_verify(crl, &f->issuing, 1, 0,
						&(unsigned){ 99 }), 0);
	gnutls_x509_crl_deinit(crl);
	serve_req(f, ALL, "GET", "/pub/issuing.crl", "", &r2);
	assert_int_equal(r2.status, 200);
	assert_int_equal(r2.body_len, r.body_len);
	assert_memory_equal(r2.body, r.body, r.body_len);
	assert_string_equal(hdr(&r2, "ETag"), etag);
	pki_response_clear(&r2);

	/* the delta, by slug and at its URL's path (the query left out) */
	serve_req(f, ALL, "GET", "/crl/" ISSUING_SLUG "-delta.crl", "", &r2);
	assert_int_equal(r2.status, 200);
	assert_true(r2.body_len != r.body_len ||
		    memcmp(r2.body, r.body, r.body_len) != 0);
	assert_string_not_equal(hdr(&r2, "ETag"), etag);
	pki_http_date(NOW + PKI_CRLGEN_DELTA_VALIDITY, date);
	assert_hdr(&r2, "Expires", date);
	pki_response_clear(&r);
	serve_req(f, ALL, "GET", "/pub/issuing+.crl", "", &r);
	assert_int_equal(r.status, 200);
	assert_int_equal(r2.body_len, r.body_len);
	assert_memory_equal(r2.body, r.body, r.body_len);
	pki_response_clear(&r);
	pki_response_clear(&r2);

	/* the root has a full CRL and no delta */
	serve_req(f, ALL, "GET", "/crl/" ROOT_SLUG ".crl", "", &r);
	assert_int_equal(r.status, 200);
	pki_response_clear(&r);
	serve_req(f, ALL, "GET", "/crl/" ROOT_SLUG "-delta.crl", "", &r);
	assert_int_equal(r.status, 404);
	assert_string_equal(r.module, "crl");
	pki_response_clear(&r);

	/* CA certificates by slug and at the ca_issuers_urls path */
	serve_req(f, ALL, "GET", "/ca/" ISSUING_SLUG ".crt", "", &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.module, "ca");
	assert_string_equal(hdr(&r, "Content-Type"), "application/pkix-cert");
	assert_hdr(&r, "Cache-Control", "max-age=86400, public");
	pki_http_date(f->issuing_not_before, date);
	assert_hdr(&r, "Last-Modified", date);
	assert_non_null(hdr(&r, "ETag"));
	assert_int_equal(gnutls_x509_crt_export2(f->issuing,
						 GNUTLS_X509_FMT_DER, &der), 0);
	assert_int_equal(r.body_len, der.size);
	assert_memory_equal(r.body, der.data, der.size);
	gnutls_free(der.data);
	serve_req(f, ALL, "GET", "/pub/issuing.crt", "", &r2);
	assert_int_equal(r2.status, 200);
	assert_int_equal(r2.body_len, r.body_len);
	assert_memory_equal(r2.body, r.body, r.body_len);
	pki_response_clear(&r);
	pki_response_clear(&r2);
	serve_req(f, ALL, "GET", "/ca/" ROOT_SLUG ".crt", "", &r);
	assert_int_equal(r.status, 200);
	pki_response_clear(&r);
}

/* Send a conditional GET of path with header line hl; return the
 * status, checking that a 304 has no body and keeps its validators. */
static int
cond(struct fx *f, const char *method, const char *path, const char *hl)
{
	struct pki_response r = { 0 };
	char extra[256];
	int st;

	snprintf(extra, sizeof(extra), "%s\r\n", hl);
	serve_req(f, ALL, method, path, extra, &r);
	st = r.status;
	if (st == 304) {
		assert_null(r.body);
		assert_int_equal(r.body_len, 0);
		assert_true(hdr(&r, "ETag") != NULL ||
			    hdr(&r, "Last-Modified") != NULL);
	}
	pki_response_clear(&r);
	return st;
}

static void
test_conditional(void **state)
{
	struct fx *f = *state;
	struct pki_response r = { 0 };
	const char *crl = "/crl/" ISSUING_SLUG ".crl";
	char etag[64], hl[256], date[PKI_HTTP_DATE_LEN], b64[4096];
	char target[4200];
	gnutls_datum_t der;

	make_crls(f);
	serve_req(f, ALL, "GET", crl, "", &r);
	assert_int_equal(r.status, 200);
	snprintf(etag, sizeof(etag), "%s", hdr(&r, "ETag"));
	pki_response_clear(&r);

	/* If-None-Match: one tag, a list, weak, "*" */
	snprintf(hl, sizeof(hl), "If-None-Match: %s", etag);
	assert_int_equal(cond(f, "GET", crl, hl), 304);
	assert_int_equal(cond(f, "HEAD", crl, hl), 304);
	snprintf(hl, sizeof(hl), "If-None-Match: \"x\", %s ,\"y\"", etag);
	assert_int_equal(cond(f, "GET", crl, hl), 304);
	snprintf(hl, sizeof(hl), "If-None-Match: \"x\",%s", etag);
	assert_int_equal(cond(f, "GET", crl, hl), 304);
	snprintf(hl, sizeof(hl), "If-None-Match: W/%s", etag);
	assert_int_equal(cond(f, "GET", crl, hl), 304);
	assert_int_equal(cond(f, "GET", crl, "If-None-Match: *"), 304);
	assert_int_equal(cond(f, "GET", "/ca/" ROOT_SLUG ".crt",
			      "If-None-Match: *"), 304);
	/* other tags, a tag that merely starts with this one, unquoted */
	assert_int_equal(cond(f, "GET", crl, "If-None-Match: \"x\", \"y\""),
			 200);
	snprintf(hl, sizeof(hl), "If-None-Match: %.*sx\"",
		 (int)strlen(etag) - 1, etag);
	assert_int_equal(cond(f, "GET", crl, hl), 200);
	snprintf(hl, sizeof(hl), "If-None-Match: %sx", etag);
	assert_int_equal(cond(f, "GET", crl, hl), 200);
	snprintf(hl, sizeof(hl), "If-None-Match: %.*s",
		 (int)strlen(etag) - 2, etag + 1);
	assert_int_equal(cond(f, "GET", crl, hl), 200);
	/* If-None-Match wins over If-Modified-Since */
	pki_http_date(NOW, date);
	snprintf(hl, sizeof(hl), "If-None-Match: \"x\"\r\n"
		 "If-Modified-Since: %s", date);
	assert_int_equal(cond(f, "GET", crl, hl), 200);

	/* If-Modified-Since: at or after Last-Modified */
	snprintf(hl, sizeof(hl), "If-Modified-Since: %s", date);
	assert_int_equal(cond(f, "GET", crl, hl), 304);
	pki_http_date(NOW + 86400, date);
	snprintf(hl, sizeof(hl), "If-Modified-Since: %s", date);
	assert_int_equal(cond(f, "GET", crl, hl), 304);
	pki_http_date(NOW - 1, date);
	snprintf(hl, sizeof(hl), "If-Modified-Since: %s", date);
	assert_int_equal(cond(f, "GET", crl, hl), 200);
	/* a date in another format is ignored */
	assert_int_equal(cond(f, "GET", crl, "If-Modified-Since: "
			      "Tuesday, 01-Jan-30 00:00:00 GMT"), 200);
	assert_int_equal(cond(f, "GET", crl, "If-Modified-Since: now"), 200);

	/* no validators, no 304: /health, errors, OCSP by ETag */
	assert_int_equal(cond(f, "GET", "/health", "If-None-Match: *"), 200);
	assert_int_equal(cond(f, "GET", "/nothing", "If-None-Match: *"), 404);
	assert_int_equal(cond(f, "GET", "/crl/" ROOT_SLUG "-delta.crl",
			      "If-None-Match: *"), 404);
	der = ocsp_request(f, f->good, 0);
	base64(der.data, der.size, 1, b64, sizeof(b64));
	gnutls_free(der.data);
	snprintf(target, sizeof(target), "/ocsp/%s", b64);
	assert_int_equal(cond(f, "GET", target, "If-None-Match: *"), 200);
	/* an OCSP GET answer made now is not newer than "now" */
	pki_http_date(NOW, date);
	snprintf(hl, sizeof(hl), "If-Modified-Since: %s", date);
	assert_int_equal(cond(f, "GET", target, hl), 304);
	pki_http_date(NOW - 1, date);
	snprintf(hl, sizeof(hl), "If-Modified-Since: %s", date);
	assert_int_equal(cond(f, "GET", target, hl), 200);
}

static void
test_health_after_crls(void **state)
{
	struct fx *f = *state;
	struct pki_response r = { 0 };
	char *body;

	make_crls(f);
	serve_req(f, ALL, "GET", "/health", "", &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.note, "ok");
	body = body_str(&r);
	assert_non_null(strstr(body, "\"status\": \"ok\""));
	assert_non_null(strstr(body, "\"fresh\": true"));
	assert_non_null(strstr(body, "\"" ROOT "\""));
	assert_non_null(strstr(body, "\"" ISSUING "\""));
	assert_null(strstr(body, "\"crl\": null"));
	free(body);
	pki_response_clear(&r);
	/* the query is not part of the path */
	serve_req(f, ALL, "GET", "/health?verbose=1", "", &r);
	assert_int_equal(r.status, 200);
	pki_response_clear(&r);
}

static void
test_http_date(void **state)
{
	char buf[PKI_HTTP_DATE_LEN];
	int64_t t;
	static const char *const bad[] = {
		"Mon, 06 Nov 1994 08:49:37 GMT",     /* a Sunday */
		"Wed, 29 Feb 2023 00:00:00 GMT",     /* 2023 is not leap */
		"Mon, 29 Feb 2100 00:00:00 GMT",     /* nor is 2100 */
		"Sat, 31 Nov 2029 00:00:00 GMT",
		"Sat, 00 Jan 2000 00:00:00 GMT",
		"Sun, 06 Nov 1994 24:00:00 GMT",
		"Sun, 06 Nov 1994 08:60:37 GMT",
		"Sun, 06 Nov 1994 08:49:61 GMT",
		"Sun, 06 Nov 1969 08:49:37 GMT",
		"Sunday, 06-Nov-94 08:49:37 GMT",    /* RFC 850 */
		"Sun Nov  6 08:49:37 1994",          /* asctime */
		"Sun, 6 Nov 1994 08:49:37 GMT",
		"Sun, 06 Nov 1994 08:49:37 UTC",
		"Sun, 06 Nov 1994 08:49:37 +0000",
		"Sun, 06 nov 1994 08:49:37 GMT",
		"sun, 06 Nov 1994 08:49:37 GMT",
		"Sun, 06 Nov 1994 08:49:37 GMT ",
		"Sun, 06 Nov 1994 08:49:37 GMTX",
		" Sun, 06 Nov 1994 08:49:37 GMT",
		"Sun, 06 Nov 1994 08:49:37 GMT\r\n",
		"Sun, 06 Nov 1994 8:49:37  GMT",
		"Sun, +6 Nov 1994 08:49:37 GMT",
		"Sun, 06 Nov 1994 08-49-37 GMT",
		"Sun, 06 Nov 1994T08:49:37 GMT",
		"1994-11-06T08:49:37Z",
		"",
	};
	size_t i;

	(void)state;
	pki_http_date(784111777, buf);
	assert_string_equal(buf, "Sun, 06 Nov 1994 08:49:37 GMT");
	assert_int_equal(pki_http_date_parse(buf), 784111777);
	pki_http_date(0, buf);
	assert_string_equal(buf, "Thu, 01 Jan 1970 00:00:00 GMT");
	assert_int_equal(pki_http_date_parse(buf), 0);
	pki_http_date(253402300799LL, buf);
	assert_string_equal(buf, "Fri, 31 Dec 9999 23:59:59 GMT");
	assert_int_equal(pki_http_date_parse(buf), 253402300799LL);
	/* out of range: the epoch, never a longer string */
	pki_http_date(253402300800LL, buf);
	assert_string_equal(buf, "Thu, 01 Jan 1970 00:00:00 GMT");
	pki_http_date(-1, buf);
	assert_string_equal(buf, "Thu, 01 Jan 1970 00:00:00 GMT");
	/* round trips across the range, leap days included */
	for (t = 0; t < 253402300799LL; t += 7919LL * 3607) {
		pki_http_date(t, buf);
		assert_int_equal(strlen(buf), PKI_HTTP_DATE_LEN - 1);
		assert_int_equal(pki_http_date_parse(buf), t);
	}
	assert_int_equal(pki_http_date_parse("Tue, 29 Feb 2000 12:00:00 GMT"),
			 951825600);
	assert_int_equal(pki_http_date_parse("Thu, 29 Feb 2024 00:00:00 GMT"),
			 1709164800);
	/* a leap second is the second before */
	assert_int_equal(pki_http_date_parse("Sat, 31 Dec 2016 23:59:60 GMT"),
			 1483228799);
	for (i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		if (pki_http_date_parse(bad[i]) != -1)
			fail_msg("\"%s\" parsed", bad[i]);
	assert_int_equal(pki_http_date_parse(NULL), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		/* first: no CRL has been generated yet */
		cmocka_unit_test(test_before_crls),
		cmocka_unit_test(test_routing),
		cmocka_unit_test(test_head),
		cmocka_unit_test(test_ocsp_post),
		cmocka_unit_test(test_ocsp_get),
		cmocka_unit_test(test_ocsp_get_bad),
		cmocka_unit_test(test_dist),
		cmocka_unit_test(test_conditional),
		cmocka_unit_test(test_health_after_crls),
		cmocka_unit_test(test_http_date),
	};

	gnutls_global_init();
	return cmocka_run_group_tests(tests, setup, teardown);
}
