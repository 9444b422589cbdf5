/*
 * spork pki: validate | preview | build | import-cert | status
 * (spork-pki(1)).
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include <spork/hierarchy.h>

static int show_help;

static const struct poptOption pki_options[] = {
	SPORK_COMMON_OPTIONS,
	{ "help", 'h', POPT_ARG_NONE, &show_help, 'h', "show this help", NULL },
	POPT_TABLEEND
};

static const char *ca_name_opt, *cert_opt, *new_name_opt;
static int force_opt;

static const struct poptOption import_options[] = {
	{ "force", '\0', POPT_ARG_NONE, &force_opt, 0,
	  "accept a certificate whose basicConstraints is not critical or "
	  "that outlives its issuer (recorded in the audit log)", NULL },
	{ "ca", '\0', POPT_ARG_STRING, &ca_name_opt, 0,
	  "the pending CA the certificate is for", "NAME" },
	{ "cert", '\0', POPT_ARG_STRING, &cert_opt, 0,
	  "the certificate the external CA issued (PEM or DER, - for stdin)",
	  "FILE" },
	SPORK_COMMON_OPTIONS,
	{ "help", 'h', POPT_ARG_NONE, &show_help, 'h', "show this help", NULL },
	POPT_TABLEEND
};

static const struct poptOption rotate_options[] = {
	{ "ca", '\0', POPT_ARG_STRING, &ca_name_opt, 0,
	  "the issuing CA to succeed", "NAME" },
	{ "name", '\0', POPT_ARG_STRING, &new_name_opt, 0,
	  "the successor's name (default: \"NAME 2\")", "NEW" },
	SPORK_COMMON_OPTIONS,
	{ "help", 'h', POPT_ARG_NONE, &show_help, 'h', "show this help", NULL },
	POPT_TABLEEND
};

static const struct poptOption build_options[] = {
	{ "pkcs12-passphrase-file", '\0', POPT_ARG_STRING,
	  &spork_g.pkcs12_pass_file, 0,
	  "read the password of an [import] PKCS#12 file from FILE", "FILE" },
	{ "force", '\0', POPT_ARG_NONE, &force_opt, 0,
	  "import a CA certificate whose basicConstraints is not critical or "
	  "that outlives its issuer (recorded in the audit log)", NULL },
	SPORK_COMMON_OPTIONS,
	{ "help", 'h', POPT_ARG_NONE, &show_help, 'h', "show this help", NULL },
	POPT_TABLEEND
};

static void
pki_usage(FILE *f)
{
	fprintf(f, "usage: spork pki <command> [options]\n\n"
		"Commands:\n"
		"  validate FILE     check a hierarchy file, report every problem\n"
		"  preview FILE      show what build would create or change\n"
		"  build FILE        create the keys and certificates\n"
		"  import-cert FILE --ca NAME --cert CERT\n"
		"                    finish a CA signed by an external CA\n"
		"  status            list the CAs in the state directory\n"
		"  rotate --ca NAME [--name NEW]\n"
		"                    a successor for an issuing CA; it becomes "
		"the default\n"
		"\nSee spork-pki(1).\n");
}

static const char *
mode_name(enum pki_hier_mode m)
{
	return m == PKI_HIER_SUBORDINATE ? "subordinate" :
	       m == PKI_HIER_IMPORT ? "import" : "local";
}

static json_t *
diags_json(const char *file, const struct pki_diags *d)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < d->n; i++)
		json_array_append_new(a, json_pack("{s:s, s:i, s:i, s:s}",
			"file", file, "line", (json_int_t)d->v[i].line,
			"column", (json_int_t)d->v[i].column,
			"message", d->v[i].msg));
	if (d->more > 0) {
		char msg[64];

		snprintf(msg, sizeof(msg), "and %zu more problem%s not shown",
			 d->more, d->more == 1 ? "" : "s");
		json_array_append_new(a, json_pack("{s:s, s:i, s:i, s:s}",
			"file", file, "line", (json_int_t)0, "column",
			(json_int_t)0, "message", msg));
	}
	return a;
}

/* Load a plan, reporting problems; returns an exit code. */
static int
load_plan(const char *file, struct pki_hier_plan **plan)
{
	struct pki_diags d = { 0, NULL, 0 };
	struct pki_error err;
	int rc;

	pki_error_clear(&err);
	rc = pki_hier_load(file, spork_now(), plan, &d, &err);
	if (rc == PKI_OK)
		return SPORK_EXIT_OK;
	if (d.n == 0)
		return spork_fail(&err, NULL);
	if (spork_g.json)
		spork_json_out(json_pack("{s:s, s:b, s:o}", "file", file,
					 "valid", 0, "problems",
					 diags_json(file, &d)));
	spork_print_diags(file, &d);
	if (!spork_g.quiet)
		fprintf(stderr, "%s: %zu problem%s; nothing was done\n", file,
			pki_diags_count(&d), pki_diags_count(&d) == 1 ? "" : "s");
	pki_diags_clear(&d);
	return rc == PKI_E_NOTFOUND || rc == PKI_E_IO ? spork_exit_code(rc)
						       : SPORK_EXIT_INVALID;
}

