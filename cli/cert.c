/*
 * spork cert: issue | list | show | export | renew | revoke | unhold
 * (spork-cert(1)).  The work is done by libpki/enroll; this file reads
 * options, writes files and prints.
 */
#include <config.h>

#include <errno.h>
#include <stdarg.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <gnutls/crypto.h>

#include "common.h"
#include <spork/crl.h>
#include <spork/enroll.h>

static int show_help;

/* Options shared by several commands. */
static const char *o_ca, *o_csr, *o_cn, *o_key_type, *o_out, *o_key_out,
		  *o_pkcs12, *o_profile, *o_status, *o_expiring, *o_name,
		  *o_format, *o_reason, *o_invalidity, *o_sort, *o_valid_for,
		  *o_not_before, *o_not_after, *o_subject, *o_org, *o_ou,
		  *o_country, *o_email;
static char **o_san;
static int o_days = -1, o_chain, o_rekey, o_pem, o_reverse, o_force,
	   o_revoke_old, o_include_renewed, o_exit_status;
static long long o_limit = LLONG_MIN;   /* LLONG_MIN: not given */

#define HELP_OPTION \
	{ "help", 'h', POPT_ARG_NONE, &show_help, 'h', "show this help", NULL }
#define CA_OPTION(what) \
	{ "ca", '\0', POPT_ARG_STRING, &o_ca, 0, what, "NAME" }
#define P12PASS_OPTION \
	{ "pkcs12-passphrase-file", '\0', POPT_ARG_STRING, \
	  &spork_g.pkcs12_pass_file, 0, \
	  "read the PKCS#12 password from FILE (else asked on the terminal)", \
	  "FILE" }, \
	{ "pkcs12-no-password", '\0', POPT_ARG_NONE, \
	  &spork_g.pkcs12_no_password, 0, \
	  "write the PKCS#12 file unencrypted, without a password", NULL }
#define VALIDITY_OPTIONS(what) \
	{ "valid-for", '\0', POPT_ARG_STRING, &o_valid_for, 0, \
	  "validity as a duration: 90d, 24h, 2w (default: " what ")", \
	  "TIME" }, \
	{ "days", '\0', POPT_ARG_INT, &o_days, 0, \
	  "validity in days (as --valid-for Nd)", "N" }, \
	{ "not-before", '\0', POPT_ARG_STRING, &o_not_before, 0, \
	  "valid from (RFC 3339: 2026-01-02T03:04:05Z; default: now)", \
	  "TIME" }, \
	{ "not-after", '\0', POPT_ARG_STRING, &o_not_after, 0, \
	  "valid until and including (RFC 3339)", "TIME" }
/* A certificate named by serial, file or --name. */
#define NAME_OPTION \
	{ "name", '\0', POPT_ARG_STRING, &o_name, 0, \
	  "the valid certificate carrying this name (instead of SERIAL or " \
	  "FILE; refused when several do)", "NAME" }
#define OUTPUT_OPTIONS \
	{ "out", 'o', POPT_ARG_STRING, &o_out, 0, \
	  "write the certificate (PEM) to FILE (default: standard output)", \
	  "FILE" }, \
	{ "chain", '\0', POPT_ARG_NONE, &o_chain, 0, \
	  "append the CA certificates above it (not the root)", NULL }, \
	{ "key-out", '\0', POPT_ARG_STRING, &o_key_out, 0, \
	  "write a generated key, unencrypted PKCS#8 PEM, mode 0600, to FILE", \
	  "FILE" }, \
	{ "pkcs12", '\0', POPT_ARG_STRING, &o_pkcs12, 0, \
	  "write a generated key, the certificate and its chain as PKCS#12", \
	  "FILE" }, \
	P12PASS_OPTION

static const struct poptOption issue_options[] = {
	{ "csr", '\0', POPT_ARG_STRING, &o_csr, 0,
	  "the certificate request (PEM or DER, - for standard input)", "FILE" },
	{ "cn", '\0', POPT_ARG_STRING, &o_cn, 0,
	  "common name (replaces the request's subject)", "NAME" },
	{ "subject", '\0', POPT_ARG_STRING, &o_subject, 0,
	  "the subject, RFC 4514: 'CN=a,O=Example\\, Inc.,C=DE' (replaces "
	  "the request's)", "DN" },
	{ "org", '\0', POPT_ARG_STRING, &o_org, 0,
	  "organization (O) of the subject", "NAME" },
	{ "ou", '\0', POPT_ARG_STRING, &o_ou, 0,
	  "organizational unit (OU) of the subject", "NAME" },
	{ "country", '\0', POPT_ARG_STRING, &o_country, 0,
	  "country (C), two letters", "CC" },
	{ "email", '\0', POPT_ARG_STRING, &o_email, 0,
	  "emailAddress of the subject (also give it as --san email:)",
	  "ADDR" },
	{ "san", '\0', POPT_ARG_ARGV, &o_san, 0,
	  "subjectAltNames: dns:NAME,ip:ADDR,email:ADDR,uri:URI (repeatable; "
	  "replaces the request's)", "LIST" },
	{ "key-type", '\0', POPT_ARG_STRING, &o_key_type, 0,
	  "generate a key of this type here (default ecdsa-p256)", "TYPE" },
	CA_OPTION("the issuing CA (default: the only one)"),
	{ "profile", '\0', POPT_ARG_STRING, &o_profile, 0,
	  "tls-server (default), tls-client, code-signing, email, ocsp-signing",
	  "PROFILE" },
	VALIDITY_OPTIONS("and maximum: the profile's"),
	OUTPUT_OPTIONS,
	SPORK_COMMON_OPTIONS,
	HELP_OPTION,
	POPT_TABLEEND
};

static const struct poptOption renew_options[] = {
	CA_OPTION("the CA that issued SERIAL (when serials clash)"),
	NAME_OPTION,
	VALIDITY_OPTIONS("the old certificate's"),
	{ "force", '\0', POPT_ARG_NONE, &o_force, 0,
	  "renew even if a valid renewal exists already", NULL },
	{ "revoke-old", '\0', POPT_ARG_NONE, &o_revoke_old, 0,
	  "revoke the old certificate (superseded) with the renewal", NULL },
	{ "rekey", '\0', POPT_ARG_NONE, &o_rekey, 0,
	  "certify a new key: from --csr, or generated here", NULL },
	{ "csr", '\0', POPT_ARG_STRING, &o_csr, 0,
	  "with --rekey: the request carrying the new key", "FILE" },
	{ "key-type", '\0', POPT_ARG_STRING, &o_key_type, 0,
	  "with --rekey: generate a key of this type (default: the old one's)",
	  "TYPE" },
	OUTPUT_OPTIONS,
	SPORK_COMMON_OPTIONS,
	HELP_OPTION,
	POPT_TABLEEND
};

static const struct poptOption list_options[] = {
	CA_OPTION("only certificates this CA issued"),
	{ "status", '\0', POPT_ARG_STRING, &o_status, 0,
	  "valid, revoked or expired", "STATUS" },
	{ "expiring-within", '\0', POPT_ARG_STRING, &o_expiring, 0,
	  "unrevoked ones expired or expiring within this time (30d, 12h, "
	  "0: expired now), without those renewed", "TIME" },
	{ "include-renewed", '\0', POPT_ARG_NONE, &o_include_renewed, 0,
	  "with --expiring-within: also those with a valid renewal", NULL },
	{ "exit-status", '\0', POPT_ARG_NONE, &o_exit_status, 0,
	  "exit 1 when a certificate matches, 0 when none does", NULL },
	{ "name", '\0', POPT_ARG_STRING, &o_name, 0,
	  "glob over the subject and the subjectAltNames", "GLOB" },
	{ "profile", '\0', POPT_ARG_STRING, &o_profile, 0,
	  "only this profile", "PROFILE" },
	{ "limit", '\0', POPT_ARG_LONGLONG, &o_limit, 0,
	  "only the N most recently issued", "N" },
	{ "sort", '\0', POPT_ARG_STRING, &o_sort, 0,
	  "order by issued (default), expiry, serial or name", "KEY" },
	{ "reverse", '\0', POPT_ARG_NONE, &o_reverse, 0,
	  "the other way round (newest, latest expiry ... first)", NULL },
	SPORK_COMMON_OPTIONS,
	HELP_OPTION,
	POPT_TABLEEND
};

static const struct poptOption show_options[] = {
	CA_OPTION("the CA that issued SERIAL (when serials clash)"),
	NAME_OPTION,
	{ "pem", '\0', POPT_ARG_NONE, &o_pem, 0,
	  "also print the certificate in PEM", NULL },
	SPORK_COMMON_OPTIONS,
	HELP_OPTION,
	POPT_TABLEEND
};

