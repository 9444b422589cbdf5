/*
 * enroll: the certificate lifecycle as every issuance path uses it (the
 * CLI now, the ACME/EST/SCEP handlers later): issue from a CSR or a key
 * generated here, renew, revoke, lift a hold, and the output forms
 * (chain, PKCS#12).
 *
 * What an issuance guarantees, whatever the path:
 *  - the CSR's self-signature is verified and weak keys are refused
 *    (pki_issue_parse_csr, pki_profile_check_key);
 *  - every DNS name and IP address the certificate would carry (the
 *    SANs, and the CN of a tls-server certificate, which is always one of
 *    them) is checked against the state directory's domain policy,
 *    <state>/domain-policy.toml: deny by default, and with no file every
 *    name is denied (PKI_E_DENIED, the message names the name and the
 *    rule, or says where the file belongs);
 *  - the validity is at most the profile's maximum (398 days for TLS)
 *    and inside the issuing CA's;
 *  - the certificate is linted against its profile before it is signed
 *    (pki_issue_sign);
 *  - its row, and an audit row, are committed durably in one store
 *    transaction BEFORE the certificate is handed back: a certificate
 *    the caller holds is always in the inventory.
 *
 * End-entity private keys generated here are returned to the caller and
 * never stored.
 */
#ifndef PKI_ENROLL_H
#define PKI_ENROLL_H

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include "pki.h"
#include "key.h"
#include "policy.h"
#include "profile.h"
#include "state.h"
#include "store.h"

/*
 * Everything an enrollment works with: the state directory (its store,
 * key store, domain policy, actor and clock; state.h), who asks and
 * through what.  Borrowed; the caller owns them.
 */
struct pki_enroll {
	struct pki_state *state;
	const char *source;            /* "cli", "acme" ...; NULL: "cli" */
	const char *requester;         /* NULL: the state's actor */
};

/* An issuance request.  Zero-initialise, then fill. */
struct pki_enroll_request {
	const char *ca_name;      /* NULL: the only active issuing CA */
	const char *profile;      /* NULL: "tls-server" */
	/* The validity.  Nothing set: from now for the profile's maximum,
	 * cut to the issuing CA's end.  A length (valid_for seconds, or
	 * days) or a not_after that goes past the profile's maximum or the
	 * CA's end is refused, as is a not_before in the past or before the
	 * CA's, or a not_after before not_before.  valid_for and days are
	 * not combined with not_after. */
	unsigned days;            /* whole days (valid_for is preferred) */
	int64_t valid_for;        /* seconds (pki_duration_parse) */
	int64_t not_before;       /* Unix seconds; 0: now */
	int64_t not_after;        /* Unix seconds, the last valid second */
	const gnutls_datum_t *csr; /* PEM or DER PKCS#10; NULL: generate */
	enum pki_key_alg key_alg; /* for a generated key */
	/* Overrides of what the CSR asks for (the only source of names for a
	 * generated key).  subject (pki_subject_parse) replaces the CSR's
	 * whole subject; cn then replaces its common name, or alone the
	 * whole subject; both NULL keep the CSR's subject.  Any SAN given
	 * replaces all of the CSR's SANs. */
	const struct pki_subject *subject;
	const char *cn;
	struct pki_strlist san_dns, san_ip, san_email, san_uri;
};
/* Frees the SAN lists (not the borrowed pointers). */
void pki_enroll_request_clear(struct pki_enroll_request *req);

/*
 * Add names written as "dns:a.example,ip:10.0.0.1,email:x@y,uri:https://.."
 * (comma-separated; a name without a type prefix is an IP address if it
 * parses as one, an email address if it holds '@', a URI if it holds
 * "://", else a DNS name).  DNS names are lower-cased.  PKI_E_INVALID for
 * an unknown type or an empty name.
 */
int pki_enroll_add_sans(struct pki_enroll_request *req, const char *spec,
			struct pki_error *err) PKI_WUR;

/* What an issuance or renewal produced.  Clear with
 * pki_enroll_result_clear. */
struct pki_enroll_result {
	gnutls_datum_t der;          /* the certificate */
	gnutls_x509_privkey_t key;   /* a generated key, else NULL */
	struct pki_cert_record rec;  /* the recorded row (issuer_name set) */
	gnutls_datum_t *chain;       /* the issuing CA's certificate and
					those above it, not the self-signed
					root (DER, issuer first) */
	size_t nchain;
};
void pki_enroll_result_clear(struct pki_enroll_result *res);

