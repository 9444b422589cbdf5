/*
 * Shared by every spork command group: global options, exit codes,
 * error reporting, passphrase sources, opening the state directory.
 */
#ifndef SPORK_CLI_COMMON_H
#define SPORK_CLI_COMMON_H

#include <stdio.h>

#include <popt.h>
#include <gnutls/gnutls.h>
#include <jansson.h>
#include <spork/pki.h>
#include <spork/config.h>
#include <spork/diag.h>
#include <spork/key.h>
#include <spork/state.h>
#include <spork/store.h>

/* Exit codes (documented in spork(1)). */
enum spork_exit {
	SPORK_EXIT_OK = 0,
	SPORK_EXIT_FAIL = 1,       /* any other failure */
	SPORK_EXIT_USAGE = 2,      /* bad command line */
	SPORK_EXIT_NOTFOUND = 3,   /* no such CA, certificate, serial, file */
	SPORK_EXIT_DENIED = 4,     /* refused by the domain policy */
	SPORK_EXIT_AUTH = 5,       /* wrong passphrase or tampered key file */
	SPORK_EXIT_CONFLICT = 6,   /* exists already / definition changed */
	SPORK_EXIT_INVALID = 7     /* input failed validation or lint */
};

struct spork_globals {
	const char *state_dir;        /* --state-dir, $SPORK_STATE_DIR */
	const char *config_file;      /* --config, $SPORK_CONFIG */
	const char *passphrase_file;  /* --passphrase-file */
	const char *pkcs12_pass_file; /* --pkcs12-passphrase-file */
	int pkcs12_no_password;       /* --pkcs12-no-password */
	int json;                     /* --json */
	int quiet;                    /* -q */
};
extern struct spork_globals spork_g;

/* popt table of the options every command takes; include it with
 * { NULL, 0, POPT_ARG_INCLUDE_TABLE, spork_common_options, 0, "Common options:", NULL } */
extern struct poptOption spork_common_options[];
#define SPORK_COMMON_OPTIONS \
	{ NULL, '\0', POPT_ARG_INCLUDE_TABLE, spork_common_options, 0, \
	  "Common options:", NULL }

/*
 * Write untrusted text s (a subject, a name, a message quoting one) to f
 * with every control character (C0, DEL, and C1 as UTF-8 writes it)
 * shown as '?', padded with spaces to width bytes.  Everything the CLI
 * prints that came from a request, a certificate or the store goes
 * through here.
 */
void spork_put_clean(FILE *f, const char *s, int width);

/* "spork: <message>" on stderr (cleaned as spork_put_clean does). */
void spork_warnx(const char *fmt, ...) PKI_PRINTF(1, 2);
/* Print err (with file:line:column when it has a position), followed by
 * what to do in CLI terms for its hint, and return the exit code for
 * err->code. */
int spork_fail(const struct pki_error *err, const char *file);
int spork_exit_code(int pki_rc);
/* The problems of file on stderr, one "file:line:col: error: msg" each,
 * then "file: and N more problems" for those libpki only counted. */
void spork_print_diags(const char *file, const struct pki_diags *d);

/*
 * The global options (spork_common_options) at argv[*i], argv[*i + 1],
 * ... into spork_g, in the forms --opt VALUE, --opt=VALUE, -d VALUE,
 * -dVALUE, -q; "--" ends them (and is consumed).  Stops at the first
 * word that is not an option; with stop_unknown, also at an option that
 * is not global (left for the command group), else that is a usage error.
 * *i is left at the first word not consumed.  Returns 0, or -1 after
 * saying what is wrong (exit code 2).
 */
int spork_global_args(int argc, const char **argv, int *i, int stop_unknown);

/* The candidate nearest to word (pki_diag_closest, else the only one
 * holding word case-insensitively), or NULL. */
const char *spork_closest(const char *word, const char *const *candidates);

/* One command of a group: its name and what runs it. */
struct spork_cmd {
	const char *name;
	int (*run)(int argc, const char **argv);
};
/*
 * Run the command argv[1] of group from cmds (n of them).  No command:
 * usage on stderr, exit 2.  --help, -h, help: usage on stdout, exit 0
 * ("help CMD" runs "CMD --help").  An unknown command: the nearest one
 * suggested, exit 2.
 */
