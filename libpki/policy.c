/*
 * policy: domain-policy.toml, deny-by-default allow/deny patterns for the
 * DNS names and IP addresses of a certificate.  See policy.h and
 * domain-policy.toml(5) for the matching rules.
 */
#include <config.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "policy.h"
#include "toml.h"
#include "util.h"

#define DNS_NAME_MAX  253   /* without the trailing dot */
#define DNS_LABEL_MAX 63
#define DNS_LABELS_MAX 127  /* 253 bytes hold at most 127 labels */
#define QUOTE_MAX     160   /* bytes of untrusted text echoed in a message */

/* A rule: its public face plus the parsed pattern. */
struct rule {
	struct pki_policy_rule pub;
	int is_ip;
	/* DNS pattern: lower case, no trailing dot, dots replaced by NULs */
	char *canon;          /* the normalised pattern, dots kept */
	char *lbuf;           /* canon with NULs between labels */
	const char **labels;  /* nlabels pointers into lbuf */
	size_t nlabels;
	int lead_star;        /* leftmost label is "*": one or more labels */
	/* IP pattern */
	int family;           /* AF_INET or AF_INET6 */
	unsigned char addr[16];
	unsigned prefix;      /* bits that must match */
};

struct pki_policy {
	struct rule *rules;
	size_t n;
	char *path;           /* file it came from, or NULL */
};

/* A requested name after validation. */
struct name {
	enum pki_policy_name_type type;
	char canon[PKI_POLICY_NAME_MAX];
	char lbuf[PKI_POLICY_NAME_MAX];
	const char *labels[DNS_LABELS_MAX + 1];
	size_t nlabels;
	int family;
	unsigned char addr[16];
};

static const char *const kind_names[PKI_POLICY__MAX] = {
	[PKI_POLICY_ALLOW] = "allow",
	[PKI_POLICY_DENY] = "deny",
};

const char *
pki_policy_kind_name(enum pki_policy_kind kind)
{
	if ((unsigned)kind >= PKI_POLICY__MAX)
		return "unknown";
	return kind_names[kind];
}

/*
 * Copy untrusted text into buf for a message: bytes outside printable
 * ASCII, '"' and '\\' become \xNN; long text is cut with "...".
 */
static const char *
quote(const char *s, size_t slen, char *buf, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, o = 0;

	for (i = 0; i < slen; i++) {
		unsigned char c = (unsigned char)s[i];

		if (o + 8 >= len) {
			memcpy(buf + o, "...", 3);
			o += 3;
			break;
		}
		if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\') {
			buf[o++] = '\\';
			buf[o++] = 'x';
			buf[o++] = hex[c >> 4];
			buf[o++] = hex[c & 15];
		} else
			buf[o++] = (char)c;
	}
	buf[o] = '\0';
	return buf;
}

/*
 * Glob within one label: '*' matches any run of characters (possibly
 * empty), '?' exactly one.  Both strings are NUL-terminated, lower case.
 */
static int
glob_label(const char *p, const char *s)
{
	const char *star = NULL, *resume = NULL;

	while (*s != '\0') {
		if (*p == '*') {
			star = p++;
			resume = s;
		} else if (*p == '?' || *p == *s) {
			p++;
			s++;
		} else if (star != NULL) {
			p = star + 1;
			s = ++resume;
		} else
			return 0;
	}
	while (*p == '*')
		p++;
	return *p == '\0';
}

/* Do the last m labels of lab[0..n) match pat[0..m) label by label? */
static int
suffix_match(const char *const *pat, size_t m, const char *const *lab,
	     size_t n)
{
	size_t i;

	if (n < m)
		return 0;
	for (i = 0; i < m; i++)
		if (!glob_label(pat[m - 1 - i], lab[n - 1 - i]))
			return 0;
	return 1;
}

/* Does a DNS rule match the host name lab[0..n)? */
static int
dns_match(const struct rule *r, const char *const *lab, size_t n)
{
	if (r->lead_star)
		return n > r->nlabels - 1 &&
		       suffix_match(r->labels + 1, r->nlabels - 1, lab, n);
	return n == r->nlabels && suffix_match(r->labels, r->nlabels, lab, n);
}

/*
 * A wildcard request "*.S" stands for every name L.S with one label L.
 * covers: the rule matches all of them (used for allow rules).
 * Otherwise: the rule matches at least one of them (used for deny rules).
 * A leading-star rule "*.T" matches L.S for every L or for none, so both
 * questions have the same answer for it.  Any other rule matches no L.S
 * for every L; it may match some when its labels after the first match S,
 * and we assume its first label matches some label (conservative).
 */
