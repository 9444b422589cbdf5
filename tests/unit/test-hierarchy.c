/* Unit tests for libpki/hierarchy: loading, validation, diff and build. */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <gnutls/gnutls.h>

#include "fixture.h"
#include <spork/hierarchy.h>
#include <spork/store.h>
#include <spork/key.h>

static char tmpdir[FIXTURE_DIR_MAX];

static const char *
write_file(const char *name, const char *text, size_t len)
{
	return fixture_file_write(tmpdir, name, text, len);
}

static int
load(const char *text, struct pki_hier_plan **plan, struct pki_diags *d)
{
	struct pki_error err;
	const char *p = write_file("h.toml", text, strlen(text));

	memset(d, 0, sizeof(*d));
	return pki_hier_load(p, 0, plan, d, &err);
}

static int
has_diag(const struct pki_diags *d, unsigned line, const char *needle)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		if ((line == 0 || d->v[i].line == line) &&
		    strstr(d->v[i].msg, needle) != NULL)
			return 1;
	for (i = 0; i < d->n; i++)
		fprintf(stderr, "  diag %u:%u %s\n", d->v[i].line,
			d->v[i].column, d->v[i].msg);
	return 0;
}

static const char three_tier[] =
	"[root]\ncommon_name = \"R\"\nvalidity_years = 20\n"
	"[[policy_cas]]\ncommon_name = \"P\"\nvalidity_years = 10\n"
	"[[policy_cas.issuing_cas]]\ncommon_name = \"I\"\nvalidity_days = 365\n"
	"crl_urls = \"http://x.example/i.crl\"\n";

static void
test_three_tier(void **state)
{
	struct pki_hier_plan *plan = NULL;
	struct pki_diags d;
	char hash[65];

	(void)state;
	assert_int_equal(load(three_tier, &plan, &d), PKI_OK);
	assert_int_equal(d.n, 0);
	assert_int_equal(plan->mode, PKI_HIER_LOCAL);
	assert_int_equal(plan->n, 3);
	assert_string_equal(plan->nodes[0].role, "root");
	assert_string_equal(plan->nodes[1].role, "policy");
	assert_string_equal(plan->nodes[2].role, "issuing");
	assert_int_equal(plan->nodes[1].parent, 0);
	assert_int_equal(plan->nodes[2].parent, 1);
	/* pathLen counts the CA levels below. */
	assert_int_equal(plan->nodes[0].tpl.path_len, 2);
	assert_int_equal(plan->nodes[1].tpl.path_len, 1);
	assert_int_equal(plan->nodes[2].tpl.path_len, 0);
	/* defaults: offline root/policy, online issuing, P-384/P-256 */
	assert_false(plan->nodes[0].online);
	assert_true(plan->nodes[2].online);
	assert_int_equal(plan->nodes[0].alg, PKI_KEY_ECDSA_P384);
	assert_int_equal(plan->nodes[2].alg, PKI_KEY_ECDSA_P256);
	assert_int_equal(plan->nodes[2].validity_days, 365);
	/* a single string is a one-element list */
	assert_int_equal(plan->nodes[2].crl_urls.n, 1);
	memcpy(hash, plan->nodes[2].spec_hash, sizeof(hash));
	pki_hier_free(plan);

	/* the spec hash is stable, and changes with the definition */
	assert_int_equal(load(three_tier, &plan, &d), PKI_OK);
	assert_string_equal(plan->nodes[2].spec_hash, hash);
	pki_hier_free(plan);
	{
		char alt[sizeof(three_tier) + 8];

		snprintf(alt, sizeof(alt), "%s", three_tier);
		*strstr(alt, "365") = '4';
		assert_int_equal(load(alt, &plan, &d), PKI_OK);
		assert_string_not_equal(plan->nodes[2].spec_hash, hash);
		pki_hier_free(plan);
	}
}

static void
test_two_tier_and_modes(void **state)
{
	struct pki_hier_plan *plan = NULL;
	struct pki_diags d;

	(void)state;
	assert_int_equal(load("[root]\ncommon_name=\"R\"\n[[issuing_cas]]\n"
			      "common_name=\"I\"\n", &plan, &d), PKI_OK);
	assert_int_equal(plan->n, 2);
	assert_int_equal(plan->nodes[0].tpl.path_len, 1);
	pki_hier_free(plan);

	assert_int_equal(load("[external]\nname=\"Corp\"\n[[issuing_cas]]\n"
			      "common_name=\"I\"\n", &plan, &d), PKI_OK);
	assert_int_equal(plan->mode, PKI_HIER_SUBORDINATE);
	assert_true(plan->nodes[0].external_parent);
	assert_string_equal(plan->external_name, "Corp");
	pki_hier_free(plan);

	assert_int_equal(load("[import]\nname=\"M\"\npkcs12=\"x.p12\"\n",
			      &plan, &d), PKI_OK);
	assert_int_equal(plan->mode, PKI_HIER_IMPORT);
	assert_true(plan->nodes[0].imported);
	assert_true(plan->nodes[0].online);
	pki_hier_free(plan);
}