static char *
subject_str(const struct pki_subject *s)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	const char *sep = "";

	if (f == NULL)
		return NULL;
#define PART(k, v) if (v) { fprintf(f, "%s%s=%s", sep, k, v); sep = ","; }
	PART("CN", s->common_name);
	PART("OU", s->organizational_unit);
	PART("O", s->organization);
	PART("L", s->locality);
	PART("ST", s->state);
	PART("C", s->country);
	PART("emailAddress", s->email);
#undef PART
	fclose(f);
	return out;
}

static const char *
key_location(const struct pki_hier_node *n)
{
	static char red[1024];

	if (n->pkcs11_uri != NULL) {
		char *r = pki_key_uri_redact(n->pkcs11_uri);

		snprintf(red, sizeof(red), "%s", r ? r : "pkcs11:");
		free(r);
		return red;
	}
	return n->online ? "lockbox, online (online.kek)"
			 : "lockbox, offline (passphrase)";
}

static void
print_list(const char *label, const struct pki_strlist *l, const char *indent)
{
	size_t i;

	if (l->n == 0)
		return;
	printf("%s%-14s", indent, label);
	for (i = 0; i < l->n; i++)
		printf("%s%s", i ? ", " : "", l->v[i]);
	printf("\n");
}

static int
depth_of(const struct pki_hier_plan *p, size_t i)
{
	int d = 0;

	while (p->nodes[i].parent != PKI_HIER_NONE) {
		i = p->nodes[i].parent;
		d++;
	}
	return d + (p->mode == PKI_HIER_SUBORDINATE);
}

/* The end of a validity of the node's length from nb (years as calendar
 * years, like the build). */
static int64_t
validity_end(const struct pki_hier_node *n, int64_t nb)
{
	struct tm tm;
	time_t t = (time_t)nb;

	if (n->validity_years == 0 || gmtime_r(&t, &tm) == NULL)
		return nb + (int64_t)n->validity_days * 86400;
	tm.tm_year += (int)n->validity_years;
	return (int64_t)timegm(&tm);
}

/* The validity; for a CA built with another one than the file now asks
 * for, both: what it has, and what the file's would be. */
static void
print_validity(const struct pki_hier_node *n, const struct pki_hier_status *s,
	       const char *ind)
{
	char len[32];

	if (n->validity_years)
		snprintf(len, sizeof(len), "%u years", n->validity_years);
	else
		snprintf(len, sizeof(len), "%u days", n->validity_days);
	printf("%s%-14s%s", ind, "validity", spork_time(s->not_before));
	if (s->state == PKI_HIER_CHANGED && s->why != NULL &&
	    strstr(s->why, "validity") != NULL) {
		printf(" .. %s (as built)\n", spork_time(s->not_after));
		printf("%s%-14s%s", ind, "file asks", spork_time(s->not_before));
		printf(" .. %s (%s)\n", spork_time(validity_end(n,
		       s->not_before)), len);
		return;
	}
	printf(" .. %s (%s)\n", spork_time(s->not_after), len);
}

