/*
 * hierarchy-roles: what a build records beside the CAs (the default CA
 * of each profile, CRL lifetimes) and issuing CA rollover
 * (pki_hier_rotate).  See hierarchy.h and hierarchy.toml(5).
 *
 * A rotation is not written into hierarchy.toml: the successor is a CA
 * of the store that the file does not name, which a build leaves alone
 * (as it leaves any CA of another file), and a build moves the defaults
 * of a rotated node's default_for along ca_rotations to its newest
 * successor rather than back.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include <spork/hierarchy.h>
#include <spork/state.h>
#include "store-write.h"
#include "hierarchy-int.h"
#include "util.h"

/* The newest successor of CA id along rot (id itself when none). */
static int64_t
newest(const struct pki_ca_rotation *rot, size_t n, int64_t id)
{
	size_t i, hops;

	for (hops = 0; hops <= n; hops++) {
		for (i = 0; i < n; i++)
			if (rot[i].old_id == id)
				break;
		if (i == n)
			break;
		id = rot[i].new_id;
	}
	return id;
}

/* Make ca_id the default of profile unless it is already (v: the
 * current defaults); audited. */
static int
set_default(struct pki_store *st, const struct pki_ca_default *v, size_t n,
	    const char *profile, int64_t ca_id, struct pki_error *err)
{
	struct pki_ca_record r;
	char *detail = NULL;
	json_t *o = NULL;
	size_t i;
	int rc;

	for (i = 0; i < n; i++)
		if (strcmp(v[i].profile, profile) == 0 && v[i].ca_id == ca_id)
			return PKI_OK;
	memset(&r, 0, sizeof(r));
	if ((rc = pki_store_ca_get_id(st, ca_id, &r, err)) != PKI_OK)
		return rc;
	if ((rc = pki_store_ca_default_set(st, profile, ca_id, err)) != PKI_OK)
		goto out;
	if ((o = json_pack("{s:s}", "ca", r.name)) == NULL ||
	    (detail = json_dumps(o, JSON_SORT_KEYS | JSON_COMPACT)) == NULL) {
		rc = pki_error_set(err, PKI_E_NOMEM, "out of memory");
		goto out;
	}
	rc = pki_store_audit(st, NULL, "pki.default", profile, detail, err);
out:
	json_decref(o);
	free(detail);
	pki_ca_record_clear(&r);
	return rc;
}

int
pki__hier_apply_roles(struct pki__hier_builder *B, struct pki_error *err)
{
	const struct pki_hier_plan *p = B->plan;
	struct pki_ca_rotation *rot = NULL;
	struct pki_ca_default *def = NULL;
	size_t nrot = 0, ndef = 0, i, k;
	int rc, in_tx = 0;

	if ((rc = pki_store_ca_rotations(B->st, &rot, &nrot, err)) != PKI_OK ||
	    (rc = pki_store_ca_defaults(B->st, &def, &ndef, err)) != PKI_OK ||
	    (rc = pki_store_begin(B->st, err)) != PKI_OK)
		goto out;
	in_tx = 1;
	for (i = 0; i < p->n; i++) {
		const struct pki_hier_node *n = &p->nodes[i];
		struct pki_ca_crl_settings cs;
		int64_t id = B->status[i].rec.id;

		if (id == 0)
			continue;       /* waiting for its parent */
		cs.next_update = n->crl_next_update;
		cs.delta_next_update = n->delta_crl_next_update;
		if ((rc = pki_store_ca_crl_settings_set(B->st, id, &cs,
							err)) != PKI_OK)
			goto out;
		for (k = 0; k < n->default_for.n; k++)
			if ((rc = set_default(B->st, def, ndef,
					      n->default_for.v[k],
					      newest(rot, nrot, id),
					      err)) != PKI_OK)
				goto out;
	}
	rc = pki_store_commit(B->st, err);
	in_tx = rc != PKI_OK;
out:
	if (in_tx)
		pki_store_rollback(B->st);
	free(rot);
	pki_ca_defaults_free(def, ndef);
	return rc;
}