static void
test_errors_collected(void **state)
{
	struct pki_hier_plan *plan = NULL;
	struct pki_diags d;
	static const char bad[] =
		"[root]\n"                               /* 1 */
		"common_name = \"R\"\n"                  /* 2 */
		"validty_years = 3\n"                    /* 3 */
		"algorithm = 5\n"                        /* 4 */
		"[[issuing_cas]]\n"                      /* 5 */
		"common_name = \"R\"\n"                  /* 6 */
		"algorithm = \"rsa-1024\"\n"             /* 7 */
		"key = \"usb\"\n"                        /* 8 */
		"validity_years = 0\n"                   /* 9 */
		"validity_days = 3\n"                    /* 10 */
		"permitted_ip = [\"10.0.0.0/33\", 7]\n"  /* 11 */
		"[[issuing_cas]]\n"                      /* 12 */
		"organization = \"no cn\"\n";            /* 13 */

	(void)state;
	assert_int_equal(load(bad, &plan, &d), PKI_E_INVALID);
	assert_null(plan);
	assert_true(has_diag(&d, 3, "did you mean 'validity_years'"));
	assert_true(has_diag(&d, 4, "algorithm must be a string"));
	assert_true(has_diag(&d, 5, "duplicate CA name 'R'"));
	assert_true(has_diag(&d, 7, "rsa-1024"));
	assert_true(has_diag(&d, 8, "is not a key location"));
	assert_true(has_diag(&d, 10, "either validity_years or validity_days"));
	assert_true(has_diag(&d, 11, "10.0.0.0/33"));
	assert_true(has_diag(&d, 11, "entries must be strings"));
	assert_true(has_diag(&d, 12, "has no common_name"));
	/* every diag has a position */
	{
		size_t i;

		for (i = 0; i < d.n; i++) {
			assert_true(d.v[i].line > 0);
			assert_true(d.v[i].column > 0);
		}
	}
	pki_diags_clear(&d);
}

/* A file with a million unknown keys: the problems are counted, not all
 * kept (memory and output stay bounded), and the first ones are there. */
static void
test_diags_bounded(void **state)
{
	struct pki_hier_plan *plan = NULL;
	struct pki_error err;
	struct pki_diags d;
	size_t i, n = 200000, off = 0, cap = n * 16 + 64;
	char *text = malloc(cap);
	const char *p;

	(void)state;
	assert_non_null(text);
	off += (size_t)snprintf(text, cap, "[root]\ncommon_name = \"R\"\n");
	for (i = 0; i < n; i++)
		off += (size_t)snprintf(text + off, cap - off, "k%zu=1\n", i);
	p = write_file("big.toml", text, off);
	free(text);
	memset(&d, 0, sizeof(d));
	assert_int_equal(pki_hier_load(p, 0, &plan, &d, &err), PKI_E_INVALID);
	assert_int_equal(d.n, PKI_DIAG_MAX);
	assert_int_equal(d.more, n - PKI_DIAG_MAX);
	assert_int_equal(pki_diags_count(&d), n);
	assert_true(has_diag(&d, 3, "unknown key 'k0' in [root]"));
	assert_non_null(strstr(err.msg, "200000 problems"));
	pki_diags_clear(&d);
	assert_int_equal(d.more, 0);
	assert_int_equal(pki_diags_count(&d), 0);
}

