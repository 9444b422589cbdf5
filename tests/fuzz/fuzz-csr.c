/*
 * Fuzz target: PKCS#10 certificate requests as a client sends them to
 * `spork cert issue --csr` (and later EST/SCEP/ACME).
 *
 * An input starting with a DER SEQUENCE (0x30) or '-' (PEM) is a request
 * as is: parsing, the self-signature, the key checks.  Any other input
 * drives a small grammar (csr-gram.h) that builds a request GnuTLS
 * accepts and signs it, so that the input reaches spork's own checks:
 * the extensionRequest structure, duplicate and empty subjectAltNames,
 * the subject (duplicates, escapes, control characters, lengths), the
 * names for each profile, and the name-constraint check of every name a
 * relying party reads, against a CA with constraints of each kind.
 */
#include <config.h>

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <gnutls/gnutls.h>
#include <gnutls/abstract.h>
#include <gnutls/x509.h>

#include "enroll-int.h"
#include "profile-int.h"
#include "issue.h"
#include <spork/profile.h>
#include "csr-gram.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static gnutls_privkey_t key;            /* signs every built request */
static gnutls_datum_t ca;               /* a CA certificate with constraints */

/* The input, read front to back; zeros once it runs out. */
struct in {
	const uint8_t *p;
	size_t n;
};

static unsigned
take(struct in *in)
{
	if (in->n == 0)
		return 0;
	in->n--;
	return *in->p++;
}

static const uint8_t *
bytes(struct in *in, size_t *len)
{
	const uint8_t *p = in->p;

	if (*len > in->n)
		*len = in->n;
	in->p += *len;
	in->n -= *len;
	return p;
}

static int
set_key(gnutls_x509_crt_t crt)
{
	gnutls_pubkey_t pub = NULL;
	int ret;

	if ((ret = gnutls_pubkey_init(&pub)) < 0 ||
	    (ret = gnutls_pubkey_import_privkey(pub, key, 0, 0)) < 0 ||
	    (ret = gnutls_x509_crt_set_pubkey(crt, pub)) < 0)
		ret = -1;
	gnutls_pubkey_deinit(pub);
	return ret;
}

/* A self-signed CA permitting example.internal and 10/8, excluding
 * bad.example.internal, permitting email at example.internal. */
static int
make_ca(void)
{
	gnutls_x509_crt_t crt = NULL;
	gnutls_x509_name_constraints_t nc = NULL;
	gnutls_datum_t d;
	unsigned char net[8] = { 10, 0, 0, 0, 255, 0, 0, 0 };
	int ok = 0;

	if (gnutls_x509_crt_init(&crt) < 0 ||
	    gnutls_x509_name_constraints_init(&nc) < 0)
		goto out;
	d.data = (unsigned char *)"example.internal";
	d.size = 16;
	gnutls_x509_name_constraints_add_permitted(nc, GNUTLS_SAN_DNSNAME, &d);
	gnutls_x509_name_constraints_add_permitted(nc, GNUTLS_SAN_RFC822NAME,
						   &d);
	d.data = (unsigned char *)"bad.example.internal";
	d.size = 20;
	gnutls_x509_name_constraints_add_excluded(nc, GNUTLS_SAN_DNSNAME, &d);
	d.data = net;
	d.size = sizeof(net);
	gnutls_x509_name_constraints_add_permitted(nc, GNUTLS_SAN_IPADDRESS, &d);
	ok = gnutls_x509_crt_set_version(crt, 3) >= 0;
out:
	if (ok && gnutls_x509_crt_set_name_constraints(crt, nc, 1) >= 0 &&
	    gnutls_x509_crt_set_dn(crt, "CN=Fuzz CA", NULL) >= 0 &&
	    set_key(crt) >= 0 &&
	    gnutls_x509_crt_set_serial(crt, "\x01", 1) >= 0 &&
	    gnutls_x509_crt_set_activation_time(crt, 0) >= 0 &&
	    gnutls_x509_crt_set_expiration_time(crt, 2000000000) >= 0 &&
	    gnutls_x509_crt_set_basic_constraints(crt, 1, -1) >= 0 &&
	    gnutls_x509_crt_privkey_sign(crt, crt, key, GNUTLS_DIG_SHA256,
					 0) >= 0)
		(void)!gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_DER, &ca);
	if (nc != NULL)
		gnutls_x509_name_constraints_deinit(nc);
	if (crt != NULL)
		gnutls_x509_crt_deinit(crt);
	return 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (gnutls_privkey_init(&key) < 0 ||
	    gnutls_privkey_generate2(key, GNUTLS_PK_ECDSA,
			GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0,
			NULL, 0) < 0)
		return -1;
	return make_ca();
}

