/* common: global options, errors, passphrases and state for the CLI. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

struct spork_globals spork_g;

struct poptOption spork_common_options[] = {
	{ "state-dir", 'd', POPT_ARG_STRING, &spork_g.state_dir, 0,
	  "state directory (default $SPORK_STATE_DIR or /var/lib/spork)", "DIR" },
	{ "config", '\0', POPT_ARG_STRING, &spork_g.config_file, 0,
	  "read settings from FILE (default $SPORK_CONFIG or "
	  "<state>/spork.toml)", "FILE" },
	{ "passphrase-file", '\0', POPT_ARG_STRING, &spork_g.passphrase_file, 0,
	  "read the passphrase of offline keys from FILE", "FILE" },
	{ "json", '\0', POPT_ARG_NONE, &spork_g.json, 0,
	  "print machine-readable JSON", NULL },
	{ "quiet", 'q', POPT_ARG_NONE, &spork_g.quiet, 0,
	  "print nothing but errors", NULL },
	POPT_TABLEEND
};

void
spork_put_clean(FILE *f, const char *s, int width)
{
	const unsigned char *c = (const unsigned char *)s;
	int n = 0;

	for (; c != NULL && *c != '\0'; c++, n++) {
		if (c[0] == 0xc2 && c[1] >= 0x80 && c[1] <= 0x9f) {
			fputc('?', f);
			c++;
		} else {
			fputc(*c < 0x20 || *c == 0x7f ? '?' : *c, f);
		}
	}
	for (; n < width; n++)
		fputc(' ', f);
}

void
spork_warnx(const char *fmt, ...)
{
	char buf[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fputs("spork: ", stderr);
	spork_put_clean(stderr, buf, 0);
	fputc('\n', stderr);
}

int
spork_exit_code(int rc)
{
	switch (rc) {
	case PKI_OK:
		return SPORK_EXIT_OK;
	case PKI_E_NOTFOUND:
		return SPORK_EXIT_NOTFOUND;
	case PKI_E_DENIED:
		return SPORK_EXIT_DENIED;
	case PKI_E_AUTH:
		return SPORK_EXIT_AUTH;
	case PKI_E_EXISTS:
	case PKI_E_CONFLICT:
		return SPORK_EXIT_CONFLICT;
	case PKI_E_PARSE:
	case PKI_E_INVALID:
	case PKI_E_LINT:
	case PKI_E_UNSUPPORTED:
		return SPORK_EXIT_INVALID;
	default:
		return SPORK_EXIT_FAIL;
	}
}

/* What the CLI suggests for libpki's hints (pki.h). */
static const char *const hints[PKI_HINT__MAX] = {
	[PKI_HINT_BUILD] = "build a hierarchy first (spork pki build) or give "
		"--state-dir",
	[PKI_HINT_NAME_CA] = "give --ca NAME",
	[PKI_HINT_LIST_CAS] = "spork pki status lists the CAs",
	[PKI_HINT_LIST_CERTS] = "spork cert list shows the certificates",
	[PKI_HINT_IMPORT_CERT] = "import it with spork pki import-cert",
	[PKI_HINT_UNHOLD] = "lift a hold with 'spork cert unhold'",
	[PKI_HINT_FULL_CRL] = "run spork crl generate without --delta first",
	[PKI_HINT_HIERARCHY] = "spork pki build makes them",
	[PKI_HINT_FORCE] = "give --force to accept it anyway (the audit log "
		"records that)",
};

int
spork_fail(const struct pki_error *err, const char *file)
{
	const char *msg = err->msg[0] ? err->msg : pki_strerror(err->code);
	const char *hint = (unsigned)err->hint < PKI_HINT__MAX ?
		hints[err->hint] : NULL;

	if (file != NULL && err->line > 0) {
		spork_put_clean(stderr, file, 0);
		fprintf(stderr, ":%u:%u: error: ", err->line, err->column);
		spork_put_clean(stderr, msg, 0);
		fprintf(stderr, "%s%s\n", hint ? "; " : "", hint ? hint : "");
	} else
		spork_warnx("%s%s%s", msg, hint ? "; " : "", hint ? hint : "");
	return spork_exit_code(err->code);
}

