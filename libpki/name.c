/*
 * name: DNS names, domain-policy DNS patterns, IP addresses, CIDR ranges
 * and email addresses.  See name.h for the grammars.
 */
#include <config.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <spork/name.h>
#include "util.h"

#define WILDCARD_FLAGS (PKI_NAME_DNS_WILDCARD | PKI_NAME_DNS_WILDCARD_ANY)

/* ------------------------------------------------------------ DNS names */

static int
is_ldh(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
}

static int
all_digits(const char *s, size_t n)
{
	size_t i;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

/*
 * Refuse the n octets at s as a host name (glob 0) or a policy pattern
 * (glob 1), saying why.  Returns PKI_E_INVALID.
 */
static int
refuse(struct pki_error *err, int glob, const char *s, size_t n,
       const char *why)
{
	char q[PKI__QUOTE_MAX];

	pki__quote(s, n, q, sizeof(q));
	if (glob)
		return pki_error_set(err, PKI_E_INVALID,
				     "pattern \"%s\" is not a valid DNS "
				     "pattern: %s", q, why);
	return pki_error_set(err, PKI_E_INVALID,
			     "\"%s\" is not a valid host name: %s", q, why);
}

/*
 * What host names and patterns share: drop one trailing dot when
 * trailing_dot is set, bound the length, refuse non-ASCII octets and
 * write the rest lower-cased into d (cleared first).
 */
static int
prepare(const char *s, int trailing_dot, int glob, struct pki_name_dns *d,
	struct pki_error *err)
{
	size_t full = strlen(s), len = full, i;

	memset(d, 0, sizeof(*d));
	if (trailing_dot && len > 0 && s[len - 1] == '.')
		len--;
	if (len == 0 || len > PKI_NAME_DNS_MAX)
		return refuse(err, glob, s, full, len == 0 ?
			      "it has no labels" :
			      "it is longer than 253 characters");
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x80)
			return refuse(err, glob, s, glob ? full : len,
				      "write internationalized names as "
				      "A-labels (xn--...)");
		d->name[i] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
	}
	d->name[len] = '\0';
	d->len = len;
	return PKI_OK;
}

/* Why one label (llen octets, not the wildcard) is not LDH, or NULL. */
static const char *
ldh_defect(const char *label, size_t llen)
{
	size_t j;

	for (j = 0; j < llen; j++)
		if (!is_ldh((unsigned char)label[j]))
			return label[j] == '*' ?
			       "a wildcard must be the whole leftmost label, "
			       "as in *.example.com" :
			       "a label has a character other than letters, "
			       "digits and '-'";
	if (label[0] == '-' || label[llen - 1] == '-')
		return "a label cannot begin or end with '-'";
	return NULL;
}

/* Split d->name into labels and check each; see pki_name_dns_parse. */
static int
dns_labels(struct pki_name_dns *d, unsigned flags, struct pki_error *err)
{
	const char *why = NULL, *last;
	size_t start = 0, i, llen;

	if ((flags & PKI_NAME_DNS_LEADING_DOT) && d->name[0] == '.')
		start = 1;
	for (i = start; i <= d->len; i++) {
		const char *label = d->name + start;

		if (i < d->len && d->name[i] != '.')
			continue;
		llen = i - start;
		if (llen == 0)
			why = "it has an empty label";
		else if (llen > PKI_NAME_LABEL_MAX)
			why = "a label is longer than 63 characters";
		else if (d->nlabels == 0 && llen == 1 && label[0] == '*' &&
			 i < d->len) {
			if (!(flags & WILDCARD_FLAGS))
				why = "a wildcard is not allowed here";
			d->wildcard = 1;
		} else
			why = ldh_defect(label, llen);
		if (why != NULL)
			goto bad;
		d->label[d->nlabels++] = (unsigned char)start;
		start = i + 1;
	}
	last = pki_name_dns_label(d, d->nlabels - 1, &llen);
	if (d->wildcard && d->nlabels < 3 &&
	    !(flags & PKI_NAME_DNS_WILDCARD_ANY))
		why = "a wildcard needs at least two labels after \"*.\"";
	else if (!(flags & PKI_NAME_DNS_NUMERIC_TLD) && all_digits(last, llen))
		why = "its last label is numeric";
	if (why == NULL)
		return PKI_OK;
bad:
	return refuse(err, 0, d->name, d->len, why);
}

