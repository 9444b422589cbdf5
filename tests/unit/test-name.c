/*
 * test-name: libpki/name.c, the one parser of DNS names, policy patterns,
 * IP addresses, CIDR ranges and email addresses; the revocation-reason
 * table of crl.c and the RFC 3339 time formatter of pki.h.  Each test
 * asserts what a user would: which texts are accepted, their canonical
 * form, and that a refusal names the input and says why.
 */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <spork/crl.h>
#include <spork/enroll.h>
#include <spork/name.h>
#include <spork/pki.h>

#define WILD PKI_NAME_DNS_WILDCARD

/* s parses with flags and comes out as canon. */
static void
dns_ok(const char *s, unsigned flags, const char *canon)
{
	struct pki_name_dns d;
	struct pki_error err = { 0 };
	int rc = pki_name_dns_parse(s, flags, &d, &err);

	if (rc != PKI_OK)
		print_error("%s: unexpected error: %s\n", s, err.msg);
	assert_int_equal(rc, PKI_OK);
	assert_string_equal(d.name, canon);
	assert_int_equal(d.len, strlen(canon));
}

/* s is refused with flags, with a message holding why. */
static void
dns_bad(const char *s, unsigned flags, const char *why)
{
	struct pki_error err = { 0 };
	int rc = pki_name_dns_check(s, flags, &err);

	if (rc != PKI_E_INVALID)
		print_error("%s: accepted\n", s);
	assert_int_equal(rc, PKI_E_INVALID);
	if (strstr(err.msg, why) == NULL)
		print_error("%s: '%s' lacks '%s'\n", s, err.msg, why);
	assert_non_null(strstr(err.msg, why));
}

/* A name of total octets: labels of 63 "a"s, then a shorter last one. */
static void
long_name(char *buf, size_t total)
{
	size_t i = 0;

	while (total - i > 64) {
		memset(buf + i, 'a', 63);
		buf[i + 63] = '.';
		i += 64;
	}
	memset(buf + i, 'b', total - i);
	buf[total] = '\0';
}

