/*
 * Unit tests for libpki/policy: domain-policy.toml parsing, name matching
 * (DNS globs, wildcard requests, IP ranges), deny-wins, deny-by-default,
 * and errors that point at a line and column.
 */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "fixture.h"
#include <spork/policy.h>

/* The example from the product description (seed 000), line for line. */
static const char seed_policy[] =
	"# domain-policy.toml\n"                              /* 1 */
	"# Deny-by-default: only explicitly allowed patterns can get "
	"certificates\n"                                      /* 2 */
	"[[allow]]\n"                                         /* 3 */
	"pattern = \"*.quantumnexus.com\"\n"                  /* 4 */
	"[[allow]]\n"                                         /* 5 */
	"pattern = \"quantumnexus.com\"\n"                    /* 6 */
	"[[deny]]\n"                                          /* 7 */
	"pattern = \"*.internal.quantumnexus.com\"\n";        /* 8 */

static struct pki_policy *
parse_ok(const char *text)
{
	struct pki_policy *pol = NULL;
	struct pki_error err = { 0 };
	int rc = pki_policy_parse(text, strlen(text), &pol, &err);

	if (rc != PKI_OK)
		print_error("unexpected error %d at %u:%u: %s\n", rc, err.line,
			    err.column, err.msg);
	assert_int_equal(rc, PKI_OK);
	assert_non_null(pol);
	return pol;
}

/*
 * Check name and assert the outcome: kind is 'a' (allowed by allow rule
 * #index), 'd' (denied by deny rule #index) or '-' (denied by default).
 */
static void
expect(const struct pki_policy *pol, const char *name, char kind,
       unsigned index)
{
	struct pki_policy_decision d;
	struct pki_error err = { 0 };
	int rc = pki_policy_check(pol, name, &d, &err);

	if (rc != PKI_OK)
		print_error("%s: unexpected error: %s\n", name, err.msg);
	assert_int_equal(rc, PKI_OK);
	switch (kind) {
	case 'a':
		if (!d.allowed || d.rule == NULL)
			print_error("%s: expected allow #%u\n", name, index);
		assert_true(d.allowed);
		assert_non_null(d.rule);
		assert_int_equal(d.rule->kind, PKI_POLICY_ALLOW);
		assert_int_equal(d.rule->index, index);
		break;
	case 'd':
		if (d.allowed || d.rule == NULL)
			print_error("%s: expected deny #%u\n", name, index);
		assert_false(d.allowed);
		assert_non_null(d.rule);
		assert_int_equal(d.rule->kind, PKI_POLICY_DENY);
		assert_int_equal(d.rule->index, index);
		break;
	default:
		if (d.allowed || d.rule != NULL)
			print_error("%s: expected deny by default\n", name);
		assert_false(d.allowed);
		assert_null(d.rule);
		break;
	}
}

static void
expect_invalid(const struct pki_policy *pol, const char *name,
	       const char *msg_part)
{
	struct pki_policy_decision d;
	struct pki_error err = { 0 };
	int rc = pki_policy_check(pol, name, &d, &err);

	if (rc != PKI_E_INVALID)
		print_error("\"%s\": expected PKI_E_INVALID, got %d\n", name,
			    rc);
	assert_int_equal(rc, PKI_E_INVALID);
	assert_false(d.allowed);
	assert_null(d.rule);
	if (msg_part != NULL && strstr(err.msg, msg_part) == NULL)
		print_error("\"%s\": message \"%s\" lacks \"%s\"\n", name,
			    err.msg, msg_part);
	if (msg_part != NULL)
		assert_non_null(strstr(err.msg, msg_part));
}

/* Parse text, expect failure with code at line:column and a message part. */
static void
expect_error(const char *text, int code, unsigned line, unsigned column,
	     const char *msg_part)
{
	struct pki_policy *pol = NULL;
	struct pki_error err = { 0 };
	int rc = pki_policy_parse(text, strlen(text), &pol, &err);

	if (rc != code || err.line != line ||
	    (column != 0 && err.column != column) ||
	    (msg_part != NULL && strstr(err.msg, msg_part) == NULL))
		print_error("for:\n%s\ngot rc %d at %u:%u: %s\n", text, rc,
			    err.line, err.column, err.msg);
	assert_int_equal(rc, code);
	assert_null(pol);
	assert_int_equal(err.line, line);
	if (column != 0)
		assert_int_equal(err.column, column);
	if (msg_part != NULL)
		assert_non_null(strstr(err.msg, msg_part));
}