static const struct poptOption export_options[] = {
	CA_OPTION("the CA that issued SERIAL (when serials clash)"),
	NAME_OPTION,
	{ "format", 'f', POPT_ARG_STRING, &o_format, 0,
	  "pem (default), der, chain or pkcs12", "FORMAT" },
	{ "out", 'o', POPT_ARG_STRING, &o_out, 0,
	  "write to FILE (default: standard output)", "FILE" },
	P12PASS_OPTION,
	SPORK_COMMON_OPTIONS,
	HELP_OPTION,
	POPT_TABLEEND
};

static const struct poptOption revoke_options[] = {
	CA_OPTION("the CA that issued SERIAL (when serials clash)"),
	NAME_OPTION,
	{ "reason", 'r', POPT_ARG_STRING, &o_reason, 0,
	  "RFC 5280 reason: unspecified, keyCompromise, cACompromise, "
	  "affiliationChanged, superseded, cessationOfOperation, "
	  "certificateHold, privilegeWithdrawn, aACompromise", "REASON" },
	{ "invalidity-date", '\0', POPT_ARG_STRING, &o_invalidity, 0,
	  "with keyCompromise: when the key became unsafe "
	  "(2026-01-02T03:04:05Z or 2026-01-02)", "TIME" },
	SPORK_COMMON_OPTIONS,
	HELP_OPTION,
	POPT_TABLEEND
};

static const struct poptOption unhold_options[] = {
	CA_OPTION("the CA that issued SERIAL (when serials clash)"),
	SPORK_COMMON_OPTIONS,
	HELP_OPTION,
	POPT_TABLEEND
};

static void
cert_usage(FILE *f)
{
	fprintf(f, "usage: spork cert <command> [options]\n\n"
		"Commands:\n"
		"  issue    --csr FILE | --cn NAME --san LIST   issue a certificate\n"
		"  list     [--status S] [--expiring-within T] [--name GLOB]\n"
		"                                    the certificate inventory\n"
		"  show     CERT                     one certificate and its state\n"
		"  export   CERT --format pem|der|chain|pkcs12\n"
		"  renew    CERT [--rekey]           same names, new validity\n"
		"  revoke   CERT --reason REASON     revoke (RFC 5280 reasons)\n"
		"  unhold   SERIAL                   lift a certificateHold\n"
		"\nCERT is a serial, a certificate file (PEM or DER) or --name "
		"NAME.\n"
		"\nRun 'spork cert <command> --help' for options; see "
		"spork-cert(1).\n");
}

/* ------------------------------------------------------------ helpers */

/* Parse, requiring exactly nargs positional arguments. */
static int
parse(const char *cmd, int argc, const char **argv,
      const struct poptOption *table, const char *args, int nargs,
      poptContext *ctx, const char ***rest)
{
	int nrest = 0;

	if (spork_parse(cmd, argc, argv, table, args, ctx, rest, &nrest) != 0)
		return -1;
	if (nrest != nargs) {
		spork_warnx("%s takes %s%s", cmd, nargs ? "one argument: " :
			    "no arguments", nargs ? args : "");
		poptPrintUsage(*ctx, stderr, 0);
		return -1;
	}
	/* A malformed serial is a bad command line (2), like any bad
	 * value; a well-formed one not recorded is not found (3). */
	if (nargs == 1 && strncmp(args, "SERIAL", 6) == 0 &&
	    spork_check_serial((*rest)[0], strcmp(args, "SERIAL|FILE") == 0))
		return -1;
	return 0;
}

/*
 * Parse a command that names one certificate: SERIAL, FILE or --name
 * NAME.  *arg is the positional argument, NULL with --name.
 */
static int
parse_ref(const char *cmd, int argc, const char **argv,
	  const struct poptOption *table, poptContext *ctx, const char **arg)
{
	const char **rest;
	int nrest = 0;

	*arg = NULL;
	if (spork_parse(cmd, argc, argv, table, "SERIAL|FILE", ctx, &rest,
			&nrest) != 0)
		return -1;
	if (nrest == 1 && o_name == NULL) {
		*arg = rest[0];
		/* neither a serial nor anything like a file: usage (2) */
		return spork_check_serial(*arg, 1) != 0 ? -1 : 0;
	}
	if (nrest == 0 && o_name != NULL)
		return 0;
	spork_warnx("%s takes one certificate: a serial, a certificate file "
		    "(PEM or DER) or --name NAME%s", cmd,
		    nrest > 1 || (nrest == 1 && o_name != NULL) ?
		    ", not several" : "");
	poptPrintUsage(*ctx, stderr, 0);
	return -1;
}

static int
is_stdout(const char *path)
{
	return path == NULL || strcmp(path, "-") == 0;
}

/* Refuse, before anything is issued, an output that cannot be written:
 * a missing or read-only directory, an existing key file. */
static int
check_dir(const char *path, const char *what, struct pki_error *err)
{
	char dir[PATH_MAX], *slash;

	if (is_stdout(path))
		return PKI_OK;
	snprintf(dir, sizeof(dir), "%s", path);
	if ((slash = strrchr(dir, '/')) == NULL)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	if (access(dir, W_OK) != 0)
		return pki_error_set(err, errno == ENOENT ? PKI_E_NOTFOUND :
				     PKI_E_IO, "cannot write %s %s: "
				     "directory %s: %s", what, path, dir,
				     strerror(errno));
	return PKI_OK;
}

static int
check_new_file(const char *path, const char *what, struct pki_error *err)
{
	if (path == NULL)
		return PKI_OK;
	if (access(path, F_OK) == 0)
		return pki_error_set(err, PKI_E_EXISTS, "%s %s exists already; "
				     "spork does not overwrite key files: "
				     "remove it or choose another path",
				     what, path);
	return check_dir(path, what, err);
}

/*
 * Where path will be once written, into out: the real path of its
 * directory and its base name (the file need not exist yet, and
 * pki_file_write replaces a symbolic link there rather than follow it).
 * Returns -1 if the directory cannot be resolved.
 */
static int
output_path(const char *path, char *out, size_t size)
{
	char dir[PATH_MAX], real[PATH_MAX], *slash;
	const char *base;

	if ((size_t)snprintf(dir, sizeof(dir), "%s", path) >= sizeof(dir))
		return -1;
	if ((slash = strrchr(dir, '/')) == NULL) {
		base = path;
		snprintf(dir, sizeof(dir), ".");
	} else {
		base = path + (slash - dir) + 1;
		if (slash == dir)
			dir[1] = '\0';
		else
			*slash = '\0';
	}
	if (realpath(dir, real) == NULL ||
	    (size_t)snprintf(out, size, "%s/%s", strcmp(real, "/") == 0 ? "" :
			     real, base) >= size)
		return -1;
	return 0;
}

/* Whether two output options name the same file ("x", "./x", "d/../x"). */
static int
same_output(const char *a, const char *b)
{
	char ra[PATH_MAX], rb[PATH_MAX];

	if (is_stdout(a) || is_stdout(b))
		return 0;
	if (strcmp(a, b) == 0)
		return 1;
	return output_path(a, ra, sizeof(ra)) == 0 &&
	       output_path(b, rb, sizeof(rb)) == 0 && strcmp(ra, rb) == 0;
}

static int
write_out(const char *path, const void *data, size_t len, unsigned mode,
	  int exclusive, struct pki_error *err)
{
	if (is_stdout(path)) {
		if (fwrite(data, 1, len, stdout) != len || fflush(stdout) != 0)
			return pki_error_set(err, PKI_E_IO, "cannot write to "
					     "standard output: %s",
					     strerror(errno));
		return PKI_OK;
	}
	return pki_file_write(path, data, len, mode, exclusive, err);
}

/* PEM of der (and chain) into *out, a malloc'd NUL-terminated string. */
static int
pem_of(const gnutls_datum_t *der, const gnutls_datum_t *chain, size_t nchain,
       char **out, size_t *outlen, struct pki_error *err)
{
	FILE *f;
	size_t i;
	int ret = 0;

	*out = NULL;
	*outlen = 0;
	if ((f = open_memstream(out, outlen)) == NULL)
		return pki_error_set(err, PKI_E_NOMEM, "out of memory");
	for (i = 0; i <= nchain && ret >= 0; i++) {
		gnutls_datum_t pem = { NULL, 0 };

		ret = gnutls_pem_base64_encode2("CERTIFICATE",
						i == 0 ? der : &chain[i - 1], &pem);
		if (ret >= 0)
			fwrite(pem.data, 1, pem.size, f);
		gnutls_free(pem.data);
	}
	if (fclose(f) != 0 || ret < 0) {
		free(*out);
		*out = NULL;
		return ret < 0 ? spork_gnutls_error(err, ret, "PEM encoding")
			       : pki_error_set(err, PKI_E_NOMEM, "out of memory");
	}
	return PKI_OK;
}