static int
wildcard_match(const struct rule *r, const char *const *lab, size_t n,
	       int covers)
{
	const char *const *s = lab + 1;
	size_t k = n - 1;

	if (r->lead_star)
		return suffix_match(r->labels + 1, r->nlabels - 1, s, k);
	if (covers)
		return 0;
	return r->nlabels == k + 1 &&
	       suffix_match(r->labels + 1, r->nlabels - 1, s, k);
}

static int
ip_match(const struct rule *r, const struct name *nm)
{
	unsigned full, rest;

	if (r->family != nm->family)
		return 0;
	full = r->prefix / 8;
	rest = r->prefix % 8;
	if (memcmp(r->addr, nm->addr, full) != 0)
		return 0;
	if (rest != 0) {
		unsigned char mask = (unsigned char)(0xff00u >> rest);

		if ((r->addr[full] & mask) != (nm->addr[full] & mask))
			return 0;
	}
	return 1;
}

static int
rule_hits(const struct rule *r, const struct name *nm)
{
	int deny = r->pub.kind == PKI_POLICY_DENY;

	switch (nm->type) {
	case PKI_POLICY_NAME_IP:
		return r->is_ip && ip_match(r, nm);
	case PKI_POLICY_NAME_DNS:
		return !r->is_ip && dns_match(r, nm->labels, nm->nlabels);
	case PKI_POLICY_NAME_WILDCARD:
		return !r->is_ip &&
		       wildcard_match(r, nm->labels, nm->nlabels, !deny);
	default:
		return 0;
	}
}

/* Deny rules first (first match in file order wins), then allow rules. */
static void
decide(const struct pki_policy *pol, const struct name *nm,
       struct pki_policy_decision *d)
{
	size_t i;

	d->allowed = 0;
	d->rule = NULL;
	d->type = nm->type;
	memcpy(d->name, nm->canon, sizeof(d->name));
	if (pol == NULL)
		return;
	for (i = 0; i < pol->n; i++)
		if (pol->rules[i].pub.kind == PKI_POLICY_DENY &&
		    rule_hits(&pol->rules[i], nm)) {
			d->rule = &pol->rules[i].pub;
			return;
		}
	for (i = 0; i < pol->n; i++)
		if (pol->rules[i].pub.kind == PKI_POLICY_ALLOW &&
		    rule_hits(&pol->rules[i], nm)) {
			d->rule = &pol->rules[i].pub;
			d->allowed = 1;
			return;
		}
}

/* ------------------------------------------------------------ names */

static int
is_ldh(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
}

static int
all_digits(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if (*s < '0' || *s > '9')
			return 0;
	return 1;
}

/* Fill nm->canon/addr from a binary address; refuse IPv4-mapped IPv6. */
static int
name_from_addr(struct name *nm, int family, const unsigned char *addr,
	       struct pki_error *err)
{
	static const unsigned char mapped[12] = {
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
	};
	size_t len = family == AF_INET ? 4 : 16;

	memset(nm, 0, sizeof(*nm));
	nm->type = PKI_POLICY_NAME_IP;
	nm->family = family;
	memcpy(nm->addr, addr, len);
	if (inet_ntop(family, addr, nm->canon, sizeof(nm->canon)) == NULL)
		return pki_error_set(err, PKI_E_INVALID,
				     "inet_ntop: cannot format an IP address");
	if (family == AF_INET6 && memcmp(addr, mapped, sizeof(mapped)) == 0)
		return pki_error_set(err, PKI_E_INVALID,
				     "%s is an IPv4-mapped IPv6 address: request "
				     "the IPv4 address %u.%u.%u.%u instead",
				     nm->canon, addr[12], addr[13], addr[14],
				     addr[15]);
	return PKI_OK;
}

/*
 * Validate and normalise a requested name.  dns_only refuses IP address
 * literals (a dNSName that looks like an address).
 */
static int
name_parse(const char *name, int dns_only, struct name *nm,
	   struct pki_error *err)
{
	char q[QUOTE_MAX];
	unsigned char bin[16];
	size_t len, i, start;
	int rc = PKI_E_INVALID;

