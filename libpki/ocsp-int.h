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
	char why[256];             /* why it was not successful */
};

/*
 * Answer the DER OCSP request of len bytes from the state's store: for
 * each CertID the issuing CA (matched by its name and key hashes in the
 * CertID's hash), then the certificate by serial: good, revoked (time
 * and reason; a certificateHold is revoked with that reason) or unknown
 * (a serial that CA never issued).  Every CertID of one request must
 * name the same CA, which signs the response with its own key through
 * the state's key store (online keys only when the state was opened
 * PKI_STATE_ONLINE); thisUpdate is the state's clock.  A malformed
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

#endif