/* ------------------------------------------------------------ rotate */

void
pki_hier_rotation_clear(struct pki_hier_rotation *r)
{
	if (r == NULL)
		return;
	free(r->old_name);
	free(r->new_name);
	free(r->cert_path);
	free(r->chain_path);
	free(r->defaults);
	memset(r, 0, sizeof(*r));
}

/* One rotation under way. */
struct rotor {
	struct pki_state *state;
	struct pki_store *st;
	struct pki_ca_record old;
	struct pki_ca_record *up;       /* the old CA's ancestors, parent first */
	size_t nup;
	char *new_name;
	unsigned gen;                   /* the generation number */
	char *defaults;                 /* what on_recorded moved */
};

/* name without a trailing " <digits>", and the number after it (1 when
 * there is none). */
static size_t
name_base(const char *name, unsigned *num)
{
	size_t len = strlen(name), i = len;

	*num = 1;
	while (i > 0 && name[i - 1] >= '0' && name[i - 1] <= '9')
		i--;
	if (i < len && i > 1 && name[i - 1] == ' ' && len - i < 6) {
		*num = (unsigned)strtoul(name + i, NULL, 10);
		return i - 1;
	}
	return len;
}

/* Would name share a name or files with a CA of v? */
static int
name_taken(const struct pki_ca_record *v, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcasecmp(v[i].name, name) == 0 ||
		    pki__hier_files_collide(v[i].name, name))
			return 1;
	return 0;
}

/* R->new_name: as given, or the next free "<base> <n>". */
static int
choose_name(struct rotor *R, const char *given, struct pki_error *err)
{
	struct pki_ca_record *v = NULL;
	size_t n = 0, base;
	unsigned num;
	int rc;

	if ((rc = pki_store_ca_list(R->st, &v, &n, err)) != PKI_OK)
		return rc;
	base = name_base(R->old.name, &num);
	R->gen = num + 1;
	if (given != NULL) {
		if (*given == '\0' || name_taken(v, n, given)) {
			rc = pki_error_set(err, PKI_E_EXISTS, "'%s' is the name "
					   "of a CA already, or would share its "
					   "files under ca/", given);
			goto out;
		}
		R->new_name = strdup(given);
	} else {
		for (;; R->gen++) {
			free(R->new_name);
			if (asprintf(&R->new_name, "%.*s %u", (int)base,
				     R->old.name, R->gen) < 0) {
				R->new_name = NULL;
				break;
			}
			if (!name_taken(v, n, R->new_name))
				break;
		}
	}
	rc = R->new_name != NULL ? PKI_OK :
	     pki_error_set(err, PKI_E_NOMEM, "out of memory");
out:
	pki_ca_records_free(v, n);
	return rc;
}

/* The successor's common name: "<cn> <gen>" (a number ending cn
 * replaced), or for a host-name-like one (dots, no spaces) the first
 * label followed by "-<gen>", so that DNS name constraints above still
 * hold it. */
static char *
successor_cn(const char *cn, unsigned gen)
{
	const char *dot = strchr(cn, '.');
	char *s = NULL;
	unsigned num;
	size_t lab;

	if (dot != NULL && strchr(cn, ' ') == NULL) {
		lab = (size_t)(dot - cn);
		/* a "-<digits>" ending the first label is the old number */
		{
			size_t i = lab;

			while (i > 0 && cn[i - 1] >= '0' && cn[i - 1] <= '9')
				i--;
			if (i < lab && i > 1 && cn[i - 1] == '-')
				lab = i - 1;
		}
		if (asprintf(&s, "%.*s-%u%s", (int)lab, cn, gen, dot) < 0)
			s = NULL;
		return s;
	}
	if (asprintf(&s, "%.*s %u", (int)name_base(cn, &num), cn, gen) < 0)
		s = NULL;
	return s;
}

