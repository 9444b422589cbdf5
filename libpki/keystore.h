/*
 * keystore: a state directory's private keys, internal to libpki
 * (not installed).
 *
 * A key lives either in the lockbox (one sealed file per key, see
 * lockbox.h) or in a PKCS#11 token.  The store keeps a key URI for every
 * CA key:
 *     lockbox:<key-id>             offline: <state>/lockbox/offline/
 *                                  <key-id>.key, sealed under a
 *                                  passphrase (Argon2id)
 *     lockbox:<key-id>;kek=online  online: <state>/lockbox/online/
 *                                  <key-id>.key, sealed under the online
 *                                  KEK (online.kek, see lockbox.h)
 *     pkcs11:<RFC 7512>            a private key object in a token
 *                                  (SoftHSM2 in tests)
 * The key id is the lower-case hex SHA-256 key id of the public key
 * (gnutls_pubkey_get_key_id with GNUTLS_KEYID_USE_SHA256), 64 characters.
 * The ";kek=online" attribute lets pki_key_is_online answer from the URI
 * alone, and picks the directory; when a key is loaded, the sealed
 * file's own (authenticated) kind must agree with the URI, else
 * PKI_E_AUTH.
 *
 * The two kinds are in two directories (mode 0700, each created when a
 * key of its kind is first sealed there) so that a service manager can
 * hide the offline keys from processes that must never use them
 * (systemd: InaccessiblePaths=<state>/lockbox/offline): such a process
 * opens its key store with online_only set, and then never looks into
 * lockbox/offline.  Older spork kept both kinds in <state>/lockbox/
 * itself; pki_keystore_open moves such files (see there).
 *
 * Offline keys (root, policy CAs) are sealed under a passphrase
 * (Argon2id) that the caller's callback supplies; online keys (issuing
 * CAs) under the online KEK, which lockbox.c alone reads, creates
 * (<state>/online.kek, mode 0400, the first time an online key is
 * sealed) and caches: loading an online key costs one file read and one
 * AES-GCM decryption (the KEK is read once per key store).
 *
 * libpki reads no environment variable here: what the caller takes from
 * its environment ($CREDENTIALS_DIRECTORY, the PKCS#11 module, Argon2id
 * costs) comes in struct pki_keystore_opts.
 *
 * PKCS#11: if the key store names a module (pkcs11_module), it is the
 * only one loaded (gnutls_pkcs11_init(MANUAL) + add_provider, before the
 * first PKCS#11 use); otherwise GnuTLS loads p11-kit's configured
 * modules.  GnuTLS sets this up once per process: a later key store
 * asking for another module (or for p11-kit's after a module) fails
 * with PKI_E_CONFLICT when it first uses a token.  The PIN comes from
 * the URI's pin-value/pin-source, else from the key store's passphrase
 * callback (installed process-wide with gnutls_pkcs11_set_pin_function
 * while the key store lives; a wrong PIN is not retried, so a token is
 * not locked by repeated attempts).  So a redacted URI
 * (pki_key_uri_redact) loads the same key, the PIN then coming from the
 * callback (purpose PKI_PASS_PIN, label "PKCS#11 token '<token>'").
 *
 * Sources: key.c (algorithms, ids, URIs, choice of backend), keystore.c
 * (the key store and its lockbox), pkcs11.c (tokens); key-int.h.
 */
#ifndef PKI_KEYSTORE_H
#define PKI_KEYSTORE_H

#include <spork/key.h>

/* Opaque: a state directory's keys (lockbox dirs, online KEK,
 * callbacks). */
struct pki_keystore;

/* How to open a key store.  All zero (or a NULL pointer): no passphrase
 * callback, no credentials directory, p11-kit's modules, default
 * Argon2id costs, every kind of key. */
struct pki_keystore_opts {
	/* Asked for passphrases of offline keys and PINs of tokens; may be
	 * NULL when no offline key or token PIN will be needed. */
	pki_passphrase_fn passfn;
	void *passctx;
	/* The caller's $CREDENTIALS_DIRECTORY (systemd), or NULL: where
	 * online.kek is looked for first (lockbox.h). */
	const char *credentials_dir;
	/* The caller's $SPORK_PKCS11_MODULE, or NULL: p11-kit's modules. */
	const char *pkcs11_module;
	/* For keys sealed from now on.  All zero: the defaults above;
	 * otherwise memory, passes and lanes must each lie within the
	 * bounds of lockbox.h (8192..1048576 KiB, 1..10 passes, 1..4
	 * lanes), else pki_keystore_open fails with PKI_E_INVALID. */
	struct pki_argon2_params argon2;
	/* 1 for a process that must never use an offline key (a handler):
	 * see pki_keystore_open. */
	int online_only;
};