static void
test_seed_policy(void **state)
{
	struct pki_policy *pol = parse_ok(seed_policy);
	struct pki_policy_decision d;
	struct pki_error err = { 0 };

	(void)state;
	assert_int_equal(pki_policy_count(pol), 3);

	/* The apex needs its own rule: "*." never matches the empty string. */
	expect(pol, "quantumnexus.com", 'a', 2);
	expect(pol, "www.quantumnexus.com", 'a', 1);
	expect(pol, "a.b.c.quantumnexus.com", 'a', 1);
	/* internal itself is one label under the apex: allowed. */
	expect(pol, "internal.quantumnexus.com", 'a', 1);
	/* Anything below internal is denied, however deep. */
	expect(pol, "db.internal.quantumnexus.com", 'd', 1);
	expect(pol, "x.y.internal.quantumnexus.com", 'd', 1);
	/* Look-alikes match nothing. */
	expect(pol, "example.com", '-', 0);
	expect(pol, "evilquantumnexus.com", '-', 0);
	expect(pol, "quantumnexus.com.evil.org", '-', 0);
	expect(pol, "quantumnexus.co", '-', 0);
	expect(pol, "com", '-', 0);
	/* Case and one trailing dot do not matter. */
	expect(pol, "WWW.QuantumNexus.COM", 'a', 1);
	expect(pol, "quantumnexus.com.", 'a', 2);
	expect(pol, "DB.Internal.QuantumNexus.com.", 'd', 1);
	/* No IP rule: every address is denied by default. */
	expect(pol, "10.0.0.1", '-', 0);
	expect(pol, "::1", '-', 0);

	/* The deciding rule says where it is written. */
	assert_int_equal(pki_policy_check(pol, "WWW.QuantumNexus.COM.", &d,
					  &err), PKI_OK);
	assert_string_equal(d.name, "www.quantumnexus.com");
	assert_int_equal(d.type, PKI_POLICY_NAME_DNS);
	assert_string_equal(d.rule->pattern, "*.quantumnexus.com");
	assert_int_equal(d.rule->line, 4);
	assert_int_equal(d.rule->column, 11);
	assert_null(d.rule->comment);
	assert_int_equal(pki_policy_check(pol, "a.internal.quantumnexus.com",
					  &d, &err), PKI_OK);
	assert_string_equal(d.rule->pattern, "*.internal.quantumnexus.com");
	assert_int_equal(d.rule->line, 8);
	pki_policy_free(pol);
}

static void
test_wildcard_requests(void **state)
{
	struct pki_policy *pol = parse_ok(seed_policy);
	struct pki_policy_decision d;
	struct pki_error err = { 0 };

	(void)state;
	/* *.quantumnexus.com covers exactly one label under the apex, and
	 * no such name is under internal: allowed. */
	expect(pol, "*.quantumnexus.com", 'a', 1);
	expect(pol, "*.dev.quantumnexus.com", 'a', 1);
	expect(pol, "*.INTERNAL.quantumnexus.com.", 'd', 1);
	expect(pol, "*.x.internal.quantumnexus.com", 'd', 1);
	/* Not covered by any allow pattern. */
	expect(pol, "*.com", '-', 0);
	expect(pol, "*.example.com", '-', 0);
	assert_int_equal(pki_policy_check(pol, "*.QuantumNexus.com", &d, &err),
			 PKI_OK);
	assert_int_equal(d.type, PKI_POLICY_NAME_WILDCARD);
	assert_string_equal(d.name, "*.quantumnexus.com");
	pki_policy_free(pol);

	/* An exact allow rule never covers a wildcard request; a deny rule
	 * on one name the wildcard stands for denies the wildcard. */
	pol = parse_ok("[[allow]]\npattern = \"*.example.com\"\n"
		       "[[allow]]\npattern = \"www.example.org\"\n"
		       "[[allow]]\npattern = \"web-*.example.net\"\n"
		       "[[deny]]\npattern = \"secret.example.com\"\n"
		       "[[deny]]\npattern = \"*.lab.example.com\"\n");
	expect(pol, "*.example.org", '-', 0);
	expect(pol, "*.example.net", '-', 0);
	expect(pol, "web-1.example.net", 'a', 3);
	expect(pol, "*.example.com", 'd', 1);
	expect(pol, "secret.example.com", 'd', 1);
	expect(pol, "public.example.com", 'a', 1);
	/* *.a.example.com cannot stand for secret.example.com. */
	expect(pol, "*.a.example.com", 'a', 1);
	expect(pol, "*.lab.example.com", 'd', 2);
	pki_policy_free(pol);

	/* A deny rule with a glob first label still blocks the wildcard. */
	pol = parse_ok("[[allow]]\npattern = \"*.example.com\"\n"
		       "[[deny]]\npattern = \"adm?n.example.com\"\n");
	expect(pol, "*.example.com", 'd', 1);
	expect(pol, "admin.example.com", 'd', 1);
	expect(pol, "administrator.example.com", 'a', 1);
	pki_policy_free(pol);
}

