/*
 * Set-up and teardown shared by the cmocka unit tests: a private
 * temporary directory, a store opened in it, a pinned environment
 * (clock, cheap Argon2) and fresh keys for small test CAs.
 *
 * A function here that sets something up either succeeds or fails the
 * running test (or the cmocka set-up that called it) with a message
 * naming the failing call; there is no error for the caller to check.
 * The removal functions return a status a cmocka teardown can return.
 * Include <cmocka.h> (with its prerequisites) before this header.
 */
#ifndef SPORK_TESTS_FIXTURE_H
#define SPORK_TESTS_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

#include <gnutls/gnutls.h>
#include <gnutls/abstract.h>
#include <gnutls/x509.h>

#include <spork/state.h>
#include "store-write.h"

/* A fixture directory's name, with its NUL, fits in FIXTURE_DIR_MAX
 * bytes, so that name plus "/" plus a file name of up to 63 bytes fits in
 * FIXTURE_PATH_MAX. */
#define FIXTURE_DIR_MAX 192
#define FIXTURE_PATH_MAX 256

/* A temporary directory holding an open store, for tests of the store
 * and of what lives in it.  Made by fixture_store_new, released by
 * fixture_store_free. */
struct fixture_store {
	char dir[FIXTURE_DIR_MAX];      /* the directory, made by mkdtemp */
	char path[FIXTURE_PATH_MAX];    /* dir/spork.db */
	struct pki_store *st;           /* open on path; may be replaced */
};

/*
 * Makes a new, empty directory "$TMPDIR/spork-NAME.XXXXXX" (/tmp when
 * TMPDIR is unset or empty), mode 0700, and writes its name to dir, which
 * has size bytes (at most FIXTURE_DIR_MAX are used).
 */
void fixture_dir_make(char *dir, size_t size, const char *name);

/*
 * Removes dir and everything under it, not following symbolic links.
 * With KEEP_TMP set in the environment the directory is kept and its
 * name printed, to look at after a failure.  Does nothing for an empty
 * dir.  Returns 0, or -1 when something could not be removed, so a cmocka
 * teardown can return it.
 */
int fixture_dir_remove(const char *dir);

/*
 * Writes len bytes of data to dir/name, creating or truncating it.
 * Returns the file's path in a static buffer that the next call
 * overwrites.
 */
const char *fixture_file_write(const char *dir, const char *name,
			       const void *data, size_t len);

/*
 * Opens the store dir/spork.db, creating it, into *st (the caller closes
 * it with pki_store_close).  When path is not NULL the database's file
 * name is written there (size bytes).
 */
void fixture_store_open(const char *dir, char *path, size_t size,
			struct pki_store **st);

/*
 * A struct fixture_store whose directory is named after name (see
 * fixture_dir_make) and whose store is open.  The caller releases it with
 * fixture_store_free.
 */
struct fixture_store *fixture_store_new(const char *name);

/*
 * Closes f's store, removes its directory (see fixture_dir_remove) and
 * frees f.  Returns what fixture_dir_remove returned; f may be NULL.
 */
int fixture_store_free(struct fixture_store *f);

/* Pins st's clock to t seconds since the epoch (0: the real time). */
void fixture_clock_set(struct pki_store *st, int64_t t);

/* Who st records as acting in audit rows (stores the fixture opens act
 * as "tester"). */
void fixture_actor_set(struct pki_store *st, const char *actor);

/*
 * Open state directory dir for purpose (made when missing for
 * PKI_STATE_CLI) acting as "tester", on clock now (0: real time), with
 * cheap Argon2id (8 MiB, 1 pass) for new offline keys; fails the test
 * on error.  Close with pki_state_close.
 */
void fixture_state_open(const char *dir, enum pki_state_purpose purpose,
			pki_passphrase_fn passfn, void *passctx, int64_t now,
			struct pki_state **out);

/*
 * A new private key of algorithm pk and size bits (for ECDSA the curve's
 * bits, ignored for EdDSA).  The caller frees it with
 * gnutls_privkey_deinit.
 */
gnutls_privkey_t fixture_key_generate(gnutls_pk_algorithm_t pk,
				      unsigned bits);

/* The passphrase fixture_passfn gives for every key. */
#define FIXTURE_PASS "correct horse battery staple"

/* A pki_passphrase_fn answering FIXTURE_PASS to everything. */
int fixture_passfn(void *ctx, const char *label,
		   enum pki_pass_purpose purpose, char *buf, size_t size,
		   struct pki_error *err);

/* The certificate of DER der (the caller deinits it); fails the test. */
gnutls_x509_crt_t fixture_crt_of(const gnutls_datum_t *der);

/* A tls-server certificate for the DNS name cn (also its SAN), 30 days,
 * with a new P-256 key, issued through e; fails the test on error.  The
 * caller deinits it. */
struct pki_enroll;
gnutls_x509_crt_t fixture_issue_tls(const struct pki_enroll *e,
				    const char *cn);

#endif /* SPORK_TESTS_FIXTURE_H */
