/*
 * test-forwarded: libpki/forwarded.c, the client's address behind
 * trusted proxies.  Each case is a peer, the header fields a request
 * carries, and the address (and its source) an operator's log should
 * show with trusted_proxies = ["127.0.0.1", "10.0.0.0/8", "::1"].
 */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <spork/forwarded.h>

#define PEER PKI_FORWARDED_PEER
#define FWD PKI_FORWARDED_HEADER
#define XFF PKI_FORWARDED_XFF

static struct pki_name_cidr trusted[3];

static int
setup(void **state)
{
	static const char *const t[] = { "127.0.0.1", "10.0.0.0/8", "::1" };
	size_t i;

	(void)state;
	for (i = 0; i < 3; i++)
		if (pki_name_cidr_parse(t[i], PKI_NAME_CIDR_BARE, &trusted[i],
					NULL) != PKI_OK)
			return -1;
	return 0;
}

/* From peer, with the fields "name: value" in hdrs (NULL-terminated
 * pairs), the client is want from source src. */
static void
check(const char *peer, const char *const *hdrs, const char *want,
      enum pki_forwarded_source src)
{
	struct pki_http_header h[8];
	struct pki_name_ip p, client;
	char buf[PKI_NAME_IP_STRLEN];
	enum pki_forwarded_source got;
	size_t n = 0;

	while (hdrs != NULL && hdrs[2 * n] != NULL) {
		h[n].name = hdrs[2 * n];
		h[n].value = hdrs[2 * n + 1];
		n++;
	}
	assert_int_equal(pki_name_ip_parse(peer, &p, NULL), PKI_OK);
	got = pki_forwarded_client(&p, h, n, trusted, 3, &client);
	pki_name_ip_format(&client, buf);
	if (strcmp(buf, want) != 0 || got != src)
		print_error("peer %s, %s: %s: got %s from %s\n", peer,
			    n ? h[0].value : "-", want, buf,
			    pki_forwarded_source_name(got));
	assert_string_equal(buf, want);
	assert_int_equal(got, src);
}

#define H(...) ((const char *const[]){ __VA_ARGS__, NULL })

static void
test_untrusted_peer(void **state)
{
	(void)state;
	/* headers from anyone else are not believed */
	check("192.0.2.7", H("forwarded", "for=203.0.113.1"), "192.0.2.7",
	      PEER);
	check("192.0.2.7", H("x-forwarded-for", "203.0.113.1"), "192.0.2.7",
	      PEER);
	check("11.0.0.1", H("x-forwarded-for", "203.0.113.1"), "11.0.0.1",
	      PEER);
	/* a trusted peer without headers is itself */
	check("127.0.0.1", NULL, "127.0.0.1", PEER);
}

static void
test_forwarded(void **state)
{
	(void)state;
	check("127.0.0.1", H("forwarded", "for=203.0.113.1"), "203.0.113.1",
	      FWD);
	check("127.0.0.1", H("forwarded", "for=203.0.113.1;proto=https;"
			     "by=10.0.0.1"), "203.0.113.1", FWD);
	check("::1", H("forwarded", "For=\"[2001:db8:cafe::17]:4711\""),
	      "2001:db8:cafe::17", FWD);
	check("127.0.0.1", H("forwarded", "for=\"203.0.113.1:8080\""),
	      "203.0.113.1", FWD);
	/* the right-most entry that is not a trusted proxy */
	check("127.0.0.1", H("forwarded", "for=198.51.100.9, for=203.0.113.1, "
			     "for=10.1.2.3"), "203.0.113.1", FWD);
	/* a client-supplied left part does not matter */
	check("10.0.0.5", H("forwarded", "for=1.1.1.1", "forwarded",
			    "for=203.0.113.2;proto=http"), "203.0.113.2",
	      FWD);
	/* every hop trusted: the left-most */
	check("127.0.0.1", H("forwarded", "for=10.9.9.9, for=10.0.0.1"),
	      "10.9.9.9", FWD);
	/* unknown or obfuscated ends the walk at the last address vouched
	 * for */
	check("127.0.0.1", H("forwarded", "for=203.0.113.1, for=unknown"),
	      "127.0.0.1", PEER);
	check("127.0.0.1", H("forwarded", "for=203.0.113.1, for=_hidden, "
			     "for=10.0.0.3"), "10.0.0.3", FWD);
	check("127.0.0.1", H("forwarded", "proto=https"), "127.0.0.1", PEER);
	/* IPv4-mapped peers and entries are their IPv4 addresses */
	check("::ffff:127.0.0.1", H("forwarded", "for=\"[::ffff:10.0.0.2]\", "
				    "for=10.0.0.1"), "10.0.0.2", FWD);
	check("::ffff:127.0.0.1", H("forwarded", "for=203.0.113.4"),
	      "203.0.113.4", FWD);
	/* Forwarded wins over X-Forwarded-For */
	check("127.0.0.1", H("x-forwarded-for", "198.51.100.1", "forwarded",
			     "for=203.0.113.1"), "203.0.113.1", FWD);
	/* empty list elements are skipped */
	check("127.0.0.1", H("forwarded", ", for=203.0.113.1 ,"),
	      "203.0.113.1", FWD);
}

