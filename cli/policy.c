/*
 * spork policy: check (spork-policy(1)).  Says, for each name, whether
 * the domain policy allows it and which rule decides; the matching
 * itself is libpki/policy, and the file is found where issuance finds
 * it (pki_state_policy: <state>/domain-policy.toml).
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unistd.h>

#include "common.h"
#include <spork/enroll.h>
#include <spork/profile.h>
#include <spork/state.h>
#include <spork/policy.h>

static int show_help;
static const char *o_policy, *o_ca, *o_profile;

static const struct poptOption check_options[] = {
	{ "policy", '\0', POPT_ARG_STRING, &o_policy, 0,
	  "check against FILE instead of <state>/domain-policy.toml "
	  "(- for standard input)", "FILE" },
	{ "ca", '\0', POPT_ARG_STRING, &o_ca, 0,
	  "also check the nameConstraints of this CA's chain (default: the "
	  "CA cert issue would use)", "NAME" },
	{ "profile", '\0', POPT_ARG_STRING, &o_profile, 0,
	  "also check what this profile allows (default tls-server)",
	  "PROFILE" },
	SPORK_COMMON_OPTIONS,
	{ "help", 'h', POPT_ARG_NONE, &show_help, 'h', "show this help", NULL },
	POPT_TABLEEND
};

static void
policy_usage(FILE *f)
{
	fprintf(f, "usage: spork policy <command> [options]\n\n"
		"Commands:\n"
		"  check NAME...  [--policy FILE] [--ca NAME] [--profile P]\n"
		"                 which rule, profile or CA constraint decides "
		"for each name\n"
		"\nRun 'spork policy check --help' for options; see "
		"spork-policy(1) and domain-policy.toml(5).\n");
}

static const char *const type_names[PKI_POLICY_NAME__MAX] = {
	[PKI_POLICY_NAME_DNS] = "dns",
	[PKI_POLICY_NAME_WILDCARD] = "wildcard",
	[PKI_POLICY_NAME_IP] = "ip",
};

static const char *const by_names[PKI_ENROLL_CHECK__MAX] = {
	[PKI_ENROLL_CHECK_OK] = NULL,
	[PKI_ENROLL_CHECK_PROFILE] = "profile",
	[PKI_ENROLL_CHECK_CA] = "ca",
};

/* One element of the --json array (shape in spork-policy(1)); c: the
 * profile and CA checks, NULL when none were made. */
static json_t *
decision_json(const char *given, const struct pki_policy_decision *d,
	      const struct pki_enroll_check *c, const char *error)
{
	const struct pki_policy_rule *r = d->rule;
	json_t *o = json_object();
	int refused = c != NULL && c->by != PKI_ENROLL_CHECK_OK;

	json_object_set_new(o, "name", json_string(given));
	json_object_set_new(o, "normalized", error == NULL ?
			    json_string(d->name) : json_null());
	json_object_set_new(o, "type", error == NULL &&
			    (unsigned)d->type < PKI_POLICY_NAME__MAX ?
			    json_string(type_names[d->type]) : json_null());
	json_object_set_new(o, "allowed", json_boolean(d->allowed && !refused));
	/* the members of the profile and CA checks, when they were made */
	if (c != NULL) {
		json_object_set_new(o, "decided_by", !d->allowed ?
				    json_string("policy") : refused ?
				    json_string(by_names[c->by]) : json_null());
		json_object_set_new(o, "profile", json_string(c->profile));
		json_object_set_new(o, "ca", c->ca ? json_string(c->ca) :
				    json_null());
		json_object_set_new(o, "constraint_ca", c->decider ?
				    json_string(c->decider) : json_null());
		json_object_set_new(o, "reason", refused ? json_string(c->why) :
				    json_null());
	}
	json_object_set_new(o, "kind", r ? json_string(pki_policy_kind_name(
				r->kind)) : json_null());
	json_object_set_new(o, "pattern", r ? json_string(r->pattern) :
			    json_null());
	json_object_set_new(o, "rule", r ? json_integer((json_int_t)r->index) :
			    json_null());
	json_object_set_new(o, "line", r ? json_integer((json_int_t)r->line) :
			    json_null());
	json_object_set_new(o, "comment", r && r->comment ?
			    json_string(r->comment) : json_null());
	json_object_set_new(o, "error", error ? json_string(error) :
			    json_null());
	return o;
}

