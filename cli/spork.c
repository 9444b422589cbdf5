/*
 * spork: command-line PKI toolkit.  main() dispatches to one command
 * group per file (cli/<group>.c); see spork(1).
 */
#include <config.h>

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/gnutls.h>
#include <spork/process.h>

#include "common.h"

struct group {
	const char *name;
	int (*run)(int argc, const char **argv);
	const char *summary;
};

static const struct group groups[] = {
	{ "pki", spork_cmd_pki, "build and inspect the CA hierarchy" },
	{ "cert", spork_cmd_cert, "issue, list, renew and revoke certificates" },
	{ "crl", spork_cmd_crl, "generate and show revocation lists" },
	{ "policy", spork_cmd_policy, "check names against the domain policy" },
	{ "audit", spork_cmd_audit, "list and verify the audit log" },
	{ "store", spork_cmd_store, "back up and check the database" },
	{ "config", spork_cmd_config, "check the settings file spork.toml" },
	{ "tls", spork_cmd_tls, "the handlers' own TLS certificate" },
	{ "ocsp", spork_cmd_ocsp, "OCSP signers and pre-signed responses" },
	{ NULL, NULL, NULL }
};

static void
usage(FILE *f)
{
	const struct group *g;

	fprintf(f, "usage: spork [global options] <group> <command> "
		"[options] [arguments]\n\n"
		"Groups:\n");
	for (g = groups; g->name != NULL; g++)
		fprintf(f, "  %-8s %s\n", g->name, g->summary);
	fprintf(f, "\nGlobal options (before the group, between group and "
		"command, or after it):\n"
		"  -d, --state-dir DIR      state directory (default "
		"$SPORK_STATE_DIR or /var/lib/spork)\n"
		"      --config FILE        settings file (default $SPORK_CONFIG "
		"or <state>/spork.toml)\n"
		"      --passphrase-file FILE  the passphrase of offline keys\n"
		"      --json               machine-readable output\n"
		"  -q, --quiet              print nothing but errors\n"
		"\nRun 'spork help <group>' or 'spork <group> --help' for the "
		"commands of a group, and see spork(1).\n");
}

static const struct group *
find_group(const char *name)
{
	const struct group *g;
	const char *names[16], *near;
	size_t n = 0;

	for (g = groups; g->name != NULL; g++)
		if (strcmp(name, g->name) == 0)
			return g;
	for (g = groups; g->name != NULL && n + 1 < 16; g++)
		names[n++] = g->name;
	names[n] = NULL;
	near = spork_closest(name, names);
	spork_warnx("unknown command group '%s'%s%s%s; 'spork --help' lists "
		    "the groups", name, near ? "; did you mean '" : "",
		    near ? near : "", near ? "'?" : "");
	return NULL;
}

int
main(int argc, const char **argv)
{
	const struct group *g;
	struct pki_error err;
	const char **gargv = NULL;
	int ret, rc, i = 1, j, gargc;

	/* Before any key can be in memory: no core dump, no ptrace. */
	pki_error_clear(&err);
	if (pki_process_protect(&err) != PKI_OK)
		return spork_fail(&err, NULL);
	setlocale(LC_ALL, "");
	/* Global options may come before the group ... */
	if (spork_global_args(argc, argv, &i, 1) != 0)
		return SPORK_EXIT_USAGE;
	if (i >= argc) {
		usage(stderr);
		return SPORK_EXIT_USAGE;
	}
	if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0 ||
	    (strcmp(argv[i], "help") == 0 && i + 1 >= argc)) {
		usage(stdout);
		return SPORK_EXIT_OK;
	}
	if (strcmp(argv[i], "--version") == 0 || strcmp(argv[i], "version") == 0) {
		printf("spork %s (libpki %s, GnuTLS %s)\n", PACKAGE_VERSION,
		       pki_version(), gnutls_check_version(NULL));
		return SPORK_EXIT_OK;
	}
	if (argv[i][0] == '-' && argv[i][1] != '\0' &&
	    strcmp(argv[i - 1], "--") != 0) {
		(void)spork_global_args(argc, argv, &i, 0);
		return SPORK_EXIT_USAGE;
	}
	/* "spork help GROUP [COMMAND]" is "spork GROUP help [COMMAND]" */
	if (strcmp(argv[i], "help") == 0) {
		if ((g = find_group(argv[i + 1])) == NULL)
			return SPORK_EXIT_USAGE;
		argv[i + 1] = "help";
	} else if ((g = find_group(argv[i])) == NULL) {
		return SPORK_EXIT_USAGE;
	}
	/* ... and between the group and its command (after the command,
	 * each command's popt table takes them). */
	j = i + 1;
	if (spork_global_args(argc, argv, &j, 1) != 0)
		return SPORK_EXIT_USAGE;
	/* The group sees argv as "<group> <command> ...". */
	gargc = 1 + argc - j;
	if ((gargv = calloc((size_t)gargc + 1, sizeof(*gargv))) == NULL) {
		spork_warnx("out of memory");
		return SPORK_EXIT_FAIL;
	}
	gargv[0] = g->name;
	memcpy(gargv + 1, argv + j, (size_t)(argc - j) * sizeof(*gargv));
	if ((ret = gnutls_global_init()) < 0) {
		spork_warnx("gnutls_global_init: %s", gnutls_strerror(ret));
		free(gargv);
		return SPORK_EXIT_FAIL;
	}
	rc = g->run(gargc, gargv);
	gnutls_global_deinit();
	free(gargv);
	fflush(stdout);
	if (ferror(stdout)) {
		spork_warnx("error writing to standard output");
		if (rc == 0)
			rc = SPORK_EXIT_FAIL;
	}
	return rc;
}
