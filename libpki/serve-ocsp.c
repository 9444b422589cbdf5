/* serve-ocsp: OCSP over HTTP (RFC 6960 appendix A, RFC 5019 section 5):
 * POST bodies and base64 GET paths, answered by pki_ocsp_respond. */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <nettle/base64.h>

#include "ocsp-int.h"
#include "serve-int.h"
#include "util.h"

#define OCSP_TYPE "application/ocsp-response"
/* The largest DER request taken from a GET path (the request target is
 * bounded by the HTTP parser too), and the length of its base64. */
#define GET_DER_MAX 4096
#define GET_B64_MAX ((GET_DER_MAX + 2) / 3 * 4)

/* The part of path under mount: "" for the mount itself, the rest after
 * "<mount>/" for a GET, NULL when path is not under mount. */
static const char *
under_mount(const char *path, const char *mount)
{
	size_t n;

	if (mount == NULL || *mount == '\0' || strcmp(mount, "/") == 0)
		return path[0] == '/' ? path + 1 : NULL;
	n = strlen(mount);
	while (n > 0 && mount[n - 1] == '/')
		n--;
	if (strncmp(path, mount, n) != 0)
		return NULL;
	if (path[n] == '\0')
		return path + n;
	return path[n] == '/' ? path + n + 1 : NULL;
}

/* Whether c is in the base64 alphabet or is its padding ('='). */
static int
is_b64(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		(c >= '0' && c <= '9') || c == '+' || c == '/' || c == '=';
}

/* Percent-decode then base64-decode a GET request (RFC 6960 A.1: the
 * base64 of the DER, URL-encoded; clients also send '+' and '/' as they
 * are).  Bounded; -1 for anything that is not exactly that (nettle
 * would skip white space: it is refused here). */
static int
get_der(const char *enc, unsigned char der[GET_DER_MAX], size_t *der_len)
{
	struct base64_decode_ctx ctx;
	char b64[GET_B64_MAX];
	/* base64_decode_update's length is an output only: it writes up
	 * to BASE64_DECODE_LENGTH bytes, so decode into room for that and
	 * check the length after. */
	unsigned char buf[BASE64_DECODE_LENGTH(GET_B64_MAX)];
	size_t n = 0, out = 0;
	int hi, lo;

	for (; *enc != '\0'; enc++) {
		if (n >= sizeof(b64))
			return -1;
		if (*enc == '%') {
			if ((hi = pki__hexval(enc[1])) < 0 ||
			    (lo = pki__hexval(enc[2])) < 0)
				return -1;
			b64[n++] = (char)(hi << 4 | lo);
			enc += 2;
		} else {
			b64[n++] = *enc;
		}
		if (!is_b64(b64[n - 1]))
			return -1;
	}
	if (n == 0 || n % 4 != 0)
		return -1;
	base64_decode_init(&ctx);
	if (!base64_decode_update(&ctx, &out, buf, n, b64) ||
	    !base64_decode_final(&ctx) || out > GET_DER_MAX)
		return -1;
	memcpy(der, buf, out);
	*der_len = out;
	return 0;
}

/* RFC 5019 5: a GET answer may be cached until its nextUpdate. */
static int
cache_headers(struct pki_response *r, int64_t now,
	      const struct pki_ocsp_answer *a)
{
	char date[PKI_HTTP_DATE_LEN];
	int64_t age = a->next_update > now ? a->next_update - now : 0;
	int rc;

	if (a->presigned) {
		/* The same bytes until presigned again: an ETag (of the
		 * body) for conditional GETs, modified at thisUpdate. */
		if ((rc = pki__resp_validators(r, a->this_update)) != PKI_OK)
			return rc;
	} else {
		/* Signed on request, every answer differs (producedAt, and
		 * ECDSA signatures are randomised): Last-Modified, no ETag. */
		pki_http_date(now, date);
		if ((rc = pki__resp_header(r, "Last-Modified: %s", date)) !=
		    PKI_OK)
			return rc;
	}
	pki_http_date(now + age, date);
	if ((rc = pki__resp_header(r, "Expires: %s", date)) != PKI_OK)
		return rc;
	return pki__resp_header(r, "Cache-Control: max-age=%lld, public, "
				"no-transform, must-revalidate",
				(long long)age);
}

static const char *const status_word[PKI_OCSP_UNKNOWN + 1] = {
	[PKI_OCSP_GOOD] = "good", [PKI_OCSP_REVOKED] = "revoked",
	[PKI_OCSP_UNKNOWN] = "unknown",
};

