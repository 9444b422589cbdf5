/*
 * http: a strict, bounded HTTP/1.1 request parser and response writer for
 * spork's protocol handlers (one process per connection).
 *
 * The parser works on bytes already read (pki_http_parse), so it is unit
 * tested and fuzzed with byte strings; pki_http_read pulls bytes through
 * a caller's read callback (a plain socket or a GnuTLS session) and keeps
 * what follows a request for the next one (pipelining).
 *
 * What it accepts, and what it answers otherwise (the status in *status):
 *  - a request line "METHOD SP origin-form SP HTTP/1.0|1.1 CRLF", the
 *    target at most limits.max_target bytes (414), the method GET, HEAD,
 *    POST, PUT, DELETE or OPTIONS (another token: 501), another HTTP
 *    version 505; lines end with CRLF (a bare LF is 400);
 *  - header fields "name: value" (no space before the colon, no obsolete
 *    line folding, no control characters: 400), at most max_headers of
 *    them in at most max_header_bytes (431); HTTP/1.1 needs exactly one
 *    Host (400);
 *  - a body given by Content-Length (digits only; several that differ:
 *    400; more than max_body: 413); Transfer-Encoding chunked is refused
 *    with 411 (send Content-Length), any other transfer coding with 501,
 *    and a request with both with 400;
 *  - Expect: 100-continue (flagged, so the caller can send
 *    "100 Continue" before the body); other expectations 417.
 * Nothing is repaired: what does not fit is refused.
 */
#ifndef PKI_HTTP_H
#define PKI_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "pki.h"

/* Bounds of one request; zero fields take the defaults shown. */
struct pki_http_limits {
	size_t max_target;        /* 8192 bytes */
	size_t max_header_bytes;  /* 16384 bytes, request line included */
	unsigned max_headers;     /* 64 */
	size_t max_body;          /* 1 MiB */
};

enum pki_http_method {
	PKI_HTTP_GET,
	PKI_HTTP_HEAD,
	PKI_HTTP_POST,
	PKI_HTTP_PUT,
	PKI_HTTP_DELETE,
	PKI_HTTP_OPTIONS,
	PKI_HTTP_METHOD__MAX
};

/* One header field; name in lower case, value without surrounding
 * white space.  Borrowed from the request. */
struct pki_http_header {
	const char *name;
	const char *value;
};

/*
 * A parsed request.  Every pointer points into storage the request owns;
 * free with pki_http_request_clear.
 */
struct pki_http_request {
	enum pki_http_method method;
	const char *method_name;  /* "GET" ... */
	const char *target;       /* as sent: "/ocsp/MEU...?x=1" */
	const char *path;         /* the target up to '?', not decoded */
	const char *query;        /* after '?', or NULL */
	int minor;                /* HTTP/1.minor: 0 or 1 */
	struct pki_http_header *headers;
	size_t nheaders;
	const unsigned char *body; /* Content-Length bytes (NULL when 0) */
	size_t body_len;
	int keep_alive;           /* the client may send another request */
	int expect_continue;      /* Expect: 100-continue */
	char *storage;            /* owned: the head's copy */
	unsigned char *body_storage; /* owned: the body */
	/* Set by the caller after the request is read, for the protocol
	 * modules; borrowed from the caller, who keeps them until the
	 * request is cleared.  The parser leaves them NULL. */
	const char *client_addr;  /* the client's address as text (behind
				     a trusted proxy, the one it forwarded:
				     forwarded.h); NULL: unknown */
	const unsigned char *client_cert; /* DER of the TLS client's
					     verified certificate (the
					     leaf); NULL: none */
	size_t client_cert_len;
	const char *client_subject; /* its subject, RFC 4514; NULL: none */
};
void pki_http_request_clear(struct pki_http_request *r);

/* The value of header name (lower case) or NULL; the first if several. */
const char *pki_http_header(const struct pki_http_request *r,
			    const char *name);

/* "GET" ...; NULL for an unknown value. */
const char *pki_http_method_name(enum pki_http_method m);

/*
 * Parse one request from the len bytes at buf.  Returns PKI_OK with
 * *consumed > 0 and *req filled when a whole request (head and body) is
 * there; PKI_OK with *consumed == 0 when more bytes are needed (and
 * fewer than the limits allow were seen); otherwise PKI_E_PARSE or
 * PKI_E_UNSUPPORTED with *status the HTTP status to answer (400, 411,
 * 413, 414, 417, 431, 501, 505) and err saying what was wrong.
 * limits NULL: the defaults.  *req is zeroed first.
 */
int pki_http_parse(const unsigned char *buf, size_t len,
		   const struct pki_http_limits *limits,
		   struct pki_http_request *req, size_t *consumed, int *status,
		   struct pki_error *err) PKI_WUR;

/* Reads at most n bytes into buf: the count, 0 at end of input, -1 on
 * error (errno set; EINTR is retried by the caller of the callback). */
typedef ssize_t (*pki_http_read_fn)(void *ctx, void *buf, size_t n);

struct pki_http_conn;

/* A connection reading through fn(ctx); free with pki_http_conn_free.
 * NULL when out of memory. */
struct pki_http_conn *pki_http_conn_new(pki_http_read_fn fn, void *ctx,
					const struct pki_http_limits *limits);
void pki_http_conn_free(struct pki_http_conn *c);

/*
 * Read the next request.  PKI_OK: *req is filled.  PKI_E_NOTFOUND: the
 * client closed the connection cleanly between requests.  PKI_E_IO: a
 * read failed or the connection ended inside a request (*status 400).
 * PKI_E_PARSE / PKI_E_UNSUPPORTED as pki_http_parse, with *status.
 * on_continue (may be NULL) is called once, before the body is read,
 * when the request asks for 100-continue and has a body.
 */
int pki_http_read(struct pki_http_conn *c, struct pki_http_request *req,
		  int *status, void (*on_continue)(void *ctx), void *cctx,
		  struct pki_error *err) PKI_WUR;

/* The reason phrase of an HTTP status ("Not Found"); "Unknown" for
 * codes spork never sends. */
const char *pki_http_reason(int status);

/*
 * Format a response head into buf (size bytes): the status line, the
 * header lines given as "Name: value" strings (n of them), Content-Length
 * body_len and "Connection: close" when !keep_alive, or "Connection:
 * keep-alive" when keep_alive is PKI_HTTP_KEEP_ALIVE_10 (the answer to
 * an HTTP/1.0 request that asked for it: a 1.0 client that is not told
 * waits for the close), then the empty line.
 * The length written (without NUL) into *len.  PKI_E_INVALID when a
 * header holds CR or LF, PKI_E_NOMEM when buf is too small.
 */
#define PKI_HTTP_KEEP_ALIVE_10 2
int pki_http_response_head(char *buf, size_t size, int status,
			   const char *const *headers, size_t n,
			   size_t body_len, int keep_alive, size_t *len,
			   struct pki_error *err) PKI_WUR;

/* "Sun, 06 Nov 1994 08:49:37 GMT" (RFC 9110 IMF-fixdate) of t, into buf
 * (30 bytes with the NUL); years 1970..9999. */
#define PKI_HTTP_DATE_LEN 30
void pki_http_date(int64_t t, char buf[PKI_HTTP_DATE_LEN]);

/* The time of an IMF-fixdate (the only form spork sends); -1 for
 * anything else (RFC 9110 lets a recipient ignore a date it cannot
 * parse). */
int64_t pki_http_date_parse(const char *s);

#endif
