/*
 * spork crl: generate | show (spork-crl(1)).  Building is libpki/crl,
 * feeding it from the store libpki/crlgen; this file reads options and
 * prints.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gnutls/x509.h>

#include "common.h"
#include <spork/crl.h>
#include <spork/crlgen.h>

static int show_help, o_delta, o_entries = 1, o_all, o_force;
static const char *o_ca, *o_next_update;
static long long o_number = -1;

#define HELP_OPTION \
	{ "help", 'h', POPT_ARG_NONE, &show_help, 'h', "show this help", NULL }

static const struct poptOption generate_options[] = {
	{ "ca", '\0', POPT_ARG_STRING, &o_ca, 0, "the CA whose CRL to publish",
	  "NAME" },
	{ "all", '\0', POPT_ARG_NONE, &o_all, 0,
	  "every CA whose CRLs are due (offline keys only with a passphrase "
	  "file or credential)", NULL },
	{ "force", '\0', POPT_ARG_NONE, &o_force, 0,
	  "with --all: every active CA, due or not", NULL },
	{ "delta", '\0', POPT_ARG_NONE, &o_delta, 0,
	  "a delta CRL on the latest full CRL", NULL },
	{ "next-update", '\0', POPT_ARG_STRING, &o_next_update, 0,
	  "nextUpdate this long after thisUpdate (default 7d, delta 1d)",
	  "DURATION" },
	SPORK_COMMON_OPTIONS,
	HELP_OPTION,
	POPT_TABLEEND
};

static const struct poptOption show_options[] = {
	{ "ca", '\0', POPT_ARG_STRING, &o_ca, 0,
	  "show the CRL of this CA from the store", "NAME" },
	{ "delta", '\0', POPT_ARG_NONE, &o_delta, 0,
	  "with --ca: the latest delta CRL", NULL },
	{ "number", '\0', POPT_ARG_LONGLONG, &o_number, 0,
	  "with --ca: the CRL with this cRLNumber", "N" },
	{ "no-entries", '\0', POPT_ARG_VAL, &o_entries, 0,
	  "print only the header, not the revoked certificates", NULL },
	SPORK_COMMON_OPTIONS,
	HELP_OPTION,
	POPT_TABLEEND
};

static void
crl_usage(FILE *f)
{
	fprintf(f, "usage: spork crl <command> [options]\n\n"
		"Commands:\n"
		"  generate --ca NAME [--delta] [--next-update DURATION]\n"
		"                   sign, record and publish a CRL\n"
		"  generate --all [--force]\n"
		"                   publish every CRL that is due\n"
		"  show --ca NAME [--delta|--number N] | FILE\n"
		"                   print a CRL and check its signature\n"
		"\nRun 'spork crl <command> --help' for options; see "
		"spork-crl(1).\n");
}

/* ---- generate --all */

static const char *const status_names[PKI_CRLGEN__MAX] = {
	[PKI_CRLGEN_GENERATED] = "generated",
	[PKI_CRLGEN_FRESH] = "fresh",
	[PKI_CRLGEN_OFFLINE] = "needs_offline_key",
	[PKI_CRLGEN_INACTIVE] = "inactive",
	[PKI_CRLGEN_FAILED] = "failed",
};

static const char *const due_names[PKI_CRLGEN_DUE__MAX] = {
	[PKI_CRLGEN_DUE_NONE] = NULL,
	[PKI_CRLGEN_DUE_MISSING] = "missing",
	[PKI_CRLGEN_DUE_EXPIRING] = "expiring",
	[PKI_CRLGEN_DUE_NEW_BASE] = "new_base",
	[PKI_CRLGEN_DUE_FORCED] = "forced",
};

static const char *const due_text[PKI_CRLGEN_DUE__MAX] = {
	[PKI_CRLGEN_DUE_NONE] = "",
	[PKI_CRLGEN_DUE_MISSING] = "none yet",
	[PKI_CRLGEN_DUE_EXPIRING] = "nextUpdate near",
	[PKI_CRLGEN_DUE_NEW_BASE] = "newer full CRL",
	[PKI_CRLGEN_DUE_FORCED] = "forced",
};

/* pki_crlgen_all's report: one object per line into the array ctx
 * (--json), else one line of text; failures also on stderr. */
