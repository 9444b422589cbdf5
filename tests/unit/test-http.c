/*
 * http: requests as byte strings; every refusal with its status, the
 * limits at their edges, pipelining and partial reads through a
 * connection, response heads.
 */
#include <config.h>

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <spork/http.h>

/* Parse s; the return code, status and consumed bytes. */
static int
parse(const char *s, struct pki_http_request *r, size_t *consumed,
      int *status)
{
	struct pki_error err;

	pki_error_clear(&err);
	return pki_http_parse((const unsigned char *)s, strlen(s), NULL, r,
			      consumed, status, &err);
}

/* s is refused with status want. */
static void
refused(const char *s, int want)
{
	struct pki_http_request r;
	size_t consumed = 99;
	int status = 0, rc = parse(s, &r, &consumed, &status);

	if (rc == PKI_OK || status != want)
		fail_msg("\"%s\": rc %d status %d, want status %d", s, rc,
			 status, want);
	assert_int_equal(consumed, 0);
	assert_null(r.storage);
}

static void
test_get(void **state)
{
	static const char req[] =
		"GET /ocsp/MEUw%2BQ?x=1 HTTP/1.1\r\n"
		"Host: ocsp.example\r\n"
		"User-Agent:  curl/7.88  \r\n"
		"X-Empty:\r\n"
		"\r\n";
	struct pki_http_request r;
	size_t consumed;
	int status;

	(void)state;
	assert_int_equal(parse(req, &r, &consumed, &status), PKI_OK);
	assert_int_equal(consumed, strlen(req));
	assert_int_equal(r.method, PKI_HTTP_GET);
	assert_string_equal(r.method_name, "GET");
	assert_string_equal(r.target, "/ocsp/MEUw%2BQ?x=1");
	assert_string_equal(r.path, "/ocsp/MEUw%2BQ");
	assert_string_equal(r.query, "x=1");
	assert_int_equal(r.minor, 1);
	assert_int_equal(r.nheaders, 3);
	assert_string_equal(pki_http_header(&r, "host"), "ocsp.example");
	assert_string_equal(pki_http_header(&r, "user-agent"), "curl/7.88");
	assert_string_equal(pki_http_header(&r, "x-empty"), "");
	assert_null(pki_http_header(&r, "Host"));    /* names are lower case */
	assert_true(r.keep_alive);
	assert_int_equal(r.body_len, 0);
	assert_null(r.body);
	pki_http_request_clear(&r);
}

static void
test_post_body_and_partial(void **state)
{
	static const char req[] =
		"POST /ocsp HTTP/1.1\r\nHost: h\r\n"
		"Content-Type: application/ocsp-request\r\n"
		"Content-Length: 5\r\nConnection: close\r\n\r\nhello"
		"GET / HTTP/1.1\r\nHost: h\r\n\r\n";
	struct pki_http_request r;
	size_t consumed, cut;
	int status;

	(void)state;
	/* Every prefix short of the first request: more is needed. */
	for (cut = 0; cut < strlen(req) - 27; cut++) {
		char *p = strndup(req, cut);
		struct pki_error err;

		assert_int_equal(pki_http_parse((unsigned char *)p, cut, NULL,
						&r, &consumed, &status, &err),
				 PKI_OK);
		assert_int_equal(consumed, 0);
		free(p);
	}
	assert_int_equal(parse(req, &r, &consumed, &status), PKI_OK);
	assert_int_equal(consumed, strlen(req) - 27);
	assert_int_equal(r.method, PKI_HTTP_POST);
	assert_int_equal(r.body_len, 5);
	assert_memory_equal(r.body, "hello", 5);
	assert_false(r.keep_alive);
	pki_http_request_clear(&r);
	/* The pipelined one after it. */
	assert_int_equal(parse(req + consumed, &r, &consumed, &status), PKI_OK);
	assert_int_equal(consumed, 27);
	assert_int_equal(r.method, PKI_HTTP_GET);
	pki_http_request_clear(&r);
}