void
spork_print_diags(const char *file, const struct pki_diags *d)
{
	size_t i;

	for (i = 0; i < d->n; i++) {
		if (d->v[i].line > 0)
			fprintf(stderr, "%s:%u:%u: error: %s\n", file,
				d->v[i].line, d->v[i].column, d->v[i].msg);
		else
			fprintf(stderr, "%s: error: %s\n", file, d->v[i].msg);
	}
	if (d->more > 0)
		fprintf(stderr, "%s: and %zu more problem%s not shown\n", file,
			d->more, d->more == 1 ? "" : "s");
}

/* The option of table (and the tables it includes) whose long name is
 * nearest to the unknown option bad (its --, and any =VALUE, dropped). */
static const char *
option_closest(const struct poptOption *table, const char *bad)
{
	static char best[64];
	const char *names[128], *hit;
	char word[64];
	const struct poptOption *stack[8];
	size_t n = 0, depth = 0, len;
	const struct poptOption *o;

	while (*bad == '-')
		bad++;
	len = strcspn(bad, "=");
	if (len == 0 || len >= sizeof(word))
		return NULL;
	memcpy(word, bad, len);
	word[len] = '\0';
	stack[depth++] = table;
	while (depth > 0) {
		for (o = stack[--depth]; o->longName != NULL || o->shortName ||
		     o->argInfo != 0 || o->arg != NULL; o++) {
			if ((o->argInfo & POPT_ARG_MASK) == POPT_ARG_INCLUDE_TABLE) {
				if (depth < sizeof(stack) / sizeof(stack[0]))
					stack[depth++] = o->arg;
			} else if (o->longName != NULL &&
				   n + 1 < sizeof(names) / sizeof(names[0])) {
				names[n++] = o->longName;
			}
		}
	}
	names[n] = NULL;
	if ((hit = spork_closest(word, names)) == NULL)
		return NULL;
	snprintf(best, sizeof(best), "--%s", hit);
	return best;
}

const char *
spork_closest(const char *word, const char *const *candidates)
{
	const char *hit = pki_diag_closest(word, candidates), *only = NULL;
	size_t i;

	if (hit != NULL || strlen(word) < 3)
		return hit;
	for (i = 0; candidates[i] != NULL; i++)
		if (strcasestr(candidates[i], word) != NULL) {
			if (only != NULL)
				return NULL;
			only = candidates[i];
		}
	return only;
}

/* A global option that is not one: say so, with the nearest. */
static int
global_unknown(const char *a)
{
	const char *near = option_closest(spork_common_options, a);

	if (near == NULL && strncmp(a, "--", 2) == 0) {
		static const char *const more[] = { "help", "version", NULL };
		const char *m = spork_closest(a + 2, more);

		if (m != NULL)
			near = strcmp(m, "help") == 0 ? "--help" : "--version";
	}
	spork_warnx("unknown option '%s'%s%s%s; the global options are "
		    "-d/--state-dir, --config, --passphrase-file, --json and "
		    "-q/--quiet (spork(1))", a, near ? "; did you mean '" : "",
		    near ? near : "", near ? "'?" : "");
	return -1;
}

int
spork_global_args(int argc, const char **argv, int *i, int stop_unknown)
{
	const struct poptOption *o, *found;
	const char *a, *eq, *val, *p;
	size_t len;
	int takes;

	for (; *i < argc; (*i)++) {
		a = argv[*i];
		if (strcmp(a, "--") == 0) {
			(*i)++;
			return 0;
		}
		if (a[0] != '-' || a[1] == '\0')
			return 0;
		found = NULL;
		val = NULL;
		if (a[1] == '-') {
			eq = strchr(a + 2, '=');
			len = eq != NULL ? (size_t)(eq - a - 2) : strlen(a + 2);
			for (o = spork_common_options; o->longName != NULL; o++)
				if (strlen(o->longName) == len &&
				    strncmp(o->longName, a + 2, len) == 0)
					found = o;
			if (found != NULL && eq != NULL) {
				if (found->argInfo == POPT_ARG_NONE) {
					spork_warnx("--%s takes no value", found->longName);
					return -1;
				}
				val = eq + 1;
			}
		} else {
			/* -q, -d DIR, -dDIR, -qd DIR: every letter global */
			for (p = a + 1; *p != '\0'; p++) {
				for (o = spork_common_options; o->longName != NULL; o++)
					if (o->shortName == *p)
						break;
				if (o->longName == NULL) {
					found = NULL;
					break;
				}
				found = o;
				if (o->argInfo != POPT_ARG_NONE) {
					val = p[1] != '\0' ? p + 1 : NULL;
					break;
				}
			}
			if (found != NULL)
				for (p = a + 1; *p != '\0'; p++)
					for (o = spork_common_options;
					     o->longName != NULL; o++)
						if (o->shortName == *p &&
						    o->argInfo == POPT_ARG_NONE)
							*(int *)o->arg = 1;
		}
		if (found == NULL)
			return stop_unknown ? 0 : global_unknown(a);
		takes = found->argInfo != POPT_ARG_NONE;
		if (!takes) {
			*(int *)found->arg = 1;
			continue;
		}
		if (val == NULL) {
			if (*i + 1 >= argc) {
				spork_warnx("--%s needs a value (%s)",
					    found->longName, found->argDescrip);
				return -1;
			}
			val = argv[++*i];
		}
		*(const char **)found->arg = val;
	}
	return 0;
}