static void
all_report(void *ctx, const struct pki_crlgen_report *r)
{
	json_t *a = ctx, *o;
	char shard[32];
	const char *kind = r->delta ? "delta" : "full";

	if (r->shard > 0) {
		snprintf(shard, sizeof(shard), "shard %u", r->shard);
		kind = shard;
	}

	if (r->status == PKI_CRLGEN_FAILED) {
		struct pki_error e = *r->err;

		pki_error_prefix(&e, "CA '%s', %s CRL", r->ca_name, kind);
		(void)spork_fail(&e, NULL);
	}
	if (spork_g.json) {
		o = json_pack("{s:s, s:b, s:s}", "ca", r->ca_name,
			      "delta", r->delta, "status",
			      status_names[r->status]);
		json_object_set_new(o, "shard", r->shard > 0 ?
				    json_integer(r->shard) : json_null());
		json_object_set_new(o, "due", due_names[r->due] ?
				    json_string(due_names[r->due]) : json_null());
		json_object_set_new(o, "reason", r->inactive ?
				    json_string(r->inactive) : json_null());
		if (r->status == PKI_CRLGEN_GENERATED) {
			json_object_set_new(o, "crl_number",
					    json_integer(r->res->crl_number));
			json_object_set_new(o, "entries",
					    json_integer(r->res->entries));
			json_object_set_new(o, "next_update", json_string(
					    spork_time(r->res->next_update)));
			json_object_set_new(o, "der",
					    json_string(r->res->der_path));
		} else if (r->crl_number > 0) {
			json_object_set_new(o, "crl_number",
					    json_integer(r->crl_number));
			json_object_set_new(o, "next_update", json_string(
					    spork_time(r->next_update)));
			json_object_set_new(o, "due_at", json_string(
					    spork_time(r->due_at)));
		}
		json_object_set_new(o, "error", r->err ?
				    json_string(r->err->msg) : json_null());
		json_array_append_new(a, o);
		return;
	}
	if (spork_g.quiet)
		return;
	switch (r->status) {
	case PKI_CRLGEN_GENERATED:
		printf("%s: %s CRL #%lld published (%s), %lld entr%s, "
		       "nextUpdate %s\n", r->ca_name, kind,
		       (long long)r->res->crl_number, due_text[r->due],
		       (long long)r->res->entries,
		       r->res->entries == 1 ? "y" : "ies",
		       spork_time(r->res->next_update));
		break;
	case PKI_CRLGEN_FRESH:
		/* spork_time's buffer is static: one call per printf. */
		printf("%s: %s CRL #%lld is fresh; due at %s", r->ca_name, kind,
		       (long long)r->crl_number, spork_time(r->due_at));
		printf(", nextUpdate %s\n", spork_time(r->next_update));
		break;
	case PKI_CRLGEN_OFFLINE:
		printf("%s: %s CRL due (%s), needs its offline key: spork crl "
		       "generate --ca '%s'%s\n", r->ca_name, kind,
		       due_text[r->due], r->ca_name, r->delta ? " --delta" : "");
		break;
	case PKI_CRLGEN_INACTIVE:
		printf("%s: %s, publishes no CRL\n", r->ca_name, r->inactive);
		break;
	default:
		printf("%s: %s CRL failed\n", r->ca_name, kind);
		break;
	}
}

/*
 * Whether offline keys can be unsealed without asking anyone: a
 * --passphrase-file, or systemd's spork-passphrase credential.
 */
static int
passphrase_source(void)
{
	const char *creds = getenv("CREDENTIALS_DIRECTORY");
	char *path = NULL;
	int yes = 0;

	if (spork_g.passphrase_file != NULL)
		return 1;
	if (creds != NULL && *creds != '\0' &&
	    asprintf(&path, "%s/spork-passphrase", creds) >= 0) {
		yes = access(path, F_OK) == 0;
		free(path);
	}
	return yes;
}

/*
 * generate --all: the state opened for online keys only unless a
 * passphrase source was given, so that an unattended run never touches
 * lockbox/offline (the timer's unit makes it inaccessible).
 */
static int
generate_all(void)
{
	struct pki_state *st = NULL;
	struct pki_crlgen_all_opts opts;
	struct pki_error err;
	json_t *a = json_array();
	unsigned failed = 0;
	int rc;

	memset(&opts, 0, sizeof(opts));
	pki_error_clear(&err);
	opts.force = o_force;
	opts.offline = passphrase_source();
	if (spork_state(opts.offline ? PKI_STATE_CLI : PKI_STATE_ONLINE, 0,
			&st, &err) != PKI_OK ||
	    pki_crlgen_all(st, &opts, all_report, a, &failed, &err) != PKI_OK) {
		rc = spork_fail(&err, NULL);
		goto out;
	}
	if (spork_g.json)
		spork_json_out(json_pack("{s:O, s:i}", "cas", a, "failed",
					 (int)failed));
	rc = failed ? SPORK_EXIT_FAIL : SPORK_EXIT_OK;
out:
	json_decref(a);
	pki_state_close(st);
	return rc;
}

