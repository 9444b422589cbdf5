/* Unit tests for libpki/keystore: the lockbox layout (offline/ and
 * online/), migration from the flat layout, online-only key stores. */
#include <config.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/abstract.h>
#include <gnutls/x509.h>

#include <spork/key.h>
#include "keystore.h"
#include "lockbox.h"
#include "util.h"

/* Passphrase callback: hands out ctx->pass and counts the calls. */
struct passctx {
	const char *pass;
	int calls;
};

static int
passfn(void *vctx, const char *label, enum pki_pass_purpose purpose,
       char *buf, size_t size,
       struct pki_error *err)
{
	struct passctx *c = vctx;

	(void)label;
	(void)purpose;
	(void)err;
	c->calls++;
	snprintf(buf, size, "%s", c->pass);
	return PKI_OK;
}

/* Four keys in a state directory: two offline, two online. */
#define NKEYS 4
struct fixture {
	char dir[64];
	char lockbox[128];
	struct passctx pc;
	char *uri[NKEYS];
	enum pki_key_alg alg[NKEYS];
};

static int
is_online(int i)
{
	return i >= NKEYS / 2;
}

/* Open dir's key store with cheap Argon2id and the fixture's callback. */
static int
open_ks(struct fixture *f, int online_only, struct pki_keystore **ks,
	struct pki_error *err)
{
	struct pki_keystore_opts o = {
		.passfn = passfn, .passctx = &f->pc,
		.argon2 = { .t_cost = 1, .m_cost_kib = 8192, .lanes = 1 },
		.online_only = online_only,
	};

	return pki_keystore_open(f->dir, &o, ks, err);
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct pki_keystore *ks = NULL;
	struct pki_error err;
	gnutls_privkey_t priv;
	int i;

	if (f == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/spork-keystore-XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->lockbox, sizeof(f->lockbox), "%s/lockbox", f->dir);
	f->pc.pass = "correct horse battery staple";
	if (open_ks(f, 0, &ks, &err) != PKI_OK)
		goto fail;
	for (i = 0; i < NKEYS; i++) {
		f->alg[i] = i % 2 ? PKI_KEY_ED25519 : PKI_KEY_ECDSA_P256;
		if (pki_key_create(ks, f->alg[i], is_online(i), NULL, "k",
				   &f->uri[i], &priv, &err) != PKI_OK)
			goto fail;
		gnutls_privkey_deinit(priv);
	}
	pki_keystore_free(ks);
	*state = f;
	return 0;
fail:
	fprintf(stderr, "setup: %s\n", err.msg);
	pki_keystore_free(ks);
	return -1;
}

static int
rm_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st; (void)flag; (void)ftw;
	return remove(path);
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	int i;

	nftw(f->dir, rm_cb, 8, FTW_DEPTH | FTW_PHYS);
	for (i = 0; i < NKEYS; i++)
		free(f->uri[i]);
	free(f);
	return 0;
}

/* Key i's file: new layout (lockbox/<kind>/<id>.key) or flat
 * (lockbox/<id>.key, spork before the split). */
static void
new_path(const struct fixture *f, int i, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s/%.64s.key", f->lockbox,
		 is_online(i) ? "online" : "offline", f->uri[i] + 8);
}

static void
flat_path(const struct fixture *f, int i, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%.64s.key", f->lockbox, f->uri[i] + 8);
}

static int
exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

/* Put the fixture's keys back into the flat layout, as spork before the
 * split left them, and remove offline/ and online/. */
static void
flatten(const struct fixture *f)
{
	char from[512], to[512];
	int i;

	for (i = 0; i < NKEYS; i++) {
		new_path(f, i, from, sizeof(from));
		flat_path(f, i, to, sizeof(to));
		assert_int_equal(rename(from, to), 0);
	}
	snprintf(from, sizeof(from), "%s/offline", f->lockbox);
	assert_int_equal(rmdir(from), 0);
	snprintf(from, sizeof(from), "%s/online", f->lockbox);
	assert_int_equal(rmdir(from), 0);
}

/* Load key i through ks; the callback calls it took in *calls. */
static int
load(struct fixture *f, struct pki_keystore *ks, int i, int *calls,
     struct pki_error *err)
{
	gnutls_privkey_t priv = NULL;
	int rc;

