/*
 * ocsp-int: OCSP requests (RFC 6960 4.1, RFC 5019, RFC 8954 nonces), as
 * the OCSP responder reads them; internal to libpki.
 *
 * pki_ocsp_request_parse is strict and bounded: DER only (a default
 * version spelled out is refused), at most PKI_OCSP_MAX_IDS CertIDs, hash
 * lengths that match their algorithm, positive serials of at most
 * PKI_OCSP_SERIAL_MAX octets, a nonce of 1 to 32 octets at most once, no
 * critical extension spork does not know.  A signed request is read (its
 * signature is not checked: spork's responder answers everyone the same).
 * Anything else is PKI_E_PARSE, which the responder answers with
 * malformedRequest.
 */
#ifndef PKI_OCSP_INT_H
#define PKI_OCSP_INT_H

#include <stddef.h>
#include <gnutls/gnutls.h>
#include <gnutls/abstract.h>
#include <gnutls/x509.h>
#include <spork/pki.h>

#define PKI_OCSP_MAX_REQUEST 65536   /* bytes */
#define PKI_OCSP_MAX_IDS 16
#define PKI_OCSP_SERIAL_MAX 20       /* RFC 5280 4.1.2.2 */
#define PKI_OCSP_NONCE_MAX 32        /* RFC 8954 */

enum pki_ocsp_hash {
	PKI_OCSP_SHA1,
	PKI_OCSP_SHA256,
	PKI_OCSP_SHA384,
	PKI_OCSP_SHA512,
	PKI_OCSP_HASH__MAX
};

/* One CertID: which certificate the client asks about. */
struct pki_ocsp_certid {
	enum pki_ocsp_hash hash;
	unsigned char name_hash[64];  /* of the issuer's DN */
	unsigned char key_hash[64];   /* of the issuer's public key bits */
	size_t hash_len;              /* of both: 20, 32, 48 or 64 */
	unsigned char serial[PKI_OCSP_SERIAL_MAX]; /* big-endian, no
						      leading 00 */
	size_t serial_len;
	const unsigned char *der;     /* the CertID as sent (into the
					 request buffer), to echo it */
	size_t der_len;
};

struct pki_ocsp_request {
	size_t n;
	struct pki_ocsp_certid ids[PKI_OCSP_MAX_IDS];
	int has_nonce;
	unsigned char nonce[PKI_OCSP_NONCE_MAX];
	size_t nonce_len;
	int is_signed;                /* optionalSignature present */
};

/* The output length of a CertID hash (20 ... 64). */
size_t pki_ocsp_hash_len(enum pki_ocsp_hash h);

/*
 * Parse the DER OCSPRequest of len bytes at der into *req (zeroed first).
 * The certid der pointers point into der: keep it while they are used.
 * PKI_E_PARSE with a message for anything malformed or out of bounds;
 * PKI_E_UNSUPPORTED for a CertID hash other than SHA-1/SHA-2.
 */
int pki_ocsp_request_parse(const unsigned char *der, size_t len,
			   struct pki_ocsp_request *req,
			   struct pki_error *err) PKI_WUR;

/* ------------------------------------------------------------ responses */

enum pki_ocsp_status {
	PKI_OCSP_GOOD,
	PKI_OCSP_REVOKED,
	PKI_OCSP_UNKNOWN,
	PKI_OCSP_STATUS__MAX
};

/* The answer about one CertID. */
struct pki_ocsp_single {
	const struct pki_ocsp_certid *id;  /* echoed as the client sent it */
	enum pki_ocsp_status status;
	int64_t revocation_time;           /* REVOKED */
	int reason;                        /* REVOKED: RFC 5280 code; 0
					      (unspecified) or < 0 is not
					      written */
	int64_t this_update;
	int64_t next_update;               /* 0: none */
};

struct pki_ocsp_response_params {
	gnutls_x509_crt_t signer;          /* the CA or its delegated
					      responder certificate */
	gnutls_privkey_t key;              /* signer's key */
	int include_signer;                /* put signer in certs (for a
					      delegated responder) */
	int64_t produced_at;
	const struct pki_ocsp_single *singles;
	size_t n;                          /* 1 .. PKI_OCSP_MAX_IDS */
	const unsigned char *nonce;        /* echoed (RFC 8954) */
	size_t nonce_len;                  /* 0: no nonce extension */
};

/*
 * A successful OCSPResponse (DER into *der, gnutls_free) holding a
 * BasicOCSPResponse signed by p->key: responderID byKey (SHA-1 of the
 * signer's public key), producedAt, one SingleResponse per entry, the
 * nonce when given.  The key must be the signer certificate's.
 */
int pki_ocsp_response_build(const struct pki_ocsp_response_params *p,
			    gnutls_datum_t *der, struct pki_error *err) PKI_WUR;

