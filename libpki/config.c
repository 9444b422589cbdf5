/* config: spork.toml, checked with file:line diagnostics (spork.toml(5)). */
#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <spork/config.h>
#include "lockbox.h"
#include <spork/toml.h>
#include "util.h"

static const char *const top_keys[] = { "state_dir", "keys", "crl", "http",
					 "ocsp", "tls", NULL };
static const char *const keys_keys[] = {
	"pkcs11_module", "argon2_memory_kib", "argon2_passes", "argon2_lanes",
	NULL
};
static const char *const crl_keys[] = { "next_update", "delta_next_update",
					NULL };

static const char *const http_keys[] = { "max_requests", "idle_timeout",
					  "total_timeout", "max_body_kib",
					  "trusted_proxies", NULL };
static const char *const ocsp_keys[] = { "next_update", NULL };
static const char *const tls_keys[] = { "client_certificates", "client_ca",
					 NULL };
static const char *const client_certs_names[] = { "none", "request",
						   "require", NULL };

/* Every key of t must be in allowed; report the others. */
static void
check_keys(struct pki_diags *d, const struct pki_toml_table *t,
	   const char *where, const char *const *allowed)
{
	const char *const *p;
	const char *best;
	size_t i;

	for (i = 0; i < t->n; i++) {
		for (p = allowed; *p != NULL; p++)
			if (strcmp(t->items[i].key, *p) == 0)
				break;
		if (*p != NULL)
			continue;
		best = pki_diag_closest(t->items[i].key, allowed);
		if (best != NULL)
			pki__diag(d, t->items[i].line, t->items[i].column,
				  "unknown key '%s' in %s; did you mean '%s'?",
				  t->items[i].key, where, best);
		else
			pki__diag(d, t->items[i].line, t->items[i].column,
				  "unknown key '%s' in %s; see spork.toml(5)",
				  t->items[i].key, where);
	}
}

/* A string without NUL, copied into *out; NULL kv leaves *out alone. */
static void
get_string(struct pki_diags *d, const struct pki_toml_keyval *kv,
	   const char *example, char **out)
{
	if (kv == NULL)
		return;
	if (kv->val.type != PKI_TOML_STRING) {
		pki__diag(d, kv->val.line, kv->val.column, "%s must be a string, "
			  "not %s (write for example %s = %s)", kv->key,
			  pki_toml_type_name(kv->val.type), kv->key, example);
		return;
	}
	if (kv->val.u.s.len != strlen(kv->val.u.s.ptr) ||
	    kv->val.u.s.len == 0) {
		pki__diag(d, kv->val.line, kv->val.column, "%s must not be "
			  "empty or hold a NUL character", kv->key);
		return;
	}
	free(*out);
	if ((*out = strdup(kv->val.u.s.ptr)) == NULL)
		pki__diag(d, kv->val.line, kv->val.column, "out of memory");
}

/* An absolute path. */
static void
get_path(struct pki_diags *d, const struct pki_toml_keyval *kv,
	 const char *example, char **out)
{
	char *s = NULL;

	get_string(d, kv, example, &s);
	if (s == NULL)
		return;
	if (s[0] != '/') {
		pki__diag(d, kv->val.line, kv->val.column, "%s must be an "
			  "absolute path (write for example %s = %s)", kv->key,
			  kv->key, example);
		free(s);
		return;
	}
	free(*out);
	*out = s;
}

static void
get_u32(struct pki_diags *d, const struct pki_toml_keyval *kv, uint32_t min,
	uint32_t max, uint32_t *out)
{
	if (kv == NULL)
		return;
	if (kv->val.type != PKI_TOML_INTEGER) {
		pki__diag(d, kv->val.line, kv->val.column, "%s must be an "
			  "integer, not %s", kv->key,
			  pki_toml_type_name(kv->val.type));
		return;
	}
	if (kv->val.u.i < (int64_t)min || kv->val.u.i > (int64_t)max) {
		pki__diag(d, kv->val.line, kv->val.column, "%s must be between "
			  "%u and %u, not %lld", kv->key, min, max,
			  (long long)kv->val.u.i);
		return;
	}
	*out = (uint32_t)kv->val.u.i;
}

static void
get_duration(struct pki_diags *d, const struct pki_toml_keyval *kv,
	     int64_t *out)
{
	struct pki_error e;
	int64_t v;

	if (kv == NULL)
		return;
	if (kv->val.type != PKI_TOML_STRING) {
		pki__diag(d, kv->val.line, kv->val.column, "%s must be a "
			  "duration string such as \"7d\" or \"12h\", not %s",
			  kv->key, pki_toml_type_name(kv->val.type));
		return;
	}
	pki_error_clear(&e);
	if (pki_duration_parse(kv->val.u.s.ptr, &v, &e) != PKI_OK) {
		pki__diag(d, kv->val.line, kv->val.column, "%s: %s", kv->key,
			  e.msg);
		return;
	}
	if (v <= 0) {
		pki__diag(d, kv->val.line, kv->val.column, "%s must be longer "
			  "than zero", kv->key);
		return;
	}
	*out = v;
}