static void
print_node(const struct pki_hier_plan *p, size_t i,
	   const struct pki_hier_status *s, int verbose)
{
	const struct pki_hier_node *n = &p->nodes[i];
	char ind[64];
	int depth = depth_of(p, i), k;
	char *subj;

	for (k = 0; k < depth && k < 10; k++)
		memcpy(ind + 4 * k, "    ", 4);
	ind[4 * (depth < 10 ? depth : 10)] = '\0';
	printf("%s%s [%s]", ind, n->name, n->role);
	if (s != NULL) {
		printf(" %s", pki_hier_state_name(s->state));
		if (s->state == PKI_HIER_CHANGED && s->why)
			printf(" (%s differ; build will refuse)", s->why);
	}
	printf("\n");
	if (!verbose)
		return;
	strcat(ind, "    ");
	if (n->imported) {
		printf("%s%-14s%s\n", ind, "import", p->import_pkcs12);
	} else {
		subj = subject_str(&n->tpl.subject);
		printf("%s%-14s%s\n", ind, "subject", subj ? subj : "?");
		free(subj);
		printf("%s%-14s%s\n", ind, "algorithm", pki_key_alg_name(n->alg));
	}
	if (s != NULL && !n->imported)
		print_validity(n, s, ind);
	printf("%s%-14s%s\n", ind, "key", key_location(n));
	if (n->external_parent)
		printf("%s%-14s%s (build writes a CSR)\n", ind, "signed by",
		       p->external_name);
	if (!n->imported) {
		printf("%s%-14sCA, path_len %d (basicConstraints, critical)\n",
		       ind, "constraints", n->tpl.path_len);
		printf("%s%-14skeyCertSign, cRLSign%s (critical)\n", ind,
		       "key usage", n->tpl.digital_signature ?
		       ", digitalSignature" : "");
		print_list("permitted dns", &n->tpl.permitted_dns, ind);
		print_list("excluded dns", &n->tpl.excluded_dns, ind);
		print_list("permitted ip", &n->tpl.permitted_ip, ind);
		print_list("excluded ip", &n->tpl.excluded_ip, ind);
		print_list("permitted em", &n->tpl.permitted_email, ind);
		print_list("excluded em", &n->tpl.excluded_email, ind);
		print_list("policies", &n->tpl.policy_oids, ind);
	}
	print_list("crl", &n->crl_urls, ind);
	if (n->crl_shards > 0)
		printf("%s%-14s%u (\"-<n>.crl\" for shard n)\n", ind,
		       "crl shards", n->crl_shards);
	print_list("delta crl", &n->delta_crl_urls, ind);
	print_list("ocsp", &n->ocsp_urls, ind);
	print_list("ca issuers", &n->ca_issuers_urls, ind);
}

static json_t *
strlist_json(const struct pki_strlist *l)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < l->n; i++)
		json_array_append_new(a, json_string(l->v[i]));
	return a;
}

static json_t *
node_json(const struct pki_hier_plan *p, size_t i,
	  const struct pki_hier_status *s)
{
	const struct pki_hier_node *n = &p->nodes[i];
	json_t *o = json_object();
	char *subj = subject_str(&n->tpl.subject);

	json_object_set_new(o, "name", json_string(n->name));
	json_object_set_new(o, "role", json_string(n->role));
	json_object_set_new(o, "parent", n->parent == PKI_HIER_NONE ?
			    (n->external_parent ? json_string(p->external_name)
						: json_null()) :
			    json_string(p->nodes[n->parent].name));
	if (!n->imported) {
		json_object_set_new(o, "subject", json_string(subj ? subj : ""));
		json_object_set_new(o, "algorithm",
				    json_string(pki_key_alg_name(n->alg)));
		json_object_set_new(o, "path_len", json_integer(n->tpl.path_len));
		json_object_set_new(o, "policy_oids", strlist_json(&n->tpl.policy_oids));
		json_object_set_new(o, "name_constraints", json_pack(
			"{s:o, s:o, s:o, s:o, s:o, s:o}",
			"permitted_dns", strlist_json(&n->tpl.permitted_dns),
			"excluded_dns", strlist_json(&n->tpl.excluded_dns),
			"permitted_ip", strlist_json(&n->tpl.permitted_ip),
			"excluded_ip", strlist_json(&n->tpl.excluded_ip),
			"permitted_email", strlist_json(&n->tpl.permitted_email),
			"excluded_email", strlist_json(&n->tpl.excluded_email)));
	}
	free(subj);
	json_object_set_new(o, "key", json_string(n->pkcs11_uri ?
				key_location(n) : n->online ? "online" :
				"offline"));
	json_object_set_new(o, "crl_urls", strlist_json(&n->crl_urls));
	if (n->crl_shards > 0)
		json_object_set_new(o, "crl_shards", json_integer(n->crl_shards));
	json_object_set_new(o, "delta_crl_urls", strlist_json(&n->delta_crl_urls));
	json_object_set_new(o, "ocsp_urls", strlist_json(&n->ocsp_urls));
	json_object_set_new(o, "ca_issuers_urls", strlist_json(&n->ca_issuers_urls));
	if (s != NULL) {
		json_object_set_new(o, "state", json_string(pki_hier_state_name(s->state)));
		if (s->why)
			json_object_set_new(o, "changed", json_string(s->why));
		if (!n->imported) {
			json_object_set_new(o, "not_before", json_string(spork_time(s->not_before)));
			json_object_set_new(o, "not_after", json_string(spork_time(s->not_after)));
		}
	}
	return o;
}

