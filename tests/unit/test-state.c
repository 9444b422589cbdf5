/*
 * state: a state directory opened for one purpose.  An online (handler)
 * open cannot unseal an offline key even with the right passphrase at
 * hand; an old flat lockbox migrates on a CLI open, with one audit row,
 * and a migration interrupted in the middle is completed by the rerun.
 */
#include <config.h>

#include <errno.h>
#include <ftw.h>
#include <glob.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include <gnutls/gnutls.h>

#include <spork/audit.h>
#include <spork/key.h>
#include "fixture.h"
#include "keystore.h"
#include <spork/state.h>
#include <spork/store.h>

struct passctx {
	int calls;
};

static int
passfn(void *vctx, const char *label, enum pki_pass_purpose purpose,
       char *buf, size_t size, struct pki_error *err)
{
	struct passctx *c = vctx;

	(void)label; (void)purpose; (void)err;
	c->calls++;
	snprintf(buf, size, "correct horse battery staple");
	return PKI_OK;
}

struct fx {
	char dir[64];
	struct passctx pc;
	char *offline_uri, *online_uri;
};

static int
rm_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st; (void)flag; (void)ftw;
	return remove(path);
}

static struct pki_state_opts
opts(struct fx *f, enum pki_state_purpose purpose)
{
	struct pki_state_opts o;

	memset(&o, 0, sizeof(o));
	o.purpose = purpose;
	o.create = purpose == PKI_STATE_CLI;
	o.passfn = passfn;
	o.passctx = &f->pc;
	o.actor = "tester";
	o.argon2.m_cost_kib = 8192;
	o.argon2.t_cost = 1;
	return o;
}

/* A state directory with one offline and one online ECDSA key. */
static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct pki_state_opts o;
	struct pki_state *s = NULL;
	struct pki_error err;
	gnutls_privkey_t k = NULL;

	if (f == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/spork-state-XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	o = opts(f, PKI_STATE_CLI);
	if (pki_state_open(f->dir, &o, &s, &err) != PKI_OK ||
	    pki_key_create(pki_state_keystore(s), PKI_KEY_ECDSA_P256, 0, NULL,
			   "Root", &f->offline_uri, &k, &err) != PKI_OK) {
		fprintf(stderr, "setup: %s\n", err.msg);
		return -1;
	}
	gnutls_privkey_deinit(k);
	if (pki_key_create(pki_state_keystore(s), PKI_KEY_ECDSA_P256, 1, NULL,
			   "Issuing", &f->online_uri, &k, &err) != PKI_OK) {
		fprintf(stderr, "setup: %s\n", err.msg);
		return -1;
	}
	gnutls_privkey_deinit(k);
	pki_state_close(s);
	f->pc.calls = 0;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	nftw(f->dir, rm_cb, 8, FTW_DEPTH | FTW_PHYS);
	free(f->offline_uri);
	free(f->online_uri);
	free(f);
	return 0;
}

static void
test_online_refuses_offline_key(void **state)
{
	struct fx *f = *state;
	struct pki_state_opts o = opts(f, PKI_STATE_ONLINE);
	struct pki_state *s = NULL;
	struct pki_error err;
	gnutls_privkey_t k = NULL;

	assert_int_equal(pki_state_open(f->dir, &o, &s, &err), PKI_OK);
	assert_int_equal(pki_state_purpose(s), PKI_STATE_ONLINE);
	/* The passphrase source is right there, and still: refused before
	 * it is asked. */
	assert_int_equal(pki_key_load(pki_state_keystore(s), f->offline_uri,
				      PKI_KEY_ECDSA_P256, "Root", &k, &err),
			 PKI_E_DENIED);
	assert_null(k);
	assert_int_equal(f->pc.calls, 0);
	assert_non_null(strstr(err.msg, "online"));
	/* An online key loads. */
	assert_int_equal(pki_key_load(pki_state_keystore(s), f->online_uri,
				      PKI_KEY_ECDSA_P256, "Issuing", &k, &err),
			 PKI_OK);
	gnutls_privkey_deinit(k);
	pki_state_close(s);

	/* The same offline key opens for the CLI. */
	o = opts(f, PKI_STATE_CLI);
	assert_int_equal(pki_state_open(f->dir, &o, &s, &err), PKI_OK);
	assert_int_equal(pki_key_load(pki_state_keystore(s), f->offline_uri,
				      PKI_KEY_ECDSA_P256, "Root", &k, &err),
			 PKI_OK);
	assert_int_equal(f->pc.calls, 1);
	gnutls_privkey_deinit(k);
	pki_state_close(s);
}