/* A copy of s with every occurrence of from replaced by to. */
static char *
replace_all(const char *s, const char *from, const char *to)
{
	size_t lf = strlen(from), lt = strlen(to), n = 0;
	const char *p;
	char *out, *o;

	if (lf == 0)
		return strdup(s);
	for (p = s; (p = strstr(p, from)) != NULL; p += lf)
		n++;
	if ((out = malloc(strlen(s) + n * lt + 1)) == NULL)
		return NULL;
	for (o = out, p = s; *p != '\0';) {
		if (strncmp(p, from, lf) == 0) {
			memcpy(o, to, lt);
			o += lt;
			p += lf;
		} else {
			*o++ = *p++;
		}
	}
	*o = '\0';
	return out;
}

/* The strings of JSON array a into l, each with from replaced by to
 * (from NULL: as they are).  -1 when out of memory. */
static int
list_from(struct pki_strlist *l, json_t *a, const char *from, const char *to)
{
	json_t *v;
	size_t i;
	char *s;
	int r;

	json_array_foreach(a, i, v) {
		if (!json_is_string(v))
			continue;
		s = from != NULL ? replace_all(json_string_value(v), from, to) :
		    strdup(json_string_value(v));
		r = s != NULL ? pki_strlist_add(l, s) : PKI_E_NOMEM;
		free(s);
		if (r != PKI_OK)
			return -1;
	}
	return 0;
}

static int
dup_opt(char **dst, json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_string(v))
		return 0;
	return (*dst = strdup(json_string_value(v))) != NULL ? 0 : -1;
}

/* Node n (parent index parent) from the old CA's stored definition. */
static int
successor_node(struct rotor *R, struct pki_hier_node *n, size_t parent,
	       const struct pki_hier_node *pn, struct pki_error *err)
{
	json_t *cfg = NULL, *spec, *v;
	char *os = NULL, *ns = NULL;
	const char *key;
	struct pki_subject *s = &n->tpl.subject;
	int rc = PKI_E_NOMEM;

	(void)pn;
	memset(n, 0, sizeof(*n));
	n->role = "issuing";
	n->parent = parent;
	cfg = R->old.config_json ? json_loads(R->old.config_json, 0, NULL) : NULL;
	spec = json_object_get(cfg, "spec");
	if (!json_is_object(spec)) {
		rc = pki_error_set(err, PKI_E_DB, "CA '%s': its stored "
				   "definition is missing", R->old.name);
		goto out;
	}
	key = json_string_value(json_object_get(spec, "key"));
	if (key == NULL || (strcmp(key, "online") != 0 &&
			    strcmp(key, "offline") != 0)) {
		rc = pki_error_set(err, PKI_E_UNSUPPORTED, "CA '%s' keeps its "
				   "key in a token; define its successor in "
				   "the hierarchy file, with a key of its own",
				   R->old.name);
		goto out;
	}
	n->online = strcmp(key, "online") == 0;
	if ((rc = pki_key_alg_from_name(json_string_value(json_object_get(spec,
			"algorithm")), &n->alg, err)) != PKI_OK)
		goto out;
	rc = PKI_E_NOMEM;
	n->validity_years = (unsigned)json_integer_value(
		json_object_get(spec, "validity_years"));
	n->validity_days = (unsigned)json_integer_value(
		json_object_get(spec, "validity_days"));
	n->tpl.path_len = (int)json_integer_value(json_object_get(spec,
								  "path_len"));
	n->tpl.digital_signature = json_is_true(json_object_get(spec,
						"digital_signature"));
	if ((n->name = strdup(R->new_name)) == NULL ||
	    dup_opt(&s->organization, spec, "organization") ||
	    dup_opt(&s->organizational_unit, spec, "organizational_unit") ||
	    dup_opt(&s->country, spec, "country") ||
	    dup_opt(&s->state, spec, "state") ||
	    dup_opt(&s->locality, spec, "locality") ||
	    dup_opt(&s->email, spec, "email"))
		goto nomem;
	v = json_object_get(spec, "common_name");
	if (json_is_string(v) &&
	    (s->common_name = successor_cn(json_string_value(v), R->gen)) == NULL)
		goto nomem;
	if (list_from(&n->tpl.permitted_dns, json_object_get(spec, "permitted_dns"), NULL, NULL) ||
	    list_from(&n->tpl.excluded_dns, json_object_get(spec, "excluded_dns"), NULL, NULL) ||
	    list_from(&n->tpl.permitted_ip, json_object_get(spec, "permitted_ip"), NULL, NULL) ||
	    list_from(&n->tpl.excluded_ip, json_object_get(spec, "excluded_ip"), NULL, NULL) ||
	    list_from(&n->tpl.permitted_email, json_object_get(spec, "permitted_email"), NULL, NULL) ||
	    list_from(&n->tpl.excluded_email, json_object_get(spec, "excluded_email"), NULL, NULL) ||
	    list_from(&n->tpl.policy_oids, json_object_get(spec, "policy_oids"), NULL, NULL))
		goto nomem;
	/* its own services: where the old CA's file name appears in a URL,
	 * the new one's */
	if ((os = pki_state_slug(R->old.name)) == NULL ||
	    (ns = pki_state_slug(R->new_name)) == NULL ||
	    list_from(&n->crl_urls, json_object_get(cfg, "crl_urls"), os, ns) ||
	    list_from(&n->delta_crl_urls, json_object_get(cfg, "delta_crl_urls"), os, ns) ||
	    list_from(&n->ocsp_urls, json_object_get(cfg, "ocsp_urls"), os, ns) ||
	    list_from(&n->ca_issuers_urls, json_object_get(cfg, "ca_issuers_urls"), os, ns))
		goto nomem;
	rc = PKI_OK;
	goto out;
nomem:
	rc = pki_error_set(err, PKI_E_NOMEM, "out of memory");
out:
	free(os);
	free(ns);
	json_decref(cfg);
	return rc;
}