static void
test_deny_wins(void **state)
{
	/* Deny written first, and allow written first: deny wins both ways,
	 * even over an exact allow rule. */
	struct pki_policy *pol = parse_ok(
		"[[deny]]\npattern = \"*.corp.example\"\n"
		"[[allow]]\npattern = \"vpn.corp.example\"\n"
		"[[allow]]\npattern = \"*.example\"\n"
		"[[deny]]\npattern = \"printer.example\"\n");

	(void)state;
	expect(pol, "vpn.corp.example", 'd', 1);
	expect(pol, "printer.example", 'd', 2);
	expect(pol, "corp.example", 'a', 2);
	expect(pol, "www.example", 'a', 2);
	expect(pol, "example", '-', 0);
	pki_policy_free(pol);
}

static void
test_label_globs(void **state)
{
	struct pki_policy *pol = parse_ok(
		"[[allow]]\npattern = \"web-??.example.com\"\n"
		"[[allow]]\npattern = \"host*.lab.example.com\"\n"
		"[[allow]]\npattern = \"www.*.example.org\"\n"
		"[[allow]]\npattern = \"*\"\n"
		"[[deny]]\npattern = \"*.test\"\n"
		"[[deny]]\npattern = \"xn--bcher-kva.example\"\n");

	(void)state;
	expect(pol, "web-01.example.com", 'a', 1);
	expect(pol, "WEB-ab.example.com", 'a', 1);
	/* Other names fall through to the catch-all "*" (rule #4). */
	expect(pol, "web-1.example.com", 'a', 4);
	expect(pol, "host.lab.example.com", 'a', 2);
	expect(pol, "host42.lab.example.com", 'a', 2);
	expect(pol, "www.x.example.org", 'a', 3);
	expect(pol, "www.x.y.example.org", 'a', 4);
	expect(pol, "anything.at.all", 'a', 4);
	expect(pol, "localhost", 'a', 4);
	expect(pol, "*.anything", 'a', 4);
	expect(pol, "a.test", 'd', 1);
	expect(pol, "test", 'a', 4);
	/* IDN names are compared as the A-labels given. */
	expect(pol, "xn--bcher-kva.example", 'd', 2);
	expect(pol, "XN--BCHER-KVA.example.", 'd', 2);
	/* "*" is a DNS pattern: it never matches an IP address. */
	expect(pol, "192.0.2.1", '-', 0);
	expect(pol, "2001:db8::1", '-', 0);
	pki_policy_free(pol);
}