static void
test_dns_names(void **state)
{
	struct pki_name_dns d;
	char label[80], name[300];
	size_t n;
	const char *l;

	(void)state;
	dns_ok("www.example.com", 0, "www.example.com");
	dns_ok("WWW.Example.COM", 0, "www.example.com");
	dns_ok("a", 0, "a");
	dns_ok("a-b.c0-9.example", 0, "a-b.c0-9.example");
	dns_ok("xn--bcher-kva.example", 0, "xn--bcher-kva.example");
	dns_ok("1.example.com", 0, "1.example.com");
	dns_bad("", 0, "empty name");
	dns_bad(NULL, 0, "empty name");

	/* Labels of 63 octets, not 64. */
	memset(label, 'a', 63);
	strcpy(label + 63, ".example");
	dns_ok(label, 0, label);
	memset(label, 'a', 64);
	strcpy(label + 64, ".example");
	dns_bad(label, 0, "longer than 63");

	/* Names of 253 octets, not 254. */
	long_name(name, 253);
	dns_ok(name, 0, name);
	long_name(name, 254);
	dns_bad(name, 0, "longer than 253");
	/* A trailing dot does not count when it is allowed. */
	long_name(name, 253);
	strcat(name, ".");
	dns_bad(name, 0, "longer than 253");
	assert_int_equal(pki_name_dns_parse(name, PKI_NAME_DNS_TRAILING_DOT,
					    &d, NULL), PKI_OK);
	assert_int_equal(d.len, 253);

	/* Empty labels, hyphens, other octets. */
	dns_bad("a..b", 0, "empty label");
	dns_bad(".a.b", 0, "empty label");
	dns_bad(".", 0, "empty label");
	dns_bad("-a.b", 0, "'-'");
	dns_bad("a-.b", 0, "'-'");
	dns_bad("a.b-", 0, "'-'");
	dns_bad("xn--.example", 0, "'-'");
	dns_bad("a_b.example", 0, "letters, digits and '-'");
	dns_bad("_acme-challenge.example", 0, "letters, digits and '-'");
	dns_bad("a b.example", 0, "letters");
	dns_bad("b\xc3\xbc" "cher.example", 0, "A-labels");
	dns_bad("a\x1b[31m.example", 0, "\\x1b");

	/* The trailing dot. */
	dns_bad("example.com.", 0, "empty label");
	dns_ok("Example.COM.", PKI_NAME_DNS_TRAILING_DOT, "example.com");
	dns_bad("example.com..", PKI_NAME_DNS_TRAILING_DOT, "empty label");
	dns_bad(".", PKI_NAME_DNS_TRAILING_DOT, "no labels");

	/* A leading dot, for name constraints. */
	dns_ok(".Example.com", PKI_NAME_DNS_LEADING_DOT, ".example.com");
	dns_bad("..example.com", PKI_NAME_DNS_LEADING_DOT, "empty label");
	dns_bad(".", PKI_NAME_DNS_LEADING_DOT, "empty label");

	/* An all-digit last label reads as an address. */
	dns_bad("1.2.3", 0, "numeric");
	dns_bad("host.123", 0, "numeric");
	dns_ok("host.123", PKI_NAME_DNS_NUMERIC_TLD, "host.123");
	dns_ok("1.2.3.4", PKI_NAME_DNS_NUMERIC_TLD, "1.2.3.4");

	/* Labels are found again. */
	assert_int_equal(pki_name_dns_parse(".www.Example.com",
					    PKI_NAME_DNS_LEADING_DOT, &d, NULL),
			 PKI_OK);
	assert_int_equal(d.nlabels, 3);
	l = pki_name_dns_label(&d, 0, &n);
	assert_int_equal(n, 3);
	assert_memory_equal(l, "www", 3);
	l = pki_name_dns_label(&d, 2, &n);
	assert_int_equal(n, 3);
	assert_memory_equal(l, "com", 3);
	assert_false(d.wildcard);
}

static void
test_wildcards(void **state)
{
	struct pki_name_dns d;

	(void)state;
	dns_ok("*.Example.com", WILD, "*.example.com");
	assert_int_equal(pki_name_dns_parse("*.a.b.example", WILD, &d, NULL),
			 PKI_OK);
	assert_true(d.wildcard);
	assert_int_equal(d.nlabels, 4);
	dns_bad("*.example.com", 0, "wildcard is not allowed");
	/* A certificate's wildcard covers names under two labels at least;
	 * a policy request may name "*.com". */
	dns_bad("*.com", WILD, "two labels");
	dns_ok("*.com", PKI_NAME_DNS_WILDCARD_ANY, "*.com");
	/* Only a whole leftmost label. */
	dns_bad("*", WILD, "whole leftmost label");
	dns_bad("*.", WILD | PKI_NAME_DNS_TRAILING_DOT, "whole leftmost");
	dns_bad("w*.example.com", WILD, "whole leftmost label");
	dns_bad("a.*.example.com", WILD, "whole leftmost label");
	dns_bad("*.*.example.com", WILD, "whole leftmost label");
	dns_bad("**.example.com", WILD, "whole leftmost label");
	dns_bad("?.example.com", WILD, "letters");
}

static int
glob(const char *pattern, const char *name, int every)
{
	struct pki_name_dns p, n;
	struct pki_error err = { 0 };

	if (pki_name_glob_parse(pattern, &p, &err) != PKI_OK ||
	    pki_name_dns_parse(name, PKI_NAME_DNS_WILDCARD_ANY |
			       PKI_NAME_DNS_TRAILING_DOT, &n, &err) != PKI_OK)
		fail_msg("%s / %s: %s", pattern, name, err.msg);
	return pki_name_glob_match(&p, &n, every);
}

