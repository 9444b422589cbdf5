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

#include <gnutls/gnutls.h>

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
	PKI_E_DENIED,      /* refused by the domain policy, or a state
			      directory others could change */
	PKI_E_CRYPTO,      /* a cryptographic operation failed */
	PKI_E_AUTH,        /* wrong passphrase or tampered sealed data */
	PKI_E_DB,          /* database error */
	PKI_E_LINT,        /* a certificate failed its profile check */
	PKI_E_CONFLICT,    /* a definition differs from what was built */
	PKI_E_UNSUPPORTED, /* not supported (algorithm, feature) */
	PKI_E__MAX
};

/*
 * What would fix an error, for callers that can say it in their own
 * terms: the CLI names its commands and options ("give --ca NAME"), a
 * protocol handler says nothing of the sort.  libpki's messages never
 * name a command or an option; they say what was wrong in terms of the
 * library (which CA, which name, which rule) and set a hint.
 */
enum pki_hint {
	PKI_HINT_NONE = 0,
	PKI_HINT_BUILD,       /* no CA yet: build the hierarchy */
	PKI_HINT_NAME_CA,     /* several CAs fit: name one */
	PKI_HINT_LIST_CAS,    /* no CA by that name: list them */
	PKI_HINT_LIST_CERTS,  /* no certificate by that serial */
	PKI_HINT_IMPORT_CERT, /* a CA waits for its certificate from the
				 external CA */
	PKI_HINT_UNHOLD,      /* a certificateHold is lifted, not revoked
				 again */
	PKI_HINT_FULL_CRL,    /* a delta CRL needs a full CRL first */
	PKI_HINT_HIERARCHY,   /* CA certificates are made by the hierarchy */
	PKI_HINT_FORCE,       /* the caller may accept this anyway, and the
				 audit log records that it did */
	PKI_HINT__MAX
};

/* Where an error happened in an input file (0 when not applicable). */
struct pki_error {
	int code;
	unsigned line;
	unsigned column;
	enum pki_hint hint;      /* PKI_HINT_NONE unless set */
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
/* Set err's hint (the message is unchanged); returns err->code, so
 * callers can write "return pki_error_hint(err, PKI_HINT_NAME_CA)". */
int pki_error_hint(struct pki_error *err, enum pki_hint hint);
/* Prefix the existing message with "<prefix>: " (keeps code and position). */
void pki_error_prefix(struct pki_error *err, const char *fmt, ...)
	PKI_PRINTF(2, 3);
/* Reset to PKI_OK with an empty message. */
void pki_error_clear(struct pki_error *err);

/* Room for pki_time_format()'s text and its NUL. */
#define PKI_TIME_STRLEN 21

/*
 * Write t (seconds since the epoch) as an RFC 3339 UTC time,
 * "2026-01-02T03:04:05Z", into buf.  A time whose text would not fit
 * (after the year 9999) or that gmtime cannot convert is written
 * "(invalid time)".
 */
void pki_time_format(int64_t t, char buf[PKI_TIME_STRLEN]);

/*
 * Parse "YYYY-MM-DDTHH:MM:SSZ" (RFC 3339, UTC) or a bare integer (seconds
 * since the epoch) into *t.  0 on success, -1 for anything else.
 */
int pki_time_parse(const char *s, int64_t *t) PKI_WUR;

/*
 * Read a whole file into a NUL-terminated buffer (out->size excludes the
 * NUL).  Refuses files larger than max bytes.  Caller frees out->data with
 * gnutls_free() (after pki_memzero when it held a secret); no other copy
 * is left behind.  "-" reads standard input.
 */
int pki_file_read(const char *path, size_t max, gnutls_datum_t *out,
		  struct pki_error *err) PKI_WUR;

/*
 * Write data durably and atomically: a temporary file in the same
 * directory, fsync, rename over path, fsync of the directory.  mode is the
 * new file's permission bits (e.g. 0644, 0400).  Fails with PKI_E_EXISTS
 * if exclusive is set and path exists.  A symbolic link at path is
 * replaced, not followed.
 */
int pki_file_write(const char *path, const void *data, size_t len,
		   unsigned mode, int exclusive, struct pki_error *err) PKI_WUR;

/* Zero memory in a way the compiler may not elide. */
void pki_memzero(void *p, size_t n);

/* Library version string, e.g. "0.1.0". */
const char *pki_version(void);

#ifdef __cplusplus
}
#endif

#endif /* PKI_PKI_H */
