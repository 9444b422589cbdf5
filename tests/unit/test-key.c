/* Unit tests for libpki/key: generation, lockbox keys, PKCS#11 keys. */
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
#include <gnutls/pkcs11.h>
#include <gnutls/x509.h>

#include <spork/key.h>
#include "keystore.h"
#include "lockbox.h"
#include "util.h"

#define SOFTHSM_MODULE "/usr/lib/softhsm/libsofthsm2.so"

static int p11_skipped;

/* Passphrase callback: hands out ctx->pass and counts the calls. */
struct passctx {
	const char *pass;
	int calls;
	int new_calls;
	char last_label[256];
};

static int
passfn(void *vctx, const char *label, enum pki_pass_purpose purpose,
       char *buf, size_t size,
       struct pki_error *err)
{
	struct passctx *c = vctx;

	c->calls++;
	c->new_calls += purpose == PKI_PASS_NEW_KEY;
	snprintf(c->last_label, sizeof(c->last_label), "%s", label);
	if (c->pass == NULL)
		return pki_error_set(err, PKI_E_AUTH, "no passphrase today");
	snprintf(buf, size, "%s", c->pass);
	return PKI_OK;
}

struct fixture {
	char dir[64];
	struct passctx pc;
	struct pki_keystore *ks;
};

/* Cheap Argon2id for the tests: 8 MiB, one pass. */
#define CHEAP_ARGON2 { .t_cost = 1, .m_cost_kib = 8192, .lanes = 1 }

/* Open dir's key store with cheap Argon2id, no callback, and cred as
 * the credentials directory (NULL: none). */
static int
open_ks(const char *dir, const char *cred, struct pki_keystore **ks,
	struct pki_error *err)
{
	struct pki_keystore_opts o = { .credentials_dir = cred,
				       .argon2 = CHEAP_ARGON2 };

	return pki_keystore_open(dir, &o, ks, err);
}