static void
test_versions_and_connection(void **state)
{
	struct pki_http_request r;
	size_t consumed;
	int status;

	(void)state;
	/* HTTP/1.0: no Host needed, closes unless keep-alive. */
	assert_int_equal(parse("HEAD / HTTP/1.0\r\n\r\n", &r, &consumed,
			       &status), PKI_OK);
	assert_int_equal(r.method, PKI_HTTP_HEAD);
	assert_int_equal(r.minor, 0);
	assert_false(r.keep_alive);
	pki_http_request_clear(&r);
	assert_int_equal(parse("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n"
			       "Expect: 100-continue\r\n\r\n", &r, &consumed,
			       &status), PKI_OK);
	assert_true(r.keep_alive);
	assert_false(r.expect_continue);     /* ignored for HTTP/1.0 */
	pki_http_request_clear(&r);
	assert_int_equal(parse("POST /x HTTP/1.1\r\nHost: h\r\n"
			       "Expect: 100-Continue\r\nContent-Length: 0\r\n"
			       "Connection: foo, close\r\n\r\n", &r, &consumed,
			       &status), PKI_OK);
	assert_true(r.expect_continue);
	assert_false(r.keep_alive);
	pki_http_request_clear(&r);
	assert_int_equal(parse("OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n", &r,
			       &consumed, &status), PKI_OK);
	assert_string_equal(r.path, "*");
	pki_http_request_clear(&r);
}