	memset(nm, 0, sizeof(*nm));
	if (name == NULL || name[0] == '\0') {
		rc = pki_error_set(err, PKI_E_INVALID, "empty name");
		goto out;
	}
	len = strnlen(name, DNS_NAME_MAX + 2);
	if (len > DNS_NAME_MAX + 1) {
		rc = pki_error_set(err, PKI_E_INVALID,
				   "\"%s\" is longer than %d characters",
				   quote(name, len, q, sizeof(q)), DNS_NAME_MAX);
		goto out;
	}
	if (strchr(name, ':') != NULL || inet_pton(AF_INET, name, bin) == 1) {
		int v6 = strchr(name, ':') != NULL;

		if (dns_only) {
			rc = pki_error_set(err, PKI_E_INVALID,
					   "\"%s\" is an IP address, not a DNS "
					   "name: request it as an IP address",
					   quote(name, len, q, sizeof(q)));
			goto out;
		}
		if (v6 && inet_pton(AF_INET6, name, bin) != 1) {
			rc = pki_error_set(err, PKI_E_INVALID,
					   "\"%s\" is not a valid IPv6 address",
					   quote(name, len, q, sizeof(q)));
			goto out;
		}
		rc = name_from_addr(nm, v6 ? AF_INET6 : AF_INET, bin, err);
		goto out;
	}

	/* DNS name: lower case, one trailing dot ignored. */
	if (name[len - 1] == '.')
		len--;
	if (len == 0 || len > DNS_NAME_MAX) {
		rc = pki_error_set(err, PKI_E_INVALID,
				   "\"%s\" is not a valid host name: %s",
				   quote(name, strlen(name), q, sizeof(q)),
				   len == 0 ? "it has no labels"
					    : "it is longer than 253 characters");
		goto out;
	}
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];

		if (c >= 0x80) {
			rc = pki_error_set(err, PKI_E_INVALID,
					   "\"%s\" is not a valid host name: "
					   "write internationalized names as "
					   "A-labels (xn--...)",
					   quote(name, len, q, sizeof(q)));
			goto out;
		}
		nm->canon[i] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
	}
	nm->canon[len] = '\0';
	memcpy(nm->lbuf, nm->canon, len + 1);
	nm->type = PKI_POLICY_NAME_DNS;
	for (start = 0, i = 0; i <= len; i++) {
		const char *label;
		size_t llen, j;

		if (i < len && nm->lbuf[i] != '.')
			continue;
		nm->lbuf[i] = '\0';
		label = nm->lbuf + start;
		llen = i - start;
		if (llen == 0 || llen > DNS_LABEL_MAX) {
			rc = pki_error_set(err, PKI_E_INVALID,
					   "\"%s\" is not a valid host name: %s",
					   quote(nm->canon, len, q, sizeof(q)),
					   llen == 0 ? "it has an empty label"
						     : "a label is longer than 63 "
						       "characters");
			goto out;
		}
		if (strcmp(label, "*") == 0 && nm->nlabels == 0 && i < len)
			nm->type = PKI_POLICY_NAME_WILDCARD;
		else {
			for (j = 0; j < llen; j++)
				if (!is_ldh((unsigned char)label[j]))
					break;
			if (j < llen) {
				rc = pki_error_set(err, PKI_E_INVALID,
						   label[j] == '*'
						   ? "\"%s\" is not a valid host "
						     "name: a wildcard must be "
						     "the whole leftmost label, "
						     "as in *.example.com"
						   : "\"%s\" is not a valid host "
						     "name: only letters, digits "
						     "and '-' are allowed in a "
						     "label",
						   quote(nm->canon, len, q,
							 sizeof(q)));
				goto out;
			}
			if (label[0] == '-' || label[llen - 1] == '-') {
				rc = pki_error_set(err, PKI_E_INVALID,
						   "\"%s\" is not a valid host "
						   "name: a label cannot begin "
						   "or end with '-'",
						   quote(nm->canon, len, q,
							 sizeof(q)));
				goto out;
			}
		}
		nm->labels[nm->nlabels++] = label;
		start = i + 1;
	}
	if (all_digits(nm->labels[nm->nlabels - 1])) {
		rc = pki_error_set(err, PKI_E_INVALID,
				   "\"%s\" is not a valid host name: its last "
				   "label is numeric",
				   quote(nm->canon, len, q, sizeof(q)));
		goto out;
	}
	rc = PKI_OK;
out:
	return rc;
}

static void
decision_invalid(struct pki_policy_decision *d, const char *name)
{
	if (d == NULL)
		return;
	memset(d, 0, sizeof(*d));
	if (name != NULL)
		quote(name, strnlen(name, DNS_NAME_MAX + 2), d->name,
		      sizeof(d->name));
}