/* The old CA's ancestors into R->up, parent first; refuses a chain that
 * leaves the store. */
static int
load_ancestors(struct rotor *R, struct pki_error *err)
{
	int64_t id = R->old.parent_id;
	struct pki_ca_record *nv;
	int rc;

	if (id == 0)
		return pki_error_set(err, PKI_E_INVALID, "CA '%s' was signed "
				     "by a CA outside spork (or imported); "
				     "define its successor in the hierarchy "
				     "file", R->old.name);
	while (id != 0 && R->nup < 16) {
		if ((nv = realloc(R->up, (R->nup + 1) * sizeof(*nv))) == NULL)
			return pki_error_set(err, PKI_E_NOMEM, "out of memory");
		R->up = nv;
		if ((rc = pki_store_ca_get_id(R->st, id, &R->up[R->nup],
					      err)) != PKI_OK)
			return rc;
		R->nup++;
		id = R->up[R->nup - 1].parent_id;
		if (id == R->up[R->nup - 1].id)
			break;
	}
	return PKI_OK;
}

/* A node standing for the built ancestor r (unchanged in the diff). */
static int
ancestor_node(struct pki_hier_node *n, const struct pki_ca_record *r,
	      size_t parent)
{
	json_t *cfg = r->config_json ? json_loads(r->config_json, 0, NULL) : NULL;
	int bad = 0;

	memset(n, 0, sizeof(*n));
	n->role = r->role;
	n->parent = parent;
	n->tpl.path_len = -1;
	n->imported = parent == PKI_HIER_NONE && strcmp(r->mode, "import") == 0;
	n->external_parent = parent == PKI_HIER_NONE && !n->imported &&
			     strcmp(r->role, "root") != 0;
	snprintf(n->spec_hash, sizeof(n->spec_hash), "%s",
		 r->spec_hash ? r->spec_hash : "");
	bad = (n->name = strdup(r->name)) == NULL ||
	      list_from(&n->crl_urls, json_object_get(cfg, "crl_urls"), NULL, NULL) ||
	      list_from(&n->delta_crl_urls, json_object_get(cfg, "delta_crl_urls"), NULL, NULL) ||
	      list_from(&n->ocsp_urls, json_object_get(cfg, "ocsp_urls"), NULL, NULL) ||
	      list_from(&n->ca_issuers_urls, json_object_get(cfg, "ca_issuers_urls"), NULL, NULL);
	json_decref(cfg);
	return bad ? -1 : 0;
}