static void
test_refusals(void **state)
{
	(void)state;
	/* 400 */
	refused("GET / HTTP/1.1\nHost: h\n\n", 400);          /* bare LF */
	refused("GET / HTTP/1.1\r\nHost: h\n\r\n", 400);
	refused("\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n", 400);
	refused("GET /\r\n\r\n", 400);                         /* HTTP/0.9 */
	refused("GET  / HTTP/1.1\r\nHost: h\r\n\r\n", 400);
	refused("GET / HTTP/1.1 \r\nHost: h\r\n\r\n", 400);
	refused("GET / http/1.1\r\nHost: h\r\n\r\n", 400);
	refused("GET / HTTP/11\r\nHost: h\r\n\r\n", 400);
	refused("G(T / HTTP/1.1\r\nHost: h\r\n\r\n", 400);
	refused("GET x HTTP/1.1\r\nHost: h\r\n\r\n", 400);     /* not a path */
	refused("GET http://h/ HTTP/1.1\r\nHost: h\r\n\r\n", 400);
	refused("GET /\x01 HTTP/1.1\r\nHost: h\r\n\r\n", 400);
	refused("GET / HTTP/1.1\r\n\r\n", 400);                /* no Host */
	refused("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400);
	refused("GET / HTTP/1.1\r\nHost : h\r\n\r\n", 400);
	refused("GET / HTTP/1.1\r\nHost: h\r\n folded\r\n\r\n", 400);
	refused("GET / HTTP/1.1\r\nHost: h\r\nNoColon\r\n\r\n", 400);
	refused("GET / HTTP/1.1\r\nHost: h\r\n: v\r\n\r\n", 400);
	refused("GET / HTTP/1.1\r\nHost: h\r\nX: a\x7f" "b\r\n\r\n", 400);
	refused("GET / HTTP/1.1\r\nHost: h\r\nX: a\x1b" "b\r\n\r\n", 400);
	refused("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1x\r\n\r\n", 400);
	refused("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n", 400);
	refused("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: \r\n\r\n", 400);
	refused("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1, 1\r\n\r\n", 400);
	refused("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\n"
		"Content-Length: 2\r\n\r\n", 400);
	refused("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\n"
		"Transfer-Encoding: chunked\r\n\r\n", 400);
	/* 411, 413, 417, 501, 505 */
	refused("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n"
		"\r\n", 411);
	refused("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1048577\r\n\r\n",
		413);
	refused("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: "
		"99999999999999999999999\r\n\r\n", 413);
	refused("GET / HTTP/1.1\r\nHost: h\r\nExpect: tea\r\n\r\n", 417);
	refused("BREW / HTTP/1.1\r\nHost: h\r\n\r\n", 501);
	refused("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n"
		"\r\n", 501);
	refused("GET / HTTP/2.0\r\nHost: h\r\n\r\n", 505);
	refused("GET / HTTP/1.2\r\nHost: h\r\n\r\n", 505);
}

static void
test_nul_in_head(void **state)
{
	static const char req[] = "GET / HTTP/1.1\r\nHost: h\r\n\0X: y\r\n\r\n";
	struct pki_http_request r;
	struct pki_error err;
	size_t consumed;
	int status = 0;

	(void)state;
	assert_int_not_equal(pki_http_parse((const unsigned char *)req,
					    sizeof(req) - 1, NULL, &r,
					    &consumed, &status, &err), PKI_OK);
	assert_int_equal(status, 400);
}

static void
test_limits(void **state)
{
	struct pki_http_limits lim = { 16, 256, 3, 10 };
	struct pki_http_request r;
	struct pki_error err;
	size_t consumed;
	int status;
	char big[1024];

	(void)state;
#define P(s) pki_http_parse((const unsigned char *)(s), strlen(s), &lim, &r, \
			    &consumed, &status, &err)
	/* target of 16 bytes passes, 17 is 414 */
	assert_int_equal(P("GET /234567890123456 HTTP/1.1\r\nHost: h\r\n\r\n"),
			 PKI_OK);
	pki_http_request_clear(&r);
	assert_int_not_equal(P("GET /2345678901234567 HTTP/1.1\r\nHost: h\r\n"
			       "\r\n"), PKI_OK);
	assert_int_equal(status, 414);
	/* a long request line that has not ended yet is 414 already */
	memset(big, 'a', sizeof(big) - 1);
	big[0] = 'G'; big[1] = 'E'; big[2] = 'T'; big[3] = ' '; big[4] = '/';
	big[sizeof(big) - 1] = '\0';
	assert_int_not_equal(P(big), PKI_OK);
	assert_int_equal(status, 414);
	/* 3 headers pass, 4 are 431 */
	assert_int_equal(P("GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\n\r\n"),
			 PKI_OK);
	pki_http_request_clear(&r);
	assert_int_not_equal(P("GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\n"
			       "C: 3\r\n\r\n"), PKI_OK);
	assert_int_equal(status, 431);
	/* a head over 256 bytes is 431, even unfinished */
	snprintf(big, sizeof(big), "GET / HTTP/1.1\r\nHost: h\r\nX: %0300d",
		 0);
	assert_int_not_equal(P(big), PKI_OK);
	assert_int_equal(status, 431);
	/* body of 10 passes, 11 is 413 */
	assert_int_equal(P("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 10"
			   "\r\n\r\n0123456789"), PKI_OK);
	assert_int_equal(r.body_len, 10);
	pki_http_request_clear(&r);
	assert_int_not_equal(P("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: "
			       "11\r\n\r\n"), PKI_OK);
	assert_int_equal(status, 413);
#undef P
}

/* A transport handing out at most `chunk` bytes per read. */
struct feed {
	const char *data;
	size_t len, off, chunk;
	int fail;
};

static ssize_t
feed_read(void *ctx, void *buf, size_t n)
{
	struct feed *f = ctx;

	if (f->fail && f->off == f->len) {
		errno = ECONNRESET;
		return -1;
	}
	if (n > f->chunk)
		n = f->chunk;
	if (n > f->len - f->off)
		n = f->len - f->off;
	memcpy(buf, f->data + f->off, n);
	f->off += n;
	return (ssize_t)n;
}

static int continues;

static void
on_continue(void *ctx)
{
	(void)ctx;
	continues++;
}

