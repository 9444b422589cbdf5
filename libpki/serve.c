/* serve: the modules behind one entry point, and what they share
 * (serve.h, serve-int.h). */
#include <config.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <gnutls/gnutls.h>
#include <gnutls/crypto.h>

#include "serve-int.h"
#include "util.h"

void
pki_response_clear(struct pki_response *r)
{
	size_t i;

	if (r == NULL)
		return;
	for (i = 0; i < r->nheaders; i++)
		free(r->headers[i]);
	free(r->body);
	memset(r, 0, sizeof(*r));
}

int
pki__resp_header(struct pki_response *r, const char *fmt, ...)
{
	va_list ap;
	char *h = NULL;
	int n;

	if (r->nheaders >= PKI_RESPONSE_MAX_HEADERS)
		return PKI_E_INVALID;
	va_start(ap, fmt);
	n = vasprintf(&h, fmt, ap);
	va_end(ap);
	if (n < 0)
		return PKI_E_NOMEM;
	r->headers[r->nheaders++] = h;
	return PKI_OK;
}

int
pki__resp_body(struct pki_response *r, int status, const char *type,
	       const void *body, size_t len)
{
	free(r->body);
	r->body = NULL;
	r->body_len = 0;
	r->status = status;
	if (len > 0) {
		if ((r->body = malloc(len)) == NULL)
			return PKI_E_NOMEM;
		memcpy(r->body, body, len);
		r->body_len = len;
	}
	return type != NULL ? pki__resp_header(r, "Content-Type: %s", type) :
		PKI_OK;
}

int
pki__resp_text(struct pki_response *r, int status, const char *text)
{
	char buf[128];

	if (text == NULL) {
		snprintf(buf, sizeof(buf), "%d %s\n", status,
			 pki_http_reason(status));
		text = buf;
	}
	return pki__resp_body(r, status, "text/plain; charset=utf-8", text,
			      strlen(text));
}

int
pki__resp_not_allowed(struct pki_response *r, int post)
{
	int rc;

	if ((rc = pki__resp_text(r, 405, NULL)) != PKI_OK)
		return rc;
	return pki__resp_header(r, "Allow: GET, HEAD%s", post ? ", POST" : "");
}

int
pki__resp_validators(struct pki_response *r, int64_t modified)
{
	unsigned char h[32];
	char hex[33], date[PKI_HTTP_DATE_LEN];
	int rc;

	if (gnutls_hash_fast(GNUTLS_DIG_SHA256, r->body, r->body_len, h) < 0)
		return PKI_E_NOMEM;
	pki__hex(h, 16, hex);
	if ((rc = pki__resp_header(r, "ETag: \"%s\"", hex)) != PKI_OK)
		return rc;
	if (modified <= 0)
		return PKI_OK;
	pki_http_date(modified, date);
	return pki__resp_header(r, "Last-Modified: %s", date);
}

const char *
pki__url_path(const char *url, size_t *len)
{
	const char *p;

	if (strncmp(url, "http://", 7) == 0)
		p = url + 7;
	else if (strncmp(url, "https://", 8) == 0)
		p = url + 8;
	else
		return NULL;
	if ((p = strchr(p, '/')) == NULL)
		return NULL;
	*len = strcspn(p, "?#");
	return p;
}

/* The value of response header name ("ETag"), or NULL. */
static const char *
resp_header(const struct pki_response *r, const char *name)
{
	size_t i, n = strlen(name);

	for (i = 0; i < r->nheaders; i++)
		if (strncasecmp(r->headers[i], name, n) == 0 &&
		    r->headers[i][n] == ':')
			return r->headers[i] + n + 2;
	return NULL;
}

/* Whether etag is one of the entity tags of an If-None-Match list. */
static int
etag_listed(const char *list, const char *etag)
{
	size_t n = strlen(etag);
	const char *p = list;

	while (*p != '\0') {
		p += strspn(p, " \t,");
		if (*p == '*')
			return 1;
		if (strncmp(p, "W/", 2) == 0)
			p += 2;
		if (strncmp(p, etag, n) == 0 &&
		    (p[n] == '\0' || p[n] == ',' || p[n] == ' ' ||
		     p[n] == '\t'))
			return 1;
		p += strcspn(p, ",");
	}
	return 0;
}

/* A 200 to GET/HEAD that the client already holds becomes 304 (RFC 9110
 * 13.1.2, 13.1.3): If-None-Match wins over If-Modified-Since. */
static void
conditional(const struct pki_http_request *req, struct pki_response *r)
{
	const char *inm = pki_http_header(req, "if-none-match");
	const char *ims = pki_http_header(req, "if-modified-since");
	const char *etag = resp_header(r, "ETag");
	const char *lm = resp_header(r, "Last-Modified");
	int64_t since, mod;
	int hit = 0;

	if (r->status != 200 || (req->method != PKI_HTTP_GET &&
				 req->method != PKI_HTTP_HEAD))
		return;
	if (inm != NULL) {
		hit = etag != NULL && etag_listed(inm, etag);
	} else if (ims != NULL && lm != NULL) {
		since = pki_http_date_parse(ims);
		mod = pki_http_date_parse(lm);
		hit = since >= 0 && mod >= 0 && mod <= since;
	}
	if (!hit)
		return;
	r->status = 304;
	free(r->body);
	r->body = NULL;
	r->body_len = 0;
}

int
pki_serve(struct pki_state *s, const struct pki_serve_opts *o,
	  const struct pki_http_request *req, struct pki_response *resp,
	  struct pki_error *err)
{
	int rc = PKI_E_NOTFOUND;

	memset(resp, 0, sizeof(*resp));
	if ((o->modules & PKI_SERVE_HEALTH) && strcmp(req->path, "/health") == 0)
		rc = pki__serve_health(s, req, resp, err);
	if ((o->modules & PKI_SERVE_METRICS) &&
	    strcmp(req->path, "/metrics") == 0)
		rc = pki__serve_metrics(s, req, resp, err);
	if (rc == PKI_E_NOTFOUND && (o->modules & (PKI_SERVE_CRL | PKI_SERVE_CA)))
		rc = pki__serve_dist(s, o->modules, req, resp, err);
	if (rc == PKI_E_NOTFOUND && (o->modules & PKI_SERVE_OCSP))
		rc = pki__serve_ocsp(s, o, req, resp, err);
	if (rc == PKI_E_NOTFOUND) {
		pki_response_clear(resp);
		rc = pki__resp_text(resp, 404, NULL);
	}
	if (rc != PKI_OK) {
		pki_response_clear(resp);
		return pki_error_set(err, PKI_E_NOMEM, "out of memory");
	}
	conditional(req, resp);
	return PKI_OK;
}