/* Grammar: [flags] [profile] RDN* (SAN extension (name*))* [other]. */
static int
build(struct in *in, gnutls_datum_t *der, unsigned *profile)
{
	static const char *const oids[] = {
		"2.5.4.3", "2.5.4.10", "2.5.4.11", "2.5.4.6", "2.5.4.8",
		"2.5.4.7", "1.2.840.113549.1.9.1", "2.5.4.5",
		"0.9.2342.19200300.100.1.25", "2.5.4.12",
	};
	static const unsigned char tags[] = { 0x0c, 0x13, 0x16, 0x1e, 0x14,
					      0x1c };
	static const unsigned char gn[] = { 0x82, 0x82, 0x81, 0x86, 0x87,
					    0xa0, 0xa4, 0x88 };
	struct csrg g;
	struct csrg_buf san[CSRG_MAX], names;
	unsigned f = take(in), nsan, i, k, sel;
	size_t len;
	int rc;

	memset(&g, 0, sizeof(g));
	memset(san, 0, sizeof(san));
	*profile = take(in);
	g.nrdn = f & 3;
	g.nattr = (f >> 2) & 1 ? 2 : 1;
	g.nvalues = (f >> 3) & 1 ? 2 : 1;
	nsan = (f >> 4) & 3;
	for (i = 0; i < g.nrdn; i++) {
		sel = take(in);
		g.rdn[i].oid = oids[sel % (sizeof(oids) / sizeof(oids[0]))];
		g.rdn[i].tag = tags[(sel >> 4) % sizeof(tags)];
		len = take(in) % 80;
		g.rdn[i].v = bytes(in, &len);
		g.rdn[i].len = len;
	}
	for (i = 0; i < nsan && g.next < CSRG_MAX; i++) {
		memset(&names, 0, sizeof(names));
		for (k = take(in) % 5; k > 0; k--) {
			sel = take(in);
			len = take(in) % 72;
			csrg_name(&names, gn[sel % sizeof(gn)], bytes(in, &len),
				  len);
		}
		csrg_tlv(&san[i], 0x30, names.p, names.n);
		csrg_free(&names);
		g.ext[g.next].oid = "2.5.29.17";
		g.ext[g.next].critical = (int)(take(in) & 1);
		g.ext[g.next].v = san[i].p;
		g.ext[g.next].len = san[i].n;
		g.next++;
	}
	if ((f >> 6) & 1) {
		/* the rest of the input as the value of another extension */
		len = in->n;
		g.ext[g.next].oid = (f >> 7) ? "2.5.29.15" : "2.5.29.17";
		g.ext[g.next].v = bytes(in, &len);
		g.ext[g.next].len = len;
		g.next++;
	}
	rc = csrg_build(&g, key, der);
	for (i = 0; i < CSRG_MAX; i++)
		csrg_free(&san[i]);
	return rc;
}

/* What enroll does with a parsed request before it touches a CA. */
static void
enroll_checks(gnutls_x509_crq_t crq, unsigned profile)
{
	static const enum pki_profile_id ids[] = {
		PKI_PROFILE_TLS_SERVER, PKI_PROFILE_TLS_CLIENT,
		PKI_PROFILE_CODE_SIGNING, PKI_PROFILE_EMAIL,
		PKI_PROFILE_OCSP_SIGNING,
	};
	const struct pki_profile *p = pki_profile_get(ids[profile % 5]);
	struct pki_subject subj;
	struct pki__names n;
	struct pki_error err;

	memset(&subj, 0, sizeof(subj));
	memset(&n, 0, sizeof(n));
	if (pki__enroll_subject_crq(crq, &subj, &err) == PKI_OK &&
	    pki__enroll_names_crq(crq, &n, &err) == PKI_OK &&
	    pki__enroll_settle(p, &subj, &n, &err) == PKI_OK && ca.size > 0)
		(void)!pki__enroll_constraints(&subj, &n, &ca, 1, &err);
	pki_subject_clear(&subj);
	pki__names_clear(&n);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pki_cert_template tpl;
	struct pki_error err;
	gnutls_x509_crq_t crq = NULL;
	gnutls_datum_t in = { NULL, 0 }, built = { NULL, 0 };
	struct in g = { data, size };
	unsigned profile = 0;

	if (size > UINT32_MAX)
		return 0;
	if (size > 0 && (data[0] == 0x30 || data[0] == '-')) {
		in.data = (unsigned char *)data;
		in.size = (unsigned)size;
	} else {
		if (key == NULL)
			LLVMFuzzerInitialize(NULL, NULL);
		if (key == NULL || build(&g, &built, &profile) != 0)
			return 0;
		in = built;
	}
	if (pki_issue_parse_csr(&in, &crq, &err) == PKI_OK) {
		enroll_checks(crq, profile);
		memset(&tpl, 0, sizeof(tpl));
		tpl.path_len = -1;
		tpl.profile = pki_profile_get(PKI_PROFILE_TLS_SERVER);
		(void)!pki_issue_template_from_csr(crq, &tpl, &err);
		pki_cert_template_clear(&tpl);
		gnutls_x509_crq_deinit(crq);
	}
	gnutls_free(built.data);
	return 0;
}