static int
cmd_validate(int argc, const char **argv)
{
	poptContext ctx;
	const char **rest;
	struct pki_hier_plan *plan = NULL;
	int nrest, rc;
	size_t i, roles[3] = { 0, 0, 0 };

	if (spork_parse("pki validate", argc, argv, pki_options, "FILE", &ctx,
			&rest, &nrest) != 0 || nrest != 1) {
		if (nrest != 1)
			spork_warnx("pki validate takes one hierarchy file");
		poptFreeContext(ctx);
		return SPORK_EXIT_USAGE;
	}
	rc = load_plan(rest[0], &plan);
	if (rc == SPORK_EXIT_OK) {
		for (i = 0; i < plan->n; i++)
			roles[strcmp(plan->nodes[i].role, "root") == 0 ? 0 :
			      strcmp(plan->nodes[i].role, "policy") == 0 ? 1 : 2]++;
		if (spork_g.json)
			spork_json_out(json_pack("{s:s, s:b, s:s, s:i, s:[]}",
				"file", rest[0], "valid", 1, "mode",
				mode_name(plan->mode), "cas", (json_int_t)plan->n,
				"problems"));
		else if (!spork_g.quiet)
			printf("%s: valid (%s hierarchy: %zu CA%s: %zu root, "
			       "%zu policy, %zu issuing)\n", rest[0],
			       mode_name(plan->mode), plan->n,
			       plan->n == 1 ? "" : "s", roles[0], roles[1],
			       roles[2]);
	}
	pki_hier_free(plan);
	poptFreeContext(ctx);
	return rc;
}

/* Open the state directory for reading if it has a database
 * (preview/diff); *state stays NULL when it has none. */
static int
open_existing(struct pki_state **state, struct pki_error *err)
{
	char *db = pki_state_path_of(spork_state_dir(), PKI_STATE_DB);
	int rc = PKI_OK;

	*state = NULL;
	if (db == NULL)
		return pki_error_set(err, PKI_E_NOMEM, "out of memory");
	if (access(db, F_OK) == 0)
		rc = spork_state(PKI_STATE_READ, 0, state, err);
	free(db);
	return rc;
}

static int
cmd_preview(int argc, const char **argv)
{
	poptContext ctx;
	const char **rest;
	struct pki_hier_plan *plan = NULL;
	struct pki_hier_status *s = NULL;
	struct pki_state *st = NULL;
	struct pki_diags d = { 0, NULL, 0 };
	struct pki_error err;
	int nrest, rc;
	size_t i, counts[PKI_HIER_STATE__MAX] = { 0 };

	pki_error_clear(&err);
	if (spork_parse("pki preview", argc, argv, pki_options, "FILE", &ctx,
			&rest, &nrest) != 0 || nrest != 1) {
		if (nrest != 1)
			spork_warnx("pki preview takes one hierarchy file");
		poptFreeContext(ctx);
		return SPORK_EXIT_USAGE;
	}
	if ((rc = load_plan(rest[0], &plan)) != SPORK_EXIT_OK)
		goto out;
	if (open_existing(&st, &err) != PKI_OK ||
	    pki_hier_diff(plan, st, spork_now(), &s, &d, &err) != PKI_OK) {
		rc = spork_fail(&err, NULL);
		goto out;
	}
	for (i = 0; i < plan->n; i++)
		counts[s[i].state]++;
	if (spork_g.json) {
		json_t *a = json_array();

		for (i = 0; i < plan->n; i++)
			json_array_append_new(a, node_json(plan, i, &s[i]));
		spork_json_out(json_pack("{s:s, s:s, s:s, s:o, s:o, s:{s:i, s:i, s:i, s:i}}",
			"file", rest[0], "mode", mode_name(plan->mode),
			"state_dir", spork_state_dir(), "cas", a,
			"problems", diags_json(rest[0], &d), "summary",
			"new", (json_int_t)counts[PKI_HIER_NEW],
			"unchanged", (json_int_t)counts[PKI_HIER_UNCHANGED],
			"changed", (json_int_t)counts[PKI_HIER_CHANGED],
			"pending", (json_int_t)counts[PKI_HIER_PENDING]));
	} else if (!spork_g.quiet) {
		printf("%s: %s hierarchy, %zu CA%s; state directory %s%s\n\n",
		       rest[0], mode_name(plan->mode), plan->n,
		       plan->n == 1 ? "" : "s", spork_state_dir(),
		       st ? "" : " (empty)");
		if (plan->mode == PKI_HIER_SUBORDINATE)
			printf("%s [external CA]\n", plan->external_name);
		for (i = 0; i < plan->n; i++)
			print_node(plan, i, &s[i], 1);
		size_t csrs = 0;

		for (i = 0; i < plan->n; i++)
			csrs += s[i].state == PKI_HIER_NEW &&
				plan->nodes[i].external_parent;
		printf("\nbuild would create %zu CA%s", counts[PKI_HIER_NEW],
		       counts[PKI_HIER_NEW] == 1 ? "" : "s");
		if (csrs > 0)
			printf(" (%zu of them as a request for %s to sign)", csrs,
			       plan->external_name);
		printf("; %zu unchanged, %zu "
		       "pending, %zu changed%s\n",
		       counts[PKI_HIER_UNCHANGED], counts[PKI_HIER_PENDING],
		       counts[PKI_HIER_CHANGED],
		       counts[PKI_HIER_CHANGED] ? " (build will refuse: no "
		       "silent re-key)" : "");
	}
	spork_print_diags(rest[0], &d);
	rc = d.n > 0 ? SPORK_EXIT_INVALID :
	     counts[PKI_HIER_CHANGED] ? SPORK_EXIT_CONFLICT : SPORK_EXIT_OK;
out:
	pki_diags_clear(&d);
	if (plan != NULL)
		pki_hier_status_free(s, plan->n);
	pki_hier_free(plan);
	pki_state_close(st);
	poptFreeContext(ctx);
	return rc;
}

