/*
 * name: DNS names, IP addresses, CIDR ranges and email addresses, parsed
 * and matched in one place for every module that handles them (the
 * profile lint, the domain policy, hierarchy name constraints, issuance
 * and enrollment; later the ACME identifiers).
 *
 * The texts are untrusted.  Every parser bounds its input, accepts only
 * what its grammar says and refuses the rest rather than repairing it;
 * messages quote the input with control and non-ASCII bytes escaped.
 * Parsers return PKI_OK or PKI_E_INVALID (with err, when not NULL, filled
 * with a sentence naming the input and what is wrong with it) and write
 * *out only on success.  Nothing here allocates or keeps state: results
 * live in the caller's structures, which may be copied with memcpy, and
 * every function may be called from any thread.
 *
 * The grammar of a DNS name (RFC 1034 3.5, RFC 1123 2.1): labels of
 * 1..63 octets of letters, digits and '-', not beginning or ending with
 * '-', joined by '.', 253 octets in all.  Internationalized names are
 * written as their A-labels ("xn--bcher-kva.example"); other octets,
 * '_' included, are refused.  Letters may be given in either case; the
 * canonical form is lower case.  Flags widen the grammar for the callers
 * that need it.
 */
#ifndef PKI_NAME_H
#define PKI_NAME_H

#include <stddef.h>
#include "pki.h"