/*
 * Open the key store of state_dir: creates <state>/lockbox (mode 0700)
 * if missing; opts may be NULL (all defaults).  Free with
 * pki_keystore_free, which zeroes the cached online KEK.
 *
 * Unless opts->online_only, sealed keys of the old flat layout
 * (<state>/lockbox/<key-id>.key) are moved into lockbox/offline/ or
 * lockbox/online/ by the kind in their header (pki_lockbox_info), each
 * with one rename(2) followed by an fsync of both directories; other
 * files in lockbox/ are left alone.  A run interrupted midway is
 * completed by the next open: a file found under both its old and its
 * new name with the same bytes loses its old name; with different bytes
 * the open fails with PKI_E_CONFLICT naming both files, and so does it
 * (PKI_E_PARSE, PKI_E_INVALID...) for an old-layout file whose kind
 * cannot be read.  pki_keystore_migrated tells how many were moved.
 *
 * With opts->online_only the key store never touches lockbox/offline
 * (it does not migrate, nor create that directory, so it works when the
 * directory is inaccessible), never calls the passphrase callback (for
 * PINs neither), and refuses with PKI_E_DENIED any offline key (a
 * lockbox: URI without ";kek=online", a pkcs11: URI without pin-source:
 * pki_key_is_online) in pki_key_load, pki_key_create and
 * pki_key_import, before opening any file or asking for anything.
 * Open a state directory normally once after upgrading spork, so that
 * its online keys are where an online-only key store looks.
 */
int pki_keystore_open(const char *state_dir,
		      const struct pki_keystore_opts *opts,
		      struct pki_keystore **out, struct pki_error *err) PKI_WUR;
void pki_keystore_free(struct pki_keystore *ks);
/* How many old-layout files pki_keystore_open moved into lockbox/
 * offline or lockbox/online (or removed from lockbox/ as duplicates of
 * their moved copy): 0 when there was nothing to move, for an
 * online-only key store, and for NULL.  The caller records a non-zero
 * count (the state module's "lockbox.migrate" audit row). */
int pki_keystore_migrated(const struct pki_keystore *ks);
/* Argon2id parameters for keys sealed from now on; values outside the
 * bounds in lockbox.h make those seals fail with PKI_E_INVALID. */
void pki_keystore_set_argon2(struct pki_keystore *ks,
			     const struct pki_argon2_params *p);

/*
 * Create a new key for a CA.
 *   pkcs11_uri == NULL: generate in memory, seal into the lockbox, offline
 *     (passphrase) or online (online.kek) as asked;
 *   pkcs11_uri != NULL: use the private key at that URI if it exists,
 *     otherwise generate it in the token (label from the URI's object=).
 * label is shown to the passphrase callback.  On success *key_uri (caller
 * frees with free()) is the URI to store and *priv (caller deinits) is
 * ready to sign.  Plaintext key bytes are zeroed before returning.
 * For PKCS#11 `online` is ignored and *key_uri is pkcs11_uri as given
 * (pin-value included: store pki_key_uri_redact of it); a
 * key that exists in the token with another algorithm is refused
 * (PKI_E_CONFLICT).  An empty passphrase for a new offline key is refused
 * (PKI_E_INVALID).
 */
int pki_key_create(struct pki_keystore *ks, enum pki_key_alg alg, int online,
		   const char *pkcs11_uri, const char *label, char **key_uri,
		   gnutls_privkey_t *priv, struct pki_error *err) PKI_WUR;

/*
 * Load a key by its URI.  For an offline lockbox key the passphrase
 * callback is asked (is_new = 0); a wrong passphrase or a tampered file
 * gives PKI_E_AUTH and changes nothing: any change to a sealed file,
 * also one the lockbox refuses to parse (PKI_E_PARSE there: a flipped
 * kind byte, a cut), is PKI_E_AUTH here.  expected_alg is checked against
 * what the sealed file is bound to and against the key itself (for a
 * token key: its public key), PKI_E_AUTH / PKI_E_CONFLICT on mismatch.
 * A missing sealed file or token object is PKI_E_NOTFOUND.
 * Caller deinits *priv.
 */
int pki_key_load(struct pki_keystore *ks, const char *key_uri,
		 enum pki_key_alg expected_alg, const char *label,
		 gnutls_privkey_t *priv, struct pki_error *err) PKI_WUR;

/*
 * Import an existing private key (e.g. from PKCS#12) into the lockbox.
 * Same sealing rules as pki_key_create; key must be one of the supported
 * algorithms (PKI_E_UNSUPPORTED otherwise); PKI_E_EXISTS if that key is
 * already in the lockbox, as either kind (an online-only key store
 * looks in lockbox/online only).  Caller frees *key_uri; key is not
 * modified.
 */