/*
 * A sharded CA: after its whole CRL, each shard's, with the same
 * options; *out gets one object per shard (the caller decrefs).  Stops
 * at the first failure, which is then reported.
 */
static int
generate_shards(struct pki_state *st, const struct pki_crlgen_opts *whole,
		unsigned n, json_t **out)
{
	struct pki_crlgen_opts opts = *whole;
	struct pki_crlgen_result res;
	struct pki_error err;
	json_t *a = json_array(), *o;
	unsigned k;
	int rc = SPORK_EXIT_OK;

	pki_error_clear(&err);
	for (k = 1; k <= n && rc == SPORK_EXIT_OK; k++) {
		opts.shard = k;
		memset(&res, 0, sizeof(res));
		if (pki_crlgen_generate(st, o_ca, &opts, &res, &err) != PKI_OK) {
			pki_error_prefix(&err, "CA '%s', CRL shard %u", o_ca, k);
			rc = spork_fail(&err, NULL);
			break;
		}
		o = json_pack("{s:i, s:I, s:I, s:s, s:s}", "shard", (int)k,
			      "crl_number", (json_int_t)res.crl_number,
			      "entries", (json_int_t)res.entries,
			      "der", res.der_path, "pem", res.pem_path);
		json_object_set_new(o, "url", res.url ? json_string(res.url) :
				    json_null());
		json_object_set_new(o, "idp_url", res.idp_url ?
				    json_string(res.idp_url) : json_null());
		json_array_append_new(a, o);
		pki_crlgen_result_clear(&res);
	}
	*out = a;
	return rc;
}

/* Text lines of generate_shards' objects. */
static void
print_shards(const json_t *a)
{
	const json_t *o;
	size_t i;

	json_array_foreach(a, i, o) {
		long long e = json_integer_value(json_object_get(o, "entries"));

		printf("Shard %lld CRL #%lld: %lld entr%s\n  published   %s\n"
		       "  written     %s\n",
		       (long long)json_integer_value(json_object_get(o, "shard")),
		       (long long)json_integer_value(json_object_get(o,
							      "crl_number")),
		       e, e == 1 ? "y" : "ies",
		       json_string_value(json_object_get(o, "url")),
		       json_string_value(json_object_get(o, "der")));
	}
}

