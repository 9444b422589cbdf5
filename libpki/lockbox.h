/*
 * lockbox: sealing private key bytes into a versioned file, and the
 * online KEK that seals online keys.
 *
 * A state directory keeps one such file per key (key.h): kind 1 files in
 * <state>/lockbox/offline/<key-id>.key, kind 2 files in
 * <state>/lockbox/online/<key-id>.key, apart so that the offline ones
 * can be made inaccessible to processes that only use online keys.
 *
 * Format version 1 (all integers big-endian):
 *
 *   offset size
 *        0    8  magic "SPORKLB1" (the trailing "1" is the format version;
 *                a later format changes it and keeps this one readable)
 *        8    1  kind: 1 = passphrase (Argon2id), 2 = key file (online.kek)
 *        9    4  Argon2id t_cost (passes)
 *       13    4  Argon2id m_cost in KiB
 *       17    4  Argon2id lanes
 *       21   16  Argon2id salt (random)
 *       37   12  AES-GCM nonce (random)
 *       49    2  id_len (1..128)
 *       51    .  key id (id_len bytes of [A-Za-z0-9._-])
 *        .    2  alg_len (1..31)
 *        .    .  algorithm name (alg_len bytes of [A-Za-z0-9._-])
 *        .    .  ciphertext (1..65536 bytes, same length as the plaintext)
 *        .   16  GCM tag
 *
 * AES-256-GCM (nettle); associated data = every header byte before the
 * ciphertext, so the key id, algorithm, kind and KDF parameters cannot be
 * changed, nor the file swapped for another key's, without detection.
 *
 * Kind 1: KEK = Argon2id(passphrase, salt, t_cost, m_cost, lanes), 32
 * bytes.  Parameters outside PKI_ARGON2_{MIN,MAX}_* are refused
 * before any work is done (PKI_E_PARSE), so a tampered header cannot make
 * the reader allocate gigabytes or spin for minutes.
 * Kind 2: the Argon2 fields and the salt are all zero (anything else is
 * PKI_E_PARSE) and the 32-byte KEK is used as is: opening costs one
 * AES-GCM decryption.
 *
 * Error codes when opening: PKI_E_PARSE for a malformed, truncated or
 * over-long image or out-of-range parameters; PKI_E_AUTH for a wrong
 * passphrase or KEK, any modified byte that survives parsing, or a file
 * bound to another key id or algorithm than expected.  Nothing is ever
 * written when opening.
 */
#ifndef PKI_LOCKBOX_H
#define PKI_LOCKBOX_H

#include <gnutls/gnutls.h>
#include <spork/pki.h>
#include <spork/key.h>

enum pki_lockbox_kind {
	PKI_LOCKBOX_PASSPHRASE = 1,
	PKI_LOCKBOX_KEKFILE = 2
};

/* Argon2id bounds and defaults: PKI_ARGON2_* in key.h. */

/* Size of the key-file KEK (online.kek). */
#define PKI_LOCKBOX_KEK_SIZE 32
/* Largest plaintext that can be sealed, and largest sealed file. */
#define PKI_LOCKBOX_MAX_PLAIN 65536u
#define PKI_LOCKBOX_MAX_FILE (PKI_LOCKBOX_MAX_PLAIN + 256u)

struct pki_lockbox_info {
	enum pki_lockbox_kind kind;
	char key_id[129];
	char alg[32];
	struct pki_argon2_params argon2;  /* all zero for PKI_LOCKBOX_KEKFILE */
};

/*
 * Seal plain (e.g. PKCS#8 DER) into a new file at path (mode 0400,
 * written atomically, refuses to overwrite: PKI_E_EXISTS).  Exactly one
 * of (pass, passlen) or kek (PKI_LOCKBOX_KEK_SIZE bytes) is given;
 * params (NULL: the defaults above) apply to the passphrase form and
 * must lie within the bounds above (PKI_E_INVALID otherwise).
 */
int pki_lockbox_seal(const char *path, const char *key_id, const char *alg,
		     const gnutls_datum_t *plain, const char *pass,
		     size_t passlen, const struct pki_argon2_params *params,
		     const unsigned char *kek, struct pki_error *err) PKI_WUR;

/*
 * As pki_lockbox_seal, but return the sealed image in *out (caller frees
 * out->data with gnutls_free) instead of writing a file.
 */