/* The PKCS#12 password: --pkcs12-passphrase-file, or the terminal. */
static int
p12_password(const char *path, char *buf, size_t size, struct pki_error *err)
{
	char label[PATH_MAX + 32];

	/* spork_passphrase never uses the CA passphrase sources for this. */
	snprintf(label, sizeof(label), "PKCS#12 file %s", path ? path : "-");
	return spork_passphrase(NULL, label, PKI_PASS_PKCS12_OUT, buf, size,
				err);
}

/*
 * The password of a --pkcs12 file for a key generated here, asked before
 * anything is issued (check_key_outputs): once the certificate is
 * recorded, failing to protect its key would lose the key.
 */
static char p12_pass[1024];
static int p12_pass_ready;

static int
write_pkcs12(const char *path, const gnutls_datum_t *der,
	     const gnutls_datum_t *chain, size_t nchain,
	     gnutls_x509_privkey_t key, const char *name, int exclusive,
	     struct pki_error *err)
{
	gnutls_datum_t p12 = { NULL, 0 };
	char pass[1024];
	int rc;

	if (p12_pass_ready) {
		memcpy(pass, p12_pass, sizeof(pass));
		pki_memzero(p12_pass, sizeof(p12_pass));
		p12_pass_ready = 0;
	} else if ((rc = p12_password(path, pass, sizeof(pass), err)) != PKI_OK) {
		return rc;
	}
	rc = pki_enroll_pkcs12(der, chain, nchain, key,
			       spork_g.pkcs12_no_password ? NULL : pass, name,
			       &p12, err);
	pki_memzero(pass, sizeof(pass));
	if (rc == PKI_OK)
		rc = write_out(path, p12.data, p12.size, 0600, exclusive, err);
	gnutls_free(p12.data);
	return rc;
}

static int
write_key(const char *path, gnutls_x509_privkey_t key, struct pki_error *err)
{
	gnutls_datum_t pem = { NULL, 0 };
	int ret, rc;

	if ((ret = gnutls_x509_privkey_export2_pkcs8(key, GNUTLS_X509_FMT_PEM,
						     NULL, GNUTLS_PKCS_PLAIN,
						     &pem)) < 0)
		return spork_gnutls_error(err, ret, "exporting the new key");
	rc = pki_file_write(path, pem.data, pem.size, 0600, 1, err);
	pki_memzero(pem.data, pem.size);
	gnutls_free(pem.data);
	return rc;
}

static const char *
first_cn(const char *subject, char *buf, size_t len)
{
	const char *p = strstr(subject ? subject : "", "CN=");
	size_t n = 0;

	buf[0] = '\0';
	if (p == NULL)
		return buf;
	for (p += 3; *p && n + 1 < len; p++) {
		if (*p == '\\' && p[1]) {
			buf[n++] = *++p;
			continue;
		}
		if (*p == ',')
			break;
		buf[n++] = *p;
	}
	buf[n] = '\0';
	return buf;
}

/* --------------------------------------------------------- reporting */

static json_t *
sans_json(const char *sans)
{
	json_t *a = json_array();
	const char *p = sans, *nl;

	while (p != NULL && *p != '\0') {
		nl = strchr(p, '\n');
		json_array_append_new(a, json_stringn(p, nl ? (size_t)(nl - p)
							    : strlen(p)));
		p = nl ? nl + 1 : NULL;
	}
	return a;
}

static json_t *
time_json(int64_t t)
{
	return t == 0 ? json_null() : json_string(spork_time(t));
}

/* The serial of row id (renewal_of), or NULL. */
static char *
serial_of(struct pki_store *st, int64_t id)
{
	struct pki_cert_record r;
	char *s = NULL;

	if (id == 0)
		return NULL;
	memset(&r, 0, sizeof(r));
	if (pki_store_cert_get_id(st, id, &r, NULL) == PKI_OK)
		s = spork_strdup(r.serial);
	pki_cert_record_clear(&r);
	return s;
}

/* The documented JSON shape of one certificate (spork-cert(1)). */
static json_t *
cert_json(struct pki_store *st, const struct pki_cert_record *r, int64_t now)
{
	json_t *o = json_object(), *rev = json_null();
	char *renewed = serial_of(st, r->renewal_of);
	char *by = serial_of(st, r->renewed_by);

	json_object_set_new(o, "serial", json_string(r->serial));
	json_object_set_new(o, "subject", json_string(r->subject ? r->subject : ""));
	json_object_set_new(o, "sans", sans_json(r->sans));
	json_object_set_new(o, "profile", json_string(r->profile));
	json_object_set_new(o, "ca", r->issuer_name ? json_string(r->issuer_name)
						    : json_null());
	json_object_set_new(o, "not_before", time_json(r->not_before));
	json_object_set_new(o, "not_after", time_json(r->not_after));
	json_object_set_new(o, "status", json_string(pki_cert_status_name(
				pki_cert_record_status(r, now))));
	json_object_set_new(o, "sha256", json_string(r->sha256 ? r->sha256 : ""));
	json_object_set_new(o, "renewal_of", renewed ? json_string(renewed)
						     : json_null());
	json_object_set_new(o, "renewed_by", by ? json_string(by) : json_null());
	json_object_set_new(o, "superseded", json_boolean(r->superseded_by != 0));
	json_object_set_new(o, "source", json_string(r->source ? r->source : ""));
	json_object_set_new(o, "requester", json_string(r->requester ?
							r->requester : ""));
	json_object_set_new(o, "created_at", time_json(r->created_at));
	json_object_set_new(o, "is_ca", json_boolean(r->ca_id != 0));
	if (r->revoked)
		rev = json_pack("{s:s, s:i, s:o, s:o}",
				"reason", pki_crl_reason_name(r->reason) ?
				pki_crl_reason_name(r->reason) : "",
				"reason_code", (json_int_t)r->reason,
				"revoked_at", time_json(r->revoked_at),
				"invalidity_date", time_json(r->invalidity_date));
	json_object_set_new(o, "revocation", rev);
	free(renewed);
	free(by);
	return o;
}

/* The record form of the names, comma-separated, cleaned. */
static void
print_names(const char *sans)
{
	const char *p = sans, *nl;
	char *one;

	while (p != NULL && *p != '\0') {
		nl = strchr(p, '\n');
		one = strndup(p, nl ? (size_t)(nl - p) : strlen(p));
		spork_put_clean(stdout, one ? one : "?", 0);
		free(one);
		if (nl != NULL)
			putchar(',');
		p = nl ? nl + 1 : NULL;
	}
}

/* "label    value\n" with value cleaned. */
static void
print_field(const char *label, const char *value)
{
	printf("%-14s", label);
	spork_put_clean(stdout, value ? value : "", 0);
	putchar('\n');
}

static void
print_cert(struct pki_store *st, const struct pki_cert_record *r, int64_t now,
	   gnutls_x509_crt_t crt)
{
	enum pki_cert_status s = pki_cert_record_status(r, now);
	char *renewed = serial_of(st, r->renewal_of);
	char *by = serial_of(st, r->renewed_by);

	printf("%-14s%s\n", "serial", r->serial);
	print_field("subject", r->subject);
	printf("%-14s", "names");
	print_names(r->sans);
	printf("\n%-14s", "issued by");
	spork_put_clean(stdout, r->issuer_name ? r->issuer_name :
			"(external CA)", 0);
	printf("%s\n", r->ca_id ? " (this is a CA certificate)" : "");
	print_field("profile", r->profile);
	printf("%-14s%s\n", "not before", spork_time(r->not_before));
	printf("%-14s%s\n", "not after", spork_time(r->not_after));
	printf("%-14s%s", "status", pki_cert_status_name(s));
	if (r->revoked) {
		printf(" (%s, %s", pki_crl_reason_name(r->reason) ?
		       pki_crl_reason_name(r->reason) : "?",
		       spork_time(r->revoked_at));
		if (r->invalidity_date)
			printf("; invalid since %s", spork_time(r->invalidity_date));
		printf(")");
	}
	printf("\n");
	if (crt != NULL) {
		gnutls_pubkey_t pub = NULL;
		enum pki_key_alg alg;

		if (gnutls_pubkey_init(&pub) >= 0 &&
		    gnutls_pubkey_import_x509(pub, crt, 0) >= 0 &&
		    pki_key_alg_of_pubkey(pub, &alg, NULL) == PKI_OK)
			printf("%-14s%s\n", "key", pki_key_alg_name(alg));
		gnutls_pubkey_deinit(pub);
	}
	printf("%-14s%s\n", "sha256", r->sha256 ? r->sha256 : "");
	if (renewed)
		printf("%-14s%s\n", "renewal of", renewed);
	if (by)
		printf("%-14s%s%s\n", "renewed by", by, r->superseded_by ? "" :
		       " (no longer valid)");
	printf("%-14s", "recorded");
	spork_put_clean(stdout, r->source ? r->source : "", 0);
	fputs(" by ", stdout);
	spork_put_clean(stdout, r->requester ? r->requester : "", 0);
	printf(" at %s\n", spork_time(r->created_at));
	free(renewed);
	free(by);
}