int
pki_name_dns_parse(const char *s, unsigned flags, struct pki_name_dns *out,
		   struct pki_error *err)
{
	struct pki_name_dns d;
	int rc;

	if (s == NULL || *s == '\0')
		return pki_error_set(err, PKI_E_INVALID, "empty name");
	if ((rc = prepare(s, !!(flags & PKI_NAME_DNS_TRAILING_DOT), 0, &d,
			  err)) != PKI_OK ||
	    (rc = dns_labels(&d, flags, err)) != PKI_OK)
		return rc;
	memcpy(out, &d, sizeof(d));
	return PKI_OK;
}

int
pki_name_dns_check(const char *s, unsigned flags, struct pki_error *err)
{
	struct pki_name_dns d;

	return pki_name_dns_parse(s, flags, &d, err);
}

const char *
pki_name_dns_label(const struct pki_name_dns *d, size_t i, size_t *len)
{
	size_t start = d->label[i];
	size_t end = i + 1 < d->nlabels ? (size_t)d->label[i + 1] - 1 : d->len;

	*len = end - start;
	return d->name + start;
}

int
pki_name_dns_within(const char *name, const char *constraint)
{
	size_t ln = strlen(name), lc;

	if (constraint[0] == '.')
		constraint++;
	lc = strlen(constraint);
	if (ln == lc)
		return strcasecmp(name, constraint) == 0;
	return ln > lc && name[ln - lc - 1] == '.' &&
	       strcasecmp(name + ln - lc, constraint) == 0;
}

/* ------------------------------------------------------------ patterns */

/* Why octet j of a pattern label is refused, or NULL. */
static const char *
glob_defect(const char *label, size_t llen, size_t j)
{
	unsigned char c = (unsigned char)label[j];

	if (c == '*' && j + 1 < llen && label[j + 1] == '*')
		return "write '*' once, not \"**\"";
	if (c == '[' || c == ']' || c == '\\' || c == '{')
		return "only the globs '*' and '?' are supported";
	if (c == ' ' || c == '\t')
		return "it contains white space";
	if (!is_ldh(c) && c != '*' && c != '?')
		return "only letters, digits, '-', '*' and '?' are allowed in "
		       "a label";
	return NULL;
}

/* Split a pattern into labels and check each; see pki_name_glob_parse. */
static int
glob_labels(struct pki_name_dns *d, const char *orig, struct pki_error *err)
{
	const char *why = NULL, *last;
	size_t start = 0, i, j, llen;
	int numeric = 0, only_num = 1;

	for (i = 0; i <= d->len; i++) {
		const char *label = d->name + start;
		int digits = 1;

		if (i < d->len && d->name[i] != '.')
			continue;
		llen = i - start;
		if (llen == 0)
			why = start == 0 ? "it begins with '.' (write "
					   "*.example.com for every subdomain)"
					 : "it has an empty label";
		else if (llen > PKI_NAME_LABEL_MAX)
			why = "a label is longer than 63 characters";
		for (j = 0; why == NULL && j < llen; j++) {
			char c = label[j];

			why = glob_defect(label, llen, j);
			if (c < '0' || c > '9')
				digits = 0;
			if (c != '*' && c != '?' && (c < '0' || c > '9'))
				only_num = 0;
		}
		if (why != NULL)
			goto bad;
		numeric |= digits;
		if (d->nlabels == 0 && llen == 1 && label[0] == '*')
			d->wildcard = 1;
		d->label[d->nlabels++] = (unsigned char)start;
		start = i + 1;
	}
	last = pki_name_dns_label(d, d->nlabels - 1, &llen);
	if (numeric && only_num)
		why = "an IP pattern is an address or a CIDR range such as "
		      "10.0.0.0/8, not a glob";
	else if (all_digits(last, llen))
		why = "its last label is numeric";
	if (why == NULL)
		return PKI_OK;
bad:
	return refuse(err, 1, orig, strlen(orig), why);
}