static int
cmd_generate(int argc, const char **argv)
{
	poptContext ctx;
	const char **rest;
	struct pki_state *st = NULL;
	struct pki_crlgen_opts opts;
	struct pki_crlgen_result res;
	struct pki_error err;
	json_t *shards = NULL;
	int nrest, rc;

	memset(&opts, 0, sizeof(opts));
	memset(&res, 0, sizeof(res));
	pki_error_clear(&err);
	if (spork_parse("crl generate", argc, argv, generate_options, NULL,
			&ctx, &rest, &nrest) != 0 || nrest != 0 ||
	    (o_ca == NULL) == !o_all || (o_all && (o_delta || o_next_update)) ||
	    (o_force && !o_all)) {
		if (nrest != 0 || (o_ca == NULL) == !o_all ||
		    (o_all && (o_delta || o_next_update)) ||
		    (o_force && !o_all))
			spork_warnx("usage: spork crl generate --ca NAME "
				    "[--delta] [--next-update DURATION] | "
				    "spork crl generate --all [--force]");
		poptFreeContext(ctx);
		return SPORK_EXIT_USAGE;
	}
	if (o_all) {
		rc = generate_all();
		poptFreeContext(ctx);
		return rc;
	}
	opts.delta = o_delta;
	if (o_next_update != NULL &&
	    (spork_parse_duration(o_next_update, &opts.validity) != 0 ||
	     opts.validity == 0)) {
		spork_warnx("--next-update: '%s' is not a duration such as 7d, "
			    "36h or 90m", o_next_update);
		poptFreeContext(ctx);
		return SPORK_EXIT_USAGE;
	}
	if (spork_state(PKI_STATE_CLI, 0, &st, &err) != PKI_OK ||
	    pki_crlgen_generate(st, o_ca, &opts, &res, &err) != PKI_OK) {
		rc = spork_fail(&err, NULL);
		goto out;
	}
	if (!o_delta && res.shards > 0 &&
	    (rc = generate_shards(st, &opts, res.shards, &shards)) !=
	    SPORK_EXIT_OK)
		goto out;
	if (spork_g.json) {
		json_t *o = json_pack("{s:s, s:I, s:b, s:I, s:s, s:s, s:s, s:s}",
			"ca", o_ca, "crl_number", (json_int_t)res.crl_number,
			"delta", o_delta, "entries", (json_int_t)res.entries,
			"this_update", spork_time(res.this_update),
			"next_update", "", "der", res.der_path,
			"pem", res.pem_path);

		json_object_set_new(o, "next_update",
				    json_string(spork_time(res.next_update)));
		json_object_set_new(o, "base_crl_number", o_delta ?
				    json_integer(res.base_crl_number) : json_null());
		json_object_set_new(o, "idp_url", res.idp_url ?
				    json_string(res.idp_url) : json_null());
		json_object_set_new(o, "url", res.url ?
				    json_string(res.url) : json_null());
		json_object_set_new(o, "shards", shards ? shards : json_array());
		shards = NULL;
		spork_json_out(o);
	} else if (!spork_g.quiet) {
		printf("%s CRL #%lld of '%s': %lld entr%s", o_delta ? "Delta" :
		       "Full", (long long)res.crl_number, o_ca,
		       (long long)res.entries, res.entries == 1 ? "y" : "ies");
		if (o_delta)
			printf(" since CRL #%lld", (long long)res.base_crl_number);
		printf("\n  thisUpdate  %s\n", spork_time(res.this_update));
		printf("  nextUpdate  %s\n", spork_time(res.next_update));
		/* where relying parties fetch it: spork writes the
		 * files, copying them there is the operator's */
		if (res.url)
			printf("  %-11s %s\n", o_delta ? "delta url" : "url",
			       res.url);
		printf("  written     %s\n              %s\n", res.der_path,
		       res.pem_path);
		print_shards(shards);
	}
	rc = SPORK_EXIT_OK;
out:
	json_decref(shards);
	pki_crlgen_result_clear(&res);
	pki_state_close(st);
	poptFreeContext(ctx);
	return rc;
}

/*
 * The CA certificate that issued crl, looked up in the store: 1 found and
 * the signature verifies, 0 no such CA, -1 a CA of that name whose key
 * did not sign it (err says so).
 */
static int
find_issuer(struct pki_store *st, const struct pki_crl *crl,
	    gnutls_x509_crt_t *crt, char **name, struct pki_error *bad)
{
	struct pki_ca_record *v = NULL;
	struct pki_error err;
	size_t n = 0, i;
	int found = 0;

	*crt = NULL;
	*name = NULL;
	if (pki_store_ca_list(st, &v, &n, &err) != PKI_OK)
		return 0;
	for (i = 0; i < n && !found; i++) {
		gnutls_x509_crt_t c = NULL;
		struct pki_error e;

		if (v[i].cert_der.size == 0 || gnutls_x509_crt_init(&c) < 0)
			continue;
		if (gnutls_x509_crt_import(c, &v[i].cert_der, GNUTLS_X509_FMT_DER) >= 0) {
			int r = pki_crl_verify(crl, c, &e);

			if (r == PKI_OK) {
				*crt = c;
				*name = strdup(v[i].name);
				found = 1;
				continue;
			}
			gnutls_datum_t dn = { NULL, 0 };
			int same = gnutls_x509_crt_get_raw_dn(c, &dn) >= 0 &&
				   dn.size == crl->issuer_der.size &&
				   memcmp(dn.data, crl->issuer_der.data, dn.size) == 0;

			gnutls_free(dn.data);
			if (same && found == 0) {
				pki_error_set(bad, PKI_E_INVALID, "the CRL names "
					      "CA '%s' as its issuer but its "
					      "signature does not verify: %s",
					      v[i].name, e.msg);
				found = -1;
			}
		}
		gnutls_x509_crt_deinit(c);
	}
	pki_ca_records_free(v, n);
	return found;
}

static void
print_serial(FILE *f, const struct pki_crl_entry *e)
{
	size_t i = 0;

	while (i + 1 < e->serial_len && e->serial[i] == 0)
		i++;
	for (; i < e->serial_len; i++)
		fprintf(f, "%02X", e->serial[i]);
}