/* ------------------------------------------------------------ context */

struct env {
	struct pki_state *state;
	struct pki_store *st;
	struct pki_enroll e;
};

static int
env_open(struct env *v, int with_keys, int with_policy, struct pki_error *err)
{
	const struct pki_policy *pol;
	int rc;

	memset(v, 0, sizeof(*v));
	if ((rc = spork_state(with_keys ? PKI_STATE_CLI : PKI_STATE_READ, 0,
			      &v->state, err)) != PKI_OK)
		return rc;
	v->st = pki_state_store(v->state);
	/* A policy file that does not parse stops the command before
	 * anything is asked or signed. */
	if (with_policy && (rc = pki_state_policy(v->state, &pol, err)) != PKI_OK)
		return rc;
	v->e.state = v->state;
	v->e.source = "cli";
	return PKI_OK;
}

static void
env_close(struct env *v)
{
	pki_state_close(v->state);
	memset(v, 0, sizeof(*v));
}

/* Report a failure: policy file errors get file:line:column. */
static int
fail(const struct pki_error *err)
{
	char *path = NULL;
	int rc;

	if (err->line > 0)
		path = pki_state_path_of(spork_state_dir(), PKI_STATE_POLICY);
	rc = spork_fail(err, path);
	free(path);
	return rc;
}

/* ----------------------------------------------------- issue and renew */

/* Write what an issuance produced, then report it. */
static int
deliver(struct env *v, struct pki_enroll_result *res, const char *verb,
	struct pki_error *err)
{
	char *pem = NULL, *cert_pem = NULL, cn[256];
	size_t pemlen = 0, certlen = 0;
	int rc, key_out = res->key != NULL && o_key_out != NULL;

	if ((rc = pem_of(&res->der, res->chain, o_chain ? res->nchain : 0, &pem,
			 &pemlen, err)) != PKI_OK ||
	    (rc = pem_of(&res->der, NULL, 0, &cert_pem, &certlen, err)) != PKI_OK)
		goto out;
	if (res->key != NULL && o_key_out != NULL &&
	    (rc = write_key(o_key_out, res->key, err)) != PKI_OK)
		goto out;
	if (o_pkcs12 != NULL &&
	    (rc = write_pkcs12(o_pkcs12, &res->der, res->chain, res->nchain,
			       res->key, first_cn(res->rec.subject, cn,
						  sizeof(cn)), 1, err)) != PKI_OK)
		goto out;
	/* Written: the generated key leaves memory now, not at exit
	 * (gnutls_x509_privkey_deinit zeroes it). */
	if (res->key != NULL) {
		gnutls_x509_privkey_deinit(res->key);
		res->key = NULL;
	}
	if (!(spork_g.json && is_stdout(o_out)) &&
	    (rc = write_out(o_out, pem, pemlen, 0644, 0, err)) != PKI_OK)
		goto out;
	if (spork_g.json) {
		json_t *o = cert_json(v->st, &res->rec, spork_now());

		json_object_set_new(o, "pem", json_string(cert_pem));
		json_object_set_new(o, "files", json_pack("{s:o, s:o, s:o}",
			"certificate", is_stdout(o_out) ? json_null() :
				json_string(o_out),
			"key", key_out ? json_string(o_key_out) :
				json_null(),
			"pkcs12", o_pkcs12 ? json_string(o_pkcs12) : json_null()));
		spork_json_out(o);
	} else if (!spork_g.quiet) {
		fprintf(stderr, "%s %s for ", verb, res->rec.serial);
		spork_put_clean(stderr, first_cn(res->rec.subject, cn,
						 sizeof(cn)), 0);
		fprintf(stderr, " (%s, CA '", res->rec.profile);
		spork_put_clean(stderr, res->rec.issuer_name, 0);
		fprintf(stderr, "'), valid until %s",
			spork_time(res->rec.not_after));
		if (!is_stdout(o_out))
			fprintf(stderr, "; certificate in %s", o_out);
		if (key_out)
			fprintf(stderr, "; key in %s", o_key_out);
		if (o_pkcs12 != NULL)
			fprintf(stderr, "; PKCS#12 in %s", o_pkcs12);
		fprintf(stderr, "\n");
	}
	rc = PKI_OK;
out:
	free(pem);
	free(cert_pem);
	return rc;
}

static int usage_fail(poptContext ctx, const char *fmt, ...) PKI_PRINTF(2, 3);

/* A bad command line: say why, free ctx, exit code 2. */
static int
usage_fail(poptContext ctx, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "spork: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	poptFreeContext(ctx);
	return SPORK_EXIT_USAGE;
}

/* Output options that only make sense with a key generated here, and
 * outputs that could not be written. */
static int
check_key_outputs(poptContext ctx, int generated, struct pki_error *err)
{
	if (!generated && o_key_out != NULL)
		return usage_fail(ctx, "--key-out is for a key generated here; "
				  "a request (or a renewal without --rekey) "
				  "keeps its key with you");
	if (!generated && o_pkcs12 != NULL)
		return usage_fail(ctx, "--pkcs12 is for a key generated here; "
				  "for a certificates-only PKCS#12 file use "
				  "'spork cert export SERIAL --format pkcs12'");
	if (generated && o_key_out == NULL && o_pkcs12 == NULL)
		return usage_fail(ctx, "a key generated here must be written "
				  "somewhere: give --key-out FILE (unencrypted, "
				  "mode 0600) or --pkcs12 FILE");
	if (o_key_out != NULL && strcmp(o_key_out, "-") == 0)
		return usage_fail(ctx, "--key-out needs a file; spork does not "
				  "print private keys");
	if (o_pkcs12 != NULL && strcmp(o_pkcs12, "-") == 0)
		return usage_fail(ctx, "--pkcs12 needs a file");
	/* The certificate is written last: it would overwrite the key. */
	if (same_output(o_out, o_key_out) || same_output(o_out, o_pkcs12))
		return usage_fail(ctx, "--out and --%s name the same file, %s: "
				  "the certificate would overwrite the key; "
				  "choose two paths", same_output(o_out,
				  o_key_out) ? "key-out" : "pkcs12", o_out);
	if (same_output(o_key_out, o_pkcs12))
		return usage_fail(ctx, "--key-out and --pkcs12 name the same "
				  "file, %s; choose two paths", o_key_out);
	if (check_new_file(o_key_out, "key file", err) != PKI_OK ||
	    check_new_file(o_pkcs12, "PKCS#12 file", err) != PKI_OK ||
	    check_dir(o_out, "certificate", err) != PKI_OK ||
	    (o_pkcs12 != NULL &&
	     p12_password(o_pkcs12, p12_pass, sizeof(p12_pass), err) != PKI_OK)) {
		pki_memzero(p12_pass, sizeof(p12_pass));
		poptFreeContext(ctx);
		return spork_fail(err, NULL);
	}
	p12_pass_ready = o_pkcs12 != NULL;
	return SPORK_EXIT_OK;
}

static int is_file_arg(const char *arg);
static int parse_time_arg(const char *s, int64_t *t);
static int find_cert(struct env *v, const char *arg, struct pki_cert_record *r,
		     struct pki_error *err);

/*
 * The serial and CA that revoke and renew pass to libpki: a serial as
 * given (libpki looks it up and says what is wrong with it), else the
 * certificate found by file or --name (into *found, which the caller
 * clears).
 */
static int
resolve(struct env *v, const char *arg, struct pki_cert_record *found,
	const char **serial, const char **ca, struct pki_error *err)
{
	int rc;

	*serial = arg;
	*ca = o_ca;
	if (arg != NULL && !is_file_arg(arg))
		return PKI_OK;
	if ((rc = find_cert(v, arg, found, err)) != PKI_OK)
		return rc;
	*serial = found->serial;
	if (found->issuer_name != NULL)
		*ca = found->issuer_name;
	return PKI_OK;
}

