/*
 * policy: domain-policy.toml, deny-by-default allow/deny patterns for the
 * DNS names and IP addresses of a certificate.  See policy.h and
 * domain-policy.toml(5) for the matching rules.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <spork/name.h>
#include <spork/policy.h>
#include <spork/toml.h>
#include "util.h"

/* A rule: its public face plus the parsed pattern. */
struct rule {
	struct pki_policy_rule pub;
	int is_ip;
	struct pki_name_dns glob;  /* DNS pattern */
	struct pki_name_cidr cidr; /* IP pattern: a range, or one address */
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
	struct pki_name_dns dns;  /* DNS and wildcard names */
	struct pki_name_ip ip;    /* IP addresses */
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

static int
rule_hits(const struct rule *r, const struct name *nm)
{
	int deny = r->pub.kind == PKI_POLICY_DENY;

	/* An allow rule must cover every name a wildcard stands for; a
	 * deny rule blocks it when it may match any of them. */
	switch (nm->type) {
	case PKI_POLICY_NAME_IP:
		return r->is_ip && pki_name_cidr_contains(&r->cidr, &nm->ip);
	case PKI_POLICY_NAME_DNS:
	case PKI_POLICY_NAME_WILDCARD:
		return !r->is_ip && pki_name_glob_match(&r->glob, &nm->dns,
							!deny);
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

/* Fill nm from an address; refuse IPv4-mapped IPv6 addresses. */
static int
name_from_ip(struct name *nm, const struct pki_name_ip *ip,
	     struct pki_error *err)
{
	memset(nm, 0, sizeof(*nm));
	nm->type = PKI_POLICY_NAME_IP;
	nm->ip = *ip;
	pki_name_ip_format(ip, nm->canon);
	if (pki_name_ip_is_v4mapped(ip))
		return pki_error_set(err, PKI_E_INVALID,
				     "%s is an IPv4-mapped IPv6 address: request "
				     "the IPv4 address %u.%u.%u.%u instead",
				     nm->canon, ip->addr[12], ip->addr[13],
				     ip->addr[14], ip->addr[15]);
	return PKI_OK;
}

/*
 * Validate and normalise a requested name: an IP address when it has a
 * ':' or is a dotted quad, else a DNS or wildcard name.  dns_only refuses
 * IP address literals (a dNSName that looks like an address).
 */
static int
name_parse(const char *name, int dns_only, struct name *nm,
	   struct pki_error *err)
{
	char q[PKI__QUOTE_MAX];
	struct pki_name_ip ip;
	size_t len;
	int rc = PKI_E_INVALID, is_ip;

	memset(nm, 0, sizeof(*nm));
	if (name == NULL || name[0] == '\0') {
		rc = pki_error_set(err, PKI_E_INVALID, "empty name");
		goto out;
	}
	len = strnlen(name, PKI_NAME_DNS_MAX + 2);
	if (len > PKI_NAME_DNS_MAX + 1) {
		rc = pki_error_set(err, PKI_E_INVALID,
				   "\"%s\" is longer than %d characters",
				   pki__quote(name, len, q, sizeof(q)),
				   PKI_NAME_DNS_MAX);
		goto out;
	}
	is_ip = pki_name_ip_parse(name, &ip, NULL) == PKI_OK;
	if (is_ip || strchr(name, ':') != NULL) {
		if (dns_only)
			rc = pki_error_set(err, PKI_E_INVALID,
					   "\"%s\" is an IP address, not a DNS "
					   "name: request it as an IP address",
					   pki__quote(name, len, q, sizeof(q)));
		else if (!is_ip)
			rc = pki_error_set(err, PKI_E_INVALID,
					   "\"%s\" is not a valid IPv6 address",
					   pki__quote(name, len, q, sizeof(q)));
		else
			rc = name_from_ip(nm, &ip, err);
		goto out;
	}
	if ((rc = pki_name_dns_parse(name, PKI_NAME_DNS_WILDCARD_ANY |
				     PKI_NAME_DNS_TRAILING_DOT, &nm->dns,
				     err)) != PKI_OK)
		goto out;
	nm->type = nm->dns.wildcard ? PKI_POLICY_NAME_WILDCARD
				    : PKI_POLICY_NAME_DNS;
	memcpy(nm->canon, nm->dns.name, nm->dns.len + 1);
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
		pki__quote(name, strnlen(name, PKI_NAME_DNS_MAX + 2), d->name,
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
	struct pki_name_ip ip;
	struct name nm;
	int rc;

	if ((rc = pki_name_ip_from_bytes(addr, len, &ip, err)) != PKI_OK) {
		decision_invalid(d, NULL);
		return rc;
	}
	if ((rc = name_from_ip(&nm, &ip, err)) != PKI_OK) {
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
	char q[PKI__QUOTE_MAX];

	if (r != NULL)
		return pki_error_set(err, PKI_E_DENIED,
				     "%s is denied by [[%s]] #%u pattern \"%s\" "
				     "(line %u of %s)", d->name,
				     pki_policy_kind_name(r->kind), r->index,
				     pki__quote(r->pattern, strlen(r->pattern),
						q, sizeof(q)),
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
		char q[PKI__QUOTE_MAX];
		const char *s = ip[i];

		struct pki_name_ip b;

		if (s == NULL || (strchr(s, ':') == NULL &&
				  pki_name_ip_parse(s, &b, NULL) != PKI_OK)) {
			rc = pki_error_set(err, PKI_E_INVALID,
					   "\"%s\" is not an IP address",
					   s == NULL ? "" :
					   pki__quote(s, strnlen(s, 64), q,
						      sizeof(q)));
			goto out;
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
	char q[PKI__QUOTE_MAX];

	if (len == 0)
		return buf;
	if (r == NULL)
		snprintf(buf, len, "%s: denied: no rule matched (deny by "
			 "default)", d->name);
	else
		snprintf(buf, len, "%s: %s by [[%s]] #%u \"%s\" (line %u)",
			 d->name, d->allowed ? "allowed" : "denied",
			 pki_policy_kind_name(r->kind), r->index,
			 pki__quote(r->pattern, strlen(r->pattern), q,
				    sizeof(q)),
			 r->line);
	return buf;
}

/* ------------------------------------------------------------ patterns */

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

/*
 * Parse the pattern of r, an IP range or address (10.0.0.0/8, 10.1.2.3)
 * or a DNS pattern, naming its position v in the message when it fails.
 */
static int
rule_pattern(struct rule *r, const struct pki_toml_value *v,
	     struct pki_error *err)
{
	char msg[sizeof(err->msg)];
	int rc;

	r->is_ip = looks_like_ip(r->pub.pattern);
	if (!r->is_ip)
		rc = pki_name_glob_parse(r->pub.pattern, &r->glob, err);
	else if ((rc = pki_name_cidr_parse(r->pub.pattern, PKI_NAME_CIDR_BARE,
					   &r->cidr, err)) != PKI_OK &&
		 err != NULL) {
		memcpy(msg, err->msg, sizeof(msg));
		pki_error_set(err, rc, "pattern %s", msg);
	}
	if (rc != PKI_OK && err != NULL) {
		err->line = v->line;
		err->column = v->column;
	}
	return rc;
}

static int
same_pattern(const struct rule *a, const struct rule *b)
{
	if (a->is_ip != b->is_ip)
		return 0;
	if (a->is_ip)
		return pki_name_cidr_equal(&a->cidr, &b->cidr);
	return strcmp(a->glob.name, b->glob.name) == 0;
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

/* Set the comment of rule r (kind kname, index) from kv. */
static int
rule_comment(struct rule *r, const char *kname, unsigned index,
	     const struct pki_toml_keyval *kv, struct pki_error *err)
{
	const struct pki_toml_value *v = &kv->val;
	size_t j;
	int rc;

	if ((rc = string_value(kv, "comment", kname, index, err)) != PKI_OK)
		return rc;
	if (v->u.s.len > PKI_POLICY_COMMENT_MAX)
		return pki_error_at(err, PKI_E_INVALID, v->line, v->column,
				    "comment in [[%s]] #%u is longer than %d "
				    "bytes", kname, index,
				    PKI_POLICY_COMMENT_MAX);
	for (j = 0; j < v->u.s.len; j++) {
		unsigned char c = (unsigned char)v->u.s.ptr[j];

		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return pki_error_at(err, PKI_E_INVALID, v->line,
					    v->column, "comment in [[%s]] #%u "
					    "must be one line of text", kname,
					    index);
	}
	free((char *)r->pub.comment);
	if ((r->pub.comment = pki__strdup(v->u.s.ptr)) == NULL)
		return pki_error_set(err, PKI_E_NOMEM, "strdup: out of memory");
	return PKI_OK;
}

/* Refuse r when an earlier rule of pol has the same pattern. */
static int
rule_unique(const struct pki_policy *pol, const struct rule *r,
	    struct pki_error *err)
{
	char q[PKI__QUOTE_MAX];
	size_t i;

	for (i = 0; i < pol->n; i++)
		if (same_pattern(&pol->rules[i], r)) {
			const struct pki_policy_rule *o = &pol->rules[i].pub;

			return pki_error_at(err, PKI_E_INVALID, r->pub.line,
					    r->pub.column, "duplicate pattern "
					    "\"%s\": already [[%s]] #%u at line "
					    "%u",
					    pki__quote(r->pub.pattern,
						       strlen(r->pub.pattern),
						       q, sizeof(q)),
					    pki_policy_kind_name(o->kind),
					    o->index, o->line);
		}
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
	char q[PKI__QUOTE_MAX];
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
			if ((rc = rule_comment(r, kname, index, kv, err)) !=
			    PKI_OK)
				goto out;
		} else {
			rc = pki_error_at(err, PKI_E_INVALID, kv->line,
					  kv->column, "unknown key \"%s\" in "
					  "[[%s]] #%u (expected pattern or "
					  "comment)",
					  pki__quote(kv->key, kv->keylen, q,
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
	if ((rc = rule_pattern(r, pv, err)) != PKI_OK ||
	    (rc = rule_unique(pol, r, err)) != PKI_OK)
		goto out;
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
	char q[PKI__QUOTE_MAX];
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
					  pki__quote(kv->key, kv->keylen, q,
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
	if ((rc = pki_file_read(path, PKI_POLICY_FILE_MAX, &data, err))
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