static void
test_online_without_offline_dir(void **state)
{
	struct fx *f = *state;
	struct pki_state_opts o = opts(f, PKI_STATE_ONLINE);
	struct pki_state *s = NULL;
	struct pki_error err;
	gnutls_privkey_t k = NULL;
	char a[128], b[128];

	/* What InaccessiblePaths= does to a handler: offline/ is gone. */
	snprintf(a, sizeof(a), "%s/lockbox/offline", f->dir);
	snprintf(b, sizeof(b), "%s/offline-away", f->dir);
	assert_int_equal(rename(a, b), 0);
	assert_int_equal(pki_state_open(f->dir, &o, &s, &err), PKI_OK);
	assert_int_equal(pki_key_load(pki_state_keystore(s), f->online_uri,
				      PKI_KEY_ECDSA_P256, "Issuing", &k, &err),
			 PKI_OK);
	gnutls_privkey_deinit(k);
	pki_state_close(s);
	assert_int_equal(access(a, F_OK), -1);
}

static void
test_read_has_no_keys(void **state)
{
	struct fx *f = *state;
	struct pki_state *s = NULL;
	struct pki_error err;

	assert_int_equal(pki_state_open(f->dir, NULL, &s, &err), PKI_OK);
	assert_null(pki_state_keystore(s));
	assert_non_null(pki_state_store(s));
	pki_state_close(s);
	/* Nothing is created for reading. */
	assert_int_equal(pki_state_open("/nonexistent/spork", NULL, &s, &err),
			 PKI_E_NOTFOUND);
}

/* StrictModes: a writer (CLI, handler) refuses what others can change,
 * each entry in turn, before any key is touched; a reader does not. */
