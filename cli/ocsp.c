/*
 * spork ocsp: signer issue | signer renew | presign | status: what the
 * OCSP responder signs with and what it signs ahead of time
 * (spork-ocsp(1), ocsp.h).  The responder itself is the spork-ocsp
 * handler (spork-ocsp(8)).
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include <spork/ocsp.h>

static const char *o_ca, *o_key_type, *o_within, *o_validity, *o_export;
static int o_days, o_force, show_help;

static const struct poptOption issue_options[] = {
	SPORK_COMMON_OPTIONS,
	{ "ca", '\0', POPT_ARG_STRING, &o_ca, 0,
	  "the CA whose responses the signer signs", "NAME" },
	{ "key-type", '\0', POPT_ARG_STRING, &o_key_type, 0,
	  "ecdsa-p256 (default), ecdsa-p384, rsa-2048, ..., ed25519", "TYPE" },
	{ "days", '\0', POPT_ARG_INT, &o_days, 0,
	  "validity in days (default: the ocsp-signing profile's maximum, "
	  "90)", "N" },
	{ "help", 'h', POPT_ARG_NONE, &show_help, 'h', "show this help", NULL },
	POPT_TABLEEND
};

static const struct poptOption renew_options[] = {
	SPORK_COMMON_OPTIONS,
	{ "ca", '\0', POPT_ARG_STRING, &o_ca, 0,
	  "the CA whose signer to renew", "NAME" },
	{ "within", '\0', POPT_ARG_STRING, &o_within, 0,
	  "renew when it expires within this long (default 30d)", "DURATION" },
	{ "force", '\0', POPT_ARG_NONE, &o_force, 0,
	  "renew now, whatever its expiry", NULL },
	{ "help", 'h', POPT_ARG_NONE, &show_help, 'h', "show this help", NULL },
	POPT_TABLEEND
};

static const struct poptOption presign_options[] = {
	SPORK_COMMON_OPTIONS,
	{ "ca", '\0', POPT_ARG_STRING, &o_ca, 0,
	  "the CA whose certificates to answer for", "NAME" },
	{ "validity", '\0', POPT_ARG_STRING, &o_validity, 0,
	  "from thisUpdate to nextUpdate (default 1d)", "DURATION" },
	{ "export", '\0', POPT_ARG_STRING, &o_export, 0,
	  "also write each response under DIR as a static web server "
	  "serves RFC 5019 GETs", "DIR" },
	{ "help", 'h', POPT_ARG_NONE, &show_help, 'h', "show this help", NULL },
	POPT_TABLEEND
};

static const struct poptOption status_options[] = {
	SPORK_COMMON_OPTIONS,
	{ "ca", '\0', POPT_ARG_STRING, &o_ca, 0, "only this CA", "NAME" },
	{ "help", 'h', POPT_ARG_NONE, &show_help, 'h', "show this help", NULL },
	POPT_TABLEEND
};

static void
ocsp_usage(FILE *f)
{
	fprintf(f, "usage: spork ocsp <command> [options]\n\n"
		"Commands:\n"
		"  signer issue   issue a CA's delegated OCSP signer (key sealed "
		"under online.kek)\n"
		"  signer renew   issue it anew when it expires soon (for a "
		"timer)\n"
		"  presign        sign a response for every certificate of a CA "
		"ahead of time\n"
		"  status         show each CA's signer and pre-signed "
		"responses\n"
		"\nSee spork-ocsp(1).\n");
}

/* Issue ca's signer with the state s; prints what was done. */
static int
issue(struct pki_state *s, const char *ca, enum pki_key_alg alg,
      unsigned days)
{
	struct pki_enroll e = { s, "cli", NULL };
	struct pki_enroll_result res;
	struct pki_error err;

	pki_error_clear(&err);
	if (pki_ocsp_signer_issue(&e, ca, alg, days, &res, &err) != PKI_OK) {
		pki_enroll_result_clear(&res);
		return spork_fail(&err, NULL);
	}
	if (spork_g.json) {
		spork_json_out(json_pack("{s:b, s:s, s:s, s:s, s:s}", "renewed",
			1, "ca", ca, "serial", res.rec.serial, "subject",
			res.rec.subject, "not_after",
			spork_time(res.rec.not_after)));
	} else if (!spork_g.quiet) {
		printf("issued the OCSP signer %s of %s\n  subject    %s\n"
		       "  not after  %s\n", res.rec.serial, ca, res.rec.subject,
		       spork_time(res.rec.not_after));
	}
	pki_enroll_result_clear(&res);
	return SPORK_EXIT_OK;
}