int
pki_name_glob_parse(const char *s, struct pki_name_dns *out,
		    struct pki_error *err)
{
	struct pki_name_dns d;
	int rc;

	if (s == NULL)
		s = "";
	if ((rc = prepare(s, 1, 1, &d, err)) != PKI_OK ||
	    (rc = glob_labels(&d, s, err)) != PKI_OK)
		return rc;
	memcpy(out, &d, sizeof(d));
	return PKI_OK;
}

/*
 * Glob within one label: '*' matches any run of octets (possibly empty),
 * '?' exactly one.  Both are lower case.
 */
static int
glob_label(const char *p, size_t pn, const char *s, size_t sn)
{
	size_t pi = 0, si = 0, star = 0, resume = 0;
	int have_star = 0;

	while (si < sn) {
		if (pi < pn && p[pi] == '*') {
			star = pi++;
			resume = si;
			have_star = 1;
		} else if (pi < pn && (p[pi] == '?' || p[pi] == s[si])) {
			pi++;
			si++;
		} else if (have_star) {
			pi = star + 1;
			si = ++resume;
		} else
			return 0;
	}
	while (pi < pn && p[pi] == '*')
		pi++;
	return pi == pn;
}

/*
 * Do the rightmost labels of name, past its first nskip, match the labels
 * of pat past its first pskip, one for one from the right?
 */
static int
suffix_match(const struct pki_name_dns *pat, size_t pskip,
	     const struct pki_name_dns *name, size_t nskip)
{
	size_t m = pat->nlabels - pskip, n = name->nlabels - nskip, i;

	if (n < m)
		return 0;
	for (i = 0; i < m; i++) {
		size_t pl, nl;
		const char *p = pki_name_dns_label(pat, pat->nlabels - 1 - i,
						   &pl);
		const char *s = pki_name_dns_label(name, name->nlabels - 1 - i,
						   &nl);

		if (!glob_label(p, pl, s, nl))
			return 0;
	}
	return 1;
}

int
pki_name_glob_match(const struct pki_name_dns *pattern,
		    const struct pki_name_dns *name, int every)
{
	if (name->wildcard) {
		/* name is "*.S": compare S with the pattern past its first
		 * label, which stands for the L of L.S. */
		if (pattern->wildcard)
			return suffix_match(pattern, 1, name, 1);
		if (every)
			return 0;
		return pattern->nlabels == name->nlabels &&
		       suffix_match(pattern, 1, name, 1);
	}
	if (pattern->wildcard)
		return name->nlabels > pattern->nlabels - 1 &&
		       suffix_match(pattern, 1, name, 0);
	return name->nlabels == pattern->nlabels &&
	       suffix_match(pattern, 0, name, 0);
}

/* ------------------------------------------------------------ addresses */

/* Parse s as an IPv6 (v6 set) or IPv4 address into *ip; 0 on success. */
static int
ip_parse_family(const char *s, int v6, struct pki_name_ip *ip)
{
	memset(ip, 0, sizeof(*ip));
	if (inet_pton(v6 ? AF_INET6 : AF_INET, s, ip->addr) != 1)
		return -1;
	ip->len = v6 ? 16 : 4;
	return 0;
}

int
pki_name_ip_parse(const char *s, struct pki_name_ip *out,
		  struct pki_error *err)
{
	struct pki_name_ip ip;
	char q[PKI__QUOTE_MAX];

