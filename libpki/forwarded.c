/* forwarded: the client's address behind trusted proxies (forwarded.h). */
#include <config.h>

#include <string.h>
#include <strings.h>

#include <spork/forwarded.h>

/* The longest for= value that can be a node: "[" IPv6 "]:" port. */
#define NODE_MAX 64

struct hop {
	int known;                /* 0: "unknown", obfuscated, no for= */
	struct pki_name_ip ip;
};

struct hops {
	struct hop v[PKI_FORWARDED_MAX_HOPS];
	size_t n;
};

/* RFC 9110 tchar. */
static int
is_tchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		(c >= '0' && c <= '9') ||
		(c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static const char *
skip_ows(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* An IPv4-mapped IPv6 address as the IPv4 address it maps. */
static void
unmap(struct pki_name_ip *ip)
{
	if (pki_name_ip_is_v4mapped(ip)) {
		memmove(ip->addr, ip->addr + 12, 4);
		memset(ip->addr + 4, 0, 12);
		ip->len = 4;
	}
}

/* s (len bytes, no NUL inside) as an address of the family (4 or 16
 * octets); 0 on success. */
static int
ip_of(const char *s, size_t len, size_t family, struct pki_name_ip *ip)
{
	char buf[PKI_NAME_IP_STRLEN];

	if (len == 0 || len >= sizeof(buf))
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (pki_name_ip_parse(buf, ip, NULL) != PKI_OK ||
	    (family != 0 && ip->len != family))
		return -1;
	unmap(ip);
	return 0;
}

/* An obfuscated identifier "_" 1*(ALPHA / DIGIT / "." / "_" / "-"). */
static int
is_obfuscated(const char *s, size_t len)
{
	size_t i;

	if (len < 2 || s[0] != '_')
		return 0;
	for (i = 1; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '.' ||
		      s[i] == '_' || s[i] == '-'))
			return 0;
	return 1;
}

/* node-port: 1..5 digits, or an obfuscated port. */
static int
is_port(const char *s, size_t len)
{
	size_t i;

	if (len >= 1 && len <= 5) {
		for (i = 0; i < len && s[i] >= '0' && s[i] <= '9'; i++)
			;
		if (i == len)
			return 1;
	}
	return is_obfuscated(s, len);
}

/* A node (RFC 7239 6): nodename [ ":" node-port ]; 0 when it fits the
 * grammar (h->known says whether it names an address). */
static int
parse_node(const char *s, size_t len, struct hop *h)
{
	const char *end = s + len, *name_end, *close;

	h->known = 0;
	if (len > 0 && s[0] == '[') {
		close = memchr(s, ']', len);
		if (close == NULL ||
		    ip_of(s + 1, (size_t)(close - s - 1), 16, &h->ip) != 0)
			return -1;
		h->known = 1;
		name_end = close + 1;
	} else {
		name_end = memchr(s, ':', len);
		if (name_end == NULL)
			name_end = end;
		if ((size_t)(name_end - s) == 7 &&
		    strncasecmp(s, "unknown", 7) == 0)
			h->known = 0;
		else if (is_obfuscated(s, (size_t)(name_end - s)))
			h->known = 0;
		else if (ip_of(s, (size_t)(name_end - s), 4, &h->ip) == 0)
			h->known = 1;
		else
			return -1;
	}
	if (name_end == end)
		return 0;
	if (*name_end != ':' ||
	    !is_port(name_end + 1, (size_t)(end - name_end - 1)))
		return -1;
	return 0;
}

/* A value: token or quoted-string (no quoted-pair: nothing a node holds
 * needs one).  *v and *vlen are its text without quotes; *p moves past
 * it.  0 on success. */
static int
parse_value(const char **p, const char **v, size_t *vlen)
{
	const char *s = *p;

	if (*s == '"') {
		*v = ++s;
		while (*s == '\t' || *s == ' ' || *s == 0x21 ||
		       (*s >= 0x23 && *s <= 0x5b) || (*s >= 0x5d && *s <= 0x7e))
			s++;
		if (*s != '"')
			return -1;
		*vlen = (size_t)(s - *v);
		*p = s + 1;
		return 0;
	}
	*v = s;
	while (is_tchar((unsigned char)*s))
		s++;
	if (s == *v)
		return -1;
	*vlen = (size_t)(s - *v);
	*p = s;
	return 0;
}

static int
add_hop(struct hops *hs, const struct hop *h)
{
	if (hs->n >= PKI_FORWARDED_MAX_HOPS)
		return -1;
	hs->v[hs->n++] = *h;
	return 0;
}

/* One Forwarded field value: 1#forwarded-element, each element
 * [pair] *( ";" [pair] ) with pair token "=" value.  Empty list elements
 * are skipped (RFC 9110 5.6.1.2); OWS is allowed around ";" and ",".
 * 0, or -1 when the value does not fit. */
static int
parse_forwarded(const char *p, struct hops *hs)
{
	const char *name, *v;
	size_t nlen, vlen;
	struct hop h;
	int have_for, empty;

	for (;;) {
		memset(&h, 0, sizeof(h));
		have_for = 0;
		empty = 1;
		for (;;) {
			p = skip_ows(p);
			if (*p == ';') {
				p++;
				continue;
			}
			if (*p == ',' || *p == '\0')
				break;
			name = p;
			while (is_tchar((unsigned char)*p))
				p++;
			nlen = (size_t)(p - name);
			if (nlen == 0 || *p++ != '=' ||
			    parse_value(&p, &v, &vlen) != 0)
				return -1;
			empty = 0;
			if (nlen == 3 && strncasecmp(name, "for", 3) == 0) {
				if (have_for || vlen > NODE_MAX ||
				    parse_node(v, vlen, &h) != 0)
					return -1;
				have_for = 1;
			}
			p = skip_ows(p);
			if (*p != ';' && *p != ',' && *p != '\0')
				return -1;
		}
		if (!empty && add_hop(hs, &h) != 0)
			return -1;
		if (*p == '\0')
			return 0;
		p++;                    /* ',' */
	}
}

/* One X-Forwarded-For value: addresses separated by ",". */
static int
parse_xff(const char *p, struct hops *hs)
{
	const char *s;
	size_t len;
	struct hop h;

	for (;;) {
		p = skip_ows(p);
		s = p;
		while (*p != ',' && *p != '\0' && *p != ' ' && *p != '\t')
			p++;
		len = (size_t)(p - s);
		p = skip_ows(p);
		if (*p != ',' && *p != '\0')
			return -1;
		if (len > 0) {
			memset(&h, 0, sizeof(h));
			if (ip_of(s, len, 0, &h.ip) != 0)
				return -1;
			h.known = 1;
			if (add_hop(hs, &h) != 0)
				return -1;
		}
		if (*p == '\0')
			return 0;
		p++;
	}
}

static int
trusted_ip(const struct pki_name_ip *ip, const struct pki_name_cidr *t,
	   size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (pki_name_cidr_contains(&t[i], ip))
			return 1;
	return 0;
}

/* Every field called name, in order, into hs; 1 when there was one,
 * 0 when none, -1 when one does not fit its grammar. */
static int
collect(const struct pki_http_header *headers, size_t n, const char *name,
	int (*parse)(const char *, struct hops *), struct hops *hs)
{
	size_t i;
	int found = 0;

	for (i = 0; i < n; i++) {
		if (strcmp(headers[i].name, name) != 0)
			continue;
		found = 1;
		if (parse(headers[i].value, hs) != 0)
			return -1;
	}
	return found;
}

enum pki_forwarded_source
pki_forwarded_client(const struct pki_name_ip *peer,
		     const struct pki_http_header *headers, size_t n,
		     const struct pki_name_cidr *trusted, size_t ntrusted,
		     struct pki_name_ip *client)
{
	enum pki_forwarded_source src = PKI_FORWARDED_HEADER, got;
	struct hops hs;
	size_t i;
	int r;

	memset(client, 0, sizeof(*client));
	if (peer == NULL)
		return PKI_FORWARDED_PEER;
	*client = *peer;
	unmap(client);
	if (!trusted_ip(client, trusted, ntrusted))
		return PKI_FORWARDED_PEER;
	hs.n = 0;
	r = collect(headers, n, "forwarded", parse_forwarded, &hs);
	if (r == 0) {
		src = PKI_FORWARDED_XFF;
		r = collect(headers, n, "x-forwarded-for", parse_xff, &hs);
	}
	if (r <= 0)
		return PKI_FORWARDED_PEER;
	got = PKI_FORWARDED_PEER;
	for (i = hs.n; i > 0; i--) {
		if (!hs.v[i - 1].known)
			break;
		*client = hs.v[i - 1].ip;
		got = src;
		if (!trusted_ip(client, trusted, ntrusted))
			break;
	}
	return got;
}

const char *
pki_forwarded_source_name(enum pki_forwarded_source s)
{
	switch (s) {
	case PKI_FORWARDED_PEER: return "peer";
	case PKI_FORWARDED_HEADER: return "forwarded";
	case PKI_FORWARDED_XFF: return "x-forwarded-for";
	default: return NULL;
	}
}