static int
rm_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st; (void)flag; (void)ftw;
	return remove(path);
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct pki_error err;

	if (f == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/spork-key-XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	f->pc.pass = "correct horse battery staple";
	if (pki_keystore_open(f->dir, &(struct pki_keystore_opts){
				.passfn = passfn, .passctx = &f->pc,
				.argon2 = CHEAP_ARGON2 },
			      &f->ks, &err) != PKI_OK) {
		fprintf(stderr, "pki_keystore_open: %s\n", err.msg);
		return -1;
	}
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	pki_keystore_free(f->ks);
	nftw(f->dir, rm_cb, 8, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

/* Where a lockbox key's sealed file is: lockbox/online/ for the
 * ";kek=online" URIs, lockbox/offline/ for the others. */
static void
lockbox_file(const struct fixture *f, const char *uri, char *buf, size_t len)
{
	assert_true(strncmp(uri, "lockbox:", 8) == 0);
	snprintf(buf, len, "%s/lockbox/%s/%.64s.key", f->dir,
		 strstr(uri, ";kek=online") != NULL ? "online" : "offline",
		 uri + 8);
}

static gnutls_pubkey_t
pub_of(gnutls_privkey_t priv)
{
	gnutls_pubkey_t pub;

	assert_int_equal(gnutls_pubkey_init(&pub), 0);
	assert_int_equal(gnutls_pubkey_import_privkey(pub, priv, 0, 0), 0);
	return pub;
}

/* Sign with priv, verify with pub, both ways the rest of spork signs. */
static void
sign_verify(gnutls_privkey_t priv, gnutls_pubkey_t pub, enum pki_key_alg alg)
{
	static const char msg[] = "spork signs this";
	gnutls_datum_t data = { (unsigned char *)msg, sizeof(msg) - 1 };
	gnutls_datum_t sig = { NULL, 0 };
	gnutls_sign_algorithm_t sa = pki_key_alg_sign(alg);
	int ret;

	assert_int_not_equal(sa, GNUTLS_SIGN_UNKNOWN);
	ret = gnutls_privkey_sign_data2(priv, sa, 0, &data, &sig);
	if (ret < 0)
		fail_msg("%s: gnutls_privkey_sign_data2: %s",
			 pki_key_alg_name(alg), gnutls_strerror(ret));
	ret = gnutls_pubkey_verify_data2(pub, sa, 0, &data, &sig);
	if (ret < 0)
		fail_msg("%s: verify: %s", pki_key_alg_name(alg),
			 gnutls_strerror(ret));
	/* A modified message does not verify. */
	data.size--;
	assert_true(gnutls_pubkey_verify_data2(pub, sa, 0, &data, &sig) < 0);
	data.size++;
	gnutls_free(sig.data);

	/* EdDSA has no separate digest (pki_key_alg_digest is UNKNOWN):
	 * only the sign_data2 form above applies. */
	if (pki_key_alg_digest(alg) == GNUTLS_DIG_UNKNOWN)
		return;
	ret = gnutls_privkey_sign_data(priv, pki_key_alg_digest(alg), 0, &data,
				       &sig);
	if (ret < 0)
		fail_msg("%s: gnutls_privkey_sign_data: %s",
			 pki_key_alg_name(alg), gnutls_strerror(ret));
	assert_true(gnutls_pubkey_verify_data2(pub, sa, 0, &data, &sig) >= 0);
	gnutls_free(sig.data);
}

static void
test_alg_names(void **state)
{
	struct pki_error err;
	enum pki_key_alg a;
	int i;

	(void)state;
	for (i = 0; i < PKI_KEY__MAX; i++) {
		assert_int_equal(pki_key_alg_from_name(pki_key_alg_name(i), &a,
						       &err), PKI_OK);
		assert_int_equal(a, i);
	}
	assert_int_equal(pki_key_alg_from_name("dsa-1024", &a, &err),
			 PKI_E_UNSUPPORTED);
	assert_non_null(strstr(err.msg, "ecdsa-p256"));
	assert_non_null(strstr(err.msg, "ed448"));
	assert_int_equal(pki_key_alg_from_name("ECDSA-P256", &a, &err),
			 PKI_E_UNSUPPORTED);
	assert_int_equal(pki_key_alg_digest(PKI_KEY_ECDSA_P384), GNUTLS_DIG_SHA384);
	assert_int_equal(pki_key_alg_digest(PKI_KEY_RSA_3072), GNUTLS_DIG_SHA256);
	assert_int_equal(pki_key_alg_digest(PKI_KEY_ED25519), GNUTLS_DIG_UNKNOWN);
}

/* Every algorithm: generate, seal online, load, sign, verify. */
static void
test_every_alg_online(void **state)
{
	struct fixture *f = *state;
	struct pki_error err;
	struct pki_lockbox_info info;
	char path[512], kekpath[512];
	struct stat st;
	int i;

	for (i = 0; i < PKI_KEY__MAX; i++) {
		gnutls_privkey_t priv = NULL, again = NULL;
		gnutls_pubkey_t pub;
		enum pki_key_alg got;
		char *uri = NULL, id[65];
		int rc;

		rc = pki_key_create(f->ks, i, 1, NULL, "issuing", &uri, &priv,
				    &err);
		if (rc != PKI_OK)
			fail_msg("%s: %s", pki_key_alg_name(i), err.msg);
		assert_true(pki_key_is_online(uri));
		assert_non_null(strstr(uri, ";kek=online"));
		pub = pub_of(priv);
		assert_int_equal(pki_key_alg_of_pubkey(pub, &got, &err), PKI_OK);
		assert_int_equal(got, i);
		assert_int_equal(pki_key_id(pub, id, sizeof(id), &err), PKI_OK);
		assert_int_equal(strlen(id), 64);
		{
			char uid[65];

			assert_int_equal(pki_key_uri_id(uri, uid, sizeof(uid),
							&err), PKI_OK);
			assert_string_equal(uid, id);
		}
		sign_verify(priv, pub, i);

		lockbox_file(f, uri, path, sizeof(path));
		assert_int_equal(stat(path, &st), 0);
		assert_int_equal(st.st_mode & 07777, 0400);
		assert_int_equal(pki_lockbox_info(path, &info, &err), PKI_OK);
		assert_int_equal(info.kind, PKI_LOCKBOX_KEKFILE);
		assert_string_equal(info.alg, pki_key_alg_name(i));
		assert_string_equal(info.key_id, id);

		/* No passphrase is asked for online keys. */
		f->pc.calls = 0;
		rc = pki_key_load(f->ks, uri, i, "issuing", &again, &err);
		if (rc != PKI_OK)
			fail_msg("load %s: %s", pki_key_alg_name(i), err.msg);
		assert_int_equal(f->pc.calls, 0);
		sign_verify(again, pub, i);
		/* Wrong expected algorithm: refused. */
		gnutls_privkey_deinit(again);
		assert_int_equal(pki_key_load(f->ks, uri,
					      (i + 1) % PKI_KEY__MAX, "x",
					      &again, &err), PKI_E_AUTH);
		assert_null(again);

		gnutls_pubkey_deinit(pub);
		gnutls_privkey_deinit(priv);
		free(uri);
	}
	snprintf(kekpath, sizeof(kekpath), "%s/online.kek", f->dir);
	assert_int_equal(stat(kekpath, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0400);
	assert_int_equal(st.st_size, 32);
}

/* A second keystore (a new process) can load online keys; online.kek
 * with loose permissions, the wrong size, or missing is refused. */
static void
test_online_kek(void **state)
{
	struct fixture *f = *state;
	struct pki_keystore *ks2 = NULL;
	struct pki_error err;
	gnutls_privkey_t priv = NULL, again = NULL;
	char *uri = NULL, kek[512], moved[512];
	int fd;

	assert_int_equal(pki_key_create(f->ks, PKI_KEY_ED25519, 1, NULL, "i",
					&uri, &priv, &err), PKI_OK);
	snprintf(kek, sizeof(kek), "%s/online.kek", f->dir);
	snprintf(moved, sizeof(moved), "%s/online.kek.saved", f->dir);

	assert_int_equal(open_ks(f->dir, NULL, &ks2, &err),
			 PKI_OK);
	assert_int_equal(pki_key_load(ks2, uri, PKI_KEY_ED25519, "i", &again,
				      &err), PKI_OK);
	gnutls_privkey_deinit(again);
	pki_keystore_free(ks2);

	assert_int_equal(chmod(kek, 0440), 0);
	assert_int_equal(open_ks(f->dir, NULL, &ks2, &err),
			 PKI_OK);
	assert_int_equal(pki_key_load(ks2, uri, PKI_KEY_ED25519, "i", &again,
				      &err), PKI_E_INVALID);
	assert_non_null(strstr(err.msg, "group or others"));
	pki_keystore_free(ks2);
	assert_int_equal(chmod(kek, 0400), 0);

	/* Missing: not recreated by a load (that would orphan the keys). */
	assert_int_equal(rename(kek, moved), 0);
	assert_int_equal(open_ks(f->dir, NULL, &ks2, &err),
			 PKI_OK);
	assert_int_equal(pki_key_load(ks2, uri, PKI_KEY_ED25519, "i", &again,
				      &err), PKI_E_NOTFOUND);
	assert_int_equal(access(kek, F_OK), -1);
	pki_keystore_free(ks2);

	/* Wrong size. */
	fd = open(kek, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "short", 5), 5);
	close(fd);
	assert_int_equal(open_ks(f->dir, NULL, &ks2, &err),
			 PKI_OK);
	assert_int_equal(pki_key_load(ks2, uri, PKI_KEY_ED25519, "i", &again,
				      &err), PKI_E_INVALID);
	pki_keystore_free(ks2);
	assert_int_equal(unlink(kek), 0);

	/* Another 32-byte key: PKI_E_AUTH, and the file is not touched. */
	fd = open(kek, O_WRONLY | O_CREAT | O_EXCL, 0400);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "0123456789abcdef0123456789abcdef", 32), 32);
	close(fd);
	assert_int_equal(open_ks(f->dir, NULL, &ks2, &err),
			 PKI_OK);
	assert_int_equal(pki_key_load(ks2, uri, PKI_KEY_ED25519, "i", &again,
				      &err), PKI_E_AUTH);
	assert_non_null(strstr(err.msg, "online.kek"));
	pki_keystore_free(ks2);
	assert_int_equal(unlink(kek), 0);

	/* Under systemd: $CREDENTIALS_DIRECTORY/online.kek is used, and
	 * nothing is created in the state directory. */
	{
		char cred[256], credkek[512];

		snprintf(cred, sizeof(cred), "%s/creds", f->dir);
		snprintf(credkek, sizeof(credkek), "%s/online.kek", cred);
		assert_int_equal(mkdir(cred, 0700), 0);
		assert_int_equal(rename(moved, credkek), 0);
		assert_int_equal(open_ks(f->dir, cred, &ks2, &err), PKI_OK);
		assert_int_equal(pki_key_load(ks2, uri, PKI_KEY_ED25519, "i",
					      &again, &err), PKI_OK);
		gnutls_privkey_deinit(again);
		pki_keystore_free(ks2);
		assert_int_equal(access(kek, F_OK), -1);
		assert_int_equal(rename(credkek, kek), 0);
	}

	gnutls_privkey_deinit(priv);
	free(uri);
}

/* Entries in a directory, "." and ".." aside (0 if there is none). */
static int
count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (d == NULL && errno == ENOENT)
		return 0;
	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
	closedir(d);
	return n;
}

/* Sealed files in a state directory's lockbox, both kinds. */
static int
count_keys(const char *lockbox)
{
	char d[600];
	int n;

	snprintf(d, sizeof(d), "%s/offline", lockbox);
	n = count_entries(d);
	snprintf(d, sizeof(d), "%s/online", lockbox);
	return n + count_entries(d);
}

/* $CREDENTIALS_DIRECTORY/online.kek that exists but cannot be used is an
 * error: the state directory's online.kek is neither used nor created,
 * so keys never end up sealed under two KEKs. */