static void
glob_bad(const char *pattern, const char *why)
{
	struct pki_name_dns p;
	struct pki_error err = { 0 };

	assert_int_equal(pki_name_glob_parse(pattern, &p, &err), PKI_E_INVALID);
	if (strstr(err.msg, why) == NULL)
		print_error("%s: '%s' lacks '%s'\n", pattern, err.msg, why);
	assert_non_null(strstr(err.msg, why));
	assert_non_null(strstr(err.msg, "pattern \""));
}

static void
test_globs(void **state)
{
	struct pki_name_dns p;

	(void)state;
	/* A leading "*" label: one or more labels, never the apex. */
	assert_true(glob("*.example.com", "a.example.com", 0));
	assert_true(glob("*.example.com", "a.b.example.com", 0));
	assert_false(glob("*.example.com", "example.com", 0));
	assert_false(glob("*.example.com", "a.example.org", 0));
	assert_true(glob("*.EXAMPLE.com.", "A.Example.COM.", 0));
	assert_true(glob("*", "anything.at.all", 0));
	/* Globs inside a label never cross a dot. */
	assert_true(glob("web-?*.example.org", "web-1.example.org", 0));
	assert_true(glob("web-?*.example.org", "web-12.example.org", 0));
	assert_false(glob("web-?*.example.org", "web.example.org", 0));
	assert_false(glob("web*.example.org", "web.a.example.org", 0));
	assert_true(glob("a*b.example", "ab.example", 0));
	assert_true(glob("a*b.example", "axxb.example", 0));
	assert_false(glob("a*b.example", "axxc.example", 0));
	assert_false(glob("exact.example", "a.exact.example", 0));
	/* A wildcard request "*.S": covered by a leading-"*" pattern, and
	 * by no other; touched by one whose first label may match. */
	assert_true(glob("*.example.com", "*.example.com", 1));
	assert_true(glob("*.example.com", "*.a.example.com", 1));
	assert_false(glob("*.a.example.com", "*.example.com", 1));
	assert_false(glob("www.example.com", "*.example.com", 1));
	assert_true(glob("www.example.com", "*.example.com", 0));
	assert_true(glob("db*.example.com", "*.example.com", 0));
	assert_false(glob("a.b.example.com", "*.example.com", 0));

	assert_int_equal(pki_name_glob_parse("A*.Example.", &p, NULL), PKI_OK);
	assert_string_equal(p.name, "a*.example");
	assert_false(p.wildcard);
	assert_int_equal(pki_name_glob_parse("*.x", &p, NULL), PKI_OK);
	assert_true(p.wildcard);
	/* Hyphens are not checked in patterns: they only match less. */
	assert_int_equal(pki_name_glob_parse("-a.example", &p, NULL), PKI_OK);

	glob_bad("", "no labels");
	glob_bad(".", "no labels");
	glob_bad(".example.com", "*.example.com");
	glob_bad("a..com", "empty label");
	glob_bad("**.example.com", "**");
	glob_bad("[ab].example.com", "globs");
	glob_bad("exa mple.com", "white space");
	glob_bad("web_1.example.com", "letters");
	glob_bad("b\xc3\xbc" "cher.de", "A-labels");
	glob_bad("10.0.0.*", "CIDR");
	glob_bad("host.42", "numeric");
}

static void
ip_ok(const char *s, size_t len, const char *canon)
{
	struct pki_name_ip ip;
	char buf[PKI_NAME_IP_STRLEN];
	struct pki_error err = { 0 };

	if (pki_name_ip_parse(s, &ip, &err) != PKI_OK)
		fail_msg("%s: %s", s, err.msg);
	assert_int_equal(ip.len, len);
	assert_string_equal(pki_name_ip_format(&ip, buf), canon);
}

static void
ip_bad(const char *s)
{
	struct pki_name_ip ip;
	struct pki_error err = { 0 };

	if (pki_name_ip_parse(s, &ip, &err) != PKI_E_INVALID)
		fail_msg("%s: accepted", s);
	assert_non_null(strstr(err.msg, "not an IP address"));
}

