/* http: strict, bounded HTTP/1.1 requests and response heads (http.h). */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <strings.h>

#include <spork/http.h>

#define DEF_TARGET 8192
#define DEF_HEADER_BYTES 16384
#define DEF_HEADERS 64
#define DEF_BODY (1024 * 1024)
#define METHOD_MAX 15

static const char *const method_names[PKI_HTTP_METHOD__MAX] = {
	[PKI_HTTP_GET] = "GET",
	[PKI_HTTP_HEAD] = "HEAD",
	[PKI_HTTP_POST] = "POST",
	[PKI_HTTP_PUT] = "PUT",
	[PKI_HTTP_DELETE] = "DELETE",
	[PKI_HTTP_OPTIONS] = "OPTIONS",
};

const char *
pki_http_method_name(enum pki_http_method m)
{
	return (unsigned)m < PKI_HTTP_METHOD__MAX ? method_names[m] : NULL;
}

static void
limits_of(const struct pki_http_limits *in, struct pki_http_limits *out)
{
	out->max_target = in && in->max_target ? in->max_target : DEF_TARGET;
	out->max_header_bytes = in && in->max_header_bytes ?
		in->max_header_bytes : DEF_HEADER_BYTES;
	out->max_headers = in && in->max_headers ? in->max_headers : DEF_HEADERS;
	out->max_body = in && in->max_body ? in->max_body : DEF_BODY;
}

/* RFC 9110 tchar. */
static int
is_tchar(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return 1;
	return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* A field-value byte: VCHAR, SP, HTAB or obs-text. */
static int
is_vbyte(unsigned char c)
{
	return c == ' ' || c == '\t' || (c >= 0x21 && c != 0x7f);
}

static int
refuse(int *status, int code, struct pki_error *err, int rc,
       const char *what)
{
	*status = code;
	return pki_error_set(err, rc, "HTTP %d: %s", code, what);
}

void
pki_http_request_clear(struct pki_http_request *r)
{
	if (r == NULL)
		return;
	free(r->headers);
	free(r->storage);
	free(r->body_storage);
	memset(r, 0, sizeof(*r));
}

const char *
pki_http_header(const struct pki_http_request *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->nheaders; i++)
		if (strcmp(r->headers[i].name, name) == 0)
			return r->headers[i].value;
	return NULL;
}

/*
 * Where the head ends: *head_len is the length up to and including the
 * empty line, 0 when it is not all there yet.  A bare LF is refused, and
 * so is a head that cannot fit the limits.
 */
static int
find_head(const unsigned char *buf, size_t len,
	  const struct pki_http_limits *lim, size_t *head_len, int *status,
	  struct pki_error *err)
{
	size_t i, line_start = 0, n = len;

	*head_len = 0;
	if (n > lim->max_header_bytes)
		n = lim->max_header_bytes;
	for (i = 0; i < n; i++) {
		if (buf[i] != '\n')
			continue;
		/* Length first: a prefix of this line already said 414. */
		if (line_start == 0 && i + 1 > lim->max_target + METHOD_MAX + 12)
			return refuse(status, 414, err, PKI_E_PARSE,
				      "the request target is too long");
		if (i == 0 || buf[i - 1] != '\r')
			return refuse(status, 400, err, PKI_E_PARSE,
				      "a line ends without CR LF");
		if (i - line_start == 1 && line_start > 0) {
			*head_len = i + 1;
			return PKI_OK;
		}
		if (i - line_start == 1)
			return refuse(status, 400, err, PKI_E_PARSE,
				      "an empty request line");
		line_start = i + 1;
	}
	if (line_start == 0 && n > lim->max_target + METHOD_MAX + 12)
		return refuse(status, 414, err, PKI_E_PARSE,
			      "the request target is too long");
	if (n == lim->max_header_bytes)
		return refuse(status, 431, err, PKI_E_PARSE,
			      "the request head is too large");
	return PKI_OK;
}

