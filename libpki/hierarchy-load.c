/*
 * hierarchy-load: hierarchy.toml -> plan, loaded and validated (see
 * hierarchy.h and hierarchy.toml(5)); hierarchy.c diffs a plan against the
 * store and builds it.
 */
#include <config.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/abstract.h>
#include <gnutls/pkcs12.h>
#include <gnutls/x509.h>
#include <jansson.h>
#include <nettle/sha2.h>

#include <spork/config.h>
#include <spork/hierarchy.h>
#include "keystore.h"
#include <spork/state.h>
#include "issue.h"
#include <spork/name.h>
#include <spork/toml.h>
#include "store-write.h"
#include "hierarchy-int.h"
#include "util.h"
#include "crl-shard.h"

#define MAX_CAS 256
#define MAX_LIST 64
#define MAX_YEARS 100
#define MAX_DAYS (MAX_YEARS * 366)

/* ------------------------------------------------------------------ plan */

static void
node_clear(struct pki_hier_node *n)
{
	free(n->name);
	free(n->pkcs11_uri);
	free(n->spec_json);
	pki_cert_template_clear(&n->tpl);
	pki_strlist_clear(&n->crl_urls);
	pki_strlist_clear(&n->delta_crl_urls);
	pki_strlist_clear(&n->ocsp_urls);
	pki_strlist_clear(&n->ca_issuers_urls);
	pki_strlist_clear(&n->default_for);
}

void
pki_hier_free(struct pki_hier_plan *plan)
{
	size_t i;

	if (plan == NULL)
		return;
	for (i = 0; i < plan->n; i++)
		node_clear(&plan->nodes[i]);
	free(plan->nodes);
	free(plan->path);
	free(plan->basedir);
	free(plan->external_name);
	free(plan->external_cert);
	free(plan->import_pkcs12);
	free(plan);
}

/* Add whole calendar years to t (UTC); Feb 29 becomes Feb 28. */
static int64_t
add_years(int64_t t, unsigned years)
{
	time_t tt = (time_t)t;
	struct tm tm;
	int64_t y, days;
	unsigned m, d;
	int leap;

	if (gmtime_r(&tt, &tm) == NULL)
		return t + (int64_t)years * 31557600;
	y = tm.tm_year + 1900 + (int64_t)years;
	m = (unsigned)tm.tm_mon + 1;
	d = (unsigned)tm.tm_mday;
	leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	if (m == 2 && d == 29 && !leap)
		d = 28;
	days = pki__days_from_civil(y, m, d);
	return days * 86400 + tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec;
}

int64_t
pki__hier_node_not_after(const struct pki_hier_node *n, int64_t not_before)
{
	if (n->validity_years > 0)
		return add_years(not_before, n->validity_years);
	return not_before + (int64_t)n->validity_days * 86400;
}

/* ------------------------------------------------------------ TOML reading */

struct loader {
	struct pki_diags *d;
	struct pki_hier_plan *plan;
};

static const char *const ca_keys[] = {
	"name", "common_name", "organization", "organizational_unit",
	"country", "state", "locality", "email", "algorithm",
	"validity_years", "validity_days", "path_len", "key",
	"digital_signature", "permitted_dns", "excluded_dns", "permitted_ip",
	"excluded_ip", "permitted_email", "excluded_email", "policy_oids",
	"crl_urls", "delta_crl_urls", "ocsp_urls", "ca_issuers_urls",
	"crl_shards", "default_for", "crl_next_update",
	"delta_crl_next_update", NULL
};
static const char *const import_keys[] = {
	"name", "pkcs12", "key", "crl_urls", "delta_crl_urls", "ocsp_urls",
	"ca_issuers_urls", "crl_shards", NULL
};
static const char *const external_keys[] = { "name", "certificate", NULL };

static int
in_list(const char *key, const char *const *list)
{
	for (; *list != NULL; list++)
		if (strcmp(key, *list) == 0)
			return 1;
	return 0;
}

static void
unknown_key(struct loader *L, const struct pki_toml_keyval *kv,
	    const char *where, const char *const *allowed,
	    const char *const *extra)
{
	const char *best = pki_diag_closest(kv->key, allowed);

	if (best == NULL)
		best = pki_diag_closest(kv->key, extra);
	if (best != NULL)
		pki__diag(L->d, kv->line, kv->column,
		     "unknown key '%s' in %s; did you mean '%s'?", kv->key,
		     where, best);
	else
		pki__diag(L->d, kv->line, kv->column,
		     "unknown key '%s' in %s; see hierarchy.toml(5) for the "
		     "keys a CA takes", kv->key, where);
}

static int
want_type(struct loader *L, const struct pki_toml_keyval *kv,
	  enum pki_toml_type type, const char *what)
{
	if (kv->val.type == type)
		return 1;
	pki__diag(L->d, kv->val.line, kv->val.column, "%s must be %s, not %s "
	     "(write for example %s)", kv->key,
	     type == PKI_TOML_STRING ? "a string" :
	     type == PKI_TOML_INTEGER ? "an integer" :
	     type == PKI_TOML_BOOL ? "a boolean" :
	     type == PKI_TOML_ARRAY ? "an array" : "a table",
	     pki_toml_type_name(kv->val.type), what);
	return 0;
}

static const char *
get_str(struct loader *L, const struct pki_toml_table *t, const char *key,
	const char *example)
{
	const struct pki_toml_keyval *kv = pki_toml_find(t, key);

	if (kv == NULL)
		return NULL;
	if (!want_type(L, kv, PKI_TOML_STRING, example))
		return NULL;
	if (kv->val.u.s.len != strlen(kv->val.u.s.ptr)) {
		pki__diag(L->d, kv->val.line, kv->val.column,
		     "%s must not contain NUL characters", key);
		return NULL;
	}
	if (kv->val.u.s.len == 0) {
		pki__diag(L->d, kv->val.line, kv->val.column,
		     "%s must not be empty", key);
		return NULL;
	}
	return kv->val.u.s.ptr;
}

