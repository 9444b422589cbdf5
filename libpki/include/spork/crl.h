/*
 * crl: building and reading X.509 v2 certificate revocation lists
 * (RFC 5280 section 5), full and delta.
 *
 * GnuTLS 3.7 cannot write IssuingDistributionPoint, deltaCRLIndicator or
 * per-entry invalidity dates, so CRLs are encoded with libtasn1 from
 * spork's own module (pkix.asn).  The builder never holds more than one
 * revoked entry as a structure: the caller hands entries over one at a
 * time through a callback, and their encodings go into one growing
 * buffer, so a CRL of a million entries costs about its own size in
 * memory.  The module is independent of the store.
 */
#ifndef PKI_CRL_H
#define PKI_CRL_H

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <gnutls/abstract.h>

#include "pki.h"

#ifdef __cplusplus
extern "C" {
#endif

/* RFC 5280 CRLReason values (7 is unused). */
enum pki_crl_reason {
	PKI_CRL_REASON_NONE = -1, /* no reasonCode extension */
	PKI_CRL_REASON_UNSPECIFIED = 0,
	PKI_CRL_REASON_KEY_COMPROMISE = 1,
	PKI_CRL_REASON_CA_COMPROMISE = 2,
	PKI_CRL_REASON_AFFILIATION_CHANGED = 3,
	PKI_CRL_REASON_SUPERSEDED = 4,
	PKI_CRL_REASON_CESSATION_OF_OPERATION = 5,
	PKI_CRL_REASON_CERTIFICATE_HOLD = 6,
	PKI_CRL_REASON_REMOVE_FROM_CRL = 8,
	PKI_CRL_REASON_PRIVILEGE_WITHDRAWN = 9,
	PKI_CRL_REASON_AA_COMPROMISE = 10,
	PKI_CRL_REASON__MAX
};

/*
 * The RFC 5280 name of a reason code ("keyCompromise", ...), or NULL for
 * a value that is not one.
 */
const char *pki_crl_reason_name(int reason);

/*
 * Parse a reason: a name as pki_crl_reason_name() prints it, in any case
 * and with '-' and '_' ignored ("key-compromise", "KEY_COMPROMISE"), or
 * its decimal code ("1").  Returns the code, or -1 for anything else (an
 * unknown name, 7, a number past 10, other characters).  removeFromCRL
 * (8) is returned like the others: callers that revoke refuse it.
 */
int pki_crl_reason_parse(const char *name);

/* Longest serial number accepted in a CRL entry, in octets. */
#define PKI_CRL_SERIAL_MAX 64

/* Largest CRL pki_crl_parse() accepts, in bytes. */
#define PKI_CRL_MAX_SIZE (1024u * 1024u * 1024u)

/*
 * One revoked certificate.
 *
 * serial: the big-endian magnitude of the (positive) serial number, with
 *   or without leading zero octets, 1..PKI_CRL_SERIAL_MAX octets.  This is
 *   what gnutls_x509_crt_get_serial() returns.  Borrowed: it only has to
 *   stay valid until the next call of the callback.
 * revocation_time: seconds since the epoch (UTC).
 * reason: -1 for no reasonCode extension, else 0..10 except 7.  The code
 *   is written as given, except unspecified(0), which is written as no
 *   reasonCode extension (RFC 5280 5.3.1).
 * invalidity_date: seconds since the epoch, 0 for none.
 * remove_from_crl: in a delta CRL, this entry says the certificate is no
 *   longer revoked (reason removeFromCRL(8); reason must then be -1 or 8).
 */
struct pki_crl_entry {
	const unsigned char *serial;
	size_t serial_len;
	int64_t revocation_time;
	int reason;
	int64_t invalidity_date;
	int remove_from_crl;
};


/*
 * A CRL read for display and checking.  Every field is filled by
 * pki_crl_parse(); strings are NUL-terminated and owned by the struct.
 * Fields after the "private" marker are not part of the interface.
 */
struct pki_crl {
	int version;               /* 2 for v2, 1 when the field is absent */
	char *issuer;              /* RFC 4514 string of the issuer name */
	gnutls_datum_t issuer_der; /* the issuer Name DER (points into der) */
	int64_t this_update;
	int64_t next_update;       /* 0 when absent */
	gnutls_sign_algorithm_t sign_algo; /* GNUTLS_SIGN_UNKNOWN if unknown */
	char sign_oid[128];        /* the signature algorithm OID */

	int has_number;
	uint64_t number;           /* UINT64_MAX if it does not fit */
	char number_hex[41];       /* cRLNumber in lower-case hex */
	int is_delta;
	uint64_t base_number;      /* UINT64_MAX if it does not fit */
	char base_number_hex[41];

	unsigned char aki[64];     /* authorityKeyIdentifier keyIdentifier */
	size_t aki_len;            /* 0 when absent */

	int has_idp;
	char *idp_url;             /* first URI of the IDP fullName, or NULL */
	int idp_only_user_certs;
	int idp_only_ca_certs;
	char *freshest_url;        /* first URI of freshestCRL, or NULL */

	size_t entry_count;

	/* private */
	gnutls_datum_t der;        /* the whole CRL (DER) */
	size_t tbs_off, tbs_len;   /* signed bytes */
	size_t ent_off, ent_end;   /* content of revokedCertificates */
	size_t cursor;             /* next entry for pki_crl_entry_next() */
	gnutls_datum_t signature;  /* points into der */
	unsigned char serial[PKI_CRL_SERIAL_MAX];
	void *defs;                /* the libtasn1 definitions */
};

/*
 * Parse a CRL from DER or PEM ("-----BEGIN X509 CRL-----") bytes, at most
 * PKI_CRL_MAX_SIZE.  The parser is strict: DER only, every entry and
 * extension is checked once here, unknown critical extensions and
 * duplicate extensions are refused.  The signature is not checked (see
 * pki_crl_verify()).  On success *crl is a new object the caller frees
 * with pki_crl_free(); on failure *crl is NULL.
 */
int pki_crl_parse(const unsigned char *data, size_t len, struct pki_crl **crl,
		  struct pki_error *err) PKI_WUR;

/*
 * As pki_crl_parse, taking data (gnutls_malloc'ed, as pki_file_read
 * gives it) instead of copying it: a CRL of 50 MB is then held once.
 * data is emptied whatever the outcome.
 */
int pki_crl_parse_take(gnutls_datum_t *data, struct pki_crl **out,
		       struct pki_error *err) PKI_WUR;

/*
 * Fill *e with the next entry of crl and return 1, or return 0 after the
 * last.  e->serial points into crl and is valid until the next call.
 * The entries were checked by pki_crl_parse(), so this fails (returning
 * -PKI_E_NOMEM) only when memory runs out.
 */
int pki_crl_entry_next(struct pki_crl *crl, struct pki_crl_entry *e);

/* Start pki_crl_entry_next() again from the first entry. */
void pki_crl_entry_rewind(struct pki_crl *crl);

/*
 * Check that crl was issued by issuer: the issuer name matches the
 * certificate's subject byte for byte and the signature verifies with its
 * public key.  Returns PKI_OK, PKI_E_INVALID (other issuer) or
 * PKI_E_CRYPTO (bad signature) with err filled.
 */
int pki_crl_verify(const struct pki_crl *crl, gnutls_x509_crt_t issuer,
		   struct pki_error *err) PKI_WUR;

/* Free a parsed CRL; NULL is allowed. */
void pki_crl_free(struct pki_crl *crl);

#ifdef __cplusplus
}
#endif

#endif /* PKI_CRL_H */
