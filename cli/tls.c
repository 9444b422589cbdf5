/*
 * spork tls: issue | renew | status: the handlers' own TLS certificate
 * (spork-tls(1), tls.h).  The key is made and sealed in the lockbox under
 * online.kek, never written in the clear; the certificate comes from an
 * issuing CA through the usual checks (domain policy, lint, record).
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include <spork/tls.h>

static const char *o_ca, *o_names, *o_key_type, *o_within;
static int o_days, o_force, show_help;

static const struct poptOption issue_options[] = {
	SPORK_COMMON_OPTIONS,
	{ "ca", '\0', POPT_ARG_STRING, &o_ca, 0,
	  "the issuing CA (default: the only one)", "NAME" },
	{ "name", 'n', POPT_ARG_STRING, &o_names, 0,
	  "the names the handlers answer to, comma-separated "
	  "(dns:ocsp.example.internal,ip:10.0.0.5); the first is the CN",
	  "NAMES" },
	{ "key-type", '\0', POPT_ARG_STRING, &o_key_type, 0,
	  "ecdsa-p256 (default), ecdsa-p384, rsa-2048, ..., ed25519", "TYPE" },
	{ "days", '\0', POPT_ARG_INT, &o_days, 0,
	  "validity in days (default: the tls-server profile's maximum)",
	  "N" },
	{ "help", 'h', POPT_ARG_NONE, &show_help, 'h', "show this help", NULL },
	POPT_TABLEEND
};

static const struct poptOption renew_options[] = {
	SPORK_COMMON_OPTIONS,
	{ "within", '\0', POPT_ARG_STRING, &o_within, 0,
	  "renew when it expires within this long (default 30d)", "DURATION" },
	{ "force", '\0', POPT_ARG_NONE, &o_force, 0,
	  "renew now, whatever its expiry", NULL },
	{ "help", 'h', POPT_ARG_NONE, &show_help, 'h', "show this help", NULL },
	POPT_TABLEEND
};

static const struct poptOption status_options[] = {
	SPORK_COMMON_OPTIONS,
	{ "help", 'h', POPT_ARG_NONE, &show_help, 'h', "show this help", NULL },
	POPT_TABLEEND
};

static void
tls_usage(FILE *f)
{
	fprintf(f, "usage: spork tls <command> [options]\n\n"
		"Commands:\n"
		"  issue    issue the handlers' TLS certificate (key sealed "
		"under online.kek)\n"
		"  renew    issue it anew when it expires soon (for a timer)\n"
		"  status   show the current one\n"
		"\nSee spork-tls(1).\n");
}

/* Issue with the state s; prints what was done. */
static int
issue(struct pki_state *s, const char *ca, const char *names,
      enum pki_key_alg alg, unsigned days)
{
	struct pki_enroll e = { s, "cli", NULL };
	struct pki_enroll_result res;
	struct pki_error err;
	int rc;

	pki_error_clear(&err);
	if (pki_tls_issue(&e, ca, names, alg, days, &res, &err) != PKI_OK) {
		rc = spork_fail(&err, NULL);
		pki_enroll_result_clear(&res);
		return rc;
	}
	if (spork_g.json) {
		spork_json_out(json_pack("{s:s, s:s, s:s, s:s}", "serial",
			res.rec.serial, "ca", res.rec.issuer_name ?
			res.rec.issuer_name : "", "names", names, "not_after",
			spork_time(res.rec.not_after)));
	} else if (!spork_g.quiet) {
		printf("issued the handlers' TLS certificate %s for %s\n"
		       "  CA         %s\n  not after  %s\n  written    %s/%s\n",
		       res.rec.serial, names, res.rec.issuer_name ?
		       res.rec.issuer_name : "", spork_time(res.rec.not_after),
		       pki_state_path(s, PKI_STATE_TLS_DIR), "server.pem");
	}
	pki_enroll_result_clear(&res);
	return SPORK_EXIT_OK;
}