int pki_key_import(struct pki_keystore *ks, gnutls_x509_privkey_t key,
		   int online, const char *label, char **key_uri,
		   struct pki_error *err) PKI_WUR;

/* Delete the sealed file of a lockbox key created by this process
 * that will not be used (a build that failed before recording it).
 * No-op for pkcs11: URIs.  Returns PKI_OK if the file is gone.
 * Only keys sealed through this ks (pki_key_create or pki_key_import)
 * can be discarded: any other lockbox key is refused with PKI_E_INVALID
 * and left alone, so a stored CA key cannot be deleted by mistake.  A
 * file that is already gone is PKI_OK; a URI that is not a lockbox: or
 * pkcs11: one is PKI_E_PARSE; an unlink failure is PKI_E_IO.  A key
 * created in a token is left in the token. */
int pki_key_discard(struct pki_keystore *ks, const char *key_uri,
		    struct pki_error *err);

/*
 * The key id named by a lockbox: URI (either form) into out (>= 65
 * bytes).  PKI_E_PARSE if key_uri is not a well-formed lockbox: URI (for
 * example a pkcs11: one).  Use this rather than parsing URIs: online
 * URIs carry a suffix after the id.
 */
int pki_key_uri_id(const char *key_uri, char *out, size_t outlen,
		   struct pki_error *err) PKI_WUR;

/* The digest to sign with for this key (SHA256 for P-256/RSA-2048/3072,
 * SHA384 for P-384/RSA-4096, SHA512 for P-521, UNKNOWN for EdDSA). */
gnutls_digest_algorithm_t pki_key_alg_digest(enum pki_key_alg alg);

/* The signature algorithm to sign with for this key (ECDSA with the digest
 * above, RSA PKCS#1 v1.5 with the digest above, Ed25519, Ed448). */
gnutls_sign_algorithm_t pki_key_alg_sign(enum pki_key_alg alg);

/*
 * 1 if the key behind key_uri can be used without a person present: a
 * lockbox URI with ";kek=online", or a pkcs11: URI with a non-empty
 * pin-source (a PIN file the handler can read).  A pin-value does not
 * count: stored URIs are redacted (pki_key_uri_redact), so the answer
 * for a token key would otherwise change once the URI is stored; a
 * token key without pin-source needs its PIN from the passphrase
 * callback, i.e. a person.  0 otherwise (also for NULL or malformed
 * URIs).  Decided from the URI alone; no file is opened.
 */
int pki_key_is_online(const char *key_uri);

/* Lower-case hex SHA-256 key id of pub into out (>= 65 bytes). */
int pki_key_id(gnutls_pubkey_t pub, char *out, size_t outlen,
	       struct pki_error *err) PKI_WUR;

/* Generate a key in memory only (end-entity keys, tests). */
int pki_key_generate(enum pki_key_alg alg, gnutls_x509_privkey_t *out,
		     struct pki_error *err) PKI_WUR;

/*
 * A secret that is not a private key (the TLS session-ticket master key),
 * sealed under online.kek at path with the key id id, replacing what is
 * there atomically; and opened again (plain->data: gnutls_free after
 * zeroing).  A tampered file is PKI_E_AUTH, a missing one PKI_E_NOTFOUND.
 */
int pki__keystore_secret_seal(struct pki_keystore *ks, const char *path,
			      const char *id, const gnutls_datum_t *plain,
			      struct pki_error *err) PKI_WUR;
int pki__keystore_secret_open(struct pki_keystore *ks, const char *path,
			      const char *id, gnutls_datum_t *plain,
			      struct pki_error *err) PKI_WUR;

/*
 * Remove what a killed run of the process that seals keys (pki_hier_build)
 * left in the lockbox: temporary files (of sealed keys and of
 * online.kek), and every sealed key file whose key id is none of
 * keep[0..nkeep) (the ids of the keys the store records).  A key file is
 * removed only if its header names the key id of its file name (spork
 * sealed it); others are left alone.  removing(ctx, id, online, err) is
 * called before each key file is deleted (to record it); a failure
 * there stops the prune with its code.  Only for a caller that holds the
 * state's build lock, so that no key is being sealed meanwhile for a CA
 * about to be recorded.  An online-only key store leaves lockbox/offline
 * alone.
 */
int pki__keystore_prune(struct pki_keystore *ks, const char *const *keep,
			size_t nkeep,
			int (*removing)(void *ctx, const char *id, int online,
					struct pki_error *err),
			void *ctx, struct pki_error *err) PKI_WUR;

/* The key store of a state directory opened for CLI or online use (NULL
 * for PKI_STATE_READ); state.c. */
struct pki_state;
struct pki_keystore *pki_state_keystore(struct pki_state *s);

#endif