static const char *
action_name(enum pki_hier_action a)
{
	switch (a) {
	case PKI_HIER_CREATED: return "created";
	case PKI_HIER_CSR_WRITTEN: return "csr-written";
	case PKI_HIER_WAITING: return "waiting";
	case PKI_HIER_IMPORTED: return "imported";
	default: return "unchanged";
	}
}

static void
report_build(const struct pki_hier_plan *plan, const struct pki_hier_result *r)
{
	size_t i, made = 0, waiting = 0;

	for (i = 0; i < plan->n; i++) {
		made += r[i].action != PKI_HIER_DID_NOTHING &&
			r[i].action != PKI_HIER_WAITING;
		if (r[i].forced != NULL)
			spork_warnx("warning: imported '%s' with --force: %s",
				    plan->nodes[i].name, r[i].forced);
	}
	if (spork_g.json) {
		json_t *a = json_array();

		for (i = 0; i < plan->n; i++) {
			json_t *o = json_pack("{s:s, s:s, s:s}", "name",
					      plan->nodes[i].name, "role",
					      plan->nodes[i].role, "action",
					      action_name(r[i].action));
			if (r[i].cert_path)
				json_object_set_new(o, "certificate", json_string(r[i].cert_path));
			if (r[i].chain_path)
				json_object_set_new(o, "chain", json_string(r[i].chain_path));
			if (r[i].csr_path)
				json_object_set_new(o, "csr", json_string(r[i].csr_path));
			if (r[i].forced)
				json_object_set_new(o, "forced", json_string(r[i].forced));
			json_array_append_new(a, o);
		}
		spork_json_out(json_pack("{s:s, s:s, s:i, s:o}", "file",
					 plan->path, "state_dir", spork_state_dir(),
					 "changed", (json_int_t)made, "cas", a));
		return;
	}
	if (spork_g.quiet)
		return;
	for (i = 0; i < plan->n; i++)
		waiting += r[i].action == PKI_HIER_WAITING;
	if (made == 0 && waiting == 0)
		printf("Nothing to do: the %zu CA%s of %s %s already built "
		       "and unchanged.\n", plan->n, plan->n == 1 ? "" : "s",
		       plan->path, plan->n == 1 ? "is" : "are");
	else if (made == 0)
		printf("Nothing to do until %s signs the pending request%s; "
		       "%zu CA%s waiting.\n", plan->external_name ?
		       plan->external_name : "the external CA",
		       waiting == 1 ? "" : "s", waiting,
		       waiting == 1 ? " is" : "s are");
	if (plan->mode == PKI_HIER_SUBORDINATE)
		printf("%s [external CA]\n", plan->external_name);
	for (i = 0; i < plan->n; i++) {
		char ind[64];
		int depth = depth_of(plan, i), k;

		for (k = 0; k < depth && k < 10; k++)
			memcpy(ind + 4 * k, "    ", 4);
		ind[4 * (depth < 10 ? depth : 10)] = '\0';
		printf("%s%s [%s] %s\n", ind, plan->nodes[i].name,
		       plan->nodes[i].role, action_name(r[i].action));
		if (r[i].cert_path && r[i].action != PKI_HIER_WAITING)
			printf("%s    certificate %s\n%s    chain       %s\n",
			       ind, r[i].cert_path, ind, r[i].chain_path);
		if (r[i].csr_path)
			printf("%s    request     %s\n", ind, r[i].csr_path);
	}
	for (i = 0; i < plan->n; i++)
		if (r[i].action == PKI_HIER_CSR_WRITTEN)
			printf("\nHave %s sign %s, then run:\n  spork pki "
			       "import-cert %s --ca '%s' --cert SIGNED.pem\n",
			       plan->external_name, r[i].csr_path, plan->path,
			       plan->nodes[i].name);
	printf("\nState directory: %s (database spork.db, sealed keys in "
	       "lockbox/, certificates in ca/)\n", spork_state_dir());
}

