/*
 * Fuzz target: pki_serve() with every module on, behind pki_http_parse(),
 * over a small state directory made once (LLVMFuzzerInitialize): an
 * offline root, an online issuing CA with CRL, delta and caIssuers URLs,
 * one good and one revoked leaf, full and delta CRLs.  The directory is
 * made under $TMPDIR (or /tmp) and removed at exit.
 *
 * So that OCSP requests reach the certificate lookup and not only
 * "unauthorized", the 20-byte markers "@@spork-name-hash@@@" and
 * "@@spork-key-hash@@@@" in the input are replaced by the issuing CA's
 * SHA-1 name and key hashes (the CA's key is new at every start-up);
 * tests/fuzz/corpus/serve/ has POST bodies that use them.
 *
 * Contract checked (a violation aborts): pki_serve returns PKI_OK with a
 * status spork sends (never 500 here: the store and key are sound); the
 * response head can be written (pki_http_response_head: headers without
 * CR/LF); a body length goes with a body; a 304 answers GET or HEAD,
 * has no body and keeps a validator; a 405 says Allow; caching headers
 * come only with 200 or 304; the log note is a terminated string.
 * With FUZZ_SERVE_VERBOSE set, each answer is shown on stderr.
 */
#include <config.h>

#include <errno.h>
#include <ftw.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PASS "fuzz passphrase"
#define NOW 1893456000LL                /* 2030-01-01 */
#define ISSUING "Serve Fuzz Issuing"
#define MARK_LEN 20

static const char name_mark[MARK_LEN + 1] = "@@spork-name-hash@@@";
static const char key_mark[MARK_LEN + 1] = "@@spork-key-hash@@@@";

static const char hier_toml[] =
	"[root]\n"
	"common_name = \"Serve Fuzz Root\"\n"
	"algorithm = \"ecdsa-p256\"\n"
	"validity_years = 10\n"
	"key = \"offline\"\n"
	"[[issuing_cas]]\n"
	"common_name = \"" ISSUING "\"\n"
	"algorithm = \"ecdsa-p256\"\n"
	"validity_years = 2\n"
	"key = \"online\"\n"
	"ocsp_urls = [\"http://pki.fuzz.example/ocsp\"]\n"
	"crl_urls = [\"http://pki.fuzz.example/pub/issuing.crl\"]\n"
	"delta_crl_urls = [\"http://pki.fuzz.example/pub/delta.crl\"]\n"
	"ca_issuers_urls = [\"http://pki.fuzz.example/pub/issuing.crt\"]\n";

static const char policy_toml[] =
	"[[allow]]\n"
	"pattern = \"*.fuzz.example\"\n";

static char dir[256];
static struct pki_state *state;
static int verbose;                     /* FUZZ_SERVE_VERBOSE set */
static unsigned char name_hash[MARK_LEN], key_hash[MARK_LEN];

static void
die(const char *what, const char *why)
{
	fprintf(stderr, "fuzz-serve: %s: %s\n", what, why);
	abort();
}

static int
passfn(void *ctx, const char *label, enum pki_pass_purpose purpose,
       char *buf, size_t size, struct pki_error *err)
{
	(void)ctx;
	(void)label;
	(void)purpose;
	(void)err;
	snprintf(buf, size, "%s", PASS);
	return PKI_OK;
}

static void
write_file(const char *name, const char *text)
{
	char path[512];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((fp = fopen(path, "w")) == NULL || fputs(text, fp) < 0 ||
	    fclose(fp) != 0)
		die(path, strerror(errno));
}

static void
open_state(enum pki_state_purpose purpose, int64_t now, struct pki_state **s)
{
	struct pki_state_opts o;
	struct pki_error err = { 0 };

	memset(&o, 0, sizeof(o));
	o.purpose = purpose;
	o.create = purpose == PKI_STATE_CLI;
	o.passfn = passfn;
	o.actor = "fuzz";
	o.now = now;
	o.argon2.m_cost_kib = PKI_ARGON2_MIN_KIB;   /* cheap: 8 MiB, 1 pass */
	o.argon2.t_cost = 1;
	if (pki_state_open(dir, &o, s, &err) != PKI_OK)
		die("state open", err.msg);
}

/* Issue a leaf for cn; its DER into *der (gnutls_free). */
static void
issue(struct pki_enroll *e, const char *cn, gnutls_datum_t *der)
{
	struct pki_enroll_request req;
	struct pki_enroll_result res;
	struct pki_error err = { 0 };

	memset(&req, 0, sizeof(req));
	memset(&res, 0, sizeof(res));
	req.profile = "tls-server";
	req.cn = cn;
	req.days = 30;
	req.key_alg = PKI_KEY_ECDSA_P256;
	if (pki_enroll_add_sans(&req, cn, &err) != PKI_OK ||
	    pki_enroll_issue(e, &req, &res, &err) != PKI_OK)
		die("issue", err.msg);
	der->size = res.der.size;
	if ((der->data = gnutls_malloc(der->size)) == NULL)
		die("issue", "out of memory");
	memcpy(der->data, res.der.data, der->size);
	pki_enroll_result_clear(&res);
	pki_enroll_request_clear(&req);
}