static int
check_name(const struct pki_policy *pol, const char *name, int dns_only,
	   struct pki_policy_decision *d, struct pki_error *err)
{
	struct name nm;
	int rc;

	if ((rc = name_parse(name, dns_only, &nm, err)) != PKI_OK) {
		decision_invalid(d, name);
		return rc;
	}
	decide(pol, &nm, d);
	return PKI_OK;
}

int
pki_policy_check(const struct pki_policy *pol, const char *name,
		 struct pki_policy_decision *d, struct pki_error *err)
{
	return check_name(pol, name, 0, d, err);
}

int
pki_policy_check_dns(const struct pki_policy *pol, const char *name,
		     struct pki_policy_decision *d, struct pki_error *err)
{
	return check_name(pol, name, 1, d, err);
}

int
pki_policy_check_ip(const struct pki_policy *pol, const unsigned char *addr,
		    size_t len, struct pki_policy_decision *d,
		    struct pki_error *err)
{
	struct name nm;
	int rc;

	if (addr == NULL || (len != 4 && len != 16)) {
		decision_invalid(d, NULL);
		return pki_error_set(err, PKI_E_INVALID,
				     "an IP address is 4 or 16 bytes, not %zu",
				     len);
	}
	if ((rc = name_from_addr(&nm, len == 4 ? AF_INET : AF_INET6, addr,
				 err)) != PKI_OK) {
		decision_invalid(d, nm.canon);
		return rc;
	}
	decide(pol, &nm, d);
	return PKI_OK;
}

/* Explain a denial in err. */
static int
denied(const struct pki_policy *pol, const struct pki_policy_decision *d,
       struct pki_error *err)
{
	const struct pki_policy_rule *r = d->rule;
	const char *where = pol != NULL && pol->path != NULL ? pol->path
							     : "the domain policy";
	char q[QUOTE_MAX];

	if (r != NULL)
		return pki_error_set(err, PKI_E_DENIED,
				     "%s is denied by [[%s]] #%u pattern \"%s\" "
				     "(line %u of %s)", d->name,
				     pki_policy_kind_name(r->kind), r->index,
				     quote(r->pattern, strlen(r->pattern), q,
					   sizeof(q)),
				     r->line, where);
	if (d->type == PKI_POLICY_NAME_WILDCARD)
		return pki_error_set(err, PKI_E_DENIED,
				     "%s is not allowed: no [[allow]] pattern "
				     "in %s covers every name it stands for "
				     "(deny by default); allow \"%s\" or a "
				     "broader pattern", d->name, where,
				     d->name);
	return pki_error_set(err, PKI_E_DENIED,
			     "%s is not allowed: no rule in %s matches it "
			     "(deny by default); add an [[allow]] rule for it",
			     d->name, where);
}

int
pki_policy_check_names(const struct pki_policy *pol,
		       const char *const *dns, size_t ndns,
		       const char *const *ip, size_t nip,
		       struct pki_error *err)
{
	struct pki_policy_decision d;
	size_t i;
	int rc = PKI_E_FAIL;

	if ((ndns > 0 && dns == NULL) || (nip > 0 && ip == NULL)) {
		rc = pki_error_set(err, PKI_E_INVALID,
				   "pki_policy_check_names: NULL name list");
		goto out;
	}
	for (i = 0; i < ndns; i++) {
		if ((rc = check_name(pol, dns[i], 1, &d, err)) != PKI_OK)
			goto out;
		if (!d.allowed) {
			rc = denied(pol, &d, err);
			goto out;
		}
	}
	for (i = 0; i < nip; i++) {
		char q[QUOTE_MAX];
		const char *s = ip[i];

		if (s == NULL || strchr(s, ':') == NULL) {
			unsigned char b[4];

			if (s == NULL || inet_pton(AF_INET, s, b) != 1) {
				rc = pki_error_set(err, PKI_E_INVALID,
						   "\"%s\" is not an IP address",
						   s == NULL ? "" :
						   quote(s, strnlen(s, 64), q,
							 sizeof(q)));
				goto out;
			}
		}
		if ((rc = check_name(pol, s, 0, &d, err)) != PKI_OK)
			goto out;
		if (!d.allowed) {
			rc = denied(pol, &d, err);
			goto out;
		}
	}
	rc = PKI_OK;
out:
	return rc;
}