/* The CRL --ca names (the latest full or delta CRL, or --number), read
 * from the store into *rec; *st is left open. */
static int
stored_crl(struct pki_state **state, struct pki_ca_record *ca,
	   struct pki_crl_record *rec, struct pki_error *err)
{
	struct pki_store *st;
	int rc;

	if ((rc = spork_state(PKI_STATE_READ, 0, state, err)) != PKI_OK ||
	    (rc = pki_store_ca_find((st = pki_state_store(*state)), o_ca, ca,
				   err)) != PKI_OK)
		return rc;
	if (o_number >= 0)
		rc = pki_store_crl_get(st, ca->id, o_number, rec, err);
	else
		rc = pki_store_crl_latest(st, ca->id, o_delta ?
					  PKI_STORE_CRL_DELTA :
					  PKI_STORE_CRL_FULL, rec, err);
	if (rc == PKI_E_NOTFOUND)
		pki_error_set(err, PKI_E_NOTFOUND, "CA '%s' has no %s"
			      "CRL%s; spork crl generate --ca '%s'%s "
			      "makes one", o_ca, o_delta ? "delta " : "",
			      o_number >= 0 ? " with that number" : "",
			      o_ca, o_delta ? " --delta" : "");
	return rc;
}

/* The entries of crl (none with --no-entries) as a JSON array. */
static json_t *
entries_json(struct pki_crl *crl)
{
	struct pki_crl_entry e;
	json_t *entries = json_array(), *o;

	while (o_entries && pki_crl_entry_next(crl, &e) == 1) {
		char hex[2 * PKI_CRL_SERIAL_MAX + 1];
		size_t i = 0, k = 0;

		while (i + 1 < e.serial_len && e.serial[i] == 0)
			i++;
		for (; i < e.serial_len; i++, k += 2)
			snprintf(hex + k, 3, "%02X", e.serial[i]);
		hex[k] = '\0';
		o = json_pack("{s:s, s:s}", "serial", hex,
			      "revocation_time", spork_time(e.revocation_time));
		json_object_set_new(o, "reason", e.reason >= 0 ?
			json_string(pki_crl_reason_name(e.reason)) : json_null());
		json_object_set_new(o, "invalidity_date", e.invalidity_date ?
			json_string(spork_time(e.invalidity_date)) : json_null());
		json_array_append_new(entries, o);
	}
	return entries;
}

/* crl as JSON; verified: issuer_name is the CA whose key signed it. */
static void
show_json(struct pki_crl *crl, int verified, const char *issuer_name)
{
	json_t *entries = entries_json(crl), *o;

	o = json_pack("{s:s, s:s, s:b, s:I, s:o}",
		"issuer", crl->issuer, "this_update", spork_time(crl->this_update),
		"delta", crl->is_delta, "entry_count", (json_int_t)crl->entry_count,
		"entries", entries);
	json_object_set_new(o, "next_update", crl->next_update ?
		json_string(spork_time(crl->next_update)) : json_null());
	json_object_set_new(o, "crl_number", crl->has_number ?
		json_integer((json_int_t)crl->number) : json_null());
	json_object_set_new(o, "base_crl_number", crl->is_delta ?
		json_integer((json_int_t)crl->base_number) : json_null());
	json_object_set_new(o, "idp_url", crl->idp_url ?
		json_string(crl->idp_url) : json_null());
	json_object_set_new(o, "freshest_url", crl->freshest_url ?
		json_string(crl->freshest_url) : json_null());
	json_object_set_new(o, "signature_algorithm", json_string(
		crl->sign_algo != GNUTLS_SIGN_UNKNOWN ?
		gnutls_sign_get_name(crl->sign_algo) : crl->sign_oid));
	json_object_set_new(o, "verified_by", verified ?
		json_string(issuer_name) : json_null());
	spork_json_out(o);
}

