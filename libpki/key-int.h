/*
 * key-int: what the three files of the key module share (internal:
 * pki__ names, not exported from libpki.so).
 *
 *   key.c       algorithms, key ids, generation, key URIs (parsing,
 *               redaction), and pki_key_create/pki_key_load choosing the
 *               backend from the URI;
 *   keystore.c  struct pki_keystore: opening (and migrating) a state
 *               directory's lockbox, lockbox-backed keys;
 *   pkcs11.c    PKCS#11: loading the module, the PIN callback, token keys.
 *
 * The online KEK is none of theirs: lockbox.c reads, creates, caches and
 * zeroes it (struct pki_lockbox_kek).
 */
#ifndef PKI_KEY_INT_H
#define PKI_KEY_INT_H

#include <gnutls/gnutls.h>
#include <gnutls/abstract.h>
#include "keystore.h"

/* Hex digits of a key id (SHA-256). */
#define PKI__KEY_ID_HEX 64
#define PKI__URI_LOCKBOX "lockbox:"
#define PKI__URI_ONLINE ";kek=online"
#define PKI__URI_PKCS11 "pkcs11:"
/* Room for a key URI in a message (see pki__key_uri_shown). */
#define PKI__URI_SHOWN 512

/* ------------------------------------------------------------ key.c */

struct pki__key_alg {
	const char *name;            /* "ecdsa-p256" ... */
	gnutls_pk_algorithm_t pk;
	unsigned bits;               /* RSA modulus size; 0 otherwise */
	gnutls_ecc_curve_t curve;    /* ECDSA/EdDSA curve */
	gnutls_digest_algorithm_t dig;
	gnutls_sign_algorithm_t sign;
};

/* 1 if alg is one of enum pki_key_alg (not PKI_KEY__MAX). */
int pki__key_alg_valid(enum pki_key_alg alg);
/* The description of a valid alg (static; check pki__key_alg_valid
 * first). */
const struct pki__key_alg *pki__key_alg(enum pki_key_alg alg);
/* The bits argument GnuTLS generation takes for a valid alg. */
unsigned pki__key_alg_bits(enum pki_key_alg alg);

/* Parse "lockbox:<64 lower-case hex>[;kek=online]": the id into id
 * (PKI__KEY_ID_HEX + 1 bytes), *online 1 for the ";kek=online" form.
 * 0 on success, -1 for anything else (id and *online then unusable). */
int pki__key_uri_lockbox(const char *uri, char *id, int *online);

/* Find attribute attr ("object") of a pkcs11: URI, path or query part,
 * and percent-decode its value into out (outmax bytes, NUL-terminated).
 * 1 if found, 0 if not, -1 if malformed or too long. */
int pki__key_uri_attr(const char *uri, const char *attr, char *out,
		      size_t outmax);

/* uri as a message may show it: redacted (pki_key_uri_redact) and cut
 * to fit buf; returns buf, or "(null)" for a NULL uri. */
const char *pki__key_uri_shown(const char *uri, char *buf, size_t len);

/* ------------------------------------------------------------ pkcs11.c */

/*
 * A key store's PKCS#11 state.  The PIN callback asks passfn (NULL: no
 * callback; the PIN must then come from the URI) and records why it
 * failed in pin_err, for a better message than GnuTLS's.
 */
struct pki__p11 {
	pki_passphrase_fn passfn;
	void *passctx;
	const char *module;          /* borrowed from the key store; NULL:
					p11-kit's configured modules */
	struct pki_error pin_err;
	int pin_failed;
};

/* pki_key_create for a pkcs11: URI (see key.h): the key at uri, or one
 * generated in the token.  *key_uri (caller frees) is uri as given. */
int pki__p11_create(struct pki__p11 *p, enum pki_key_alg alg,
		    const char *uri, char **key_uri, gnutls_privkey_t *priv,
		    struct pki_error *err) PKI_WUR;
/* pki_key_load for a pkcs11: URI (see key.h). */
int pki__p11_load(struct pki__p11 *p, const char *uri, enum pki_key_alg alg,
		  gnutls_privkey_t *priv, struct pki_error *err) PKI_WUR;
/* Uninstall p's PIN callback if it is the process-wide one. */
void pki__p11_release(struct pki__p11 *p);

/* ------------------------------------------------------------ keystore.c */

/* PKI_OK if ks may use a key that is (online != 0) online or not, else
 * PKI_E_DENIED (an offline key in a key store opened online_only) with
 * a message naming what (a key URI, shown redacted, or a label). */
int pki__keystore_allows(const struct pki_keystore *ks, int online,
			 const char *what, struct pki_error *err) PKI_WUR;
/* The key store's PKCS#11 state (owned by ks). */
struct pki__p11 *pki__keystore_p11(struct pki_keystore *ks);
/* pki_key_create without a pkcs11 URI: generate alg, seal into the
 * lockbox.  alg is valid, label not NULL. */
int pki__keystore_create(struct pki_keystore *ks, enum pki_key_alg alg,
			 int online, const char *label, char **key_uri,
			 gnutls_privkey_t *priv, struct pki_error *err) PKI_WUR;
/* pki_key_load of a lockbox: URI.  alg is valid, label not NULL. */
int pki__keystore_load(struct pki_keystore *ks, const char *key_uri,
		       enum pki_key_alg alg, const char *label,
		       gnutls_privkey_t *priv, struct pki_error *err) PKI_WUR;

#endif
