/*
 * spork audit: list | verify (spork-audit(1)).  The rows and the chain
 * checks are libpki/audit; this file reads options and prints.
 *
 * Security notes: actor, object and detail come from the database and
 * may have been written by someone else; control characters in them are
 * shown as '?' so that a row cannot drive the terminal.
 */
#include <config.h>

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include <spork/audit.h>

static int show_help, o_refusals, o_reverse;
static const char *o_since, *o_until, *o_action, *o_object;
static long long o_limit = LLONG_MIN;   /* LLONG_MIN: not given */

#define HELP_OPTION \
	{ "help", 'h', POPT_ARG_NONE, &show_help, 'h', "show this help", NULL }

static const struct poptOption list_options[] = {
	{ "since", '\0', POPT_ARG_STRING, &o_since, 0,
	  "rows at or after TIME (2026-01-02T03:04:05Z, 2026-01-02, or 7d, "
	  "12h, 30m ago)", "TIME" },
	{ "until", '\0', POPT_ARG_STRING, &o_until, 0,
	  "rows at or before TIME (a date alone: to the end of that day)",
	  "TIME" },
	{ "action", '\0', POPT_ARG_STRING, &o_action, 0,
	  "actions starting with PREFIX (cert., cert.revoke, pki.build)",
	  "PREFIX" },
	{ "object", '\0', POPT_ARG_STRING, &o_object, 0,
	  "rows about this object (a CA name or a certificate serial)",
	  "NAME" },
	{ "limit", '\0', POPT_ARG_LONGLONG, &o_limit, 0,
	  "only the newest N matching rows", "N" },
	{ "reverse", '\0', POPT_ARG_NONE, &o_reverse, 0,
	  "the newest first", NULL },
	{ "refusals", '\0', POPT_ARG_NONE, &o_refusals, 0,
	  "list what was refused (policy denials, wrong passphrases, "
	  "tampered keys) instead of the changes", NULL },
	SPORK_COMMON_OPTIONS,
	HELP_OPTION,
	POPT_TABLEEND
};

static const struct poptOption verify_options[] = {
	SPORK_COMMON_OPTIONS,
	HELP_OPTION,
	POPT_TABLEEND
};

static void
audit_usage(FILE *f)
{
	fprintf(f, "usage: spork audit <command> [options]\n\n"
		"Commands:\n"
		"  list    [--since T] [--until T] [--action PREFIX] "
		"[--object NAME] [--limit N]\n"
		"          [--refusals] [--reverse]\n"
		"                   the audit rows (or the refusals), oldest "
		"first (--reverse:\n"
		"                   newest first)\n"
		"  verify           walk the hash chain and cross-check the data; "
		"name altered,\n"
		"                   inserted and deleted rows\n"
		"\nRun 'spork audit <command> --help' for options; see "
		"spork-audit(1).\n");
}

static int usage_fail(poptContext ctx, const char *fmt, ...) PKI_PRINTF(2, 3);