/* Inside the transaction recording the successor: the rotation, the
 * CRL lifetimes, the defaults, the audit row. */
static int
on_recorded(void *ctx, const struct pki_ca_record *rec, struct pki_error *err)
{
	struct rotor *R = ctx;
	struct pki_ca_crl_settings cs;
	struct pki_ca_default *def = NULL;
	size_t ndef = 0, i;
	char *detail = NULL, *moved = NULL;
	size_t mlen = 0;
	FILE *f = NULL;
	json_t *o = NULL;
	int rc, p;

	if ((rc = pki_store_ca_rotation_add(R->st, R->old.id, rec->id,
					    err)) != PKI_OK ||
	    (rc = pki_store_ca_crl_settings(R->st, R->old.id, &cs,
					    err)) != PKI_OK ||
	    (rc = pki_store_ca_crl_settings_set(R->st, rec->id, &cs,
						err)) != PKI_OK ||
	    (rc = pki_store_ca_defaults(R->st, &def, &ndef, err)) != PKI_OK)
		goto out;
	if ((f = open_memstream(&moved, &mlen)) == NULL)
		goto nomem;
	for (i = 0; i < ndef; i++) {
		if (def[i].ca_id != R->old.id)
			continue;
		if ((rc = pki_store_ca_default_set(R->st, def[i].profile,
						   rec->id, err)) != PKI_OK)
			goto out;
		fprintf(f, "%s%s", ftell(f) ? ", " : "", def[i].profile);
	}
	/* it had none: it was chosen as the only issuing CA, and its
	 * successor must not make every choice ambiguous */
	if (ftell(f) == 0)
		for (p = 0; p < PKI_PROFILE__MAX; p++) {
			const struct pki_profile *pr = pki_profile_get(p);

			if (pr == NULL || pr->is_ca)
				continue;
			for (i = 0; i < ndef; i++)
				if (strcmp(def[i].profile, pr->name) == 0)
					break;
			if (i < ndef)
				continue;
			if ((rc = pki_store_ca_default_set(R->st, pr->name,
							   rec->id, err)) != PKI_OK)
				goto out;
			fprintf(f, "%s%s", ftell(f) ? ", " : "", pr->name);
		}
	fclose(f);
	f = NULL;
	o = json_pack("{s:s, s:s}", "successor", rec->name, "defaults",
		      moved ? moved : "");
	if (o == NULL || (detail = json_dumps(o, JSON_SORT_KEYS |
					      JSON_COMPACT)) == NULL)
		goto nomem;
	if ((rc = pki_store_audit(R->st, NULL, "pki.rotate", R->old.name,
				  detail, err)) != PKI_OK)
		goto out;
	free(R->defaults);
	R->defaults = moved;
	moved = NULL;
	rc = PKI_OK;
	goto out;
nomem:
	rc = pki_error_set(err, PKI_E_NOMEM, "out of memory");
out:
	if (f != NULL)
		fclose(f);
	free(moved);
	free(detail);
	json_decref(o);
	pki_ca_defaults_free(def, ndef);
	return rc;
}