static void
test_hostile(void **state)
{
	struct pki_hier_plan *plan = NULL;
	struct pki_diags d;
	char *big;
	size_t i, off = 0, cap = 1 << 20;

	(void)state;
	/* syntax error: one diag with a position */
	assert_int_equal(load("[root\n", &plan, &d), PKI_E_PARSE);
	assert_int_equal(d.n, 1);
	assert_int_equal(d.v[0].line, 1);
	pki_diags_clear(&d);

	/* empty file */
	assert_int_equal(load("", &plan, &d), PKI_E_INVALID);
	assert_true(has_diag(&d, 1, "no [root], [external] or [import]"));
	pki_diags_clear(&d);

	/* two tops */
	assert_int_equal(load("[root]\ncommon_name=\"a\"\n[import]\nname=\"b\"\n"
			      "pkcs12=\"c\"\n", &plan, &d), PKI_E_INVALID);
	assert_true(has_diag(&d, 0, "keep exactly one"));
	pki_diags_clear(&d);

	/* wrong shapes where tables are expected */
	assert_int_equal(load("root = 3\n", &plan, &d), PKI_E_INVALID);
	pki_diags_clear(&d);
	assert_int_equal(load("issuing_cas = [1, \"x\"]\n[root]\ncommon_name=\"a\"\n",
			      &plan, &d), PKI_E_INVALID);
	assert_true(has_diag(&d, 1, "must hold tables"));
	pki_diags_clear(&d);
	/* children of the root are top-level arrays, not keys of [root] */
	assert_int_equal(load("[root]\ncommon_name=\"a\"\nissuing_cas = []\n",
			      &plan, &d), PKI_E_INVALID);
	assert_true(has_diag(&d, 3, "unknown key 'issuing_cas' in [root]"));
	pki_diags_clear(&d);

	/* NUL inside a string, and an over-long common name */
	assert_int_equal(load("[root]\ncommon_name = \"a\\u0000b\"\n", &plan, &d),
			 PKI_E_INVALID);
	assert_true(has_diag(&d, 2, "NUL"));
	pki_diags_clear(&d);
	assert_int_equal(load("[root]\ncommon_name = \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
			      "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"\n", &plan, &d),
			 PKI_E_INVALID);
	assert_true(has_diag(&d, 2, "at most 64"));
	pki_diags_clear(&d);

	/* too many CAs, too many list entries */
	big = malloc(cap);
	assert_non_null(big);
	off += (size_t)snprintf(big + off, cap - off, "[root]\ncommon_name=\"r\"\n");
	for (i = 0; i < 300; i++)
		off += (size_t)snprintf(big + off, cap - off, "[[issuing_cas]]\n"
					"common_name=\"i%zu\"\nvalidity_years=1\n", i);
	assert_int_equal(load(big, &plan, &d), PKI_E_INVALID);
	assert_true(has_diag(&d, 0, "more than 256 CAs"));
	pki_diags_clear(&d);
	off = (size_t)snprintf(big, cap, "[root]\ncommon_name=\"r\"\npolicy_oids=[");
	for (i = 0; i < 100; i++)
		off += (size_t)snprintf(big + off, cap - off, "\"1.2.%zu\",", i);
	snprintf(big + off, cap - off, "]\n");
	assert_int_equal(load(big, &plan, &d), PKI_E_INVALID);
	assert_true(has_diag(&d, 3, "at most 64"));
	pki_diags_clear(&d);
	free(big);

	/* a path_len that cannot hold, and a child outliving its parent */
	assert_int_equal(load("[root]\ncommon_name=\"r\"\npath_len=0\nvalidity_years=2\n"
			      "[[policy_cas]]\ncommon_name=\"p\"\nvalidity_years=3\n"
			      "[[policy_cas.issuing_cas]]\ncommon_name=\"i\"\n"
			      "validity_years=1\n", &plan, &d), PKI_E_INVALID);
	assert_true(has_diag(&d, 1, "cannot hold the 2 levels"));
	assert_true(has_diag(&d, 5, "would outlive its parent 'r'"));
	pki_diags_clear(&d);
}

static void
test_slug(void **state)
{
	char *s;

	(void)state;
	s = pki_state_slug("SPORK Root CA");
	assert_string_equal(s, "spork-root-ca");
	free(s);
	s = pki_state_slug("../../etc/passwd");
	assert_string_equal(s, "etc-passwd");
	free(s);
	s = pki_state_slug("***");
	assert_string_equal(s, "x");
	free(s);
	/* names in other scripts stay distinct */
	s = pki_state_slug("\xe6\x97\xa5\xe6\x9c\xac CA");
	assert_string_equal(s, "e697a5e69cac-ca");
	free(s);
}

static void
test_file_collisions(void **state)
{
	struct pki_hier_plan *plan = NULL;
	struct pki_diags d;

	(void)state;
	assert_int_equal(load("[root]\ncommon_name=\"R\"\n"
			      "[[issuing_cas]]\ncommon_name=\"Issuing CA\"\n"
			      "[[issuing_cas]]\ncommon_name=\"issuing-ca\"\n"
			      "[[issuing_cas]]\ncommon_name=\"Issuing CA Chain\"\n"
			      "[[issuing_cas]]\ncommon_name=\"Issuing CA delta\"\n"
			      "[[issuing_cas]]\ncommon_name=\"Issuing CA 2\"\n",
			      &plan, &d), PKI_E_INVALID);
	assert_true(has_diag(&d, 5, "'issuing-ca' and 'Issuing CA' (line 3) would share files"));
	assert_true(has_diag(&d, 7, "'Issuing CA Chain' and 'Issuing CA'"));
	assert_true(has_diag(&d, 9, "'Issuing CA delta' and 'Issuing CA'"));
	/* "Issuing CA Chain" also collides with "issuing-ca"; "Issuing CA 2"
	 * is fine */
	assert_true(has_diag(&d, 7, "'Issuing CA Chain' and 'issuing-ca'"));
	assert_int_equal(d.n, 5);
	pki_diags_clear(&d);
}

/* Build a 2-tier hierarchy, then diff: unchanged; then a changed file is
 * refused before anything is created. */
static int
pass_cb(void *ctx, const char *label, enum pki_pass_purpose purpose,
	char *buf, size_t size,
	struct pki_error *err)
{
	(void)ctx; (void)label; (void)purpose; (void)err;
	snprintf(buf, size, "unit-test passphrase");
	return PKI_OK;
}

static void
test_build_and_diff(void **state)
{
	struct pki_hier_plan *plan = NULL, *plan2 = NULL;
	struct pki_diags d;
	struct pki_state *st = NULL;
	struct pki_hier_result *res = NULL;
	struct pki_hier_status *s = NULL;
	struct pki_error err;
	static const char two[] = "[root]\ncommon_name=\"R\"\nvalidity_years=5\n"
		"[[issuing_cas]]\ncommon_name=\"I\"\nvalidity_years=2\n";
	static const char changed[] = "[root]\ncommon_name=\"R\"\nvalidity_years=6\n"
		"[[issuing_cas]]\ncommon_name=\"I\"\nvalidity_years=2\n";

	(void)state;
	fixture_state_open(tmpdir, PKI_STATE_CLI, pass_cb, NULL, 0, &st);
	assert_int_equal(load(two, &plan, &d), PKI_OK);
	assert_int_equal(pki_hier_build(plan, st, 0, &res, &err), PKI_OK);
	assert_int_equal(res[0].action, PKI_HIER_CREATED);
	assert_int_equal(res[1].action, PKI_HIER_CREATED);
	assert_non_null(strstr(res[1].chain_path, "/ca/i-chain.pem"));
	pki_hier_results_free(res, plan->n);

	assert_int_equal(pki_hier_diff(plan, st, time(NULL), &s, &d, &err), PKI_OK);
	assert_int_equal(s[0].state, PKI_HIER_UNCHANGED);
	assert_int_equal(s[1].state, PKI_HIER_UNCHANGED);
	assert_true(s[1].not_after <= s[0].not_after);
	pki_hier_status_free(s, plan->n);

	/* building again does nothing */
	assert_int_equal(pki_hier_build(plan, st, 0, &res, &err), PKI_OK);
	assert_int_equal(res[0].action, PKI_HIER_DID_NOTHING);
	assert_int_equal(res[1].action, PKI_HIER_DID_NOTHING);
	pki_hier_results_free(res, plan->n);

	assert_int_equal(load(changed, &plan2, &d), PKI_OK);
	assert_int_equal(pki_hier_diff(plan2, st, time(NULL), &s, &d, &err), PKI_OK);
	assert_int_equal(s[0].state, PKI_HIER_CHANGED);
	assert_string_equal(s[0].why, "validity_years");
	pki_hier_status_free(s, plan2->n);
	assert_int_equal(pki_hier_build(plan2, st, 0, &res, &err),
			 PKI_E_CONFLICT);
	assert_non_null(strstr(err.msg, "changed: validity_years"));
	assert_null(res);

	pki_hier_free(plan);
	pki_hier_free(plan2);
	pki_state_close(st);
}

static int
group_setup(void **state)
{
	(void)state;
	fixture_dir_make(tmpdir, sizeof(tmpdir), "hier");
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	return fixture_dir_remove(tmpdir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_three_tier),
		cmocka_unit_test(test_two_tier_and_modes),
		cmocka_unit_test(test_errors_collected),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_diags_bounded),
		cmocka_unit_test(test_slug),
		cmocka_unit_test(test_file_collisions),
		cmocka_unit_test(test_build_and_diff),
	};
	int rc;

	gnutls_global_init();
	rc = cmocka_run_group_tests(tests, group_setup, group_teardown);
	gnutls_global_deinit();
	return rc;
}
