/*
 * ocsp: requests made by openssl ocsp (tests/data/ocsp) and by GnuTLS's
 * OCSP request API (what ocsptool sends) decode to their CertIDs and
 * nonce; everything out of bounds or malformed is refused.
 */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include <gnutls/gnutls.h>
#include <gnutls/ocsp.h>

#include "ocsp-int.h"

#ifndef TOP_SRCDIR
#define TOP_SRCDIR "."
#endif

static gnutls_datum_t
data_file(const char *name)
{
	char path[512];
	const char *top = getenv("top_srcdir");
	gnutls_datum_t d = { NULL, 0 };

	snprintf(path, sizeof(path), "%s/tests/data/ocsp/%s",
		 top != NULL ? top : TOP_SRCDIR, name);
	if (gnutls_load_file(path, &d) < 0)
		fail_msg("cannot read %s", path);
	return d;
}

static void
test_openssl_requests(void **state)
{
	struct pki_ocsp_request r;
	struct pki_error err;
	gnutls_datum_t d;

	(void)state;
	d = data_file("sha1-nonce.der");
	assert_int_equal(pki_ocsp_request_parse(d.data, d.size, &r, &err),
			 PKI_OK);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.ids[0].hash, PKI_OCSP_SHA1);
	assert_int_equal(r.ids[0].hash_len, 20);
	assert_int_equal(r.ids[0].serial_len, 2);
	assert_memory_equal(r.ids[0].serial, "\x12\x34", 2);
	assert_true(r.has_nonce);
	assert_int_equal(r.nonce_len, 16);
	assert_false(r.is_signed);
	/* The CertID as sent: a SEQUENCE inside the request. */
	assert_int_equal(r.ids[0].der[0], 0x30);
	assert_true(r.ids[0].der >= d.data &&
		    r.ids[0].der + r.ids[0].der_len <= d.data + d.size);
	gnutls_free(d.data);

	d = data_file("two-nononce.der");
	assert_int_equal(pki_ocsp_request_parse(d.data, d.size, &r, &err),
			 PKI_OK);
	assert_int_equal(r.n, 2);
	assert_false(r.has_nonce);
	/* 0x00ff is the INTEGER 00 FF: one octet of value */
	assert_int_equal(r.ids[0].serial_len, 1);
	assert_int_equal(r.ids[0].serial[0], 0xff);
	assert_int_equal(r.ids[1].serial[0], 0x01);
	gnutls_free(d.data);

	d = data_file("sha256.der");
	assert_int_equal(pki_ocsp_request_parse(d.data, d.size, &r, &err),
			 PKI_OK);
	assert_int_equal(r.ids[0].hash, PKI_OCSP_SHA256);
	assert_int_equal(r.ids[0].hash_len, 32);
	gnutls_free(d.data);
}

/* A request made with GnuTLS: n CertIDs of hash dig with hash_len-byte
 * issuer hashes, and a nonce of nonce_len bytes (0: none). */
static gnutls_datum_t
gnutls_request(unsigned n, gnutls_digest_algorithm_t dig, size_t hash_len,
	       const unsigned char *serial, size_t serial_len,
	       size_t nonce_len)
{
	gnutls_ocsp_req_t req;
	unsigned char h[64], nonce[64];
	gnutls_datum_t nh = { h, (unsigned)hash_len },
		       kh = { h, (unsigned)hash_len },
		       sn = { (unsigned char *)serial, (unsigned)serial_len },
		       nd = { nonce, (unsigned)nonce_len }, out = { NULL, 0 };
	unsigned i;

	memset(h, 0xab, sizeof(h));
	memset(nonce, 0x5a, sizeof(nonce));
	assert_int_equal(gnutls_ocsp_req_init(&req), 0);
	for (i = 0; i < n; i++)
		assert_int_equal(gnutls_ocsp_req_add_cert_id(req, dig, &nh,
							     &kh, &sn), 0);
	if (nonce_len > 0)
		assert_int_equal(gnutls_ocsp_req_set_nonce(req, 0, &nd), 0);
	assert_int_equal(gnutls_ocsp_req_export(req, &out), 0);
	gnutls_ocsp_req_deinit(req);
	return out;
}

static int
parse_d(gnutls_datum_t d, struct pki_ocsp_request *r)
{
	struct pki_error err;
	int rc = pki_ocsp_request_parse(d.data, d.size, r, &err);

	gnutls_free(d.data);
	return rc;
}

