/*
 * util: small helpers shared by libpki modules (files, hex, time).
 * Internal: names start with pki__ and are not exported.
 */
#ifndef PKI_UTIL_H
#define PKI_UTIL_H

#include <gnutls/gnutls.h>
#include <spork/pki.h>

/*
 * pki_file_write in two steps, so that several files can be made
 * complete before any is published.  stage writes data into a new
 * temporary file beside path, "<path>.tmp.XXXXXX" (mode 0600), syncs it
 * and puts its name into tmp (tmplen bytes; "" on failure, when nothing
 * is left behind).  publish gives it mode, renames it over path (with
 * exclusive: links it, PKI_E_EXISTS if path exists), syncs the
 * directory, and removes tmp on failure; tmp is "" afterwards.
 */
int pki__file_stage(const char *path, const void *data, size_t len,
		    char *tmp, size_t tmplen, struct pki_error *err) PKI_WUR;
int pki__file_publish(char *tmp, const char *path, unsigned mode,
		      int exclusive, struct pki_error *err) PKI_WUR;

/*
 * Remove the temporary files pki__file_stage left in dir (a process
 * killed before publishing): regular files named "<base>.tmp.XXXXXX" for
 * one of bases[0..nbases), or any such name when nbases is 0.  Only for
 * a caller that holds the lock under which those files are written, so
 * that none of them is still being written.  Returns how many were
 * removed (a missing dir: 0), or -rc with err filled.
 */
int pki__file_tmp_clean(const char *dir, const char *const *bases,
			size_t nbases, struct pki_error *err);

/* mkdir -p with the given mode for directories it creates. */
int pki__mkdirs(const char *path, unsigned mode, struct pki_error *err) PKI_WUR;

/* Lower-case hex of len bytes into out (must hold 2*len+1). */
void pki__hex(const unsigned char *in, size_t len, char *out);

/* Number of characters (code points) in a valid UTF-8 string. */
size_t pki__utf8_chars(const char *s);

/* Value of one hex digit (either case), or -1. */
int pki__hexval(int c);

/* Parse hex (upper or lower, optional ':' separators) into out; returns
 * the number of bytes, or -1 if malformed or longer than outmax. */
long pki__unhex(const char *in, unsigned char *out, size_t outmax);

/* pki_time_format() into a buffer of len bytes (cut to fit).  Kept for
 * store.c, whose time_str() still calls it; new code calls
 * pki_time_format(). */


/* Days between civil date and 1970-01-01, proleptic Gregorian (UTC). */
int64_t pki__days_from_civil(int64_t y, unsigned m, unsigned d);

/* Map a GnuTLS error to a message: "<what>: <gnutls_strerror>". */
int pki__gnutls_error(struct pki_error *err, int gnutls_rc, const char *what);

/* The buffer a message gives pki__quote(): room for about 150 bytes of
 * quoted text. */
#define PKI__QUOTE_MAX 160

/*
 * Copy slen bytes of untrusted text into buf (len bytes, len >= 4) for a
 * message: bytes outside printable ASCII, '"' and '\\' become \xNN; text
 * that does not fit is cut with "...".  Returns buf, always NUL-terminated.
 */
const char *pki__quote(const char *s, size_t slen, char *buf, size_t len);

/* Whether in holds a PEM block ("-----BEGIN " somewhere). */
int pki__is_pem(const gnutls_datum_t *in);

/*
 * Undo the RFC 4514 escaping GnuTLS applies to one attribute value
 * (gnutls_x509_*_get_dn_by_oid): "\," becomes ",", and so on, in place.
 * Returns -1 for a value GnuTLS could only give as "#hex" (a string type
 * it cannot decode), 0 otherwise.
 */
int pki__dn_unescape(char *s);

/*
 * Why s (an attribute value or name from outside) cannot go into a
 * certificate, or NULL: a control character (C0, DEL, or C1 as UTF-8
 * writes it) or bytes that are not UTF-8.
 */
const char *pki__text_defect(const char *s);

/* strdup that returns NULL on NULL. */
char *pki__strdup(const char *s);

/* Fill buf with len random bytes from the kernel CSPRNG (gnutls_rnd KEY). */
int pki__random(void *buf, size_t len, struct pki_error *err) PKI_WUR;

/*
 * The definitions of libpki/pkix.asn, parsed once per process and shared
 * (read-only) by every module that encodes or decodes with libtasn1.
 * *defs is borrowed: never delete it.
 */
struct asn1_node_st;
int pki__asn1_defs(struct asn1_node_st **defs, struct pki_error *err) PKI_WUR;

/* Decode der (strict DER, no trailing bytes) as the pkix.asn type
 * ("PKIX-SPORK.Name"); caller asn1_delete_structure()s *out.  PKI_E_PARSE
 * naming the type when it does not decode. */
int pki__asn1_decode(const char *type, const gnutls_datum_t *der,
		     struct asn1_node_st **out, struct pki_error *err) PKI_WUR;

/* Add a diagnostic (diag.h) at line:col; out of memory drops it. */
struct pki_diags;
void pki__diag(struct pki_diags *d, unsigned line, unsigned col,
	       const char *fmt, ...) PKI_PRINTF(4, 5);

#endif