static void
test_cred_kek_unusable(void **state)
{
	struct fixture *f = *state;
	struct pki_keystore *ks2 = NULL;
	struct pki_error err;
	gnutls_privkey_t priv = NULL, again = NULL;
	char *uri = NULL, *uri2 = NULL;
	char cred[256], credkek[512], statekek[512], lockbox[512], real[512];
	int round, fd;

	snprintf(cred, sizeof(cred), "%s/creds", f->dir);
	snprintf(credkek, sizeof(credkek), "%s/online.kek", cred);
	snprintf(statekek, sizeof(statekek), "%s/online.kek", f->dir);
	snprintf(lockbox, sizeof(lockbox), "%s/lockbox", f->dir);
	snprintf(real, sizeof(real), "%s/real.kek", f->dir);
	assert_int_equal(mkdir(cred, 0700), 0);

	/* Nothing there yet: a fresh state directory, nothing created. */
	for (round = 0; round < 3; round++) {
		if (round == 0)
			assert_int_equal(symlink("online.kek", credkek), 0);
		if (round == 1) {
			fd = open(real, O_WRONLY | O_CREAT | O_EXCL, 0400);
			assert_true(fd >= 0);
			assert_int_equal(write(fd, "0123456789abcdef0123456789"
					       "abcdef", 32), 32);
			close(fd);
			assert_int_equal(symlink(real, credkek), 0);
		}
		if (round == 2)
			assert_int_equal(mkdir(credkek, 0700), 0);
		assert_int_equal(open_ks(f->dir, cred, &ks2, &err), PKI_OK);
		assert_int_equal(pki_key_create(ks2, PKI_KEY_ED25519, 1, NULL,
						"i", &uri, &priv, &err),
				 round == 2 ? PKI_E_INVALID : PKI_E_IO);
		assert_non_null(strstr(err.msg, credkek));
		assert_null(uri);
		assert_null(priv);
		assert_int_equal(access(statekek, F_OK), -1);
		assert_int_equal(count_keys(lockbox), 0);
		pki_keystore_free(ks2);
		ks2 = NULL;
		assert_int_equal(round == 2 ? rmdir(credkek) : unlink(credkek),
				 0);
	}

	/* An online key sealed under <state>/online.kek ... */
	assert_int_equal(pki_key_create(f->ks, PKI_KEY_ED25519, 1, NULL, "i",
					&uri, &priv, &err), PKI_OK);
	assert_int_equal(access(statekek, F_OK), 0);
	/* ... still loads when the credentials directory has no
	 * online.kek (ENOENT: the only case that falls back) ... */
	assert_int_equal(open_ks(f->dir, cred, &ks2, &err), PKI_OK);
	assert_int_equal(pki_key_load(ks2, uri, PKI_KEY_ED25519, "i", &again,
				      &err), PKI_OK);
	gnutls_privkey_deinit(again);
	again = NULL;
	pki_keystore_free(ks2);
	/* ... and not when its online.kek is there but unusable: neither
	 * loading nor sealing falls back to <state>/online.kek. */
	assert_int_equal(symlink("online.kek", credkek), 0);
	assert_int_equal(open_ks(f->dir, cred, &ks2, &err), PKI_OK);
	assert_int_equal(pki_key_load(ks2, uri, PKI_KEY_ED25519, "i", &again,
				      &err), PKI_E_IO);
	assert_non_null(strstr(err.msg, credkek));
	assert_null(again);
	assert_int_equal(pki_key_create(ks2, PKI_KEY_ED25519, 1, NULL, "i",
					&uri2, &again, &err), PKI_E_IO);
	assert_int_equal(count_keys(lockbox), 1);
	pki_keystore_free(ks2);

	gnutls_privkey_deinit(priv);
	free(uri);
}

static int
read_all(const char *path, gnutls_datum_t *d)
{
	struct pki_error err;

	return pki_file_read(path, 1 << 20, d, &err);
}

/* Offline: the passphrase callback is asked, wrong passphrase fails
 * with PKI_E_AUTH and changes nothing. */
static void
test_offline(void **state)
{
	struct fixture *f = *state;
	struct pki_error err;
	struct pki_lockbox_info info;
	gnutls_privkey_t priv = NULL, again = NULL;
	gnutls_pubkey_t pub;
	gnutls_datum_t before, after;
	char *uri = NULL, path[512];
	struct pki_keystore *nopass = NULL;

	f->pc.calls = f->pc.new_calls = 0;
	assert_int_equal(pki_key_create(f->ks, PKI_KEY_ECDSA_P384, 0, NULL,
					"SPORK Root CA", &uri, &priv, &err),
			 PKI_OK);
	assert_int_equal(f->pc.calls, 1);
	assert_int_equal(f->pc.new_calls, 1);
	assert_string_equal(f->pc.last_label, "SPORK Root CA");
	assert_false(pki_key_is_online(uri));
	assert_null(strchr(uri, ';'));
	lockbox_file(f, uri, path, sizeof(path));
	assert_int_equal(pki_lockbox_info(path, &info, &err), PKI_OK);
	assert_int_equal(info.kind, PKI_LOCKBOX_PASSPHRASE);
	/* The test lowers Argon2 through the key store options (setup). */
	assert_int_equal(info.argon2.m_cost_kib, 8192);
	assert_int_equal(info.argon2.t_cost, 1);
	pub = pub_of(priv);

	f->pc.calls = f->pc.new_calls = 0;
	assert_int_equal(pki_key_load(f->ks, uri, PKI_KEY_ECDSA_P384,
				      "SPORK Root CA", &again, &err), PKI_OK);
	assert_int_equal(f->pc.calls, 1);
	assert_int_equal(f->pc.new_calls, 0);
	sign_verify(again, pub, PKI_KEY_ECDSA_P384);
	gnutls_privkey_deinit(again);
	again = NULL;

	assert_int_equal(read_all(path, &before), PKI_OK);
	f->pc.pass = "not the passphrase";
	assert_int_equal(pki_key_load(f->ks, uri, PKI_KEY_ECDSA_P384, "root",
				      &again, &err), PKI_E_AUTH);
	assert_null(again);
	assert_non_null(strstr(err.msg, "wrong passphrase"));
	f->pc.pass = NULL;   /* the callback itself fails */
	assert_int_equal(pki_key_load(f->ks, uri, PKI_KEY_ECDSA_P384, "root",
				      &again, &err), PKI_E_AUTH);
	assert_string_equal(err.msg, "no passphrase today");
	assert_int_equal(read_all(path, &after), PKI_OK);
	assert_int_equal(before.size, after.size);
	assert_memory_equal(before.data, after.data, before.size);
	gnutls_free(before.data);
	gnutls_free(after.data);

	/* The URI must agree with how the file is sealed: the online
	 * form of the URI looks in lockbox/online/, where there is no
	 * such key, and a copy of the file put there is refused. */
	{
		char online_uri[128], online_path[512], dir[512];

		snprintf(online_uri, sizeof(online_uri), "%s;kek=online", uri);
		assert_int_equal(pki_key_load(f->ks, online_uri,
					      PKI_KEY_ECDSA_P384, "root",
					      &again, &err), PKI_E_NOTFOUND);
		lockbox_file(f, online_uri, online_path, sizeof(online_path));
		snprintf(dir, sizeof(dir), "%s/lockbox/online", f->dir);
		assert_true(mkdir(dir, 0700) == 0 || errno == EEXIST);
		assert_int_equal(read_all(path, &before), PKI_OK);
		assert_int_equal(pki_file_write(online_path, before.data,
						 before.size, 0400, 1, &err),
				 PKI_OK);
		gnutls_free(before.data);
		assert_int_equal(pki_key_load(f->ks, online_uri,
					      PKI_KEY_ECDSA_P384, "root",
					      &again, &err), PKI_E_AUTH);
		assert_non_null(strstr(err.msg, "swapped"));
		assert_int_equal(unlink(online_path), 0);
	}

	/* Without a passphrase source: a clear refusal. */
	assert_int_equal(open_ks(f->dir, NULL, &nopass, &err),
			 PKI_OK);
	assert_int_equal(pki_key_load(nopass, uri, PKI_KEY_ECDSA_P384, "root",
				      &again, &err), PKI_E_INVALID);
	assert_non_null(strstr(err.msg, "passphrase"));
	pki_keystore_free(nopass);

	/* An empty passphrase for a new key is refused. */
	{
		char *uri2 = NULL;

		f->pc.pass = "";
		assert_int_equal(pki_key_create(f->ks, PKI_KEY_ED25519, 0,
						NULL, "r2", &uri2, &again,
						&err), PKI_E_INVALID);
		assert_null(uri2);
		f->pc.pass = "correct horse battery staple";
	}

	gnutls_pubkey_deinit(pub);
	gnutls_privkey_deinit(priv);
	free(uri);
}

