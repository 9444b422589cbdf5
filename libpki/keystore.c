/* keystore: a state directory's lockbox (opening, migrating its layout,
 * sealing and unsealing keys); see key.h and key-int.h. */
#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gnutls/abstract.h>
#include <gnutls/x509.h>

#include <spork/key.h>
#include <spork/state.h>
#include "keystore.h"
#include "key-int.h"
#include "lockbox.h"
#include "util.h"

#define KEY_ID_HEX PKI__KEY_ID_HEX
#define URI_LOCKBOX PKI__URI_LOCKBOX
#define URI_ONLINE PKI__URI_ONLINE
#define URI_SHOWN PKI__URI_SHOWN
#define PASS_MAX 1024

struct pki_keystore {
	char *state_dir;
	char *lockbox_dir;               /* <state>/lockbox */
	char *pkcs11_module;             /* copy of the option, or NULL */
	pki_passphrase_fn passfn;
	void *passctx;
	struct pki_argon2_params argon2;
	struct pki_lockbox_kek *kek;     /* the online KEK (lockbox.c) */
	struct pki__p11 p11;             /* PIN callback state (pkcs11.c) */
	int online_only;
	int migrated;                    /* files moved by this open */
	/* Ids of the keys sealed through this keystore (pki_key_discard). */
	char (*sealed)[KEY_ID_HEX + 1];
	size_t nsealed, capsealed;
};

/* The directory of each kind under <state>/lockbox. */
static const char *
kind_name(int online)
{
	return online ? "online" : "offline";
}

/* ------------------------------------------------------------ paths */

/* <state>/lockbox/<kind> into buf. */
static int
kind_dir(const struct pki_keystore *ks, int online, char *buf, size_t len,
	 struct pki_error *err)
{
	if ((size_t)snprintf(buf, len, "%s/%s", ks->lockbox_dir,
			     kind_name(online)) >= len)
		return pki_error_set(err, PKI_E_INVALID, "state directory "
				     "path too long");
	return PKI_OK;
}

/* <state>/lockbox/<kind>/<id>.key into path. */
static int
key_path(const struct pki_keystore *ks, const char *id, int online,
	 char *path, size_t len, struct pki_error *err)
{
	if ((size_t)snprintf(path, len, "%s/%s/%s.key", ks->lockbox_dir,
			     kind_name(online), id) >= len)
		return pki_error_set(err, PKI_E_INVALID, "state directory "
				     "path too long");
	return PKI_OK;
}

/* fsync a directory, so that renames and new entries in it last. */
static int
fsync_dir(const char *dir, struct pki_error *err)
{
	int fd = -1, rc = PKI_E_IO;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 ||
	    fsync(fd) != 0) {
		rc = pki_error_set(err, PKI_E_IO, "cannot sync directory %s: "
				   "%s", dir, strerror(errno));
		goto out;
	}
	rc = PKI_OK;
out:
	if (fd >= 0)
		close(fd);
	return rc;
}

/* Create <state>/lockbox/<kind> (mode 0700) if missing; dir gets its
 * path. */
static int
make_kind_dir(const struct pki_keystore *ks, int online, char *dir,
	      size_t len, struct pki_error *err)
{
	int rc;

	if ((rc = kind_dir(ks, online, dir, len, err)) != PKI_OK)
		return rc;
	if (mkdir(dir, 0700) == 0)
		return fsync_dir(ks->lockbox_dir, err);
	if (errno != EEXIST)
		return pki_error_set(err, PKI_E_IO, "cannot create %s: %s", dir,
				     strerror(errno));
	return PKI_OK;
}

/* ------------------------------------------------------------ migration */

/* 1 if name is "<64 lower-case hex digits>.key", a sealed key's name. */
static int
is_key_name(const char *name)
{
	size_t i;

	for (i = 0; i < KEY_ID_HEX; i++)
		if (!((name[i] >= '0' && name[i] <= '9') ||
		      (name[i] >= 'a' && name[i] <= 'f')))
			return 0;
	return strcmp(name + KEY_ID_HEX, ".key") == 0;
}

/* *same = 1 if files a and b hold the same bytes. */
static int
same_bytes(const char *a, const char *b, int *same, struct pki_error *err)
{
	gnutls_datum_t da = { NULL, 0 }, db = { NULL, 0 };
	int rc;

	*same = 0;
	if ((rc = pki_file_read(a, PKI_LOCKBOX_MAX_FILE, &da, err)) != PKI_OK ||
	    (rc = pki_file_read(b, PKI_LOCKBOX_MAX_FILE, &db, err)) != PKI_OK)
		goto out;
	*same = da.size == db.size &&
		(da.size == 0 || memcmp(da.data, db.data, da.size) == 0);
out:
	gnutls_free(da.data);
	gnutls_free(db.data);
	return rc;
}