/* --valid-for, --not-before, --not-after (with --days) into seconds; a
 * bad command line exits 2 (ctx freed). */
static int
validity_args(poptContext ctx, int64_t *valid_for, int64_t *nb, int64_t *na)
{
	if (o_days == 0 || o_days < -1)
		return usage_fail(ctx, "--days needs a positive number");
	if ((o_days > 0) + (o_valid_for != NULL) + (o_not_after != NULL) > 1)
		return usage_fail(ctx, "give one of --valid-for, --days and "
				  "--not-after");
	if (o_valid_for != NULL &&
	    (spork_parse_duration(o_valid_for, valid_for) != 0 ||
	     *valid_for <= 0))
		return usage_fail(ctx, "--valid-for takes a duration like 90d, "
				  "24h or 2w (spork(1), DURATIONS), not '%s'",
				  o_valid_for);
	if (o_not_before != NULL && parse_time_arg(o_not_before, nb) != 0)
		return usage_fail(ctx, "--not-before takes RFC 3339 time like "
				  "2026-01-02T03:04:05Z, not '%s'", o_not_before);
	if (o_not_after != NULL && parse_time_arg(o_not_after, na) != 0)
		return usage_fail(ctx, "--not-after takes RFC 3339 time like "
				  "2026-01-02T03:04:05Z, not '%s'", o_not_after);
	if (o_not_before != NULL && o_not_after != NULL && *na < *nb)
		return usage_fail(ctx, "--not-after %s comes before --not-before "
				  "%s", o_not_after, o_not_before);
	return SPORK_EXIT_OK;
}

/* Replace *field with a copy of v (when given); -1 out of memory. */
static int
set_field(char **field, const char *v)
{
	if (v == NULL)
		return 0;
	free(*field);
	return (*field = strdup(v)) == NULL ? -1 : 0;
}

static int
cmd_issue(int argc, const char **argv)
{
	poptContext ctx;
	const char **rest;
	struct pki_enroll_request req;
	struct pki_enroll_result res;
	struct pki_subject subj;
	struct pki_error err;
	struct env v;
	gnutls_datum_t csr = { NULL, 0 };
	int rc, i;

	memset(&subj, 0, sizeof(subj));
	pki_error_clear(&err);
	memset(&req, 0, sizeof(req));
	memset(&res, 0, sizeof(res));
	memset(&v, 0, sizeof(v));
	if (parse("cert issue", argc, argv, issue_options, NULL, 0, &ctx,
		  &rest) != 0) {
		poptFreeContext(ctx);
		return SPORK_EXIT_USAGE;
	}
	if (o_csr == NULL && o_cn == NULL && o_san == NULL && o_subject == NULL)
		return usage_fail(ctx, "give --csr FILE, or --cn NAME (or "
				  "--subject DN) and/or --san LIST for a key "
				  "generated here");
	if (o_csr != NULL && o_key_type != NULL)
		return usage_fail(ctx, "--key-type is for a key generated here; "
				  "a request brings its own key");
	if ((rc = validity_args(ctx, &req.valid_for, &req.not_before,
				&req.not_after)) != SPORK_EXIT_OK)
		return rc;
	if ((rc = check_key_outputs(ctx, o_csr == NULL, &err)) != SPORK_EXIT_OK)
		return rc;
	req.ca_name = o_ca;
	req.profile = o_profile;
	req.days = o_days > 0 ? (unsigned)o_days : 0;
	req.cn = o_cn;
	if (o_subject != NULL || o_org != NULL || o_ou != NULL ||
	    o_country != NULL || o_email != NULL) {
		if (o_subject != NULL &&
		    pki_subject_parse(o_subject, &subj, &err) != PKI_OK) {
			pki_error_prefix(&err, "--subject");
			rc = spork_fail(&err, NULL);
			goto out;
		}
		if (set_field(&subj.organization, o_org) != 0 ||
		    set_field(&subj.organizational_unit, o_ou) != 0 ||
		    set_field(&subj.country, o_country) != 0 ||
		    set_field(&subj.email, o_email) != 0) {
			pki_error_set(&err, PKI_E_NOMEM, "out of memory");
			rc = spork_fail(&err, NULL);
			goto out;
		}
		/* --org and friends alone keep the request's common name */
		if (o_subject == NULL && o_cn == NULL && o_csr != NULL) {
			pki_subject_clear(&subj);
			rc = usage_fail(ctx, "--org, --ou, --country and --email "
					"replace the request's subject: give "
					"--cn or --subject with them");
			ctx = NULL;
			goto out;
		}
		req.subject = &subj;
	}
	req.key_alg = PKI_KEY_ECDSA_P256;
	if (o_key_type != NULL &&
	    pki_key_alg_from_name(o_key_type, &req.key_alg, &err) != PKI_OK) {
		rc = spork_bad_value(&err);
		goto out;
	}
	for (i = 0; o_san != NULL && o_san[i] != NULL; i++)
		if (pki_enroll_add_sans(&req, o_san[i], &err) != PKI_OK) {
			pki_error_prefix(&err, "--san");
			rc = spork_fail(&err, NULL);
			goto out;
		}
	if (o_csr != NULL) {
		if (pki_file_read(o_csr, 64 * 1024, &csr, &err) != PKI_OK) {
			rc = spork_fail(&err, NULL);
			goto out;
		}
		req.csr = &csr;
	}
	if (env_open(&v, 1, 1, &err) != PKI_OK ||
	    pki_enroll_issue(&v.e, &req, &res, &err) != PKI_OK ||
	    deliver(&v, &res, "issued", &err) != PKI_OK) {
		rc = fail(&err);
		goto out;
	}
	rc = SPORK_EXIT_OK;
out:
	gnutls_free(csr.data);
	pki_enroll_result_clear(&res);
	pki_enroll_request_clear(&req);
	pki_subject_clear(&subj);
	env_close(&v);
	poptFreeContext(ctx);
	return rc;
}

static int
cmd_renew(int argc, const char **argv)
{
	poptContext ctx;
	const char *arg;
	struct pki_cert_record found;
	struct pki_enroll_renewal req;
	struct pki_enroll_result res;
	struct pki_error err;
	struct env v;
	gnutls_datum_t csr = { NULL, 0 };
	int rc;

	pki_error_clear(&err);
	memset(&req, 0, sizeof(req));
	memset(&res, 0, sizeof(res));
	memset(&v, 0, sizeof(v));
	memset(&found, 0, sizeof(found));
	if (parse_ref("cert renew", argc, argv, renew_options, &ctx, &arg) != 0) {
		poptFreeContext(ctx);
		return SPORK_EXIT_USAGE;
	}
	if (!o_rekey && (o_csr != NULL || o_key_type != NULL))
		return usage_fail(ctx, "--csr and --key-type go with --rekey");
	if (o_csr != NULL && o_key_type != NULL)
		return usage_fail(ctx, "--key-type is for a key generated here; "
				  "a request brings its own key");
	if (o_days == 0 || o_days < -1)
		return usage_fail(ctx, "--days needs a positive number");
	if ((rc = check_key_outputs(ctx, o_rekey && o_csr == NULL, &err)) !=
	    SPORK_EXIT_OK)
		return rc;
	if ((rc = validity_args(ctx, &req.valid_for, &req.not_before,
				&req.not_after)) != SPORK_EXIT_OK)
		return rc;
	req.days = o_days > 0 ? (unsigned)o_days : 0;
	req.rekey = o_rekey;
	req.force = o_force;
	req.revoke_old = o_revoke_old;
	if (o_key_type != NULL) {
		if (pki_key_alg_from_name(o_key_type, &req.key_alg, &err) != PKI_OK) {
			rc = spork_bad_value(&err);
			goto out;
		}
		req.key_alg_set = 1;
	}
	if (o_csr != NULL) {
		if (pki_file_read(o_csr, 64 * 1024, &csr, &err) != PKI_OK) {
			rc = spork_fail(&err, NULL);
			goto out;
		}
		req.csr = &csr;
	}
	if (env_open(&v, 1, 1, &err) != PKI_OK ||
	    resolve(&v, arg, &found, &req.serial, &req.ca_name, &err) != PKI_OK ||
	    pki_enroll_renew(&v.e, &req, &res, &err) != PKI_OK ||
	    deliver(&v, &res, "renewed as", &err) != PKI_OK) {
		rc = fail(&err);
		goto out;
	}
	if (o_revoke_old && !spork_g.json && !spork_g.quiet)
		fprintf(stderr, "revoked %s (superseded); it takes effect for "
			"relying parties with the next CRL\n", req.serial);
	rc = SPORK_EXIT_OK;
out:
	pki_cert_record_clear(&found);
	gnutls_free(csr.data);
	pki_enroll_result_clear(&res);
	env_close(&v);
	poptFreeContext(ctx);
	return rc;
}