/* trusted_proxies: an array of addresses and CIDR ranges. */
static void
get_proxies(struct pki_diags *d, const struct pki_toml_keyval *kv,
	    struct pki_config *c)
{
	const struct pki_toml_array *a;
	const struct pki_toml_value *v;
	struct pki_error e;
	size_t i;

	if (kv == NULL)
		return;
	if (kv->val.type != PKI_TOML_ARRAY) {
		pki__diag(d, kv->val.line, kv->val.column, "%s must be an array "
			  "of addresses and CIDR ranges, not %s (write for "
			  "example %s = [\"127.0.0.1\", \"10.0.0.0/8\"])",
			  kv->key, pki_toml_type_name(kv->val.type), kv->key);
		return;
	}
	a = kv->val.u.arr;
	if (a->n > PKI_CONFIG_PROXIES_MAX) {
		pki__diag(d, kv->val.line, kv->val.column, "%s: at most %d "
			  "entries, not %zu (write ranges in CIDR form)",
			  kv->key, PKI_CONFIG_PROXIES_MAX, a->n);
		return;
	}
	free(c->http_trusted_proxies);
	c->http_ntrusted_proxies = 0;
	if (a->n == 0 ||
	    (c->http_trusted_proxies = calloc(a->n, sizeof(struct
							 pki_name_cidr)))
	    == NULL) {
		if (a->n > 0)
			pki__diag(d, kv->val.line, kv->val.column,
				  "out of memory");
		return;
	}
	for (i = 0; i < a->n; i++) {
		v = &a->items[i];
		pki_error_clear(&e);
		if (v->type != PKI_TOML_STRING ||
		    v->u.s.len != strlen(v->u.s.ptr)) {
			pki__diag(d, v->line, v->column, "%s: each entry must "
				  "be a string such as \"10.0.0.0/8\", not %s",
				  kv->key, pki_toml_type_name(v->type));
			continue;
		}
		if (pki_name_cidr_parse(v->u.s.ptr, PKI_NAME_CIDR_BARE,
					&c->http_trusted_proxies[
						c->http_ntrusted_proxies],
					&e) != PKI_OK) {
			pki__diag(d, v->line, v->column, "%s: %s", kv->key,
				  e.msg);
			continue;
		}
		c->http_ntrusted_proxies++;
	}
}

/* One of names (NULL-terminated), as its index into *out. */
static void
get_choice(struct pki_diags *d, const struct pki_toml_keyval *kv,
	   const char *const *names, unsigned *out)
{
	unsigned i;

	if (kv == NULL)
		return;
	if (kv->val.type == PKI_TOML_STRING)
		for (i = 0; names[i] != NULL; i++)
			if (strcmp(kv->val.u.s.ptr, names[i]) == 0) {
				*out = i;
				return;
			}
	pki__diag(d, kv->val.line, kv->val.column, "%s must be one of \"%s\", "
		  "\"%s\" or \"%s\"", kv->key, names[0], names[1], names[2]);
}

static void
read_tls(struct pki_diags *d, const struct pki_toml_table *t,
	 struct pki_config *c)
{
	const struct pki_toml_keyval *mode = pki_toml_find(t, "client_certificates");
	unsigned m = PKI_CLIENT_CERTS_NONE;

	check_keys(d, t, "[tls]", tls_keys);
	get_choice(d, mode, client_certs_names, &m);
	c->tls_client_certs = (enum pki_client_certs)m;
	get_string(d, pki_toml_find(t, "client_ca"),
		   "\"Example Issuing CA\"", &c->tls_client_ca);
	if (c->tls_client_certs != PKI_CLIENT_CERTS_NONE &&
	    c->tls_client_ca == NULL && pki_toml_find(t, "client_ca") == NULL)
		pki__diag(d, mode->val.line, mode->val.column, "client_"
			  "certificates = \"%s\" needs client_ca: the name of a "
			  "spork CA whose certificates are accepted, or the "
			  "absolute path of a PEM file of CA certificates",
			  client_certs_names[m]);
}

/* A sub-table [name] of the root, or NULL (reported when not a table). */
static const struct pki_toml_table *
section(struct pki_diags *d, const struct pki_toml_table *root,
	const char *name)
{
	const struct pki_toml_keyval *kv = pki_toml_find(root, name);

	if (kv == NULL)
		return NULL;
	if (kv->val.type != PKI_TOML_TABLE) {
		pki__diag(d, kv->val.line, kv->val.column, "%s must be a table "
			  "([%s]), not %s", name, name,
			  pki_toml_type_name(kv->val.type));
		return NULL;
	}
	return kv->val.u.tab;
}

static void
read_config(struct pki_diags *d, const struct pki_toml_table *root,
	    struct pki_config *c)
{
	const struct pki_toml_table *t;