const char *
pki_policy_decision_str(const struct pki_policy_decision *d, char *buf,
			size_t len)
{
	const struct pki_policy_rule *r = d->rule;
	char q[QUOTE_MAX];

	if (len == 0)
		return buf;
	if (r == NULL)
		snprintf(buf, len, "%s: denied: no rule matched (deny by "
			 "default)", d->name);
	else
		snprintf(buf, len, "%s: %s by [[%s]] #%u \"%s\" (line %u)",
			 d->name, d->allowed ? "allowed" : "denied",
			 pki_policy_kind_name(r->kind), r->index,
			 quote(r->pattern, strlen(r->pattern), q, sizeof(q)),
			 r->line);
	return buf;
}

/* ------------------------------------------------------------ patterns */

/* Parse a non-negative decimal prefix length without leading zeros. */
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

/* Is this pattern written as an address or range (or trying to be)? */
static int
looks_like_ip(const char *p)
{
	const char *c;
	int digit = 0;

	if (strchr(p, ':') != NULL || strchr(p, '/') != NULL)
		return 1;
	for (c = p; *c != '\0'; c++) {
		if (*c >= '0' && *c <= '9')
			digit = 1;
		else if (*c != '.')
			return 0;
	}
	return digit;
}

static int
ip_pattern(struct rule *r, const char *p, const struct pki_toml_value *v,
	   struct pki_error *err)
{
	char addr[INET6_ADDRSTRLEN + 1], q[QUOTE_MAX];
	const char *slash = strchr(p, '/');
	size_t alen = slash != NULL ? (size_t)(slash - p) : strlen(p);
	unsigned max, i;
	int rc = PKI_E_INVALID;

	r->is_ip = 1;
	r->family = strchr(p, ':') != NULL ? AF_INET6 : AF_INET;
	max = r->family == AF_INET ? 32 : 128;
	if (alen < sizeof(addr)) {
		memcpy(addr, p, alen);
		addr[alen] = '\0';
	}
	if (alen >= sizeof(addr) || inet_pton(r->family, addr, r->addr) != 1) {
		rc = pki_error_at(err, PKI_E_INVALID, v->line, v->column,
				  "pattern \"%s\" is not a valid %s address "
				  "or CIDR range",
				  quote(p, strlen(p), q, sizeof(q)),
				  r->family == AF_INET ? "IPv4" : "IPv6");
		goto out;
	}
	r->prefix = max;
	if (slash != NULL && parse_prefix(slash + 1, max, &r->prefix) != 0) {
		rc = pki_error_at(err, PKI_E_INVALID, v->line, v->column,
				  "pattern \"%s\": the prefix length after '/' "
				  "must be a number from 0 to %u",
				  quote(p, strlen(p), q, sizeof(q)), max);
		goto out;
	}
	for (i = r->prefix; i < max; i++)
		if (r->addr[i / 8] & (0x80u >> (i % 8))) {
			unsigned char net[16];
			char nbuf[INET6_ADDRSTRLEN];
			unsigned j;

			memcpy(net, r->addr, sizeof(net));
			for (j = r->prefix; j < max; j++)
				net[j / 8] &= (unsigned char)~(0x80u >> (j % 8));
			inet_ntop(r->family, net, nbuf, sizeof(nbuf));
			rc = pki_error_at(err, PKI_E_INVALID, v->line,
					  v->column,
					  "pattern \"%s\" has bits set after "
					  "the /%u prefix: write %s/%u",
					  quote(p, strlen(p), q, sizeof(q)),
					  r->prefix, nbuf, r->prefix);
			goto out;
		}
	rc = PKI_OK;
out:
	return rc;
}

/* Number of dots in the first len bytes of s. */
static size_t
dots(const char *s, size_t len)
{
	size_t i, n = 0;

	for (i = 0; i < len; i++)
		if (s[i] == '.')
			n++;
	return n;
}

static int
dns_pattern(struct rule *r, const char *p, const struct pki_toml_value *v,
	    struct pki_error *err)
{
	char q[QUOTE_MAX];
	const char *why = NULL;
	size_t len = strlen(p), i, j, start, nl = 0;
	int rc = PKI_E_INVALID, numeric = 0, only_num = 1;