int pki_lockbox_seal_mem(const char *key_id, const char *alg,
			 const gnutls_datum_t *plain, const char *pass,
			 size_t passlen, const struct pki_argon2_params *params,
			 const unsigned char *kek, gnutls_datum_t *out,
			 struct pki_error *err) PKI_WUR;

/*
 * Open a sealed file.  The key id and algorithm bound in the file must
 * equal expected_id / expected_alg (when not NULL; PKI_E_AUTH otherwise).
 * The file's kind selects which secret is used: (pass, passlen) for a
 * passphrase file, kek for a key-file one; the other may be NULL (if the
 * needed one is NULL: PKI_E_INVALID).  On success plain->data (caller must
 * pki_memzero and gnutls_free it) holds the secret.  Wrong passphrase or
 * any tampering: PKI_E_AUTH.  Parse errors: PKI_E_PARSE.
 */
int pki_lockbox_open(const char *path, const char *expected_id,
		     const char *expected_alg, const char *pass, size_t passlen,
		     const unsigned char *kek, gnutls_datum_t *plain,
		     struct pki_error *err) PKI_WUR;

/* Read a sealed file's header without decrypting (same parse checks;
 * the header is not authenticated until the file is opened). */
int pki_lockbox_info(const char *path, struct pki_lockbox_info *info,
		     struct pki_error *err) PKI_WUR;

/* pki_lockbox_info on a file image in memory. */
int pki_lockbox_info_mem(const unsigned char *buf, size_t len,
			 struct pki_lockbox_info *info,
			 struct pki_error *err) PKI_WUR;

/* Opening a file image already in memory (for callers that read the file
 * themselves, tests and fuzzing); same checks as pki_lockbox_open. */
int pki_lockbox_open_mem(const unsigned char *buf, size_t len,
			 const char *expected_id, const char *expected_alg,
			 const char *pass, size_t passlen,
			 const unsigned char *kek, gnutls_datum_t *plain,
			 struct pki_error *err) PKI_WUR;

/*
 * The online KEK (key-encryption key) of a state directory: the 32 bytes
 * that seal online keys (kind 2).  This is the only code that reads,
 * creates, caches and zeroes them.
 *
 * Where it lives: <credentials_dir>/online.kek when credentials_dir (the
 * caller's $CREDENTIALS_DIRECTORY under systemd, LoadCredential=) is
 * given and that file exists; it is never created there, and if it
 * exists but cannot be opened (EACCES, a symlink: ELOOP...) that is an
 * error (PKI_E_IO), never a reason to use or create <state>/online.kek,
 * so keys are not sealed under two KEKs.  Otherwise <state_dir>/
 * online.kek, 32 random bytes, mode 0400, created atomically and
 * exclusively by pki_lockbox_kek_create when missing (if another process
 * creates it meanwhile, theirs is read).  Either file must be a regular
 * file of exactly 32 bytes that group and others cannot access
 * (PKI_E_INVALID otherwise).
 */
struct pki_lockbox_kek;

/* Where to find the KEK: copies both directory names (credentials_dir
 * may be NULL or empty: none); opens no file.  Free with
 * pki_lockbox_kek_free. */
int pki_lockbox_kek_new(const char *state_dir, const char *credentials_dir,
			struct pki_lockbox_kek **out,
			struct pki_error *err) PKI_WUR;

/* The KEK, read on the first call and cached: *kek points to
 * PKI_LOCKBOX_KEK_SIZE bytes owned by k, valid until
 * pki_lockbox_kek_free.  A missing KEK is PKI_E_NOTFOUND (it is not
 * created: online keys sealed under a lost KEK stay unreadable rather
 * than be hidden by a new one). */
int pki_lockbox_kek_load(struct pki_lockbox_kek *k, const unsigned char **kek,
			 struct pki_error *err) PKI_WUR;

/* As pki_lockbox_kek_load, but a missing <state>/online.kek is created
 * (for sealing a new online key). */
int pki_lockbox_kek_create(struct pki_lockbox_kek *k,
			   const unsigned char **kek,
			   struct pki_error *err) PKI_WUR;

/* Zero the cached KEK and free k (NULL is a no-op). */
void pki_lockbox_kek_free(struct pki_lockbox_kek *k);

#endif
