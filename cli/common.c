/* common: global options, errors, passphrases and state for the CLI. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "common.h"

struct spork_globals spork_g;

struct poptOption spork_common_options[] = {
	{ "state-dir", 'd', POPT_ARG_STRING, &spork_g.state_dir, 0,
	  "state directory (default $SPORK_STATE_DIR or /var/lib/spork)", "DIR" },
	{ "passphrase-file", '\0', POPT_ARG_STRING, &spork_g.passphrase_file, 0,
	  "read the passphrase of offline keys from FILE", "FILE" },
	{ "json", '\0', POPT_ARG_NONE, &spork_g.json, 0,
	  "print machine-readable JSON", NULL },
	{ "quiet", 'q', POPT_ARG_NONE, &spork_g.quiet, 0,
	  "print nothing but errors", NULL },
	POPT_TABLEEND
};

void
spork_warnx(const char *fmt, ...)
{
	va_list ap;

	fputs("spork: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
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

int
spork_fail(const struct pki_error *err, const char *file)
{
	if (file != NULL && err->line > 0)
		fprintf(stderr, "%s:%u:%u: error: %s\n", file, err->line,
			err->column, err->msg);
	else
		spork_warnx("%s", err->msg[0] ? err->msg : pki_strerror(err->code));
	return spork_exit_code(err->code);
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
		fprintf(stderr, "spork %s: %s: %s\n", cmd,
			poptBadOption(*ctx, POPT_BADOPTION_NOALIAS),
			poptStrerror(c));
		poptPrintUsage(*ctx, stderr, 0);
		return -1;
	}
	*rest = poptGetArgs(*ctx);
	*nrest = 0;
	while (*rest != NULL && (*rest)[*nrest] != NULL)
		(*nrest)++;
	return 0;
}

const char *
spork_state_dir(void)
{
	const char *e;

	if (spork_g.state_dir != NULL)
		return spork_g.state_dir;
	if ((e = getenv("SPORK_STATE_DIR")) != NULL && *e != '\0')
		return e;
	return "/var/lib/spork";
}

/* First line of a file (at most size-1 bytes), trailing CR/LF removed. */
static int
read_pass_file(const char *path, char *buf, size_t size, struct pki_error *err)
{
	int fd, rc = PKI_E_IO;
	ssize_t n;
	size_t len = 0;
	char *nl;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return pki_error_set(err, errno == ENOENT ? PKI_E_NOTFOUND : PKI_E_IO,
				     "cannot open passphrase file %s: %s", path,
				     strerror(errno));
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
	if ((nl = strpbrk(buf, "\r\n")) != NULL)
		*nl = '\0';
	if (buf[0] == '\0') {
		rc = pki_error_set(err, PKI_E_INVALID, "passphrase file %s is "
				   "empty", path);
		goto out;
	}
	rc = PKI_OK;
out:
	close(fd);
	return rc;
}

static int
tty_read(int fd, const char *prompt, char *buf, size_t size)
{
	struct termios old, quiet;
	size_t len = 0;
	char c;
	int echo_off;

	if (write(fd, prompt, strlen(prompt)) < 0)
		return -1;
	echo_off = tcgetattr(fd, &old) == 0;
	if (echo_off) {
		quiet = old;
		quiet.c_lflag &= (tcflag_t)~(ECHO | ECHONL);
		quiet.c_lflag |= ICANON;
		tcsetattr(fd, TCSAFLUSH, &quiet);
	}
	while (read(fd, &c, 1) == 1 && c != '\n' && c != '\r')
		if (len + 1 < size)
			buf[len++] = c;
	buf[len] = '\0';
	if (echo_off)
		tcsetattr(fd, TCSAFLUSH, &old);
	if (write(fd, "\n", 1) < 0)
		return -1;
	return 0;
}