	quote(p, len, q, sizeof(q));
	if (len > 0 && p[len - 1] == '.')
		len--;
	if (len == 0 || len > DNS_NAME_MAX) {
		why = len == 0 ? "it has no labels" : "it is longer than 253 "
						       "characters";
		goto bad;
	}
	if ((r->canon = malloc(len + 1)) == NULL ||
	    (r->lbuf = malloc(len + 1)) == NULL ||
	    (r->labels = calloc(dots(p, len) + 1,
				 sizeof(*r->labels))) == NULL) {
		rc = pki_error_set(err, PKI_E_NOMEM, "malloc: out of memory "
				   "for a policy pattern");
		goto out;
	}
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c >= 0x80) {
			why = "write internationalized names as A-labels "
			      "(xn--...)";
			goto bad;
		}
		r->canon[i] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
	}
	r->canon[len] = '\0';
	memcpy(r->lbuf, r->canon, len + 1);
	for (start = 0, i = 0; i <= len; i++) {
		char *label;
		size_t llen;
		int digits = 1;

		if (i < len && r->lbuf[i] != '.')
			continue;
		r->lbuf[i] = '\0';
		label = r->lbuf + start;
		llen = i - start;
		if (llen == 0) {
			why = start == 0 ? "it begins with '.' (write "
					   "*.example.com for every subdomain)"
					 : "it has an empty label";
			goto bad;
		}
		if (llen > DNS_LABEL_MAX) {
			why = "a label is longer than 63 characters";
			goto bad;
		}
		for (j = 0; j < llen; j++) {
			unsigned char c = (unsigned char)label[j];

			if (c == '*' && label[j + 1] == '*') {
				why = "write '*' once, not \"**\"";
				goto bad;
			}
			if (c == '[' || c == ']' || c == '\\' || c == '{') {
				why = "only the globs '*' and '?' are supported";
				goto bad;
			}
			if (c == ' ' || c == '\t') {
				why = "it contains white space";
				goto bad;
			}
			if (!is_ldh(c) && c != '*' && c != '?') {
				why = "only letters, digits, '-', '*' and '?' "
				      "are allowed in a label";
				goto bad;
			}
			if (c < '0' || c > '9')
				digits = 0;
			if (c != '*' && c != '?' && (c < '0' || c > '9'))
				only_num = 0;
		}
		if (digits)
			numeric = 1;
		if (nl == 0 && strcmp(label, "*") == 0)
			r->lead_star = 1;
		r->labels[nl++] = label;
		start = i + 1;
	}
	r->nlabels = nl;
	if (numeric && only_num) {
		why = "an IP pattern is an address or a CIDR range such as "
		      "10.0.0.0/8, not a glob";
		goto bad;
	}
	if (all_digits(r->labels[nl - 1])) {
		why = "its last label is numeric";
		goto bad;
	}
	rc = PKI_OK;
	goto out;
bad:
	rc = pki_error_at(err, PKI_E_INVALID, v->line, v->column,
			  "pattern \"%s\" is not a valid DNS pattern: %s", q,
			  why);
out:
	return rc;
}

static int
same_pattern(const struct rule *a, const struct rule *b)
{
	if (a->is_ip != b->is_ip)
		return 0;
	if (a->is_ip)
		return a->family == b->family && a->prefix == b->prefix &&
		       memcmp(a->addr, b->addr, sizeof(a->addr)) == 0;
	return strcmp(a->canon, b->canon) == 0;
}

/* Is s a string value usable as text (no NUL, bounded)? */
static int
string_value(const struct pki_toml_keyval *kv, const char *what,
	     const char *table, unsigned index, struct pki_error *err)
{
	const struct pki_toml_value *v = &kv->val;

	if (v->type != PKI_TOML_STRING)
		return pki_error_at(err, PKI_E_INVALID, v->line, v->column,
				    "%s in [[%s]] #%u must be a string "
				    "(found %s)", what, table, index,
				    pki_toml_type_name(v->type));
	if (memchr(v->u.s.ptr, '\0', v->u.s.len) != NULL)
		return pki_error_at(err, PKI_E_INVALID, v->line, v->column,
				    "%s in [[%s]] #%u contains a NUL byte",
				    what, table, index);
	return PKI_OK;
}

static int
parse_rule(struct pki_policy *pol, enum pki_policy_kind kind,
	   unsigned index, const struct pki_toml_value *tv,
	   struct pki_error *err)
{
	const char *kname = pki_policy_kind_name(kind);
	const struct pki_toml_table *t = tv->u.tab;
	const struct pki_toml_value *pv = NULL;
	struct rule *r = &pol->rules[pol->n];
	char q[QUOTE_MAX];
	size_t i;
	int rc = PKI_E_INVALID;