	f->pc.calls = 0;
	rc = pki_key_load(ks, f->uri[i], f->alg[i], "k", &priv, err);
	if (calls != NULL)
		*calls = f->pc.calls;
	if (rc == PKI_OK)
		assert_non_null(priv);
	else
		assert_null(priv);
	if (priv != NULL)
		gnutls_privkey_deinit(priv);
	return rc;
}

static void
copy_file(const char *from, const char *to)
{
	gnutls_datum_t d;
	struct pki_error err;

	assert_int_equal(pki_file_read(from, 1 << 20, &d, &err), PKI_OK);
	assert_int_equal(pki_file_write(to, d.data, d.size, 0400, 1, &err),
			 PKI_OK);
	gnutls_free(d.data);
}

/* ------------------------------------------------------------ tests */

/* Sealed keys are in lockbox/offline and lockbox/online, both 0700. */
static void
test_layout(void **state)
{
	struct fixture *f = *state;
	struct pki_lockbox_info info;
	struct pki_error err;
	char path[512];
	struct stat st;
	int i;

	for (i = 0; i < NKEYS; i++) {
		new_path(f, i, path, sizeof(path));
		assert_int_equal(pki_lockbox_info(path, &info, &err), PKI_OK);
		assert_int_equal(info.kind, is_online(i) ? PKI_LOCKBOX_KEKFILE :
				 PKI_LOCKBOX_PASSPHRASE);
		flat_path(f, i, path, sizeof(path));
		assert_false(exists(path));
	}
	snprintf(path, sizeof(path), "%s/offline", f->lockbox);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	snprintf(path, sizeof(path), "%s/online", f->lockbox);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	assert_int_equal(pki_keystore_migrated(NULL), 0);
}

/* An online-only key store refuses offline keys before asking for a
 * passphrase, even with a working callback; it loads online keys.  The
 * same offline key loads through a normal key store. */
static void
test_online_only(void **state)
{
	struct fixture *f = *state;
	struct pki_keystore *ks = NULL, *normal = NULL;
	struct pki_error err;
	gnutls_x509_privkey_t x = NULL;
	gnutls_privkey_t priv = NULL;
	char *uri = NULL;
	int calls = -1;

	assert_int_equal(open_ks(f, 1, &ks, &err), PKI_OK);
	assert_int_equal(pki_keystore_migrated(ks), 0);
	assert_int_equal(load(f, ks, 0, &calls, &err), PKI_E_DENIED);
	assert_int_equal(calls, 0);
	assert_non_null(strstr(err.msg, "online keys only"));
	assert_non_null(strstr(err.msg, f->uri[0]));
	assert_int_equal(load(f, ks, 1, &calls, &err), PKI_E_DENIED);
	assert_int_equal(calls, 0);
	assert_int_equal(load(f, ks, 2, &calls, &err), PKI_OK);
	assert_int_equal(calls, 0);
	assert_int_equal(load(f, ks, 3, &calls, &err), PKI_OK);

	/* Creating or importing an offline key: refused the same way;
	 * an online one is fine. */
	f->pc.calls = 0;
	assert_int_equal(pki_key_create(ks, PKI_KEY_ED25519, 0, NULL, "root",
					&uri, &priv, &err), PKI_E_DENIED);
	assert_null(uri);
	assert_null(priv);
	assert_int_equal(pki_key_generate(PKI_KEY_ED25519, &x, &err), PKI_OK);
	assert_int_equal(pki_key_import(ks, x, 0, "imported", &uri, &err),
			 PKI_E_DENIED);
	assert_null(uri);
	assert_int_equal(f->pc.calls, 0);
	assert_int_equal(pki_key_import(ks, x, 1, "imported", &uri, &err),
			 PKI_OK);
	assert_non_null(strstr(uri, ";kek=online"));
	free(uri);
	uri = NULL;
	/* A token key without a PIN file needs a person too. */
	assert_int_equal(pki_key_load(ks, "pkcs11:token=t;object=k",
				      PKI_KEY_ED25519, "t", &priv, &err),
			 PKI_E_DENIED);
	assert_int_equal(pki_key_create(ks, PKI_KEY_ECDSA_P256, 0,
					"pkcs11:token=t;object=k", "t", &uri,
					&priv, &err), PKI_E_DENIED);
	assert_int_equal(f->pc.calls, 0);
	/* Malformed URIs are still malformed. */
	assert_int_equal(pki_key_load(ks, "lockbox:../x", PKI_KEY_ED25519,
				      "x", &priv, &err), PKI_E_PARSE);
	pki_keystore_free(ks);

	assert_int_equal(open_ks(f, 0, &normal, &err), PKI_OK);
	assert_int_equal(load(f, normal, 0, &calls, &err), PKI_OK);
	assert_int_equal(calls, 1);
	assert_int_equal(load(f, normal, 2, &calls, &err), PKI_OK);
	pki_keystore_free(normal);
	gnutls_x509_privkey_deinit(x);
}