/* "METHOD SP target SP HTTP/1.x" (the line without CR LF, NUL-ended). */
static int
parse_request_line(char *line, const struct pki_http_limits *lim,
		   struct pki_http_request *r, int *status,
		   struct pki_error *err)
{
	char *sp1 = strchr(line, ' '), *sp2, *v, *q;
	size_t mlen;
	int m;

	if (sp1 == NULL || (sp2 = strchr(sp1 + 1, ' ')) == NULL ||
	    strchr(sp2 + 1, ' ') != NULL)
		return refuse(status, 400, err, PKI_E_PARSE,
			      "the request line is not METHOD TARGET VERSION");
	*sp1 = *sp2 = '\0';
	v = sp2 + 1;
	mlen = (size_t)(sp1 - line);
	if (mlen == 0 || mlen > METHOD_MAX)
		return refuse(status, 400, err, PKI_E_PARSE, "a bad method");
	for (q = line; *q != '\0'; q++)
		if (!is_tchar((unsigned char)*q))
			return refuse(status, 400, err, PKI_E_PARSE,
				      "a bad method");
	if (strncmp(v, "HTTP/", 5) != 0 || v[5] < '0' || v[5] > '9' ||
	    v[6] != '.' || v[7] < '0' || v[7] > '9' || v[8] != '\0')
		return refuse(status, 400, err, PKI_E_PARSE,
			      "a malformed HTTP version");
	if (v[5] != '1' || (v[7] != '0' && v[7] != '1'))
		return refuse(status, 505, err, PKI_E_UNSUPPORTED,
			      "only HTTP/1.0 and HTTP/1.1 are spoken here");
	r->minor = v[7] - '0';
	r->target = sp1 + 1;
	if (strlen(r->target) > lim->max_target)
		return refuse(status, 414, err, PKI_E_PARSE,
			      "the request target is too long");
	for (q = sp1 + 1; *q != '\0'; q++)
		if ((unsigned char)*q < 0x21 || (unsigned char)*q > 0x7e)
			return refuse(status, 400, err, PKI_E_PARSE,
				      "a bad character in the request target");
	for (m = 0; m < PKI_HTTP_METHOD__MAX; m++)
		if (strcmp(line, method_names[m]) == 0)
			break;
	if (m == PKI_HTTP_METHOD__MAX)
		return refuse(status, 501, err, PKI_E_UNSUPPORTED,
			      "a method this server does not implement");
	r->method = (enum pki_http_method)m;
	r->method_name = method_names[m];
	if (r->target[0] != '/' &&
	    !(r->method == PKI_HTTP_OPTIONS && strcmp(r->target, "*") == 0))
		return refuse(status, 400, err, PKI_E_PARSE,
			      "the request target is not an absolute path");
	return PKI_OK;
}

/* Split path and query in place: the path is the target up to '?'. */
static int
split_target(struct pki_http_request *r, char *copy)
{
	char *q = strchr(copy, '?');

	if (q != NULL) {
		*q = '\0';
		r->query = q + 1;
	}
	r->path = copy;
	return PKI_OK;
}

/* One "name: value" line (no CR LF, NUL-ended) into *h; name lowered. */
static int
parse_field(char *line, struct pki_http_header *h, int *status,
	    struct pki_error *err)
{
	char *colon, *v, *end, *p;

	if (*line == ' ' || *line == '\t')
		return refuse(status, 400, err, PKI_E_PARSE,
			      "obsolete line folding");
	if ((colon = strchr(line, ':')) == NULL || colon == line)
		return refuse(status, 400, err, PKI_E_PARSE,
			      "a header line without a name and a colon");
	for (p = line; p < colon; p++) {
		if (!is_tchar((unsigned char)*p))
			return refuse(status, 400, err, PKI_E_PARSE,
				      "a bad character in a header name");
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	}
	*colon = '\0';
	for (v = colon + 1; *v == ' ' || *v == '\t'; v++)
		;
	for (p = v; *p != '\0'; p++)
		if (!is_vbyte((unsigned char)*p))
			return refuse(status, 400, err, PKI_E_PARSE,
				      "a control character in a header value");
	end = v + strlen(v);
	while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
		*--end = '\0';
	h->name = line;
	h->value = v;
	return PKI_OK;
}