/* A note for the log: "good", "revoked,good", "malformedRequest" ... */
static void
note_of(const struct pki_ocsp_answer *a, struct pki_response *r)
{
	static const char *const rs[] = { "successful", "malformedRequest",
		"internalError", "tryLater", "", "sigRequired",
		"unauthorized" };
	size_t i, off = 0;
	const char *w;

	if (a->response_status != 0) {
		snprintf(r->note, sizeof(r->note), "%s",
			 rs[a->response_status]);
		return;
	}
	for (i = 0; i < a->n && off + 10 < sizeof(r->note); i++) {
		w = a->status[i] <= PKI_OCSP_UNKNOWN ?
			status_word[a->status[i]] : "?";
		off += (size_t)snprintf(r->note + off, sizeof(r->note) - off,
					"%s%s", i ? "," : "", w);
	}
	/* how it was signed: ahead of time, or now by a delegate */
	if (off + 12 < sizeof(r->note) && (a->presigned || a->delegated))
		snprintf(r->note + off, sizeof(r->note) - off, "/%s",
			 a->presigned ? "presigned" : "delegated");
}

/* The answers, for the counters of /metrics. */
static void
count(const struct pki_ocsp_answer *a, struct pki_response *r)
{
	size_t i;

	switch (a->response_status) {
	case 0:
		for (i = 0; i < a->n; i++)
			r->ocsp[a->status[i] == PKI_OCSP_GOOD ?
				PKI_SERVE_OCSP_GOOD :
				a->status[i] == PKI_OCSP_REVOKED ?
				PKI_SERVE_OCSP_REVOKED :
				PKI_SERVE_OCSP_UNKNOWN]++;
		break;
	case 1:
		r->ocsp[PKI_SERVE_OCSP_MALFORMED]++;
		break;
	case 6:
		r->ocsp[PKI_SERVE_OCSP_UNAUTHORIZED]++;
		break;
	default:
		r->ocsp[PKI_SERVE_OCSP_INTERNAL]++;
		break;
	}
}

int
pki__serve_ocsp(struct pki_state *s, const struct pki_serve_opts *o,
		const struct pki_http_request *req, struct pki_response *resp,
		struct pki_error *err)
{
	struct pki_ocsp_respond_opts ro = { 0 };
	struct pki_ocsp_answer a;
	unsigned char get[GET_DER_MAX];
	const unsigned char *der;
	const char *rest = under_mount(req->path, o->ocsp_mount), *type;
	gnutls_datum_t out = { NULL, 0 };
	size_t len = 0;
	int is_get, rc;

	if (rest == NULL)
		return PKI_E_NOTFOUND;
	resp->module = "ocsp";
	is_get = req->method == PKI_HTTP_GET || req->method == PKI_HTTP_HEAD;
	if (is_get && *rest != '\0') {
		if (get_der(rest, get, &len) != 0) {
			snprintf(resp->note, sizeof(resp->note),
				 "GET path is not base64");
			return pki__resp_text(resp, 400, NULL);
		}
		der = get;
	} else if (req->method == PKI_HTTP_POST && *rest == '\0') {
		type = pki_http_header(req, "content-type");
		if (type == NULL || strcasecmp(type, "application/ocsp-request")
		    != 0) {
			snprintf(resp->note, sizeof(resp->note),
				 "not application/ocsp-request");
			return pki__resp_text(resp, 415, NULL);
		}
		der = req->body;
		len = req->body_len;
	} else if (is_get || req->method == PKI_HTTP_POST) {
		return PKI_E_NOTFOUND;
	} else {
		return pki__resp_not_allowed(resp, 1);
	}
	ro.validity = o->ocsp_validity > 0 ? o->ocsp_validity : 3600;
	if (pki_ocsp_respond(s, der, len, &ro, &out, &a, err) != PKI_OK) {
		/* not even an error response could be made */
		snprintf(resp->note, sizeof(resp->note), "no response");
		return pki__resp_text(resp, 500, NULL);
	}
	note_of(&a, resp);
	count(&a, resp);
	rc = pki__resp_body(resp, 200, OCSP_TYPE, out.data, out.size);
	gnutls_free(out.data);
	if (rc != PKI_OK)
		return rc;
	/* Only a successful answer to a GET is cached; an error, or a
	 * nonce-bearing POST answer, is not. */
	if (is_get && a.response_status == 0 && !a.nonce)
		return cache_headers(resp, pki_state_now(s), &a);
	return pki__resp_header(resp, "Cache-Control: no-store");
}