int
spork_dispatch(const char *group, int argc, const char **argv,
	       const struct spork_cmd *cmds, size_t n, void (*usage)(FILE *))
{
	const char *names[64], *near, *help[3], *word;
	size_t i;

	if (argc < 2) {
		usage(stderr);
		return SPORK_EXIT_USAGE;
	}
	word = argv[1];
	if (strcmp(word, "--help") == 0 || strcmp(word, "-h") == 0 ||
	    strcmp(word, "help") == 0) {
		if (argc < 3 || argv[2][0] == '-') {
			usage(stdout);
			return SPORK_EXIT_OK;
		}
		/* help CMD: the command's own help */
		word = help[0] = argv[2];
		help[1] = "--help";
		help[2] = NULL;
		for (i = 0; i < n; i++)
			if (strcmp(word, cmds[i].name) == 0)
				return cmds[i].run(2, help);
	} else {
		for (i = 0; i < n; i++)
			if (strcmp(word, cmds[i].name) == 0)
				return cmds[i].run(argc - 1, argv + 1);
	}
	if (word[0] == '-') {
		/* not a global option (spork_global_args took those) */
		near = option_closest(spork_common_options, word);
		spork_warnx("unknown option '%s' before the command%s%s%s; the "
			    "options of a command go after the command: spork %s "
			    "COMMAND %s ('spork %s --help' lists the commands)",
			    word, near ? "; did you mean '" : "",
			    near ? near : "", near ? "'?" : "", group, word,
			    group);
		return SPORK_EXIT_USAGE;
	}
	for (i = 0; i < n && i + 1 < sizeof(names) / sizeof(names[0]); i++)
		names[i] = cmds[i].name;
	names[i] = NULL;
	near = spork_closest(word, names);
	spork_warnx("unknown command 'spork %s %s'%s%s%s; 'spork %s --help' "
		    "lists the commands", group, word,
		    near ? "; did you mean '" : "", near ? near : "",
		    near ? "'?" : "", group);
	return SPORK_EXIT_USAGE;
}

int
spork_bad_value(const struct pki_error *err)
{
	(void)spork_fail(err, NULL);        /* the message and its hint */
	return SPORK_EXIT_USAGE;
}

int
spork_check_serial(const char *arg, int files)
{
	char canon[2 * PKI_STORE_SERIAL_MAX + 1];
	struct stat sb;

	if (pki_store_serial_canon(arg, canon, sizeof(canon), NULL) == PKI_OK)
		return 0;
	/* Something that names a file: found or not, the caller says. */
	if (files && (strcmp(arg, "-") == 0 || stat(arg, &sb) == 0 ||
		      strpbrk(arg, "/.") != NULL))
		return 0;
	spork_warnx("'%s' is not a serial number (hex digits as openssl x509 "
		    "-serial prints them, ':' allowed)%s", arg, files ?
		    " nor a certificate file" : "");
	return SPORK_EXIT_USAGE;
}