static int
run_build(struct pki_hier_plan *plan)
{
	struct pki_state *st = NULL;
	struct pki_hier_result *res = NULL;
	struct pki_error err;
	int rc;

	pki_error_clear(&err);
	if (spork_state(PKI_STATE_CLI, 1, &st, &err) != PKI_OK) {
		rc = spork_fail(&err, NULL);
		goto out;
	}
	if (pki_hier_build(plan, st, force_opt ? PKI_HIER_FORCE : 0, &res,
			   &err) != PKI_OK) {
		rc = spork_fail(&err, plan->path);
		goto out;
	}
	report_build(plan, res);
	rc = SPORK_EXIT_OK;
out:
	pki_hier_results_free(res, plan->n);
	pki_state_close(st);
	return rc;
}

static int
cmd_build(int argc, const char **argv)
{
	poptContext ctx;
	const char **rest;
	struct pki_hier_plan *plan = NULL;
	int nrest, rc;

	if (spork_parse("pki build", argc, argv, build_options, "FILE", &ctx,
			&rest, &nrest) != 0 || nrest != 1) {
		if (nrest != 1)
			spork_warnx("pki build takes one hierarchy file");
		poptFreeContext(ctx);
		return SPORK_EXIT_USAGE;
	}
	if ((rc = load_plan(rest[0], &plan)) == SPORK_EXIT_OK)
		rc = run_build(plan);
	pki_hier_free(plan);
	poptFreeContext(ctx);
	return rc;
}

static int
cmd_import_cert(int argc, const char **argv)
{
	poptContext ctx;
	const char **rest;
	struct pki_hier_plan *plan = NULL;
	struct pki_state *st = NULL;
	struct pki_error err;
	gnutls_datum_t cert = { NULL, 0 };
	char *forced = NULL;
	int nrest, rc;

	pki_error_clear(&err);
	if (spork_parse("pki import-cert", argc, argv, import_options,
			"FILE --ca NAME --cert CERT", &ctx, &rest, &nrest) != 0 ||
	    nrest != 1 || ca_name_opt == NULL || cert_opt == NULL) {
		if (nrest != 1 || ca_name_opt == NULL || cert_opt == NULL)
			spork_warnx("usage: spork pki import-cert FILE --ca NAME "
				    "--cert CERT");
		poptFreeContext(ctx);
		return SPORK_EXIT_USAGE;
	}
	if ((rc = load_plan(rest[0], &plan)) != SPORK_EXIT_OK)
		goto out;
	if (pki_file_read(cert_opt, 1 << 20, &cert, &err) != PKI_OK ||
	    spork_state(PKI_STATE_CLI, 0, &st, &err) != PKI_OK ||
	    pki_hier_import_cert(plan, st, ca_name_opt, &cert,
				 force_opt ? PKI_HIER_FORCE : 0, &forced,
				 &err) != PKI_OK) {
		rc = spork_fail(&err, NULL);
		goto out;
	}
	if (forced != NULL)
		spork_warnx("warning: imported the certificate of '%s' with "
			    "--force: %s", ca_name_opt, forced);
	pki_state_close(st);
	st = NULL;
	if (!spork_g.quiet && !spork_g.json)
		printf("Imported the certificate of '%s'; finishing the "
		       "hierarchy.\n", ca_name_opt);
	rc = run_build(plan);
out:
	free(forced);
	gnutls_free(cert.data);
	pki_state_close(st);
	pki_hier_free(plan);
	poptFreeContext(ctx);
	return rc;
}

static const char *
status_name(enum pki_ca_status s, int held)
{
	return s == PKI_CA_PENDING ? "pending" : held ? "on-hold" :
	       s == PKI_CA_REVOKED ? "revoked" : "active";
}

/* What pki status shows beside the CAs: per CA, whether it is on hold
 * and its roles ("default for tls-server; successor of 'X'"). */
struct roles {
	int *held;
	char **text;
};

static void
roles_free(struct roles *R, size_t n)
{
	size_t i;

	for (i = 0; R->text != NULL && i < n; i++)
		free(R->text[i]);
	free(R->text);
	free(R->held);
}