/* Refuse what cannot be rotated. */
static int
rotatable(struct rotor *R, struct pki_error *err)
{
	struct pki_ca_rotation *rot = NULL;
	struct pki_ca_record nr;
	size_t n = 0, i;
	int rc;

	if (strcmp(R->old.role, "issuing") != 0)
		return pki_error_set(err, PKI_E_INVALID, "CA '%s' is a %s CA; "
				     "only issuing CAs are rotated", R->old.name,
				     R->old.role);
	if (R->old.status != PKI_CA_ACTIVE || R->old.cert_der.size == 0)
		return pki_error_set(err, PKI_E_INVALID, "CA '%s' is not "
				     "active; only an active CA is rotated",
				     R->old.name);
	if ((rc = pki_store_ca_rotations(R->st, &rot, &n, err)) != PKI_OK)
		return rc;
	for (i = 0; i < n && rot[i].old_id != R->old.id; i++)
		;
	if (i < n) {
		memset(&nr, 0, sizeof(nr));
		rc = pki_store_ca_get_id(R->st, rot[i].new_id, &nr, err);
		if (rc == PKI_OK)
			rc = pki_error_set(err, PKI_E_EXISTS, "CA '%s' was "
					   "rotated already: its successor is "
					   "'%s' (rotate that one instead)",
					   R->old.name, nr.name);
		pki_ca_record_clear(&nr);
	}
	free(rot);
	return rc;
}

int
pki_hier_rotate(struct pki_state *state, const char *ca_name,
		const char *new_name, struct pki_hier_rotation *out,
		struct pki_error *err)
{
	struct rotor R;
	struct pki_hier_plan *plan = NULL;
	struct pki_hier_result *res = NULL;
	size_t i, k;
	int rc;

	memset(&R, 0, sizeof(R));
	memset(out, 0, sizeof(*out));
	R.state = state;
	R.st = pki_state_store(state);
	if ((rc = pki_store_ca_find(R.st, ca_name, &R.old, err)) != PKI_OK ||
	    (rc = rotatable(&R, err)) != PKI_OK ||
	    (rc = load_ancestors(&R, err)) != PKI_OK ||
	    (rc = choose_name(&R, new_name, err)) != PKI_OK)
		goto out;
	/* the plan: the ancestors as built, top first, then the successor */
	if ((plan = calloc(1, sizeof(*plan))) == NULL ||
	    (plan->nodes = calloc(R.nup + 1, sizeof(*plan->nodes))) == NULL ||
	    (plan->path = strdup("(rotation)")) == NULL ||
	    (plan->basedir = strdup(".")) == NULL) {
		rc = pki_error_set(err, PKI_E_NOMEM, "out of memory");
		goto out;
	}
	plan->mode = PKI_HIER_LOCAL;
	for (i = 0; i < R.nup; i++) {
		k = R.nup - 1 - i;
		plan->n = i + 1;
		if (ancestor_node(&plan->nodes[i], &R.up[k],
				  i == 0 ? PKI_HIER_NONE : i - 1) != 0) {
			rc = pki_error_set(err, PKI_E_NOMEM, "out of memory");
			goto out;
		}
	}
	plan->n = R.nup + 1;
	if ((rc = successor_node(&R, &plan->nodes[R.nup], R.nup - 1,
				 &plan->nodes[R.nup - 1], err)) != PKI_OK)
		goto out;
	if (pki__hier_node_spec(plan, &plan->nodes[R.nup]) != 0) {
		rc = pki_error_set(err, PKI_E_NOMEM, "out of memory");
		goto out;
	}
	if ((rc = pki__hier_build(plan, state, 0, on_recorded, &R, &res,
				  err)) != PKI_OK) {
		pki_error_prefix(err, "rotating '%s'", R.old.name);
		goto out;
	}
	out->old_name = R.old.name;
	R.old.name = NULL;
	out->new_name = R.new_name;
	R.new_name = NULL;
	out->defaults = R.defaults ? R.defaults : strdup("");
	R.defaults = NULL;
	out->cert_path = res[plan->n - 1].cert_path;
	out->chain_path = res[plan->n - 1].chain_path;
	res[plan->n - 1].cert_path = res[plan->n - 1].chain_path = NULL;
	rc = PKI_OK;
out:
	if (plan != NULL)
		pki_hier_results_free(res, plan->n);
	pki_hier_free(plan);
	pki_ca_record_clear(&R.old);
	pki_ca_records_free(R.up, R.nup);
	free(R.new_name);
	free(R.defaults);
	return rc;
}