static int
contains(const gnutls_datum_t *hay, const unsigned char *needle, size_t n)
{
	return n > 0 && hay->size >= n &&
	       memmem(hay->data, hay->size, needle, n) != NULL;
}

/* Walk the state directory for a key's plaintext forms. */
static const gnutls_datum_t *scan_needles;
static size_t scan_count;
static int scan_hits, scan_files;

static int
scan_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	gnutls_datum_t d;
	size_t i;

	(void)ftw;
	if (flag != FTW_F || !S_ISREG(st->st_mode))
		return 0;
	scan_files++;
	if (read_all(path, &d) != PKI_OK)
		return 0;
	for (i = 0; i < scan_count; i++)
		if (contains(&d, scan_needles[i].data, scan_needles[i].size)) {
			fprintf(stderr, "plaintext key material in %s\n", path);
			scan_hits++;
		}
	if (contains(&d, (const unsigned char *)"PRIVATE KEY", 11))
		scan_hits++;
	gnutls_free(d.data);
	return 0;
}

/* Import an existing key: both kinds; the state directory never holds
 * its DER, PEM or raw scalar. */
static void
test_import(void **state)
{
	struct fixture *f = *state;
	struct pki_error err;
	gnutls_x509_privkey_t x = NULL, weak = NULL;
	gnutls_privkey_t loaded = NULL, orig = NULL;
	gnutls_pubkey_t pub;
	gnutls_datum_t needles[3], xx, yy;
	gnutls_ecc_curve_t curve;
	char *uri_on = NULL, *uri_off = NULL, *dup = NULL, id[65];

	assert_int_equal(pki_key_generate(PKI_KEY_ECDSA_P256, &x, &err), PKI_OK);
	assert_int_equal(gnutls_x509_privkey_export2_pkcs8(x,
		GNUTLS_X509_FMT_DER, NULL, GNUTLS_PKCS_PLAIN, &needles[0]), 0);
	assert_int_equal(gnutls_x509_privkey_export2_pkcs8(x,
		GNUTLS_X509_FMT_PEM, NULL, GNUTLS_PKCS_PLAIN, &needles[1]), 0);
	assert_int_equal(gnutls_x509_privkey_export_ecc_raw(x, &curve, &xx, &yy,
							    &needles[2]), 0);
	gnutls_free(xx.data);
	gnutls_free(yy.data);
	/* The scalar's last 24 bytes: GnuTLS may add a leading zero octet,
	 * or drop leading zero octets (1 key in 256 has a 31-byte scalar). */
	assert_true(needles[2].size >= 24);
	memmove(needles[2].data, needles[2].data + needles[2].size - 24, 24);
	needles[2].size = 24;

	assert_int_equal(pki_key_import(f->ks, x, 1, "imported", &uri_on, &err),
			 PKI_OK);
	/* The same key again: already there. */
	assert_int_equal(pki_key_import(f->ks, x, 0, "imported", &dup, &err),
			 PKI_E_EXISTS);
	assert_null(dup);

	assert_int_equal(gnutls_privkey_init(&orig), 0);
	assert_int_equal(gnutls_privkey_import_x509(orig, x, 0), 0);
	pub = pub_of(orig);
	assert_int_equal(pki_key_id(pub, id, sizeof(id), &err), PKI_OK);
	assert_true(strncmp(uri_on + 8, id, 64) == 0);
	assert_int_equal(pki_key_load(f->ks, uri_on, PKI_KEY_ECDSA_P256, "imp",
				      &loaded, &err), PKI_OK);
	sign_verify(loaded, pub, PKI_KEY_ECDSA_P256);
	gnutls_privkey_deinit(loaded);
	loaded = NULL;

	/* Offline import of another key. */
	gnutls_x509_privkey_deinit(x);
	x = NULL;
	assert_int_equal(pki_key_generate(PKI_KEY_ED448, &x, &err), PKI_OK);
	assert_int_equal(pki_key_import(f->ks, x, 0, "imported2", &uri_off,
					&err), PKI_OK);
	assert_false(pki_key_is_online(uri_off));
	assert_int_equal(pki_key_load(f->ks, uri_off, PKI_KEY_ED448, "imp",
				      &loaded, &err), PKI_OK);
	gnutls_privkey_deinit(loaded);

	/* Unsupported keys are refused. */
	assert_int_equal(gnutls_x509_privkey_init(&weak), 0);
	assert_int_equal(gnutls_x509_privkey_generate2(weak, GNUTLS_PK_RSA,
						       1024, 0, NULL, 0), 0);
	assert_int_equal(pki_key_import(f->ks, weak, 1, "weak", &dup, &err),
			 PKI_E_UNSUPPORTED);
	gnutls_x509_privkey_deinit(weak);

	scan_needles = needles;
	scan_count = 3;
	scan_hits = scan_files = 0;
	assert_int_equal(nftw(f->dir, scan_cb, 8, FTW_PHYS), 0);
	assert_true(scan_files >= 3);   /* two keys and online.kek */
	assert_int_equal(scan_hits, 0);

	gnutls_free(needles[0].data);
	gnutls_free(needles[1].data);
	gnutls_free(needles[2].data);
	gnutls_pubkey_deinit(pub);
	gnutls_privkey_deinit(orig);
	gnutls_x509_privkey_deinit(x);
	free(uri_on);
	free(uri_off);
}

/* A sealed file copied over another key's name is refused. */
static void
test_swapped_files(void **state)
{
	struct fixture *f = *state;
	struct pki_error err;
	gnutls_privkey_t a = NULL, b = NULL, l = NULL;
	char *ua = NULL, *ub = NULL, pa[512], pb[512];
	gnutls_datum_t img;

	assert_int_equal(pki_key_create(f->ks, PKI_KEY_ED25519, 1, NULL, "a",
					&ua, &a, &err), PKI_OK);
	assert_int_equal(pki_key_create(f->ks, PKI_KEY_ED25519, 1, NULL, "b",
					&ub, &b, &err), PKI_OK);
	lockbox_file(f, ua, pa, sizeof(pa));
	lockbox_file(f, ub, pb, sizeof(pb));
	assert_int_equal(read_all(pa, &img), PKI_OK);
	assert_int_equal(unlink(pb), 0);
	assert_int_equal(pki_file_write(pb, img.data, img.size, 0400, 1, &err),
			 PKI_OK);
	gnutls_free(img.data);
	assert_int_equal(pki_key_load(f->ks, ub, PKI_KEY_ED25519, "b", &l, &err),
			 PKI_E_AUTH);
	assert_non_null(strstr(err.msg, "swapped"));
	assert_int_equal(pki_key_load(f->ks, ua, PKI_KEY_ED25519, "a", &l, &err),
			 PKI_OK);
	gnutls_privkey_deinit(l);

	/* Malformed and unknown URIs. */
	assert_int_equal(pki_key_load(f->ks, "lockbox:../../etc/passwd",
				      PKI_KEY_ED25519, "x", &l, &err),
			 PKI_E_PARSE);
	assert_int_equal(pki_key_load(f->ks, "file:/tmp/key.pem",
				      PKI_KEY_ED25519, "x", &l, &err),
			 PKI_E_PARSE);
	{
		char missing[128];

		snprintf(missing, sizeof(missing), "lockbox:%064d;kek=online", 0);
		assert_int_equal(pki_key_load(f->ks, missing, PKI_KEY_ED25519,
					      "x", &l, &err), PKI_E_NOTFOUND);
	}
	gnutls_privkey_deinit(a);
	gnutls_privkey_deinit(b);
	free(ua);
	free(ub);
}