static void
test_gnutls_requests(void **state)
{
	static const unsigned char s1[] = { 0x01, 0x02, 0x03 };
	static const unsigned char s20[20] = { 0x7f, 1, 2, 3 };
	static const unsigned char s21[21] = { 0x7f, 1 };
	static const unsigned char neg[] = { 0x80, 0x01 };
	struct pki_ocsp_request r;

	(void)state;
	assert_int_equal(parse_d(gnutls_request(1, GNUTLS_DIG_SHA1, 20, s1,
						sizeof(s1), 32), &r), PKI_OK);
	assert_int_equal(r.nonce_len, 32);
	assert_memory_equal(r.ids[0].serial, s1, sizeof(s1));
	assert_int_equal(parse_d(gnutls_request(16, GNUTLS_DIG_SHA512, 64, s20,
						sizeof(s20), 1), &r), PKI_OK);
	assert_int_equal(r.n, 16);
	assert_int_equal(r.ids[15].hash, PKI_OCSP_SHA512);
	assert_int_equal(r.ids[15].serial_len, 20);
	/* 17 CertIDs, a 33-byte nonce, a 21-octet serial, a negative serial,
	 * hashes of the wrong length, a hash spork does not take. */
	assert_int_equal(parse_d(gnutls_request(17, GNUTLS_DIG_SHA1, 20, s1,
						sizeof(s1), 0), &r), PKI_E_PARSE);
	assert_int_equal(parse_d(gnutls_request(1, GNUTLS_DIG_SHA1, 20, s1,
						sizeof(s1), 33), &r), PKI_E_PARSE);
	assert_int_equal(parse_d(gnutls_request(1, GNUTLS_DIG_SHA1, 20, s21,
						sizeof(s21), 0), &r), PKI_E_PARSE);
	assert_int_equal(parse_d(gnutls_request(1, GNUTLS_DIG_SHA1, 20, neg,
						sizeof(neg), 0), &r), PKI_E_PARSE);
	assert_int_equal(parse_d(gnutls_request(1, GNUTLS_DIG_SHA1, 32, s1,
						sizeof(s1), 0), &r), PKI_E_PARSE);
	assert_int_equal(parse_d(gnutls_request(1, GNUTLS_DIG_SHA256, 20, s1,
						sizeof(s1), 0), &r), PKI_E_PARSE);
	assert_int_equal(parse_d(gnutls_request(1, GNUTLS_DIG_MD5, 16, s1,
						sizeof(s1), 0), &r),
			 PKI_E_UNSUPPORTED);
	assert_int_equal(r.n, 0);
}

static void
test_garbage(void **state)
{
	struct pki_ocsp_request r;
	struct pki_error err;
	gnutls_datum_t d = data_file("sha1-nonce.der");
	unsigned char *buf = malloc(d.size + 1);
	size_t cut;

	(void)state;
	assert_non_null(buf);
	/* every truncation */
	for (cut = 0; cut < d.size; cut++)
		assert_int_not_equal(pki_ocsp_request_parse(d.data, cut, &r,
							    &err), PKI_OK);
	/* trailing data */
	memcpy(buf, d.data, d.size);
	buf[d.size] = 0;
	assert_int_equal(pki_ocsp_request_parse(buf, d.size + 1, &r, &err),
			 PKI_E_PARSE);
	/* a long form length where the short one fits: not DER */
	assert_int_equal(pki_ocsp_request_parse((const unsigned char *)
						"\x30\x81\x03\x30\x01\x00", 6,
						&r, &err), PKI_E_PARSE);
	assert_int_equal(pki_ocsp_request_parse((const unsigned char *)"x", 1,
						&r, &err), PKI_E_PARSE);
	free(buf);
	gnutls_free(d.data);
}

/* A self-signed P-256 CA for signing responses. */
static void
make_ca(gnutls_x509_crt_t *crt, gnutls_privkey_t *key)
{
	gnutls_x509_privkey_t xk;
	unsigned char serial[] = { 0x01 };
	time_t now = time(NULL);

	assert_int_equal(gnutls_x509_privkey_init(&xk), 0);
	assert_int_equal(gnutls_x509_privkey_generate(xk, GNUTLS_PK_ECDSA,
		GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0), 0);
	assert_int_equal(gnutls_x509_crt_init(crt), 0);
	assert_int_equal(gnutls_x509_crt_set_version(*crt, 3), 0);
	assert_int_equal(gnutls_x509_crt_set_serial(*crt, serial, 1), 0);
	assert_int_equal(gnutls_x509_crt_set_dn(*crt, "CN=OCSP unit CA", NULL),
			 0);
	assert_int_equal(gnutls_x509_crt_set_issuer_dn(*crt, "CN=OCSP unit CA",
						       NULL), 0);
	assert_int_equal(gnutls_x509_crt_set_activation_time(*crt, now - 60), 0);
	assert_int_equal(gnutls_x509_crt_set_expiration_time(*crt, now + 86400),
			 0);
	assert_int_equal(gnutls_x509_crt_set_key(*crt, xk), 0);
	assert_int_equal(gnutls_x509_crt_set_basic_constraints(*crt, 1, -1), 0);
	assert_int_equal(gnutls_x509_crt_set_key_usage(*crt,
		GNUTLS_KEY_KEY_CERT_SIGN | GNUTLS_KEY_CRL_SIGN |
		GNUTLS_KEY_DIGITAL_SIGNATURE), 0);
	assert_int_equal(gnutls_x509_crt_sign2(*crt, *crt, xk, GNUTLS_DIG_SHA256,
					       0), 0);
	assert_int_equal(gnutls_privkey_init(key), 0);
	assert_int_equal(gnutls_privkey_import_x509(*key, xk,
		GNUTLS_PRIVKEY_IMPORT_AUTO_RELEASE), 0);
}