static int
cmd_issue(int argc, const char **argv)
{
	struct pki_state *s = NULL;
	struct pki_error err;
	enum pki_key_alg alg = PKI_KEY_ECDSA_P256;
	poptContext ctx = NULL;
	const char **rest = NULL;
	int nrest = 0, rc = SPORK_EXIT_USAGE;

	pki_error_clear(&err);
	if (spork_parse("tls issue", argc, argv, issue_options, NULL, &ctx,
			&rest, &nrest) != 0 || nrest != 0)
		goto out;
	if (o_names == NULL || o_days < 0) {
		spork_warnx("give the names: --name dns:HOST[,ip:ADDR...]");
		goto out;
	}
	if (o_key_type != NULL &&
	    pki_key_alg_from_name(o_key_type, &alg, &err) != PKI_OK) {
		rc = spork_fail(&err, NULL);
		goto out;
	}
	if (spork_state(PKI_STATE_CLI, 0, &s, &err) != PKI_OK) {
		rc = spork_fail(&err, NULL);
		goto out;
	}
	rc = issue(s, o_ca, o_names, alg, (unsigned)o_days);
out:
	pki_state_close(s);
	if (ctx != NULL)
		poptFreeContext(ctx);
	return rc;
}

static int
cmd_renew(int argc, const char **argv)
{
	struct pki_state *s = NULL;
	struct pki_error err;
	poptContext ctx = NULL;
	char *names = NULL, *ca = NULL;
	int64_t within = 30 * 86400, not_after = 0;
	const char **rest = NULL;
	int nrest = 0, rc = SPORK_EXIT_USAGE;

	pki_error_clear(&err);
	if (spork_parse("tls renew", argc, argv, renew_options, NULL, &ctx,
			&rest, &nrest) != 0 || nrest != 0)
		goto out;
	if (o_within != NULL && spork_parse_duration(o_within, &within) != 0) {
		spork_warnx("--within: a duration such as 30d or 12h");
		goto out;
	}
	/* online keys only: a timer renews without a person */
	if (spork_state(PKI_STATE_ONLINE, 0, &s, &err) != PKI_OK ||
	    pki_tls_current(s, &not_after, &names, &ca, &err) != PKI_OK) {
		rc = spork_fail(&err, NULL);
		goto out;
	}
	if (!o_force && not_after - spork_now() > within) {
		/* the session-ticket key has its own, shorter, life */
		if (pki_tls_ticket_rotate(s, &err) != PKI_OK) {
			rc = spork_fail(&err, NULL);
			goto out;
		}
		if (spork_g.json)
			spork_json_out(json_pack("{s:b, s:s}", "renewed", 0,
				"not_after", spork_time(not_after)));
		else if (!spork_g.quiet)
			printf("the handlers' TLS certificate is good until "
			       "%s: nothing to do\n", spork_time(not_after));
		rc = SPORK_EXIT_OK;
		goto out;
	}
	if (names == NULL || *names == '\0') {
		spork_warnx("server.pem does not say its names; run spork tls "
			    "issue");
		rc = SPORK_EXIT_INVALID;
		goto out;
	}
	rc = issue(s, ca != NULL && *ca != '\0' ? ca : NULL, names,
		   PKI_KEY_ECDSA_P256, 0);
out:
	free(names);
	free(ca);
	pki_state_close(s);
	if (ctx != NULL)
		poptFreeContext(ctx);
	return rc;
}

static int
cmd_status(int argc, const char **argv)
{
	struct pki_state *s = NULL;
	struct pki_error err;
	poptContext ctx = NULL;
	char *names = NULL, *ca = NULL;
	int64_t not_after = 0;
	const char **rest = NULL;
	int nrest = 0, rc = SPORK_EXIT_USAGE;

	pki_error_clear(&err);
	if (spork_parse("tls status", argc, argv, status_options, NULL, &ctx,
			&rest, &nrest) != 0 || nrest != 0)
		goto out;
	if (spork_state(PKI_STATE_READ, 0, &s, &err) != PKI_OK ||
	    pki_tls_current(s, &not_after, &names, &ca, &err) != PKI_OK) {
		rc = spork_fail(&err, NULL);
		goto out;
	}
	if (spork_g.json)
		spork_json_out(json_pack("{s:s, s:s, s:s}", "names",
			names ? names : "", "ca", ca ? ca : "", "not_after",
			spork_time(not_after)));
	else
		printf("names      %s\nCA         %s\nnot after  %s\n",
		       names ? names : "", ca ? ca : "",
		       spork_time(not_after));
	rc = SPORK_EXIT_OK;
out:
	free(names);
	free(ca);
	pki_state_close(s);
	if (ctx != NULL)
		poptFreeContext(ctx);
	return rc;
}

int
spork_cmd_tls(int argc, const char **argv)
{
	static const struct spork_cmd cmds[] = {
		{ "issue", cmd_issue },
		{ "renew", cmd_renew },
		{ "status", cmd_status },
	};

	return spork_dispatch("tls", argc, argv, cmds,
			      sizeof(cmds) / sizeof(cmds[0]), tls_usage);
}