/* A key this keystore sealed can be discarded; nothing else can. */
static void
test_discard(void **state)
{
	struct fixture *f = *state;
	struct pki_keystore *ks2 = NULL;
	struct pki_error err;
	gnutls_privkey_t on = NULL, off = NULL, other = NULL, l = NULL;
	gnutls_x509_privkey_t x = NULL;
	char *uon = NULL, *uoff = NULL, *uother = NULL, *uimp = NULL;
	char pon[512], poff[512], pother[512], pimp[512], lockbox[512];
	char missing[128];

	snprintf(lockbox, sizeof(lockbox), "%s/lockbox", f->dir);
	assert_int_equal(pki_key_create(f->ks, PKI_KEY_ED25519, 1, NULL, "on",
					&uon, &on, &err), PKI_OK);
	assert_int_equal(pki_key_create(f->ks, PKI_KEY_ECDSA_P256, 0, NULL,
					"off", &uoff, &off, &err), PKI_OK);
	assert_int_equal(pki_key_generate(PKI_KEY_ED25519, &x, &err), PKI_OK);
	assert_int_equal(pki_key_import(f->ks, x, 1, "imp", &uimp, &err),
			 PKI_OK);
	/* Another keystore (as another process would) seals one more. */
	assert_int_equal(open_ks(f->dir, NULL, &ks2, &err),
			 PKI_OK);
	assert_int_equal(pki_key_create(ks2, PKI_KEY_ED25519, 1, NULL, "other",
					&uother, &other, &err), PKI_OK);
	lockbox_file(f, uon, pon, sizeof(pon));
	lockbox_file(f, uoff, poff, sizeof(poff));
	lockbox_file(f, uimp, pimp, sizeof(pimp));
	lockbox_file(f, uother, pother, sizeof(pother));
	assert_int_equal(count_keys(lockbox), 4);

	/* Online, offline and imported keys: the file goes, and only it. */
	assert_int_equal(pki_key_discard(f->ks, uon, &err), PKI_OK);
	assert_int_equal(access(pon, F_OK), -1);
	assert_int_equal(pki_key_discard(f->ks, uoff, &err), PKI_OK);
	assert_int_equal(access(poff, F_OK), -1);
	assert_int_equal(pki_key_discard(f->ks, uimp, &err), PKI_OK);
	assert_int_equal(access(pimp, F_OK), -1);
	assert_int_equal(count_keys(lockbox), 1);
	assert_int_equal(pki_key_load(f->ks, uon, PKI_KEY_ED25519, "on", &l,
				      &err), PKI_E_NOTFOUND);
	assert_int_equal(pki_key_load(f->ks, uoff, PKI_KEY_ECDSA_P256, "off",
				      &l, &err), PKI_E_NOTFOUND);
	/* Already gone: still PKI_OK. */
	assert_int_equal(pki_key_discard(f->ks, uon, &err), PKI_OK);

	/* A key this keystore did not seal is refused and kept. */
	assert_int_equal(pki_key_discard(f->ks, uother, &err), PKI_E_INVALID);
	assert_int_equal(access(pother, F_OK), 0);
	assert_int_equal(pki_key_load(f->ks, uother, PKI_KEY_ED25519, "other",
				      &l, &err), PKI_OK);
	gnutls_privkey_deinit(l);
	snprintf(missing, sizeof(missing), "lockbox:%064d;kek=online", 0);
	assert_int_equal(pki_key_discard(f->ks, missing, &err), PKI_E_INVALID);
	/* ... but the keystore that sealed it may. */
	assert_int_equal(pki_key_discard(ks2, uother, &err), PKI_OK);
	assert_int_equal(access(pother, F_OK), -1);
	assert_int_equal(count_keys(lockbox), 0);

	/* pkcs11: no-op; malformed and missing arguments refused. */
	assert_int_equal(pki_key_discard(f->ks, "pkcs11:token=t;object=k",
					 &err), PKI_OK);
	assert_int_equal(pki_key_discard(f->ks, "lockbox:../../etc/passwd",
					 &err), PKI_E_PARSE);
	assert_int_equal(pki_key_discard(f->ks, "file:/etc/passwd", &err),
			 PKI_E_PARSE);
	assert_int_equal(pki_key_discard(f->ks, NULL, &err), PKI_E_INVALID);
	assert_int_equal(pki_key_discard(NULL, uon, &err), PKI_E_INVALID);

	pki_keystore_free(ks2);
	gnutls_privkey_deinit(on);
	gnutls_privkey_deinit(off);
	gnutls_privkey_deinit(other);
	gnutls_x509_privkey_deinit(x);
	free(uon);
	free(uoff);
	free(uimp);
	free(uother);
}

static void
test_is_online(void **state)
{
	char u[128];

	(void)state;
	snprintf(u, sizeof(u), "lockbox:%064d;kek=online", 0);
	assert_true(pki_key_is_online(u));
	snprintf(u, sizeof(u), "lockbox:%064d", 0);
	assert_false(pki_key_is_online(u));
	snprintf(u, sizeof(u), "lockbox:%064d;kek=other", 0);
	assert_false(pki_key_is_online(u));
	assert_false(pki_key_is_online("lockbox:abc;kek=online"));
	assert_false(pki_key_is_online(NULL));
	assert_false(pki_key_is_online(""));
	/* A token key is online only with a PIN file (pin-source); a
	 * pin-value does not count, as stored URIs are redacted. */
	assert_false(pki_key_is_online("pkcs11:token=t;object=k?pin-value=1"));
	assert_false(pki_key_is_online("pkcs11:token=t;object=k;pin-value=1"));
	assert_true(pki_key_is_online("pkcs11:token=t;object=k?pin-source="
				      "file:/run/pin"));
	assert_true(pki_key_is_online("pkcs11:token=t;object=k;pin-source="
				      "/run/pin"));
	assert_true(pki_key_is_online("pkcs11:token=t;object=k?pin-value=1&"
				      "pin-source=/run/pin"));
	assert_false(pki_key_is_online("pkcs11:token=t;object=k?pin-source="));
	assert_false(pki_key_is_online("pkcs11:token=t;object=k"));
}