int
spork_parse(const char *cmd, int argc, const char **argv,
	    const struct poptOption *table, const char *args_help,
	    poptContext *ctx, const char ***rest, int *nrest)
{
	static char name[128];
	static const char *args[256];
	int c, i;

	/* popt names the program after argv[0]: make usage lines read
	 * "spork <group> <command>". */
	snprintf(name, sizeof(name), "spork %s", cmd);
	if (argc < 1 || argc > (int)(sizeof(args) / sizeof(args[0])) - 1) {
		fprintf(stderr, "spork %s: too many arguments\n", cmd);
		*ctx = poptGetContext(cmd, 0, NULL, table, 0);
		return -1;
	}
	args[0] = name;
	for (i = 1; i < argc; i++)
		args[i] = argv[i];
	args[argc] = NULL;
	argv = args;
	*ctx = poptGetContext(name, argc, argv, table, 0);
	if (args_help != NULL)
		poptSetOtherOptionHelp(*ctx, args_help);
	while ((c = poptGetNextOpt(*ctx)) >= 0) {
		if (c == 'h') {
			poptPrintHelp(*ctx, stdout, 0);
			exit(SPORK_EXIT_OK);
		}
	}
	if (c < -1) {
		const char *bad = poptBadOption(*ctx, POPT_BADOPTION_NOALIAS);
		const char *near = c == POPT_ERROR_BADOPT ?
			option_closest(table, bad) : NULL;

		/* The nearest option rather than the whole usage. */
		fprintf(stderr, "spork %s: %s: %s%s%s%s\n", cmd, bad,
			poptStrerror(c), near ? "; did you mean '" : "",
			near ? near : "", near ? "'?" : "");
		fprintf(stderr, "'spork %s --help' lists its options\n", cmd);
		return -1;
	}
	*rest = poptGetArgs(*ctx);
	*nrest = 0;
	while (*rest != NULL && (*rest)[*nrest] != NULL)
		(*nrest)++;
	return 0;
}

/*
 * The first line of a regular file (at most size-1 bytes, without its
 * CR/LF) into buf.  A first line longer than that is refused, not cut;
 * a file readable by group or others is used with a warning.  Whatever
 * was read past the first line is wiped.
 */
static int
read_pass_file(const char *path, char *buf, size_t size, struct pki_error *err)
{
	struct stat sb;
	int fd, rc = PKI_E_IO;
	ssize_t n;
	size_t len = 0;
	char *nl, c = '\0';

	buf[0] = '\0';
	/* O_NONBLOCK: a FIFO must not hang open(); it is refused below. */
	if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) < 0)
		return pki_error_set(err, errno == ENOENT ? PKI_E_NOTFOUND : PKI_E_IO,
				     "cannot open passphrase file %s: %s", path,
				     strerror(errno));
	if (fstat(fd, &sb) != 0) {
		rc = pki_error_set(err, PKI_E_IO, "cannot fstat passphrase file "
				   "%s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(sb.st_mode)) {
		rc = pki_error_set(err, PKI_E_INVALID, "passphrase file %s is not "
				   "a regular file; give a file holding the "
				   "passphrase on its first line", path);
		goto out;
	}
	if ((sb.st_mode & 077) != 0)
		spork_warnx("warning: %s is readable by group/others (mode "
			    "%04o); chmod 600 it", path,
			    (unsigned)(sb.st_mode & 07777));
	while (len + 1 < size && (n = read(fd, buf + len, size - 1 - len)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = pki_error_set(err, PKI_E_IO, "cannot read %s: %s",
					   path, strerror(errno));
			goto out;
		}
		len += (size_t)n;
	}
	buf[len] = '\0';
	if ((nl = strpbrk(buf, "\r\n")) != NULL) {
		pki_memzero(nl, len - (size_t)(nl - buf));
	} else if (len + 1 == size) {
		/* The buffer is full: the line fits only if it ends here. */
		while ((n = read(fd, &c, 1)) < 0 && errno == EINTR)
			;
		if (n < 0) {
			rc = pki_error_set(err, PKI_E_IO, "cannot read %s: %s",
					   path, strerror(errno));
			goto out;
		}
		if (n == 1 && c != '\n' && c != '\r') {
			rc = pki_error_set(err, PKI_E_INVALID, "the first line of "
					   "passphrase file %s is longer than "
					   "%zu bytes", path, size - 1);
			goto out;
		}
	}
	if (buf[0] == '\0') {
		rc = pki_error_set(err, PKI_E_INVALID, "passphrase file %s is "
				   "empty", path);
		goto out;
	}
	rc = PKI_OK;
out:
	pki_memzero(&c, sizeof(c));
	if (rc != PKI_OK)
		pki_memzero(buf, size);
	close(fd);
	return rc;
}