static void
test_conn(void **state)
{
	static const char two[] =
		"POST /a HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\n"
		"Content-Length: 3\r\n\r\nabc"
		"GET /b HTTP/1.1\r\nHost: h\r\n\r\n";
	struct feed f = { two, sizeof(two) - 1, 0, 1, 0 };
	struct pki_http_conn *c;
	struct pki_http_request r;
	struct pki_error err;
	int status;

	(void)state;
	/* One byte at a time: both requests, 100-continue asked once. */
	assert_non_null(c = pki_http_conn_new(feed_read, &f, NULL));
	continues = 0;
	assert_int_equal(pki_http_read(c, &r, &status, on_continue, NULL,
				       &err), PKI_OK);
	assert_string_equal(r.path, "/a");
	assert_memory_equal(r.body, "abc", 3);
	assert_int_equal(continues, 1);
	pki_http_request_clear(&r);
	assert_int_equal(pki_http_read(c, &r, &status, on_continue, NULL,
				       &err), PKI_OK);
	assert_string_equal(r.path, "/b");
	pki_http_request_clear(&r);
	/* Then a clean end. */
	assert_int_equal(pki_http_read(c, &r, &status, NULL, NULL, &err),
			 PKI_E_NOTFOUND);
	pki_http_conn_free(c);

	/* The connection ends inside a request: 400. */
	f.len = 20; f.off = 0; f.chunk = 7;
	assert_non_null(c = pki_http_conn_new(feed_read, &f, NULL));
	assert_int_equal(pki_http_read(c, &r, &status, NULL, NULL, &err),
			 PKI_E_IO);
	assert_int_equal(status, 400);
	pki_http_conn_free(c);

	/* A read error. */
	f.len = 0; f.off = 0; f.fail = 1;
	assert_non_null(c = pki_http_conn_new(feed_read, &f, NULL));
	assert_int_equal(pki_http_read(c, &r, &status, NULL, NULL, &err),
			 PKI_E_IO);
	pki_http_conn_free(c);
}

static void
test_response_head(void **state)
{
	static const char *const h[] = {
		"Content-Type: application/ocsp-response",
		"Cache-Control: max-age=3600",
	};
	static const char *const bad[] = { "X: a\r\nInjected: 1" };
	struct pki_error err;
	char buf[256];
	size_t len;

	(void)state;
	assert_int_equal(pki_http_response_head(buf, sizeof(buf), 200, h, 2,
						42, 1, &len, &err), PKI_OK);
	assert_string_equal(buf, "HTTP/1.1 200 OK\r\n"
			    "Content-Type: application/ocsp-response\r\n"
			    "Cache-Control: max-age=3600\r\n"
			    "Content-Length: 42\r\n\r\n");
	assert_int_equal(len, strlen(buf));
	assert_int_equal(pki_http_response_head(buf, sizeof(buf), 431, NULL, 0,
						0, 0, &len, &err), PKI_OK);
	assert_string_equal(buf, "HTTP/1.1 431 Request Header Fields Too "
			    "Large\r\nContent-Length: 0\r\nConnection: close"
			    "\r\n\r\n");
	/* an HTTP/1.0 client that asked to keep the connection is told */
	assert_int_equal(pki_http_response_head(buf, sizeof(buf), 200, NULL, 0,
						3, PKI_HTTP_KEEP_ALIVE_10, &len,
						&err), PKI_OK);
	assert_string_equal(buf, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n"
			    "Connection: keep-alive\r\n\r\n");
	assert_int_equal(pki_http_response_head(buf, sizeof(buf), 200, bad, 1,
						0, 1, &len, &err),
			 PKI_E_INVALID);
	assert_int_equal(pki_http_response_head(buf, 20, 200, h, 2, 0, 1, &len,
						&err), PKI_E_NOMEM);
	assert_string_equal(pki_http_reason(505), "HTTP Version Not Supported");
	assert_string_equal(pki_http_reason(999), "Unknown");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_get),
		cmocka_unit_test(test_post_body_and_partial),
		cmocka_unit_test(test_versions_and_connection),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_nul_in_head),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_conn),
		cmocka_unit_test(test_response_head),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