static void
test_ip_ranges(void **state)
{
	static const unsigned char v4in[4] = { 10, 9, 8, 7 };
	static const unsigned char v4out[4] = { 11, 0, 0, 1 };
	static const unsigned char v6in[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0,
						0, 0, 0, 0, 0, 0, 0, 0, 0, 1 };
	static const unsigned char mapped[16] = { 0, 0, 0, 0, 0, 0, 0, 0, 0,
						  0, 0xff, 0xff, 10, 1, 2, 3 };
	struct pki_policy *pol = parse_ok(
		"[[allow]]\npattern = \"10.0.0.0/8\"\ncomment = \"lab\"\n"
		"[[allow]]\npattern = \"192.0.2.7\"\n"
		"[[allow]]\npattern = \"2001:db8::/32\"\n"
		"[[allow]]\npattern = \"172.16.0.0/12\"\n"
		"[[allow]]\npattern = \"fd00::1\"\n"
		"[[deny]]\npattern = \"10.66.0.0/16\"\n"
		"[[deny]]\npattern = \"2001:DB8:BAD::/48\"\n");
	struct pki_policy_decision d;
	struct pki_error err = { 0 };

	(void)state;
	expect(pol, "10.1.2.3", 'a', 1);
	expect(pol, "10.0.0.0", 'a', 1);
	expect(pol, "10.255.255.255", 'a', 1);
	expect(pol, "11.0.0.0", '-', 0);
	expect(pol, "9.255.255.255", '-', 0);
	expect(pol, "10.66.1.1", 'd', 1);
	expect(pol, "10.67.0.1", 'a', 1);
	expect(pol, "192.0.2.7", 'a', 2);
	expect(pol, "192.0.2.8", '-', 0);
	expect(pol, "172.16.0.1", 'a', 4);
	expect(pol, "172.31.255.255", 'a', 4);
	expect(pol, "172.32.0.0", '-', 0);
	expect(pol, "172.15.255.255", '-', 0);
	expect(pol, "2001:db8::1", 'a', 3);
	expect(pol, "2001:0DB8:ffff::", 'a', 3);
	expect(pol, "2001:db9::1", '-', 0);
	expect(pol, "2001:db8:bad::1", 'd', 2);
	expect(pol, "2001:db8:bad:ffff::1", 'd', 2);
	expect(pol, "2001:db8:bae::1", 'a', 3);
	expect(pol, "fd00::1", 'a', 5);
	expect(pol, "fd00::2", '-', 0);
	expect(pol, "::1", '-', 0);
	/* Text forms are normalised. */
	assert_int_equal(pki_policy_check(pol, "2001:0DB8:0:0::0:1", &d, &err),
			 PKI_OK);
	assert_string_equal(d.name, "2001:db8::1");
	assert_int_equal(d.type, PKI_POLICY_NAME_IP);
	assert_null(d.rule->comment);
	assert_int_equal(pki_policy_check(pol, "10.1.2.3", &d, &err), PKI_OK);
	assert_string_equal(d.rule->comment, "lab");

	/* Binary addresses, as read from an iPAddress SAN. */
	assert_int_equal(pki_policy_check_ip(pol, v4in, 4, &d, &err), PKI_OK);
	assert_true(d.allowed);
	assert_string_equal(d.name, "10.9.8.7");
	assert_int_equal(pki_policy_check_ip(pol, v4out, 4, &d, &err), PKI_OK);
	assert_false(d.allowed);
	assert_int_equal(pki_policy_check_ip(pol, v6in, 16, &d, &err), PKI_OK);
	assert_true(d.allowed);
	assert_string_equal(d.name, "2001:db8::1");
	assert_int_equal(pki_policy_check_ip(pol, v6in, 5, &d, &err),
			 PKI_E_INVALID);
	assert_int_equal(pki_policy_check_ip(pol, mapped, 16, &d, &err),
			 PKI_E_INVALID);
	assert_false(d.allowed);
	assert_non_null(strstr(err.msg, "10.1.2.3"));
	expect_invalid(pol, "::ffff:10.1.2.3", "IPv4-mapped");
	pki_policy_free(pol);

	/* /0 covers a whole family and only that family. */
	pol = parse_ok("[[allow]]\npattern = \"0.0.0.0/0\"\n");
	expect(pol, "203.0.113.9", 'a', 1);
	expect(pol, "2001:db8::1", '-', 0);
	expect(pol, "www.example.com", '-', 0);
	pki_policy_free(pol);
}