static void
test_strict_modes(void **state)
{
	static const char *const entries[] = {
		"", "/ca", "/lockbox", "/lockbox/online", "/spork.db",
		"/domain-policy.toml", "/spork.toml",
	};
	struct fx *f = *state;
	struct pki_state_opts cli = opts(f, PKI_STATE_CLI),
		online = opts(f, PKI_STATE_ONLINE);
	struct pki_state *s = NULL;
	struct pki_error err;
	struct stat sb;
	char p[128], fix[160];
	size_t i;

	snprintf(p, sizeof(p), "%s/ca", f->dir);
	assert_true(mkdir(p, 0755) == 0 || errno == EEXIST);
	fixture_file_write(f->dir, "domain-policy.toml", "", 0);
	fixture_file_write(f->dir, "spork.toml", "", 0);
	assert_int_equal(pki_state_check_modes(f->dir, &err), PKI_OK);
	for (i = 0; i < sizeof(entries) / sizeof(entries[0]); i++) {
		snprintf(p, sizeof(p), "%s%s", f->dir, entries[i]);
		assert_int_equal(stat(p, &sb), 0);
		assert_int_equal(chmod(p, (sb.st_mode & 07777) | S_IWOTH), 0);
		assert_int_equal(pki_state_check_modes(f->dir, &err),
				 PKI_E_DENIED);
		snprintf(fix, sizeof(fix), "fix it with: chmod go-w %s", p);
		assert_non_null(strstr(err.msg, fix));
		assert_int_equal(pki_state_open(f->dir, &cli, &s, &err),
				 PKI_E_DENIED);
		assert_null(s);
		assert_int_equal(pki_state_open(f->dir, &online, &s, &err),
				 PKI_E_DENIED);
		/* an inventory reads on */
		assert_int_equal(pki_state_open(f->dir, NULL, &s, &err), PKI_OK);
		pki_state_close(s);
		s = NULL;
		assert_int_equal(chmod(p, (sb.st_mode & 07777) | S_IWGRP), 0);
		assert_int_equal(pki_state_check_modes(f->dir, &err),
				 PKI_E_DENIED);
		assert_non_null(strstr(err.msg, "writable by its group"));
		assert_int_equal(chmod(p, sb.st_mode & 07777), 0);
		if (strcmp(entries[i], "/spork.db") == 0) {
			/* SQLite gives the -wal and -shm files the mode of
			 * the database file as it opens them */
			char q[160];

			snprintf(q, sizeof(q), "%s-wal", p);
			(void)chmod(q, sb.st_mode & 07777);
			snprintf(q, sizeof(q), "%s-shm", p);
			(void)chmod(q, sb.st_mode & 07777);
		}
	}
	assert_int_equal(f->pc.calls, 0);
	assert_int_equal(pki_state_open(f->dir, &cli, &s, &err), PKI_OK);
	pki_state_close(s);
	if (geteuid() == 0) {
		snprintf(p, sizeof(p), "%s/domain-policy.toml", f->dir);
		assert_int_equal(chown(p, 65534, (gid_t)-1), 0);
		assert_int_equal(pki_state_check_modes(f->dir, &err),
				 PKI_E_DENIED);
		assert_non_null(strstr(err.msg, "belongs to uid 65534"));
		assert_int_equal(chown(p, 0, (gid_t)-1), 0);
	} else {
		print_message("skipped: a file of another user needs root\n");
	}
}

static void
test_layout_and_clock(void **state)
{
	struct fx *f = *state;
	struct pki_state_opts o = opts(f, PKI_STATE_CLI);
	struct pki_state *s = NULL;
	struct pki_error err;
	char want[128], *p;

	o.now = 1767225600;
	assert_int_equal(pki_state_open(f->dir, &o, &s, &err), PKI_OK);
	assert_int_equal(pki_state_now(s), 1767225600);
	assert_string_equal(pki_state_actor(s), "tester");
	snprintf(want, sizeof(want), "%s/spork.db", f->dir);
	assert_string_equal(pki_state_path(s, PKI_STATE_DB), want);
	snprintf(want, sizeof(want), "%s/domain-policy.toml", f->dir);
	assert_string_equal(pki_state_path(s, PKI_STATE_POLICY), want);
	p = pki_state_ca_file(s, "SPORK Root CA", ".pem");
	snprintf(want, sizeof(want), "%s/ca/spork-root-ca.pem", f->dir);
	assert_string_equal(p, want);
	free(p);
	pki_state_close(s);
}

/* Move every sealed key back to the flat layout of spork 0.1. */
static int
flatten(const char *dir, int how_many)
{
	char pat[160], to[256];
	glob_t g;
	size_t i;
	int moved = 0;

	snprintf(pat, sizeof(pat), "%s/lockbox/*/*.key", dir);
	if (glob(pat, 0, NULL, &g) != 0)
		return -1;
	for (i = 0; i < g.gl_pathc && moved < how_many; i++) {
		const char *base = strrchr(g.gl_pathv[i], '/') + 1;

		snprintf(to, sizeof(to), "%s/lockbox/%s", dir, base);
		if (rename(g.gl_pathv[i], to) != 0)
			return -1;
		moved++;
	}
	globfree(&g);
	return moved;
}