int spork_dispatch(const char *group, int argc, const char **argv,
		   const struct spork_cmd *cmds, size_t n,
		   void (*usage)(FILE *));

/* A bad option value that libpki refused (err): its message and
 * exit code 2, the code of every bad command line. */
int spork_bad_value(const struct pki_error *err);

/* A command-line argument naming a certificate: a serial number, or
 * (with files) an existing file.  0 when it is one; else says so and
 * returns exit code 2. */
int spork_check_serial(const char *arg, int files);

/* Parse argv with a popt table (help and usage handled here); on return
 * *rest holds the positional arguments (NULL-terminated, owned by ctx).
 * Returns -1 after printing usage for a bad command line. */
int spork_parse(const char *cmd, int argc, const char **argv,
		const struct poptOption *table, const char *args_help,
		poptContext *ctx, const char ***rest, int *nrest);

/* The state directory in effect: --state-dir, $SPORK_STATE_DIR, the
 * state_dir of an explicitly named spork.toml, /var/lib/spork. */
const char *spork_state_dir(void);

/* The spork.toml in effect: --config, $SPORK_CONFIG, else
 * <state>/spork.toml (which may not exist).  Caller frees. */
char *spork_config_path(int for_check);

/* The settings, read once (spork.toml(5)); problems are printed as
 * file:line:col and returned (PKI_E_INVALID / PKI_E_PARSE /
 * PKI_E_NOTFOUND for a missing explicit file).  *out is borrowed. */
int spork_config(const struct pki_config **out, struct pki_error *err);

/* pki_passphrase_fn: --passphrase-file, $CREDENTIALS_DIRECTORY/
 * spork-passphrase, or the terminal (asked twice when new); PKCS#12
 * passwords only from --pkcs12-passphrase-file or the terminal. */
int spork_passphrase(void *ctx, const char *label,
		     enum pki_pass_purpose purpose, char *buf, size_t size,
		     struct pki_error *err);

/* Warn (not fail) when pki_state_check_modes refuses dir: for commands
 * that only read it. */
void spork_warn_modes(const char *dir);
/*
 * Open the state directory for purpose (PKI_STATE_READ for inventories,
 * PKI_STATE_CLI when keys may be used; create: make it when missing).
 * The environment libpki does not read is read here: $SPORK_ACTOR,
 * $SPORK_NOW, $CREDENTIALS_DIRECTORY, $SPORK_PKCS11_MODULE,
 * $SPORK_ARGON2_MEMORY_KIB, $SPORK_ARGON2_PASSES; with spork.toml.
 * A PKI_STATE_READ open warns about a directory others could change
 * (spork_warn_modes); the others refuse it (libpki).
 */
int spork_state(enum pki_state_purpose purpose, int create,
		struct pki_state **out, struct pki_error *err);

/* Now: $SPORK_NOW (tests) or the system clock. */
int64_t spork_now(void);

/* Print a JSON value on stdout (pretty, sorted keys) and free it. */
void spork_json_out(json_t *v);
/* "2w", "30d", "12h", "90m", "3600s" or a bare number of days into
 * seconds; -1 if malformed. */
int spork_parse_duration(const char *s, int64_t *out);

/* A time as RFC 3339 UTC ("-" for 0); static buffer. */
const char *spork_time(int64_t t);

/* Fill err from a GnuTLS error: "<what>: <gnutls_strerror>"; returns
 * the code (PKI_E_NOMEM or PKI_E_CRYPTO). */
int spork_gnutls_error(struct pki_error *err, int gnutls_rc, const char *what);
/* strdup that returns NULL for NULL. */
char *spork_strdup(const char *s);

/* Command groups. */
int spork_cmd_pki(int argc, const char **argv);
int spork_cmd_cert(int argc, const char **argv);
int spork_cmd_crl(int argc, const char **argv);
int spork_cmd_policy(int argc, const char **argv);
int spork_cmd_audit(int argc, const char **argv);
int spork_cmd_store(int argc, const char **argv);
int spork_cmd_config(int argc, const char **argv);
int spork_cmd_tls(int argc, const char **argv);
int spork_cmd_ocsp(int argc, const char **argv);

#endif
