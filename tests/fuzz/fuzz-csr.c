/*
 * Fuzz target: PKCS#10 certificate requests as a client sends them to
 * `spork cert issue --csr` (and later EST/SCEP/ACME): PEM or DER parsing,
 * the self-signature check, the weak-key check, and copying the requested
 * names into a certificate template.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "profile-int.h"
#include "issue.h"
#include <spork/profile.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pki_cert_template tpl;
	struct pki_error err;
	gnutls_x509_crq_t crq = NULL;
	gnutls_pubkey_t pub = NULL;
	gnutls_datum_t in;
	size_t i;

	in.data = (unsigned char *)data;
	in.size = (unsigned)size;
	if (size > UINT32_MAX)
		return 0;
	if (pki_issue_parse_csr(&in, &crq, &err) != PKI_OK)
		return 0;
	memset(&tpl, 0, sizeof(tpl));
	tpl.path_len = -1;
	tpl.profile = pki_profile_get(PKI_PROFILE_TLS_SERVER);
	if (pki_issue_template_from_csr(crq, &tpl, &err) == PKI_OK) {
		for (i = 0; i < tpl.san_dns.n; i++)
			(void)!pki_san_check(PKI_SAN_DNS, tpl.san_dns.v[i], 1,
					     &err);
		for (i = 0; i < tpl.san_email.n; i++)
			(void)!pki_san_check(PKI_SAN_EMAIL, tpl.san_email.v[i],
					     0, &err);
		for (i = 0; i < tpl.san_uri.n; i++)
			(void)!pki_san_check(PKI_SAN_URI, tpl.san_uri.v[i], 0,
					     &err);
	}
	if (pki_issue_pubkey_from_csr(crq, &pub, &err) == PKI_OK)
		gnutls_pubkey_deinit(pub);
	pki_cert_template_clear(&tpl);
	gnutls_x509_crq_deinit(crq);
	return 0;
}
