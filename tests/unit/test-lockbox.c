/* Unit tests for libpki/lockbox: sealing, opening, tampering. */
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
#include <time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "lockbox.h"
#include "util.h"

/* Cheapest parameters the lockbox accepts: keep the test fast. */
static const struct pki_argon2_params fast = { 1, 8192, 1 };
static const char pass[] = "correct horse battery staple";
static const char id1[] =
	"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
static const char id2[] =
	"ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100";

struct fixture {
	char dir[64];
	unsigned char kek[PKI_LOCKBOX_KEK_SIZE];
};

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
	snprintf(f->dir, sizeof(f->dir), "/tmp/spork-lockbox-XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	if (pki__random(f->kek, sizeof(f->kek), &err) != PKI_OK)
		return -1;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	nftw(f->dir, rm_cb, 8, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int
contains(const gnutls_datum_t *hay, const unsigned char *needle, size_t n)
{
	return n > 0 && hay->size >= n &&
	       memmem(hay->data, hay->size, needle, n) != NULL;
}

/* A real P-256 key: PKCS#8 DER, PEM and the raw private scalar. */
struct testkey {
	gnutls_datum_t der, pem, scalar;
};

static void
testkey_make(struct testkey *k)
{
	gnutls_x509_privkey_t x;
	gnutls_datum_t xx, yy;
	gnutls_ecc_curve_t curve;

	assert_int_equal(gnutls_x509_privkey_init(&x), 0);
	assert_int_equal(gnutls_x509_privkey_generate2(x, GNUTLS_PK_ECDSA,
		GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0, NULL, 0), 0);
	assert_int_equal(gnutls_x509_privkey_export2_pkcs8(x,
		GNUTLS_X509_FMT_DER, NULL, GNUTLS_PKCS_PLAIN, &k->der), 0);
	assert_int_equal(gnutls_x509_privkey_export2_pkcs8(x,
		GNUTLS_X509_FMT_PEM, NULL, GNUTLS_PKCS_PLAIN, &k->pem), 0);
	assert_int_equal(gnutls_x509_privkey_export_ecc_raw(x, &curve, &xx,
		&yy, &k->scalar), 0);
	gnutls_free(xx.data);
	gnutls_free(yy.data);
	gnutls_x509_privkey_deinit(x);
}

static void
testkey_free(struct testkey *k)
{
	gnutls_free(k->der.data);
	gnutls_free(k->pem.data);
	gnutls_free(k->scalar.data);
}

static void
path_in(const struct fixture *f, const char *name, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", f->dir, name);
}

/* Both kinds round-trip; the file is 0400 and holds no plaintext. */
static void
test_roundtrip(void **state)
{
	struct fixture *f = *state;
	struct testkey k;
	struct pki_error err;
	struct pki_lockbox_info info;
	gnutls_datum_t out, img;
	struct stat st;
	char p1[256], p2[256];
	int i;

	testkey_make(&k);
	path_in(f, "online.key", p1, sizeof(p1));
	path_in(f, "offline.key", p2, sizeof(p2));
	assert_int_equal(pki_lockbox_seal(p1, id1, "ecdsa-p256", &k.der, NULL,
					  0, NULL, f->kek, &err), PKI_OK);
	assert_int_equal(pki_lockbox_seal(p2, id2, "ecdsa-p256", &k.der, pass,
					  strlen(pass), &fast, NULL, &err),
			 PKI_OK);
	for (i = 0; i < 2; i++) {
		const char *p = i == 0 ? p1 : p2;

		assert_int_equal(stat(p, &st), 0);
		assert_int_equal(st.st_mode & 07777, 0400);
		assert_int_equal(pki_file_read(p, 1 << 20, &img, &err), PKI_OK);
		assert_false(contains(&img, k.der.data, k.der.size));
		assert_false(contains(&img, k.pem.data, k.pem.size));
		assert_false(contains(&img, (const unsigned char *)"-----BEGIN",
				      10));
		assert_false(contains(&img, (const unsigned char *)"PRIVATE",
				      7));
		/* The scalar may carry a leading zero byte, or lack leading
		 * zero bytes; look for its last 24 bytes, which are random. */
		assert_true(k.scalar.size >= 24);
		assert_false(contains(&img, k.scalar.data + k.scalar.size - 24,
				      24));
		gnutls_free(img.data);
	}

	assert_int_equal(pki_lockbox_open(p1, id1, "ecdsa-p256", NULL, 0,
					  f->kek, &out, &err), PKI_OK);
	assert_int_equal(out.size, k.der.size);
	assert_memory_equal(out.data, k.der.data, k.der.size);
	pki_memzero(out.data, out.size);
	gnutls_free(out.data);

	assert_int_equal(pki_lockbox_open(p2, id2, "ecdsa-p256", pass,
					  strlen(pass), NULL, &out, &err), PKI_OK);
	assert_int_equal(out.size, k.der.size);
	assert_memory_equal(out.data, k.der.data, k.der.size);
	pki_memzero(out.data, out.size);
	gnutls_free(out.data);

	assert_int_equal(pki_lockbox_info(p1, &info, &err), PKI_OK);
	assert_int_equal(info.kind, PKI_LOCKBOX_KEKFILE);
	assert_string_equal(info.key_id, id1);
	assert_string_equal(info.alg, "ecdsa-p256");
	assert_int_equal(pki_lockbox_info(p2, &info, &err), PKI_OK);
	assert_int_equal(info.kind, PKI_LOCKBOX_PASSPHRASE);
	assert_string_equal(info.key_id, id2);
	assert_int_equal(info.argon2.m_cost_kib, 8192);
	assert_int_equal(info.argon2.t_cost, 1);
	assert_int_equal(info.argon2.lanes, 1);

	/* Sealing again to the same path is refused, file unchanged. */
	assert_int_equal(pki_file_read(p1, 1 << 20, &img, &err), PKI_OK);
	assert_int_equal(pki_lockbox_seal(p1, id1, "ecdsa-p256", &k.der, NULL,
					  0, NULL, f->kek, &err), PKI_E_EXISTS);
	assert_int_equal(pki_file_read(p1, 1 << 20, &out, &err), PKI_OK);
	assert_int_equal(out.size, img.size);
	assert_memory_equal(out.data, img.data, img.size);
	gnutls_free(out.data);
	gnutls_free(img.data);
	testkey_free(&k);
}

/* Two seals of the same secret differ (fresh salt and nonce). */
static void
test_fresh_randomness(void **state)
{
	struct fixture *f = *state;
	gnutls_datum_t plain = { (unsigned char *)"secret", 6 }, a, b;
	struct pki_error err;

	assert_int_equal(pki_lockbox_seal_mem(id1, "ed25519", &plain, NULL, 0,
					      NULL, f->kek, &a, &err), PKI_OK);
	assert_int_equal(pki_lockbox_seal_mem(id1, "ed25519", &plain, NULL, 0,
					      NULL, f->kek, &b, &err), PKI_OK);
	assert_int_equal(a.size, b.size);
	assert_memory_not_equal(a.data, b.data, a.size);
	gnutls_free(a.data);
	gnutls_free(b.data);
}

static void
test_wrong_secret(void **state)
{
	struct fixture *f = *state;
	gnutls_datum_t plain = { (unsigned char *)"0123456789abcdef", 16 };
	gnutls_datum_t img, out;
	unsigned char kek2[PKI_LOCKBOX_KEK_SIZE];
	struct pki_error err;

	assert_int_equal(pki_lockbox_seal_mem(id1, "rsa-2048", &plain, pass,
					      strlen(pass), &fast, NULL, &img,
					      &err), PKI_OK);
	assert_int_equal(pki_lockbox_open_mem(img.data, img.size, id1,
					      "rsa-2048", "wrong", 5, NULL,
					      &out, &err), PKI_E_AUTH);
	assert_null(out.data);
	assert_non_null(strstr(err.msg, "wrong passphrase"));
	/* One character short is wrong too. */
	assert_int_equal(pki_lockbox_open_mem(img.data, img.size, id1,
					      "rsa-2048", pass,
					      strlen(pass) - 1, NULL, &out,
					      &err), PKI_E_AUTH);
	/* A passphrase file needs a passphrase, not a KEK. */
	assert_int_equal(pki_lockbox_open_mem(img.data, img.size, id1,
					      "rsa-2048", NULL, 0, f->kek,
					      &out, &err), PKI_E_INVALID);
	gnutls_free(img.data);

	assert_int_equal(pki_lockbox_seal_mem(id1, "rsa-2048", &plain, NULL, 0,
					      NULL, f->kek, &img, &err), PKI_OK);
	memcpy(kek2, f->kek, sizeof(kek2));
	kek2[31] ^= 1;
	assert_int_equal(pki_lockbox_open_mem(img.data, img.size, id1,
					      "rsa-2048", NULL, 0, kek2, &out,
					      &err), PKI_E_AUTH);
	assert_non_null(strstr(err.msg, "online.kek"));
	assert_int_equal(pki_lockbox_open_mem(img.data, img.size, id1,
					      "rsa-2048", pass, strlen(pass),
					      NULL, &out, &err), PKI_E_INVALID);
	gnutls_free(img.data);
}

/* Flip every byte of a sealed image: never a success. */
static void
flip_all(const gnutls_datum_t *img, const char *p, size_t plen,
	 const unsigned char *kek)
{
	unsigned char *copy = malloc(img->size);
	struct pki_error err;
	gnutls_datum_t out;
	size_t i;
	int rc;

	assert_non_null(copy);
	for (i = 0; i < img->size; i++) {
		memcpy(copy, img->data, img->size);
		copy[i] ^= 0xff;
		rc = pki_lockbox_open_mem(copy, img->size, NULL, NULL, p, plen,
					  kek, &out, &err);
		if (rc != PKI_E_AUTH && rc != PKI_E_PARSE)
			fail_msg("flipping byte %zu gave %d (%s)", i, rc,
				 err.msg);
		assert_null(out.data);
	}
	free(copy);
}

static void
test_flip_every_byte(void **state)
{
	struct fixture *f = *state;
	gnutls_datum_t plain = { (unsigned char *)"k", 1 }, img, out;
	struct pki_error err;
	double t0 = now_s();

	assert_int_equal(pki_lockbox_seal_mem(id1, "ed448", &plain, NULL, 0,
					      NULL, f->kek, &img, &err), PKI_OK);
	flip_all(&img, pass, strlen(pass), f->kek);
	/* The untouched image still opens. */
	assert_int_equal(pki_lockbox_open_mem(img.data, img.size, id1, "ed448",
					      NULL, 0, f->kek, &out, &err),
			 PKI_OK);
	gnutls_free(out.data);
	gnutls_free(img.data);

	assert_int_equal(pki_lockbox_seal_mem(id1, "ed448", &plain, pass,
					      strlen(pass), &fast, NULL, &img,
					      &err), PKI_OK);
	flip_all(&img, pass, strlen(pass), f->kek);
	gnutls_free(img.data);
	print_message("flip test: %.2f s\n", now_s() - t0);
}

/* Bound to one key id and algorithm: any other is refused. */
static void
test_swapped(void **state)
{
	struct fixture *f = *state;
	gnutls_datum_t plain = { (unsigned char *)"0123456789", 10 }, img, out;
	struct pki_error err;
	char p1[256], p2[256];
	unsigned char *pos;

	assert_int_equal(pki_lockbox_seal_mem(id1, "ecdsa-p384", &plain, NULL,
					      0, NULL, f->kek, &img, &err),
			 PKI_OK);
	assert_int_equal(pki_lockbox_open_mem(img.data, img.size, id2,
					      "ecdsa-p384", NULL, 0, f->kek,
					      &out, &err), PKI_E_AUTH);
	assert_non_null(strstr(err.msg, "bound to key id"));
	assert_int_equal(pki_lockbox_open_mem(img.data, img.size, id1,
					      "ecdsa-p521", NULL, 0, f->kek,
					      &out, &err), PKI_E_AUTH);
	/* Rewriting the bound id or algorithm inside the file: AUTH. */
	pos = memmem(img.data, img.size, id1, strlen(id1));
	assert_non_null(pos);
	memcpy(pos, id2, strlen(id2));
	assert_int_equal(pki_lockbox_open_mem(img.data, img.size, id2,
					      "ecdsa-p384", NULL, 0, f->kek,
					      &out, &err), PKI_E_AUTH);
	memcpy(pos, id1, strlen(id1));
	pos = memmem(img.data, img.size, "ecdsa-p384", 10);
	assert_non_null(pos);
	memcpy(pos, "ecdsa-p256", 10);
	assert_int_equal(pki_lockbox_open_mem(img.data, img.size, id1,
					      "ecdsa-p256", NULL, 0, f->kek,
					      &out, &err), PKI_E_AUTH);
	memcpy(pos, "ecdsa-p384", 10);
	assert_int_equal(pki_lockbox_open_mem(img.data, img.size, id1,
					      "ecdsa-p384", NULL, 0, f->kek,
					      &out, &err), PKI_OK);
	gnutls_free(out.data);
	gnutls_free(img.data);

	/* A file copied over another key's name. */
	path_in(f, "a.key", p1, sizeof(p1));
	path_in(f, "b.key", p2, sizeof(p2));
	assert_int_equal(pki_lockbox_seal(p1, id1, "ecdsa-p384", &plain, NULL,
					  0, NULL, f->kek, &err), PKI_OK);
	assert_int_equal(rename(p1, p2), 0);
	assert_int_equal(pki_lockbox_open(p2, id2, "ecdsa-p384", NULL, 0,
					  f->kek, &out, &err), PKI_E_AUTH);
	assert_non_null(strstr(err.msg, p2));
}

static void
test_truncated(void **state)
{
	struct fixture *f = *state;
	gnutls_datum_t plain = { (unsigned char *)"0123456789abcdef", 16 };
	gnutls_datum_t img, out;
	unsigned char *longer;
	struct pki_error err;
	size_t n;
	int rc;

	assert_int_equal(pki_lockbox_seal_mem(id1, "rsa-4096", &plain, NULL, 0,
					      NULL, f->kek, &img, &err), PKI_OK);
	for (n = 0; n < img.size; n++) {
		rc = pki_lockbox_open_mem(img.data, n, id1, "rsa-4096", NULL, 0,
					  f->kek, &out, &err);
		if (rc != PKI_E_PARSE && rc != PKI_E_AUTH)
			fail_msg("truncating to %zu gave %d", n, rc);
	}
	/* Trailing garbage is tampering too. */
	longer = calloc(1, img.size + 1);
	assert_non_null(longer);
	memcpy(longer, img.data, img.size);
	assert_int_equal(pki_lockbox_open_mem(longer, img.size + 1, id1,
					      "rsa-4096", NULL, 0, f->kek,
					      &out, &err), PKI_E_AUTH);
	free(longer);
	gnutls_free(img.data);

	/* Passphrase kind: cut inside the header, at the tag, and by one. */
	assert_int_equal(pki_lockbox_seal_mem(id1, "rsa-4096", &plain, pass,
					      strlen(pass), &fast, NULL, &img,
					      &err), PKI_OK);
	for (n = 0; n < 60; n++)
		assert_int_equal(pki_lockbox_open_mem(img.data, n, id1,
			"rsa-4096", pass, strlen(pass), NULL, &out, &err),
			PKI_E_PARSE);
	assert_int_equal(pki_lockbox_open_mem(img.data, img.size - 16, id1,
		"rsa-4096", pass, strlen(pass), NULL, &out, &err), PKI_E_PARSE);
	assert_int_equal(pki_lockbox_open_mem(img.data, img.size - 1, id1,
		"rsa-4096", pass, strlen(pass), NULL, &out, &err), PKI_E_AUTH);
	assert_int_equal(pki_lockbox_open_mem(img.data, 0, id1,
		"rsa-4096", pass, strlen(pass), NULL, &out, &err), PKI_E_PARSE);
	gnutls_free(img.data);
}

static void
put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

/* Header offsets from lockbox.h. */
#define OFF_KIND 8
#define OFF_T 9
#define OFF_M 13
#define OFF_LANES 17

static void
test_absurd_params(void **state)
{
	static const struct { uint32_t t, m, lanes; } bad[] = {
		{ 1, 1048576u + 1, 1 },   /* > 1 GiB */
		{ 1, 4194304u, 1 },       /* 4 GiB: the old cap */
		{ 1, 0xffffffffu, 1 },
		{ 1, 8191, 1 },           /* < 8 MiB */
		{ 1, 0, 1 },
		{ 11, 8192, 1 },          /* > 10 passes */
		{ 100, 8192, 1 },         /* the old cap */
		{ 0xffffffffu, 8192, 1 },
		{ 0, 8192, 1 },
		{ 1, 8192, 0 },
		{ 1, 8192, 5 },           /* > 4 lanes */
		{ 1, 8192, 16 },          /* the old cap */
		{ 1, 8192, 0xffffffffu },
		/* All three at the old caps: 4 GiB x 100 passes x 16 lanes. */
		{ 100, 4194304u, 16 },
	};
	struct fixture *f = *state;
	gnutls_datum_t plain = { (unsigned char *)"x", 1 }, img, out;
	struct pki_argon2_params p;
	struct pki_lockbox_info info;
	struct pki_error err;
	double t0;
	size_t i;

	(void)f;
	assert_int_equal(pki_lockbox_seal_mem(id1, "ed25519", &plain, pass,
					      strlen(pass), &fast, NULL, &img,
					      &err), PKI_OK);
	t0 = now_s();
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		put32(img.data + OFF_T, bad[i].t);
		put32(img.data + OFF_M, bad[i].m);
		put32(img.data + OFF_LANES, bad[i].lanes);
		assert_int_equal(pki_lockbox_open_mem(img.data, img.size, NULL,
			NULL, pass, strlen(pass), NULL, &out, &err),
			PKI_E_PARSE);
		assert_non_null(strstr(err.msg, "Argon2id"));
		assert_int_equal(pki_lockbox_info_mem(img.data, img.size,
						       &info, &err), PKI_E_PARSE);
		/* Sealing with them is refused as well. */
		p.t_cost = bad[i].t;
		p.m_cost_kib = bad[i].m;
		p.lanes = bad[i].lanes;
		assert_int_equal(pki_lockbox_seal_mem(id1, "ed25519", &plain,
			pass, strlen(pass), &p, NULL, &out, &err),
			PKI_E_INVALID);
	}
	/* Refused before any Argon2 work: well under the time of one. */
	assert_true(now_s() - t0 < 0.5);
	/* The message names the limits a user can seal with. */
	assert_non_null(strstr(err.msg, "1048576 KiB"));
	assert_non_null(strstr(err.msg, "1..10 passes"));
	assert_non_null(strstr(err.msg, "1..4 lanes"));
	/* The caps themselves are accepted (header only: no Argon2 run). */
	put32(img.data + OFF_T, 10);
	put32(img.data + OFF_M, 1048576u);
	put32(img.data + OFF_LANES, 4);
	assert_int_equal(pki_lockbox_info_mem(img.data, img.size, &info, &err),
			 PKI_OK);
	assert_int_equal(info.argon2.m_cost_kib, 1048576u);
	assert_int_equal(info.argon2.t_cost, 10);
	assert_int_equal(info.argon2.lanes, 4);

	/* A key-file image must have zero Argon2 fields. */
	gnutls_free(img.data);
	assert_int_equal(pki_lockbox_seal_mem(id1, "ed25519", &plain, NULL, 0,
					      NULL, f->kek, &img, &err), PKI_OK);
	put32(img.data + OFF_M, 8192);
	assert_int_equal(pki_lockbox_open_mem(img.data, img.size, NULL, NULL,
					      NULL, 0, f->kek, &out, &err),
			 PKI_E_PARSE);
	/* Flipping the kind to passphrase: zero params are refused. */
	put32(img.data + OFF_M, 0);
	img.data[OFF_KIND] = PKI_LOCKBOX_PASSPHRASE;
	assert_int_equal(pki_lockbox_open_mem(img.data, img.size, NULL, NULL,
					      pass, strlen(pass), f->kek, &out,
					      &err), PKI_E_PARSE);
	gnutls_free(img.data);
}

/* Sealing with the defaults uses at least 64 MiB and 3 passes. */
static void
test_default_params(void **state)
{
	struct fixture *f = *state;
	gnutls_datum_t plain = { (unsigned char *)"default", 7 }, out;
	struct pki_lockbox_info info;
	struct pki_error err;
	char p[256];

	path_in(f, "default.key", p, sizeof(p));
	assert_int_equal(pki_lockbox_seal(p, id1, "ed25519", &plain, pass,
					  strlen(pass), NULL, NULL, &err),
			 PKI_OK);
	assert_int_equal(pki_lockbox_info(p, &info, &err), PKI_OK);
	assert_int_equal(info.kind, PKI_LOCKBOX_PASSPHRASE);
	assert_true(info.argon2.m_cost_kib >= 65536);
	assert_true(info.argon2.t_cost >= 3);
	assert_int_equal(info.argon2.lanes, 1);
	assert_int_equal(pki_lockbox_open(p, id1, "ed25519", pass, strlen(pass),
					  NULL, &out, &err), PKI_OK);
	assert_int_equal(out.size, 7);
	assert_memory_equal(out.data, "default", 7);
	gnutls_free(out.data);
}

static void
test_bad_inputs(void **state)
{
	struct fixture *f = *state;
	gnutls_datum_t plain = { (unsigned char *)"x", 1 }, empty = { NULL, 0 };
	gnutls_datum_t img, out;
	struct pki_lockbox_info info;
	struct pki_error err;
	char p[256];
	unsigned char junk[200];

	/* Neither or both secrets. */
	assert_int_equal(pki_lockbox_seal_mem(id1, "ed25519", &plain, NULL, 0,
					      NULL, NULL, &img, &err),
			 PKI_E_INVALID);
	assert_int_equal(pki_lockbox_seal_mem(id1, "ed25519", &plain, pass, 3,
					      &fast, f->kek, &img, &err),
			 PKI_E_INVALID);
	/* Names that could not be read back. */
	assert_int_equal(pki_lockbox_seal_mem("../x", "ed25519", &plain, NULL,
					      0, NULL, f->kek, &img, &err),
			 PKI_E_INVALID);
	assert_int_equal(pki_lockbox_seal_mem(id1, "", &plain, NULL, 0, NULL,
					      f->kek, &img, &err),
			 PKI_E_INVALID);
	assert_int_equal(pki_lockbox_seal_mem(id1, "ed25519", &empty, NULL, 0,
					      NULL, f->kek, &img, &err),
			 PKI_E_INVALID);
	/* Not a lockbox file at all; another format version. */
	memset(junk, 'A', sizeof(junk));
	assert_int_equal(pki_lockbox_open_mem(junk, sizeof(junk), NULL, NULL,
					      NULL, 0, f->kek, &out, &err),
			 PKI_E_PARSE);
	assert_int_equal(pki_lockbox_seal_mem(id1, "ed25519", &plain, NULL, 0,
					      NULL, f->kek, &img, &err), PKI_OK);
	img.data[7] = '2';
	assert_int_equal(pki_lockbox_info_mem(img.data, img.size, &info, &err),
			 PKI_E_PARSE);
	assert_non_null(strstr(err.msg, "version '2'"));
	gnutls_free(img.data);
	/* Missing file. */
	path_in(f, "missing.key", p, sizeof(p));
	assert_int_equal(pki_lockbox_open(p, NULL, NULL, NULL, 0, f->kek, &out,
					  &err), PKI_E_NOTFOUND);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_roundtrip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fresh_randomness, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_wrong_secret, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_flip_every_byte, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_swapped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_truncated, setup, teardown),
		cmocka_unit_test_setup_teardown(test_absurd_params, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_default_params, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_bad_inputs, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