static void
test_ip_addresses(void **state)
{
	static const unsigned char lo6[16] = {
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1
	};
	struct pki_name_ip a, b;
	char buf[PKI_NAME_IP_STRLEN];

	(void)state;
	ip_ok("192.0.2.1", 4, "192.0.2.1");
	ip_ok("0.0.0.0", 4, "0.0.0.0");
	ip_ok("255.255.255.255", 4, "255.255.255.255");
	ip_ok("2001:DB8:0:0::0:1", 16, "2001:db8::1");
	ip_ok("0001::1", 16, "1::1");
	ip_ok("::", 16, "::");
	ip_ok("::ffff:1.2.3.4", 16, "::ffff:1.2.3.4");
	/* Strict: no shorthand, leading zeros, brackets, zones, prefixes,
	 * white space. */
	ip_bad("1.2.3");
	ip_bad("01.2.3.4");
	ip_bad("1.2.3.04");
	ip_bad("1.2.3.256");
	ip_bad("1.2.3.4.");
	ip_bad(" 1.2.3.4");
	ip_bad("0x7f.0.0.1");
	ip_bad("00001::1");
	ip_bad("1::2::3");
	ip_bad("[::1]");
	ip_bad("fe80::1%eth0");
	ip_bad("10.0.0.0/8");
	ip_bad("::ffff:01.2.3.4");
	ip_bad("");
	ip_bad(NULL);
	ip_bad("example.com");

	/* IPv4-mapped addresses parse; callers may refuse them. */
	assert_int_equal(pki_name_ip_parse("::ffff:10.1.2.3", &a, NULL),
			 PKI_OK);
	assert_true(pki_name_ip_is_v4mapped(&a));
	assert_int_equal(pki_name_ip_parse("::1", &a, NULL), PKI_OK);
	assert_false(pki_name_ip_is_v4mapped(&a));
	assert_int_equal(pki_name_ip_parse("10.1.2.3", &b, NULL), PKI_OK);
	assert_false(pki_name_ip_is_v4mapped(&b));

	/* From the octets of an iPAddress SAN. */
	assert_int_equal(pki_name_ip_from_bytes(lo6, 16, &b, NULL), PKI_OK);
	assert_true(pki_name_ip_equal(&a, &b));
	assert_string_equal(pki_name_ip_format(&b, buf), "::1");
	assert_int_equal(pki_name_ip_from_bytes(lo6, 5, &b, NULL),
			 PKI_E_INVALID);
	assert_int_equal(pki_name_ip_from_bytes(lo6, 4, &b, NULL), PKI_OK);
	assert_string_equal(pki_name_ip_format(&b, buf), "0.0.0.0");
	assert_false(pki_name_ip_equal(&a, &b));
}

static void
cidr_bad(const char *s, unsigned flags, const char *why)
{
	struct pki_name_cidr c;
	struct pki_error err = { 0 };

	if (pki_name_cidr_parse(s, flags, &c, &err) != PKI_E_INVALID)
		fail_msg("%s: accepted", s);
	if (strstr(err.msg, why) == NULL)
		fail_msg("%s: '%s' lacks '%s'", s, err.msg, why);
}