/*
 * old (flat layout) and dst (new layout) name the same key, left so by
 * an interrupted run or by hand: remove old if both hold the same bytes,
 * else PKI_E_CONFLICT naming both.  *done = 1 if this call removed old;
 * old gone meanwhile (another process migrating) is PKI_OK, *done 0.
 */
static int
drop_duplicate(const char *old, const char *dst, int *done,
	       struct pki_error *err)
{
	struct stat st;
	int same = 0, rc;

	*done = 0;
	rc = same_bytes(old, dst, &same, err);
	if (rc == PKI_E_NOTFOUND && lstat(old, &st) != 0 && errno == ENOENT)
		rc = PKI_OK;
	else if (rc == PKI_OK && !same)
		rc = pki_error_set(err, PKI_E_CONFLICT, "%s and %s both exist "
				   "and differ: keep the right one, move the "
				   "other away, and try again", old, dst);
	else if (rc == PKI_OK && unlink(old) != 0 && errno != ENOENT)
		rc = pki_error_set(err, PKI_E_IO, "cannot delete %s: %s", old,
				   strerror(errno));
	else if (rc == PKI_OK)
		*done = 1;
	return rc;
}

/*
 * rename(2) old to dst (in directory dir), then fsync dir.  *done = 1 if
 * this call moved it; old gone meanwhile is PKI_OK, *done 0.
 */
static int
move_key(const char *old, const char *dst, const char *dir, int *done,
	 struct pki_error *err)
{
	*done = 0;
	if (rename(old, dst) != 0)
		return errno == ENOENT ? PKI_OK :
		       pki_error_set(err, PKI_E_IO, "cannot move %s to %s: %s",
				     old, dst, strerror(errno));
	*done = 1;
	return fsync_dir(dir, err);
}

/*
 * Move <state>/lockbox/<name> into offline/ or online/, by the kind in
 * its header; see drop_duplicate for a target that exists already.  A
 * file gone meanwhile (another process migrating) is left to that
 * process.  ks->migrated counts the old names this call removed.
 */
