/* Set-up and teardown shared by the unit tests: see fixture.h. */
#include <config.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <spork/enroll.h>
#include "fixture.h"

void
fixture_dir_make(char *dir, size_t size, const char *name)
{
	const char *tmp = getenv("TMPDIR");
	size_t max = size < FIXTURE_DIR_MAX ? size : FIXTURE_DIR_MAX;
	int n;

	n = snprintf(dir, max, "%s/spork-%s.XXXXXX",
		     tmp != NULL && *tmp != '\0' ? tmp : "/tmp", name);
	if (n < 0 || (size_t)n >= max)
		fail_msg("fixture: TMPDIR is too long for a %zu-byte name", max);
	if (mkdtemp(dir) == NULL)
		fail_msg("fixture: mkdtemp %s: %s", dir, strerror(errno));
}

static int
remove_entry(const char *path, const struct stat *sb, int flag,
	     struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	if (remove(path) != 0)
		print_error("fixture: remove %s: %s\n", path, strerror(errno));
	return 0;
}

int
fixture_dir_remove(const char *dir)
{
	struct stat sb;

	if (dir == NULL || *dir == '\0')
		return 0;
	if (getenv("KEEP_TMP") != NULL) {
		print_message("fixture: kept %s\n", dir);
		return 0;
	}
	nftw(dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
	return lstat(dir, &sb) == 0 ? -1 : 0;
}

const char *
fixture_file_write(const char *dir, const char *name, const void *data,
		   size_t len)
{
	static char path[FIXTURE_PATH_MAX + 64];
	FILE *fp;
	int n;

	n = snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (n < 0 || (size_t)n >= sizeof(path))
		fail_msg("fixture: file name too long: %s/%s", dir, name);
	if ((fp = fopen(path, "wb")) == NULL)
		fail_msg("fixture: fopen %s: %s", path, strerror(errno));
	if (fwrite(data, 1, len, fp) != len) {
		fclose(fp);
		fail_msg("fixture: write %s: %s", path, strerror(errno));
	}
	if (fclose(fp) != 0)
		fail_msg("fixture: close %s: %s", path, strerror(errno));
	return path;
}

void
fixture_store_open(const char *dir, char *path, size_t size,
		   struct pki_store **st)
{
	struct pki_error err = { 0 };
	char db[FIXTURE_PATH_MAX];
	int n;

	n = snprintf(db, sizeof(db), "%s/spork.db", dir);
	if (n < 0 || (size_t)n >= sizeof(db))
		fail_msg("fixture: directory name too long: %s", dir);
	if (pki_store_open(db, 1, st, &err) != PKI_OK)
		fail_msg("open: %s", err.msg);
	pki__store_set_actor(*st, "tester");
	if (path != NULL)
		snprintf(path, size, "%s", db);
}

struct fixture_store *
fixture_store_new(const char *name)
{
	struct fixture_store *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	fixture_dir_make(f->dir, sizeof(f->dir), name);
	fixture_store_open(f->dir, f->path, sizeof(f->path), &f->st);
	return f;
}

int
fixture_store_free(struct fixture_store *f)
{
	int rc;

	if (f == NULL)
		return 0;
	pki_store_close(f->st);
	rc = fixture_dir_remove(f->dir);
	free(f);
	return rc;
}

void
fixture_clock_set(struct pki_store *st, int64_t t)
{
	pki__store_set_clock(st, t);
}

void
fixture_actor_set(struct pki_store *st, const char *actor)
{
	pki__store_set_actor(st, actor);
}

void
fixture_state_open(const char *dir, enum pki_state_purpose purpose,
		   pki_passphrase_fn passfn, void *passctx, int64_t now,
		   struct pki_state **out)
{
	struct pki_state_opts o;
	struct pki_error err = { 0 };

	memset(&o, 0, sizeof(o));
	o.purpose = purpose;
	o.create = purpose == PKI_STATE_CLI;
	o.passfn = passfn;
	o.passctx = passctx;
	o.actor = "tester";
	o.now = now;
	o.argon2.m_cost_kib = PKI_ARGON2_MIN_KIB;   /* cheap: 8 MiB, 1 pass */
	o.argon2.t_cost = 1;
	if (pki_state_open(dir, &o, out, &err) != PKI_OK)
		fail_msg("state open %s: %s", dir, err.msg);
}

gnutls_privkey_t
fixture_key_generate(gnutls_pk_algorithm_t pk, unsigned bits)
{
	gnutls_x509_privkey_t x = NULL;
	gnutls_privkey_t key = NULL;
	int ret;

	if ((ret = gnutls_x509_privkey_init(&x)) < 0 ||
	    (ret = gnutls_x509_privkey_generate2(x, pk, bits, 0, NULL, 0)) < 0)
		fail_msg("fixture: generate %s key: %s",
			 gnutls_pk_algorithm_get_name(pk), gnutls_strerror(ret));
	if ((ret = gnutls_privkey_init(&key)) < 0 ||
	    (ret = gnutls_privkey_import_x509(key, x,
			GNUTLS_PRIVKEY_IMPORT_AUTO_RELEASE)) < 0)
		fail_msg("fixture: import key: %s", gnutls_strerror(ret));
	return key;
}

int
fixture_passfn(void *ctx, const char *label, enum pki_pass_purpose purpose,
	       char *buf, size_t size, struct pki_error *err)
{
	(void)ctx;
	(void)label;
	(void)purpose;
	(void)err;
	snprintf(buf, size, "%s", FIXTURE_PASS);
	return PKI_OK;
}

gnutls_x509_crt_t
fixture_crt_of(const gnutls_datum_t *der)
{
	gnutls_x509_crt_t c;

	assert_int_equal(gnutls_x509_crt_init(&c), 0);
	assert_int_equal(gnutls_x509_crt_import(c, der, GNUTLS_X509_FMT_DER), 0);
	return c;
}

gnutls_x509_crt_t
fixture_issue_tls(const struct pki_enroll *e, const char *cn)
{
	struct pki_enroll_request req;
	struct pki_enroll_result res;
	struct pki_error err = { 0 };
	gnutls_x509_crt_t c;

	memset(&req, 0, sizeof(req));
	memset(&res, 0, sizeof(res));
	req.profile = "tls-server";
	req.cn = cn;
	req.days = 30;
	req.key_alg = PKI_KEY_ECDSA_P256;
	if (pki_enroll_add_sans(&req, cn, &err) != PKI_OK ||
	    pki_enroll_issue(e, &req, &res, &err) != PKI_OK)
		fail_msg("issue %s: %s", cn, err.msg);
	c = fixture_crt_of(&res.der);
	pki_enroll_result_clear(&res);
	pki_enroll_request_clear(&req);
	return c;
}