static void
test_malformed_names(void **state)
{
	struct pki_policy *pol = parse_ok(seed_policy);
	char longlabel[100], longname[300];
	struct pki_policy_decision d;
	struct pki_error err = { 0 };
	size_t i;

	(void)state;
	expect_invalid(pol, "", "empty");
	expect_invalid(pol, ".", "no labels");
	expect_invalid(pol, "www..quantumnexus.com", "empty label");
	expect_invalid(pol, ".quantumnexus.com", "empty label");
	expect_invalid(pol, "quantumnexus.com..", "empty label");
	expect_invalid(pol, "-www.quantumnexus.com", "'-'");
	expect_invalid(pol, "www-.quantumnexus.com", "'-'");
	expect_invalid(pol, "under_score.quantumnexus.com", "letters");
	expect_invalid(pol, "sp ace.quantumnexus.com", "letters");
	expect_invalid(pol, "a/b.quantumnexus.com", "letters");
	expect_invalid(pol, "b\xc3\xbc" "cher.quantumnexus.com", "A-labels");
	expect_invalid(pol, "*", "wildcard");
	expect_invalid(pol, "w*.quantumnexus.com", "wildcard");
	expect_invalid(pol, "a.*.quantumnexus.com", "wildcard");
	expect_invalid(pol, "*.*.quantumnexus.com", "wildcard");
	expect_invalid(pol, "?.quantumnexus.com", "letters");
	expect_invalid(pol, "1.2.3", "numeric");
	expect_invalid(pol, "1.2.3.4.", "numeric");
	expect_invalid(pol, "1.2.3.256", "numeric");
	expect_invalid(pol, "2001:db8::g", "IPv6");
	expect_invalid(pol, "fe80::1%eth0", "IPv6");
	expect_invalid(pol, "[::1]", "IPv6");

	memset(longlabel, 'a', 64);
	memcpy(longlabel + 64, ".quantumnexus.com", 18);
	expect_invalid(pol, longlabel, "63");
	longlabel[1] = '.';        /* 62-byte label: fine */
	expect(pol, longlabel, 'a', 1);

	for (i = 0; i + 2 < 254; i += 2)
		memcpy(longname + i, "a.", 2);
	strcpy(longname + i, "quantumnexus.com");
	expect_invalid(pol, longname, "253");

	/* Error output never echoes raw control bytes. */
	assert_int_equal(pki_policy_check(pol, "a\x1b[31m.com", &d, &err),
			 PKI_E_INVALID);
	assert_null(strchr(err.msg, '\x1b'));
	assert_null(strchr(d.name, '\x1b'));

	/* A dNSName that is an IP address is refused. */
	assert_int_equal(pki_policy_check_dns(pol, "10.0.0.1", &d, &err),
			 PKI_E_INVALID);
	assert_non_null(strstr(err.msg, "IP address"));
	assert_int_equal(pki_policy_check_dns(pol, "::1", &d, &err),
			 PKI_E_INVALID);
	assert_int_equal(pki_policy_check_dns(pol, "www.quantumnexus.com", &d,
					      &err), PKI_OK);
	assert_true(d.allowed);
	pki_policy_free(pol);
}

static void
test_empty_policy(void **state)
{
	static const char *const texts[] = {
		"", "# nothing allowed yet\n\n", "allow = []\ndeny = []\n",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		struct pki_policy *pol = parse_ok(texts[i]);

		assert_int_equal(pki_policy_count(pol), 0);
		assert_null(pki_policy_rule(pol, 0));
		expect(pol, "example.com", '-', 0);
		expect(pol, "*.example.com", '-', 0);
		expect(pol, "127.0.0.1", '-', 0);
		expect(pol, "::1", '-', 0);
		pki_policy_free(pol);
	}
	/* No policy at all denies too. */
	expect(NULL, "example.com", '-', 0);
	assert_int_equal(pki_policy_count(NULL), 0);
	pki_policy_free(NULL);
}

static void
test_rules_accessor(void **state)
{
	struct pki_policy *pol;
	const struct pki_policy_rule *r;

	(void)state;
	pol = parse_ok(
		"allow = [ { pattern = \"10.0.0.0/8\" } ]\n"
		"[[deny]]\npattern = \"bad.example\"\ncomment = \"sold\"\n"
		"[[deny]]\ncomment = \"all of it\"\npattern = \"*.Example.\"\n");
	assert_int_equal(pki_policy_count(pol), 3);
	r = pki_policy_rule(pol, 0);
	assert_int_equal(r->kind, PKI_POLICY_ALLOW);
	assert_int_equal(r->index, 1);
	assert_string_equal(r->pattern, "10.0.0.0/8");
	assert_int_equal(r->line, 1);
	r = pki_policy_rule(pol, 1);
	assert_int_equal(r->kind, PKI_POLICY_DENY);
	assert_int_equal(r->index, 1);
	assert_string_equal(r->comment, "sold");
	assert_int_equal(r->line, 3);
	r = pki_policy_rule(pol, 2);
	assert_int_equal(r->index, 2);
	assert_string_equal(r->pattern, "*.Example.");
	assert_string_equal(r->comment, "all of it");
	assert_int_equal(r->line, 7);
	assert_null(pki_policy_rule(pol, 3));
	assert_string_equal(pki_policy_kind_name(PKI_POLICY_ALLOW), "allow");
	assert_string_equal(pki_policy_kind_name(PKI_POLICY_DENY), "deny");
	pki_policy_free(pol);
}