/* The issuing CA's name and key hashes, as a client's CertID has them. */
static void
issuer_hashes(struct pki_state *s, const gnutls_datum_t *leaf_der)
{
	struct pki_ca_record r;
	struct pki_error err = { 0 };
	gnutls_x509_crt_t ca = NULL, leaf = NULL;
	gnutls_ocsp_req_t req = NULL;
	gnutls_digest_algorithm_t dig;
	gnutls_datum_t nh = { NULL, 0 }, kh = { NULL, 0 }, sn = { NULL, 0 };

	memset(&r, 0, sizeof(r));
	if (pki_store_ca_get(pki_state_store(s), ISSUING, &r, &err) != PKI_OK)
		die("ca_get", err.msg);
	if (gnutls_x509_crt_init(&ca) < 0 || gnutls_x509_crt_init(&leaf) < 0 ||
	    gnutls_x509_crt_import(ca, &r.cert_der, GNUTLS_X509_FMT_DER) < 0 ||
	    gnutls_x509_crt_import(leaf, leaf_der, GNUTLS_X509_FMT_DER) < 0 ||
	    gnutls_ocsp_req_init(&req) < 0 ||
	    gnutls_ocsp_req_add_cert(req, GNUTLS_DIG_SHA1, ca, leaf) < 0 ||
	    gnutls_ocsp_req_get_cert_id(req, 0, &dig, &nh, &kh, &sn) < 0 ||
	    nh.size != MARK_LEN || kh.size != MARK_LEN)
		die("issuer hashes", "GnuTLS refused");
	memcpy(name_hash, nh.data, MARK_LEN);
	memcpy(key_hash, kh.data, MARK_LEN);
	gnutls_free(nh.data);
	gnutls_free(kh.data);
	gnutls_free(sn.data);
	gnutls_ocsp_req_deinit(req);
	gnutls_x509_crt_deinit(leaf);
	gnutls_x509_crt_deinit(ca);
	pki_ca_record_clear(&r);
}