static void
test_cidr(void **state)
{
	static const unsigned char nc8[8] = { 10, 0, 0, 0, 255, 0, 0, 0 };
	struct pki_name_cidr c, c2;
	struct pki_name_ip ip;
	unsigned char out[32];

	(void)state;
	assert_int_equal(pki_name_cidr_parse("10.0.0.0/8", 0, &c, NULL),
			 PKI_OK);
	assert_int_equal(c.net.len, 4);
	assert_int_equal(c.prefix, 8);
	assert_int_equal(pki_name_cidr_netmask(&c, out), 8);
	assert_memory_equal(out, nc8, 8);
	assert_int_equal(pki_name_ip_parse("10.255.1.2", &ip, NULL), PKI_OK);
	assert_true(pki_name_cidr_contains(&c, &ip));
	assert_int_equal(pki_name_ip_parse("11.0.0.0", &ip, NULL), PKI_OK);
	assert_false(pki_name_cidr_contains(&c, &ip));
	/* Families never mix, not even through a mapped address. */
	assert_int_equal(pki_name_ip_parse("::ffff:10.0.0.1", &ip, NULL),
			 PKI_OK);
	assert_false(pki_name_cidr_contains(&c, &ip));

	assert_int_equal(pki_name_cidr_parse("fd00::/8", 0, &c, NULL), PKI_OK);
	assert_int_equal(c.net.len, 16);
	assert_int_equal(pki_name_cidr_netmask(&c, out), 32);
	assert_int_equal(out[16], 0xff);
	assert_int_equal(out[17], 0);
	assert_int_equal(pki_name_ip_parse("fdff:1::2", &ip, NULL), PKI_OK);
	assert_true(pki_name_cidr_contains(&c, &ip));
	assert_int_equal(pki_name_ip_parse("fe00::", &ip, NULL), PKI_OK);
	assert_false(pki_name_cidr_contains(&c, &ip));

	/* Prefixes that end inside an octet. */
	assert_int_equal(pki_name_cidr_parse("2001:db8::/33", 0, &c, NULL),
			 PKI_OK);
	assert_int_equal(pki_name_ip_parse("2001:db8:7fff::1", &ip, NULL),
			 PKI_OK);
	assert_true(pki_name_cidr_contains(&c, &ip));
	assert_int_equal(pki_name_ip_parse("2001:db8:8000::", &ip, NULL),
			 PKI_OK);
	assert_false(pki_name_cidr_contains(&c, &ip));
	assert_int_equal(pki_name_cidr_netmask(&c, out), 32);
	assert_int_equal(out[16 + 4], 0x80);

	/* /0 holds its whole family; /32 one address. */
	assert_int_equal(pki_name_cidr_parse("0.0.0.0/0", 0, &c, NULL), PKI_OK);
	assert_int_equal(pki_name_ip_parse("203.0.113.9", &ip, NULL), PKI_OK);
	assert_true(pki_name_cidr_contains(&c, &ip));
	assert_int_equal(pki_name_cidr_parse("203.0.113.9/32", 0, &c, NULL),
			 PKI_OK);
	assert_true(pki_name_cidr_contains(&c, &ip));
	assert_int_equal(pki_name_cidr_parse("203.0.113.9",
					     PKI_NAME_CIDR_BARE, &c2, NULL),
			 PKI_OK);
	assert_true(pki_name_cidr_equal(&c, &c2));
	assert_int_equal(pki_name_cidr_parse("::1", PKI_NAME_CIDR_BARE, &c,
					     NULL), PKI_OK);
	assert_int_equal(c.prefix, 128);

	/* Host bits set: the message names the network to write. */
	cidr_bad("10.1.2.3/8", 0, "write 10.0.0.0/8");
	cidr_bad("2001:db8::1/32", 0, "write 2001:db8::/32");
	cidr_bad("10.0.0.0/0", 0, "write 0.0.0.0/0");
	/* Prefix out of range or not plain decimal. */
	cidr_bad("10.0.0.0/33", 0, "0 to 32");
	cidr_bad("2001:db8::/129", 0, "0 to 128");
	cidr_bad("10.0.0.0/08", 0, "prefix");
	cidr_bad("10.0.0.0/+8", 0, "prefix");
	cidr_bad("10.0.0.0/ 8", 0, "prefix");
	cidr_bad("10.0.0.0/-0", 0, "prefix");
	cidr_bad("10.0.0.0/", 0, "prefix");
	cidr_bad("10.0.0.0/8/8", 0, "prefix");
	cidr_bad("10.0.0.0/99999999999999999999", 0, "prefix");
	/* The address. */
	cidr_bad("10.0.0/8", 0, "IPv4");
	cidr_bad("2001:db8::zz/32", 0, "IPv6");
	cidr_bad("a.com/24", 0, "IPv4");
	cidr_bad("/8", 0, "IPv4");
	/* A bare address only when asked for. */
	cidr_bad("10.0.0.0", 0, "CIDR form");
	cidr_bad(NULL, 0, "CIDR form");
}

