/* error: error codes and messages. */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <spork/pki.h>
#include "util.h"

static const char *const rc_names[PKI_E__MAX] = {
	[PKI_OK] = "success",
	[PKI_E_FAIL] = "failure",
	[PKI_E_NOMEM] = "out of memory",
	[PKI_E_IO] = "input/output error",
	[PKI_E_PARSE] = "malformed input",
	[PKI_E_INVALID] = "invalid input",
	[PKI_E_NOTFOUND] = "not found",
	[PKI_E_EXISTS] = "already exists",
	[PKI_E_DENIED] = "denied by policy",
	[PKI_E_CRYPTO] = "cryptographic failure",
	[PKI_E_AUTH] = "wrong passphrase or tampered data",
	[PKI_E_DB] = "database error",
	[PKI_E_LINT] = "certificate lint failed",
	[PKI_E_CONFLICT] = "conflicts with what was built",
	[PKI_E_UNSUPPORTED] = "unsupported",
};

const char *
pki_strerror(int code)
{
	if (code < 0 || code >= PKI_E__MAX || rc_names[code] == NULL)
		return "unknown error";
	return rc_names[code];
}

int
pki_error_setv(struct pki_error *err, int code, const char *fmt, va_list ap)
{
	if (err == NULL)
		return code;
	err->code = code;
	err->line = 0;
	err->column = 0;
	err->hint = PKI_HINT_NONE;
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	return code;
}

int
pki_error_hint(struct pki_error *err, enum pki_hint hint)
{
	if (err == NULL)
		return PKI_E_FAIL;
	err->hint = (unsigned)hint < PKI_HINT__MAX ? hint : PKI_HINT_NONE;
	return err->code;
}

int
pki_error_set(struct pki_error *err, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	pki_error_setv(err, code, fmt, ap);
	va_end(ap);
	return code;
}

int
pki_error_at(struct pki_error *err, int code, unsigned line, unsigned col,
	     const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	pki_error_setv(err, code, fmt, ap);
	va_end(ap);
	if (err != NULL) {
		err->line = line;
		err->column = col;
	}
	return code;
}

void
pki_error_prefix(struct pki_error *err, const char *fmt, ...)
{
	char buf[sizeof(err->msg)];
	size_t plen, olen;
	va_list ap;

	if (err == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf) - 2, fmt, ap);
	va_end(ap);
	plen = strlen(buf);
	memcpy(buf + plen, ": ", 3);
	plen += 2;
	olen = strnlen(err->msg, sizeof(err->msg) - 1);
	if (olen > sizeof(buf) - 1 - plen)
		olen = sizeof(buf) - 1 - plen;
	memcpy(buf + plen, err->msg, olen);
	buf[plen + olen] = '\0';
	memcpy(err->msg, buf, sizeof(buf));
}

void
pki_error_clear(struct pki_error *err)
{
	if (err == NULL)
		return;
	memset(err, 0, sizeof(*err));
}

void
pki_time_format(int64_t t, char buf[PKI_TIME_STRLEN])
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(buf, PKI_TIME_STRLEN, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, PKI_TIME_STRLEN, "(invalid time)");
}

const char *
pki_version(void)
{
	return PACKAGE_VERSION;
}