/* With lockbox/offline out of reach (systemd's InaccessiblePaths=;
 * tests run as root, so a mode 000 directory would not do: it is
 * renamed away and a file put in its place), an online-only key store
 * opens and loads online keys, and still refuses offline ones. */
static void
test_offline_inaccessible(void **state)
{
	struct fixture *f = *state;
	struct pki_keystore *ks = NULL;
	struct pki_error err;
	gnutls_privkey_t priv = NULL;
	char off[512], away[512], *uri = NULL;
	int fd, calls;

	snprintf(off, sizeof(off), "%s/offline", f->lockbox);
	snprintf(away, sizeof(away), "%s/offline.away", f->dir);
	assert_int_equal(rename(off, away), 0);
	/* Nothing there: an online-only key store does not create it. */
	assert_int_equal(open_ks(f, 1, &ks, &err), PKI_OK);
	assert_int_equal(load(f, ks, 2, &calls, &err), PKI_OK);
	assert_int_equal(load(f, ks, 0, &calls, &err), PKI_E_DENIED);
	assert_int_equal(calls, 0);
	pki_keystore_free(ks);
	ks = NULL;
	assert_false(exists(off));

	/* Not a directory: any path below it fails with ENOTDIR. */
	fd = open(off, O_WRONLY | O_CREAT | O_EXCL, 0);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(open_ks(f, 1, &ks, &err), PKI_OK);
	assert_int_equal(load(f, ks, 2, &calls, &err), PKI_OK);
	assert_int_equal(load(f, ks, 3, &calls, &err), PKI_OK);
	assert_int_equal(load(f, ks, 1, &calls, &err), PKI_E_DENIED);
	/* A new online key can be sealed too. */
	assert_int_equal(pki_key_create(ks, PKI_KEY_ED25519, 1, NULL, "i2",
					&uri, &priv, &err), PKI_OK);
	gnutls_privkey_deinit(priv);
	free(uri);
	pki_keystore_free(ks);
	assert_int_equal(unlink(off), 0);
	assert_int_equal(rename(away, off), 0);
}

/* The flat layout of older spork is moved on open: every file into
 * offline/ or online/ by its kind, other files left alone, the count
 * reported; the keys load from their new place. */