static void
test_forwarded_malformed(void **state)
{
	static const char *const bad[] = {
		"for=2001:db8::1",               /* IPv6 must be quoted */
		"for=\"2001:db8::1\"",           /* ... and in brackets */
		"for=\"[203.0.113.1]\"",         /* brackets hold IPv6 */
		"for=203.0.113.1;for=203.0.113.2", /* twice in one element */
		"for=203.0.113.256",
		"for=example.com",
		"for=\"203.0.113.1:123456\"",    /* port */
		"for=\"203.0.113.1:\"",
		"for=\"203.0.113.1",             /* unterminated */
		"for=\"a\\\"b\"",                /* quoted-pair */
		"for =203.0.113.1",
		"for=203.0.113.1 x",
		"=203.0.113.1",
		"for=",
		"for=203.0.113.1;proto=\"",
		"for=\"[2001:db8::1]x\"",
		NULL
	};
	char many[32 * 16 + 1];
	size_t i;

	(void)state;
	for (i = 0; bad[i] != NULL; i++)
		check("127.0.0.1", H("forwarded", bad[i], "x-forwarded-for",
				     "198.51.100.1"), "127.0.0.1", PEER);
	/* a malformed second field spoils the whole list */
	check("127.0.0.1", H("forwarded", "for=203.0.113.1", "forwarded",
			     "for=[::1]"), "127.0.0.1", PEER);
	/* at most PKI_FORWARDED_MAX_HOPS entries */
	many[0] = '\0';
	for (i = 0; i < PKI_FORWARDED_MAX_HOPS; i++)
		strcat(many, i ? ",for=10.0.0.1" : "for=10.0.0.1");
	check("127.0.0.1", H("forwarded", many), "10.0.0.1", FWD);
	strcat(many, ",for=10.0.0.1");
	check("127.0.0.1", H("forwarded", many), "127.0.0.1", PEER);
}

static void
test_xff(void **state)
{
	(void)state;
	check("127.0.0.1", H("x-forwarded-for", "203.0.113.1"), "203.0.113.1",
	      XFF);
	check("10.0.0.1", H("x-forwarded-for", "198.51.100.1, 203.0.113.1, "
			    "10.0.0.7"), "203.0.113.1", XFF);
	check("10.0.0.1", H("x-forwarded-for", "198.51.100.1",
			    "x-forwarded-for", "2001:db8::5"), "2001:db8::5",
	      XFF);
	check("::1", H("x-forwarded-for", "::1,10.2.2.2"), "::1", XFF);
	/* malformed: the peer */
	check("127.0.0.1", H("x-forwarded-for", "203.0.113.1:80"), "127.0.0.1",
	      PEER);
	check("127.0.0.1", H("x-forwarded-for", "unknown"), "127.0.0.1", PEER);
	check("127.0.0.1", H("x-forwarded-for", "203.0.113.1 203.0.113.2"),
	      "127.0.0.1", PEER);
	check("127.0.0.1", H("x-forwarded-for", "[2001:db8::1]"), "127.0.0.1",
	      PEER);
}

static void
test_no_peer(void **state)
{
	struct pki_http_header h = { "forwarded", "for=203.0.113.1" };
	struct pki_name_ip client;

	(void)state;
	assert_int_equal(pki_forwarded_client(NULL, &h, 1, trusted, 3,
					      &client), PEER);
	assert_int_equal(client.len, 0);
	assert_string_equal(pki_forwarded_source_name(XFF), "x-forwarded-for");
	assert_null(pki_forwarded_source_name(PKI_FORWARDED__MAX));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_untrusted_peer),
		cmocka_unit_test(test_forwarded),
		cmocka_unit_test(test_forwarded_malformed),
		cmocka_unit_test(test_xff),
		cmocka_unit_test(test_no_peer),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