	if (s == NULL || ip_parse_family(s, strchr(s, ':') != NULL, &ip) != 0)
		return pki_error_set(err, PKI_E_INVALID, "\"%s\" is not an IP "
				     "address (write 192.0.2.1 or 2001:db8::1)",
				     s == NULL ? "" :
				     pki__quote(s, strlen(s), q, sizeof(q)));
	memcpy(out, &ip, sizeof(ip));
	return PKI_OK;
}

int
pki_name_ip_from_bytes(const unsigned char *b, size_t len,
		       struct pki_name_ip *out, struct pki_error *err)
{
	if (b == NULL || (len != 4 && len != 16))
		return pki_error_set(err, PKI_E_INVALID,
				     "an IP address is 4 or 16 bytes, not %zu",
				     len);
	memset(out, 0, sizeof(*out));
	out->len = len;
	memcpy(out->addr, b, len);
	return PKI_OK;
}

const char *
pki_name_ip_format(const struct pki_name_ip *ip, char buf[PKI_NAME_IP_STRLEN])
{
	if (inet_ntop(ip->len == 4 ? AF_INET : AF_INET6, ip->addr, buf,
		      PKI_NAME_IP_STRLEN) == NULL)
		snprintf(buf, PKI_NAME_IP_STRLEN, "(invalid address)");
	return buf;
}

int
pki_name_ip_is_v4mapped(const struct pki_name_ip *ip)
{
	static const unsigned char mapped[12] = {
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
	};

	return ip->len == 16 && memcmp(ip->addr, mapped, sizeof(mapped)) == 0;
}

int
pki_name_ip_equal(const struct pki_name_ip *a, const struct pki_name_ip *b)
{
	return a->len == b->len && memcmp(a->addr, b->addr, a->len) == 0;
}

/* Parse a decimal prefix length of at most max, without sign or leading
 * zeros; 0 on success. */
static int
parse_prefix(const char *s, unsigned max, unsigned *out)
{
	unsigned v = 0;

	if (*s == '\0' || (s[0] == '0' && s[1] != '\0'))
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (unsigned)(*s - '0');
		if (v > max)
			return -1;
	}
	*out = v;
	return 0;
}

/* Bit i (0 = most significant) of an address. */
static int
bit(const unsigned char *a, unsigned i)
{
	return (a[i / 8] >> (7 - i % 8)) & 1;
}

/* Refuse a range with bits set after its prefix, naming the network. */
static int
host_bits(const struct pki_name_cidr *c, const char *q, struct pki_error *err)
{
	struct pki_name_cidr net = *c;
	char nbuf[PKI_NAME_IP_STRLEN];
	unsigned i;

	for (i = c->prefix; i < c->net.len * 8; i++)
		net.net.addr[i / 8] &= (unsigned char)~(0x80u >> (i % 8));
	return pki_error_set(err, PKI_E_INVALID, "\"%s\" has bits set after "
			     "the /%u prefix: write %s/%u", q, c->prefix,
			     pki_name_ip_format(&net.net, nbuf), c->prefix);
}

int
pki_name_cidr_parse(const char *s, unsigned flags, struct pki_name_cidr *out,
		    struct pki_error *err)
{
	char addr[PKI_NAME_IP_STRLEN + 1], q[PKI__QUOTE_MAX];
	struct pki_name_cidr c;
	const char *slash;
	size_t alen;
	unsigned max, i;
	int v6;

