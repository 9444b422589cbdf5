/*
 * bench-issue: fill a bench CA with certificates through libpki's
 * enroll path (what `spork cert issue` does, without a process per
 * certificate), and write the OpenSSL index.txt of the same
 * certificates, for `openssl ocsp -index`.
 *
 *   bench-issue STATE-DIR CA-NAME N CSR-FILE INDEX-FILE FIRST-PEM
 *
 * Certificate i is h<i>.bench.example from the CSR's key; one in ten
 * (i % 10 == 5) is revoked (superseded).  FIRST-PEM is certificate 0.
 * Each issuance is durable in the store, as from the CLI.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gnutls/gnutls.h>

#include <spork/enroll.h>
#include <spork/state.h>

/* YYMMDDHHMMSSZ, as index.txt writes times. */
static void
asn1_time(int64_t t, char buf[16])
{
	time_t tt = (time_t)t;
	struct tm tm;
	char full[32];

	gmtime_r(&tt, &tm);
	/* the four-digit year, cut to two as index.txt wants */
	strftime(full, sizeof(full), "%Y%m%d%H%M%SZ", &tm);
	memcpy(buf, full + 2, 13);
	buf[13] = '\0';
}

int
main(int argc, char **argv)
{
	struct pki_state_opts o;
	struct pki_state *s = NULL;
	struct pki_enroll e = { NULL, "bench", "bench" };
	struct pki_enroll_request req;
	struct pki_enroll_result res;
	struct pki_cert_record rev;
	struct pki_error err;
	gnutls_datum_t csr = { NULL, 0 }, pem = { NULL, 0 };
	char cn[64], na[16], ra[16];
	FILE *idx = NULL, *f;
	long n, i;
	int rc = 1;

	if (argc != 7 || (n = atol(argv[3])) <= 0) {
		fprintf(stderr, "usage: bench-issue STATE-DIR CA-NAME N "
			"CSR-FILE INDEX-FILE FIRST-PEM\n");
		return 2;
	}
	gnutls_global_init();
	pki_error_clear(&err);
	memset(&o, 0, sizeof(o));
	o.purpose = PKI_STATE_CLI;
	o.actor = "bench";
	if (gnutls_load_file(argv[4], &csr) < 0 ||
	    (idx = fopen(argv[5], "w")) == NULL) {
		fprintf(stderr, "bench-issue: cannot read %s or write %s\n",
			argv[4], argv[5]);
		goto out;
	}
	if (pki_state_open(argv[1], &o, &s, &err) != PKI_OK)
		goto fail;
	e.state = s;
	for (i = 0; i < n; i++) {
		memset(&req, 0, sizeof(req));
		req.ca_name = argv[2];
		req.profile = "tls-server";
		req.csr = &csr;
		snprintf(cn, sizeof(cn), "h%ld.bench.example", i);
		req.cn = cn;
		if (pki_enroll_add_sans(&req, cn, &err) != PKI_OK ||
		    pki_enroll_issue(&e, &req, &res, &err) != PKI_OK) {
			pki_enroll_request_clear(&req);
			goto fail;
		}
		pki_enroll_request_clear(&req);
		asn1_time(res.rec.not_after, na);
		ra[0] = '\0';
		if (i % 10 == 5) {
			memset(&rev, 0, sizeof(rev));
			if (pki_enroll_revoke(&e, res.rec.serial, argv[2], 4, 0,
					      &rev, &err) != PKI_OK) {
				pki_enroll_result_clear(&res);
				goto fail;
			}
			asn1_time(rev.revoked_at, ra);
			pki_cert_record_clear(&rev);
		}
		/* index.txt: status, expiry, revocation, serial, file, DN */
		fprintf(idx, "%s\t%s\t%s%s\t%s\tunknown\t/CN=%s\n",
			ra[0] ? "R" : "V", na, ra, ra[0] ? ",superseded" : "",
			res.rec.serial, cn);
		if (i == 0) {
			if (gnutls_pem_base64_encode2("CERTIFICATE", &res.der,
						      &pem) < 0 ||
			    (f = fopen(argv[6], "w")) == NULL) {
				pki_enroll_result_clear(&res);
				goto out;
			}
			fwrite(pem.data, 1, pem.size, f);
			fclose(f);
		}
		pki_enroll_result_clear(&res);
	}
	rc = 0;
	goto out;
fail:
	fprintf(stderr, "bench-issue: %s\n", err.msg);
out:
	if (idx != NULL && fclose(idx) != 0)
		rc = 1;
	pki_state_close(s);
	gnutls_free(csr.data);
	gnutls_free(pem.data);
	gnutls_global_deinit();
	return rc;
}
