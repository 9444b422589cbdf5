/*
 * serve-int: what the modules behind pki_serve share; internal.
 */
#ifndef PKI_SERVE_INT_H
#define PKI_SERVE_INT_H

#include <spork/serve.h>

/* Add the header "name: value" (printf format) to r.  PKI_E_NOMEM, or
 * PKI_E_INVALID when r has PKI_RESPONSE_MAX_HEADERS already. */
int pki__resp_header(struct pki_response *r, const char *fmt, ...)
	PKI_WUR __attribute__((format(printf, 2, 3)));

/* Set status and a copy of the len bytes of body with its type. */
int pki__resp_body(struct pki_response *r, int status, const char *type,
		   const void *body, size_t len) PKI_WUR;

/* A short text/plain answer ("404 Not Found\n" when text is NULL). */
int pki__resp_text(struct pki_response *r, int status, const char *text)
	PKI_WUR;

/* 405 with Allow: GET, HEAD (and POST when post). */
int pki__resp_not_allowed(struct pki_response *r, int post) PKI_WUR;

/* ETag ("..." of the first 16 bytes of SHA-256 of the body) and, when
 * modified > 0, Last-Modified. */
int pki__resp_validators(struct pki_response *r, int64_t modified) PKI_WUR;

/* The path of an absolute http(s) URL ("/crl/x.crl"), borrowed from url
 * up to its query or end, with its length; NULL when url has none. */
const char *pki__url_path(const char *url, size_t *len);

/*
 * The modules.  Each answers a request for a path it owns and returns
 * PKI_OK with *resp filled, PKI_E_NOTFOUND (resp untouched) when the path
 * is not its, PKI_E_NOMEM; failures inside are 500s with err set.
 */
int pki__serve_ocsp(struct pki_state *s, const struct pki_serve_opts *o,
		    const struct pki_http_request *req,
		    struct pki_response *resp, struct pki_error *err) PKI_WUR;
int pki__serve_dist(struct pki_state *s, unsigned modules,
		    const struct pki_http_request *req,
		    struct pki_response *resp, struct pki_error *err) PKI_WUR;
int pki__serve_health(struct pki_state *s, const struct pki_http_request *req,
		      struct pki_response *resp, struct pki_error *err) PKI_WUR;
int pki__serve_metrics(struct pki_state *s, const struct pki_http_request *req,
		       struct pki_response *resp,
		       struct pki_error *err) PKI_WUR;

#endif