static void
test_parse_errors(void **state)
{
	(void)state;
	/* TOML syntax errors keep the parser's position. */
	expect_error("[[allow]\npattern = \"a.com\"\n", PKI_E_PARSE, 1, 0,
		     NULL);
	expect_error("[[allow]]\npattern = \"a.com\n", PKI_E_PARSE, 2, 0, NULL);
	/* Structure. */
	expect_error("[[allow]]\npatern = \"a.com\"\n", PKI_E_INVALID, 2, 1,
		     "unknown key \"patern\"");
	expect_error("[[allow]]\npattern = 5\n", PKI_E_INVALID, 2, 11,
		     "must be a string");
	expect_error("[[allow]]\npattern = [\"a.com\"]\n", PKI_E_INVALID, 2,
		     11, "must be a string");
	expect_error("[[deny]]\npattern = \"a.com\"\ncomment = true\n",
		     PKI_E_INVALID, 3, 11, "comment");
	expect_error("[[deny]]\npattern = \"a.com\"\n"
		     "comment = \"\"\"\ntwo\nlines\"\"\"\n",
		     PKI_E_INVALID, 3, 11, "one line");
	expect_error("[[allow]]\ncomment = \"no pattern\"\n", PKI_E_INVALID, 1,
		     0, "no pattern");
	expect_error("[[allow]]\npattern = \"a.com\"\n[[allow]]\n\n",
		     PKI_E_INVALID, 3, 0, "[[allow]] #2 has no pattern");
	expect_error("[[permit]]\npattern = \"a.com\"\n", PKI_E_INVALID, 1, 0,
		     "unknown key \"permit\"");
	expect_error("version = 1\n", PKI_E_INVALID, 1, 1, "unknown key");
	expect_error("allow = \"a.com\"\n", PKI_E_INVALID, 1, 1,
		     "array of tables");
	expect_error("[allow]\npattern = \"a.com\"\n", PKI_E_INVALID, 1, 0,
		     "array of tables");
	expect_error("allow = [\"a.com\"]\n", PKI_E_INVALID, 1, 10,
		     "must be a table");
	expect_error("[[allow]]\npattern = \"a.com\"\n[allow.x]\n",
		     PKI_E_INVALID, 3, 0, "unknown key \"x\"");
	/* Patterns. */
	expect_error("[[allow]]\npattern = \"\"\n", PKI_E_INVALID, 2, 11,
		     "empty");
	expect_error("\n[[deny]]\n  pattern = \".example.com\"\n",
		     PKI_E_INVALID, 3, 13, "*.example.com");
	expect_error("[[allow]]\npattern = \"a..com\"\n", PKI_E_INVALID, 2, 11,
		     "empty label");
	expect_error("[[allow]]\npattern = \".\"\n", PKI_E_INVALID, 2, 11,
		     "no labels");
	expect_error("[[allow]]\npattern = \"web_1.example.com\"\n",
		     PKI_E_INVALID, 2, 11, "letters");
	expect_error("[[allow]]\npattern = \"exa mple.com\"\n", PKI_E_INVALID,
		     2, 11, "white space");
	expect_error("[[allow]]\npattern = \"b\xc3\xbc" "cher.de\"\n",
		     PKI_E_INVALID, 2, 11, "A-labels");
	expect_error("[[allow]]\npattern = \"**.example.com\"\n",
		     PKI_E_INVALID, 2, 11, "**");
	expect_error("[[allow]]\npattern = \"[ab].example.com\"\n",
		     PKI_E_INVALID, 2, 11, "globs");
	expect_error("[[allow]]\npattern = \"a\\u0000b.com\"\n",
		     PKI_E_INVALID, 2, 11, "NUL");
	expect_error("[[allow]]\npattern = \"10.0.0.*\"\n", PKI_E_INVALID, 2,
		     11, "CIDR");
	expect_error("[[allow]]\npattern = \"10.0.0\"\n", PKI_E_INVALID, 2, 11,
		     "IPv4");
	expect_error("[[allow]]\npattern = \"10.0.0.1/8\"\n", PKI_E_INVALID, 2,
		     11, "write 10.0.0.0/8");
	expect_error("[[allow]]\npattern = \"2001:db8::1/32\"\n", PKI_E_INVALID,
		     2, 11, "write 2001:db8::/32");
	expect_error("[[allow]]\npattern = \"10.0.0.0/33\"\n", PKI_E_INVALID,
		     2, 11, "0 to 32");
	expect_error("[[allow]]\npattern = \"10.0.0.0/08\"\n", PKI_E_INVALID,
		     2, 11, "prefix");
	expect_error("[[allow]]\npattern = \"10.0.0.0/\"\n", PKI_E_INVALID,
		     2, 11, "prefix");
	expect_error("[[allow]]\npattern = \"2001:db8::/129\"\n",
		     PKI_E_INVALID, 2, 11, "0 to 128");
	expect_error("[[allow]]\npattern = \"2001:db8::zz/32\"\n",
		     PKI_E_INVALID, 2, 11, "IPv6");
	expect_error("[[allow]]\npattern = \"a.com/24\"\n", PKI_E_INVALID, 2,
		     11, "IPv4");
	/* Duplicates, however they are spelled. */
	expect_error("[[allow]]\npattern = \"a.com\"\n"
		     "[[deny]]\npattern = \"A.COM.\"\n", PKI_E_INVALID, 4, 11,
		     "already [[allow]] #1 at line 2");
	expect_error("[[allow]]\npattern = \"10.0.0.0/8\"\n"
		     "[[allow]]\npattern = \"10.0.0.0/8\"\n", PKI_E_INVALID, 4,
		     11, "duplicate");
}