static void
test_email(void **state)
{
	struct pki_name_email e;
	struct pki_error err = { 0 };

	(void)state;
	assert_int_equal(pki_name_email_parse("Pki.Team+x@Example.COM", 0, &e,
					      &err), PKI_OK);
	assert_int_equal(e.local_len, 10);
	assert_string_equal(e.domain.name, "example.com");
	assert_int_equal(pki_name_email_parse("a@host.42",
					      PKI_NAME_DNS_NUMERIC_TLD, &e,
					      NULL), PKI_OK);

	assert_int_equal(pki_name_email_parse("example.com", 0, &e, &err),
			 PKI_E_INVALID);
	assert_non_null(strstr(err.msg, "local@domain"));
	assert_int_equal(pki_name_email_parse("@example.com", 0, &e, &err),
			 PKI_E_INVALID);
	assert_int_equal(pki_name_email_parse("a b@example.com", 0, &e, &err),
			 PKI_E_INVALID);
	assert_non_null(strstr(err.msg, "before the domain"));
	assert_int_equal(pki_name_email_parse("a@b@example.com", 0, &e, &err),
			 PKI_E_INVALID);
	assert_int_equal(pki_name_email_parse("\xc3\xa9@example.com", 0, &e,
					      &err), PKI_E_INVALID);
	/* The domain is a DNS name. */
	assert_int_equal(pki_name_email_parse("a@exa_mple.com", 0, &e, &err),
			 PKI_E_INVALID);
	assert_non_null(strstr(err.msg, "invalid domain"));
	assert_non_null(strstr(err.msg, "letters"));
	assert_int_equal(pki_name_email_parse("a@", 0, &e, &err),
			 PKI_E_INVALID);
	assert_int_equal(pki_name_email_parse("a@example.com.", 0, &e, &err),
			 PKI_E_INVALID);
	assert_int_equal(pki_name_email_parse("a@-x.example", 0, &e, &err),
			 PKI_E_INVALID);
	assert_int_equal(pki_name_email_parse("a@*.example.com", 0, &e, &err),
			 PKI_E_INVALID);

	/* rfc822Name constraints: mailbox, host, or .domain. */
	assert_int_equal(pki_name_email_constraint_check("pki@example.com",
							 NULL), PKI_OK);
	assert_int_equal(pki_name_email_constraint_check("example.com", NULL),
			 PKI_OK);
	assert_int_equal(pki_name_email_constraint_check(".example.com", NULL),
			 PKI_OK);
	assert_int_equal(pki_name_email_constraint_check("..example.com",
							 NULL), PKI_E_INVALID);
	assert_int_equal(pki_name_email_constraint_check("@example.com", NULL),
			 PKI_E_INVALID);
	assert_int_equal(pki_name_email_constraint_check("a@.example.com",
							 NULL), PKI_E_INVALID);
	assert_int_equal(pki_name_email_constraint_check("", NULL),
			 PKI_E_INVALID);
}

static void
test_within(void **state)
{
	(void)state;
	assert_true(pki_name_dns_within("example.com", "example.com"));
	assert_true(pki_name_dns_within("WWW.example.com", "Example.COM"));
	assert_true(pki_name_dns_within("a.b.example.com", ".example.com"));
	assert_false(pki_name_dns_within("wwwexample.com", "example.com"));
	assert_false(pki_name_dns_within("example.org", "example.com"));
	assert_false(pki_name_dns_within("com", "example.com"));
	assert_false(pki_name_dns_within("Issuing CA", "example.com"));
}