	memset(r, 0, sizeof(*r));
	r->pub.kind = kind;
	r->pub.index = index;
	for (i = 0; i < t->n; i++) {
		const struct pki_toml_keyval *kv = &t->items[i];

		if (kv->keylen == 7 && strcmp(kv->key, "pattern") == 0) {
			if ((rc = string_value(kv, "pattern", kname, index,
					       err)) != PKI_OK)
				goto out;
			pv = &kv->val;
		} else if (kv->keylen == 7 && strcmp(kv->key, "comment") == 0) {
			const struct pki_toml_value *v = &kv->val;
			size_t j;

			if ((rc = string_value(kv, "comment", kname, index,
					       err)) != PKI_OK)
				goto out;
			if (v->u.s.len > PKI_POLICY_COMMENT_MAX) {
				rc = pki_error_at(err, PKI_E_INVALID, v->line,
						  v->column, "comment in [[%s]] "
						  "#%u is longer than %d bytes",
						  kname, index,
						  PKI_POLICY_COMMENT_MAX);
				goto out;
			}
			for (j = 0; j < v->u.s.len; j++) {
				unsigned char c = (unsigned char)v->u.s.ptr[j];

				if ((c < 0x20 && c != '\t') || c == 0x7f) {
					rc = pki_error_at(err, PKI_E_INVALID,
							  v->line, v->column,
							  "comment in [[%s]] "
							  "#%u must be one "
							  "line of text",
							  kname, index);
					goto out;
				}
			}
			free((char *)r->pub.comment);
			if ((r->pub.comment = pki__strdup(v->u.s.ptr)) == NULL) {
				rc = pki_error_set(err, PKI_E_NOMEM,
						   "strdup: out of memory");
				goto out;
			}
		} else {
			rc = pki_error_at(err, PKI_E_INVALID, kv->line,
					  kv->column, "unknown key \"%s\" in "
					  "[[%s]] #%u (expected pattern or "
					  "comment)",
					  quote(kv->key, kv->keylen, q,
						sizeof(q)), kname, index);
			goto out;
		}
	}
	if (pv == NULL) {
		unsigned line = t->line ? t->line : tv->line;
		unsigned col = t->line ? t->column : tv->column;

		rc = pki_error_at(err, PKI_E_INVALID, line, col,
				  "[[%s]] #%u has no pattern", kname, index);
		goto out;
	}
	r->pub.line = pv->line;
	r->pub.column = pv->column;
	if (pv->u.s.len == 0) {
		rc = pki_error_at(err, PKI_E_INVALID, pv->line, pv->column,
				  "pattern in [[%s]] #%u is empty", kname,
				  index);
		goto out;
	}
	if ((r->pub.pattern = pki__strdup(pv->u.s.ptr)) == NULL) {
		rc = pki_error_set(err, PKI_E_NOMEM, "strdup: out of memory");
		goto out;
	}
	rc = looks_like_ip(r->pub.pattern)
	     ? ip_pattern(r, r->pub.pattern, pv, err)
	     : dns_pattern(r, r->pub.pattern, pv, err);
	if (rc != PKI_OK)
		goto out;
	for (i = 0; i < pol->n; i++)
		if (same_pattern(&pol->rules[i], r)) {
			const struct pki_policy_rule *o = &pol->rules[i].pub;

			rc = pki_error_at(err, PKI_E_INVALID, pv->line,
					  pv->column, "duplicate pattern "
					  "\"%s\": already [[%s]] #%u at "
					  "line %u",
					  quote(r->pub.pattern,
						strlen(r->pub.pattern), q,
						sizeof(q)),
					  pki_policy_kind_name(o->kind),
					  o->index, o->line);
			goto out;
		}
	rc = PKI_OK;
out:
	/* The rule is counted either way so pki_policy_free releases it. */
	pol->n++;
	return rc;
}

static void
rule_free(struct rule *r)
{
	free((char *)r->pub.pattern);
	free((char *)r->pub.comment);
	free(r->canon);
	free(r->lbuf);
	free(r->labels);
}

void
pki_policy_free(struct pki_policy *pol)
{
	size_t i;

	if (pol == NULL)
		return;
	for (i = 0; i < pol->n; i++)
		rule_free(&pol->rules[i]);
	free(pol->rules);
	free(pol->path);
	free(pol);
}