static const char *
name_of(const struct pki_ca_record *v, size_t n, int64_t id)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i].id == id)
			return v[i].name;
	return "?";
}

static int
roles_load(struct pki_store *st, const struct pki_ca_record *v, size_t n,
	   struct roles *R, struct pki_error *err)
{
	struct pki_ca_default *d = NULL;
	struct pki_ca_rotation *r = NULL;
	size_t nd = 0, nr = 0, i, k;
	int rc;

	R->held = calloc(n + 1, sizeof(*R->held));
	R->text = calloc(n + 1, sizeof(*R->text));
	if (R->held == NULL || R->text == NULL)
		return pki_error_set(err, PKI_E_NOMEM, "out of memory");
	if ((rc = pki_store_ca_defaults(st, &d, &nd, err)) != PKI_OK ||
	    (rc = pki_store_ca_rotations(st, &r, &nr, err)) != PKI_OK)
		goto out;
	for (i = 0; i < n; i++) {
		char *s = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&s, &len);
		const char *sep = "";

		if (f == NULL) {
			rc = pki_error_set(err, PKI_E_NOMEM, "out of memory");
			goto out;
		}
		if ((rc = pki_store_ca_on_hold(st, &v[i], &R->held[i],
					       err)) != PKI_OK) {
			fclose(f);
			free(s);
			goto out;
		}
		for (k = 0; k < nd; k++)
			if (d[k].ca_id == v[i].id) {
				fprintf(f, "%s%s", *sep ? ", " : "default for ",
					d[k].profile);
				sep = "; ";
			}
		for (k = 0; k < nr; k++) {
			if (r[k].old_id == v[i].id) {
				fprintf(f, "%sretiring: succeeded by '%s' on "
					"%s", sep, name_of(v, n, r[k].new_id),
					spork_time(r[k].rotated_at));
				sep = "; ";
			}
			if (r[k].new_id == v[i].id) {
				fprintf(f, "%ssuccessor of '%s'", sep,
					name_of(v, n, r[k].old_id));
				sep = "; ";
			}
		}
		fclose(f);
		R->text[i] = s;
	}
	rc = PKI_OK;
out:
	pki_ca_defaults_free(d, nd);
	free(r);
	return rc;
}

static void
print_status_tree(const struct pki_ca_record *v, size_t n, int64_t parent,
		  int depth, int64_t now, const struct roles *R)
{
	size_t i;
	int k;

	for (i = 0; i < n; i++) {
		const struct pki_ca_record *r = &v[i];
		char ind[64];
		const char *loc;

		if (r->parent_id != parent || depth > 10)
			continue;
		for (k = 0; k < depth; k++)
			memcpy(ind + 4 * k, "    ", 4);
		ind[4 * depth] = '\0';
		loc = strncmp(r->key_uri, "pkcs11:", 7) == 0 ? "pkcs11" :
		      r->key_online ? "lockbox (online)" : "lockbox (offline)";
		printf("%s%s [%s] %s%s%s%s%s\n", ind, r->name, r->role,
		       R->held[i] ? "on hold" : status_name(r->status, 0),
		       r->status == PKI_CA_ACTIVE && r->not_after < now ?
		       " EXPIRED" : "", R->text[i][0] ? " (" : "",
		       R->text[i], R->text[i][0] ? ")" : "");
		printf("%s    %-10s %s\n", ind, "subject", r->subject ? r->subject : "");
		printf("%s    %-10s %s\n", ind, "algorithm", r->algorithm);
		if (r->status != PKI_CA_PENDING) {
			printf("%s    %-10s %s", ind, "validity",
			       spork_time(r->not_before));
			printf(" .. %s\n", spork_time(r->not_after));
			printf("%s    %-10s %s\n", ind, "serial", r->serial);
		}
		printf("%s    %-10s %s; online: %s\n", ind, "key", loc,
		       r->key_online ? "yes" : "no");
		print_status_tree(v, n, r->id, depth + 1, now, R);
	}
}