static int
cmd_signer_issue(int argc, const char **argv)
{
	struct pki_state *s = NULL;
	struct pki_error err;
	enum pki_key_alg alg = PKI_KEY_ECDSA_P256;
	poptContext ctx = NULL;
	const char **rest = NULL;
	int nrest = 0, rc = SPORK_EXIT_USAGE;

	pki_error_clear(&err);
	if (spork_parse("ocsp signer issue", argc, argv, issue_options, NULL,
			&ctx, &rest, &nrest) != 0 || nrest != 0)
		goto out;
	if (o_ca == NULL || o_days < 0) {
		spork_warnx("name the CA: --ca NAME");
		goto out;
	}
	if (o_key_type != NULL &&
	    pki_key_alg_from_name(o_key_type, &alg, &err) != PKI_OK) {
		rc = spork_fail(&err, NULL);
		goto out;
	}
	/* the CA's key may be offline: the passphrase is asked for */
	if (spork_state(PKI_STATE_CLI, 0, &s, &err) != PKI_OK) {
		rc = spork_fail(&err, NULL);
		goto out;
	}
	rc = issue(s, o_ca, alg, (unsigned)o_days);
out:
	pki_state_close(s);
	if (ctx != NULL)
		poptFreeContext(ctx);
	return rc;
}

static int
cmd_signer_renew(int argc, const char **argv)
{
	struct pki_state *s = NULL;
	struct pki_error err;
	struct pki_ocsp_signer_info info;
	poptContext ctx = NULL;
	int64_t within = 30 * 86400;
	const char **rest = NULL;
	int nrest = 0, rc = SPORK_EXIT_USAGE;

	pki_error_clear(&err);
	memset(&info, 0, sizeof(info));
	if (spork_parse("ocsp signer renew", argc, argv, renew_options, NULL,
			&ctx, &rest, &nrest) != 0 || nrest != 0)
		goto out;
	if (o_ca == NULL) {
		spork_warnx("name the CA: --ca NAME");
		goto out;
	}
	if (o_within != NULL && spork_parse_duration(o_within, &within) != 0) {
		spork_warnx("--within: a duration such as 30d or 12h");
		goto out;
	}
	if (spork_state(PKI_STATE_CLI, 0, &s, &err) != PKI_OK ||
	    pki_ocsp_signer_get(s, o_ca, &info, &err) != PKI_OK) {
		rc = spork_fail(&err, NULL);
		goto out;
	}
	if (!o_force && !info.revoked &&
	    info.not_after - spork_now() > within) {
		if (spork_g.json)
			spork_json_out(json_pack("{s:b, s:s, s:s}", "renewed",
				0, "ca", o_ca, "not_after",
				spork_time(info.not_after)));
		else if (!spork_g.quiet)
			printf("the OCSP signer of %s is good until %s: "
			       "nothing to do\n", o_ca,
			       spork_time(info.not_after));
		rc = SPORK_EXIT_OK;
		goto out;
	}
	rc = issue(s, o_ca, info.alg, 0);
out:
	pki_ocsp_signer_info_clear(&info);
	pki_state_close(s);
	if (ctx != NULL)
		poptFreeContext(ctx);
	return rc;
}

static int
cmd_presign(int argc, const char **argv)
{
	struct pki_state *s = NULL;
	struct pki_error err;
	struct pki_ocsp_presign_opts o;
	struct pki_ocsp_presign_result r;
	poptContext ctx = NULL;
	const char **rest = NULL;
	char tu[PKI_TIME_STRLEN];
	int nrest = 0, rc = SPORK_EXIT_USAGE;

	pki_error_clear(&err);
	memset(&o, 0, sizeof(o));
	if (spork_parse("ocsp presign", argc, argv, presign_options, NULL,
			&ctx, &rest, &nrest) != 0 || nrest != 0)
		goto out;
	if (o_ca == NULL) {
		spork_warnx("name the CA: --ca NAME");
		goto out;
	}
	if (o_validity != NULL &&
	    (spork_parse_duration(o_validity, &o.validity) != 0 ||
	     o.validity <= 0)) {
		spork_warnx("--validity: a duration such as 1d or 12h");
		goto out;
	}
	o.ca_name = o_ca;
	o.export_dir = o_export;
	if (spork_state(PKI_STATE_CLI, 0, &s, &err) != PKI_OK ||
	    pki_ocsp_presign(s, &o, &r, &err) != PKI_OK) {
		rc = spork_fail(&err, NULL);
		goto out;
	}
	snprintf(tu, sizeof(tu), "%s", spork_time(r.this_update));
	if (spork_g.json) {
		spork_json_out(json_pack("{s:s, s:I, s:I, s:I, s:I, s:s, s:s, "
			"s:s}", "ca", o_ca, "good", (json_int_t)r.good,
			"revoked", (json_int_t)r.revoked, "removed",
			(json_int_t)r.pruned, "exported",
			(json_int_t)r.exported, "this_update", tu,
			"next_update", spork_time(r.next_update), "signer",
			r.delegated ? "delegated" : "ca"));
	} else if (!spork_g.quiet) {
		printf("pre-signed %zu responses for %s (%zu good, %zu "
		       "revoked) with %s\n  this update  %s\n", r.good +
		       r.revoked, o_ca, r.good, r.revoked, r.delegated ?
		       "its delegated signer" : "its own key", tu);
		printf("  next update  %s\n", spork_time(r.next_update));
		if (r.pruned > 0)
			printf("  removed      %zu older\n", r.pruned);
		if (o_export != NULL)
			printf("  exported     %zu files under %s\n",
			       r.exported, o_export);
	}
	rc = SPORK_EXIT_OK;
out:
	pki_state_close(s);
	if (ctx != NULL)
		poptFreeContext(ctx);
	return rc;
}