static int
remove_entry(const char *path, const struct stat *sb, int flag,
	     struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

static void
cleanup(void)
{
	if (state != NULL)
		pki_state_close(state);
	state = NULL;
	if (dir[0] != '\0')
		nftw(dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *tmp = getenv("TMPDIR");
	struct pki_error err = { 0 };
	struct pki_hier_plan *plan = NULL;
	struct pki_hier_result *res = NULL;
	struct pki_diags d = { 0, NULL, 0 };
	struct pki_crlgen_opts co;
	struct pki_crlgen_result cr;
	struct pki_cert_record rec;
	struct pki_enroll e;
	struct pki_state *s = NULL;
	gnutls_datum_t good = { NULL, 0 }, revoked = { NULL, 0 };
	gnutls_x509_crt_t crt = NULL;
	unsigned char raw[64];
	char serial[160], path[512];
	size_t n = sizeof(raw), i;

	(void)argc;
	(void)argv;
	verbose = getenv("FUZZ_SERVE_VERBOSE") != NULL;
	gnutls_global_init();
	snprintf(dir, sizeof(dir), "%s/spork-fuzz-serve.XXXXXX",
		 tmp != NULL && *tmp != '\0' ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL)
		die(dir, strerror(errno));
	atexit(cleanup);
	write_file("h.toml", hier_toml);
	snprintf(path, sizeof(path), "%s/h.toml", dir);
	if (pki_hier_load(path, 0, &plan, &d, &err) != PKI_OK)
		die("hier_load", err.msg);
	open_state(PKI_STATE_CLI, NOW - 86400, &s);
	if (pki_hier_build(plan, s, 0, &res, &err) != PKI_OK)
		die("hier_build", err.msg);
	pki_hier_results_free(res, plan->n);
	pki_hier_free(plan);
	write_file("domain-policy.toml", policy_toml);
	memset(&e, 0, sizeof(e));
	e.state = s;
	e.source = "fuzz";
	issue(&e, "good.fuzz.example", &good);
	issue(&e, "revoked.fuzz.example", &revoked);
	if (gnutls_x509_crt_init(&crt) < 0 ||
	    gnutls_x509_crt_import(crt, &revoked, GNUTLS_X509_FMT_DER) < 0 ||
	    gnutls_x509_crt_get_serial(crt, raw, &n) < 0)
		die("revoked serial", "GnuTLS refused");
	gnutls_x509_crt_deinit(crt);
	for (i = 0; i < n; i++)
		snprintf(serial + 2 * i, 3, "%02x", raw[i]);
	memset(&rec, 0, sizeof(rec));
	if (pki_enroll_revoke(&e, serial, NULL, 1, 0, &rec, &err) != PKI_OK)
		die("revoke", err.msg);
	pki_cert_record_clear(&rec);
	issuer_hashes(s, &good);
	gnutls_free(good.data);
	gnutls_free(revoked.data);
	pki_state_close(s);

	/* CRLs a little later, as cron would make them */
	open_state(PKI_STATE_CLI, NOW - 3600, &s);
	memset(&co, 0, sizeof(co));
	memset(&cr, 0, sizeof(cr));
	if (pki_crlgen_generate(s, "Serve Fuzz Root", &co, &cr, &err) != PKI_OK)
		die("crlgen root", err.msg);
	pki_crlgen_result_clear(&cr);
	if (pki_crlgen_generate(s, ISSUING, &co, &cr, &err) != PKI_OK)
		die("crlgen issuing", err.msg);
	pki_crlgen_result_clear(&cr);
	co.delta = 1;
	if (pki_crlgen_generate(s, ISSUING, &co, &cr, &err) != PKI_OK)
		die("crlgen delta", err.msg);
	pki_crlgen_result_clear(&cr);
	pki_state_close(s);

	/* What a handler holds: online keys only. */
	open_state(PKI_STATE_ONLINE, NOW, &state);
	return 0;
}

/* Replace every 20-byte mark in buf (len bytes) by hash. */
static void
replace_marks(unsigned char *buf, size_t len, const char *mark,
	      const unsigned char *hash)
{
	unsigned char *p = buf;

	while (len - (size_t)(p - buf) >= MARK_LEN &&
	       (p = memmem(p, len - (size_t)(p - buf), mark, MARK_LEN)) !=
	       NULL) {
		memcpy(p, hash, MARK_LEN);
		p += MARK_LEN;
	}
}

/* The value of response header name, or NULL. */
static const char *
header(const struct pki_response *r, const char *name)
{
	size_t i, n = strlen(name);

	for (i = 0; i < r->nheaders; i++)
		if (strncmp(r->headers[i], name, n) == 0 &&
		    r->headers[i][n] == ':')
			return r->headers[i] + n + 1;
	return NULL;
}

static void
check_response(const struct pki_http_request *req,
	       const struct pki_response *r)
{
	char head[4096];
	size_t i, len = 0;
	struct pki_error err;

	switch (r->status) {
	case 200: case 304: case 400: case 404: case 405: case 415: case 503:
		break;
	default:
		abort();
	}
	if (r->nheaders > PKI_RESPONSE_MAX_HEADERS ||
	    (r->body_len > 0) != (r->body != NULL) ||
	    memchr(r->note, '\0', sizeof(r->note)) == NULL)
		abort();
	for (i = 0; i < r->nheaders; i++)
		if (r->headers[i] == NULL || strstr(r->headers[i], ": ") == NULL)
			abort();
	if (pki_http_response_head(head, sizeof(head), r->status,
				   (const char *const *)r->headers,
				   r->nheaders, r->body_len, 1, &len,
				   &err) != PKI_OK)
		abort();
	if (r->status == 304 &&
	    ((req->method != PKI_HTTP_GET && req->method != PKI_HTTP_HEAD) ||
	     r->body != NULL ||
	     (header(r, "ETag") == NULL && header(r, "Last-Modified") == NULL)))
		abort();
	if (r->status == 405 && header(r, "Allow") == NULL)
		abort();
	if (r->status != 200 && r->status != 304 &&
	    (header(r, "Expires") != NULL || header(r, "ETag") != NULL ||
	     header(r, "Last-Modified") != NULL))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pki_serve_opts o;
	struct pki_http_request req;
	struct pki_response resp;
	struct pki_error err;
	unsigned char *buf;
	size_t consumed = 0;
	int status = 0;

	if ((buf = malloc(size ? size : 1)) == NULL)
		return 0;
	memcpy(buf, data, size);
	replace_marks(buf, size, name_mark, name_hash);
	replace_marks(buf, size, key_mark, key_hash);
	pki_error_clear(&err);
	if (pki_http_parse(buf, size, NULL, &req, &consumed, &status, &err) !=
	    PKI_OK || consumed == 0) {
		free(buf);
		return 0;
	}
	memset(&o, 0, sizeof(o));
	o.modules = PKI_SERVE_OCSP | PKI_SERVE_CRL | PKI_SERVE_CA |
		PKI_SERVE_HEALTH | PKI_SERVE_METRICS;
	/* OCSP at "/ocsp" or at the root (where every path no other module
	 * takes is an OCSP GET): a byte after the request chooses */
	o.ocsp_mount = size & 1 ? "/ocsp" : NULL;
	memset(&resp, 0, sizeof(resp));
	if (pki_serve(state, &o, &req, &resp, &err) != PKI_OK) {
		fprintf(stderr, "fuzz-serve: pki_serve: %s\n", err.msg);
		abort();
	}
	if (verbose)
		fprintf(stderr, "fuzz-serve: %s %.60s -> %d %s %s\n",
			req.method_name, req.target, resp.status,
			resp.module ? resp.module : "-", resp.note);
	check_response(&req, &resp);
	pki_response_clear(&resp);
	pki_http_request_clear(&req);
	free(buf);
	return 0;
}