/* Does the comma-separated list s hold token tok (any case)? */
static int
has_token(const char *s, const char *tok)
{
	size_t n = strlen(tok);

	while (s != NULL && *s != '\0') {
		while (*s == ' ' || *s == '\t' || *s == ',')
			s++;
		if (strncasecmp(s, tok, n) == 0 &&
		    (s[n] == '\0' || s[n] == ',' || s[n] == ' ' || s[n] == '\t'))
			return 1;
		s = strchr(s, ',');
	}
	return 0;
}

/* Content-Length, Transfer-Encoding, Host, Expect, Connection. */
static int
check_fields(struct pki_http_request *r, const struct pki_http_limits *lim,
	     size_t *body_len, int *status, struct pki_error *err)
{
	const char *cl = NULL, *te = NULL, *p;
	unsigned long long v = 0;
	size_t i, hosts = 0;

	r->keep_alive = r->minor == 1;
	for (i = 0; i < r->nheaders; i++) {
		const struct pki_http_header *h = &r->headers[i];

		if (strcmp(h->name, "host") == 0)
			hosts++;
		else if (strcmp(h->name, "content-length") == 0) {
			if (cl != NULL && strcmp(cl, h->value) != 0)
				return refuse(status, 400, err, PKI_E_PARSE,
					      "two different Content-Length");
			cl = h->value;
		} else if (strcmp(h->name, "transfer-encoding") == 0)
			te = h->value;
		else if (strcmp(h->name, "expect") == 0) {
			if (strcasecmp(h->value, "100-continue") != 0)
				return refuse(status, 417, err, PKI_E_UNSUPPORTED,
					      "an expectation this server "
					      "cannot meet");
			/* HTTP/1.0 clients do not wait for 100 Continue. */
			r->expect_continue = r->minor == 1;
		} else if (strcmp(h->name, "connection") == 0) {
			if (has_token(h->value, "close"))
				r->keep_alive = 0;
			else if (has_token(h->value, "keep-alive"))
				r->keep_alive = 1;
		}
	}
	if ((r->minor == 1 && hosts != 1) || hosts > 1)
		return refuse(status, 400, err, PKI_E_PARSE,
			      "a request needs exactly one Host");
	if (te != NULL && cl != NULL)
		return refuse(status, 400, err, PKI_E_PARSE,
			      "both Transfer-Encoding and Content-Length");
	if (te != NULL && has_token(te, "chunked"))
		return refuse(status, 411, err, PKI_E_UNSUPPORTED,
			      "chunked bodies are not accepted; send "
			      "Content-Length");
	if (te != NULL)
		return refuse(status, 501, err, PKI_E_UNSUPPORTED,
			      "a transfer coding this server does not "
			      "implement");
	*body_len = 0;
	if (cl == NULL)
		return PKI_OK;
	if (*cl == '\0')
		return refuse(status, 400, err, PKI_E_PARSE,
			      "an empty Content-Length");
	for (p = cl; *p != '\0'; p++) {
		if (*p < '0' || *p > '9' || v > lim->max_body)
			break;
		v = v * 10 + (unsigned)(*p - '0');
	}
	if (*p != '\0' && (*p < '0' || *p > '9'))
		return refuse(status, 400, err, PKI_E_PARSE,
			      "a malformed Content-Length");
	if (*p != '\0' || v > lim->max_body)
		return refuse(status, 413, err, PKI_E_PARSE,
			      "the body is larger than this server accepts");
	*body_len = (size_t)v;
	return PKI_OK;
}