/* crl as text; verified: issuer_name is the CA whose key signed it. */
static void
show_text(struct pki_crl *crl, int verified, const char *issuer_name)
{
	struct pki_crl_entry e;

	printf("%s CRL", crl->is_delta ? "Delta" : "Full");
	if (crl->has_number)
		printf(" #%llu", (unsigned long long)crl->number);
	if (crl->is_delta)
		printf(" (on full CRL #%llu)",
		       (unsigned long long)crl->base_number);
	printf("\n  issuer      %s\n", crl->issuer);
	printf("  thisUpdate  %s\n", spork_time(crl->this_update));
	printf("  nextUpdate  %s\n", crl->next_update ?
	       spork_time(crl->next_update) : "(none)");
	printf("  signature   %s, %s\n",
	       crl->sign_algo != GNUTLS_SIGN_UNKNOWN ?
	       gnutls_sign_get_name(crl->sign_algo) : crl->sign_oid,
	       verified ? "verified" : "not checked (issuer not in "
	       "the state directory)");
	if (verified)
		printf("  issued by   CA '%s'\n", issuer_name);
	if (crl->idp_url)
		printf("  IDP         %s\n", crl->idp_url);
	if (crl->freshest_url)
		printf("  deltas at   %s\n", crl->freshest_url);
	printf("  entries     %zu\n", crl->entry_count);
	while (o_entries && pki_crl_entry_next(crl, &e) == 1) {
		printf("    ");
		print_serial(stdout, &e);
		printf("  %s", spork_time(e.revocation_time));
		if (e.reason >= 0)
			printf("  %s", pki_crl_reason_name(e.reason));
		if (e.invalidity_date)
			printf("  invalid since %s",
			       spork_time(e.invalidity_date));
		printf("\n");
	}
}

static int
cmd_show(int argc, const char **argv)
{
	poptContext ctx;
	const char **rest;
	struct pki_state *state = NULL;
	struct pki_crl *crl = NULL;
	struct pki_crl_record rec;
	struct pki_ca_record ca;
	struct pki_error err;
	gnutls_datum_t file = { NULL, 0 };
	gnutls_x509_crt_t issuer = NULL;
	char *issuer_name = NULL;
	int nrest, rc, verified = 0;

	memset(&rec, 0, sizeof(rec));
	memset(&ca, 0, sizeof(ca));
	pki_error_clear(&err);
	if (spork_parse("crl show", argc, argv, show_options, "[FILE]", &ctx,
			&rest, &nrest) != 0 || (nrest == 1) == (o_ca != NULL) ||
	    nrest > 1) {
		if (nrest > 1 || (nrest == 1) == (o_ca != NULL))
			spork_warnx("usage: spork crl show --ca NAME [--delta|"
				    "--number N] | spork crl show FILE");
		poptFreeContext(ctx);
		return SPORK_EXIT_USAGE;
	}
	if (o_ca != NULL) {
		if (stored_crl(&state, &ca, &rec, &err) != PKI_OK)
			goto fail;
		file = rec.der;           /* the parse takes it */
		rec.der.data = NULL;
		rec.der.size = 0;
	} else if (pki_file_read(rest[0], PKI_CRL_MAX_SIZE, &file, &err) !=
		   PKI_OK) {
		goto fail;
	}
	if (pki_crl_parse_take(&file, &crl, &err) != PKI_OK) {
		pki_error_prefix(&err, "%s", o_ca ? o_ca : rest[0]);
		goto fail;
	}
	/* Check the signature against the CA in the state directory. */
	if (state == NULL) {
		char *db = pki_state_path_of(spork_state_dir(), PKI_STATE_DB);

		if (db != NULL && access(db, F_OK) == 0 &&
		    spork_state(PKI_STATE_READ, 0, &state, &err) != PKI_OK)
			state = NULL;
		free(db);
	}
	if (state != NULL &&
	    (verified = find_issuer(pki_state_store(state), crl, &issuer,
				    &issuer_name, &err)) < 0)
		goto fail;

	if (spork_g.json)
		show_json(crl, verified, issuer_name);
	else if (!spork_g.quiet)
		show_text(crl, verified, issuer_name);
	rc = SPORK_EXIT_OK;
	goto out;
fail:
	rc = spork_fail(&err, NULL);
out:
	if (issuer != NULL)
		gnutls_x509_crt_deinit(issuer);
	free(issuer_name);
	pki_crl_free(crl);
	pki_crl_record_clear(&rec);
	pki_ca_record_clear(&ca);
	gnutls_free(file.data);
	pki_state_close(state);
	poptFreeContext(ctx);
	return rc;
}

int
spork_cmd_crl(int argc, const char **argv)
{
	static const struct spork_cmd cmds[] = {
		{ "generate", cmd_generate },
		{ "show", cmd_show },
	};

	return spork_dispatch("crl", argc, argv, cmds,
			      sizeof(cmds) / sizeof(cmds[0]), crl_usage);
}
