/*
 * spork config: check (spork(1), spork.toml(5)).  Reads spork.toml the
 * way every command does (libpki/config) and reports every problem at
 * once as file:line:col.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include <spork/config.h>

static int show_help;

static const struct poptOption check_options[] = {
	SPORK_COMMON_OPTIONS,
	{ "help", 'h', POPT_ARG_NONE, &show_help, 'h', "show this help", NULL },
	POPT_TABLEEND
};

static void
config_usage(FILE *f)
{
	fprintf(f, "usage: spork config <command> [options]\n\n"
		"Commands:\n"
		"  check [FILE]   check spork.toml (default: --config, "
		"$SPORK_CONFIG, or <state>/spork.toml)\n"
		"\nSee spork(1) and spork.toml(5).\n");
}

static json_t *
config_json(const char *path, const struct pki_config *c,
	    const struct pki_diags *d)
{
	json_t *o = json_object(), *a = json_array();
	size_t i;

	json_object_set_new(o, "file", json_string(path));
	json_object_set_new(o, "valid", json_boolean(c != NULL));
	for (i = 0; d != NULL && i < d->n; i++) {
		json_t *e = json_object();

		json_object_set_new(e, "line", json_integer(d->v[i].line));
		json_object_set_new(e, "column", json_integer(d->v[i].column));
		json_object_set_new(e, "message", json_string(d->v[i].msg));
		json_array_append_new(a, e);
	}
	if (d != NULL && d->more > 0) {
		char msg[64];

		snprintf(msg, sizeof(msg), "and %zu more problem%s not shown",
			 d->more, d->more == 1 ? "" : "s");
		json_array_append_new(a, json_pack("{s:i, s:i, s:s}", "line",
						   (json_int_t)0, "column",
						   (json_int_t)0, "message",
						   msg));
	}
	json_object_set_new(o, "errors", a);
	return o;
}

static int
cmd_check(int argc, const char **argv)
{
	struct pki_diags d = { 0, NULL, 0 };
	struct pki_config *c = NULL;
	struct pki_error err;
	poptContext ctx = NULL;
	const char **rest = NULL, *path;
	char *found = NULL;
	int nrest = 0, rc = SPORK_EXIT_USAGE;

	pki_error_clear(&err);
	if (spork_parse("config check", argc, argv, check_options, "[FILE]",
			&ctx, &rest, &nrest) != 0 || nrest > 1)
		goto out;
	if (nrest == 1) {
		path = rest[0];
	} else if ((path = found = spork_config_path(1)) == NULL) {
		spork_warnx("out of memory");
		rc = SPORK_EXIT_FAIL;
		goto out;
	}
	if (pki_config_load(path, &c, &d, &err) != PKI_OK && d.n == 0) {
		if (spork_g.json && err.code != PKI_E_NOTFOUND) {
			struct pki_diag one = { err.line, err.column, err.msg };
			struct pki_diags single = { 1, &one, 0 };

			spork_json_out(config_json(path, NULL, &single));
			rc = spork_exit_code(err.code);
		} else {
			if (err.code == PKI_E_NOTFOUND)
				pki_error_set(&err, PKI_E_NOTFOUND, "%s does not "
					      "exist", path);
			rc = spork_fail(&err, path);
		}
		goto out;
	}
	if (spork_g.json)
		spork_json_out(config_json(path, c, &d));
	else
		spork_print_diags(path, &d);
	if (c == NULL) {
		rc = SPORK_EXIT_INVALID;
		goto out;
	}
	if (!spork_g.json && !spork_g.quiet)
		printf("%s: OK\n", path);
	rc = SPORK_EXIT_OK;
out:
	pki_diags_clear(&d);
	pki_config_free(c);
	free(found);
	if (ctx != NULL)
		poptFreeContext(ctx);
	return rc;
}

int
spork_cmd_config(int argc, const char **argv)
{
	static const struct spork_cmd cmds[] = {
		{ "check", cmd_check },
	};

	return spork_dispatch("config", argc, argv, cmds,
			      sizeof(cmds) / sizeof(cmds[0]), config_usage);
}