typedef int (*item_check_fn)(const char *s);

static void
get_list(struct loader *L, const struct pki_toml_table *t, const char *key,
	 struct pki_strlist *out, item_check_fn check, const char *hint)
{
	const struct pki_toml_keyval *kv = pki_toml_find(t, key);
	size_t i;

	if (kv == NULL)
		return;
	if (kv->val.type == PKI_TOML_STRING) {
		/* A single string is taken as a one-element list. */
		if (check != NULL && !check(kv->val.u.s.ptr))
			pki__diag(L->d, kv->val.line, kv->val.column,
			     "%s: '%s' is not %s", key, kv->val.u.s.ptr, hint);
		else if (pki_strlist_add(out, kv->val.u.s.ptr) != PKI_OK)
			pki__diag(L->d, kv->line, kv->column, "out of memory");
		return;
	}
	if (!want_type(L, kv, PKI_TOML_ARRAY, "[\"...\"]"))
		return;
	if (kv->val.u.arr->n > MAX_LIST) {
		pki__diag(L->d, kv->val.line, kv->val.column,
		     "%s has %zu entries; at most %d are allowed", key,
		     kv->val.u.arr->n, MAX_LIST);
		return;
	}
	for (i = 0; i < kv->val.u.arr->n; i++) {
		const struct pki_toml_value *v = &kv->val.u.arr->items[i];

		if (v->type != PKI_TOML_STRING) {
			pki__diag(L->d, v->line, v->column, "%s: entries must be "
			     "strings, not %s", key, pki_toml_type_name(v->type));
			continue;
		}
		if (check != NULL && !check(v->u.s.ptr)) {
			pki__diag(L->d, v->line, v->column, "%s: '%s' is not %s",
			     key, v->u.s.ptr, hint);
			continue;
		}
		if (pki_strlist_add(out, v->u.s.ptr) != PKI_OK)
			pki__diag(L->d, v->line, v->column, "out of memory");
	}
}

static int
check_url(const char *s)
{
	size_t i;

	if (strncmp(s, "http://", 7) != 0 && strncmp(s, "https://", 8) != 0 &&
	    strncmp(s, "ldap://", 7) != 0)
		return 0;
	for (i = 0; s[i] != '\0'; i++)
		if ((unsigned char)s[i] <= ' ' || (unsigned char)s[i] >= 0x7f)
			return 0;
	return strlen(s) > 8 && strlen(s) < 1024;
}

/* OCSP responders are reached over HTTP (RFC 6960 appendix A). */
static int
check_http_url(const char *s)
{
	return strncmp(s, "ldap://", 7) != 0 && check_url(s);
}

static int
check_oid(const char *s)
{
	int arcs = 0, digits = 0;

	for (; *s != '\0'; s++) {
		if (*s >= '0' && *s <= '9') {
			digits++;
		} else if (*s == '.') {
			if (digits == 0)
				return 0;
			arcs++;
			digits = 0;
		} else {
			return 0;
		}
	}
	return digits > 0 && arcs >= 1;
}

/* A dNSName constraint: a host name or ".domain" (name.h). */
static int
check_dns_constraint(const char *s)
{
	return pki_name_dns_check(s, PKI_NAME_DNS_LEADING_DOT |
				  PKI_NAME_DNS_NUMERIC_TLD, NULL) == PKI_OK;
}

static int
check_email_constraint(const char *s)
{
	return pki_name_email_constraint_check(s, NULL) == PKI_OK;
}

static int
check_cidr(const char *s)
{
	struct pki_name_cidr c;

	return pki_name_cidr_parse(s, 0, &c, NULL) == PKI_OK;
}

static int
dup_str(struct loader *L, char **dst, const char *src)
{
	if (src == NULL)
		return 0;
	if ((*dst = strdup(src)) == NULL) {
		pki__diag(L->d, 0, 0, "out of memory");
		return -1;
	}
	return 0;
}

static const char *
default_alg(const char *role)
{
	return strcmp(role, "issuing") == 0 ? "ecdsa-p256" : "ecdsa-p384";
}

static unsigned
default_years(const char *role)
{
	if (strcmp(role, "root") == 0)
		return 25;
	if (strcmp(role, "policy") == 0)
		return 10;
	return 5;
}

/*
 * crl_shards: how many CRLs the end-entity certificates of the CA are
 * split over (crl-shard.h).  Each shard's URL is derived from every
 * crl_urls entry, so there must be some and each must end in ".crl";
 * delta CRLs of shards are not made, so delta_crl_urls is refused.
 */
static void
read_crl_shards(struct loader *L, const struct pki_toml_table *t,
		struct pki_hier_node *n)
{
	const struct pki_toml_keyval *kv = pki_toml_find(t, "crl_shards");
	const struct pki_toml_keyval *ku, *kd;
	size_t i;

	if (kv == NULL || !want_type(L, kv, PKI_TOML_INTEGER, "crl_shards = 16"))
		return;
	if (kv->val.u.i < PKI__CRL_SHARDS_MIN ||
	    kv->val.u.i > PKI__CRL_SHARDS_MAX) {
		pki__diag(L->d, kv->val.line, kv->val.column, "crl_shards = "
		     "%lld is out of range; write %d to %d",
		     (long long)kv->val.u.i, PKI__CRL_SHARDS_MIN,
		     PKI__CRL_SHARDS_MAX);
		return;
	}
	ku = pki_toml_find(t, "crl_urls");
	kd = pki_toml_find(t, "delta_crl_urls");
	if (ku == NULL) {
		pki__diag(L->d, kv->line, kv->column, "crl_shards needs "
		     "crl_urls: each shard's CRL is published at a crl_urls "
		     "URL with \"-<shard>\" before \".crl\"");
		return;
	}
	if (kd != NULL) {
		pki__diag(L->d, kd->line, kd->column, "delta_crl_urls and "
		     "crl_shards do not go together: spork makes no delta "
		     "CRLs of shards; keep one of them");
		return;
	}
	for (i = 0; i < n->crl_urls.n; i++)
		if (!pki__crl_shard_url_ok(n->crl_urls.v[i])) {
			pki__diag(L->d, ku->val.line, ku->val.column,
			     "crl_urls: '%s' cannot name CRL shards; with "
			     "crl_shards each entry must be an http:// or "
			     "https:// URL ending in \".crl\"",
			     n->crl_urls.v[i]);
			return;
		}
	n->crl_shards = (unsigned)kv->val.u.i;
}