int
pki_policy_parse(const char *buf, size_t len, struct pki_policy **out,
		 struct pki_error *err)
{
	struct pki_toml_table *root = NULL;
	struct pki_policy *pol = NULL;
	unsigned count[PKI_POLICY__MAX] = { 0 };
	size_t i, j, total = 0;
	char q[QUOTE_MAX];
	int rc = PKI_E_FAIL;

	*out = NULL;
	if ((rc = pki_toml_parse(buf, len, &root, err)) != PKI_OK)
		goto out;
	for (i = 0; i < root->n; i++)
		if (root->items[i].val.type == PKI_TOML_ARRAY &&
		    (strcmp(root->items[i].key, "allow") == 0 ||
		     strcmp(root->items[i].key, "deny") == 0))
			total += root->items[i].val.u.arr->n;
	if (total > PKI_POLICY_RULES_MAX) {
		rc = pki_error_set(err, PKI_E_INVALID, "the policy has %zu "
				   "rules, more than %d", total,
				   PKI_POLICY_RULES_MAX);
		goto out;
	}
	if ((pol = calloc(1, sizeof(*pol))) == NULL ||
	    (total > 0 &&
	     (pol->rules = calloc(total, sizeof(*pol->rules))) == NULL)) {
		rc = pki_error_set(err, PKI_E_NOMEM, "calloc: out of memory "
				   "for the domain policy");
		goto out;
	}
	for (i = 0; i < root->n; i++) {
		const struct pki_toml_keyval *kv = &root->items[i];
		enum pki_policy_kind kind;
		const struct pki_toml_array *arr;

		if (kv->keylen == 5 && strcmp(kv->key, "allow") == 0)
			kind = PKI_POLICY_ALLOW;
		else if (kv->keylen == 4 && strcmp(kv->key, "deny") == 0)
			kind = PKI_POLICY_DENY;
		else {
			rc = pki_error_at(err, PKI_E_INVALID, kv->line,
					  kv->column, "unknown key \"%s\" "
					  "(a domain policy holds only "
					  "[[allow]] and [[deny]] tables)",
					  quote(kv->key, kv->keylen, q,
						sizeof(q)));
			goto out;
		}
		if (kv->val.type != PKI_TOML_ARRAY) {
			rc = pki_error_at(err, PKI_E_INVALID, kv->line,
					  kv->column, "%s must be an array of "
					  "tables written [[%s]] (found %s)",
					  kv->key, kv->key,
					  pki_toml_type_name(kv->val.type));
			goto out;
		}
		arr = kv->val.u.arr;
		for (j = 0; j < arr->n; j++) {
			const struct pki_toml_value *tv = &arr->items[j];

			if (tv->type != PKI_TOML_TABLE) {
				rc = pki_error_at(err, PKI_E_INVALID, tv->line,
						  tv->column, "each %s entry "
						  "must be a table with a "
						  "pattern (found %s)", kv->key,
						  pki_toml_type_name(tv->type));
				goto out;
			}
			if ((rc = parse_rule(pol, kind, ++count[kind], tv,
					     err)) != PKI_OK)
				goto out;
		}
	}
	*out = pol;
	pol = NULL;
	rc = PKI_OK;
out:
	pki_policy_free(pol);
	pki_toml_free(root);
	return rc;
}

int
pki_policy_load(const char *path, struct pki_policy **out,
		struct pki_error *err)
{
	gnutls_datum_t data = { NULL, 0 };
	struct pki_policy *pol = NULL;
	int rc = PKI_E_FAIL;

	*out = NULL;
	if ((rc = pki__file_read(path, PKI_POLICY_FILE_MAX, &data, err))
	    != PKI_OK)
		goto out;
	if ((rc = pki_policy_parse((const char *)data.data, data.size, &pol,
				   err)) != PKI_OK)
		goto out;
	if ((pol->path = pki__strdup(path)) == NULL) {
		rc = pki_error_set(err, PKI_E_NOMEM, "strdup: out of memory");
		goto out;
	}
	*out = pol;
	pol = NULL;
	rc = PKI_OK;
out:
	pki_policy_free(pol);
	gnutls_free(data.data);
	return rc;
}

size_t
pki_policy_count(const struct pki_policy *pol)
{
	return pol != NULL ? pol->n : 0;
}

const struct pki_policy_rule *
pki_policy_rule(const struct pki_policy *pol, size_t i)
{
	if (pol == NULL || i >= pol->n)
		return NULL;
	return &pol->rules[i].pub;
}