static void
test_reasons(void **state)
{
	struct pki_error err = { 0 };
	char num[16];
	int i, r;

	(void)state;
	/* Every name and every number comes back to its code. */
	for (i = 0; i < PKI_CRL_REASON__MAX; i++) {
		const char *name = pki_crl_reason_name(i);

		snprintf(num, sizeof(num), "%d", i);
		if (name == NULL) {
			assert_int_equal(i, 7);
			assert_int_equal(pki_crl_reason_parse(num), -1);
			continue;
		}
		assert_int_equal(pki_crl_reason_parse(name), i);
		assert_int_equal(pki_crl_reason_parse(num), i);
	}
	assert_int_equal(pki_crl_reason_parse("KEY_COMPROMISE"), 1);
	assert_int_equal(pki_crl_reason_parse("key-compromise"), 1);
	assert_int_equal(pki_crl_reason_parse("aacompromise"), 10);
	assert_int_equal(pki_crl_reason_parse("010"), 10);
	assert_int_equal(pki_crl_reason_parse("11"), -1);
	assert_int_equal(pki_crl_reason_parse("99999999999999999999"), -1);
	assert_int_equal(pki_crl_reason_parse("1x"), -1);
	assert_int_equal(pki_crl_reason_parse("+1"), -1);
	assert_int_equal(pki_crl_reason_parse("-1"), -1);
	assert_int_equal(pki_crl_reason_parse(" 1"), -1);
	assert_int_equal(pki_crl_reason_parse("keyCompromise-"), -1);
	assert_int_equal(pki_crl_reason_parse(""), -1);
	assert_int_equal(pki_crl_reason_parse(NULL), -1);

	/* Revocation takes the same table but refuses removeFromCRL. */
	assert_int_equal(pki_enroll_reason_parse("superseded", &r, &err),
			 PKI_OK);
	assert_int_equal(r, PKI_CRL_REASON_SUPERSEDED);
	assert_int_equal(pki_enroll_reason_parse("9", &r, &err), PKI_OK);
	assert_int_equal(r, PKI_CRL_REASON_PRIVILEGE_WITHDRAWN);
	assert_int_equal(pki_enroll_reason_parse("removeFromCRL", &r, &err),
			 PKI_E_INVALID);
	assert_int_equal(err.hint, PKI_HINT_UNHOLD);
	assert_null(strstr(err.msg, "spork "));   /* no CLI words in libpki */
	assert_int_equal(pki_enroll_reason_parse("8", &r, &err),
			 PKI_E_INVALID);
	assert_non_null(strstr(err.msg, "removeFromCRL is not"));
	assert_int_equal(pki_enroll_reason_parse("stolen", &r, &err),
			 PKI_E_INVALID);
	assert_string_equal(err.msg, "unknown revocation reason 'stolen'; use "
			    "one of unspecified, keyCompromise, cACompromise, "
			    "affiliationChanged, superseded, "
			    "cessationOfOperation, certificateHold, "
			    "privilegeWithdrawn, aACompromise");
}

static void
test_time_format(void **state)
{
	char buf[PKI_TIME_STRLEN];

	(void)state;
	pki_time_format(0, buf);
	assert_string_equal(buf, "1970-01-01T00:00:00Z");
	pki_time_format(1767323045, buf);
	assert_string_equal(buf, "2026-01-02T03:04:05Z");
	pki_time_format(253402300799, buf);
	assert_string_equal(buf, "9999-12-31T23:59:59Z");
	pki_time_format(253402300800, buf);
	assert_string_equal(buf, "(invalid time)");
	pki_time_format(INT64_MAX, buf);
	assert_string_equal(buf, "(invalid time)");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dns_names),
		cmocka_unit_test(test_wildcards),
		cmocka_unit_test(test_globs),
		cmocka_unit_test(test_ip_addresses),
		cmocka_unit_test(test_cidr),
		cmocka_unit_test(test_email),
		cmocka_unit_test(test_within),
		cmocka_unit_test(test_reasons),
		cmocka_unit_test(test_time_format),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