/* pin-value goes, wherever and however it is written; nothing else. */
static void
test_uri_redact(void **state)
{
	static const struct { const char *in, *out; } cases[] = {
		/* Path attributes (';'). */
		{ "pkcs11:token=t;object=k;pin-value=1234",
		  "pkcs11:token=t;object=k" },
		{ "pkcs11:pin-value=1234;token=t;object=k",
		  "pkcs11:token=t;object=k" },
		{ "pkcs11:token=t;pin-value=1234;object=k",
		  "pkcs11:token=t;object=k" },
		{ "pkcs11:pin-value=1234", "pkcs11:" },
		/* Query attributes ('?', '&'). */
		{ "pkcs11:token=t?pin-value=1234", "pkcs11:token=t" },
		{ "pkcs11:?pin-value=1234", "pkcs11:" },
		{ "pkcs11:token=t?pin-value=1234&module-name=softhsm2",
		  "pkcs11:token=t?module-name=softhsm2" },
		{ "pkcs11:token=t?module-name=softhsm2&pin-value=1234",
		  "pkcs11:token=t?module-name=softhsm2" },
		{ "pkcs11:token=t?module-name=m&pin-value=1&pin-source=/run/p",
		  "pkcs11:token=t?module-name=m&pin-source=/run/p" },
		/* Both, several times. */
		{ "pkcs11:pin-value=1;token=t;pin-value=2?pin-value=3&"
		  "pin-value=4", "pkcs11:token=t" },
		{ "pkcs11:token=t;pin-value=1?pin-source=/run/p",
		  "pkcs11:token=t?pin-source=/run/p" },
		/* Other spellings p11-kit (which strips white space) or a
		 * reader could take for a PIN. */
		{ "pkcs11:token=t;PIN-VALUE=1234", "pkcs11:token=t" },
		{ "pkcs11:token=t;pin%2Dvalue=1234", "pkcs11:token=t" },
		{ "pkcs11:token=t; pin-value =1234", "pkcs11:token=t" },
		{ "pkcs11:token=t;pin-\nvalue=1234", "pkcs11:token=t" },
		{ "pkcs11:token=t;pin-value", "pkcs11:token=t" },
		/* Kept byte for byte. */
		{ "pkcs11:token=t;object=k?pin-source=file:/run/pin",
		  "pkcs11:token=t;object=k?pin-source=file:/run/pin" },
		{ "pkcs11:token=a%3Bb;object=pin-value=x;id=%01%02",
		  "pkcs11:token=a%3Bb;object=pin-value=x;id=%01%02" },
		{ "pkcs11:token=t;pin-values=1;pin-valu=2;xpin-value=3",
		  "pkcs11:token=t;pin-values=1;pin-valu=2;xpin-value=3" },
		{ "pkcs11:object=a&pin-value=1", "pkcs11:object=a&pin-value=1" },
		{ "pkcs11:token=t;;object=k?", "pkcs11:token=t;;object=k?" },
		{ "pkcs11:", "pkcs11:" },
		{ "lockbox:0123;kek=online", "lockbox:0123;kek=online" },
		{ "", "" },
		/* A mistyped scheme does not show its PIN either. */
		{ "PKCS11:token=t;pin-value=1234", "PKCS11:token=t" },
		{ " pkcs11:token=t?pin-value=1234", " pkcs11:token=t" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *r = pki_key_uri_redact(cases[i].in);

		assert_non_null(r);
		if (strcmp(r, cases[i].out) != 0)
			fail_msg("redact '%s': got '%s', want '%s'",
				 cases[i].in, r, cases[i].out);
		free(r);
	}
	assert_null(pki_key_uri_redact(NULL));
}

/* No message that shows a key URI shows its PIN. */
static void
test_messages_redacted(void **state)
{
	struct fixture *f = *state;
	struct pki_error err;
	gnutls_privkey_t priv = NULL;
	char id[65], *uri = NULL;

	assert_int_equal(pki_key_uri_id("pkcs11:token=t;object=k;"
					"pin-value=s3cr3t", id, sizeof(id),
					&err), PKI_E_PARSE);
	assert_null(strstr(err.msg, "s3cr3t"));
	assert_non_null(strstr(err.msg, "pkcs11:token=t;object=k"));
	assert_int_equal(pki_key_load(f->ks, "PKCS11:token=t;object=k?"
				      "pin-value=s3cr3t", PKI_KEY_ED25519,
				      NULL, &priv, &err), PKI_E_PARSE);
	assert_null(strstr(err.msg, "s3cr3t"));
	assert_int_equal(pki_key_create(f->ks, PKI_KEY_ED25519, 0,
					"pkcs12:token=t;pin-value=s3cr3t",
					"x", &uri, &priv, &err), PKI_E_PARSE);
	assert_null(strstr(err.msg, "s3cr3t"));
	assert_non_null(strstr(err.msg, "pkcs12:token=t"));
	assert_int_equal(pki_key_discard(f->ks, "lockbox:x;pin-value=s3cr3t",
					 &err), PKI_E_PARSE);
	assert_null(strstr(err.msg, "s3cr3t"));
	/* A URI too long to show whole: cut, still without its PIN. */
	{
		char longuri[2048];

		snprintf(longuri, sizeof(longuri), "pkcs11:object=%0900d;"
			 "pin-value=s3cr3t;token=%0900d", 0, 0);
		assert_int_equal(pki_key_uri_id(longuri, id, sizeof(id), &err),
				 PKI_E_PARSE);
		assert_null(strstr(err.msg, "s3cr3t"));
		assert_null(strstr(err.msg, "pin-value"));
	}
}

static void
test_uri_id(void **state)
{
	struct pki_error err;
	char u[128], id[65], want[65];

	(void)state;
	snprintf(want, sizeof(want), "%064d", 7);
	snprintf(u, sizeof(u), "lockbox:%s;kek=online", want);
	assert_int_equal(pki_key_uri_id(u, id, sizeof(id), &err), PKI_OK);
	assert_string_equal(id, want);
	snprintf(u, sizeof(u), "lockbox:%s", want);
	assert_int_equal(pki_key_uri_id(u, id, sizeof(id), &err), PKI_OK);
	assert_string_equal(id, want);
	assert_int_equal(pki_key_uri_id("pkcs11:object=x", id, sizeof(id),
					&err), PKI_E_PARSE);
	assert_int_equal(pki_key_uri_id("lockbox:ABC", id, sizeof(id), &err),
			 PKI_E_PARSE);
	assert_int_equal(pki_key_uri_id(u, id, 10, &err), PKI_E_INVALID);
}

/* Argon2id costs come in the options: all zero for the defaults, else
 * each within the bounds of lockbox.h.  (The environment variables the
 * CLI reads them from are tested in tests/cli/env.sh.) */
static void
test_opts_argon2(void **state)
{
	struct fixture *f = *state;
	struct pki_keystore *ks = NULL;
	struct pki_error err;
	struct pki_keystore_opts o = { .argon2 = CHEAP_ARGON2 };
	static const uint32_t bad_mem[] = { 0, 4096, 8191, 1048577, 4194304,
					    4194305, 0xffffffffu };
	static const uint32_t bad_passes[] = { 0, 11, 101 };
	static const uint32_t bad_lanes[] = { 0, 5 };
	size_t i;

	for (i = 0; i < sizeof(bad_mem) / sizeof(bad_mem[0]); i++) {
		o.argon2.m_cost_kib = bad_mem[i];
		assert_int_equal(pki_keystore_open(f->dir, &o, &ks, &err),
				 PKI_E_INVALID);
		assert_null(ks);
		assert_non_null(strstr(err.msg, "memory"));
		assert_non_null(strstr(err.msg, "8192 to 1048576"));
	}
	o.argon2.m_cost_kib = 8192;
	for (i = 0; i < sizeof(bad_passes) / sizeof(bad_passes[0]); i++) {
		o.argon2.t_cost = bad_passes[i];
		assert_int_equal(pki_keystore_open(f->dir, &o, &ks, &err),
				 PKI_E_INVALID);
		assert_null(ks);
		assert_non_null(strstr(err.msg, "1 to 10"));
	}
	o.argon2.t_cost = 1;
	for (i = 0; i < sizeof(bad_lanes) / sizeof(bad_lanes[0]); i++) {
		o.argon2.lanes = bad_lanes[i];
		assert_int_equal(pki_keystore_open(f->dir, &o, &ks, &err),
				 PKI_E_INVALID);
		assert_non_null(strstr(err.msg, "lanes"));
	}
	/* The caps themselves are accepted. */
	o.argon2.m_cost_kib = 1048576;
	o.argon2.t_cost = 10;
	o.argon2.lanes = 4;
	assert_int_equal(pki_keystore_open(f->dir, &o, &ks, &err), PKI_OK);
	pki_keystore_free(ks);
	ks = NULL;
	/* The values given are used ... */
	{
		struct passctx pc = { "pw", 0, 0, "" };
		struct pki_keystore_opts o2 = {
			.passfn = passfn, .passctx = &pc,
			.argon2 = { .t_cost = 2, .m_cost_kib = 9000,
				    .lanes = 2 } };
		gnutls_privkey_t priv = NULL;
		struct pki_lockbox_info info;
		char *uri = NULL, path[512];

		assert_int_equal(pki_keystore_open(f->dir, &o2, &ks, &err),
				 PKI_OK);
		assert_int_equal(pki_key_create(ks, PKI_KEY_ED25519, 0, NULL,
						"g", &uri, &priv, &err), PKI_OK);
		lockbox_file(f, uri, path, sizeof(path));
		assert_int_equal(pki_lockbox_info(path, &info, &err), PKI_OK);
		assert_int_equal(info.argon2.m_cost_kib, 9000);
		assert_int_equal(info.argon2.t_cost, 2);
		assert_int_equal(info.argon2.lanes, 2);
		gnutls_privkey_deinit(priv);
		free(uri);
		pki_keystore_free(ks);
		ks = NULL;
	}
	/* ... and without them (NULL options or all zero) the defaults
	 * are 64 MiB / 3 passes. */
	{
		struct passctx pc = { "pw", 0, 0, "" };
		struct pki_keystore_opts o3 = { .passfn = passfn,
						.passctx = &pc };
		gnutls_privkey_t priv = NULL;
		struct pki_lockbox_info info;
		char *uri = NULL, path[512];

		assert_int_equal(pki_keystore_open(f->dir, NULL, &ks, &err),
				 PKI_OK);
		pki_keystore_free(ks);
		assert_int_equal(pki_keystore_open(f->dir, &o3, &ks, &err),
				 PKI_OK);
		assert_int_equal(pki_key_create(ks, PKI_KEY_ED25519, 0, NULL,
						"d", &uri, &priv, &err), PKI_OK);
		lockbox_file(f, uri, path, sizeof(path));
		assert_int_equal(pki_lockbox_info(path, &info, &err), PKI_OK);
		assert_true(info.argon2.m_cost_kib >= 65536);
		assert_true(info.argon2.t_cost >= 3);
		gnutls_privkey_deinit(priv);
		free(uri);
		pki_keystore_free(ks);
	}
}

/* ------------------------------------------------------------ PKCS#11 */

static int
have_softhsm(void)
{
	return system("command -v softhsm2-util >/dev/null 2>&1") == 0;
}

static void
test_pkcs11(void **state)
{
	struct fixture *f = *state;
	struct pki_error err;
	gnutls_privkey_t priv = NULL, again = NULL;
	gnutls_pubkey_t pub, pub2;
	gnutls_datum_t e1, e2;
	char conf[512], tokens[512], cmd[1024];
	char *uri = NULL, *uri2 = NULL, *red = NULL;
	const char *u1 = "pkcs11:token=spork;object=ca1;pin-value=1234";
	FILE *fp;
	int rc;

	if (!have_softhsm()) {
		p11_skipped = 1;
		skip();
	}
	assert_int_equal(access(SOFTHSM_MODULE, R_OK), 0);
	snprintf(tokens, sizeof(tokens), "%s/tokens", f->dir);
	assert_int_equal(mkdir(tokens, 0700), 0);
	snprintf(conf, sizeof(conf), "%s/softhsm2.conf", f->dir);
	fp = fopen(conf, "w");
	assert_non_null(fp);
	fprintf(fp, "directories.tokendir = %s\nobjectstore.backend = file\n"
		"log.level = ERROR\n", tokens);
	fclose(fp);
	setenv("SOFTHSM2_CONF", conf, 1);
	snprintf(cmd, sizeof(cmd), "softhsm2-util --init-token --free --label "
		 "spork --pin 1234 --so-pin 5678 >/dev/null");
	assert_int_equal(system(cmd), 0);
	/* A key store naming the module (as spork does from
	 * $SPORK_PKCS11_MODULE): the only one loaded. */
	pki_keystore_free(f->ks);
	f->ks = NULL;
	assert_int_equal(pki_keystore_open(f->dir, &(struct pki_keystore_opts){
			.passfn = passfn, .passctx = &f->pc,
			.pkcs11_module = SOFTHSM_MODULE,
			.argon2 = CHEAP_ARGON2 }, &f->ks, &err), PKI_OK);

	/* Before anything logged in to the token (a login lasts while
	 * any session is open): a wrong PIN, from the URI or from the
	 * callback, is PKI_E_AUTH with a clear message. */
	rc = pki_key_load(f->ks, "pkcs11:token=spork;object=ca1;pin-value=9999",
			  PKI_KEY_ECDSA_P256, "ca1", &again, &err);
	assert_int_equal(rc, PKI_E_AUTH);
	assert_null(again);
	/* The message names the key, not its PIN. */
	assert_non_null(strstr(err.msg, "pkcs11:token=spork;object=ca1"));
	assert_null(strstr(err.msg, "9999"));
	f->pc.pass = "0000";
	f->pc.calls = 0;
	rc = pki_key_create(f->ks, PKI_KEY_ECDSA_P384, 0,
			    "pkcs11:token=spork;object=ca2", "ca2", &uri2,
			    &again, &err);
	assert_int_equal(rc, PKI_E_AUTH);
	assert_int_equal(f->pc.calls, 1);   /* not retried */
	print_message("wrong PIN from callback: %s\n", err.msg);
	assert_non_null(strstr(err.msg, "PIN"));

	/* No PIN in the URI: the passphrase callback gives it. */
	f->pc.pass = "1234";
	f->pc.calls = 0;
	rc = pki_key_create(f->ks, PKI_KEY_ECDSA_P384, 0,
			    "pkcs11:token=spork;object=ca2", "ca2", &uri2,
			    &again, &err);
	if (rc != PKI_OK)
		fail_msg("pki_key_create pkcs11 ecdsa-p384: %s", err.msg);
	assert_true(f->pc.calls >= 1);
	assert_non_null(strstr(f->pc.last_label, "spork"));
	assert_false(pki_key_is_online(uri2));
	pub2 = pub_of(again);
	sign_verify(again, pub2, PKI_KEY_ECDSA_P384);
	gnutls_pubkey_deinit(pub2);
	gnutls_privkey_deinit(again);
	again = NULL;
	free(uri2);
	uri2 = NULL;

	/* Create in the token, sign, verify. */
	rc = pki_key_create(f->ks, PKI_KEY_ECDSA_P256, 0, u1, "ca1", &uri,
			    &priv, &err);
	if (rc != PKI_OK)
		fail_msg("pki_key_create pkcs11: %s", err.msg);
	assert_string_equal(uri, u1);
	/* A pin-value does not make a token key online (stored URIs are
	 * redacted); a pin-source does. */
	assert_false(pki_key_is_online(uri));
	pub = pub_of(priv);
	sign_verify(priv, pub, PKI_KEY_ECDSA_P256);

	/* Load again by URI: the same key. */
	rc = pki_key_load(f->ks, uri, PKI_KEY_ECDSA_P256, "ca1", &again, &err);
	if (rc != PKI_OK)
		fail_msg("pki_key_load pkcs11: %s", err.msg);
	sign_verify(again, pub, PKI_KEY_ECDSA_P256);
	pub2 = pub_of(again);
	assert_int_equal(gnutls_pubkey_export2(pub, GNUTLS_X509_FMT_DER, &e1), 0);
	assert_int_equal(gnutls_pubkey_export2(pub2, GNUTLS_X509_FMT_DER, &e2), 0);
	assert_int_equal(e1.size, e2.size);
	assert_memory_equal(e1.data, e2.data, e1.size);
	gnutls_free(e2.data);
	gnutls_pubkey_deinit(pub2);
	gnutls_privkey_deinit(again);
	again = NULL;

	/* Creating with the URI of an existing key uses it. */
	assert_int_equal(pki_key_create(f->ks, PKI_KEY_ECDSA_P256, 0, u1, "ca1",
					&uri2, &again, &err), PKI_OK);
	pub2 = pub_of(again);
	assert_int_equal(gnutls_pubkey_export2(pub2, GNUTLS_X509_FMT_DER, &e2), 0);
	assert_int_equal(e1.size, e2.size);
	assert_memory_equal(e1.data, e2.data, e1.size);
	gnutls_free(e2.data);
	gnutls_pubkey_deinit(pub2);
	gnutls_privkey_deinit(again);
	again = NULL;
	free(uri2);
	uri2 = NULL;

	/* ... unless it is of another algorithm. */
	assert_int_equal(pki_key_create(f->ks, PKI_KEY_ECDSA_P384, 0, u1, "ca1",
					&uri2, &again, &err), PKI_E_CONFLICT);
	assert_int_equal(pki_key_load(f->ks, u1, PKI_KEY_RSA_2048, "ca1",
				      &again, &err), PKI_E_CONFLICT);
	assert_null(strstr(err.msg, "1234"));
	/* A missing object. */
	assert_int_equal(pki_key_load(f->ks, "pkcs11:token=spork;object=nope;"
				      "pin-value=1234", PKI_KEY_ECDSA_P256,
				      "x", &again, &err), PKI_E_NOTFOUND);
	assert_non_null(strstr(err.msg, "object=nope"));
	assert_null(strstr(err.msg, "1234"));

	/* EdDSA: GnuTLS 3.7 cannot generate it in a token; a clear
	 * PKI_E_UNSUPPORTED then, else it must work. */
	rc = pki_key_create(f->ks, PKI_KEY_ED25519, 0,
			    "pkcs11:token=spork;object=ed;pin-value=1234",
			    "ed", &uri2, &again, &err);
	if (rc == PKI_OK) {
		pub2 = pub_of(again);
		sign_verify(again, pub2, PKI_KEY_ED25519);
		gnutls_pubkey_deinit(pub2);
		gnutls_privkey_deinit(again);
		again = NULL;
		free(uri2);
		uri2 = NULL;
	} else {
		assert_int_equal(rc, PKI_E_UNSUPPORTED);
		assert_non_null(strstr(err.msg, "ed25519"));
	}

	/* An RSA key in the token. */
	f->pc.pass = "1234";
	assert_int_equal(pki_key_create(f->ks, PKI_KEY_RSA_2048, 0,
					"pkcs11:token=spork;object=ca3;"
					"pin-value=1234", "ca3", &uri2,
					&again, &err), PKI_OK);
	pub2 = pub_of(again);
	sign_verify(again, pub2, PKI_KEY_RSA_2048);
	gnutls_pubkey_deinit(pub2);
	gnutls_privkey_deinit(again);
	again = NULL;
	free(uri2);
	uri2 = NULL;

	gnutls_free(e1.data);
	gnutls_pubkey_deinit(pub);
	gnutls_privkey_deinit(priv);
	free(uri);

	/* Stored URIs are redacted: a key created with pin-value in its
	 * URI loads from the redacted URI, the PIN coming from the
	 * passphrase callback. */
	rc = pki_key_create(f->ks, PKI_KEY_ECDSA_P256, 0,
			    "pkcs11:token=spork;object=red;pin-value=1234",
			    "red", &uri, &priv, &err);
	if (rc != PKI_OK)
		fail_msg("pki_key_create pkcs11 red: %s", err.msg);
	red = pki_key_uri_redact(uri);
	assert_non_null(red);
	assert_string_equal(red, "pkcs11:token=spork;object=red");
	pub = pub_of(priv);
	assert_int_equal(gnutls_pubkey_export2(pub, GNUTLS_X509_FMT_DER, &e1), 0);
	/* Close every session, so that the token is logged out and the
	 * next load has to log in again. */
	gnutls_privkey_deinit(priv);
	priv = NULL;
	/* A wrong PIN from the callback: PKI_E_AUTH, asked once only. */
	f->pc.pass = "0000";
	f->pc.calls = 0;
	rc = pki_key_load(f->ks, red, PKI_KEY_ECDSA_P256, "red", &again, &err);
	assert_int_equal(rc, PKI_E_AUTH);
	assert_int_equal(f->pc.calls, 1);
	assert_null(again);
	assert_null(strstr(err.msg, "0000"));
	/* The right one: the same key. */
	f->pc.pass = "1234";
	f->pc.calls = 0;
	rc = pki_key_load(f->ks, red, PKI_KEY_ECDSA_P256, "red", &again, &err);
	if (rc != PKI_OK)
		fail_msg("pki_key_load redacted URI: %s", err.msg);
	assert_int_equal(f->pc.calls, 1);
	assert_non_null(strstr(f->pc.last_label, "spork"));
	sign_verify(again, pub, PKI_KEY_ECDSA_P256);
	pub2 = pub_of(again);
	assert_int_equal(gnutls_pubkey_export2(pub2, GNUTLS_X509_FMT_DER, &e2), 0);
	assert_int_equal(e1.size, e2.size);
	assert_memory_equal(e1.data, e2.data, e1.size);
	gnutls_free(e1.data);
	gnutls_free(e2.data);
	gnutls_pubkey_deinit(pub2);
	gnutls_pubkey_deinit(pub);
	gnutls_privkey_deinit(again);
	free(red);
	free(uri);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_alg_names),
		cmocka_unit_test(test_is_online),
		cmocka_unit_test(test_uri_id),
		cmocka_unit_test(test_uri_redact),
		cmocka_unit_test_setup_teardown(test_messages_redacted, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_every_alg_online, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_online_kek, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_cred_kek_unusable, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_offline, setup, teardown),
		cmocka_unit_test_setup_teardown(test_import, setup, teardown),
		cmocka_unit_test_setup_teardown(test_swapped_files, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_discard, setup, teardown),
		cmocka_unit_test_setup_teardown(test_opts_argon2, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_pkcs11, setup, teardown),
	};
	int rc;

	rc = cmocka_run_group_tests(tests, NULL, NULL);
	/* Everything else passed, but the PKCS#11 path was not tested. */
	if (rc == 0 && p11_skipped)
		return 77;
	return rc;
}