static void
test_check_names(void **state)
{
	struct pki_policy *pol = parse_ok(
		"[[allow]]\npattern = \"*.example.com\"\n"
		"[[allow]]\npattern = \"10.0.0.0/8\"\n"
		"[[allow]]\npattern = \"2001:db8::/32\"\n"
		"[[deny]]\npattern = \"*.corp.example.com\"\n"
		"comment = \"corporate\"\n");
	static const char *const good_dns[] = { "www.example.com",
						"*.api.example.com" };
	static const char *const good_ip[] = { "10.1.1.1", "2001:db8::5" };
	static const char *const bad_dns[] = { "www.example.com",
					       "mail.corp.example.com" };
	static const char *const other_dns[] = { "www.example.org" };
	static const char *const wild_dns[] = { "*.com" };
	static const char *const bad_ip[] = { "10.1.1.1", "192.0.2.1" };
	static const char *const ip_as_dns[] = { "10.1.1.1" };
	static const char *const dns_as_ip[] = { "www.example.com" };
	struct pki_error err = { 0 };

	(void)state;
	assert_int_equal(pki_policy_check_names(pol, good_dns, 2, good_ip, 2,
						&err), PKI_OK);
	assert_int_equal(pki_policy_check_names(pol, NULL, 0, NULL, 0, &err),
			 PKI_OK);

	assert_int_equal(pki_policy_check_names(pol, bad_dns, 2, good_ip, 2,
						&err), PKI_E_DENIED);
	assert_non_null(strstr(err.msg, "mail.corp.example.com"));
	assert_non_null(strstr(err.msg, "[[deny]] #1"));
	assert_non_null(strstr(err.msg, "*.corp.example.com"));
	assert_non_null(strstr(err.msg, "line 8"));

	assert_int_equal(pki_policy_check_names(pol, other_dns, 1, NULL, 0,
						&err), PKI_E_DENIED);
	assert_non_null(strstr(err.msg, "www.example.org"));
	assert_non_null(strstr(err.msg, "deny by default"));

	assert_int_equal(pki_policy_check_names(pol, wild_dns, 1, NULL, 0,
						&err), PKI_E_DENIED);
	assert_non_null(strstr(err.msg, "*.com"));
	assert_non_null(strstr(err.msg, "covers"));

	assert_int_equal(pki_policy_check_names(pol, good_dns, 2, bad_ip, 2,
						&err), PKI_E_DENIED);
	assert_non_null(strstr(err.msg, "192.0.2.1"));
	assert_non_null(strstr(err.msg, "deny by default"));

	assert_int_equal(pki_policy_check_names(pol, ip_as_dns, 1, NULL, 0,
						&err), PKI_E_INVALID);
	assert_int_equal(pki_policy_check_names(pol, NULL, 0, dns_as_ip, 1,
						&err), PKI_E_INVALID);
	assert_non_null(strstr(err.msg, "not an IP address"));
	assert_int_equal(pki_policy_check_names(pol, NULL, 1, NULL, 0, &err),
			 PKI_E_INVALID);
	pki_policy_free(pol);
}