int
spork_passphrase(void *ctx, const char *label, int is_new, char *buf,
		 size_t size, struct pki_error *err)
{
	const char *creds = getenv("CREDENTIALS_DIRECTORY");
	char path[PATH_MAX], prompt[512], again[1024];
	int fd, rc, pkcs12 = strncmp(label, "PKCS#12 file", 12) == 0;

	(void)ctx;
	/* A PKCS#12 password is its own secret: never the CA passphrase. */
	if (pkcs12 && spork_g.pkcs12_pass_file)
		return read_pass_file(spork_g.pkcs12_pass_file, buf, size, err);
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
				     "give %s", pkcs12 ? "password" : "passphrase",
				     label, pkcs12 ? "--pkcs12-passphrase-file "
				     "FILE" : "--passphrase-file FILE (or run "
				     "under systemd with a spork-passphrase "
				     "credential)");
	snprintf(prompt, sizeof(prompt), "%s passphrase for %s: ",
		 is_new ? "New" : "Enter", label);
	rc = PKI_OK;
	if (tty_read(fd, prompt, buf, size) != 0)
		rc = pki_error_set(err, PKI_E_IO, "cannot read the terminal");
	if (rc == PKI_OK && is_new) {
		if (tty_read(fd, "Repeat it: ", again, sizeof(again)) != 0)
			rc = pki_error_set(err, PKI_E_IO, "cannot read the terminal");
		else if (strcmp(again, buf) != 0)
			rc = pki_error_set(err, PKI_E_INVALID, "the passphrases "
					   "do not match; nothing was created");
		pki_memzero(again, sizeof(again));
	}
	close(fd);
check:
	if (rc == PKI_OK && is_new && strlen(buf) < 8)
		rc = pki_error_set(err, PKI_E_INVALID, "the passphrase for %s is "
				   "shorter than 8 characters; choose a longer "
				   "one", label);
	if (rc != PKI_OK)
		pki_memzero(buf, size);
	return rc;
}

int
spork_open(int create, struct pki_store **st, struct pki_keystore **ks,
	   struct pki_error *err)
{
	const char *dir = spork_state_dir();
	char db[PATH_MAX];
	struct stat sb;
	int rc;

	*st = NULL;
	if (ks != NULL)
		*ks = NULL;
	if (stat(dir, &sb) != 0) {
		if (!create)
			return pki_error_set(err, PKI_E_NOTFOUND, "state directory "
					     "%s does not exist; build a "
					     "hierarchy first (spork pki build) "
					     "or give --state-dir", dir);
		if (mkdir(dir, 0700) != 0 && errno != EEXIST)
			return pki_error_set(err, PKI_E_IO, "cannot create %s: %s",
					     dir, strerror(errno));
	}
	snprintf(db, sizeof(db), "%s/spork.db", dir);
	if (!create && access(db, F_OK) != 0)
		return pki_error_set(err, PKI_E_NOTFOUND, "%s has no spork.db; "
				     "build a hierarchy first (spork pki build)",
				     dir);
	if ((rc = pki_store_open(db, create, st, err)) != PKI_OK)
		return rc;
	if (ks != NULL &&
	    (rc = pki_keystore_open(dir, spork_passphrase, NULL, ks, err)) != PKI_OK) {
		pki_store_close(*st);
		*st = NULL;
		return rc;
	}
	return PKI_OK;
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
	static char buf[32];

	if (t == 0)
		return "-";
	{
		time_t tt = (time_t)t;
		struct tm tm;

		if (gmtime_r(&tt, &tm) == NULL)
			return "(invalid)";
		strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	}
	return buf;
}

int
spork_parse_duration(const char *s, int64_t *out)
{
	char *end;
	long long v;
	int64_t mul = 86400;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || v < 0)
		return -1;
	if (*end != '\0') {
		switch (*end) {
		case 'w': mul = 7 * 86400; break;
		case 'd': mul = 86400; break;
		case 'h': mul = 3600; break;
		case 'm': mul = 60; break;
		case 's': mul = 1; break;
		default: return -1;
		}
		if (end[1] != '\0')
			return -1;
	}
	if (v > INT64_MAX / mul)
		return -1;
	*out = (int64_t)v * mul;
	return 0;
}