/* The value of the subjectPublicKey BIT STRING of the DER certificate
 * cert (what RFC 6960 hashes for issuerKeyHash and byKey), into *out
 * (gnutls_free). */
int pki__ocsp_key_bits(const gnutls_datum_t *cert, gnutls_datum_t *out,
		       struct pki_error *err) PKI_WUR;

/* ------------------------------------------------------------ responder */

struct pki_state;

struct pki_ocsp_respond_opts {
	int64_t validity;          /* nextUpdate - thisUpdate; 0: one hour */
};

/* What the responder answered, for the caller's log and metrics. */
struct pki_ocsp_answer {
	int response_status;       /* 0 successful, 1 malformedRequest,
				      2 internalError, 6 unauthorized */
	size_t n;
	enum pki_ocsp_status status[PKI_OCSP_MAX_IDS];
	int64_t ca_id;             /* the issuer asked about */
	int nonce;                 /* the request carried a nonce */
	int presigned;             /* a stored response, not signed now */
	int delegated;             /* signed by the CA's delegated signer */
	int64_t this_update;       /* successful: of the response */
	int64_t next_update;
	char why[256];             /* why it was not successful */
};

/*
 * Answer the DER OCSP request of len bytes from the state's store: a
 * fresh pre-signed response when there is one (ocsp.h), else for
 * each CertID the issuing CA (matched by its name and key hashes in the
 * CertID's hash), then the certificate by serial: good, revoked (time
 * and reason; a certificateHold is revoked with that reason) or unknown
 * (a serial that CA never issued).  Every CertID of one request must
 * name the same CA; its delegated signer when usable, else its own key,
 * signs through the state's key store (online keys only when the state
 * was opened PKI_STATE_ONLINE); thisUpdate is the state's clock and
 * nextUpdate is never after the delegated signer's end of validity.  A malformed
 * request gets malformedRequest, an issuer the store does not hold
 * unauthorized, a failure inside (a key that cannot be unsealed, the
 * database) internalError with the reason in err and answer->why.
 * *resp (gnutls_free) always holds a response when PKI_OK is returned.
 */
int pki_ocsp_respond(struct pki_state *state, const unsigned char *der,
		     size_t len, const struct pki_ocsp_respond_opts *o,
		     gnutls_datum_t *resp, struct pki_ocsp_answer *answer,
		     struct pki_error *err) PKI_WUR;

/* An unsigned OCSPResponse with an error status: 1 malformedRequest,
 * 2 internalError, 3 tryLater, 5 sigRequired, 6 unauthorized. */
int pki_ocsp_response_error(int status, gnutls_datum_t *der,
			    struct pki_error *err) PKI_WUR;

/* ------------------------------------------------------------ signers */

struct pki_ca_record;
struct pki_store_ocsp_response;

/* Who signs a CA's responses: its delegated signer or the CA itself. */
struct pki__ocsp_signer {
	gnutls_x509_crt_t crt;     /* owned */
	gnutls_privkey_t key;      /* owned */
	int delegated;             /* crt is the delegated signer's */
	int64_t not_after;         /* delegated: the end of crt */
};

/*
 * Load the signer of CA ca at time now (ocsp.h): the delegated signer
 * when it has one that is valid at now and not revoked, else the CA's
 * own key (for an online-only key store, only when it is online).
 * Errors name the CA and, when the delegate was passed over, why.
 * Clear *out with pki__ocsp_signer_clear (also after a failure).
 */
int pki__ocsp_signer_load(struct pki_state *s, const struct pki_ca_record *ca,
			  int64_t now, struct pki__ocsp_signer *out,
			  struct pki_error *err) PKI_WUR;
void pki__ocsp_signer_clear(struct pki__ocsp_signer *sg);

/* ------------------------------------------------------------ presigned */

/*
 * The minimal request for the certificate with serial (canonical hex)
 * issued by the CA whose DER certificate is issuer: one SHA-1 CertID
 * with NULL parameters, nothing else (the export layout, ocsp.h), DER
 * into *der (gnutls_free).
 */
int pki__ocsp_request_minimal(const gnutls_datum_t *issuer,
			      const char *serial, gnutls_datum_t *der,
			      struct pki_error *err) PKI_WUR;

/*
 * Whether the stored response r may answer now about a certificate the
 * store describes as cur (status, and for revoked its time and reason):
 * thisUpdate <= now < nextUpdate, and r says exactly what cur says.  A
 * revocation recorded after r was signed, a lifted hold or a revocation
 * recorded again differently makes it stale, so it never masks what
 * the store says.
 */
int pki__ocsp_presigned_fresh(const struct pki_store_ocsp_response *r,
			      const struct pki_ocsp_single *cur, int64_t now);

/* The path under an export directory of the response to the minimal
 * request req (ocsp.h): its base64 with empty components dropped, into
 * a new string (free), NULL when out of memory. */
char *pki__ocsp_export_path(const gnutls_datum_t *req);

#endif