	if (s == NULL)
		s = "";
	/* A ':' anywhere makes it IPv6: no valid prefix length has one. */
	v6 = strchr(s, ':') != NULL;
	slash = strchr(s, '/');
	alen = slash != NULL ? (size_t)(slash - s) : strlen(s);
	pki__quote(s, strlen(s), q, sizeof(q));
	memset(&c, 0, sizeof(c));
	if (slash == NULL && !(flags & PKI_NAME_CIDR_BARE))
		return pki_error_set(err, PKI_E_INVALID, "\"%s\" is not an IP "
				     "range in CIDR form (write 10.0.0.0/8 or "
				     "2001:db8::/32)", q);
	if (alen < sizeof(addr)) {
		memcpy(addr, s, alen);
		addr[alen] = '\0';
	}
	if (alen >= sizeof(addr) || ip_parse_family(addr, v6, &c.net) != 0)
		return pki_error_set(err, PKI_E_INVALID,
				     "\"%s\" is not a valid %s address or "
				     "CIDR range", q, v6 ? "IPv6" : "IPv4");
	max = (unsigned)c.net.len * 8;
	c.prefix = max;
	if (slash != NULL && parse_prefix(slash + 1, max, &c.prefix) != 0)
		return pki_error_set(err, PKI_E_INVALID, "\"%s\": the prefix "
				     "length after '/' must be a number from 0 "
				     "to %u", q, max);
	for (i = c.prefix; i < max; i++)
		if (bit(c.net.addr, i))
			return host_bits(&c, q, err);
	memcpy(out, &c, sizeof(c));
	return PKI_OK;
}

int
pki_name_cidr_contains(const struct pki_name_cidr *c,
		       const struct pki_name_ip *ip)
{
	unsigned full = c->prefix / 8, rest = c->prefix % 8;

	if (c->net.len != ip->len)
		return 0;
	if (memcmp(c->net.addr, ip->addr, full) != 0)
		return 0;
	if (rest != 0) {
		unsigned char mask = (unsigned char)(0xff00u >> rest);

		if ((c->net.addr[full] & mask) != (ip->addr[full] & mask))
			return 0;
	}
	return 1;
}

int
pki_name_cidr_equal(const struct pki_name_cidr *a,
		    const struct pki_name_cidr *b)
{
	return a->prefix == b->prefix && pki_name_ip_equal(&a->net, &b->net);
}

size_t
pki_name_cidr_netmask(const struct pki_name_cidr *c, unsigned char out[32])
{
	size_t len = c->net.len, i;

	memcpy(out, c->net.addr, len);
	for (i = 0; i < len; i++) {
		unsigned b = c->prefix >= (i + 1) * 8 ? 8 :
			     c->prefix > i * 8 ? (unsigned)(c->prefix - i * 8)
					       : 0;

		out[len + i] = (unsigned char)(b ? 0xffu << (8 - b) : 0);
	}
	return 2 * len;
}

/* ------------------------------------------------------------ email */

int
pki_name_email_parse(const char *s, unsigned dns_flags,
		     struct pki_name_email *out, struct pki_error *err)
{
	struct pki_name_email e;
	char q[PKI__QUOTE_MAX];
	const char *at = s != NULL ? strrchr(s, '@') : NULL, *p;

	if (s == NULL)
		s = "";
	pki__quote(s, strlen(s), q, sizeof(q));
	if (at == NULL || at == s || strlen(s) > PKI_NAME_EMAIL_MAX)
		return pki_error_set(err, PKI_E_INVALID,
				     "\"%s\" is not an email address "
				     "(local@domain)", q);
	for (p = s; p < at; p++)
		if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f ||
		    *p == '@')
			return pki_error_set(err, PKI_E_INVALID,
					     "email address \"%s\" has a space, "
					     "'@' or a non-ASCII character "
					     "before the domain", q);
	if (pki_name_dns_parse(at + 1, dns_flags, &e.domain, err) != PKI_OK) {
		pki_error_prefix(err, "email address \"%s\" has an invalid "
				 "domain", q);
		return PKI_E_INVALID;
	}
	e.local_len = (size_t)(at - s);
	memcpy(out, &e, sizeof(e));
	return PKI_OK;
}

int
pki_name_email_constraint_check(const char *s, struct pki_error *err)
{
	struct pki_name_email e;

	if (s != NULL && strchr(s, '@') != NULL)
		return pki_name_email_parse(s, PKI_NAME_DNS_NUMERIC_TLD, &e,
					    err);
	return pki_name_dns_check(s, PKI_NAME_DNS_LEADING_DOT |
				  PKI_NAME_DNS_NUMERIC_TLD, err);
}