/*
 * The policy to check against: --policy FILE, else the state
 * directory's.  *path (caller frees) names the file for messages.
 * A missing file is PKI_E_NOTFOUND with a message saying where it goes.
 */
static int
load_policy(struct pki_policy **pol, char **path, struct pki_error *err)
{
	int rc;

	*pol = NULL;
	*path = NULL;
	if (o_policy != NULL) {
		if ((*path = strdup(o_policy)) == NULL)
			return pki_error_set(err, PKI_E_NOMEM, "out of memory");
		rc = pki_policy_load(o_policy, pol, err);
		if (rc == PKI_E_NOTFOUND)
			pki_error_set(err, rc, "no policy file %s (see "
				      "domain-policy.toml(5) for what to "
				      "write in it)", o_policy);
		else if (rc != PKI_OK && err->line == 0 &&
			 strcmp(o_policy, "-") != 0 &&
			 strstr(err->msg, o_policy) == NULL)
			pki_error_prefix(err, "%s", o_policy);
		return rc;
	}
	if ((*path = pki_state_path_of(spork_state_dir(),
				       PKI_STATE_POLICY)) == NULL)
		return pki_error_set(err, PKI_E_NOMEM, "out of memory");
	/* An answer from a policy others can change is only a hint. */
	spork_warn_modes(spork_state_dir());
	rc = pki_policy_load(*path, pol, err);
	if (rc != PKI_OK && rc != PKI_E_NOTFOUND) {
		if (err->line == 0)
			pki_error_prefix(err, "%s", *path);
		return rc;
	}
	if (*pol == NULL)
		return pki_error_set(err, PKI_E_NOTFOUND, "no domain policy: "
				     "%s does not exist, so every name is "
				     "denied. Write the [[allow]] and "
				     "[[deny]] rules there (see "
				     "domain-policy.toml(5)), or check a "
				     "file that is not installed yet with "
				     "--policy FILE", *path);
	return PKI_OK;
}

/*
 * The state to check CAs in: opened when it has a database; NULL (no
 * CA checks) when it has none and no --ca asked for one.
 */
static int
ca_state(struct pki_state **st, struct pki_error *err)
{
	char *db = pki_state_path_of(spork_state_dir(), PKI_STATE_DB);
	int rc = PKI_OK;

	*st = NULL;
	if (db == NULL)
		return pki_error_set(err, PKI_E_NOMEM, "out of memory");
	if (o_ca != NULL || access(db, F_OK) == 0)
		rc = spork_state(PKI_STATE_READ, 0, st, err);
	free(db);
	return rc;
}

/* The text line of one name the policy allowed: the policy's line, then
 * what the profile and the CA chain say (c NULL: not checked). */
static void
print_checked(const struct pki_policy_decision *d,
	      const struct pki_enroll_check *c, const char *policy_line)
{
	const char *rest = strstr(policy_line, ": ");

	rest = rest != NULL ? rest + 2 : policy_line;
	if (c == NULL)
		printf("%s\n", policy_line);
	else if (c->by == PKI_ENROLL_CHECK_CA)
		printf("%s: denied by the nameConstraints of CA '%s' (%s); the "
		       "domain policy %s\n", d->name, c->decider, c->why, rest);
	else if (c->by == PKI_ENROLL_CHECK_PROFILE)
		printf("%s: denied by the %s profile (%s); the domain policy "
		       "%s\n", d->name, c->profile, c->why, rest);
	else
		printf("%s; profile %s, CA '%s': allowed\n", policy_line,
		       c->profile, c->ca);
}