/* Fill the service URL lists shared by CA tables and [import]. */
static void
read_urls(struct loader *L, const struct pki_toml_table *t,
	  struct pki_hier_node *n)
{
	get_list(L, t, "crl_urls", &n->crl_urls, check_url,
		 "an http://, https:// or ldap:// URL");
	get_list(L, t, "delta_crl_urls", &n->delta_crl_urls, check_url,
		 "an http://, https:// or ldap:// URL");
	get_list(L, t, "ocsp_urls", &n->ocsp_urls, check_http_url,
		 "an http:// or https:// URL");
	get_list(L, t, "ca_issuers_urls", &n->ca_issuers_urls, check_url,
		 "an http://, https:// or ldap:// URL");
	read_crl_shards(L, t, n);
}

/* crl_next_update, delta_crl_next_update: durations (config.h). */
static void
read_duration(struct loader *L, const struct pki_toml_table *t,
	      const char *key, int64_t *out)
{
	const struct pki_toml_keyval *kv = pki_toml_find(t, key);
	struct pki_error e;
	const char *v;
	int64_t secs;

	if (kv == NULL)
		return;
	if ((v = get_str(L, t, key, "\"26w\"")) == NULL)
		return;
	pki_error_clear(&e);
	if (pki_duration_parse(v, &secs, &e) != PKI_OK)
		pki__diag(L->d, kv->val.line, kv->val.column, "%s: %s", key,
			  e.msg);
	else if (secs <= 0)
		pki__diag(L->d, kv->val.line, kv->val.column, "%s must be longer "
			  "than zero", key);
	else
		*out = secs;
}

static void
read_crl_lifetimes(struct loader *L, const struct pki_toml_table *t,
		   struct pki_hier_node *n)
{
	read_duration(L, t, "crl_next_update", &n->crl_next_update);
	read_duration(L, t, "delta_crl_next_update", &n->delta_crl_next_update);
}

static int
check_ee_profile(const char *s)
{
	const struct pki_profile *p = pki_profile_by_name(s);

	return p != NULL && !p->is_ca;
}

/* default_for: end-entity profiles, on issuing CAs only (check_defaults
 * sees that no profile is given twice). */
static void
read_default_for(struct loader *L, const struct pki_toml_table *t,
		 struct pki_hier_node *n)
{
	const struct pki_toml_keyval *kv = pki_toml_find(t, "default_for");

	if (kv == NULL)
		return;
	if (strcmp(n->role, "issuing") != 0) {
		pki__diag(L->d, kv->line, kv->column, "default_for is for "
			  "issuing CAs only; a %s CA issues no end-entity "
			  "certificates", n->role);
		return;
	}
	get_list(L, t, "default_for", &n->default_for, check_ee_profile,
		 "an end-entity profile (tls-server, tls-client, "
		 "code-signing, email, ocsp-signing)");
}

/* A profile is the default of one CA at most. */
static void
check_defaults(struct loader *L)
{
	const struct pki_hier_plan *p = L->plan;
	size_t i, j, k, m;

	for (i = 0; i < p->n; i++)
		for (k = 0; k < p->nodes[i].default_for.n; k++)
			for (j = 0; j <= i; j++)
				for (m = 0; m < p->nodes[j].default_for.n &&
				     (j < i || m < k); m++)
					if (strcmp(p->nodes[i].default_for.v[k],
						   p->nodes[j].default_for.v[m]) == 0)
						pki__diag(L->d, p->nodes[i].line,
						     p->nodes[i].column,
						     "'%s' is default_for %s "
						     "already at line %u; a "
						     "profile has one default "
						     "CA at most",
						     p->nodes[i].name ?
						     p->nodes[i].name : "?",
						     p->nodes[i].default_for.v[k],
						     p->nodes[j].line);
}

static void
read_key_location(struct loader *L, const struct pki_toml_table *t,
		  struct pki_hier_node *n)
{
	const struct pki_toml_keyval *kv = pki_toml_find(t, "key");
	const char *v;

	n->online = strcmp(n->role, "issuing") == 0;
	if (kv == NULL || (v = get_str(L, t, "key", "key = \"online\"")) == NULL)
		return;
	if (strcmp(v, "online") == 0) {
		n->online = 1;
	} else if (strcmp(v, "offline") == 0) {
		n->online = 0;
	} else if (strncmp(v, "pkcs11:", 7) == 0) {
		n->online = 0;
		dup_str(L, &n->pkcs11_uri, v);
	} else {
		pki__diag(L->d, kv->val.line, kv->val.column,
		     "key = \"%s\" is not a key location; write \"offline\" "
		     "(lockbox, passphrase), \"online\" (lockbox, online.kek) "
		     "or a pkcs11: URI", v);
	}
}

