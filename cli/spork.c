/*
 * spork: command-line PKI toolkit.  main() dispatches to one command
 * group per file (cli/<group>.c); see spork(1).
 */
#include <config.h>

#include <locale.h>
#include <stdio.h>
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

	fprintf(f, "usage: spork <group> <command> [options]\n\n"
		"Groups:\n");
	for (g = groups; g->name != NULL; g++)
		fprintf(f, "  %-8s %s\n", g->name, g->summary);
	fprintf(f, "\nRun 'spork <group> --help' for the commands of a group, "
		"and see spork(1).\n");
}

int
main(int argc, const char **argv)
{
	const struct group *g;
	struct pki_error err;
	int ret, rc;

	/* Before any key can be in memory: no core dump, no ptrace. */
	pki_error_clear(&err);
	if (pki_process_protect(&err) != PKI_OK)
		return spork_fail(&err, NULL);
	setlocale(LC_ALL, "");
	if (argc < 2) {
		usage(stderr);
		return SPORK_EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return SPORK_EXIT_OK;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
		printf("spork %s (libpki %s, GnuTLS %s)\n", PACKAGE_VERSION,
		       pki_version(), gnutls_check_version(NULL));
		return SPORK_EXIT_OK;
	}
	for (g = groups; g->name != NULL; g++)
		if (strcmp(argv[1], g->name) == 0)
			break;
	if (g->name == NULL) {
		spork_warnx("unknown command group '%s'", argv[1]);
		usage(stderr);
		return SPORK_EXIT_USAGE;
	}
	if ((ret = gnutls_global_init()) < 0) {
		spork_warnx("gnutls_global_init: %s", gnutls_strerror(ret));
		return SPORK_EXIT_FAIL;
	}
	rc = g->run(argc - 1, argv + 1);
	gnutls_global_deinit();
	fflush(stdout);
	if (ferror(stdout)) {
		spork_warnx("error writing to standard output");
		if (rc == 0)
			rc = SPORK_EXIT_FAIL;
	}
	return rc;
}
