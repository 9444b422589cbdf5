/*
 * state: one state directory, opened for one purpose.
 *
 * A state directory holds everything a CA installation has:
 *
 *     spork.db             the store (store.h)
 *     ca/                  public files: CA certificates, chains, CRLs
 *     lockbox/offline/     sealed keys under a passphrase (root, policy CAs)
 *     lockbox/online/      sealed keys under online.kek (issuing CAs, ...)
 *     online.kek           the key that seals online keys (mode 0400)
 *     domain-policy.toml   which names may be certified (policy.h)
 *     spork.toml           settings (config.h), optional
 *
 * pki_state_open opens it for one purpose and owns what that purpose
 * needs: the store, the key store, the domain policy (loaded on first
 * use), the file layout (every path to a state file is built here), who
 * is acting (the actor written into audit rows) and the clock.  Every
 * other module takes a struct pki_state instead of separate store, key
 * store and directory arguments, so a protocol handler and the CLI reach
 * the same files in the same way.
 *
 * Purposes:
 *  - PKI_STATE_READ: an inventory (list, show, verify): the store only,
 *    no key store; nothing is created.
 *  - PKI_STATE_CLI: an operator at a terminal or script: the store and
 *    every key, offline ones through the passphrase callback; with
 *    create, the directory and database are made when missing.
 *  - PKI_STATE_ONLINE: a protocol handler (or any unattended job): the
 *    store and online keys only.  Offline keys are refused before any
 *    passphrase is asked or file opened (PKI_E_DENIED), lockbox/offline/
 *    is never touched, so systemd can make it inaccessible by path.
 *
 * A state directory in the layout of spork 0.1 (every sealed key
 * directly in lockbox/) is migrated when it is opened for CLI use: each
 * key is renamed into offline/ or online/ (atomically, one rename per
 * key; an interrupted migration is completed by the next open) and one
 * audit row "lockbox.migrate" records it.
 */
#ifndef PKI_STATE_H
#define PKI_STATE_H

#include <stdint.h>
#include "pki.h"
#include "config.h"
#include "key.h"

struct pki_store;
struct pki_keystore;
struct pki_policy;

enum pki_state_purpose {
	PKI_STATE_READ,
	PKI_STATE_CLI,
	PKI_STATE_ONLINE,
	PKI_STATE__MAX
};

/* The files and directories of a state directory. */
enum pki_state_file {
	PKI_STATE_DB,          /* spork.db */
	PKI_STATE_CA_DIR,      /* ca */
	PKI_STATE_LOCKBOX_DIR, /* lockbox */
	PKI_STATE_POLICY,      /* domain-policy.toml */
	PKI_STATE_CONFIG,      /* spork.toml */
	PKI_STATE_KEK,         /* online.kek (also its name in systemd's
				  $CREDENTIALS_DIRECTORY) */
	PKI_STATE_TLS_DIR,     /* tls: the handlers' certificate (tls.h) */
	PKI_STATE_METRICS,     /* metrics.db: the handlers' counters
				  (metrics.h) */
	PKI_STATE_FILE__MAX
};

/* How to open.  Zero-initialise, then fill what applies. */
struct pki_state_opts {
	enum pki_state_purpose purpose;
	int create;                     /* PKI_STATE_CLI: make the directory
					   and database when missing */
	pki_passphrase_fn passfn;       /* passphrases and PINs; may be NULL */
	void *passctx;
	const struct pki_config *config; /* NULL: built-in defaults; borrowed:
					   it must outlive the state */
	const char *credentials_dir;    /* systemd's $CREDENTIALS_DIRECTORY,
					   where online.kek is looked for
					   first; NULL: none */
	const char *pkcs11_module;      /* overrides the config's; NULL: the
					   config's, else p11-kit's */
	struct pki_argon2_params argon2; /* for new offline keys; a zero
					   field: the config's, else the
					   default */
	const char *actor;              /* who acts, for audit rows; NULL:
					   the login name, else "uid:<n>" */
	int64_t now;                    /* a fixed clock (tests); 0: the
					   system clock */
};

struct pki_state;