/* Parse a complete head of head_len bytes into r (its own copy). */
static int
parse_head(const unsigned char *buf, size_t head_len,
	   const struct pki_http_limits *lim, struct pki_http_request *r,
	   size_t *body_len, int *status, struct pki_error *err)
{
	char *s, *line, *eol, *tcopy;
	size_t cap = lim->max_headers;
	int rc;

	if ((r->storage = malloc(2 * head_len + 2)) == NULL ||
	    (r->headers = calloc(cap, sizeof(*r->headers))) == NULL)
		return refuse(status, 500, err, PKI_E_NOMEM, "out of memory");
	memcpy(r->storage, buf, head_len);
	r->storage[head_len] = '\0';
	tcopy = r->storage + head_len + 1;
	s = r->storage;
	if ((eol = strstr(s, "\r\n")) == NULL)
		return refuse(status, 400, err, PKI_E_PARSE, "no request line");
	*eol = '\0';
	if (memchr(s, '\0', (size_t)(eol - s)) != NULL ||
	    strlen(s) != (size_t)(eol - s))
		return refuse(status, 400, err, PKI_E_PARSE,
			      "a NUL in the request line");
	if ((rc = parse_request_line(s, lim, r, status, err)) != PKI_OK)
		return rc;
	memcpy(tcopy, r->target, strlen(r->target) + 1);
	split_target(r, tcopy);
	for (line = eol + 2; *line != '\0' && strncmp(line, "\r\n", 2) != 0;
	     line = eol + 2) {
		if ((eol = strstr(line, "\r\n")) == NULL)
			return refuse(status, 400, err, PKI_E_PARSE,
				      "a truncated header line");
		*eol = '\0';
		if (r->nheaders == cap)
			return refuse(status, 431, err, PKI_E_PARSE,
				      "too many header fields");
		if ((rc = parse_field(line, &r->headers[r->nheaders], status,
				      err)) != PKI_OK)
			return rc;
		r->nheaders++;
	}
	/* A NUL inside the head ends the text early: the loop above stops
	 * before the real empty line. */
	if ((size_t)(line - r->storage) + 2 != head_len)
		return refuse(status, 400, err, PKI_E_PARSE,
			      "a NUL byte in the request head");
	return check_fields(r, lim, body_len, status, err);
}

/* Parse what buf holds; *head_done says the head was complete. */
static int
http_parse(const unsigned char *buf, size_t len,
	   const struct pki_http_limits *limits, struct pki_http_request *req,
	   size_t *consumed, int *status, int *head_done,
	   struct pki_error *err)
{
	struct pki_http_limits lim;
	size_t head_len = 0, body_len = 0;
	int rc;

	limits_of(limits, &lim);
	memset(req, 0, sizeof(*req));
	*consumed = 0;
	*status = 0;
	*head_done = 0;
	if ((rc = find_head(buf, len, &lim, &head_len, status, err)) != PKI_OK)
		return rc;
	if (head_len == 0)
		return PKI_OK;
	if ((rc = parse_head(buf, head_len, &lim, req, &body_len, status,
			     err)) != PKI_OK) {
		pki_http_request_clear(req);
		return rc;
	}
	*head_done = 1;
	if (len - head_len < body_len) {
		req->body_len = body_len;       /* what is still awaited */
		return PKI_OK;
	}
	if (body_len > 0) {
		if ((req->body_storage = malloc(body_len)) == NULL) {
			pki_http_request_clear(req);
			return refuse(status, 500, err, PKI_E_NOMEM,
				      "out of memory");
		}
		memcpy(req->body_storage, buf + head_len, body_len);
		req->body = req->body_storage;
	}
	req->body_len = body_len;
	*consumed = head_len + body_len;
	return PKI_OK;
}

int
pki_http_parse(const unsigned char *buf, size_t len,
	       const struct pki_http_limits *limits,
	       struct pki_http_request *req, size_t *consumed, int *status,
	       struct pki_error *err)
{
	int head_done, rc;

	rc = http_parse(buf, len, limits, req, consumed, status, &head_done,
			err);
	if (rc == PKI_OK && *consumed == 0)
		pki_http_request_clear(req);
	return rc;
}

/* ------------------------------------------------------------ reading */

struct pki_http_conn {
	pki_http_read_fn fn;
	void *ctx;
	struct pki_http_limits lim;
	unsigned char *buf;
	size_t cap, len;
};