static void
test_response(void **state)
{
	struct pki_ocsp_request req;
	struct pki_ocsp_single one[2];
	struct pki_ocsp_response_params p;
	struct pki_error err;
	gnutls_x509_crt_t ca;
	gnutls_privkey_t key;
	gnutls_ocsp_resp_t resp;
	gnutls_datum_t d, der = { NULL, 0 }, sn, nonce;
	unsigned int verify = 99, cstatus, reason;
	time_t tu, nu, rt;
	int64_t now = (int64_t)time(NULL) / 60 * 60;

	(void)state;
	make_ca(&ca, &key);
	d = data_file("sha1-nonce.der");
	assert_int_equal(pki_ocsp_request_parse(d.data, d.size, &req, &err),
			 PKI_OK);
	/* the same CertID asked twice: once good, once revoked */
	req.ids[1] = req.ids[0];
	memset(one, 0, sizeof(one));
	one[0].id = &req.ids[0];
	one[0].status = PKI_OCSP_GOOD;
	one[0].this_update = now;
	one[0].next_update = now + 3600;
	one[1].id = &req.ids[1];
	one[1].status = PKI_OCSP_REVOKED;
	one[1].revocation_time = now - 7200;
	one[1].reason = 1;                     /* keyCompromise */
	one[1].this_update = now;
	memset(&p, 0, sizeof(p));
	p.signer = ca;
	p.key = key;
	p.produced_at = now;
	p.singles = one;
	p.n = 2;
	p.nonce = req.nonce;
	p.nonce_len = req.nonce_len;
	if (pki_ocsp_response_build(&p, &der, &err) != PKI_OK)
		fail_msg("build: %s", err.msg);

	/* GnuTLS (what ocsptool and gnutls-cli use) reads and verifies it. */
	assert_int_equal(gnutls_ocsp_resp_init(&resp), 0);
	assert_int_equal(gnutls_ocsp_resp_import(resp, &der), 0);
	assert_int_equal(gnutls_ocsp_resp_get_status(resp),
			 GNUTLS_OCSP_RESP_SUCCESSFUL);
	assert_int_equal(gnutls_ocsp_resp_verify_direct(resp, ca, &verify, 0),
			 0);
	assert_int_equal(verify, 0);
	assert_int_equal(gnutls_ocsp_resp_get_single(resp, 0, NULL, NULL, NULL,
						     &sn, &cstatus, &tu, &nu,
						     &rt, &reason), 0);
	assert_int_equal(cstatus, GNUTLS_OCSP_CERT_GOOD);
	assert_int_equal(sn.size, 2);
	assert_memory_equal(sn.data, "\x12\x34", 2);
	assert_int_equal((int64_t)tu, now);
	assert_int_equal((int64_t)nu, now + 3600);
	gnutls_free(sn.data);
	assert_int_equal(gnutls_ocsp_resp_get_single(resp, 1, NULL, NULL, NULL,
						     &sn, &cstatus, &tu, &nu,
						     &rt, &reason), 0);
	assert_int_equal(cstatus, GNUTLS_OCSP_CERT_REVOKED);
	assert_int_equal((int64_t)rt, now - 7200);
	assert_int_equal(reason, GNUTLS_X509_CRLREASON_KEYCOMPROMISE);
	assert_int_equal(nu, (time_t)-1);     /* no nextUpdate */
	gnutls_free(sn.data);
	assert_int_equal(gnutls_ocsp_resp_get_nonce(resp, NULL, &nonce), 0);
	assert_int_equal(nonce.size, req.nonce_len);
	assert_memory_equal(nonce.data, req.nonce, req.nonce_len);
	gnutls_free(nonce.data);
	gnutls_ocsp_resp_deinit(resp);
	gnutls_free(der.data);

	/* An error response carries its status and nothing else. */
	assert_int_equal(pki_ocsp_response_error(6, &der, &err), PKI_OK);
	assert_int_equal(gnutls_ocsp_resp_init(&resp), 0);
	assert_int_equal(gnutls_ocsp_resp_import(resp, &der), 0);
	assert_int_equal(gnutls_ocsp_resp_get_status(resp),
			 GNUTLS_OCSP_RESP_UNAUTHORIZED);
	gnutls_ocsp_resp_deinit(resp);
	gnutls_free(der.data);
	assert_int_equal(pki_ocsp_response_error(1, &der, &err), PKI_OK);
	assert_int_equal(der.size, 5);        /* 30 03 0a 01 01 */
	assert_memory_equal(der.data, "\x30\x03\x0a\x01\x01", 5);
	gnutls_free(der.data);
	assert_int_equal(pki_ocsp_response_error(4, &der, &err), PKI_E_INVALID);

	gnutls_free(d.data);
	gnutls_privkey_deinit(key);
	gnutls_x509_crt_deinit(ca);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_openssl_requests),
		cmocka_unit_test(test_gnutls_requests),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_response),
	};

	gnutls_global_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