/*
 * Open the state directory dir for o->purpose (o NULL: PKI_STATE_READ
 * with defaults).  A missing directory or database is PKI_E_NOTFOUND
 * (naming it) unless o->create.  Free with pki_state_close.
 *
 * For PKI_STATE_CLI and PKI_STATE_ONLINE the directory must pass
 * pki_state_check_modes, and so must the settings file o->config was
 * read from, wherever it is; else PKI_E_DENIED before any key or policy
 * is read.  A PKI_STATE_READ open does not refuse: it certifies nothing
 * and reads no key or policy, so a directory others could change can
 * only make it show something false, which they could do as well by
 * replacing the whole directory; and auditors must be able to inspect a
 * copy that belongs to someone else, often on a write-protected medium.
 * Callers may run pki_state_check_modes themselves to warn.
 *
 * A PKI_STATE_READ open writes nothing: the database is opened
 * read-only (where SQLite cannot make its -shm file, the database file
 * alone is read, and only when its -wal file holds nothing it would
 * miss), so it works on a write-protected copy.  The other purposes fail
 * there (PKI_E_IO).
 */
int pki_state_open(const char *dir, const struct pki_state_opts *o,
		   struct pki_state **out, struct pki_error *err) PKI_WUR;
/*
 * ssh's StrictModes for a state directory: dir itself, ca/, lockbox/
 * (with lockbox/offline/ and lockbox/online/), spork.db (with its -wal
 * and -shm files), domain-policy.toml and spork.toml must each belong to
 * the effective user or root and must not be writable by group or
 * others.  Otherwise another local user could allow any name in the
 * domain policy, change the settings or the database, or swap files, and
 * have certificates issued.  What does not exist is skipped; symbolic
 * links are followed (the file checked is the one read).  PKI_E_DENIED
 * names the first offender and the fix ("chmod go-w PATH"); PKI_E_IO
 * when one cannot be examined.
 */
int pki_state_check_modes(const char *dir, struct pki_error *err) PKI_WUR;

/* Close the store, zero and free the key store; NULL is a no-op. */
void pki_state_close(struct pki_state *s);

/* Borrowed for the life of s. */
struct pki_store *pki_state_store(struct pki_state *s);
enum pki_state_purpose pki_state_purpose(const struct pki_state *s);
const char *pki_state_dir(const struct pki_state *s);
/* The path of one state file (borrowed). */
const char *pki_state_path(const struct pki_state *s,
			   enum pki_state_file which);
/* The name of one state file inside the directory ("spork.db" ...). */
const char *pki_state_file_name(enum pki_state_file which);
/* The same for a state directory that is not open (it may not exist):
 * "<dir>/<file>".  Caller frees; NULL when out of memory. */
char *pki_state_path_of(const char *dir, enum pki_state_file which);
/*
 * "<dir>/ca/<slug><suffix>", where slug is pki_state_slug(ca_name):
 * the public files of a CA (".pem", "-chain.pem", ".csr", ".crl" ...).
 * Caller frees; NULL when out of memory or ca_name has no slug.
 */
char *pki_state_ca_file(const struct pki_state *s, const char *ca_name,
			const char *suffix);
/*
 * The file-name form of a CA name: lower-case ASCII letters and digits,
 * every other run of characters one '-' ("SPORK Root CA" ->
 * "spork-root-ca").  Caller frees; NULL when out of memory or when
 * nothing is left.
 */
char *pki_state_slug(const char *ca_name);

/* The settings the state was opened with (borrowed from the caller's
 * options: they must outlive s), or NULL. */
const struct pki_config *pki_state_config(const struct pki_state *s);

/*
 * Ask the state's passphrase source (pki_passphrase_fn of the options)
 * for a secret that is not a key's (a PKCS#12 password ...).
 * PKI_E_INVALID when the state has none.
 */
int pki_state_ask(struct pki_state *s, const char *label,
		  enum pki_pass_purpose purpose, char *buf, size_t size,
		  struct pki_error *err) PKI_WUR;

/* Who is acting (never NULL). */
const char *pki_state_actor(const struct pki_state *s);
/* Now, by the state's clock. */
int64_t pki_state_now(const struct pki_state *s);

/*
 * The domain policy (policy.h), read from domain-policy.toml on the first
 * call and kept.  A missing file is not an error: *out is then NULL, which
 * denies every name.  A file that does not parse gives PKI_E_PARSE /
 * PKI_E_INVALID with its position in err.
 */
int pki_state_policy(struct pki_state *s, const struct pki_policy **out,
		     struct pki_error *err) PKI_WUR;

/* Lockbox files this open moved into the split layout (0: none). */
unsigned pki_state_migrated(const struct pki_state *s);

#endif