static struct pki_hier_node *
new_node(struct loader *L, const char *role, size_t parent, unsigned line,
	 unsigned col)
{
	struct pki_hier_plan *p = L->plan;
	struct pki_hier_node *nv, *n;

	if (p->n >= MAX_CAS) {
		pki__diag(L->d, line, col, "more than %d CAs in one hierarchy",
		     MAX_CAS);
		return NULL;
	}
	nv = realloc(p->nodes, (p->n + 1) * sizeof(*nv));
	if (nv == NULL) {
		pki__diag(L->d, line, col, "out of memory");
		return NULL;
	}
	p->nodes = nv;
	n = &p->nodes[p->n++];
	memset(n, 0, sizeof(*n));
	n->role = role;
	n->parent = parent;
	n->line = line;
	n->column = col;
	n->tpl.path_len = -1;
	return n;
}

/* The subject fields of a CA table, and its name (common_name unless
 * name is given). */
static void
read_subject(struct loader *L, const struct pki_toml_table *t,
	     struct pki_hier_node *n, const char *where)
{
	const struct pki_toml_keyval *kv;
	const char *s, *cn;

	cn = get_str(L, t, "common_name", "common_name = \"Example Root CA\"");
	if (cn == NULL && pki_toml_find(t, "common_name") == NULL)
		pki__diag(L->d, t->line, t->column, "%s has no common_name; add "
		     "common_name = \"...\"", where);
	dup_str(L, &n->tpl.subject.common_name, cn);
	s = get_str(L, t, "name", "name = \"issuing-1\"");
	dup_str(L, &n->name, s != NULL ? s : cn);
	dup_str(L, &n->tpl.subject.organization,
		get_str(L, t, "organization", "organization = \"Example\""));
	dup_str(L, &n->tpl.subject.organizational_unit,
		get_str(L, t, "organizational_unit", "organizational_unit = \"PKI\""));
	dup_str(L, &n->tpl.subject.state, get_str(L, t, "state", "state = \"Bavaria\""));
	dup_str(L, &n->tpl.subject.locality,
		get_str(L, t, "locality", "locality = \"Munich\""));
	dup_str(L, &n->tpl.subject.email,
		get_str(L, t, "email", "email = \"pki@example.com\""));
	if ((s = get_str(L, t, "country", "country = \"DE\"")) != NULL) {
		kv = pki_toml_find(t, "country");
		if (strlen(s) != 2 || !((s[0] >= 'A' && s[0] <= 'Z') &&
					(s[1] >= 'A' && s[1] <= 'Z')))
			pki__diag(L->d, kv->val.line, kv->val.column, "country = "
			     "\"%s\" is not a two-letter ISO 3166 code in "
			     "capitals (write for example \"DE\")", s);
		else
			dup_str(L, &n->tpl.subject.country, s);
	}
	{
		/* X.520 upper bounds, counted in characters as X.509 does. */
		static const char *const fields[] = {
			"common_name", "organization", "organizational_unit",
			"state", "locality", "email", NULL
		};
		const char *const *fp;

		for (fp = fields; *fp != NULL; fp++) {
			size_t max = pki_subject_field_max(*fp), len;

			kv = pki_toml_find(t, *fp);
			if (kv == NULL || kv->val.type != PKI_TOML_STRING)
				continue;
			len = pki__utf8_chars(kv->val.u.s.ptr);
			if (len > max)
				pki__diag(L->d, kv->val.line, kv->val.column, "%s is "
				     "%zu characters; X.509 allows at most %zu",
				     *fp, len, max);
		}
	}
}

/* validity_years or validity_days, or the role's default. */
static void
read_validity(struct loader *L, const struct pki_toml_table *t,
	      struct pki_hier_node *n)
{
	const struct pki_toml_keyval *ky = pki_toml_find(t, "validity_years");
	const struct pki_toml_keyval *kd = pki_toml_find(t, "validity_days");

	if (ky != NULL && kd != NULL) {
		pki__diag(L->d, kd->line, kd->column, "give either "
		     "validity_years or validity_days, not both");
	} else if (ky != NULL) {
		if (want_type(L, ky, PKI_TOML_INTEGER, "validity_years = 10")) {
			if (ky->val.u.i < 1 || ky->val.u.i > MAX_YEARS)
				pki__diag(L->d, ky->val.line, ky->val.column,
				     "validity_years = %lld is out of "
				     "range; write 1 to %d",
				     (long long)ky->val.u.i, MAX_YEARS);
			else
				n->validity_years = (unsigned)ky->val.u.i;
		}
	} else if (kd != NULL) {
		if (want_type(L, kd, PKI_TOML_INTEGER, "validity_days = 365")) {
			if (kd->val.u.i < 1 || kd->val.u.i > MAX_DAYS)
				pki__diag(L->d, kd->val.line, kd->val.column,
				     "validity_days = %lld is out of "
				     "range; write 1 to %d",
				     (long long)kd->val.u.i, MAX_DAYS);
			else
				n->validity_days = (unsigned)kd->val.u.i;
		}
	} else {
		n->validity_years = default_years(n->role);
	}
}