	check_keys(d, root, "the top level", top_keys);
	get_path(d, pki_toml_find(root, "state_dir"), "\"/var/lib/spork\"",
		 &c->state_dir);
	if ((t = section(d, root, "keys")) != NULL) {
		check_keys(d, t, "[keys]", keys_keys);
		get_path(d, pki_toml_find(t, "pkcs11_module"),
			 "\"/usr/lib/softhsm/libsofthsm2.so\"",
			 &c->pkcs11_module);
		get_u32(d, pki_toml_find(t, "argon2_memory_kib"),
			PKI_ARGON2_MIN_KIB, PKI_ARGON2_MAX_KIB,
			&c->argon2_memory_kib);
		get_u32(d, pki_toml_find(t, "argon2_passes"),
			PKI_ARGON2_MIN_PASSES,
			PKI_ARGON2_MAX_PASSES, &c->argon2_passes);
		get_u32(d, pki_toml_find(t, "argon2_lanes"), 1,
			PKI_ARGON2_MAX_LANES, &c->argon2_lanes);
	}
	if ((t = section(d, root, "crl")) != NULL) {
		check_keys(d, t, "[crl]", crl_keys);
		get_duration(d, pki_toml_find(t, "next_update"),
			     &c->crl_next_update);
		get_duration(d, pki_toml_find(t, "delta_next_update"),
			     &c->crl_delta_next_update);
	}
	if ((t = section(d, root, "http")) != NULL) {
		check_keys(d, t, "[http]", http_keys);
		get_u32(d, pki_toml_find(t, "max_requests"), 1, 10000,
			&c->http_max_requests);
		get_duration(d, pki_toml_find(t, "idle_timeout"),
			     &c->http_idle_timeout);
		get_duration(d, pki_toml_find(t, "total_timeout"),
			     &c->http_total_timeout);
		get_u32(d, pki_toml_find(t, "max_body_kib"), 1, 65536,
			&c->http_max_body_kib);
		get_proxies(d, pki_toml_find(t, "trusted_proxies"), c);
	}
	if ((t = section(d, root, "ocsp")) != NULL) {
		check_keys(d, t, "[ocsp]", ocsp_keys);
		get_duration(d, pki_toml_find(t, "next_update"),
			     &c->ocsp_next_update);
	}
	if ((t = section(d, root, "tls")) != NULL)
		read_tls(d, t, c);
}

struct pki_config *
pki_config_default(void)
{
	return calloc(1, sizeof(struct pki_config));
}

void
pki_config_free(struct pki_config *c)
{
	if (c == NULL)
		return;
	free(c->path);
	free(c->state_dir);
	free(c->pkcs11_module);
	free(c->http_trusted_proxies);
	free(c->tls_client_ca);
	free(c);
}

int
pki_config_load(const char *path, struct pki_config **out,
		struct pki_diags *diags, struct pki_error *err)
{
	struct pki_toml_table *root = NULL;
	struct pki_config *c = NULL;
	size_t before = pki_diags_count(diags);
	int rc;

	*out = NULL;
	if ((rc = pki_toml_parse_file(path, &root, err)) != PKI_OK)
		goto out;
	rc = PKI_E_NOMEM;
	if ((c = pki_config_default()) == NULL ||
	    (c->path = strdup(path)) == NULL) {
		pki_error_set(err, rc, "out of memory reading %s", path);
		goto out;
	}
	read_config(diags, root, c);
	if (pki_diags_count(diags) > before) {
		size_t n = pki_diags_count(diags) - before;

		rc = pki_error_set(err, PKI_E_INVALID, "%s: %zu problem%s",
				   path, n, n == 1 ? "" : "s");
		goto out;
	}
	*out = c;
	c = NULL;
	rc = PKI_OK;
out:
	pki_config_free(c);
	pki_toml_free(root);
	return rc;
}

int
pki_duration_parse(const char *s, int64_t *seconds, struct pki_error *err)
{
	char *end;
	long long v;
	int64_t mul = 86400;

	errno = 0;
	if (s == NULL || *s < '0' || *s > '9')
		goto bad;
	v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || v < 0)
		goto bad;
	if (*end != '\0') {
		switch (*end) {
		case 'w': mul = 7 * 86400; break;
		case 'd': mul = 86400; break;
		case 'h': mul = 3600; break;
		case 'm': mul = 60; break;
		case 's': mul = 1; break;
		default: goto bad;
		}
		if (end[1] != '\0')
			goto bad;
	}
	if (v > INT64_MAX / mul)
		goto bad;
	*seconds = (int64_t)v * mul;
	return PKI_OK;
bad:
	return pki_error_set(err, PKI_E_INVALID, "'%s' is not a duration: "
			     "write a number and one unit, w (weeks), d (days), "
			     "h (hours), m (minutes) or s (seconds), as in 90d "
			     "or 12h; a bare number counts days",
			     s == NULL ? "" : s);
}
