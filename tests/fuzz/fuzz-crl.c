/*
 * Fuzz target: reading a CRL (DER or PEM) as `spork crl show` does:
 * pki_crl_parse, then every entry through the iterator, then the
 * printable fields, which must be NUL-terminated and bounded.
 *
 * The corpus (tests/fuzz/corpus/crl) holds CRLs written by the builder:
 * empty, every reason with invalidity dates, a delta with removeFromCRL,
 * IDP and freshestCRL, RSA and Ed25519 issuers, GeneralizedTime dates,
 * and the PEM form.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <spork/crl.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pki_crl *crl = NULL;
	struct pki_crl_entry e;
	struct pki_error err;
	size_t n = 0, sum = 0;

	if (pki_crl_parse(data, size, &crl, &err) != PKI_OK) {
		if (crl != NULL || strlen(err.msg) == 0)
			__builtin_trap();
		return 0;
	}
	while (pki_crl_entry_next(crl, &e) == 1) {
		if (e.serial_len == 0 || e.serial_len > PKI_CRL_SERIAL_MAX ||
		    (e.reason != -1 && pki_crl_reason_name(e.reason) == NULL))
			__builtin_trap();
		sum += e.serial[e.serial_len - 1];
		n++;
	}
	if (n != crl->entry_count)
		__builtin_trap();
	sum += strlen(crl->issuer) + strlen(crl->number_hex) +
	       strlen(crl->sign_oid);
	if (crl->idp_url != NULL)
		sum += strlen(crl->idp_url);
	if (crl->freshest_url != NULL)
		sum += strlen(crl->freshest_url);
	pki_crl_free(crl);
	return sum == (size_t)-1;
}
