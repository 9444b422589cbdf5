/*
 * Fuzz target: pki_http_parse() on arbitrary bytes, and pki_http_read()
 * over the same bytes handed out in small pieces.
 *
 * Contract checked (a violation aborts): a refusal has an HTTP status in
 * 400..505 and leaves nothing allocated; "need more" consumes nothing; a
 * request consumes at most the input, has a known method, a path that
 * starts with '/' (or is "*"), lower-case header names, and a body of
 * exactly Content-Length bytes; the connection reader agrees with the
 * one-shot parser on the first request; pki_forwarded_client on the
 * request's headers (every peer trusted) gives an address of the peer's
 * family or of one the headers name, never reads past them.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <spork/forwarded.h>
#include <spork/http.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct feed {
	const uint8_t *data;
	size_t len, off;
};

static ssize_t
feed_read(void *ctx, void *buf, size_t n)
{
	struct feed *f = ctx;
	size_t k = 1 + (f->off * 7) % 13;     /* uneven pieces */

	if (n > k)
		n = k;
	if (n > f->len - f->off)
		n = f->len - f->off;
	memcpy(buf, f->data + f->off, n);
	f->off += n;
	return (ssize_t)n;
}

/* The client address behind "proxies" that every address is. */
static void
check_forwarded(const struct pki_http_request *r)
{
	static const unsigned char v4[4] = { 127, 0, 0, 1 };
	struct pki_name_cidr all[2];
	struct pki_name_ip peer, client;
	enum pki_forwarded_source s;

	memset(all, 0, sizeof(all));
	all[0].net.len = 4;
	all[1].net.len = 16;
	memset(&peer, 0, sizeof(peer));
	memcpy(peer.addr, v4, 4);
	peer.len = 4;
	s = pki_forwarded_client(&peer, r->headers, r->nheaders, all, 2,
				 &client);
	if (pki_forwarded_source_name(s) == NULL ||
	    (client.len != 4 && client.len != 16) ||
	    (s == PKI_FORWARDED_PEER && memcmp(client.addr, v4, 4) != 0))
		abort();
}

static void
check_request(const struct pki_http_request *r)
{
	size_t i;
	const char *p;

	if (pki_http_method_name(r->method) == NULL || r->path == NULL ||
	    (r->path[0] != '/' && strcmp(r->path, "*") != 0) ||
	    (r->minor != 0 && r->minor != 1) ||
	    (r->body_len > 0 && r->body == NULL))
		abort();
	for (i = 0; i < r->nheaders; i++)
		for (p = r->headers[i].name; *p != '\0'; p++)
			if (*p >= 'A' && *p <= 'Z')
				abort();
	check_forwarded(r);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pki_http_limits lim = { 64, 512, 8, 256 };
	struct pki_http_request r, r2;
	struct pki_http_conn *c;
	struct pki_error err;
	struct feed f = { data, size, 0 };
	size_t consumed = 0;
	int status = 0, status2 = 0, rc, rc2;

	pki_error_clear(&err);
	rc = pki_http_parse(data, size, &lim, &r, &consumed, &status, &err);
	if (rc != PKI_OK) {
		if (status < 400 || status > 505 || consumed != 0 ||
		    r.storage != NULL || err.msg[0] == '\0')
			abort();
	} else if (consumed > 0) {
		if (consumed > size)
			abort();
		check_request(&r);
	} else if (r.storage != NULL) {
		abort();
	}
	if ((c = pki_http_conn_new(feed_read, &f, &lim)) == NULL)
		abort();
	rc2 = pki_http_read(c, &r2, &status2, NULL, NULL, &err);
	/* A whole first request: both see the same one. */
	if (rc == PKI_OK && consumed > 0) {
		if (rc2 != PKI_OK || r2.body_len != r.body_len ||
		    strcmp(r2.target, r.target) != 0 ||
		    r2.nheaders != r.nheaders ||
		    (r.body_len && memcmp(r.body, r2.body, r.body_len) != 0))
			abort();
	}
	if (rc != PKI_OK && (rc2 == PKI_OK || status2 != status))
		abort();
	if (rc2 == PKI_OK)
		pki_http_request_clear(&r2);
	pki_http_conn_free(c);
	if (rc == PKI_OK)
		pki_http_request_clear(&r);
	return 0;
}
