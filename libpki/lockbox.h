/*
 * lockbox: sealing private key bytes into a versioned file.
 *
 * Format (all integers big-endian):
 *   magic "SPORKLB1" (8) | kind (1: 1 = passphrase/Argon2id, 2 = key file)
 *   | t_cost (4) | m_cost_kib (4) | lanes (4) | salt (16) | nonce (12)
 *   | id_len (2) | key id | alg_len (2) | algorithm name
 *   | ciphertext | tag (16)
 * AES-256-GCM (nettle); associated data = every header byte before the
 * ciphertext, so the key id, algorithm, kind and KDF parameters cannot be
 * changed or the file swapped for another key's without detection.
 * For kind 2 the Argon2 fields and salt are zero and the KEK is used as is.
 */
#ifndef PKI_LOCKBOX_H
#define PKI_LOCKBOX_H

#include <gnutls/gnutls.h>
#include "pki.h"
#include "key.h"

enum pki_lockbox_kind {
	PKI_LOCKBOX_PASSPHRASE = 1,
	PKI_LOCKBOX_KEKFILE = 2
};

struct pki_lockbox_info {
	enum pki_lockbox_kind kind;
	char key_id[129];
	char alg[32];
	struct pki_argon2_params argon2;
};

/*
 * Seal plain (e.g. PKCS#8 DER) into a new file at path (mode 0400,
 * written atomically, refuses to overwrite).  Exactly one of
 * (pass, passlen) with params, or kek (32 bytes) is given.
 */
int pki_lockbox_seal(const char *path, const char *key_id, const char *alg,
		     const gnutls_datum_t *plain, const char *pass,
		     size_t passlen, const struct pki_argon2_params *params,
		     const unsigned char *kek, struct pki_error *err) PKI_WUR;

/*
 * Open a sealed file.  The key id and algorithm bound in the file must
 * equal expected_id / expected_alg (when not NULL).  On success
 * plain->data (caller must pki_memzero and gnutls_free it) holds the
 * secret.  Wrong passphrase or any tampering: PKI_E_AUTH.
 */
int pki_lockbox_open(const char *path, const char *expected_id,
		     const char *expected_alg, const char *pass, size_t passlen,
		     const unsigned char *kek, gnutls_datum_t *plain,
		     struct pki_error *err) PKI_WUR;

/* Read a sealed file's header without decrypting. */
int pki_lockbox_info(const char *path, struct pki_lockbox_info *info,
		     struct pki_error *err) PKI_WUR;

/* Sealing with raw bytes already in memory (for tests and fuzzing):
 * parse a file image; same checks as pki_lockbox_open. */
int pki_lockbox_open_mem(const unsigned char *buf, size_t len,
			 const char *expected_id, const char *expected_alg,
			 const char *pass, size_t passlen,
			 const unsigned char *kek, gnutls_datum_t *plain,
			 struct pki_error *err) PKI_WUR;

#endif