static void
test_decision_str(void **state)
{
	struct pki_policy *pol = parse_ok(seed_policy);
	struct pki_policy_decision d;
	struct pki_error err = { 0 };
	char buf[512], tiny[8];

	(void)state;
	assert_int_equal(pki_policy_check(pol, "www.quantumnexus.com", &d,
					  &err), PKI_OK);
	assert_string_equal(pki_policy_decision_str(&d, buf, sizeof(buf)),
			    "www.quantumnexus.com: allowed by [[allow]] #1 "
			    "\"*.quantumnexus.com\" (line 4)");
	assert_int_equal(pki_policy_check(pol, "a.internal.quantumnexus.com",
					  &d, &err), PKI_OK);
	assert_string_equal(pki_policy_decision_str(&d, buf, sizeof(buf)),
			    "a.internal.quantumnexus.com: denied by [[deny]] #1 "
			    "\"*.internal.quantumnexus.com\" (line 8)");
	assert_int_equal(pki_policy_check(pol, "Example.ORG.", &d, &err),
			 PKI_OK);
	assert_string_equal(pki_policy_decision_str(&d, buf, sizeof(buf)),
			    "example.org: denied: no rule matched (deny by "
			    "default)");
	assert_string_equal(pki_policy_decision_str(&d, tiny, sizeof(tiny)),
			    "example");
	pki_policy_free(pol);
}

static void
test_load_file(void **state)
{
	char dir[FIXTURE_DIR_MAX], path[FIXTURE_PATH_MAX],
	     missing[FIXTURE_PATH_MAX];
	struct pki_policy *pol = NULL;
	struct pki_error err = { 0 };
	static const char *const names[] = { "db.internal.quantumnexus.com" };
	FILE *f;

	(void)state;
	fixture_dir_make(dir, sizeof(dir), "policy");
	snprintf(path, sizeof(path), "%s/domain-policy.toml", dir);
	snprintf(missing, sizeof(missing), "%s/missing.toml", dir);
	assert_non_null(f = fopen(path, "w"));
	assert_int_equal(fputs(seed_policy, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);

	assert_int_equal(pki_policy_load(path, &pol, &err), PKI_OK);
	expect(pol, "quantumnexus.com", 'a', 2);
	assert_int_equal(pki_policy_check_names(pol, names, 1, NULL, 0, &err),
			 PKI_E_DENIED);
	/* A loaded policy names its file in denials. */
	assert_non_null(strstr(err.msg, path));
	assert_non_null(strstr(err.msg, "line 8"));
	pki_policy_free(pol);
	pol = NULL;

	assert_int_equal(pki_policy_load(missing, &pol, &err), PKI_E_NOTFOUND);
	assert_null(pol);

	assert_non_null(f = fopen(path, "w"));
	assert_int_equal(fputs("[[allow]]\npattern = \"ok.example\"\n"
			       "[[deny]]\npattern = \"10.0.0.1/8\"\n", f) >= 0,
			 1);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(pki_policy_load(path, &pol, &err), PKI_E_INVALID);
	assert_null(pol);
	assert_int_equal(err.line, 4);
	assert_int_equal(err.column, 11);

	assert_int_equal(unlink(path), 0);
	assert_int_equal(rmdir(dir), 0);
}

/* Many rules and long names stay fast and bounded. */
static void
test_limits(void **state)
{
	size_t cap = 64 * (PKI_POLICY_RULES_MAX + 2), n = 0, i;
	char *text = malloc(cap);
	struct pki_policy *pol = NULL;
	struct pki_error err = { 0 };

	(void)state;
	assert_non_null(text);
	for (i = 0; i < PKI_POLICY_RULES_MAX; i++)
		n += (size_t)snprintf(text + n, cap - n,
				      "[[allow]]\npattern = \"h%zu.example\"\n",
				      i);
	pol = parse_ok(text);
	expect(pol, "h9999.example", 'a', 10000);
	expect(pol, "h10000.example", '-', 0);
	pki_policy_free(pol);
	pol = NULL;
	snprintf(text + n, cap - n, "[[deny]]\npattern = \"x.example\"\n");
	assert_int_equal(pki_policy_parse(text, strlen(text), &pol, &err),
			 PKI_E_INVALID);
	assert_null(pol);
	assert_non_null(strstr(err.msg, "10000"));
	free(text);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seed_policy),
		cmocka_unit_test(test_wildcard_requests),
		cmocka_unit_test(test_deny_wins),
		cmocka_unit_test(test_label_globs),
		cmocka_unit_test(test_ip_ranges),
		cmocka_unit_test(test_malformed_names),
		cmocka_unit_test(test_empty_policy),
		cmocka_unit_test(test_rules_accessor),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_check_names),
		cmocka_unit_test(test_decision_str),
		cmocka_unit_test(test_load_file),
		cmocka_unit_test(test_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