/* Read one CA table ([root], [[policy_cas]], [[...issuing_cas]]). */
static void
read_ca(struct loader *L, const struct pki_toml_table *t, struct pki_hier_node *n,
	const char *where, const char *const *children)
{
	const struct pki_toml_keyval *kv;
	const char *s;
	size_t i;

	for (i = 0; i < t->n; i++) {
		const char *k = t->items[i].key;

		if (!in_list(k, ca_keys) && !(children && in_list(k, children)))
			unknown_key(L, &t->items[i], where, ca_keys, children);
	}
	read_subject(L, t, n, where);

	s = default_alg(n->role);
	if ((kv = pki_toml_find(t, "algorithm")) != NULL)
		s = get_str(L, t, "algorithm", "algorithm = \"ecdsa-p256\"");
	if (s != NULL) {
		struct pki_error e;

		if (pki_key_alg_from_name(s, &n->alg, &e) != PKI_OK)
			pki__diag(L->d, kv ? kv->val.line : t->line,
			     kv ? kv->val.column : t->column, "%s", e.msg);
	}

	read_validity(L, t, n);

	if ((kv = pki_toml_find(t, "path_len")) != NULL &&
	    want_type(L, kv, PKI_TOML_INTEGER, "path_len = 0")) {
		if (kv->val.u.i < 0 || kv->val.u.i > 16)
			pki__diag(L->d, kv->val.line, kv->val.column, "path_len = "
			     "%lld is out of range; write 0 to 16",
			     (long long)kv->val.u.i);
		else
			n->tpl.path_len = (int)kv->val.u.i;
	}
	if ((kv = pki_toml_find(t, "digital_signature")) != NULL &&
	    want_type(L, kv, PKI_TOML_BOOL, "digital_signature = true"))
		n->tpl.digital_signature = kv->val.u.b;

	read_key_location(L, t, n);
	get_list(L, t, "permitted_dns", &n->tpl.permitted_dns,
		 check_dns_constraint, "a DNS name (e.g. \"example.com\")");
	get_list(L, t, "excluded_dns", &n->tpl.excluded_dns,
		 check_dns_constraint, "a DNS name (e.g. \"example.com\")");
	get_list(L, t, "permitted_ip", &n->tpl.permitted_ip, check_cidr,
		 "a CIDR range with no host bits (e.g. \"10.0.0.0/8\")");
	get_list(L, t, "excluded_ip", &n->tpl.excluded_ip, check_cidr,
		 "a CIDR range with no host bits (e.g. \"10.0.0.0/8\")");
	get_list(L, t, "permitted_email", &n->tpl.permitted_email,
		 check_email_constraint, "a mailbox, host or .domain");
	get_list(L, t, "excluded_email", &n->tpl.excluded_email,
		 check_email_constraint, "a mailbox, host or .domain");
	get_list(L, t, "policy_oids", &n->tpl.policy_oids, check_oid,
		 "a dotted OID (e.g. \"1.3.6.1.4.1.99999.1\")");
	read_urls(L, t, n);
	read_crl_lifetimes(L, t, n);
	read_default_for(L, t, n);
}

/* Read an array of CA tables under key `key` of table t. */
static void read_children(struct loader *L, const struct pki_toml_table *t,
			  const char *key, const char *role, size_t parent,
			  const char *where);

static void
read_ca_array(struct loader *L, const struct pki_toml_keyval *kv,
	      const char *role, size_t parent, const char *where)
{
	static const char *const policy_children[] = { "issuing_cas", NULL };
	size_t i;

	if (!want_type(L, kv, PKI_TOML_ARRAY, "[[...]] tables"))
		return;
	for (i = 0; i < kv->val.u.arr->n; i++) {
		const struct pki_toml_value *v = &kv->val.u.arr->items[i];
		struct pki_hier_node *n;
		size_t idx;
		char label[96];

		if (v->type != PKI_TOML_TABLE) {
			pki__diag(L->d, v->line, v->column, "%s must hold tables "
			     "([[%s]]), not %s", kv->key, kv->key,
			     pki_toml_type_name(v->type));
			continue;
		}
		snprintf(label, sizeof(label), "[[%s%s]] #%zu", where, kv->key,
			 i + 1);
		if ((n = new_node(L, role, parent, v->u.tab->line,
				  v->u.tab->column)) == NULL)
			return;
		idx = (size_t)(n - L->plan->nodes);
		read_ca(L, v->u.tab, n, label,
			strcmp(role, "policy") == 0 ? policy_children : NULL);
		if (strcmp(role, "policy") == 0)
			read_children(L, v->u.tab, "issuing_cas", "issuing", idx,
				      "policy_cas.");
		/* n may have moved (realloc); nothing uses it after here. */
	}
}

static void
read_children(struct loader *L, const struct pki_toml_table *t,
	      const char *key, const char *role, size_t parent,
	      const char *where)
{
	const struct pki_toml_keyval *kv = pki_toml_find(t, key);

	if (kv != NULL)
		read_ca_array(L, kv, role, parent, where);
}

static void
read_external(struct loader *L, const struct pki_toml_keyval *kv)
{
	const struct pki_toml_table *t;
	const char *s;
	size_t i;

	if (!want_type(L, kv, PKI_TOML_TABLE, "[external]"))
		return;
	t = kv->val.u.tab;
	for (i = 0; i < t->n; i++)
		if (!in_list(t->items[i].key, external_keys))
			unknown_key(L, &t->items[i], "[external]", external_keys,
				    NULL);
	s = get_str(L, t, "name", "name = \"Corporate Root CA\"");
	if (s == NULL && pki_toml_find(t, "name") == NULL)
		pki__diag(L->d, t->line, t->column, "[external] has no name; add "
		     "name = \"...\" naming the CA that will sign");
	dup_str(L, &L->plan->external_name, s);
	dup_str(L, &L->plan->external_cert,
		get_str(L, t, "certificate", "certificate = \"corp-root.pem\""));
}

static void
read_import(struct loader *L, const struct pki_toml_keyval *kv)
{
	const struct pki_toml_table *t;
	struct pki_hier_node *n;
	const char *s;
	size_t i;

	if (!want_type(L, kv, PKI_TOML_TABLE, "[import]"))
		return;
	t = kv->val.u.tab;
	for (i = 0; i < t->n; i++)
		if (!in_list(t->items[i].key, import_keys))
			unknown_key(L, &t->items[i], "[import]", import_keys, NULL);
	if ((n = new_node(L, "issuing", PKI_HIER_NONE, t->line, t->column)) == NULL)
		return;
	n->imported = 1;
	s = get_str(L, t, "name", "name = \"Imported CA\"");
	if (s == NULL && pki_toml_find(t, "name") == NULL)
		pki__diag(L->d, t->line, t->column, "[import] has no name; add "
		     "name = \"...\"");
	dup_str(L, &n->name, s);
	s = get_str(L, t, "pkcs12", "pkcs12 = \"ca.p12\"");
	if (s == NULL && pki_toml_find(t, "pkcs12") == NULL)
		pki__diag(L->d, t->line, t->column, "[import] has no pkcs12; add "
		     "pkcs12 = \"path/to/ca.p12\"");
	dup_str(L, &L->plan->import_pkcs12, s);
	read_key_location(L, t, n);
	if (n->pkcs11_uri != NULL)
		pki__diag(L->d, t->line, t->column, "[import] keys go into the "
		     "lockbox; key must be \"online\" or \"offline\"");
	read_urls(L, t, n);
}