/* A bad command line: say why and return exit code 2. */
static int
usage_fail(poptContext ctx, const char *fmt, ...)
{
	va_list ap;

	fputs("spork: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	poptPrintUsage(ctx, stderr, 0);
	return SPORK_EXIT_USAGE;
}

/* Parse, allowing no positional arguments. */
static int
parse(const char *cmd, int argc, const char **argv,
      const struct poptOption *table, poptContext *ctx)
{
	const char **rest;
	int nrest = 0;

	if (spork_parse(cmd, argc, argv, table, NULL, ctx, &rest, &nrest) != 0)
		return -1;
	if (nrest != 0) {
		spork_warnx("%s takes no arguments ('%s'?)", cmd, rest[0]);
		poptPrintUsage(*ctx, stderr, 0);
		return -1;
	}
	return 0;
}

/*
 * A time for --since/--until: 2026-01-02T03:04:05Z; 2026-01-02 (its
 * first second, or with end_of_day its last); @SECONDS since the epoch;
 * or a duration before now: 90s, 30m, 12h, 7d, 2w.  A bare number is
 * refused (seconds since the epoch, or days ago?).
 */
static int
parse_time(const char *s, int end_of_day, int64_t *t)
{
	char buf[64], *end;
	long long v;
	int64_t ago;

	if (strlen(s) == 10 && s[4] == '-' && s[7] == '-') {
		snprintf(buf, sizeof(buf), "%sT00:00:00Z", s);
		if (pki_time_parse(buf, t) != 0)
			return -1;
		if (end_of_day)
			*t += 86399;
		return 0;
	}
	if (strchr(s, 'T') != NULL)
		return pki_time_parse(s, t) == PKI_OK ? 0 : -1;
	if (s[0] == '@') {
		errno = 0;
		v = strtoll(s + 1, &end, 10);
		if (errno != 0 || end == s + 1 || *end != '\0' || v < 0)
			return -1;
		*t = v;
		return 0;
	}
	/* a duration ago; a bare number is ambiguous here */
	if (s[0] == '\0' || strchr("smhdw", s[strlen(s) - 1]) == NULL ||
	    spork_parse_duration(s, &ago) != 0)
		return -1;
	*t = spork_now() - ago;
	return 0;
}

static int
width_of(const char *s, int w)
{
	size_t n = s != NULL ? strlen(s) : 0;

	if (n > 200)
		n = 200;        /* a very long field does not widen the table */
	return (int)n > w ? (int)n : w;
}

/* A row's uid as text: "-" when it was not recorded. */
static const char *
uid_str(const struct pki_audit_row *r, char buf[32])
{
	if (r->uid < 0)
		return "-";
	snprintf(buf, 32, "%lld", (long long)r->uid);
	return buf;
}

/* A refusal's detail {"error":..,"message":..} as "error: message". */
static void
put_refusal(const char *detail)
{
	json_t *o = detail ? json_loads(detail, 0, NULL) : NULL;
	const char *e = json_string_value(json_object_get(o, "error"));
	const char *m = json_string_value(json_object_get(o, "message"));

	if (e != NULL && m != NULL) {
		spork_put_clean(stdout, e, 0);
		fputs(": ", stdout);
		spork_put_clean(stdout, m, 0);
	} else {
		spork_put_clean(stdout, detail ? detail : "-", 0);
	}
	json_decref(o);
}

static void
print_table(const struct pki_audit_row *v, size_t n, int refusals)
{
	int wid = 2, wactor = 5, wuid = 3, waction = 6, wobject = 6;
	char id[32], uid[32];
	size_t i;

	for (i = 0; i < n; i++) {
		snprintf(id, sizeof(id), "%lld", (long long)v[i].id);
		wid = width_of(id, wid);
		wactor = width_of(v[i].actor, wactor);
		wuid = width_of(uid_str(&v[i], uid), wuid);
		waction = width_of(v[i].action, waction);
		wobject = width_of(v[i].object, wobject);
	}
	printf("%*s  %-20s  %-*s  %-*s  %-*s  %-*s  %s\n", wid, "ID", "TIME",
	       wactor, "ACTOR", wuid, "UID", waction, "ACTION", wobject,
	       "OBJECT", refusals ? "REFUSED" : "DETAIL");
	for (i = 0; i < n; i++) {
		printf("%*lld  %-20s  ", wid, (long long)v[i].id,
		       spork_time(v[i].ts));
		spork_put_clean(stdout, v[i].actor, wactor);
		printf("  %-*s  ", wuid, uid_str(&v[i], uid));
		spork_put_clean(stdout, v[i].action, waction);
		fputs("  ", stdout);
		spork_put_clean(stdout, v[i].object, wobject);
		fputs("  ", stdout);
		if (refusals)
			put_refusal(v[i].detail);
		else
			spork_put_clean(stdout, v[i].detail ? v[i].detail : "-",
					0);
		putchar('\n');
	}
}

static json_t *
row_json(const struct pki_audit_row *r, int refusals)
{
	json_t *o = json_object(), *detail = NULL;
	json_error_t jerr;

	if (r->detail != NULL &&
	    (detail = json_loads(r->detail, JSON_DECODE_ANY, &jerr)) == NULL)
		detail = json_string(r->detail);  /* not JSON: as written */
	json_object_set_new(o, "id", json_integer((json_int_t)r->id));
	json_object_set_new(o, "time", json_string(spork_time(r->ts)));
	json_object_set_new(o, "ts", json_integer((json_int_t)r->ts));
	json_object_set_new(o, "actor", json_string(r->actor ? r->actor : ""));
	json_object_set_new(o, "uid", r->uid >= 0 ?
			    json_integer((json_int_t)r->uid) : json_null());
	json_object_set_new(o, "action", json_string(r->action ? r->action : ""));
	json_object_set_new(o, "object", json_string(r->object ? r->object : ""));
	json_object_set_new(o, "detail", detail ? detail : json_null());
	if (refusals)
		return o;       /* refusals are not chained */
	json_object_set_new(o, "prev_hash", json_string(r->prev_hash ?
							r->prev_hash : ""));
	json_object_set_new(o, "hash", json_string(r->hash ? r->hash : ""));
	return o;
}

static int
cmd_list(int argc, const char **argv)
{
	poptContext ctx;
	struct pki_audit_filter f;
	struct pki_audit_row *rows = NULL;
	struct pki_state *state = NULL;
	struct pki_store *st = NULL;
	struct pki_error err;
	char serial[2 * PKI_STORE_SERIAL_MAX + 1];
	json_t *a;
	size_t n = 0, i;
	int rc = SPORK_EXIT_USAGE;

	pki_error_clear(&err);
	memset(&f, 0, sizeof(f));
	if (parse("audit list", argc, argv, list_options, &ctx) != 0)
		goto out;
	if (o_since != NULL && parse_time(o_since, 0, &f.since) != 0) {
		rc = usage_fail(ctx, "--since takes 2026-01-02T03:04:05Z, "
				"2026-01-02, @SECONDS or a duration ago like "
				"7d, 12h, 30m; not '%s'", o_since);
		goto out;
	}
	if (o_until != NULL && parse_time(o_until, 1, &f.until) != 0) {
		rc = usage_fail(ctx, "--until takes 2026-01-02T03:04:05Z, "
				"2026-01-02, @SECONDS or a duration ago like "
				"7d, 12h, 30m; not '%s'", o_until);
		goto out;
	}
	if (o_since != NULL && o_until != NULL && f.since > f.until) {
		rc = usage_fail(ctx, "--since %s is after --until %s", o_since,
				o_until);
		goto out;
	}
	if (o_limit != LLONG_MIN && o_limit <= 0) {
		rc = usage_fail(ctx, "--limit needs a positive number");
		goto out;
	}
	f.limit = o_limit > 0 ? (size_t)o_limit : 0;
	f.action_prefix = o_action;
	f.object = o_object;
	f.refusals = o_refusals;
	if (spork_state(PKI_STATE_READ, 0, &state, &err) != PKI_OK ||
	    pki_audit_list((st = pki_state_store(state)), &f, &rows, &n,
			   &err) != PKI_OK) {
		rc = spork_fail(&err, NULL);
		goto out;
	}
	/* a serial typed in another spelling (lower case, colons) */
	if (n == 0 && o_object != NULL &&
	    pki_store_serial_canon(o_object, serial, sizeof(serial),
				   NULL) == PKI_OK &&
	    strcmp(serial, o_object) != 0) {
		f.object = serial;
		pki_audit_rows_free(rows, n);
		rows = NULL;
		if (pki_audit_list(st, &f, &rows, &n, &err) != PKI_OK) {
			rc = spork_fail(&err, NULL);
			goto out;
		}
	}
	for (i = 0; o_reverse && i < n / 2; i++) {
		struct pki_audit_row tmp = rows[i];

		rows[i] = rows[n - 1 - i];
		rows[n - 1 - i] = tmp;
	}
	if (spork_g.json) {
		a = json_array();
		for (i = 0; i < n; i++)
			json_array_append_new(a, row_json(&rows[i], o_refusals));
		spork_json_out(json_pack("{s:I, s:o}", "count", (json_int_t)n,
					 "rows", a));
	} else if (!spork_g.quiet) {
		if (n > 0)
			print_table(rows, n, o_refusals);
		else
			fprintf(stderr, "no %s match\n", o_refusals ?
				"refusals" : "audit rows");
	}
	rc = SPORK_EXIT_OK;
out:
	pki_audit_rows_free(rows, n);
	pki_state_close(state);
	poptFreeContext(ctx);
	return rc;
}

static const char *
problem_tag(enum pki_audit_problem_kind k)
{
	switch (k) {
	case PKI_AUDIT_ALTERED: return "ALTERED";
	case PKI_AUDIT_INSERTED: return "INSERTED";
	case PKI_AUDIT_DELETED: return "DELETED";
	case PKI_AUDIT_RELINKED: return "RELINKED";
	case PKI_AUDIT_TRUNCATED: return "TRUNCATED";
	case PKI_AUDIT_HEAD: return "HEAD";
	case PKI_AUDIT_UNLOGGED: return "UNLOGGED";
	case PKI_AUDIT_ORPHAN: return "ORPHAN";
	case PKI_AUDIT_DAMAGED: return "DAMAGED";
	default: return "PROBLEM";
	}
}

/* pki_audit_problem_fn: one line, or one element of the JSON array. */
static void
on_problem(void *vctx, const struct pki_audit_problem *p)
{
	json_t *a = vctx;

	if (a != NULL)
		json_array_append_new(a, json_pack("{s:s, s:I, s:I, s:s}",
			"kind", pki_audit_problem_name(p->kind),
			"id", (json_int_t)p->id,
			"last_id", (json_int_t)p->last_id,
			"message", p->msg));
	else if (!spork_g.quiet)
		printf("%-9s  %s\n", problem_tag(p->kind), p->msg);
}

static int
cmd_verify(int argc, const char **argv)
{
	poptContext ctx;
	struct pki_state *state = NULL;
	struct pki_store *st = NULL;
	struct pki_audit_result res;
	struct pki_error err, xerr;
	json_t *problems = NULL;
	int64_t xn = 0;
	int rc = SPORK_EXIT_USAGE, vrc, xrc;

	pki_error_clear(&err);
	pki_error_clear(&xerr);
	memset(&res, 0, sizeof(res));
	if (parse("audit verify", argc, argv, verify_options, &ctx) != 0)
		goto out;
	if (spork_state(PKI_STATE_READ, 0, &state, &err) != PKI_OK) {
		rc = spork_fail(&err, NULL);
		goto out;
	}
	st = pki_state_store(state);
	if (spork_g.json)
		problems = json_array();
	vrc = pki_audit_verify(st, on_problem, problems, &res, &err);
	if (vrc != PKI_OK && vrc != PKI_E_AUTH) {
		rc = spork_fail(&err, NULL);  /* could not read the log */
		goto out;
	}
	/* the tables against the log: what the chain cannot see */
	xrc = pki_audit_crosscheck(st, on_problem, problems, &xn, &xerr);
	if (xrc != PKI_OK && xrc != PKI_E_AUTH) {
		rc = spork_fail(&xerr, NULL);
		goto out;
	}
	if (vrc == PKI_OK && xrc != PKI_OK) {
		vrc = xrc;
		err = xerr;
	}
	if (spork_g.json) {
		spork_json_out(json_pack("{s:b, s:I, s:I, s:s, s:o}",
			"intact", vrc == PKI_OK,
			"rows", (json_int_t)res.rows,
			"last_id", (json_int_t)res.last_id,
			"head", res.head_hash,
			"problems", problems));
		problems = NULL;
	} else if (!spork_g.quiet && vrc == PKI_OK) {
		printf("audit log intact: %lld row%s, head %s\n",
		       (long long)res.rows, res.rows == 1 ? "" : "s",
		       res.head_hash);
	}
	rc = vrc == PKI_OK ? SPORK_EXIT_OK : spork_fail(&err, NULL);
out:
	json_decref(problems);
	pki_state_close(state);
	poptFreeContext(ctx);
	return rc;
}

int
spork_cmd_audit(int argc, const char **argv)
{
	static const struct spork_cmd cmds[] = {
		{ "list", cmd_list },
		{ "verify", cmd_verify },
	};

	return spork_dispatch("audit", argc, argv, cmds,
			      sizeof(cmds) / sizeof(cmds[0]), audit_usage);
}
