/*
 * libpki: the public surface of spork's PKI library.
 *
 * Conventions (see ../shared/STYLE.md):
 *  - Every fallible function returns an int: 0 (PKI_OK) on success, or one
 *    of enum pki_rc.  When an error struct is passed it is filled with a
 *    sentence the caller can show; libpki never prints and never exits.
 *  - Every function that returns allocated memory says who frees it.
 *  - Byte buffers travel as gnutls_datum_t {data, size}.
 *  - Exported symbols start with "pki_"; internal cross-module helpers
 *    start with "pki__" and are hidden.
 */
#ifndef PKI_PKI_H
#define PKI_PKI_H

#include <stddef.h>
#include <stdint.h>
#include <stdarg.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PKI_WUR __attribute__((warn_unused_result))
#define PKI_PRINTF(f, a) __attribute__((format(printf, f, a)))

enum pki_rc {
	PKI_OK = 0,
	PKI_E_FAIL,        /* generic failure */
	PKI_E_NOMEM,       /* out of memory */
	PKI_E_IO,          /* file or system error */
	PKI_E_PARSE,       /* malformed input (TOML, PEM, DER, CSR ...) */
	PKI_E_INVALID,     /* well-formed but not acceptable */
	PKI_E_NOTFOUND,    /* no such CA, certificate, serial, file */
	PKI_E_EXISTS,      /* already there (duplicate name, already revoked) */
	PKI_E_DENIED,      /* refused by the domain policy */
	PKI_E_CRYPTO,      /* a cryptographic operation failed */
	PKI_E_AUTH,        /* wrong passphrase or tampered sealed data */
	PKI_E_DB,          /* database error */
	PKI_E_LINT,        /* a certificate failed its profile check */
	PKI_E_CONFLICT,    /* a definition differs from what was built */
	PKI_E_UNSUPPORTED, /* not supported (algorithm, feature) */
	PKI_E__MAX
};

/* Where an error happened in an input file (0 when not applicable). */
struct pki_error {
	int code;
	unsigned line;
	unsigned column;
	char msg[1024];
};

/* A human-readable name for an enum pki_rc value; never NULL. */
const char *pki_strerror(int code);

/*
 * Fill err (if not NULL) with code and a formatted message and return
 * code, so callers can write "return pki_error_set(err, ...)".
 * Resets line and column to 0.
 */
int pki_error_set(struct pki_error *err, int code, const char *fmt, ...)
	PKI_PRINTF(3, 4);
int pki_error_setv(struct pki_error *err, int code, const char *fmt, va_list ap)
	PKI_PRINTF(3, 0);
/* As pki_error_set, recording an input position. */
int pki_error_at(struct pki_error *err, int code, unsigned line, unsigned col,
		 const char *fmt, ...) PKI_PRINTF(5, 6);
/* Prefix the existing message with "<prefix>: " (keeps code and position). */
void pki_error_prefix(struct pki_error *err, const char *fmt, ...)
	PKI_PRINTF(2, 3);
/* Reset to PKI_OK with an empty message. */
void pki_error_clear(struct pki_error *err);

/*
 * The library's notion of "now" (seconds since the epoch).  Honours
 * SPORK_NOW (an integer or an RFC 3339 UTC time "2026-01-01T00:00:00Z")
 * so tests can fix the clock; otherwise time(NULL).
 */
int64_t pki_now(void);

/* Room for pki_time_format()'s text and its NUL. */
#define PKI_TIME_STRLEN 21

/*
 * Write t (seconds since the epoch) as an RFC 3339 UTC time,
 * "2026-01-02T03:04:05Z", into buf.  A time whose text would not fit
 * (after the year 9999) or that gmtime cannot convert is written
 * "(invalid time)".
 */
void pki_time_format(int64_t t, char buf[PKI_TIME_STRLEN]);

/* Zero memory in a way the compiler may not elide. */
void pki_memzero(void *p, size_t n);

/* Library version string, e.g. "0.1.0". */
const char *pki_version(void);

#ifdef __cplusplus
}
#endif

#endif /* PKI_PKI_H */