/* Number of CA levels below node i (0 for a leaf CA). */
unsigned
pki__hier_depth_below(const struct pki_hier_plan *p, size_t i)
{
	unsigned best = 0, d;
	size_t j;

	for (j = i + 1; j < p->n; j++)
		if (p->nodes[j].parent == i &&
		    (d = pki__hier_depth_below(p, j) + 1) > best)
			best = d;
	return best;
}

/* Canonical JSON of a node's definition (no dates), and its hash. */
json_t *
pki__hier_strlist_json(const struct pki_strlist *l)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; a != NULL && i < l->n; i++)
		json_array_append_new(a, json_string(l->v[i]));
	return a;
}

static void
set_opt(json_t *o, const char *k, const char *v)
{
	if (v != NULL)
		json_object_set_new(o, k, json_string(v));
}

int
pki__hier_node_spec(const struct pki_hier_plan *p, struct pki_hier_node *n)
{
	json_t *o = json_object();
	const struct pki_subject *s = &n->tpl.subject;
	struct sha256_ctx h;
	unsigned char dig[SHA256_DIGEST_SIZE];
	char parent[600];

	if (o == NULL)
		return -1;
	if (n->imported)
		snprintf(parent, sizeof(parent), "import:%s",
			 p->import_pkcs12 ? p->import_pkcs12 : "");
	else if (n->external_parent)
		snprintf(parent, sizeof(parent), "external:%s",
			 p->external_name ? p->external_name : "");
	else if (n->parent == PKI_HIER_NONE)
		snprintf(parent, sizeof(parent), "self");
	else
		snprintf(parent, sizeof(parent), "%s", p->nodes[n->parent].name);
	json_object_set_new(o, "name", json_string(n->name));
	json_object_set_new(o, "role", json_string(n->role));
	json_object_set_new(o, "parent", json_string(parent));
	if (n->pkcs11_uri != NULL) {
		/* a PIN is neither stored nor part of the definition */
		char *red = pki_key_uri_redact(n->pkcs11_uri);

		json_object_set_new(o, "key", json_string(red ? red : "pkcs11:"));
		free(red);
	} else {
		json_object_set_new(o, "key", json_string(n->online ? "online" :
							   "offline"));
	}
	if (!n->imported) {
		json_object_set_new(o, "algorithm",
				    json_string(pki_key_alg_name(n->alg)));
		if (n->validity_years)
			json_object_set_new(o, "validity_years",
					    json_integer(n->validity_years));
		else
			json_object_set_new(o, "validity_days",
					    json_integer(n->validity_days));
		set_opt(o, "common_name", s->common_name);
		set_opt(o, "organization", s->organization);
		set_opt(o, "organizational_unit", s->organizational_unit);
		set_opt(o, "country", s->country);
		set_opt(o, "state", s->state);
		set_opt(o, "locality", s->locality);
		set_opt(o, "email", s->email);
		json_object_set_new(o, "path_len", json_integer(n->tpl.path_len));
		json_object_set_new(o, "digital_signature",
				    json_boolean(n->tpl.digital_signature));
		json_object_set_new(o, "permitted_dns",
				    pki__hier_strlist_json(&n->tpl.permitted_dns));
		json_object_set_new(o, "excluded_dns",
				    pki__hier_strlist_json(&n->tpl.excluded_dns));
		json_object_set_new(o, "permitted_ip",
				    pki__hier_strlist_json(&n->tpl.permitted_ip));
		json_object_set_new(o, "excluded_ip",
				    pki__hier_strlist_json(&n->tpl.excluded_ip));
		json_object_set_new(o, "permitted_email",
				    pki__hier_strlist_json(&n->tpl.permitted_email));
		json_object_set_new(o, "excluded_email",
				    pki__hier_strlist_json(&n->tpl.excluded_email));
		json_object_set_new(o, "policy_oids",
				    pki__hier_strlist_json(&n->tpl.policy_oids));
	}
	json_object_set_new(o, "crl_urls",
			    pki__hier_strlist_json(&n->crl_urls));
	json_object_set_new(o, "delta_crl_urls",
			    pki__hier_strlist_json(&n->delta_crl_urls));
	json_object_set_new(o, "ocsp_urls",
			    pki__hier_strlist_json(&n->ocsp_urls));
	json_object_set_new(o, "ca_issuers_urls",
			    pki__hier_strlist_json(&n->ca_issuers_urls));
	/* only when set: the definitions of CAs built before crl_shards
	 * existed keep their hash */
	if (n->crl_shards > 0)
		json_object_set_new(o, "crl_shards",
				    json_integer(n->crl_shards));
	n->spec_json = json_dumps(o, JSON_SORT_KEYS | JSON_COMPACT);
	json_decref(o);
	if (n->spec_json == NULL)
		return -1;
	sha256_init(&h);
	sha256_update(&h, strlen(n->spec_json), (const uint8_t *)n->spec_json);
	sha256_digest(&h, sizeof(dig), dig);
	pki__hex(dig, sizeof(dig), n->spec_hash);
	return 0;
}

/*
 * GnuTLS (3.7) checks the common name of every certificate below a CA
 * with permitted DNS name constraints as if it were a DNS name, CAs
 * included, so a CA named "Issuing CA" under such a CA fails to verify
 * there.  Say so before anything is built.
 */