static int
cmd_status(int argc, const char **argv)
{
	poptContext ctx;
	const char **rest;
	struct pki_state *st = NULL;
	struct pki_ca_record *v = NULL;
	struct pki_error err;
	struct roles R = { NULL, NULL };
	size_t n = 0, i;
	int nrest, rc;
	int64_t now = spork_now();

	pki_error_clear(&err);
	if (spork_parse("pki status", argc, argv, pki_options, NULL, &ctx,
			&rest, &nrest) != 0 || nrest != 0) {
		if (nrest != 0)
			spork_warnx("pki status takes no arguments");
		poptFreeContext(ctx);
		return SPORK_EXIT_USAGE;
	}
	if (spork_state(PKI_STATE_READ, 0, &st, &err) != PKI_OK ||
	    pki_store_ca_list(pki_state_store(st), &v, &n, &err) != PKI_OK ||
	    roles_load(pki_state_store(st), v, n, &R, &err) != PKI_OK) {
		rc = spork_fail(&err, NULL);
		goto out;
	}
	if (spork_g.json) {
		json_t *a = json_array();

		for (i = 0; i < n; i++) {
			const char *parent = NULL;
			size_t j;

			for (j = 0; j < n; j++)
				if (v[j].id == v[i].parent_id)
					parent = v[j].name;
			json_array_append_new(a, json_pack(
				"{s:s, s:s, s:s, s:s?, s:s, s:s, s:s, s:s, s:s, s:b, s:s, s:b}",
				"name", v[i].name, "role", v[i].role,
				"mode", v[i].mode, "parent", parent,
				"subject", v[i].subject ? v[i].subject : "",
				"algorithm", v[i].algorithm,
				"serial", v[i].serial ? v[i].serial : "",
				"not_before", v[i].status == PKI_CA_PENDING ? "" :
					spork_time(v[i].not_before),
				"key", v[i].key_uri, "online", v[i].key_online,
				"status", status_name(v[i].status, R.held[i]),
				"expired", v[i].status == PKI_CA_ACTIVE &&
					v[i].not_after < now));
			json_object_set_new(json_array_get(a, i), "roles",
					    json_string(R.text[i]));
			json_object_set_new(json_array_get(a, i), "not_after",
				json_string(v[i].status == PKI_CA_PENDING ? "" :
					    spork_time(v[i].not_after)));
		}
		spork_json_out(json_pack("{s:s, s:o}", "state_dir",
					 spork_state_dir(), "cas", a));
	} else if (!spork_g.quiet) {
		if (n == 0)
			printf("No CAs in %s.\n", spork_state_dir());
		print_status_tree(v, n, 0, 0, now, &R);
	}
	rc = SPORK_EXIT_OK;
out:
	roles_free(&R, n);
	pki_ca_records_free(v, n);
	pki_state_close(st);
	poptFreeContext(ctx);
	return rc;
}

static int
cmd_rotate(int argc, const char **argv)
{
	poptContext ctx;
	const char **rest;
	struct pki_state *st = NULL;
	struct pki_hier_rotation r;
	struct pki_error err;
	int nrest, rc;

	memset(&r, 0, sizeof(r));
	pki_error_clear(&err);
	if (spork_parse("pki rotate", argc, argv, rotate_options,
			"--ca NAME [--name NEW]", &ctx, &rest, &nrest) != 0 ||
	    nrest != 0 || ca_name_opt == NULL) {
		if (nrest != 0 || ca_name_opt == NULL)
			spork_warnx("usage: spork pki rotate --ca NAME "
				    "[--name NEW]");
		poptFreeContext(ctx);
		return SPORK_EXIT_USAGE;
	}
	if (spork_state(PKI_STATE_CLI, 0, &st, &err) != PKI_OK ||
	    pki_hier_rotate(st, ca_name_opt, new_name_opt, &r, &err) != PKI_OK) {
		rc = spork_fail(&err, NULL);
		goto out;
	}
	if (spork_g.json)
		spork_json_out(json_pack("{s:s, s:s, s:s, s:s, s:s}", "ca",
					 r.old_name, "successor", r.new_name,
					 "certificate", r.cert_path, "chain",
					 r.chain_path, "defaults", r.defaults));
	else if (!spork_g.quiet)
		printf("'%s' succeeds '%s'%s%s.\n"
		       "  certificate %s\n  chain       %s\n"
		       "'%s' stays active: it issues only when named, and "
		       "publishes CRLs until it expires.\n", r.new_name,
		       r.old_name, r.defaults[0] ? "; default for " : "",
		       r.defaults, r.cert_path, r.chain_path, r.old_name);
	rc = SPORK_EXIT_OK;
out:
	pki_hier_rotation_clear(&r);
	pki_state_close(st);
	poptFreeContext(ctx);
	return rc;
}

int
spork_cmd_pki(int argc, const char **argv)
{
	static const struct spork_cmd cmds[] = {
		{ "validate", cmd_validate },
		{ "preview", cmd_preview },
		{ "build", cmd_build },
		{ "import-cert", cmd_import_cert },
		{ "status", cmd_status },
		{ "rotate", cmd_rotate },
	};

	return spork_dispatch("pki", argc, argv, cmds,
			      sizeof(cmds) / sizeof(cmds[0]), pki_usage);
}