static int
migrate_one(struct pki_keystore *ks, const char *name, struct pki_error *err)
{
	struct pki_lockbox_info info;
	char old[PATH_MAX], dir[PATH_MAX], dst[PATH_MAX];
	struct stat st;
	int done = 0, rc = PKI_E_IO;

	if ((size_t)snprintf(old, sizeof(old), "%s/%s", ks->lockbox_dir,
			     name) >= sizeof(old)) {
		rc = pki_error_set(err, PKI_E_INVALID, "state directory path "
				   "too long");
		goto out;
	}
	if (lstat(old, &st) != 0) {
		rc = errno == ENOENT ? PKI_OK :
		     pki_error_set(err, PKI_E_IO, "cannot stat %s: %s", old,
				   strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = pki_error_set(err, PKI_E_INVALID, "%s is not a regular "
				   "file; cannot move it into lockbox/offline "
				   "or lockbox/online", old);
		goto out;
	}
	rc = pki_lockbox_info(old, &info, err);
	if (rc == PKI_E_NOTFOUND) {
		rc = PKI_OK;
		goto out;
	}
	if (rc != PKI_OK) {
		pki_error_prefix(err, "cannot tell whether %s is an offline or "
				 "an online key", old);
		goto out;
	}
	if ((rc = make_kind_dir(ks, info.kind == PKI_LOCKBOX_KEKFILE, dir,
				sizeof(dir), err)) != PKI_OK)
		goto out;
	if ((size_t)snprintf(dst, sizeof(dst), "%s/%s", dir, name) >=
	    sizeof(dst)) {
		rc = pki_error_set(err, PKI_E_INVALID, "state directory path "
				   "too long");
		goto out;
	}
	if (lstat(dst, &st) == 0)
		rc = drop_duplicate(old, dst, &done, err);
	else if (errno == ENOENT)
		rc = move_key(old, dst, dir, &done, err);
	else
		rc = pki_error_set(err, PKI_E_IO, "cannot stat %s: %s", dst,
				   strerror(errno));
	if (rc != PKI_OK || !done ||
	    (rc = fsync_dir(ks->lockbox_dir, err)) != PKI_OK)
		goto out;
	ks->migrated++;
out:
	return rc;
}

/* Move every sealed key of the old flat layout (<state>/lockbox/<id>.key)
 * into lockbox/offline/ or lockbox/online/. */
static int
migrate(struct pki_keystore *ks, struct pki_error *err)
{
	DIR *d = NULL;
	struct dirent *e;
	int rc = PKI_E_IO;

	if ((d = opendir(ks->lockbox_dir)) == NULL) {
		rc = pki_error_set(err, PKI_E_IO, "cannot read %s: %s",
				   ks->lockbox_dir, strerror(errno));
		goto out;
	}
	for (;;) {
		errno = 0;
		if ((e = readdir(d)) == NULL)
			break;
		if (is_key_name(e->d_name) &&
		    (rc = migrate_one(ks, e->d_name, err)) != PKI_OK)
			goto out;
	}
	if (errno != 0) {
		rc = pki_error_set(err, PKI_E_IO, "cannot read %s: %s",
				   ks->lockbox_dir, strerror(errno));
		goto out;
	}
	rc = PKI_OK;
out:
	if (d != NULL)
		closedir(d);
	return rc;
}

/* ------------------------------------------------------------ keystore */

/* The Argon2id parameters of opts: all zero, the defaults; otherwise
 * each within the bounds of lockbox.h. */
static int
opts_argon2(const struct pki_argon2_params *p, struct pki_argon2_params *out,
	    struct pki_error *err)
{
	if (p->t_cost == 0 && p->m_cost_kib == 0 && p->lanes == 0) {
		out->t_cost = PKI_ARGON2_DEFAULT_PASSES;
		out->m_cost_kib = PKI_ARGON2_DEFAULT_KIB;
		out->lanes = PKI_ARGON2_DEFAULT_LANES;
		return PKI_OK;
	}
	if (p->m_cost_kib < PKI_ARGON2_MIN_KIB ||
	    p->m_cost_kib > PKI_ARGON2_MAX_KIB)
		return pki_error_set(err, PKI_E_INVALID, "Argon2id memory "
				     "%" PRIu32 " KiB: expected a number from "
				     "%u to %u", p->m_cost_kib,
				     PKI_ARGON2_MIN_KIB,
				     PKI_ARGON2_MAX_KIB);
	if (p->t_cost < PKI_ARGON2_MIN_PASSES ||
	    p->t_cost > PKI_ARGON2_MAX_PASSES)
		return pki_error_set(err, PKI_E_INVALID, "Argon2id passes "
				     "%" PRIu32 ": expected a number from %u "
				     "to %u", p->t_cost,
				     PKI_ARGON2_MIN_PASSES,
				     PKI_ARGON2_MAX_PASSES);
	if (p->lanes < 1 || p->lanes > PKI_ARGON2_MAX_LANES)
		return pki_error_set(err, PKI_E_INVALID, "Argon2id lanes "
				     "%" PRIu32 ": expected a number from 1 to "
				     "%u", p->lanes,
				     PKI_ARGON2_MAX_LANES);
	*out = *p;
	return PKI_OK;
}

int
pki_keystore_open(const char *state_dir, const struct pki_keystore_opts *opts,
		  struct pki_keystore **out, struct pki_error *err)
{
	static const struct pki_keystore_opts defaults;
	struct pki_keystore *ks = NULL;
	int rc = PKI_E_NOMEM;

	*out = NULL;
	if (opts == NULL)
		opts = &defaults;
	if (state_dir == NULL || *state_dir == '\0') {
		rc = pki_error_set(err, PKI_E_INVALID, "no state directory "
				   "given for the key store");
		goto out;
	}
	if ((ks = calloc(1, sizeof(*ks))) == NULL ||
	    (ks->state_dir = strdup(state_dir)) == NULL ||
	    (ks->lockbox_dir = pki_state_path_of(state_dir,
						 PKI_STATE_LOCKBOX_DIR)) == NULL ||
	    (opts->pkcs11_module != NULL && *opts->pkcs11_module != '\0' &&
	     (ks->pkcs11_module = strdup(opts->pkcs11_module)) == NULL)) {
		rc = pki_error_set(err, PKI_E_NOMEM, "out of memory");
		goto out;
	}
	ks->passfn = opts->passfn;
	ks->passctx = opts->passctx;
	ks->online_only = opts->online_only != 0;
	/* A handler's key store never asks for a PIN either. */
	ks->p11.passfn = ks->online_only ? NULL : opts->passfn;
	ks->p11.passctx = opts->passctx;
	ks->p11.module = ks->pkcs11_module;
	if ((rc = opts_argon2(&opts->argon2, &ks->argon2, err)) != PKI_OK ||
	    (rc = pki_lockbox_kek_new(state_dir, opts->credentials_dir,
				      &ks->kek, err)) != PKI_OK ||
	    (rc = pki__mkdirs(ks->lockbox_dir, 0700, err)) != PKI_OK)
		goto out;
	if (!ks->online_only && (rc = migrate(ks, err)) != PKI_OK) {
		pki_error_prefix(err, "moving sealed keys into %s/offline and "
				 "%s/online", ks->lockbox_dir, ks->lockbox_dir);
		goto out;
	}
	*out = ks;
	ks = NULL;
	rc = PKI_OK;
out:
	pki_keystore_free(ks);
	return rc;
}

void
pki_keystore_free(struct pki_keystore *ks)
{
	if (ks == NULL)
		return;
	pki__p11_release(&ks->p11);
	pki_lockbox_kek_free(ks->kek);
	free(ks->sealed);
	free(ks->state_dir);
	free(ks->lockbox_dir);
	free(ks->pkcs11_module);
	free(ks);
}

void
pki_keystore_set_argon2(struct pki_keystore *ks,
			const struct pki_argon2_params *p)
{
	if (ks != NULL && p != NULL)
		ks->argon2 = *p;
}

int
pki_keystore_migrated(const struct pki_keystore *ks)
{
	return ks != NULL ? ks->migrated : 0;
}

int
pki__keystore_allows(const struct pki_keystore *ks, int online,
		     const char *what, struct pki_error *err)
{
	if (ks == NULL || !ks->online_only || online)
		return PKI_OK;
	return pki_error_set(err, PKI_E_DENIED, "key %s is an offline key, "
			     "and this key store was opened for online keys "
			     "only", what);
}

struct pki__p11 *
pki__keystore_p11(struct pki_keystore *ks)
{
	return &ks->p11;
}

/* ------------------------------------------------------------ sealing */

/* Ask the callback for a passphrase into buf; *len is its length. */
static int
ask_passphrase(struct pki_keystore *ks, const char *label,
	       enum pki_pass_purpose purpose,
	       char *buf, size_t size, size_t *len, struct pki_error *err)
{
	int rc;

	*len = 0;
	buf[0] = '\0';
	if (ks->passfn == NULL)
		return pki_error_set(err, PKI_E_INVALID, "key '%s' is "
				     "protected by a passphrase, and this key "
				     "store has no passphrase source", label);
	rc = ks->passfn(ks->passctx, label, purpose, buf, size, err);
	if (rc != PKI_OK) {
		pki_memzero(buf, size);
		return rc;
	}
	buf[size - 1] = '\0';
	*len = strlen(buf);
	if (purpose == PKI_PASS_NEW_KEY && *len == 0)
		return pki_error_set(err, PKI_E_INVALID, "empty passphrase for "
				     "new key '%s' refused", label);
	return PKI_OK;
}

/* A gnutls_pubkey_t for an x509 private key; caller deinits. */
static int
pubkey_of_x509(gnutls_x509_privkey_t key, gnutls_pubkey_t *pub,
	       struct pki_error *err)
{
	gnutls_privkey_t p = NULL;
	gnutls_pubkey_t k = NULL;
	int ret, rc = PKI_E_CRYPTO;

	*pub = NULL;
	if ((ret = gnutls_privkey_init(&p)) < 0 ||
	    (ret = gnutls_privkey_import_x509(p, key, 0)) < 0 ||
	    (ret = gnutls_pubkey_init(&k)) < 0 ||
	    (ret = gnutls_pubkey_import_privkey(k, p, 0, 0)) < 0) {
		rc = pki__gnutls_error(err, ret, "deriving the public key");
		goto out;
	}
	*pub = k;
	k = NULL;
	rc = PKI_OK;
out:
	if (k != NULL)
		gnutls_pubkey_deinit(k);
	if (p != NULL)
		gnutls_privkey_deinit(p);
	return rc;
}

/* Room to record one more sealed key id (before sealing, so that a key
 * on disk is always recorded). */
static int
sealed_reserve(struct pki_keystore *ks, struct pki_error *err)
{
	char (*n)[KEY_ID_HEX + 1];
	size_t cap;

	if (ks->nsealed < ks->capsealed)
		return PKI_OK;
	cap = ks->capsealed != 0 ? ks->capsealed * 2 : 8;
	if ((n = realloc(ks->sealed, cap * sizeof(*n))) == NULL)
		return pki_error_set(err, PKI_E_NOMEM, "out of memory");
	ks->sealed = n;
	ks->capsealed = cap;
	return PKI_OK;
}

/*
 * PKI_E_EXISTS if key id is in the lockbox already, as either kind (the
 * other kind's directory is not looked at by an online-only key store);
 * path gets where a key of this kind goes.
 */
static int
check_new(const struct pki_keystore *ks, const char *id, int online,
	  char *path, size_t len, struct pki_error *err)
{
	char other[PATH_MAX];
	int rc;

	if ((rc = key_path(ks, id, online, path, len, err)) != PKI_OK ||
	    (rc = key_path(ks, id, !online, other, sizeof(other), err)) !=
	    PKI_OK)
		return rc;
	if (access(path, F_OK) == 0)
		return pki_error_set(err, PKI_E_EXISTS, "key %s is already in "
				     "the lockbox (%s)", id, path);
	if (!ks->online_only && access(other, F_OK) == 0)
		return pki_error_set(err, PKI_E_EXISTS, "key %s is already in "
				     "the lockbox (%s)", id, other);
	return PKI_OK;
}

/* Seal der (PKCS#8 of key id, algorithm alg) into path, under the KEK
 * or a new passphrase, creating the kind's directory. */
static int
seal_der(struct pki_keystore *ks, const char *path, const char *id,
	 enum pki_key_alg alg, int online, const char *label,
	 const gnutls_datum_t *der, struct pki_error *err)
{
	const unsigned char *kek = NULL;
	char pass[PASS_MAX], dir[PATH_MAX];
	size_t passlen = 0;
	int rc;

	pass[0] = '\0';
	if (online)
		rc = pki_lockbox_kek_create(ks->kek, &kek, err);
	else
		rc = ask_passphrase(ks, label, PKI_PASS_NEW_KEY, pass, sizeof(pass), &passlen,
				    err);
	if (rc != PKI_OK ||
	    (rc = make_kind_dir(ks, online, dir, sizeof(dir), err)) != PKI_OK)
		goto out;
	rc = pki_lockbox_seal(path, id, pki_key_alg_name(alg), der,
			      online ? NULL : pass, passlen,
			      online ? NULL : &ks->argon2, kek, err);
out:
	pki_memzero(pass, sizeof(pass));
	return rc;
}

/* Seal an in-memory key into the lockbox; *key_uri on success. */
static int
seal_x509(struct pki_keystore *ks, gnutls_x509_privkey_t key, int online,
	  const char *label, char **key_uri, struct pki_error *err)
{
	gnutls_pubkey_t pub = NULL;
	gnutls_datum_t der = { NULL, 0 };
	enum pki_key_alg alg;
	char id[KEY_ID_HEX + 1], path[PATH_MAX];
	size_t ulen;
	char *uri = NULL;
	int ret, rc = PKI_E_FAIL;

	*key_uri = NULL;
	if ((rc = pki__keystore_allows(ks, online, label, err)) != PKI_OK ||
	    (rc = pubkey_of_x509(key, &pub, err)) != PKI_OK ||
	    (rc = pki_key_alg_of_pubkey(pub, &alg, err)) != PKI_OK ||
	    (rc = pki_key_id(pub, id, sizeof(id), err)) != PKI_OK ||
	    (rc = check_new(ks, id, online, path, sizeof(path), err)) != PKI_OK ||
	    (rc = sealed_reserve(ks, err)) != PKI_OK)
		goto out;
	ret = gnutls_x509_privkey_export2_pkcs8(key, GNUTLS_X509_FMT_DER, NULL,
						GNUTLS_PKCS_PLAIN, &der);
	if (ret < 0) {
		rc = pki__gnutls_error(err, ret,
				       "gnutls_x509_privkey_export2_pkcs8");
		goto out;
	}
	ulen = strlen(URI_LOCKBOX) + KEY_ID_HEX + strlen(URI_ONLINE) + 1;
	if ((uri = malloc(ulen)) == NULL) {
		rc = pki_error_set(err, PKI_E_NOMEM, "out of memory");
		goto out;
	}
	snprintf(uri, ulen, "%s%s%s", URI_LOCKBOX, id, online ? URI_ONLINE : "");
	rc = seal_der(ks, path, id, alg, online, label, &der, err);
	if (rc != PKI_OK)
		goto out;
	memcpy(ks->sealed[ks->nsealed++], id, sizeof(id));
	*key_uri = uri;
	uri = NULL;
	rc = PKI_OK;
out:
	if (der.data != NULL) {
		pki_memzero(der.data, der.size);
		gnutls_free(der.data);
	}
	if (pub != NULL)
		gnutls_pubkey_deinit(pub);
	free(uri);
	return rc;
}

int
pki__keystore_create(struct pki_keystore *ks, enum pki_key_alg alg,
		     int online, const char *label, char **key_uri,
		     gnutls_privkey_t *priv, struct pki_error *err)
{
	gnutls_x509_privkey_t x = NULL;
	gnutls_privkey_t p = NULL;
	char *uri = NULL;
	int ret, rc = PKI_E_FAIL;

	if ((rc = pki__keystore_allows(ks, online, label, err)) != PKI_OK ||
	    (rc = pki_key_generate(alg, &x, err)) != PKI_OK ||
	    (rc = seal_x509(ks, x, online, label, &uri, err)) != PKI_OK)
		goto out;
	if ((ret = gnutls_privkey_init(&p)) < 0 ||
	    (ret = gnutls_privkey_import_x509(p, x,
			GNUTLS_PRIVKEY_IMPORT_AUTO_RELEASE)) < 0) {
		rc = pki__gnutls_error(err, ret, "gnutls_privkey_import_x509");
		goto out;
	}
	x = NULL;
	*key_uri = uri;
	uri = NULL;
	*priv = p;
	p = NULL;
	rc = PKI_OK;
out:
	free(uri);
	if (p != NULL)
		gnutls_privkey_deinit(p);
	if (x != NULL)
		gnutls_x509_privkey_deinit(x);
	return rc;
}

int
pki_key_import(struct pki_keystore *ks, gnutls_x509_privkey_t key,
	       int online, const char *label, char **key_uri,
	       struct pki_error *err)
{
	*key_uri = NULL;
	if (label == NULL)
		label = "imported key";
	return seal_x509(ks, key, online, label, key_uri, err);
}

/* ------------------------------------------------------------ unsealing */

/*
 * The private key in plain (PKCS#8 DER) as a gnutls_privkey_t, checked
 * to be key id with algorithm alg (PKI_E_AUTH otherwise).
 */
static int
privkey_of_plain(const gnutls_datum_t *plain, const char *id,
		 enum pki_key_alg alg, gnutls_privkey_t *priv,
		 struct pki_error *err)
{
	gnutls_x509_privkey_t x = NULL;
	gnutls_privkey_t p = NULL;
	gnutls_pubkey_t pub = NULL;
	enum pki_key_alg got_alg;
	char got[KEY_ID_HEX + 1];
	int ret, rc = PKI_E_FAIL;

	if ((ret = gnutls_x509_privkey_init(&x)) < 0 ||
	    (ret = gnutls_x509_privkey_import_pkcs8(x, plain,
						    GNUTLS_X509_FMT_DER, NULL,
						    GNUTLS_PKCS_PLAIN)) < 0) {
		rc = pki__gnutls_error(err, ret,
				       "gnutls_x509_privkey_import_pkcs8");
		goto out;
	}
	if ((rc = pubkey_of_x509(x, &pub, err)) != PKI_OK ||
	    (rc = pki_key_id(pub, got, sizeof(got), err)) != PKI_OK ||
	    (rc = pki_key_alg_of_pubkey(pub, &got_alg, err)) != PKI_OK)
		goto out;
	if (strcmp(got, id) != 0 || got_alg != alg) {
		rc = pki_error_set(err, PKI_E_AUTH, "the sealed key is %s %s, "
				   "not %s %s", pki_key_alg_name(got_alg), got,
				   pki_key_alg_name(alg), id);
		goto out;
	}
	if ((ret = gnutls_privkey_init(&p)) < 0 ||
	    (ret = gnutls_privkey_import_x509(p, x,
			GNUTLS_PRIVKEY_IMPORT_AUTO_RELEASE)) < 0) {
		rc = pki__gnutls_error(err, ret, "gnutls_privkey_import_x509");
		goto out;
	}
	x = NULL;
	*priv = p;
	p = NULL;
	rc = PKI_OK;
out:
	if (pub != NULL)
		gnutls_pubkey_deinit(pub);
	if (x != NULL)
		gnutls_x509_privkey_deinit(x);
	if (p != NULL)
		gnutls_privkey_deinit(p);
	return rc;
}

/*
 * rc of reading or parsing a sealed key file of this key store.  spork
 * wrote the file whole (atomically, mode 0400), so one that is too large
 * or does not parse (a flipped kind byte, an Argon2 field out of range,
 * a cut) was damaged or tampered with: PKI_E_AUTH, as for a modified
 * byte that does parse (exit status 5 in spork(1)), rather than
 * PKI_E_PARSE or PKI_E_INVALID, which would read as bad user input.
 */
static int
tampered(int rc, struct pki_error *err)
{
	if (rc != PKI_E_PARSE && rc != PKI_E_INVALID)
		return rc;
	if (err != NULL) {
		err->code = PKI_E_AUTH;
		pki_error_prefix(err, "the sealed key file was damaged or "
				 "tampered with");
	}
	return PKI_E_AUTH;
}

int
pki__keystore_load(struct pki_keystore *ks, const char *key_uri,
		   enum pki_key_alg alg, const char *label,
		   gnutls_privkey_t *priv, struct pki_error *err)
{
	struct pki_lockbox_info info;
	gnutls_datum_t img = { NULL, 0 }, plain = { NULL, 0 };
	const unsigned char *kek = NULL;
	char id[KEY_ID_HEX + 1], path[PATH_MAX], pass[PASS_MAX], sh[URI_SHOWN];
	size_t passlen = 0;
	int online = 0, rc = PKI_E_FAIL;

	pass[0] = '\0';
	pki__key_uri_shown(key_uri, sh, sizeof(sh));
	if (pki__key_uri_lockbox(key_uri, id, &online) != 0) {
		rc = pki_error_set(err, PKI_E_PARSE, "malformed key URI '%s': "
				   "expected lockbox:<64 hex digits>[%s]", sh,
				   URI_ONLINE);
		goto out;
	}
	/* Before the file is opened or the passphrase asked for. */
	if ((rc = pki__keystore_allows(ks, online, sh, err)) != PKI_OK ||
	    (rc = key_path(ks, id, online, path, sizeof(path), err)) != PKI_OK)
		goto out;
	if ((rc = pki_file_read(path, PKI_LOCKBOX_MAX_FILE, &img, err)) !=
	    PKI_OK) {
		rc = tampered(rc, err);
		goto out;
	}
	if ((rc = pki_lockbox_info_mem(img.data, img.size, &info, err)) != PKI_OK) {
		rc = tampered(rc, err);
		goto fail_path;
	}
	if ((info.kind == PKI_LOCKBOX_KEKFILE) != online) {
		rc = pki_error_set(err, PKI_E_AUTH, "key URI says the key is "
				   "%s, but the sealed file is %s: the file was "
				   "swapped or tampered with", kind_name(online),
				   online ? "sealed under a passphrase" :
				   "sealed under online.kek");
		goto fail_path;
	}
	if (online)
		rc = pki_lockbox_kek_load(ks->kek, &kek, err);
	else
		rc = ask_passphrase(ks, label, PKI_PASS_KEY, pass, sizeof(pass), &passlen,
				    err);
	if (rc != PKI_OK)
		goto out;
	rc = tampered(pki_lockbox_open_mem(img.data, img.size, id,
					   pki_key_alg_name(alg),
					   online ? NULL : pass, passlen, kek,
					   &plain, err), err);
	if (rc != PKI_OK ||
	    (rc = privkey_of_plain(&plain, id, alg, priv, err)) != PKI_OK)
		goto fail_path;
	goto out;
fail_path:
	pki_error_prefix(err, "%s", path);
out:
	pki_memzero(pass, sizeof(pass));
	if (plain.data != NULL) {
		pki_memzero(plain.data, plain.size);
		gnutls_free(plain.data);
	}
	gnutls_free(img.data);
	return rc;
}

/* ------------------------------------------------------------ secrets */

int
pki__keystore_secret_seal(struct pki_keystore *ks, const char *path,
			  const char *id, const gnutls_datum_t *plain,
			  struct pki_error *err)
{
	const unsigned char *kek = NULL;
	char tmp[PATH_MAX];
	int rc;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.new", path) >= sizeof(tmp))
		return pki_error_set(err, PKI_E_INVALID, "%s: path too long",
				     path);
	if ((rc = pki_lockbox_kek_create(ks->kek, &kek, err)) != PKI_OK)
		return rc;
	/* a leftover of an interrupted run is ours to replace */
	(void)unlink(tmp);
	if ((rc = pki_lockbox_seal(tmp, id, "secret", plain, NULL, 0, NULL, kek,
				   err)) != PKI_OK)
		return rc;
	if (rename(tmp, path) != 0) {
		rc = pki_error_set(err, PKI_E_IO, "rename %s: %s", tmp,
				   strerror(errno));
		(void)unlink(tmp);
	}
	return rc;
}

int
pki__keystore_secret_open(struct pki_keystore *ks, const char *path,
			  const char *id, gnutls_datum_t *plain,
			  struct pki_error *err)
{
	gnutls_datum_t img = { NULL, 0 };
	const unsigned char *kek = NULL;
	int rc;

	plain->data = NULL;
	plain->size = 0;
	if ((rc = pki_file_read(path, PKI_LOCKBOX_MAX_FILE, &img, err)) !=
	    PKI_OK)
		return rc;
	if ((rc = pki_lockbox_kek_load(ks->kek, &kek, err)) == PKI_OK)
		rc = pki_lockbox_open_mem(img.data, img.size, id, "secret",
					  NULL, 0, kek, plain, err);
	if (rc != PKI_OK)
		pki_error_prefix(err, "%s", path);
	gnutls_free(img.data);
	return rc;
}

/* ------------------------------------------------------------ discard */

int
pki_key_discard(struct pki_keystore *ks, const char *key_uri,
		struct pki_error *err)
{
	char id[KEY_ID_HEX + 1], path[PATH_MAX], sh[URI_SHOWN];
	size_t i;
	int online, rc = PKI_E_FAIL;

	if (ks == NULL || key_uri == NULL) {
		rc = pki_error_set(err, PKI_E_INVALID, "pki_key_discard: no "
				   "key store or key URI given");
		goto out;
	}
	if (strncmp(key_uri, PKI__URI_PKCS11, strlen(PKI__URI_PKCS11)) == 0) {
		rc = PKI_OK;
		goto out;
	}
	if (pki__key_uri_lockbox(key_uri, id, &online) != 0) {
		rc = pki_error_set(err, PKI_E_PARSE, "malformed key URI '%s': "
				   "expected lockbox:<64 hex digits>[%s]",
				   pki__key_uri_shown(key_uri, sh, sizeof(sh)),
				   URI_ONLINE);
		goto out;
	}
	for (i = 0; i < ks->nsealed; i++)
		if (strcmp(ks->sealed[i], id) == 0)
			break;
	if (i == ks->nsealed) {
		rc = pki_error_set(err, PKI_E_INVALID, "refusing to delete key "
				   "%s: it was not sealed through this key "
				   "store, so it may be a CA's key in use", id);
		goto out;
	}
	if ((rc = key_path(ks, id, online, path, sizeof(path), err)) != PKI_OK)
		goto out;
	if (unlink(path) != 0 && errno != ENOENT) {
		rc = pki_error_set(err, PKI_E_IO, "cannot delete %s: %s", path,
				   strerror(errno));
		goto out;
	}
	rc = PKI_OK;
out:
	return rc;
}

/* ------------------------------------------------------------ leftovers */

/*
 * A sealed key file that names this id in its header (spork wrote it
 * for that key): 1; a file that does not (not ours to judge): 0.
 */
static int
sealed_as(const char *path, const char *id)
{
	struct pki_lockbox_info info;
	struct pki_error e;

	return pki_lockbox_info(path, &info, &e) == PKI_OK &&
	       strcmp(info.key_id, id) == 0;
}

int
pki__keystore_prune(struct pki_keystore *ks, const char *const *keep,
		    size_t nkeep,
		    int (*removing)(void *ctx, const char *id, int online,
				    struct pki_error *err),
		    void *ctx, struct pki_error *err)
{
	const char *const tmp_base[] = { "online.kek" };
	char dir[PATH_MAX], path[PATH_MAX], id[KEY_ID_HEX + 1];
	struct dirent *e;
	DIR *d = NULL;
	size_t i;
	int online, k, n, rc = PKI_E_IO;

	if ((k = pki__file_tmp_clean(ks->state_dir, tmp_base, 1, err)) < 0 ||
	    (k = pki__file_tmp_clean(ks->lockbox_dir, NULL, 0, err)) < 0) {
		rc = -k;
		goto out;
	}
	for (online = 0; online <= 1; online++) {
		if (ks->online_only && !online)
			continue;
		if ((rc = kind_dir(ks, online, dir, sizeof(dir), err)) != PKI_OK)
			goto out;
		if ((k = pki__file_tmp_clean(dir, NULL, 0, err)) < 0) {
			rc = -k;
			goto out;
		}
		if ((d = opendir(dir)) == NULL) {
			if (errno == ENOENT)
				continue;
			rc = pki_error_set(err, PKI_E_IO, "cannot read %s: %s",
					   dir, strerror(errno));
			goto out;
		}
		n = 0;
		while ((e = readdir(d)) != NULL) {
			if (!is_key_name(e->d_name))
				continue;
			memcpy(id, e->d_name, KEY_ID_HEX);
			id[KEY_ID_HEX] = '\0';
			for (i = 0; i < nkeep; i++)
				if (strcmp(keep[i], id) == 0)
					break;
			if (i < nkeep ||
			    (size_t)snprintf(path, sizeof(path), "%s/%s", dir,
					     e->d_name) >= sizeof(path) ||
			    !sealed_as(path, id))
				continue;
			if ((rc = removing(ctx, id, online, err)) != PKI_OK)
				goto out;
			if (unlink(path) != 0) {
				rc = pki_error_set(err, PKI_E_IO, "cannot delete "
						   "%s: %s", path,
						   strerror(errno));
				goto out;
			}
			n++;
		}
		closedir(d);
		d = NULL;
		if (n > 0 && (rc = fsync_dir(dir, err)) != PKI_OK)
			goto out;
	}
	rc = PKI_OK;
out:
	if (d != NULL)
		closedir(d);
	return rc;
}