static void
check_cn_constraints(struct loader *L, size_t i)
{
	const struct pki_hier_plan *p = L->plan;
	const struct pki_hier_node *n = &p->nodes[i], *a;
	const char *cn = n->tpl.subject.common_name;
	size_t j, k;

	if (cn == NULL)
		return;
	for (j = n->parent; j != PKI_HIER_NONE; j = p->nodes[j].parent) {
		a = &p->nodes[j];
		if (a->tpl.permitted_dns.n == 0)
			continue;
		for (k = 0; k < a->tpl.permitted_dns.n; k++)
			if (pki_name_dns_within(cn, a->tpl.permitted_dns.v[k]))
				break;
		if (k == a->tpl.permitted_dns.n)
			pki__diag(L->d, n->line, n->column, "'%s' sits below '%s', "
			     "whose permitted_dns allows only names under %s%s; "
			     "GnuTLS checks a CA's common name against them, "
			     "so the chain would not verify there: move "
			     "permitted_dns down to the issuing CA, or give "
			     "'%s' a common_name such as \"ca.%s\"", n->name,
			     a->name, a->tpl.permitted_dns.v[0],
			     a->tpl.permitted_dns.n > 1 ? " (and others)" : "",
			     n->name, a->tpl.permitted_dns.v[0]);
	}
}

/*
 * 1 if two CA names would share a file under <state>/ca/: the same slug,
 * or one's slug is the other's plus a suffix spork adds to a CA's file
 * names ("-chain.pem", "-delta.crl").
 */
int
pki__hier_files_collide(const char *a, const char *b)
{
	char *sa = pki_state_slug(a), *sb = pki_state_slug(b);
	int hit = 0, k;

	if (sa == NULL || sb == NULL) {
		free(sa);
		free(sb);
		return 0;
	}
	for (k = 0; k < 2 && !hit; k++) {
		const char *x = k ? sb : sa, *y = k ? sa : sb;
		size_t lx = strlen(x);

		hit = strcmp(x, y) == 0 ||
		      (strncmp(y, x, lx) == 0 && (strcmp(y + lx, "-chain") == 0 ||
						  strcmp(y + lx, "-delta") == 0));
	}
	free(sa);
	free(sb);
	return hit;
}

/* 1 if CA b's files would land on the shard CRL files of CA a
 * (<slug>-<n>.crl, n in 1..shards). */
static int
shard_files_collide(const char *a, unsigned shards, const char *b)
{
	char *sa = pki_state_slug(a), *sb = pki_state_slug(b);
	size_t la = sa ? strlen(sa) : 0;
	int hit = 0;

	if (shards > 0 && sa != NULL && sb != NULL &&
	    strncmp(sb, sa, la) == 0 && sb[la] == '-' &&
	    strspn(sb + la + 1, "0123456789") == strlen(sb + la + 1) &&
	    sb[la + 1] != '\0' && strlen(sb + la + 1) < 4 &&
	    (unsigned)atoi(sb + la + 1) >= 1 &&
	    (unsigned)atoi(sb + la + 1) <= shards)
		hit = 1;
	free(sa);
	free(sb);
	return hit;
}

/* Checks that need the whole tree. */
static void
check_tree(struct loader *L, int64_t now)
{
	struct pki_hier_plan *p = L->plan;
	size_t i, j;

	for (i = 0; i < p->n; i++) {
		struct pki_hier_node *n = &p->nodes[i];
		unsigned below = pki__hier_depth_below(p, i);

		if (n->name == NULL)
			continue;
		for (j = 0; j < i; j++) {
			if (p->nodes[j].name == NULL)
				continue;
			if (strcasecmp(p->nodes[j].name, n->name) == 0)
				pki__diag(L->d, n->line, n->column, "duplicate CA "
				     "name '%s' (first defined at line %u); "
				     "give one of them name = \"...\"",
				     n->name, p->nodes[j].line);
			else if (pki__hier_files_collide(p->nodes[j].name,
							 n->name))
				pki__diag(L->d, n->line, n->column, "CA names '%s' "
				     "and '%s' (line %u) would share files "
				     "under ca/; give one of them another "
				     "name = \"...\"", n->name,
				     p->nodes[j].name, p->nodes[j].line);
			else if (shard_files_collide(p->nodes[j].name,
						     p->nodes[j].crl_shards,
						     n->name) ||
				 shard_files_collide(n->name, n->crl_shards,
						     p->nodes[j].name))
				pki__diag(L->d, n->line, n->column, "CA names '%s' "
				     "and '%s' (line %u) would share files "
				     "under ca/ (a CRL shard's); give one of "
				     "them another name = \"...\"", n->name,
				     p->nodes[j].name, p->nodes[j].line);
		}
		if (!n->imported) {
			/* pathLenConstraint counts the CA certificates that
			 * may follow this one in a path: one per level below. */
			if (n->tpl.path_len < 0) {
				n->tpl.path_len = (int)below;
			} else if ((unsigned)n->tpl.path_len < below) {
				pki__diag(L->d, n->line, n->column, "path_len = %d "
				     "on '%s' cannot hold the %u level%s of CA "
				     "below it; write path_len = %u or more",
				     n->tpl.path_len, n->name, below,
				     below == 1 ? "" : "s", below);
			}
		}
		if (n->parent != PKI_HIER_NONE) {
			const struct pki_hier_node *pa = &p->nodes[n->parent];

			check_cn_constraints(L, i);
			if (!pa->imported &&
			    pki__hier_node_not_after(pa, now) > now &&
			    pki__hier_node_not_after(n, now) >
			    pki__hier_node_not_after(pa, now))
				pki__diag(L->d, n->line, n->column, "'%s' would "
				     "outlive its parent '%s' (%u %s vs %u %s); "
				     "shorten its validity or lengthen the "
				     "parent's", n->name, pa->name,
				     n->validity_years ? n->validity_years : n->validity_days,
				     n->validity_years ? "years" : "days",
				     pa->validity_years ? pa->validity_years : pa->validity_days,
				     pa->validity_years ? "years" : "days");
		}
		if (n->tpl.permitted_dns.n + n->tpl.excluded_dns.n +
		    n->tpl.permitted_ip.n + n->tpl.excluded_ip.n +
		    n->tpl.permitted_email.n + n->tpl.excluded_email.n > 0 &&
		    strcmp(n->role, "root") == 0)
			pki__diag(L->d, n->line, n->column, "name constraints on a "
			     "root are not enforced by relying parties (RFC "
			     "5280 6.1); put them on the policy or issuing CA");
	}
}

