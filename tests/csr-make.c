/*
 * csr-make KIND: write (PEM, on stdout) a request that is well signed
 * but malformed in one way, for tests/cli/cert-names.sh:
 *   two-san      two subjectAltName extensions
 *   two-extreq   two extensionRequest attributes
 *   two-values   one extensionRequest holding two lists of extensions
 *   empty-san    a subjectAltName with no name
 *   empty-dns    a subjectAltName holding an empty dNSName
 *   good         none of these (the control)
 */
#include <config.h>

#include <stdio.h>
#include <string.h>

#include <gnutls/gnutls.h>
#include <gnutls/abstract.h>

#include "fuzz/csr-gram.h"

static void
san(struct csrg_buf *b, const char *dns)
{
	struct csrg_buf names = { 0 };

	if (dns != NULL)
		csrg_name(&names, 0x82, dns, strlen(dns));
	csrg_tlv(b, 0x30, names.p, names.n);
	csrg_free(&names);
}

int
main(int argc, char **argv)
{
	struct csrg g;
	struct csrg_buf a = { 0 }, b = { 0 };
	gnutls_privkey_t key = NULL;
	gnutls_datum_t der = { NULL, 0 }, pem = { NULL, 0 };
	const char *kind = argc > 1 ? argv[1] : "";
	int rc = 1;

	memset(&g, 0, sizeof(g));
	g.rdn[0].oid = "2.5.4.3";
	g.rdn[0].tag = 0x0c;
	g.rdn[0].v = (const unsigned char *)"a.example.internal";
	g.rdn[0].len = strlen("a.example.internal");
	g.nrdn = 1;
	g.nattr = 1;
	g.nvalues = 1;
	san(&a, "a.example.internal");
	san(&b, "b.other.test");
	g.ext[0].oid = "2.5.29.17";
	g.ext[0].v = a.p;
	g.ext[0].len = a.n;
	g.next = 1;
	if (strcmp(kind, "two-san") == 0) {
		g.ext[1] = g.ext[0];
		g.ext[1].v = b.p;
		g.ext[1].len = b.n;
		g.next = 2;
	} else if (strcmp(kind, "two-extreq") == 0) {
		g.nattr = 2;
	} else if (strcmp(kind, "two-values") == 0) {
		g.nvalues = 2;
	} else if (strcmp(kind, "empty-san") == 0) {
		b.n = 0;
		san(&b, NULL);
		g.ext[0].v = b.p;
		g.ext[0].len = b.n;
	} else if (strcmp(kind, "empty-dns") == 0) {
		b.n = 0;
		san(&b, "");
		g.ext[0].v = b.p;
		g.ext[0].len = b.n;
	} else if (strcmp(kind, "good") != 0) {
		fprintf(stderr, "usage: csr-make two-san|two-extreq|two-values|"
			"empty-san|empty-dns|good\n");
		goto out;
	}
	if (gnutls_privkey_init(&key) < 0 ||
	    gnutls_privkey_generate2(key, GNUTLS_PK_ECDSA,
			GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0,
			NULL, 0) < 0 ||
	    csrg_build(&g, key, &der) != 0 ||
	    gnutls_pem_base64_encode2("CERTIFICATE REQUEST", &der, &pem) < 0) {
		fprintf(stderr, "csr-make: building the request failed\n");
		goto out;
	}
	fwrite(pem.data, 1, pem.size, stdout);
	rc = 0;
out:
	gnutls_free(pem.data);
	gnutls_free(der.data);
	if (key != NULL)
		gnutls_privkey_deinit(key);
	csrg_free(&a);
	csrg_free(&b);
	return rc;
}