/* One CA's state as JSON. */
static json_t *
status_json(const struct pki_ocsp_ca_status *c)
{
	json_t *o = json_pack("{s:s, s:b, s:I}", "ca", c->ca_name, "key_online",
			      c->key_online, "presigned",
			      (json_int_t)c->presigned);

	if (o == NULL)
		return NULL;
	if (c->has_signer)
		json_object_set_new(o, "signer", json_pack("{s:s, s:s, s:s, "
			"s:b}", "subject", c->signer.subject, "serial",
			c->signer.serial, "not_after",
			spork_time(c->signer.not_after), "usable",
			c->signer.usable));
	if (c->presigned > 0) {
		json_object_set_new(o, "oldest_this_update",
				    json_string(spork_time(c->oldest_this_update)));
		json_object_set_new(o, "earliest_next_update",
				    json_string(spork_time(c->earliest_next_update)));
	}
	return o;
}

static void
status_text(const struct pki_ocsp_ca_status *c)
{
	printf("%s (own key %s)\n", c->ca_name, c->key_online ? "online" :
	       "offline");
	if (c->has_signer) {
		printf("  signer          %s\n", c->signer.subject);
		printf("  signer expires  %s%s\n", spork_time(c->signer.not_after),
		       c->signer.usable ? "" : c->signer.revoked ?
		       " (revoked: not used)" : " (not valid now: not used)");
	} else {
		printf("  signer          none (%s)\n", c->key_online ?
		       "the CA's key signs" : "no answers: the CA's key is "
		       "offline");
	}
	printf("  pre-signed      %zu\n", c->presigned);
	if (c->presigned > 0) {
		printf("  oldest this     %s\n", spork_time(c->oldest_this_update));
		printf("  earliest next   %s\n",
		       spork_time(c->earliest_next_update));
	}
}

static int
cmd_status(int argc, const char **argv)
{
	struct pki_state *s = NULL;
	struct pki_error err;
	struct pki_ocsp_ca_status *v = NULL;
	poptContext ctx = NULL;
	const char **rest = NULL;
	json_t *a;
	size_t n = 0, i;
	int nrest = 0, rc = SPORK_EXIT_USAGE;

	pki_error_clear(&err);
	if (spork_parse("ocsp status", argc, argv, status_options, NULL, &ctx,
			&rest, &nrest) != 0 || nrest != 0)
		goto out;
	if (spork_state(PKI_STATE_READ, 0, &s, &err) != PKI_OK ||
	    pki_ocsp_status(s, o_ca, &v, &n, &err) != PKI_OK) {
		rc = spork_fail(&err, NULL);
		goto out;
	}
	if (spork_g.json) {
		a = json_array();
		for (i = 0; a != NULL && i < n; i++)
			json_array_append_new(a, status_json(&v[i]));
		spork_json_out(a);
	} else {
		for (i = 0; i < n; i++)
			status_text(&v[i]);
	}
	rc = SPORK_EXIT_OK;
out:
	pki_ocsp_status_free(v, n);
	pki_state_close(s);
	if (ctx != NULL)
		poptFreeContext(ctx);
	return rc;
}

/* ocsp signer issue|renew */
static int
cmd_signer(int argc, const char **argv)
{
	static const struct spork_cmd cmds[] = {
		{ "issue", cmd_signer_issue },
		{ "renew", cmd_signer_renew },
	};

	return spork_dispatch("ocsp signer", argc, argv, cmds,
			      sizeof(cmds) / sizeof(cmds[0]), ocsp_usage);
}

int
spork_cmd_ocsp(int argc, const char **argv)
{
	static const struct spork_cmd cmds[] = {
		{ "signer", cmd_signer },
		{ "presign", cmd_presign },
		{ "status", cmd_status },
	};

	return spork_dispatch("ocsp", argc, argv, cmds,
			      sizeof(cmds) / sizeof(cmds[0]), ocsp_usage);
}