/*
 * While tty_read() has echo off: the terminal, its settings before and
 * with echo off, and the prompt, for tty_signal().
 */
static int tty_fd = -1;
static struct termios tty_saved, tty_quiet;
static const char *tty_prompt;
static volatile sig_atomic_t tty_echo_lost;
static const int tty_signals[] = { SIGINT, SIGTERM, SIGTSTP, SIGQUIT };
#define TTY_NSIGNALS (sizeof(tty_signals) / sizeof(tty_signals[0]))

/* Echo off on fd, checked: tcsetattr() succeeds if it did any part of
 * what was asked.  Async-signal-safe. */
static int
tty_echo_off(int fd)
{
	struct termios now;

	if (tcsetattr(fd, TCSAFLUSH, &tty_quiet) != 0 ||
	    tcgetattr(fd, &now) != 0 || (now.c_lflag & ECHO) != 0)
		return -1;
	return 0;
}

/*
 * A terminating or stopping signal while echo is off: put the terminal
 * back as it was, then take the signal's default action.  If that was a
 * stop (SIGTSTP) and we are continued, turn echo off again and ask again.
 * Only async-signal-safe calls.
 */
static void
tty_signal(int sig)
{
	struct sigaction sa;
	int saved_errno = errno;

	(void)tcsetattr(tty_fd, TCSAFLUSH, &tty_saved);
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = SIG_DFL;
	(void)sigaction(sig, &sa, NULL);
	/* Installed with SA_NODEFER: the default action happens here. */
	(void)raise(sig);
	sa.sa_handler = tty_signal;
	sa.sa_flags = SA_NODEFER;
	(void)sigaction(sig, &sa, NULL);
	if (tty_echo_off(tty_fd) != 0)
		tty_echo_lost = 1;
	if (write(tty_fd, "\n", 1) == 1)
		(void)!write(tty_fd, tty_prompt, strlen(tty_prompt));
	errno = saved_errno;
}

/*
 * Ask on the terminal fd with echo off; the line typed, without its end,
 * into buf.  Refused: a line not ended by Enter (end of input, read
 * error), a line longer than size-1 bytes (read to its end and dropped),
 * a terminal whose echo cannot be turned off.
 */
static int
tty_read(int fd, const char *prompt, char *buf, size_t size,
	 struct pki_error *err)
{
	struct sigaction sa, old[TTY_NSIGNALS];
	char chunk[256];
	size_t len = 0, i;
	ssize_t n = 0, k;
	int rc = PKI_E_IO, quiet = 0, ended = 0, too_long = 0, read_errno = 0;

	buf[0] = '\0';
	for (i = 0; i < TTY_NSIGNALS; i++)
		old[i].sa_handler = SIG_IGN;
	if (tcgetattr(fd, &tty_saved) != 0) {
		rc = pki_error_set(err, PKI_E_IO, "cannot turn off echo on the "
				   "terminal: tcgetattr: %s", strerror(errno));
		goto out;
	}
	tty_quiet = tty_saved;
	tty_quiet.c_lflag &= (tcflag_t)~(ECHO | ECHONL);
	tty_quiet.c_lflag |= ICANON;
	tty_fd = fd;
	tty_prompt = prompt;
	tty_echo_lost = 0;
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = tty_signal;
	sa.sa_flags = SA_NODEFER;
	/* A signal ignored before stays ignored. */
	for (i = 0; i < TTY_NSIGNALS; i++)
		if (sigaction(tty_signals[i], NULL, &old[i]) != 0)
			old[i].sa_handler = SIG_IGN;
		else if (old[i].sa_handler != SIG_IGN)
			(void)sigaction(tty_signals[i], &sa, NULL);
	quiet = 1;
	if (tty_echo_off(fd) != 0) {
		rc = pki_error_set(err, PKI_E_IO, "cannot turn off echo on the "
				   "terminal");
		goto out;
	}
	if (write(fd, prompt, strlen(prompt)) < 0) {
		rc = pki_error_set(err, PKI_E_IO, "cannot write to the terminal: "
				   "%s", strerror(errno));
		goto out;
	}
	/*
	 * In canonical mode a read() returns at most one line: a short read
	 * without a newline is a line ended by EOF (^D), not by Enter.
	 */
	while (!ended) {
		if ((n = read(fd, chunk, sizeof(chunk))) < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			read_errno = n < 0 ? errno : 0;
			break;
		}
		for (k = 0; k < n && !ended; k++) {
			if (chunk[k] == '\n' || chunk[k] == '\r')
				ended = 1;
			else if (len + 1 < size)
				buf[len++] = chunk[k];
			else
				too_long = 1;
		}
		if (!ended && (size_t)n < sizeof(chunk))
			break;
	}
	buf[len] = '\0';
	(void)!write(fd, "\n", 1);
	if (tty_echo_lost)
		rc = pki_error_set(err, PKI_E_IO, "cannot turn off echo on the "
				   "terminal");
	else if (!ended)
		rc = pki_error_set(err, PKI_E_IO, "cannot read the terminal: %s",
				   read_errno ? strerror(read_errno) :
				   "input ended before Enter");
	else if (too_long)
		rc = pki_error_set(err, PKI_E_INVALID, "passphrase longer than "
				   "%zu bytes", size - 1);
	else
		rc = PKI_OK;
out:
	/* The terminal first: a signal in between finds it restored. */
	if (quiet)
		(void)tcsetattr(fd, TCSAFLUSH, &tty_saved);
	for (i = 0; i < TTY_NSIGNALS; i++)
		if (old[i].sa_handler != SIG_IGN)
			(void)sigaction(tty_signals[i], &old[i], NULL);
	tty_fd = -1;
	pki_memzero(chunk, sizeof(chunk));
	if (rc != PKI_OK)
		pki_memzero(buf, size);
	return rc;
}

