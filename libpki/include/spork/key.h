/*
 * key: the kinds of private key spork uses, and how a caller supplies
 * passphrases (public).
 *
 * Every CA key is named by a URI, stored with the CA:
 *     lockbox:<key-id>             offline: sealed under a passphrase
 *     lockbox:<key-id>;kek=online  online: sealed under the online KEK
 *     pkcs11:<RFC 7512>            a private key object in a token
 * where <key-id> is the lower-case hex SHA-256 key id of the public key.
 * Keys are created, sealed and unsealed inside libpki (keystore.h,
 * internal) for the state directory they belong to; a caller chooses
 * algorithms, answers for passphrases (pki_passphrase_fn, given to
 * pki_state_open) and may show URIs (redacted).
 */
#ifndef PKI_KEY_H
#define PKI_KEY_H

#include <gnutls/gnutls.h>
#include <gnutls/abstract.h>
#include "pki.h"

enum pki_key_alg {
	PKI_KEY_ECDSA_P256,
	PKI_KEY_ECDSA_P384,
	PKI_KEY_ECDSA_P521,
	PKI_KEY_RSA_2048,
	PKI_KEY_RSA_3072,
	PKI_KEY_RSA_4096,
	PKI_KEY_ED25519,
	PKI_KEY_ED448,
	PKI_KEY__MAX
};

/* "ecdsa-p256" ... "ed448" <-> enum.  from_name returns PKI_E_UNSUPPORTED
 * (with the list of supported names in err) for anything else. */
int pki_key_alg_from_name(const char *name, enum pki_key_alg *out,
			  struct pki_error *err) PKI_WUR;
const char *pki_key_alg_name(enum pki_key_alg alg);
/* Which enum a public key is (PKI_E_UNSUPPORTED for weak/unknown keys). */
int pki_key_alg_of_pubkey(gnutls_pubkey_t pub, enum pki_key_alg *out,
			  struct pki_error *err) PKI_WUR;

/* What a passphrase callback is asked for. */
enum pki_pass_purpose {
	PKI_PASS_KEY,        /* the passphrase of an offline key to unseal;
				label: the CA ("SPORK Root CA") */
	PKI_PASS_NEW_KEY,    /* a passphrase for a new offline key (ask
				twice); label: the CA */
	PKI_PASS_PIN,        /* the user PIN of a PKCS#11 token; label:
				"PKCS#11 token '<token>'" */
	PKI_PASS_PKCS12_IN,  /* the password of a PKCS#12 file being read;
				label: its path */
	PKI_PASS_PKCS12_OUT, /* a password for a PKCS#12 file being written
				(ask twice); label: its path */
	PKI_PASS__MAX
};

/*
 * Where passphrases come from.  libpki never reads a terminal: the caller
 * supplies this callback.  purpose says what is asked for, so a caller
 * can keep each secret to its own source (a PKCS#12 password is never
 * the CA passphrase); label names the object for a prompt or message.
 * Write at most size-1 bytes and a NUL into buf; return 0, or an enum
 * pki_rc with err filled.
 */
typedef int (*pki_passphrase_fn)(void *ctx, const char *label,
				 enum pki_pass_purpose purpose, char *buf,
				 size_t size, struct pki_error *err);

struct pki_argon2_params {
	uint32_t t_cost;      /* passes; default 3 */
	uint32_t m_cost_kib;  /* memory in KiB; default 65536 (64 MiB) */
	uint32_t lanes;       /* parallelism; default 1 */
};

/*
 * Bounds for Argon2id parameters accepted when sealing and opening.  The
 * header is read before the tag can be checked, so the maxima bound what a
 * tampered file can cost the reader: at most 1 GiB of memory, 10 passes
 * and 4 lanes (16 times the default memory, over 3 times its passes).
 * Files sealed with more are refused (PKI_E_PARSE) by the lockbox; a key store
 * (struct pki_keystore_opts) cannot ask for more either.
 */
#define PKI_ARGON2_MIN_KIB 8192u        /* 8 MiB */
#define PKI_ARGON2_MAX_KIB 1048576u     /* 1 GiB */
#define PKI_ARGON2_MIN_PASSES 1u
#define PKI_ARGON2_MAX_PASSES 10u
#define PKI_ARGON2_MAX_LANES 4u
/* Defaults used when sealing with params == NULL. */
#define PKI_ARGON2_DEFAULT_KIB 65536u   /* 64 MiB */
#define PKI_ARGON2_DEFAULT_PASSES 3u
#define PKI_ARGON2_DEFAULT_LANES 1u


/* Copy of a key URI without its pin-value attribute (pin-source is
 * kept); caller frees.  NULL on allocation failure.
 * Every pin-value attribute is removed, in the path (';'-separated) or
 * the query ('?' then '&'-separated, RFC 7512), with one separator, so
 * none dangles ("pkcs11:a=1;pin-value=2?pin-value=3" gives
 * "pkcs11:a=1"); the name is matched ignoring ASCII case,
 * percent-encoding and white space.  Everything else is kept byte for
 * byte; a URI without pin-value (every lockbox: URI) comes back
 * unchanged.  This is the form to store, log or show; pki_key_load
 * then gets the PIN from the passphrase callback.  Every message of
 * this module that shows a URI shows it redacted.  NULL for a NULL
 * uri. */
char *pki_key_uri_redact(const char *uri);

#endif