/*
 * Issue a certificate (see the guarantees above).  On success *res is
 * filled; the certificate is already durable in the store.
 * Errors: PKI_E_PARSE (malformed CSR), PKI_E_CRYPTO (bad CSR signature),
 * PKI_E_INVALID (weak key, bad name, days over the limit, CA not usable,
 * several issuing CAs and none chosen), PKI_E_DENIED (domain policy),
 * PKI_E_NOTFOUND (no such CA or profile), PKI_E_LINT, PKI_E_AUTH (the CA
 * key could not be unsealed), PKI_E_DB.
 */
int pki_enroll_issue(const struct pki_enroll *e,
		     const struct pki_enroll_request *req,
		     struct pki_enroll_result *res,
		     struct pki_error *err) PKI_WUR;

/* A renewal request.  Zero-initialise, then fill. */
struct pki_enroll_renewal {
	const char *serial;       /* of the certificate to renew */
	const char *ca_name;      /* NULL: any CA (must be unambiguous) */
	unsigned days;            /* 0: the old certificate's lifetime, at
				     most the profile's maximum */
	int64_t valid_for;        /* seconds; as for pki_enroll_request */
	int64_t not_before, not_after; /* as for pki_enroll_request */
	int force;                /* renew even when a valid renewal exists */
	int revoke_old;           /* revoke the old certificate (superseded)
				     in the renewal's transaction */
	int rekey;                /* 1: a new key (csr, or generated) */
	const gnutls_datum_t *csr; /* rekey: its key is used, its names are
				      not */
	enum pki_key_alg key_alg; /* rekey without csr ... */
	int key_alg_set;          /* ... when set; else the old key's type */
};

/*
 * Renew: a new certificate from the same CA with the same subject, names
 * and profile, a new serial and validity, recorded with renewal_of set
 * to the old row (audit action "cert.renew").  The old certificate stays
 * as it is, unless revoke_old: then it is revoked with reason superseded
 * (audit "cert.revoke") in the same transaction.  The domain policy is
 * checked again.  A revoked certificate, or a CA's own certificate, is
 * not renewed (PKI_E_INVALID); one that already has a valid renewal
 * (superseded_by) is not renewed again without force (PKI_E_CONFLICT,
 * naming the renewal, hint PKI_HINT_FORCE).
 */
int pki_enroll_renew(const struct pki_enroll *e,
		     const struct pki_enroll_renewal *req,
		     struct pki_enroll_result *res,
		     struct pki_error *err) PKI_WUR;

/*
 * Find a certificate by serial (any spelling pki_store_serial_canon
 * accepts), optionally only among those CA ca_name issued.  The messages
 * say what to do: PKI_E_NOTFOUND (unknown serial or CA), PKI_E_CONFLICT
 * (several CAs issued that serial: give the CA), PKI_E_INVALID (not a
 * serial).  Clear *out with pki_cert_record_clear.
 */
int pki_enroll_find(const struct pki_enroll *e, const char *serial,
		    const char *ca_name, struct pki_cert_record *out,
		    struct pki_error *err) PKI_WUR;

/*
 * Parse a subject written as RFC 4514 writes it, "CN=Alice Smith,
 * O=Example\, Inc.,C=DE" (escapes "\," and "\2C" alike; attribute
 * types CN, O, OU, C, ST, L, emailAddress or E, serialNumber, any case,
 * or their OIDs; each at most once; no multi-valued RDNs) into *out,
 * whose strings the caller frees with pki_subject_clear.  The values
 * are checked when the subject is used (pki_enroll_issue).
 * PKI_E_INVALID naming what is wrong, an attribute spork does not carry
 * (DC, UID, title, ...) included.
 */
int pki_subject_parse(const char *dn, struct pki_subject *out,
		      struct pki_error *err) PKI_WUR;

/*
 * Parse a reason as "keyCompromise" (any case, '-'/'_' ignored) or its
 * number.  removeFromCRL is refused here (lift a hold with
 * pki_enroll_unhold).  PKI_E_INVALID with the list of names otherwise.
 */
int pki_enroll_reason_parse(const char *s, int *reason,
			    struct pki_error *err) PKI_WUR;

/*
 * Revoke the certificate with that serial.  reason: an RFC 5280 code
 * (not 7 or 8); invalidity_date 0 or a time not after now, only with
 * keyCompromise, cACompromise or aACompromise.  Revoking a CA's own
 * certificate first unseals the key of the CA that issued it (for an
 * offline CA through the keystore's passphrase callback) and signs with
 * it, to prove its holder is present: PKI_E_AUTH for a wrong passphrase.
 * The revocation and its audit row ("cert.revoke") commit together.
 * PKI_E_EXISTS when already revoked, PKI_E_NOTFOUND for an unknown
 * serial.  On success *out (may be NULL) is the updated record.
 */