struct pki_http_conn *
pki_http_conn_new(pki_http_read_fn fn, void *ctx,
		  const struct pki_http_limits *limits)
{
	struct pki_http_conn *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	c->fn = fn;
	c->ctx = ctx;
	limits_of(limits, &c->lim);
	c->cap = c->lim.max_header_bytes + c->lim.max_body;
	if ((c->buf = malloc(c->cap)) == NULL) {
		free(c);
		return NULL;
	}
	return c;
}

void
pki_http_conn_free(struct pki_http_conn *c)
{
	if (c == NULL)
		return;
	free(c->buf);
	free(c);
}

int
pki_http_read(struct pki_http_conn *c, struct pki_http_request *req,
	      int *status, void (*on_continue)(void *ctx), void *cctx,
	      struct pki_error *err)
{
	size_t consumed;
	ssize_t n;
	int rc, head_done, continued = 0;

	for (;;) {
		rc = http_parse(c->buf, c->len, &c->lim, req, &consumed, status,
				&head_done, err);
		if (rc != PKI_OK)
			return rc;
		if (consumed > 0) {
			memmove(c->buf, c->buf + consumed, c->len - consumed);
			c->len -= consumed;
			return PKI_OK;
		}
		if (head_done && req->expect_continue && !continued &&
		    on_continue != NULL) {
			on_continue(cctx);
			continued = 1;
		}
		pki_http_request_clear(req);
		if (c->len == c->cap)
			return refuse(status, 413, err, PKI_E_PARSE,
				      "the request is larger than this "
				      "server accepts");
		n = c->fn(c->ctx, c->buf + c->len, c->cap - c->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			*status = 400;
			return pki_error_set(err, PKI_E_IO, "reading the "
					     "request: %s", strerror(errno));
		}
		if (n == 0) {
			if (c->len == 0) {
				*status = 0;
				return pki_error_set(err, PKI_E_NOTFOUND,
						     "the client closed the "
						     "connection");
			}
			*status = 400;
			return pki_error_set(err, PKI_E_IO, "the connection "
					     "ended inside a request");
		}
		c->len += (size_t)n;
	}
}

/* ------------------------------------------------------------ responses */

const char *
pki_http_reason(int status)
{
	static const struct { int code; const char *text; } t[] = {
		{ 100, "Continue" }, { 200, "OK" }, { 201, "Created" },
		{ 204, "No Content" }, { 301, "Moved Permanently" },
		{ 304, "Not Modified" }, { 400, "Bad Request" },
		{ 401, "Unauthorized" }, { 403, "Forbidden" },
		{ 404, "Not Found" }, { 405, "Method Not Allowed" },
		{ 408, "Request Timeout" }, { 409, "Conflict" },
		{ 411, "Length Required" }, { 413, "Content Too Large" },
		{ 414, "URI Too Long" }, { 415, "Unsupported Media Type" },
		{ 417, "Expectation Failed" }, { 429, "Too Many Requests" },
		{ 431, "Request Header Fields Too Large" },
		{ 500, "Internal Server Error" }, { 501, "Not Implemented" },
		{ 503, "Service Unavailable" },
		{ 505, "HTTP Version Not Supported" },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (t[i].code == status)
			return t[i].text;
	return "Unknown";
}

/* The Connection line a response needs, if any. */
static const char *
connection_line(int keep_alive)
{
	return keep_alive == 0 ? "Connection: close\r\n" :
		keep_alive == PKI_HTTP_KEEP_ALIVE_10 ?
		"Connection: keep-alive\r\n" : "";
}

int
pki_http_response_head(char *buf, size_t size, int status,
		       const char *const *headers, size_t n, size_t body_len,
		       int keep_alive, size_t *len, struct pki_error *err)
{
	size_t off = 0, i;
	int w;

	*len = 0;
	if (status < 100 || status > 599)
		return pki_error_set(err, PKI_E_INVALID, "HTTP status %d",
				     status);
	w = snprintf(buf, size, "HTTP/1.1 %d %s\r\n", status,
		     pki_http_reason(status));
	if (w < 0 || (size_t)w >= size)
		goto small;
	off = (size_t)w;
	for (i = 0; i < n; i++) {
		if (strpbrk(headers[i], "\r\n") != NULL)
			return pki_error_set(err, PKI_E_INVALID, "a response "
					     "header holds CR or LF");
		w = snprintf(buf + off, size - off, "%s\r\n", headers[i]);
		if (w < 0 || (size_t)w >= size - off)
			goto small;
		off += (size_t)w;
	}
	/* 1xx, 204 and 304 carry no Content-Length (RFC 9110 8.6) */
	if (status < 200 || status == 204 || status == 304)
		w = snprintf(buf + off, size - off, "%s\r\n",
			     connection_line(keep_alive));
	else
		w = snprintf(buf + off, size - off, "Content-Length: %zu\r\n"
			     "%s\r\n", body_len, connection_line(keep_alive));
	if (w < 0 || (size_t)w >= size - off)
		goto small;
	*len = off + (size_t)w;
	return PKI_OK;
small:
	return pki_error_set(err, PKI_E_NOMEM, "the response head does not "
			     "fit in %zu bytes", size);
}

/* ---------------------------------------------------------------- dates */

static const char wdays[7][4] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri",
				  "Sat" };