/* ------------------------------------------------------------ list */

/* Characters (not bytes) of UTF-8 text s, as a terminal shows them. */
static int
text_width(const char *s)
{
	int n = 0;

	for (; s != NULL && *s != '\0'; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

/* s cleaned, padded with spaces to width characters. */
static void
put_col(const char *s, int width)
{
	int n = text_width(s);

	spork_put_clean(stdout, s, 0);
	for (; n < width; n++)
		putchar(' ');
}

/* The word of the STATUS column: "superseded" for a valid certificate
 * with a valid renewal. */
static const char *
list_status(const struct pki_cert_record *r, int64_t now)
{
	enum pki_cert_status st = pki_cert_record_status(r, now);

	if (st == PKI_CERT_VALID && r->superseded_by != 0)
		return "superseded";
	return pki_cert_status_name(st);
}

/* The table of cert list, its columns as wide as their widest value. */
static void
list_print(const struct pki_cert_record *v, size_t n, int64_t now)
{
	int w[5] = { 6, 6, 9, 7, 2 };    /* SERIAL STATUS NOT AFTER PROFILE CA */
	char cn[256];
	size_t i;

#define WIDEN(k, s) do { int x_ = text_width(s); if (x_ > w[k]) w[k] = x_; } while (0)
	for (i = 0; i < n; i++) {
		WIDEN(0, v[i].serial);
		WIDEN(1, list_status(&v[i], now));
		WIDEN(2, spork_time(v[i].not_after));
		WIDEN(3, v[i].profile);
		WIDEN(4, v[i].issuer_name ? v[i].issuer_name : "-");
	}
#undef WIDEN
	printf("%-*s %-*s %-*s %-*s %-*s NAMES\n", w[0], "SERIAL", w[1],
	       "STATUS", w[2], "NOT AFTER", w[3], "PROFILE", w[4], "CA");
	for (i = 0; i < n; i++) {
		const struct pki_cert_record *r = &v[i];

		put_col(r->serial, w[0]);
		putchar(' ');
		put_col(list_status(r, now), w[1]);
		putchar(' ');
		put_col(spork_time(r->not_after), w[2]);
		putchar(' ');
		put_col(r->profile, w[3]);
		putchar(' ');
		put_col(r->issuer_name ? r->issuer_name : "-", w[4]);
		putchar(' ');
		if (r->sans != NULL && *r->sans != '\0')
			print_names(r->sans);
		else
			spork_put_clean(stdout, first_cn(r->subject, cn,
							 sizeof(cn)), 0);
		printf("\n");
	}
}

/* --sort: the keys, and the one in effect for cmp_cert. */
static const char *const sort_keys[] = { "issued", "expiry", "serial",
					 "name", NULL };
static int sort_by;

static int
sort_key(const char *s)
{
	int i;

	for (i = 0; sort_keys[i] != NULL; i++)
		if (strcmp(s, sort_keys[i]) == 0)
			return i;
	return -1;
}

/* What --sort name orders by: the first name, without its "dns:". */
static const char *
sort_name(const struct pki_cert_record *r)
{
	const char *p = r->sans != NULL && *r->sans != '\0' ? r->sans :
		r->subject != NULL ? r->subject : "";

	if (p == r->sans && strchr(p, ':') != NULL)
		p = strchr(p, ':') + 1;
	else if (strncmp(p, "CN=", 3) == 0)
		p += 3;
	return p;
}

static int
cmp_cert(const void *va, const void *vb)
{
	const struct pki_cert_record *a = va, *b = vb;
	int c = 0;

	switch (sort_by) {
	case 1:
		c = (a->not_after > b->not_after) - (a->not_after < b->not_after);
		break;
	case 2:
		c = strlen(a->serial) != strlen(b->serial) ?
		    (strlen(a->serial) > strlen(b->serial) ? 1 : -1) :
		    strcmp(a->serial, b->serial);
		break;
	case 3:
		c = strcasecmp(sort_name(a), sort_name(b));
		break;
	}
	return c != 0 ? c : (a->id > b->id) - (a->id < b->id);
}

/*
 * What cert list shows of the n certificates in v (in issue order): with
 * --limit the newest N, ordered by --sort, --reverse turning the order
 * round.  Sorts that window of v in place; its start is returned.
 */
static size_t
list_window(struct pki_cert_record *v, size_t n)
{
	size_t first = 0, i;
	struct pki_cert_record t;

	if (o_limit != LLONG_MIN && (unsigned long long)o_limit < n)
		first = n - (size_t)o_limit;
	sort_by = o_sort != NULL ? sort_key(o_sort) : 0;
	qsort(v + first, n - first, sizeof(*v), cmp_cert);
	for (i = 0; o_reverse && i < (n - first) / 2; i++) {
		t = v[first + i];
		v[first + i] = v[n - 1 - i];
		v[n - 1 - i] = t;
	}
	return first;
}

static int
cmd_list(int argc, const char **argv)
{
	poptContext ctx;
	const char **rest;
	struct pki_cert_filter f;
	struct pki_ca_record ca;
	struct pki_error err;
	struct pki_cert_record *v = NULL;
	struct pki_state *state = NULL;
	struct pki_store *st = NULL;
	size_t n = 0, first = 0, i;
	int64_t now;
	int rc;

	pki_error_clear(&err);
	memset(&f, 0, sizeof(f));
	memset(&ca, 0, sizeof(ca));
	if (parse("cert list", argc, argv, list_options, NULL, 0, &ctx,
		  &rest) != 0) {
		poptFreeContext(ctx);
		return SPORK_EXIT_USAGE;
	}
	f.now = now = spork_now();
	if (o_status != NULL) {
		if (strcmp(o_status, "valid") == 0)
			f.status = PKI_CERT_VALID;
		else if (strcmp(o_status, "revoked") == 0)
			f.status = PKI_CERT_REVOKED;
		else if (strcmp(o_status, "expired") == 0)
			f.status = PKI_CERT_EXPIRED;
		else if (strcmp(o_status, "any") != 0)
			return usage_fail(ctx, "--status is valid, revoked, "
					  "expired or any, not '%s'", o_status);
	}
	if (o_expiring != NULL) {
		if (spork_parse_duration(o_expiring, &f.expiring_within) != 0)
			return usage_fail(ctx, "--expiring-within takes a time "
					  "like 30d, 12h, 90m or 3600s, not "
					  "'%s'", o_expiring);
		f.expiring = 1;
		f.exclude_superseded = !o_include_renewed;
	} else if (o_include_renewed) {
		return usage_fail(ctx, "--include-renewed goes with "
				  "--expiring-within");
	}
	if (o_limit != LLONG_MIN && o_limit <= 0)
		return usage_fail(ctx, "--limit needs a positive number");
	if (o_sort != NULL && sort_key(o_sort) < 0)
		return usage_fail(ctx, "--sort is issued, expiry, serial or "
				  "name, not '%s'", o_sort);
	f.name_glob = o_name;
	if (o_profile != NULL && pki_profile_by_name(o_profile) == NULL)
		return usage_fail(ctx, "unknown profile '%s' (tls-server, "
				  "tls-client, code-signing, email, "
				  "ocsp-signing, root-ca, sub-ca)", o_profile);
	f.profile = o_profile;
	if (spork_state(PKI_STATE_READ, 0, &state, &err) != PKI_OK) {
		rc = spork_fail(&err, NULL);
		goto out;
	}
	st = pki_state_store(state);
	if (o_ca != NULL) {
		if (pki_store_ca_find(st, o_ca, &ca, &err) != PKI_OK) {
			rc = spork_fail(&err, NULL);
			goto out;
		}
		f.issuer_ca_id = ca.id;
	}
	if (pki_store_cert_list(st, &f, &v, &n, &err) != PKI_OK) {
		rc = spork_fail(&err, NULL);
		goto out;
	}
	first = list_window(v, n);
	if (spork_g.json) {
		json_t *a = json_array();

		for (i = first; i < n; i++)
			json_array_append_new(a, cert_json(st, &v[i], now));
		spork_json_out(json_pack("{s:i, s:o}", "count",
					 (json_int_t)(n - first),
					 "certificates", a));
	} else if (!spork_g.quiet && n > first) {
		list_print(v + first, n - first, now);
	} else if (!spork_g.quiet) {
		fprintf(stderr, "no certificates match\n");
	}
	/* --exit-status: as openssl x509 -checkend, 1 when something
	 * matches (needs attention) */
	rc = o_exit_status && n > 0 ? SPORK_EXIT_FAIL : SPORK_EXIT_OK;
	pki_cert_records_free(v, n);
out:
	pki_ca_record_clear(&ca);
	pki_state_close(state);
	poptFreeContext(ctx);
	return rc;
}

/* --------------------------------------------------------- show, export */

struct name_match {
	struct pki_cert_record first;
	size_t n;
	char list[1024];
};

static int
name_one(void *vctx, const struct pki_cert_record *r)
{
	struct name_match *m = vctx;
	size_t len = strlen(m->list);

	if (m->n++ == 0) {
		m->first = *r;
		m->first.serial = spork_strdup(r->serial);
		m->first.subject = NULL;
		m->first.sans = NULL;
		m->first.profile = NULL;
		m->first.sha256 = NULL;
		m->first.source = NULL;
		m->first.requester = NULL;
		m->first.issuer_name = spork_strdup(r->issuer_name);
		memset(&m->first.der, 0, sizeof(m->first.der));
	}
	if (len + 1 < sizeof(m->list))
		snprintf(m->list + len, sizeof(m->list) - len, "%s%s (CA '%s', "
			 "until %s)", len ? ", " : "", r->serial,
			 r->issuer_name ? r->issuer_name : "-",
			 spork_time(r->not_after));
	return 0;
}

/*
 * --name NAME into *r: the one valid certificate, not superseded by a
 * valid renewal, whose subject or subjectAltNames match (a glob as in
 * cert list --name).  Several: PKI_E_CONFLICT listing them.
 */
static int
find_by_name(struct env *v, const char *name, struct pki_cert_record *r,
	     struct pki_error *err)
{
	struct pki_cert_filter f;
	struct pki_ca_record ca;
	struct name_match m;
	char serial[2 * PKI_STORE_SERIAL_MAX + 1];
	int64_t ca_id = 0;
	int rc;

	memset(&f, 0, sizeof(f));
	memset(&ca, 0, sizeof(ca));
	memset(&m, 0, sizeof(m));
	if (o_ca != NULL) {
		if ((rc = pki_store_ca_get(v->st, o_ca, &ca, err)) != PKI_OK) {
			if (rc == PKI_E_NOTFOUND)
				pki_error_set(err, rc, "no CA named '%s' "
					      "(spork pki status lists them)",
					      o_ca);
			return rc;
		}
		ca_id = ca.id;
		pki_ca_record_clear(&ca);
	}
	f.issuer_ca_id = ca_id;
	f.status = PKI_CERT_VALID;
	f.now = spork_now();
	f.name_glob = name;
	f.exclude_superseded = 1;
	if ((rc = pki_store_cert_foreach(v->st, &f, name_one, &m, err)) !=
	    PKI_OK)
		goto out;
	if (m.n == 0) {
		rc = pki_error_set(err, PKI_E_NOTFOUND, "no valid certificate "
				   "carries the name '%s' (spork cert list "
				   "--name '%s' shows the expired and revoked "
				   "ones too)", name, name);
		goto out;
	}
	if (m.n > 1) {
		rc = pki_error_set(err, PKI_E_CONFLICT, "%zu valid certificates "
				   "carry the name '%s': %s; give the serial",
				   m.n, name, m.list);
		goto out;
	}
	snprintf(serial, sizeof(serial), "%s", m.first.serial);
	rc = pki_store_cert_get(v->st, m.first.issuer_ca_id, serial, r, err);
out:
	pki_cert_record_clear(&m.first);
	return rc;
}

/* Whether arg names a certificate file rather than a serial. */
static int
is_file_arg(const char *arg)
{
	struct stat sb;

	return strcmp(arg, "-") == 0 || (stat(arg, &sb) == 0 &&
					 S_ISREG(sb.st_mode));
}

/* SERIAL, FILE or --name (arg NULL) into *r: a regular file is read and
 * looked up by its SHA-256 fingerprint. */
static int
find_cert(struct env *v, const char *arg, struct pki_cert_record *r,
	  struct pki_error *err)
{
	gnutls_datum_t in = { NULL, 0 }, der = { NULL, 0 };
	gnutls_x509_crt_t crt = NULL;
	unsigned char fp[32];
	size_t fplen = sizeof(fp);
	char hex[65], serial[2 * PKI_STORE_SERIAL_MAX + 1];
	int ret, rc;

	if (arg == NULL)
		return find_by_name(v, o_name, r, err);
	if (!is_file_arg(arg)) {
		rc = pki_enroll_find(&v->e, arg, o_ca, r, err);
		if (rc == PKI_E_INVALID)
			rc = pki_error_set(err, PKI_E_NOTFOUND, "'%s' is neither "
					   "a serial number nor a certificate "
					   "file", arg);
		return rc;
	}
	if ((rc = pki_file_read(arg, 1 << 20, &in, err)) != PKI_OK)
		goto out;
	if ((rc = pki_cert_parse(&in, &crt, err)) != PKI_OK) {
		pki_error_prefix(err, "%s", arg);
		goto out;
	}
	if ((ret = gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_DER, &der)) < 0 ||
	    (ret = gnutls_fingerprint(GNUTLS_DIG_SHA256, &der, fp, &fplen)) < 0) {
		rc = spork_gnutls_error(err, ret, arg);
		goto out;
	}
	{
		gnutls_datum_t d = { fp, (unsigned)fplen };
		size_t hlen = sizeof(hex);

		if ((ret = gnutls_hex_encode(&d, hex, &hlen)) < 0) {
			rc = spork_gnutls_error(err, ret, arg);
			goto out;
		}
	}
	rc = pki_store_cert_get_sha256(v->st, hex, r, err);
	if (rc == PKI_E_NOTFOUND) {
		if (pki_cert_serial_hex(crt, serial, sizeof(serial), NULL) != PKI_OK)
			snprintf(serial, sizeof(serial), "?");
		pki_error_set(err, rc, "the certificate in %s (serial %s) was "
			      "not issued from this state directory", arg,
			      serial);
	}
out:
	if (crt != NULL)
		gnutls_x509_crt_deinit(crt);
	gnutls_free(in.data);
	gnutls_free(der.data);
	return rc;
}

static int
cmd_show(int argc, const char **argv)
{
	poptContext ctx;
	const char *arg;
	struct pki_cert_record r;
	struct pki_error err;
	struct env v;
	gnutls_x509_crt_t crt = NULL;
	char *pem = NULL;
	size_t pemlen = 0;
	int rc;

	pki_error_clear(&err);
	memset(&r, 0, sizeof(r));
	memset(&v, 0, sizeof(v));
	if (parse_ref("cert show", argc, argv, show_options, &ctx, &arg) != 0) {
		poptFreeContext(ctx);
		return SPORK_EXIT_USAGE;
	}
	if (env_open(&v, 0, 0, &err) != PKI_OK ||
	    find_cert(&v, arg, &r, &err) != PKI_OK ||
	    pem_of(&r.der, NULL, 0, &pem, &pemlen, &err) != PKI_OK) {
		rc = spork_fail(&err, NULL);
		goto out;
	}
	if (gnutls_x509_crt_init(&crt) < 0 ||
	    gnutls_x509_crt_import(crt, &r.der, GNUTLS_X509_FMT_DER) < 0) {
		gnutls_x509_crt_deinit(crt);
		crt = NULL;
	}
	if (spork_g.json) {
		json_t *o = cert_json(v.st, &r, spork_now());

		if (crt != NULL) {
			gnutls_datum_t dn = { NULL, 0 };
			gnutls_pubkey_t pub = NULL;
			enum pki_key_alg alg;

			if (gnutls_x509_crt_get_issuer_dn3(crt, &dn, 0) >= 0)
				json_object_set_new(o, "issuer", json_stringn(
					(const char *)dn.data, dn.size));
			gnutls_free(dn.data);
			if (gnutls_pubkey_init(&pub) >= 0 &&
			    gnutls_pubkey_import_x509(pub, crt, 0) >= 0 &&
			    pki_key_alg_of_pubkey(pub, &alg, NULL) == PKI_OK)
				json_object_set_new(o, "key_type",
					json_string(pki_key_alg_name(alg)));
			gnutls_pubkey_deinit(pub);
		}
		json_object_set_new(o, "pem", json_string(pem));
		spork_json_out(o);
	} else if (!spork_g.quiet) {
		print_cert(v.st, &r, spork_now(), crt);
		if (o_pem)
			fwrite(pem, 1, pemlen, stdout);
	}
	rc = SPORK_EXIT_OK;
out:
	if (crt != NULL)
		gnutls_x509_crt_deinit(crt);
	free(pem);
	pki_cert_record_clear(&r);
	env_close(&v);
	poptFreeContext(ctx);
	return rc;
}

static int
cmd_export(int argc, const char **argv)
{
	poptContext ctx;
	const char *arg;
	struct pki_cert_record r;
	struct pki_error err;
	struct env v;
	gnutls_datum_t *chain = NULL;
	size_t nchain = 0, pemlen = 0;
	char *pem = NULL, cn[256];
	const char *fmt = o_format;
	int rc;

	pki_error_clear(&err);
	memset(&r, 0, sizeof(r));
	memset(&v, 0, sizeof(v));
	if (parse_ref("cert export", argc, argv, export_options, &ctx, &arg) != 0) {
		poptFreeContext(ctx);
		return SPORK_EXIT_USAGE;
	}
	fmt = o_format ? o_format : "pem";
	if (strcmp(fmt, "pem") != 0 && strcmp(fmt, "der") != 0 &&
	    strcmp(fmt, "chain") != 0 && strcmp(fmt, "pkcs12") != 0)
		return usage_fail(ctx, "--format is pem, der, chain or pkcs12, "
				  "not '%s'", fmt);
	if ((strcmp(fmt, "der") == 0 || strcmp(fmt, "pkcs12") == 0) &&
	    is_stdout(o_out) && isatty(STDOUT_FILENO))
		return usage_fail(ctx, "%s is binary: give --out FILE or "
				  "redirect standard output", fmt);
	if (env_open(&v, 0, 0, &err) != PKI_OK ||
	    find_cert(&v, arg, &r, &err) != PKI_OK) {
		rc = spork_fail(&err, NULL);
		goto out;
	}
	if ((strcmp(fmt, "chain") == 0 || strcmp(fmt, "pkcs12") == 0) &&
	    r.issuer_ca_id != 0 &&
	    pki_enroll_chain(v.st, r.issuer_ca_id, 0, &chain, &nchain,
			     &err) != PKI_OK) {
		rc = spork_fail(&err, NULL);
		goto out;
	}
	/* A CA certificate is its own chain's first element: drop it. */
	if (r.ca_id != 0 && nchain > 0 && chain[0].size == r.der.size &&
	    memcmp(chain[0].data, r.der.data, r.der.size) == 0) {
		gnutls_free(chain[0].data);
		memmove(chain, chain + 1, (nchain - 1) * sizeof(*chain));
		nchain--;
	}
	if (strcmp(fmt, "der") == 0)
		rc = write_out(o_out, r.der.data, r.der.size, 0644, 0, &err);
	else if (strcmp(fmt, "pkcs12") == 0)
		rc = write_pkcs12(o_out, &r.der, chain, nchain, NULL,
				  first_cn(r.subject, cn, sizeof(cn)), 0, &err);
	else if ((rc = pem_of(&r.der, chain, strcmp(fmt, "chain") == 0 ?
			      nchain : 0, &pem, &pemlen, &err)) == PKI_OK)
		rc = write_out(o_out, pem, pemlen, 0644, 0, &err);
	if (rc != PKI_OK) {
		rc = spork_fail(&err, NULL);
		goto out;
	}
	if (spork_g.json && !is_stdout(o_out))
		spork_json_out(json_pack("{s:s, s:s, s:s, s:i}", "serial", r.serial,
					 "format", fmt, "file", o_out,
					 "chain_certificates", (json_int_t)
					 (strcmp(fmt, "pem") == 0 ||
					  strcmp(fmt, "der") == 0 ? 0 : nchain)));
	else if (!spork_g.quiet && !is_stdout(o_out))
		fprintf(stderr, "wrote %s as %s to %s\n", r.serial, fmt, o_out);
	rc = SPORK_EXIT_OK;
out:
	free(pem);
	pki_enroll_chain_free(chain, nchain);
	pki_cert_record_clear(&r);
	env_close(&v);
	poptFreeContext(ctx);
	return rc;
}

/* ------------------------------------------------------ revoke, unhold */

static int
parse_time_arg(const char *s, int64_t *t)
{
	char buf[64];

	if (strlen(s) == 10 && s[4] == '-' && s[7] == '-') {
		snprintf(buf, sizeof(buf), "%sT00:00:00Z", s);
		return pki_time_parse(buf, t);
	}
	if (strchr(s, 'T') == NULL)
		return -1;      /* a bare number would be ambiguous */
	return pki_time_parse(s, t);
}

static int
report_revocation(struct env *v, const struct pki_cert_record *r,
		  const char *verb)
{
	if (spork_g.json) {
		spork_json_out(cert_json(v->st, r, spork_now()));
	} else if (!spork_g.quiet) {
		printf("%s %s", verb, r->serial);
		if (r->revoked) {
			printf(" (%s", pki_crl_reason_name(r->reason));
			if (r->invalidity_date)
				printf(", invalid since %s",
				       spork_time(r->invalidity_date));
			printf(")");
		}
		printf("; it takes effect for relying parties with the next "
		       "CRL (spork crl generate%s%s%s)\n",
		       r->issuer_name ? " --ca '" : "",
		       r->issuer_name ? r->issuer_name : "",
		       r->issuer_name ? "'" : "");
	}
	return SPORK_EXIT_OK;
}

static int
cmd_revoke(int argc, const char **argv)
{
	poptContext ctx;
	const char *arg, *serial, *ca;
	struct pki_cert_record r, found;
	struct pki_error err;
	struct env v;
	int64_t inv = 0;
	int rc, reason;

	pki_error_clear(&err);
	memset(&r, 0, sizeof(r));
	memset(&v, 0, sizeof(v));
	memset(&found, 0, sizeof(found));
	if (parse_ref("cert revoke", argc, argv, revoke_options, &ctx, &arg) != 0) {
		poptFreeContext(ctx);
		return SPORK_EXIT_USAGE;
	}
	if (o_reason == NULL)
		return usage_fail(ctx, "give the reason: --reason keyCompromise, "
				  "superseded, cessationOfOperation, "
				  "certificateHold, ... (see spork-cert(1))");
	if (pki_enroll_reason_parse(o_reason, &reason, &err) != PKI_OK) {
		poptFreeContext(ctx);
		return spork_bad_value(&err);
	}
	if (o_invalidity != NULL && parse_time_arg(o_invalidity, &inv) != 0)
		return usage_fail(ctx, "--invalidity-date takes "
				  "2026-01-02T03:04:05Z or 2026-01-02, not "
				  "'%s'", o_invalidity);
	if (env_open(&v, 1, 0, &err) != PKI_OK ||
	    resolve(&v, arg, &found, &serial, &ca, &err) != PKI_OK ||
	    pki_enroll_revoke(&v.e, serial, ca, reason, inv, &r,
			      &err) != PKI_OK) {
		rc = spork_fail(&err, NULL);
		goto out;
	}
	rc = report_revocation(&v, &r, "revoked");
out:
	pki_cert_record_clear(&found);
	pki_cert_record_clear(&r);
	env_close(&v);
	poptFreeContext(ctx);
	return rc;
}

static int
cmd_unhold(int argc, const char **argv)
{
	poptContext ctx;
	const char **rest;
	struct pki_cert_record r;
	struct pki_error err;
	struct env v;
	int rc;

	pki_error_clear(&err);
	memset(&r, 0, sizeof(r));
	memset(&v, 0, sizeof(v));
	if (parse("cert unhold", argc, argv, unhold_options, "SERIAL", 1, &ctx,
		  &rest) != 0) {
		poptFreeContext(ctx);
		return SPORK_EXIT_USAGE;
	}
	if (env_open(&v, 1, 0, &err) != PKI_OK ||
	    pki_enroll_unhold(&v.e, rest[0], o_ca, &r, &err) != PKI_OK) {
		rc = spork_fail(&err, NULL);
		goto out;
	}
	rc = report_revocation(&v, &r, "released the hold on");
out:
	pki_cert_record_clear(&r);
	env_close(&v);
	poptFreeContext(ctx);
	return rc;
}

int
spork_cmd_cert(int argc, const char **argv)
{
	static const struct spork_cmd cmds[] = {
		{ "issue", cmd_issue },
		{ "list", cmd_list },
		{ "show", cmd_show },
		{ "export", cmd_export },
		{ "renew", cmd_renew },
		{ "revoke", cmd_revoke },
		{ "unhold", cmd_unhold },
	};

	return spork_dispatch("cert", argc, argv, cmds,
			      sizeof(cmds) / sizeof(cmds[0]), cert_usage);
}