int pki_enroll_revoke(const struct pki_enroll *e, const char *serial,
		      const char *ca_name, int reason, int64_t invalidity_date,
		      struct pki_cert_record *out,
		      struct pki_error *err) PKI_WUR;

/*
 * Lift a certificateHold (the only revocation that can be lifted); a CA
 * certificate needs its issuer's key as for revocation.  Audit action
 * "cert.unhold".  PKI_E_INVALID when the certificate is not on hold.
 */
int pki_enroll_unhold(const struct pki_enroll *e, const char *serial,
		      const char *ca_name, struct pki_cert_record *out,
		      struct pki_error *err) PKI_WUR;

/*
 * The certificates above a certificate issued by CA issuer_ca_id: that
 * CA's certificate, then its parent's, ...; with include_root also the
 * self-signed root at the top.  *out is an array of *n DER certificates;
 * free with pki_enroll_chain_free.
 */
int pki_enroll_chain(struct pki_store *st, int64_t issuer_ca_id,
		     int include_root, gnutls_datum_t **out, size_t *n,
		     struct pki_error *err) PKI_WUR;
void pki_enroll_chain_free(gnutls_datum_t *v, size_t n);

/*
 * A PKCS#12 file (DER) holding cert, the chain certificates and, when key
 * is not NULL, the private key.  Certificate and key bags are encrypted
 * with PBES2 AES-256-CBC (PBKDF2-HMAC-SHA256), the MAC is HMAC-SHA256:
 * OpenSSL 3 and certtool read it.  friendly_name (may be NULL) labels the
 * certificate and key.  pass must not be empty; pass NULL writes the
 * bags unencrypted, with a MAC keyed by the empty password (for a
 * caller asked for a file without a password: --pkcs12-no-password).
 * Caller gnutls_free()s out->data.
 */
int pki_enroll_pkcs12(const gnutls_datum_t *cert, const gnutls_datum_t *chain,
		      size_t nchain, gnutls_x509_privkey_t key,
		      const char *pass, const char *friendly_name,
		      gnutls_datum_t *out, struct pki_error *err) PKI_WUR;

/* Certificates as a caller holds them (files). */

/* Parse one PEM or DER certificate. Caller deinits *crt. */
int pki_cert_parse(const gnutls_datum_t *in, gnutls_x509_crt_t *crt,
		   struct pki_error *err) PKI_WUR;

/* Serial of crt as upper-case hex without separators or leading 00
 * octets, as "openssl x509 -serial" prints it, into out (>= 43). */
int pki_cert_serial_hex(gnutls_x509_crt_t crt, char *out, size_t outlen,
			struct pki_error *err) PKI_WUR;

/* What, after the domain policy, decides whether a certificate for one
 * name would be issued (pki_enroll_check_name). */
enum pki_enroll_check_by {
	PKI_ENROLL_CHECK_OK,        /* the profile and the CA chain allow it */
	PKI_ENROLL_CHECK_PROFILE,   /* the profile refuses it */
	PKI_ENROLL_CHECK_CA,        /* a CA's nameConstraints exclude it */
	PKI_ENROLL_CHECK__MAX
};

/* Strings owned; pki_enroll_check_clear. */
struct pki_enroll_check {
	enum pki_enroll_check_by by;
	const char *profile;        /* static: the profile's name */
	char *ca;                   /* the issuing CA checked */
	char *decider;              /* CHECK_CA: the CA whose constraints
				       exclude it (the issuing CA or an
				       ancestor) */
	char *why;                  /* the refusal, as issuance says it */
};
void pki_enroll_check_clear(struct pki_enroll_check *c);

/*
 * The checks pki_enroll_issue makes of one name after the domain
 * policy, without issuing: the profile (NULL: "tls-server"; the name
 * is asked for as a subjectAltName, a DNS name or an IP address) and
 * the nameConstraints of every CA from the issuing CA up, the CA
 * chosen as pki_enroll_issue chooses it (ca_name, else the profile's
 * default, else the only issuing CA).  PKI_OK with out->by saying which
 * decides; an error when no CA can be chosen or the profile is
 * unknown (as pki_enroll_issue would fail).
 */
int pki_enroll_check_name(const struct pki_enroll *e, const char *ca_name,
			  const char *profile, const char *name,
			  struct pki_enroll_check *out,
			  struct pki_error *err) PKI_WUR;

#endif