static void
test_migrate(void **state)
{
	struct fixture *f = *state;
	struct pki_keystore *ks = NULL;
	struct pki_error err;
	char path[512], other[512], dir[512];
	struct stat st;
	int i, fd;

	flatten(f);
	snprintf(other, sizeof(other), "%s/notes.txt", f->lockbox);
	fd = open(other, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	close(fd);

	/* An online-only key store does not migrate (nor create
	 * offline/). */
	assert_int_equal(open_ks(f, 1, &ks, &err), PKI_OK);
	assert_int_equal(pki_keystore_migrated(ks), 0);
	pki_keystore_free(ks);
	ks = NULL;
	snprintf(dir, sizeof(dir), "%s/offline", f->lockbox);
	assert_false(exists(dir));
	for (i = 0; i < NKEYS; i++) {
		flat_path(f, i, path, sizeof(path));
		assert_true(exists(path));
	}

	assert_int_equal(open_ks(f, 0, &ks, &err), PKI_OK);
	assert_int_equal(pki_keystore_migrated(ks), NKEYS);
	for (i = 0; i < NKEYS; i++) {
		flat_path(f, i, path, sizeof(path));
		assert_false(exists(path));
		new_path(f, i, path, sizeof(path));
		assert_int_equal(stat(path, &st), 0);
		assert_int_equal(st.st_mode & 07777, 0400);
		assert_int_equal(load(f, ks, i, NULL, &err), PKI_OK);
	}
	assert_true(exists(other));
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	pki_keystore_free(ks);
	ks = NULL;

	/* Done once: the next open has nothing to move. */
	assert_int_equal(open_ks(f, 0, &ks, &err), PKI_OK);
	assert_int_equal(pki_keystore_migrated(ks), 0);
	pki_keystore_free(ks);
}

/* A migration interrupted midway (key 0 moved, key 2 under both names,
 * keys 1 and 3 still flat) is completed by the next open. */
static void
test_migrate_interrupted(void **state)
{
	struct fixture *f = *state;
	struct pki_keystore *ks = NULL;
	struct pki_error err;
	char from[512], to[512];
	int i;

	flatten(f);
	snprintf(to, sizeof(to), "%s/offline", f->lockbox);
	assert_int_equal(mkdir(to, 0700), 0);
	snprintf(to, sizeof(to), "%s/online", f->lockbox);
	assert_int_equal(mkdir(to, 0700), 0);
	flat_path(f, 0, from, sizeof(from));
	new_path(f, 0, to, sizeof(to));
	assert_int_equal(rename(from, to), 0);
	flat_path(f, 2, from, sizeof(from));
	new_path(f, 2, to, sizeof(to));
	copy_file(from, to);

	assert_int_equal(open_ks(f, 0, &ks, &err), PKI_OK);
	/* Keys 1 and 3 moved, key 2's old name removed. */
	assert_int_equal(pki_keystore_migrated(ks), 3);
	for (i = 0; i < NKEYS; i++) {
		flat_path(f, i, from, sizeof(from));
		assert_false(exists(from));
		new_path(f, i, to, sizeof(to));
		assert_true(exists(to));
		assert_int_equal(load(f, ks, i, NULL, &err), PKI_OK);
	}
	pki_keystore_free(ks);
}

/* Two different files for one key, old and new place: refused, both
 * named, neither touched; the same for a flat file whose kind cannot
 * be read. */
static void
test_migrate_conflict(void **state)
{
	struct fixture *f = *state;
	struct pki_keystore *ks = NULL;
	struct pki_error err;
	gnutls_datum_t d;
	char flat[512], moved[512];
	int fd;

	new_path(f, 0, moved, sizeof(moved));
	flat_path(f, 0, flat, sizeof(flat));
	assert_int_equal(pki_file_read(moved, 1 << 20, &d, &err), PKI_OK);
	d.data[d.size - 1] ^= 1;     /* the tag: the header still parses */
	assert_int_equal(pki_file_write(flat, d.data, d.size, 0400, 1, &err),
			 PKI_OK);
	gnutls_free(d.data);

	assert_int_equal(open_ks(f, 0, &ks, &err), PKI_E_CONFLICT);
	assert_null(ks);
	assert_non_null(strstr(err.msg, flat));
	assert_non_null(strstr(err.msg, moved));
	assert_true(exists(flat));
	/* An online-only key store does not care. */
	assert_int_equal(open_ks(f, 1, &ks, &err), PKI_OK);
	assert_int_equal(load(f, ks, 2, NULL, &err), PKI_OK);
	pki_keystore_free(ks);
	ks = NULL;
	/* The operator removes the wrong copy: open works again. */
	assert_int_equal(unlink(flat), 0);
	assert_int_equal(open_ks(f, 0, &ks, &err), PKI_OK);
	assert_int_equal(pki_keystore_migrated(ks), 0);
	assert_int_equal(load(f, ks, 0, NULL, &err), PKI_OK);
	pki_keystore_free(ks);
	ks = NULL;

	/* Not a sealed file at all. */
	fd = open(flat, O_WRONLY | O_CREAT | O_EXCL, 0400);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "garbage", 7), 7);
	close(fd);
	assert_int_equal(open_ks(f, 0, &ks, &err), PKI_E_PARSE);
	assert_non_null(strstr(err.msg, flat));
	assert_true(exists(flat));
	assert_int_equal(unlink(flat), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_layout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_online_only, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_offline_inaccessible,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_migrate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migrate_interrupted,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_migrate_conflict, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