static size_t
migrate_rows(struct pki_state *s)
{
	struct pki_audit_filter af = { 0 };
	struct pki_audit_row *rows = NULL;
	struct pki_error err;
	size_t n = 0;

	af.action_prefix = "lockbox.migrate";
	assert_int_equal(pki_audit_list(pki_state_store(s), &af, &rows, &n,
					&err), PKI_OK);
	pki_audit_rows_free(rows, n);
	return n;
}

static void
test_migrate_flat_lockbox(void **state)
{
	struct fx *f = *state;
	struct pki_state_opts o = opts(f, PKI_STATE_CLI);
	struct pki_state *s = NULL;
	struct pki_error err;
	gnutls_privkey_t k = NULL;

	assert_int_equal(flatten(f->dir, 2), 2);
	/* A handler does not migrate (and never sees offline keys). */
	{
		struct pki_state_opts on = opts(f, PKI_STATE_ONLINE);

		assert_int_equal(pki_state_open(f->dir, &on, &s, &err), PKI_OK);
		assert_int_equal(pki_state_migrated(s), 0);
		pki_state_close(s);
	}
	assert_int_equal(pki_state_open(f->dir, &o, &s, &err), PKI_OK);
	assert_int_equal(pki_state_migrated(s), 2);
	assert_int_equal(migrate_rows(s), 1);
	assert_int_equal(pki_key_load(pki_state_keystore(s), f->offline_uri,
				      PKI_KEY_ECDSA_P256, "Root", &k, &err),
			 PKI_OK);
	gnutls_privkey_deinit(k);
	assert_int_equal(pki_key_load(pki_state_keystore(s), f->online_uri,
				      PKI_KEY_ECDSA_P256, "Issuing", &k, &err),
			 PKI_OK);
	gnutls_privkey_deinit(k);
	pki_state_close(s);
	/* Once is enough. */
	assert_int_equal(pki_state_open(f->dir, &o, &s, &err), PKI_OK);
	assert_int_equal(pki_state_migrated(s), 0);
	assert_int_equal(migrate_rows(s), 1);
	pki_state_close(s);
}

static void
test_migrate_interrupted(void **state)
{
	struct fx *f = *state;
	struct pki_state_opts o = opts(f, PKI_STATE_CLI);
	struct pki_state *s = NULL;
	struct pki_error err;
	gnutls_privkey_t k = NULL;
	char cmd[512];

	/* A crash in the middle: one key still flat, the other both flat and
	 * already in its new place (renamed-then-crash before the old name
	 * went is impossible with rename(2), but a copy left by hand or a
	 * restore is not). */
	assert_int_equal(flatten(f->dir, 1), 1);
	snprintf(cmd, sizeof(cmd), "for k in %s/lockbox/online/*.key; do cp -p "
		 "\"$k\" %s/lockbox/; done", f->dir, f->dir);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(pki_state_open(f->dir, &o, &s, &err), PKI_OK);
	assert_true(pki_state_migrated(s) >= 1);
	pki_state_close(s);
	snprintf(cmd, sizeof(cmd), "ls %s/lockbox/*.key >/dev/null 2>&1",
		 f->dir);
	assert_int_not_equal(system(cmd), 0);
	assert_int_equal(pki_state_open(f->dir, &o, &s, &err), PKI_OK);
	assert_int_equal(pki_state_migrated(s), 0);
	assert_int_equal(pki_key_load(pki_state_keystore(s), f->offline_uri,
				      PKI_KEY_ECDSA_P256, "Root", &k, &err),
			 PKI_OK);
	gnutls_privkey_deinit(k);
	assert_int_equal(pki_key_load(pki_state_keystore(s), f->online_uri,
				      PKI_KEY_ECDSA_P256, "Issuing", &k, &err),
			 PKI_OK);
	gnutls_privkey_deinit(k);
	pki_state_close(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_online_refuses_offline_key,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_online_without_offline_dir,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_has_no_keys, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_strict_modes, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_layout_and_clock, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_migrate_flat_lockbox, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_migrate_interrupted, setup,
						teardown),
	};

	gnutls_global_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
