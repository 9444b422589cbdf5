/*
 * store: the SQLite database of a state directory.  Nothing else in spork
 * speaks SQL.
 *
 * Connection settings: WAL, foreign_keys=ON, busy_timeout 10 s,
 * synchronous=FULL (every commit that records a CA, certificate,
 * revocation or CRL is durable when pki_store_commit returns).  Writers
 * use pki_store_begin (BEGIN IMMEDIATE) ... pki_store_commit; a failed
 * step is followed by pki_store_rollback.  The schema is a list of
 * numbered migrations applied on open; schema_version records them.
 *
 * Serials are stored as upper-case hex without leading 00 octets (as
 * "openssl x509 -serial" prints them) and are unique per issuer.
 */
#ifndef PKI_STORE_H
#define PKI_STORE_H

#include <gnutls/gnutls.h>
#include "pki.h"

struct pki_store;

/* Open (and with create != 0, create) the database at path and bring the
 * schema up to date.  Free with pki_store_close. */
int pki_store_open(const char *path, int create, struct pki_store **out,
		   struct pki_error *err) PKI_WUR;
void pki_store_close(struct pki_store *st);

int pki_store_begin(struct pki_store *st, struct pki_error *err) PKI_WUR;
int pki_store_commit(struct pki_store *st, struct pki_error *err) PKI_WUR;
void pki_store_rollback(struct pki_store *st);

/* The schema version after migrations. */
int pki_store_schema_version(struct pki_store *st);

enum pki_ca_status {
	PKI_CA_ACTIVE,    /* certificate present, usable */
	PKI_CA_PENDING,   /* subordinate: CSR written, waiting for the
			     external CA's certificate */
	PKI_CA_REVOKED,
	PKI_CA__MAX
};

/* One CA.  Strings are owned by the record; free with pki_ca_record_clear. */
struct pki_ca_record {
	int64_t id;
	char *name;              /* unique */
	int64_t parent_id;       /* 0: root or signed by an external CA */
	char *role;              /* "root", "policy", "issuing" */
	char *mode;              /* "local", "subordinate", "import" */
	char *algorithm;         /* "ecdsa-p384" ... */
	char *key_uri;           /* "lockbox:<id>" or "pkcs11:..." */
	int key_online;          /* sealed under online.kek */
	char *subject;           /* RFC 4514 DN string */
	char *serial;            /* hex, "" while pending */
	int64_t not_before, not_after;
	gnutls_datum_t cert_der; /* empty while pending */
	gnutls_datum_t csr_der;  /* subordinate mode only */
	char *spec_hash;         /* hex SHA-256 of the canonical definition */
	char *config_json;       /* URLs and settings inherited by issuance:
				    {"crl_urls":[..],"ocsp_urls":[..],
				     "ca_issuers_urls":[..],
				     "freshest_crl_urls":[..], ...} */
	enum pki_ca_status status;
	int64_t created_at;
};
void pki_ca_record_clear(struct pki_ca_record *r);

/* Insert; fills r->id.  PKI_E_EXISTS for a duplicate name. */
int pki_store_ca_insert(struct pki_store *st, struct pki_ca_record *r,
			struct pki_error *err) PKI_WUR;
/* PKI_E_NOTFOUND when absent. */
int pki_store_ca_get(struct pki_store *st, const char *name,
		     struct pki_ca_record *out, struct pki_error *err) PKI_WUR;
int pki_store_ca_get_id(struct pki_store *st, int64_t id,
			struct pki_ca_record *out, struct pki_error *err) PKI_WUR;
/* All CAs in creation order; free with pki_ca_records_free. */
int pki_store_ca_list(struct pki_store *st, struct pki_ca_record **out,
		      size_t *n, struct pki_error *err) PKI_WUR;
void pki_ca_records_free(struct pki_ca_record *v, size_t n);
/* Complete a pending CA with its certificate: sets cert_der, serial,
 * validity, status ACTIVE and parent_id (0 for external). */
int pki_store_ca_set_cert(struct pki_store *st, int64_t id,
			  const gnutls_datum_t *cert_der, const char *serial,
			  int64_t not_before, int64_t not_after,
			  struct pki_error *err) PKI_WUR;

/*
 * Append an audit row inside the caller's transaction.  actor is who
 * (user name, "acme", ...), action a dotted verb ("pki.build.ca",
 * "cert.issue", "cert.revoke", "crl.generate"), object what it touched
 * (CA name, serial), detail a JSON object text (may be NULL).  Rows are
 * hash-chained: hash = SHA-256(prev_hash || canonical fields).
 */
int pki_store_audit(struct pki_store *st, const char *actor,
		    const char *action, const char *object,
		    const char *detail_json, struct pki_error *err) PKI_WUR;

/* Who is acting: $SPORK_ACTOR, else the login name, else "uid:<n>".
 * Returns a static buffer. */
const char *pki_store_actor(void);

#endif
