/*
 * Fuzz target for libpki/name.c: the input (up to its first NUL) is
 * parsed as a DNS name under several flag sets, as a policy pattern, as
 * an IP address, as a CIDR range, as an email address and as a
 * revocation reason; when it holds a newline, the two halves are also
 * matched as pattern and name.  Nothing may crash or read out of bounds,
 * and every result must be consistent: a canonical form parses again to
 * itself, a formatted address parses back to the same octets, a range
 * holds its own network address, a name matches the pattern spelled as
 * itself.
 */
#include <config.h>

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <spork/crl.h>
#include <spork/name.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const unsigned dns_flags[] = {
	0,
	PKI_NAME_DNS_WILDCARD,
	PKI_NAME_DNS_WILDCARD_ANY | PKI_NAME_DNS_TRAILING_DOT,
	PKI_NAME_DNS_LEADING_DOT | PKI_NAME_DNS_NUMERIC_TLD,
	PKI_NAME_DNS_WILDCARD | PKI_NAME_DNS_NUMERIC_TLD,
};

/* The labels of d, joined with dots, spell d->name. */
static void
check_labels(const struct pki_name_dns *d)
{
	char buf[PKI_NAME_DNS_MAX + 2];
	size_t i, n, o = 0, len;

	if (d->len == 0 || d->len > PKI_NAME_DNS_MAX || d->nlabels == 0 ||
	    d->nlabels > PKI_NAME_LABELS_MAX || strlen(d->name) != d->len)
		abort();
	if (d->name[0] == '.')
		buf[o++] = '.';
	for (i = 0; i < d->nlabels; i++) {
		const char *l = pki_name_dns_label(d, i, &len);

		if (len == 0 || len > PKI_NAME_LABEL_MAX || o + len + 1 >
		    sizeof(buf))
			abort();
		if (i > 0)
			buf[o++] = '.';
		memcpy(buf + o, l, len);
		o += len;
	}
	buf[o] = '\0';
	if (strcmp(buf, d->name) != 0)
		abort();
	for (n = 0; n < d->len; n++)
		if (d->name[n] >= 'A' && d->name[n] <= 'Z')
			abort();
}

static void
fuzz_dns(const char *s)
{
	struct pki_name_dns d, again, pat;
	size_t i;

	for (i = 0; i < sizeof(dns_flags) / sizeof(dns_flags[0]); i++) {
		if (pki_name_dns_parse(s, dns_flags[i], &d, NULL) != PKI_OK)
			continue;
		check_labels(&d);
		if (pki_name_dns_parse(d.name, dns_flags[i], &again, NULL) !=
		    PKI_OK || strcmp(again.name, d.name) != 0 ||
		    again.wildcard != d.wildcard)
			abort();
		if (d.wildcard && !(dns_flags[i] & (PKI_NAME_DNS_WILDCARD |
						    PKI_NAME_DNS_WILDCARD_ANY)))
			abort();
		/* A name is matched by the pattern spelled as itself. */
		if (d.name[0] != '.' &&
		    pki_name_glob_parse(d.name, &pat, NULL) == PKI_OK &&
		    !pki_name_glob_match(&pat, &d, 1))
			abort();
		if (!pki_name_dns_within(d.name, d.name))
			abort();
	}
	if (pki_name_glob_parse(s, &pat, NULL) == PKI_OK) {
		check_labels(&pat);
		if (pki_name_glob_parse(pat.name, &again, NULL) != PKI_OK ||
		    strcmp(again.name, pat.name) != 0)
			abort();
	}
}

static void
check_ip(const struct pki_name_ip *ip)
{
	struct pki_name_ip again;
	char buf[PKI_NAME_IP_STRLEN];

	if (ip->len != 4 && ip->len != 16)
		abort();
	pki_name_ip_format(ip, buf);
	if (pki_name_ip_parse(buf, &again, NULL) != PKI_OK ||
	    !pki_name_ip_equal(ip, &again))
		abort();
}

static void
fuzz_ip(const char *s, const uint8_t *data, size_t size)
{
	struct pki_name_ip ip;
	struct pki_name_cidr c, again;
	unsigned char nm[32];
	char buf[PKI_NAME_IP_STRLEN + 8], ipbuf[PKI_NAME_IP_STRLEN];
	unsigned flags, ones, i;
	size_t n;

	if (pki_name_ip_parse(s, &ip, NULL) == PKI_OK)
		check_ip(&ip);
	if (pki_name_ip_from_bytes(data, size, &ip, NULL) == PKI_OK)
		check_ip(&ip);
	for (flags = 0; flags <= PKI_NAME_CIDR_BARE; flags++) {
		if (pki_name_cidr_parse(s, flags, &c, NULL) != PKI_OK)
			continue;
		check_ip(&c.net);
		if (c.prefix > c.net.len * 8 ||
		    !pki_name_cidr_contains(&c, &c.net))
			abort();
		n = pki_name_cidr_netmask(&c, nm);
		if (n != 2 * c.net.len)
			abort();
		for (ones = 0, i = 0; i < c.net.len * 8; i++)
			ones += (nm[c.net.len + i / 8] >> (7 - i % 8)) & 1;
		if (ones != c.prefix)
			abort();
		snprintf(buf, sizeof(buf), "%s/%u",
			 pki_name_ip_format(&c.net, ipbuf), c.prefix);
		if (pki_name_cidr_parse(buf, 0, &again, NULL) != PKI_OK ||
		    !pki_name_cidr_equal(&c, &again))
			abort();
	}
}

static void
fuzz_other(const char *s)
{
	struct pki_name_email e;
	const char *name;
	int r;

	if (pki_name_email_parse(s, 0, &e, NULL) == PKI_OK &&
	    (e.local_len == 0 || s[e.local_len] != '@' ||
	     pki_name_dns_check(e.domain.name, 0, NULL) != PKI_OK))
		abort();
	if (pki_name_email_parse(s, 0, &e, NULL) == PKI_OK &&
	    pki_name_email_constraint_check(s, NULL) != PKI_OK)
		abort();
	r = pki_crl_reason_parse(s);
	if (r >= 0 && ((name = pki_crl_reason_name(r)) == NULL ||
		       pki_crl_reason_parse(name) != r))
		abort();
}

/* "pattern\nname": match the two halves. */
static void
fuzz_pair(char *s)
{
	struct pki_name_dns pat, name;
	char *nl = strchr(s, '\n');
	int every;

	if (nl == NULL)
		return;
	*nl = '\0';
	(void)pki_name_dns_within(s, nl + 1);
	if (pki_name_glob_parse(s, &pat, NULL) != PKI_OK ||
	    pki_name_dns_parse(nl + 1, PKI_NAME_DNS_WILDCARD_ANY |
			       PKI_NAME_DNS_TRAILING_DOT, &name, NULL) != PKI_OK)
		return;
	/* A pattern that covers every name of a wildcard may match one. */
	every = pki_name_glob_match(&pat, &name, 1);
	if (every && !pki_name_glob_match(&pat, &name, 0))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s;

	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	fuzz_dns(s);
	fuzz_ip(s, data, size);
	fuzz_other(s);
	fuzz_pair(s);
	free(s);
	return 0;
}
