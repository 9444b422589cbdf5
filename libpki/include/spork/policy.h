/*
 * policy: the domain policy (domain-policy.toml) that decides which DNS
 * names and IP addresses a certificate may carry.
 *
 * The file holds [[allow]] and [[deny]] arrays of tables, each with a
 * pattern and an optional comment.  A name is denied unless an allow rule
 * matches it, and a matching deny rule always wins over any allow rule.
 * The matching rules are documented in domain-policy.toml(5):
 *
 *  - DNS patterns compare label by label, case-insensitively, ignoring
 *    one trailing dot.  A leftmost label that is exactly "*" stands for
 *    one or more whole labels ("*.example.com" matches a.example.com and
 *    a.b.example.com, never example.com).  Anywhere else, "*" and "?"
 *    glob inside one label and never cross a dot.
 *  - IP patterns are a single address or a CIDR range (10.0.0.0/8,
 *    2001:db8::/32) and only ever match IP addresses.
 *  - A requested wildcard name "*.example.com" stands for every name
 *    <label>.example.com: it is allowed only when an allow rule matches
 *    all of them and no deny rule matches any of them.
 *
 * A policy is immutable once parsed and may be shared between threads.
 */
#ifndef PKI_POLICY_H
#define PKI_POLICY_H

#include <stddef.h>
#include "pki.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Room for any normalised name: a DNS name (253) or an IPv6 text form. */
#define PKI_POLICY_NAME_MAX 256

/* Limits enforced by the parser. */
#define PKI_POLICY_FILE_MAX   (1024 * 1024) /* bytes of domain-policy.toml */
#define PKI_POLICY_RULES_MAX  10000         /* [[allow]] + [[deny]] tables */
#define PKI_POLICY_COMMENT_MAX 1024         /* bytes of one comment */

enum pki_policy_kind {
	PKI_POLICY_ALLOW,
	PKI_POLICY_DENY,
	PKI_POLICY__MAX
};

/* What a checked name was recognised as. */
enum pki_policy_name_type {
	PKI_POLICY_NAME_DNS,      /* host name, e.g. www.example.com */
	PKI_POLICY_NAME_WILDCARD, /* wildcard DNS name, e.g. *.example.com */
	PKI_POLICY_NAME_IP,       /* IPv4 or IPv6 address */
	PKI_POLICY_NAME__MAX
};

/* One rule as written in the file.  Borrowed from its policy. */
struct pki_policy_rule {
	enum pki_policy_kind kind;
	const char *pattern;   /* as written in the file */
	const char *comment;   /* NULL when the table has no comment */
	unsigned index;        /* 1-based among rules of the same kind:
				  the second [[deny]] table has index 2 */
	unsigned line, column; /* where the pattern string is written */
};

/*
 * The outcome of checking one name.  rule points into the policy (valid
 * until pki_policy_free) and is NULL when no rule matched, in which case
 * the name is denied by default.
 */
struct pki_policy_decision {
	int allowed;                          /* 1 allowed, 0 denied */
	const struct pki_policy_rule *rule;   /* deciding rule or NULL */
	enum pki_policy_name_type type;
	char name[PKI_POLICY_NAME_MAX];       /* normalised: lower case, no
						 trailing dot, canonical IP */
};

struct pki_policy;

/*
 * Parse a domain policy from len bytes of TOML.  On success *out is a new
 * policy; free it with pki_policy_free().  An empty document is a valid
 * policy that denies everything.  Unknown keys, wrong types, missing,
 * empty, malformed or duplicate patterns fail with PKI_E_PARSE (TOML
 * syntax) or PKI_E_INVALID (content), with err->line and err->column
 * (1-based) naming the offending key or value.  Messages carry no file
 * name: the caller knows it.
 */
int pki_policy_parse(const char *buf, size_t len, struct pki_policy **out,
		     struct pki_error *err) PKI_WUR;

/*
 * Read and parse a policy file ("-" reads standard input); otherwise as
 * pki_policy_parse().  The path is remembered and named in the messages
 * of pki_policy_check_names().  Files larger than PKI_POLICY_FILE_MAX
 * are refused.
 */
int pki_policy_load(const char *path, struct pki_policy **out,
		    struct pki_error *err) PKI_WUR;

/* Free a policy and its rules; NULL is accepted. */
void pki_policy_free(struct pki_policy *pol);

/* Number of rules ([[allow]] and [[deny]] together); 0 for NULL. */
size_t pki_policy_count(const struct pki_policy *pol);

/* The i-th rule (0-based, in file order), or NULL past the end. */
const struct pki_policy_rule *pki_policy_rule(const struct pki_policy *pol,
					      size_t i);

/*
 * Decide one name: a DNS name, a wildcard DNS name ("*.example.com") or
 * an IPv4/IPv6 address in text form, recognised by its syntax.  Returns
 * PKI_OK when a decision was made, allowed or not, and fills *d; returns
 * PKI_E_INVALID (and d->allowed = 0, d->rule = NULL) when the name is not
 * a valid host name, wildcard name or address.  A NULL policy denies
 * every name.  Deny rules are consulted first; the deciding rule is the
 * first matching deny rule in file order, else the first matching allow
 * rule.
 */
int pki_policy_check(const struct pki_policy *pol, const char *name,
		     struct pki_policy_decision *d,
		     struct pki_error *err) PKI_WUR;

/*
 * As pki_policy_check(), but name must be a DNS name or wildcard DNS name
 * (a dNSName SAN): an IP address written as a DNS name is PKI_E_INVALID.
 */
int pki_policy_check_dns(const struct pki_policy *pol, const char *name,
			 struct pki_policy_decision *d,
			 struct pki_error *err) PKI_WUR;

/*
 * As pki_policy_check() for an IP address in binary form (an iPAddress
 * SAN): len is 4 (IPv4) or 16 (IPv6).  IPv4-mapped IPv6 addresses
 * (::ffff:a.b.c.d) are PKI_E_INVALID: request the IPv4 address instead.
 */
int pki_policy_check_ip(const struct pki_policy *pol,
			const unsigned char *addr, size_t len,
			struct pki_policy_decision *d,
			struct pki_error *err) PKI_WUR;

/*
 * Check every name a certificate would carry: ndns DNS names (as for
 * pki_policy_check_dns) and nip IP addresses in text form.  Either array
 * may be NULL when its count is 0.  Returns PKI_OK when every name is
 * allowed; PKI_E_DENIED with a message naming the first denied name and
 * the rule that denied it (or that no rule matched); PKI_E_INVALID when a
 * name is malformed.  Names are checked in order, DNS names first.
 */
int pki_policy_check_names(const struct pki_policy *pol,
			   const char *const *dns, size_t ndns,
			   const char *const *ip, size_t nip,
			   struct pki_error *err) PKI_WUR;

/*
 * Describe a decision in one line into buf (always NUL-terminated when
 * len > 0) and return buf, e.g.
 *   a.example.com: allowed by [[allow]] #1 "*.example.com" (line 3)
 *   b.example.org: denied: no rule matched (deny by default)
 */
const char *pki_policy_decision_str(const struct pki_policy_decision *d,
				    char *buf, size_t len);

/* "allow" or "deny". */
const char *pki_policy_kind_name(enum pki_policy_kind kind);

#ifdef __cplusplus
}
#endif

#endif /* PKI_POLICY_H */
