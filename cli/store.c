/*
 * spork store: backup | check (spork-store(1)).  The copy and the checks
 * are libpki's (pki_store_backup, pki_store_check); this file reads
 * options and prints.
 *
 * Security notes: both commands open the state directory for reading
 * only (no key is loaded).  The backup is written to a new file of mode
 * 0600 (it holds everything but the sealed keys) and never over an
 * existing one.  Problem messages quote the database, which someone else
 * may have written: control characters in them are shown as '?'.
 */
#include <config.h>

#include <stdio.h>
#include <string.h>

#include "common.h"
#include <spork/audit.h>

static int show_help;

#define HELP_OPTION \
	{ "help", 'h', POPT_ARG_NONE, &show_help, 'h', "show this help", NULL }

static const struct poptOption store_options[] = {
	SPORK_COMMON_OPTIONS,
	HELP_OPTION,
	POPT_TABLEEND
};

static void
store_usage(FILE *f)
{
	fprintf(f, "usage: spork store <command> [options]\n\n"
		"Commands:\n"
		"  backup FILE      copy the database into FILE, consistently "
		"while other\n"
		"                   processes run, and verify the copy\n"
		"  check            check every page, the audit chain, and the "
		"data against it\n"
		"\nRun 'spork store <command> --help' for options; see "
		"spork-store(1).\n");
}

/* msg with control characters shown as '?', then a newline. */
static void
put_line(const char *tag, const char *msg)
{
	const unsigned char *c;

	printf("%-9s  ", tag);
	for (c = (const unsigned char *)msg; *c != '\0'; c++)
		putchar(*c < 0x20 || *c == 0x7f ? '?' : *c);
	putchar('\n');
}

/* pki_audit_problem_fn: one line, or one element of the JSON array. */
static void
on_problem(void *vctx, const struct pki_audit_problem *p)
{
	json_t *a = vctx;
	char tag[16];
	size_t i;

	if (a != NULL) {
		json_array_append_new(a, json_pack("{s:s, s:I, s:I, s:s}",
			"kind", pki_audit_problem_name(p->kind),
			"id", (json_int_t)p->id,
			"last_id", (json_int_t)p->last_id,
			"message", p->msg));
		return;
	}
	if (spork_g.quiet)
		return;
	snprintf(tag, sizeof(tag), "%s", pki_audit_problem_name(p->kind));
	for (i = 0; tag[i] != '\0'; i++)
		if (tag[i] >= 'a' && tag[i] <= 'z')
			tag[i] = (char)(tag[i] - 'a' + 'A');
	put_line(tag, p->msg);
}

/* Open the state for reading; the parsed positional arguments in rest. */
static int
open_state(const char *cmd, int argc, const char **argv, int want,
	   const char *args_help, poptContext *ctx, const char ***rest,
	   struct pki_state **state, struct pki_error *err)
{
	int nrest = 0;

	if (spork_parse(cmd, argc, argv, store_options, args_help, ctx, rest,
			&nrest) != 0)
		return SPORK_EXIT_USAGE;
	if (nrest != want) {
		spork_warnx(want ? "%s needs %s" : "%s takes no arguments%s",
			    cmd, want ? args_help : "");
		poptPrintUsage(*ctx, stderr, 0);
		return SPORK_EXIT_USAGE;
	}
	if (spork_state(PKI_STATE_READ, 0, state, err) != PKI_OK)
		return spork_fail(err, NULL);
	return SPORK_EXIT_OK;
}

static int
cmd_backup(int argc, const char **argv)
{
	poptContext ctx = NULL;
	struct pki_state *state = NULL;
	struct pki_store_check_result res;
	struct pki_error err;
	const char **rest = NULL;
	int rc;

	pki_error_clear(&err);
	memset(&res, 0, sizeof(res));
	rc = open_state("store backup", argc, argv, 1, "FILE", &ctx, &rest,
			&state, &err);
	if (rc != SPORK_EXIT_OK)
		goto out;
	if (pki_store_backup(pki_state_store(state), rest[0], &res,
			     &err) != PKI_OK) {
		rc = spork_fail(&err, NULL);
		goto out;
	}
	if (spork_g.json)
		spork_json_out(json_pack("{s:s, s:b, s:I, s:s}", "file", rest[0],
			"verified", 1, "audit_rows",
			(json_int_t)res.audit.rows, "head",
			res.audit.head_hash));
	else if (!spork_g.quiet)
		printf("backup written to %s and verified: %lld audit row%s, "
		       "head %s\n", rest[0], (long long)res.audit.rows,
		       res.audit.rows == 1 ? "" : "s", res.audit.head_hash);
	rc = SPORK_EXIT_OK;
out:
	pki_state_close(state);
	poptFreeContext(ctx);
	return rc;
}

static int
cmd_check(int argc, const char **argv)
{
	poptContext ctx = NULL;
	struct pki_state *state = NULL;
	struct pki_store_check_result res;
	struct pki_error err;
	const char **rest = NULL;
	json_t *problems = NULL;
	int rc, crc;

	pki_error_clear(&err);
	memset(&res, 0, sizeof(res));
	rc = open_state("store check", argc, argv, 0, NULL, &ctx, &rest,
			&state, &err);
	if (rc != SPORK_EXIT_OK)
		goto out;
	if (spork_g.json)
		problems = json_array();
	crc = pki_store_check(pki_state_store(state), on_problem, problems,
			      &res, &err);
	if (crc != PKI_OK && res.problems == 0) {
		rc = spork_fail(&err, NULL);  /* could not be read at all */
		goto out;
	}
	if (spork_g.json) {
		spork_json_out(json_pack("{s:b, s:b, s:I, s:I, s:s, s:o}",
			"ok", crc == PKI_OK, "damaged", res.damaged > 0,
			"audit_rows", (json_int_t)res.audit.rows,
			"problem_count", (json_int_t)res.problems,
			"head", res.audit.head_hash, "problems", problems));
		problems = NULL;
	} else if (!spork_g.quiet && crc == PKI_OK) {
		printf("database intact: every page readable, audit log intact "
		       "(%lld row%s, head %s), data and log agree\n",
		       (long long)res.audit.rows,
		       res.audit.rows == 1 ? "" : "s", res.audit.head_hash);
	}
	rc = crc == PKI_OK ? SPORK_EXIT_OK : spork_fail(&err, NULL);
out:
	json_decref(problems);
	pki_state_close(state);
	poptFreeContext(ctx);
	return rc;
}

int
spork_cmd_store(int argc, const char **argv)
{
	static const struct spork_cmd cmds[] = {
		{ "backup", cmd_backup },
		{ "check", cmd_check },
	};

	return spork_dispatch("store", argc, argv, cmds,
			      sizeof(cmds) / sizeof(cmds[0]), store_usage);
}