static int
cmd_check(int argc, const char **argv)
{
	poptContext ctx;
	const char **rest = NULL;
	struct pki_policy *pol = NULL;
	struct pki_policy_decision d;
	struct pki_state *st = NULL;
	struct pki_enroll e;
	struct pki_enroll_check c;
	const struct pki_profile *prof;
	int check_cas = 0;
	struct pki_error err, nerr;
	char *path = NULL, line[PKI_POLICY_NAME_MAX + 1024];
	json_t *a = NULL;
	int nrest = 0, i, denied = 0, invalid = 0, rc = SPORK_EXIT_USAGE;

	pki_error_clear(&err);
	if (spork_parse("policy check", argc, argv, check_options, "NAME...",
			&ctx, &rest, &nrest) != 0)
		goto out;
	if (nrest == 0) {
		spork_warnx("policy check takes one or more names: DNS names "
			    "(www.example.com), wildcard names "
			    "(*.example.com) or IP addresses");
		poptPrintUsage(ctx, stderr, 0);
		goto out;
	}
	if (o_profile != NULL && ((prof = pki_profile_by_name(o_profile)) ==
				  NULL || prof->is_ca)) {
		spork_warnx("--profile: '%s' is not an end-entity profile (use "
			    "tls-server, tls-client, code-signing, email or "
			    "ocsp-signing)", o_profile);
		goto out;
	}
	if (ca_state(&st, &err) != PKI_OK) {
		rc = spork_fail(&err, NULL);
		goto out;
	}
	check_cas = st != NULL;
	memset(&e, 0, sizeof(e));
	e.state = st;
	if (load_policy(&pol, &path, &err) != PKI_OK) {
		rc = spork_fail(&err, strcmp(path ? path : "-", "-") == 0 ?
				"<stdin>" : path);
		goto out;
	}
	if (spork_g.json)
		a = json_array();
	for (i = 0; i < nrest; i++) {
		pki_error_clear(&nerr);
		memset(&d, 0, sizeof(d));
		memset(&c, 0, sizeof(c));
		if (pki_policy_check(pol, rest[i], &d, &nerr) != PKI_OK) {
			invalid = 1;
			spork_warnx("%s", nerr.msg[0] ? nerr.msg :
				    pki_strerror(nerr.code));
			if (a != NULL)
				json_array_append_new(a, decision_json(rest[i],
					&d, NULL, nerr.msg[0] ? nerr.msg :
					pki_strerror(nerr.code)));
			continue;
		}
		/* what cert issue checks after the policy, through the
		 * same code: the profile, the CA chain's constraints */
		if (d.allowed && check_cas &&
		    pki_enroll_check_name(&e, o_ca, o_profile, d.name, &c,
					  &nerr) != PKI_OK) {
			if (o_ca != NULL) {
				rc = spork_fail(&nerr, NULL);
				goto out;
			}
			/* no CA to choose without --ca: the policy alone */
			spork_warnx("no CA constraints checked: %s%s",
				    nerr.msg, nerr.hint == PKI_HINT_NAME_CA ?
				    "; give --ca NAME" : "");
			check_cas = 0;
		}
		if (!d.allowed || (c.ca != NULL && c.by != PKI_ENROLL_CHECK_OK))
			denied = 1;
		if (a != NULL)
			json_array_append_new(a, decision_json(rest[i], &d,
					      c.ca != NULL ? &c : NULL, NULL));
		else if (!spork_g.quiet)
			print_checked(&d, c.ca != NULL && d.allowed ? &c : NULL,
				      pki_policy_decision_str(&d, line,
							      sizeof(line)));
		pki_enroll_check_clear(&c);
	}
	if (a != NULL) {
		spork_json_out(a);
		a = NULL;
	}
	rc = invalid ? SPORK_EXIT_INVALID : denied ? SPORK_EXIT_DENIED :
	     SPORK_EXIT_OK;
out:
	json_decref(a);
	pki_state_close(st);
	pki_policy_free(pol);
	free(path);
	poptFreeContext(ctx);
	return rc;
}

int
spork_cmd_policy(int argc, const char **argv)
{
	static const struct spork_cmd cmds[] = {
		{ "check", cmd_check },
	};

	return spork_dispatch("policy", argc, argv, cmds,
			      sizeof(cmds) / sizeof(cmds[0]), policy_usage);
}