#ifdef __cplusplus
extern "C" {
#endif

#define PKI_NAME_DNS_MAX    253 /* octets of a DNS name, no trailing dot */
#define PKI_NAME_LABEL_MAX  63  /* octets of one label */
#define PKI_NAME_LABELS_MAX 127 /* labels that fit in 253 octets */
#define PKI_NAME_EMAIL_MAX  254 /* octets of an email address */
#define PKI_NAME_IP_STRLEN  46  /* an IPv6 address in text, with its NUL */

/* Flags of pki_name_dns_parse(), or-ed together. */
enum pki_name_dns_flag {
	/* Accept "*.<name>": a leftmost label that is exactly "*", followed
	 * by at least two labels ("*.com" is refused). */
	PKI_NAME_DNS_WILDCARD = 1u << 0,
	/* As PKI_NAME_DNS_WILDCARD, and "*.com" too: for a requested name
	 * that a policy judges, not for a name put into a certificate. */
	PKI_NAME_DNS_WILDCARD_ANY = 1u << 1,
	/* Accept one trailing dot ("example.com.") and drop it. */
	PKI_NAME_DNS_TRAILING_DOT = 1u << 2,
	/* Accept one leading dot (".example.com"), the subdomain form of a
	 * name constraint; it stays in the canonical name. */
	PKI_NAME_DNS_LEADING_DOT = 1u << 3,
	/* Accept an all-digit last label ("host.123").  Without this flag
	 * such a name is refused: it would read as an IP address. */
	PKI_NAME_DNS_NUMERIC_TLD = 1u << 4
};

/*
 * A parsed DNS name or DNS pattern.  name is the canonical text (lower
 * case, no trailing dot, a leading dot kept), len its length; label[i] is
 * the offset in name of label i, leftmost first (a leading dot is not a
 * label).  wildcard is set when the leftmost label is "*".
 */
struct pki_name_dns {
	char name[PKI_NAME_DNS_MAX + 1];
	size_t len;
	size_t nlabels;
	unsigned char label[PKI_NAME_LABELS_MAX];
	int wildcard;
};

/*
 * Parse a DNS name with the grammar above widened by flags (enum
 * pki_name_dns_flag).  Refused, with a message: NULL or empty, longer
 * than 253 octets, an empty or over-long label, an octet outside
 * letters, digits and '-' (non-ASCII: "write internationalized names as
 * A-labels"), a label beginning or ending with '-', a '*' anywhere but
 * as a whole leftmost label the flags allow, and an all-digit last label
 * unless PKI_NAME_DNS_NUMERIC_TLD.
 */
int pki_name_dns_parse(const char *s, unsigned flags, struct pki_name_dns *out,
		       struct pki_error *err) PKI_WUR;

/* As pki_name_dns_parse(), keeping only the verdict. */
int pki_name_dns_check(const char *s, unsigned flags,
		       struct pki_error *err) PKI_WUR;

/* Label i (0 <= i < d->nlabels) of d, not NUL-terminated, and its
 * length in *len. */
const char *pki_name_dns_label(const struct pki_name_dns *d, size_t i,
			       size_t *len);

/*
 * 1 if name is the DNS name constraint or below it, comparing the texts
 * case-insensitively, else 0: "example.com" holds example.com and
 * www.example.com, never wwwexample.com; a leading dot on the constraint
 * is ignored.  Neither text is validated (a CA's common name may be put
 * to it), so a text that is not a DNS name simply does not match.
 */
int pki_name_dns_within(const char *name, const char *constraint);

/*
 * Parse a domain-policy DNS pattern (domain-policy.toml(5)): a DNS name
 * whose labels may hold the globs '*' (any run of octets, possibly empty)
 * and '?' (one octet), one trailing dot ignored, lower-cased.  A leftmost
 * label that is exactly "*" stands for one or more whole labels.  Label
 * hyphens are not checked (a pattern never matches more than names do).
 * Refused: what pki_name_dns_parse() refuses for the lengths and octets,
 * "**", bracket and brace globs, white space, an all-digit last label and
 * a glob made only of digits and globs (an IP range is written in CIDR
 * form).  Messages read 'pattern "..." is not a valid DNS pattern: ...'.
 */
int pki_name_glob_parse(const char *s, struct pki_name_dns *out,
			struct pki_error *err) PKI_WUR;

/*
 * Does the pattern (from pki_name_glob_parse) match the name (from
 * pki_name_dns_parse)?  Labels are compared right to left, each with its
 * glob; a leading "*" label takes one or more labels.  A wildcard name
 * "*.S" stands for every name L.S with one label L: with every set, 1
 * when the pattern matches all of them; otherwise 1 when it may match
 * one of them (a glob first label is assumed to match some label).  A
 * leading-"*" pattern matches all L.S or none, so both answers agree for
 * it; any other pattern never matches all of them.  every is ignored for
 * other names.
 */
int pki_name_glob_match(const struct pki_name_dns *pattern,
			const struct pki_name_dns *name, int every);

/* An IPv4 (len 4) or IPv6 (len 16) address in network byte order. */
struct pki_name_ip {
	size_t len;
	unsigned char addr[16];
};

/*
 * Parse an address in text: IPv4 dotted quad (four decimal octets, no
 * leading zeros: "1.2.3" and "01.2.3.4" are refused) when s has no ':',
 * IPv6 (RFC 4291 2.2, an embedded IPv4 part included) when it has one.
 * No brackets, zones or prefixes.  IPv4-mapped IPv6 addresses are
 * accepted here: see pki_name_ip_is_v4mapped().
 */
int pki_name_ip_parse(const char *s, struct pki_name_ip *out,
		      struct pki_error *err) PKI_WUR;

/* An address from its 4 or 16 octets (an iPAddress SAN); any other
 * length is PKI_E_INVALID. */
int pki_name_ip_from_bytes(const unsigned char *b, size_t len,
			   struct pki_name_ip *out,
			   struct pki_error *err) PKI_WUR;

/* The canonical text of ip (RFC 5952 for IPv6, as inet_ntop writes it)
 * into buf; returns buf. */
const char *pki_name_ip_format(const struct pki_name_ip *ip,
			       char buf[PKI_NAME_IP_STRLEN]);

/* 1 if ip is an IPv4-mapped IPv6 address (::ffff:a.b.c.d), else 0. */
int pki_name_ip_is_v4mapped(const struct pki_name_ip *ip);

/* 1 if a and b are the same address (same family), else 0. */
int pki_name_ip_equal(const struct pki_name_ip *a,
		      const struct pki_name_ip *b);

/* A range of addresses: the network address (no bits set after the
 * prefix) and the prefix length, 0..32 or 0..128. */
struct pki_name_cidr {
	struct pki_name_ip net;
	unsigned prefix;
};

/* Flags of pki_name_cidr_parse(). */
enum pki_name_cidr_flag {
	/* Accept an address alone, as the /32 or /128 range of it. */
	PKI_NAME_CIDR_BARE = 1u << 0
};

/*
 * Parse "10.0.0.0/8" or "2001:db8::/32": an address as
 * pki_name_ip_parse() takes it, '/', and a decimal prefix length without
 * sign or leading zeros no longer than the address.  An address with
 * bits set after the prefix is refused, naming the network address to
 * write instead.
 */
int pki_name_cidr_parse(const char *s, unsigned flags,
			struct pki_name_cidr *out,
			struct pki_error *err) PKI_WUR;

/* 1 if ip lies in the range (same family, same first prefix bits). */
int pki_name_cidr_contains(const struct pki_name_cidr *c,
			   const struct pki_name_ip *ip);

/* 1 if a and b are the same range, else 0. */
int pki_name_cidr_equal(const struct pki_name_cidr *a,
			const struct pki_name_cidr *b);

/*
 * The range as an X.509 name constraint iPAddress (RFC 5280 4.2.1.10):
 * the network address then the netmask, 8 or 32 octets into out.
 * Returns the number of octets written.
 */
size_t pki_name_cidr_netmask(const struct pki_name_cidr *c,
			     unsigned char out[32]);

/* An email address split at its '@': the local part is the first
 * local_len octets of the text parsed, domain the parsed domain. */
struct pki_name_email {
	size_t local_len;
	struct pki_name_dns domain;
};

/*
 * Parse "local@domain": at most 254 octets; a local part of one or more
 * printable ASCII octets other than space and '@'; a domain that
 * pki_name_dns_parse() accepts with dns_flags.
 */
int pki_name_email_parse(const char *s, unsigned dns_flags,
			 struct pki_name_email *out,
			 struct pki_error *err) PKI_WUR;

/*
 * Check an rfc822Name constraint (RFC 5280 4.2.1.10): a mailbox
 * ("pki@example.com", as pki_name_email_parse), a host ("example.com")
 * or the hosts below a domain (".example.com").  Domains may end in an
 * all-digit label.
 */
int pki_name_email_constraint_check(const char *s,
				    struct pki_error *err) PKI_WUR;

#ifdef __cplusplus
}
#endif

#endif /* PKI_NAME_H */