static const char months[12][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
				    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

void
pki_http_date(int64_t t, char buf[PKI_HTTP_DATE_LEN])
{
	struct tm tm;
	time_t tt = (time_t)t;
	char tmp[64];

	if (t < 0 || t > 253402300799LL || gmtime_r(&tt, &tm) == NULL) {
		memcpy(buf, "Thu, 01 Jan 1970 00:00:00 GMT", PKI_HTTP_DATE_LEN);
		return;
	}
	snprintf(tmp, sizeof(tmp), "%s, %02d %s %04d %02d:%02d:%02d GMT",
		 wdays[tm.tm_wday], tm.tm_mday, months[tm.tm_mon],
		 tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
	memcpy(buf, tmp, PKI_HTTP_DATE_LEN - 1);
	buf[PKI_HTTP_DATE_LEN - 1] = '\0';
}

/* Days since 1970-01-01 of a proleptic Gregorian date. */
static int64_t
days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

/* n decimal digits at s, or -1. */
static int
digits(const char *s, int n)
{
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

int64_t
pki_http_date_parse(const char *s)
{
	static const unsigned mdays[12] = { 31, 29, 31, 30, 31, 30, 31, 31,
					    30, 31, 30, 31 };
	int d, y, hh, mm, ss, m, w;
	int64_t days;

	/* "Sun, 06 Nov 1994 08:49:37 GMT": 29 characters exactly */
	if (s == NULL || strlen(s) != 29 || s[3] != ',' || s[4] != ' ' ||
	    s[7] != ' ' || s[11] != ' ' || s[16] != ' ' || s[19] != ':' ||
	    s[22] != ':' || strcmp(s + 25, " GMT") != 0)
		return -1;
	for (w = 0; w < 7 && memcmp(s, wdays[w], 3) != 0; w++)
		;
	for (m = 0; m < 12 && memcmp(s + 8, months[m], 3) != 0; m++)
		;
	d = digits(s + 5, 2);
	y = digits(s + 12, 4);
	hh = digits(s + 17, 2);
	mm = digits(s + 20, 2);
	ss = digits(s + 23, 2);
	if (w == 7 || m == 12 || d < 1 || (unsigned)d > mdays[m] || y < 1970 ||
	    hh < 0 || hh > 23 || mm < 0 || mm > 59 || ss < 0 || ss > 60)
		return -1;
	days = days_from_civil(y, (unsigned)m + 1, (unsigned)d);
	/* 1970-01-01 was a Thursday; the day name must agree */
	if ((days % 7 + 11) % 7 != w ||
	    (m == 1 && d == 29 && (y % 4 != 0 || (y % 100 == 0 && y % 400 != 0))))
		return -1;
	return days * 86400 + hh * 3600 + mm * 60 + (ss == 60 ? 59 : ss);
}