/*
 * The rules for a new secret, the same whether typed or read from a file,
 * checked before it is asked a second time: at least 8 characters; an
 * empty PKCS#12 password only with --pkcs12-no-password (which does not
 * ask at all).
 */
static int
check_new_secret(const char *buf, const char *label, int pkcs12,
		 struct pki_error *err)
{
	if (buf[0] == '\0' && pkcs12)
		return pki_error_set(err, PKI_E_INVALID, "the password for %s is "
				     "empty; give --pkcs12-no-password for a "
				     "PKCS#12 file without one", label);
	if (strlen(buf) < 8)
		return pki_error_set(err, PKI_E_INVALID, "the %s for %s is "
				     "shorter than 8 characters; choose a "
				     "longer one", pkcs12 ? "password" :
				     "passphrase", label);
	return PKI_OK;
}

int
spork_passphrase(void *ctx, const char *label, enum pki_pass_purpose purpose,
		 char *buf, size_t size, struct pki_error *err)
{
	const char *creds = getenv("CREDENTIALS_DIRECTORY");
	char path[PATH_MAX], prompt[512], again[1024];
	int fd, rc;
	int pkcs12 = purpose == PKI_PASS_PKCS12_IN ||
		purpose == PKI_PASS_PKCS12_OUT;
	int is_new = purpose == PKI_PASS_NEW_KEY ||
		purpose == PKI_PASS_PKCS12_OUT;
	const char *what = pkcs12 ? "password" :
		purpose == PKI_PASS_PIN ? "PIN" : "passphrase";

	(void)ctx;
	buf[0] = '\0';
	if (pkcs12 && spork_g.pkcs12_no_password) {
		if (spork_g.pkcs12_pass_file != NULL)
			return pki_error_set(err, PKI_E_INVALID, "give "
					     "--pkcs12-no-password or "
					     "--pkcs12-passphrase-file, not "
					     "both");
		return PKI_OK;          /* empty: asked for explicitly */
	}
	/* A PKCS#12 password is its own secret: never the CA passphrase. */
	if (pkcs12 && spork_g.pkcs12_pass_file) {
		rc = read_pass_file(spork_g.pkcs12_pass_file, buf, size, err);
		goto check;
	}
	if (pkcs12)
		goto ask;
	if (spork_g.passphrase_file != NULL) {
		rc = read_pass_file(spork_g.passphrase_file, buf, size, err);
		goto check;
	}
	if (creds != NULL && *creds != '\0') {
		snprintf(path, sizeof(path), "%s/spork-passphrase", creds);
		if (access(path, F_OK) == 0) {
			rc = read_pass_file(path, buf, size, err);
			goto check;
		}
	}
ask:
	if ((fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0)
		return pki_error_set(err, PKI_E_INVALID, "the %s for %s is "
				     "needed and there is no terminal to ask on: "
				     "give %s", what, label,
				     pkcs12 ? "--pkcs12-passphrase-file "
				     "FILE" : "--passphrase-file FILE (or run "
				     "under systemd with a spork-passphrase "
				     "credential)");
	snprintf(prompt, sizeof(prompt), "%s %s for %s: ",
		 is_new ? "New" : "Enter", pkcs12 ? "passphrase" : what, label);
	rc = tty_read(fd, prompt, buf, size, err);
	if (rc == PKI_OK && is_new)
		rc = check_new_secret(buf, label, pkcs12, err);
	if (rc == PKI_OK && is_new) {
		rc = tty_read(fd, "Repeat it: ", again, sizeof(again), err);
		if (rc == PKI_OK && strcmp(again, buf) != 0)
			rc = pki_error_set(err, PKI_E_INVALID, "the passphrases "
					   "do not match; nothing was created");
		pki_memzero(again, sizeof(again));
	}
	close(fd);
check:
	if (rc == PKI_OK && is_new)
		rc = check_new_secret(buf, label, pkcs12, err);
	if (rc != PKI_OK)
		pki_memzero(buf, size);
	return rc;
}

/*
 * A number from the environment variable name into *out, when set: only
 * decimal digits, min..max (the bounds checked again by libpki, here so
 * the message names the variable).  Unset or empty leaves *out as it is;
 * anything else is PKI_E_INVALID.
 */
static int
env_u32(const char *name, uint32_t min, uint32_t max, uint32_t *out,
	struct pki_error *err)
{
	const char *s = getenv(name);
	unsigned long long v = 0;
	const char *p;

	if (s == NULL || *s == '\0')
		return PKI_OK;
	for (p = s; *p != '\0'; p++) {
		if (*p < '0' || *p > '9' || v > 0xffffffffull)
			break;
		v = v * 10 + (unsigned)(*p - '0');
	}
	if (*p != '\0' || v < min || v > max)
		return pki_error_set(err, PKI_E_INVALID, "%s=%s: expected a "
				     "number from %" PRIu32 " to %" PRIu32,
				     name, s, min, max);
	*out = (uint32_t)v;
	return PKI_OK;
}

/* $SPORK_NOW (tests fix the clock with it), or 0. */
static int64_t
fixed_clock(void)
{
	const char *s = getenv("SPORK_NOW");
	int64_t t;

	if (s != NULL && *s != '\0' && pki_time_parse(s, &t) == PKI_OK)
		return t;
	return 0;
}

int64_t
spork_now(void)
{
	int64_t t = fixed_clock();

	return t != 0 ? t : (int64_t)time(NULL);
}

/* The configuration file named explicitly (--config, $SPORK_CONFIG). */
static const char *
config_explicit(void)
{
	const char *e;

	if (spork_g.config_file != NULL)
		return spork_g.config_file;
	if ((e = getenv("SPORK_CONFIG")) != NULL && *e != '\0')
		return e;
	return NULL;
}

static struct pki_config *loaded_config;
static int config_tried;
static struct pki_error config_err;     /* why loading failed */

/*
 * Read spork.toml once per process: the file named explicitly (which must
 * exist), else <state>/spork.toml when it exists.  Problems are printed
 * as file:line:col and make the command fail (exit 7 for a bad file, 3
 * for a missing explicit one).
 */
static int
load_config(struct pki_error *err)
{
	struct pki_diags d = { 0, NULL, 0 };
	const char *path = config_explicit();
	char *dflt = NULL;
	int rc;

	if (config_tried) {
		if (loaded_config != NULL)
			return PKI_OK;
		*err = config_err;
		return err->code;
	}
	config_tried = 1;
	if (path == NULL) {
		if (asprintf(&dflt, "%s/%s", spork_state_dir(),
			     PKI_CONFIG_FILE) < 0)
			return pki_error_set(err, PKI_E_NOMEM, "out of memory");
		if (access(dflt, F_OK) != 0 && errno == ENOENT) {
			free(dflt);
			loaded_config = pki_config_default();
			return loaded_config != NULL ? PKI_OK :
				pki_error_set(err, PKI_E_NOMEM, "out of memory");
		}
		path = dflt;
	}
	rc = pki_config_load(path, &loaded_config, &d, err);
	spork_print_diags(path, &d);
	if (rc == PKI_E_NOTFOUND)
		pki_error_set(err, rc, "configuration file %s does not exist",
			      path);
	else if (rc != PKI_OK && err->line > 0)
		pki_error_prefix(err, "%s:%u:%u", path, err->line, err->column);
	if (rc != PKI_OK) {
		err->line = err->column = 0;
		config_err = *err;
	}
	pki_diags_clear(&d);
	free(dflt);
	return rc;
}

const char *
spork_state_dir(void)
{
	const char *e;

	if (spork_g.state_dir != NULL)
		return spork_g.state_dir;
	if ((e = getenv("SPORK_STATE_DIR")) != NULL && *e != '\0')
		return e;
	/* An explicitly named file may say where the state is. */
	if (config_explicit() != NULL && !config_tried) {
		struct pki_error err;

		pki_error_clear(&err);
		(void)load_config(&err);
	}
	if (loaded_config != NULL && loaded_config->state_dir != NULL)
		return loaded_config->state_dir;
	return "/var/lib/spork";
}

char *
spork_config_path(int for_check)
{
	const char *e = config_explicit();
	char *p = NULL;

	(void)for_check;
	if (e != NULL)
		return strdup(e);
	if (asprintf(&p, "%s/%s", spork_state_dir(), PKI_CONFIG_FILE) < 0)
		return NULL;
	return p;
}

int
spork_config(const struct pki_config **out, struct pki_error *err)
{
	int rc = load_config(err);

	*out = loaded_config;
	return rc;
}

void
spork_warn_modes(const char *dir)
{
	struct pki_error err;

	pki_error_clear(&err);
	if (access(dir, F_OK) == 0 &&
	    pki_state_check_modes(dir, &err) == PKI_E_DENIED)
		spork_warnx("warning: %s (this command only reads, so it goes "
			    "on; commands that certify or sign refuse)",
			    err.msg);
}

int
spork_state(enum pki_state_purpose purpose, int create,
	    struct pki_state **out, struct pki_error *err)
{
	struct pki_state_opts o;
	const struct pki_config *c = NULL;
	const char *dir;
	int rc;

	*out = NULL;
	memset(&o, 0, sizeof(o));
	if ((rc = spork_config(&c, err)) != PKI_OK)
		return rc;
	dir = spork_state_dir();
	o.purpose = purpose;
	o.create = create;
	o.config = c;
	o.passfn = spork_passphrase;
	/* libpki reads no environment: what it needs from it is read here
	 * (tests lower the Argon2id costs and fix the clock). */
	o.credentials_dir = getenv("CREDENTIALS_DIRECTORY");
	o.pkcs11_module = getenv("SPORK_PKCS11_MODULE");
	o.actor = getenv("SPORK_ACTOR");
	o.now = fixed_clock();
	if (purpose == PKI_STATE_READ)
		spork_warn_modes(dir);
	if ((rc = env_u32("SPORK_ARGON2_MEMORY_KIB", PKI_ARGON2_MIN_KIB,
			  PKI_ARGON2_MAX_KIB, &o.argon2.m_cost_kib,
			  err)) != PKI_OK ||
	    (rc = env_u32("SPORK_ARGON2_PASSES", PKI_ARGON2_MIN_PASSES,
			  PKI_ARGON2_MAX_PASSES, &o.argon2.t_cost,
			  err)) != PKI_OK)
		return rc;
	return pki_state_open(dir, &o, out, err);
}

void
spork_json_out(json_t *v)
{
	if (v == NULL)
		return;
	json_dumpf(v, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
	fputc('\n', stdout);
	json_decref(v);
}

const char *
spork_time(int64_t t)
{
	static char buf[PKI_TIME_STRLEN];

	if (t == 0)
		return "-";
	pki_time_format(t, buf);
	return buf;
}

int
spork_gnutls_error(struct pki_error *err, int gnutls_rc, const char *what)
{
	return pki_error_set(err, gnutls_rc == GNUTLS_E_MEMORY_ERROR ?
			     PKI_E_NOMEM : PKI_E_CRYPTO, "%s: %s", what,
			     gnutls_strerror(gnutls_rc));
}

char *
spork_strdup(const char *s)
{
	return s != NULL ? strdup(s) : NULL;
}

int
spork_parse_duration(const char *s, int64_t *out)
{
	struct pki_error err;

	pki_error_clear(&err);
	return pki_duration_parse(s, out, &err) == PKI_OK ? 0 : -1;
}