int
pki_hier_load(const char *path, int64_t now, struct pki_hier_plan **out,
	      struct pki_diags *d, struct pki_error *err)
{
	struct pki_toml_table *doc = NULL;
	struct pki_hier_plan *plan = NULL;
	struct loader L;
	struct pki_error e;
	const struct pki_toml_keyval *root, *ext, *imp;
	static const char *const top_keys[] = {
		"root", "external", "import", "policy_cas", "issuing_cas", NULL
	};
	int rc = PKI_E_NOMEM, tops;
	size_t i, top = PKI_HIER_NONE;
	const char *slash;

	*out = NULL;
	pki_error_clear(&e);
	rc = pki_toml_parse_file(path, &doc, &e);
	if (rc != PKI_OK) {
		pki__diag(d, e.line, e.column, "%s", e.msg);
		rc = pki_error_at(err, rc, e.line, e.column, "%s", e.msg);
		goto out;
	}
	if ((plan = calloc(1, sizeof(*plan))) == NULL ||
	    (plan->path = strdup(path)) == NULL) {
		rc = pki_error_set(err, PKI_E_NOMEM, "out of memory");
		goto out;
	}
	slash = strrchr(path, '/');
	plan->basedir = slash ? strndup(path, (size_t)(slash - path + (slash == path)))
			      : strdup(".");
	if (plan->basedir == NULL) {
		rc = pki_error_set(err, PKI_E_NOMEM, "out of memory");
		goto out;
	}
	L.d = d;
	L.plan = plan;

	for (i = 0; i < doc->n; i++)
		if (!in_list(doc->items[i].key, top_keys))
			unknown_key(&L, &doc->items[i], "the top level",
				    top_keys, NULL);
	root = pki_toml_find(doc, "root");
	ext = pki_toml_find(doc, "external");
	imp = pki_toml_find(doc, "import");
	tops = (root != NULL) + (ext != NULL) + (imp != NULL);
	if (tops == 0) {
		pki__diag(d, 1, 1, "no [root], [external] or [import] table: a "
		     "hierarchy needs a top (see hierarchy.toml(5))");
	} else if (tops > 1) {
		const struct pki_toml_keyval *second = root && ext ? ext :
						       imp ? imp : ext;
		pki__diag(d, second->line, second->column, "[root], [external] and "
		     "[import] are alternatives; keep exactly one");
	}
	if (root != NULL && tops == 1) {
		struct pki_hier_node *n;

		plan->mode = PKI_HIER_LOCAL;
		if (want_type(&L, root, PKI_TOML_TABLE, "[root]") &&
		    (n = new_node(&L, "root", PKI_HIER_NONE, root->val.u.tab->line,
				  root->val.u.tab->column)) != NULL) {
			read_ca(&L, root->val.u.tab, n, "[root]", NULL);
			top = 0;
		}
		if (top == PKI_HIER_NONE) {
			/* keep going to report the children's problems */
		}
	} else if (ext != NULL && tops == 1) {
		plan->mode = PKI_HIER_SUBORDINATE;
		read_external(&L, ext);
	} else if (imp != NULL && tops == 1) {
		plan->mode = PKI_HIER_IMPORT;
		read_import(&L, imp);
		if (plan->n == 1)
			top = 0;
	}
	{
		size_t first = plan->n;
		const struct pki_toml_keyval *pc = pki_toml_find(doc, "policy_cas");
		const struct pki_toml_keyval *ic = pki_toml_find(doc, "issuing_cas");

		if (pc != NULL)
			read_ca_array(&L, pc, "policy", top, "");
		if (ic != NULL)
			read_ca_array(&L, ic, "issuing", top, "");
		if (plan->mode == PKI_HIER_SUBORDINATE)
			for (i = first; i < plan->n; i++)
				if (plan->nodes[i].parent == PKI_HIER_NONE)
					plan->nodes[i].external_parent = 1;
		if (plan->mode == PKI_HIER_SUBORDINATE && pc == NULL && ic == NULL)
			pki__diag(d, ext->line, ext->column, "[external] has no CA "
			     "below it; add [[issuing_cas]] (or "
			     "[[policy_cas]]) for the CA it will sign");
		if (plan->mode == PKI_HIER_IMPORT && pc != NULL)
			pki__diag(d, pc->line, pc->column, "an imported CA takes "
			     "[[issuing_cas]] below it, not [[policy_cas]]");
	}
	check_tree(&L, now != 0 ? now : (int64_t)time(NULL));
	check_defaults(&L);
	for (i = 0; i < plan->n; i++)
		if (plan->nodes[i].name != NULL && pki__hier_node_spec(plan, &plan->nodes[i]) != 0)
			pki__diag(d, 0, 0, "out of memory");
	if (d->n > 0) {
		rc = pki_error_set(err, PKI_E_INVALID, "%s: %zu problem%s found",
				   path, pki_diags_count(d),
				   pki_diags_count(d) == 1 ? "" : "s");
		goto out;
	}
	*out = plan;
	plan = NULL;
	rc = PKI_OK;
out:
	pki_toml_free(doc);
	pki_hier_free(plan);
	return rc;
}
