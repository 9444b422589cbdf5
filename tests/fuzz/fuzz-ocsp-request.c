/*
 * Fuzz target: pki_ocsp_request_parse() on arbitrary bytes.  A success
 * has 1..PKI_OCSP_MAX_IDS CertIDs whose hash lengths match their
 * algorithm, serials within bounds and without a leading zero octet,
 * CertID DER inside the input, and a nonce of at most 32 octets; a
 * failure leaves the request empty and says why.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "ocsp-int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pki_ocsp_request r;
	struct pki_error err;
	size_t i;

	pki_error_clear(&err);
	if (pki_ocsp_request_parse(data, size, &r, &err) != PKI_OK) {
		if (r.n != 0 || r.has_nonce || err.msg[0] == '\0')
			abort();
		return 0;
	}
	if (r.n < 1 || r.n > PKI_OCSP_MAX_IDS ||
	    r.nonce_len > PKI_OCSP_NONCE_MAX || (r.has_nonce && r.nonce_len == 0))
		abort();
	for (i = 0; i < r.n; i++) {
		const struct pki_ocsp_certid *c = &r.ids[i];

		if (c->hash_len != pki_ocsp_hash_len(c->hash) ||
		    c->serial_len < 1 || c->serial_len > PKI_OCSP_SERIAL_MAX ||
		    (c->serial_len > 1 && c->serial[0] == 0) ||
		    c->der < data || c->der + c->der_len > data + size)
			abort();
	}
	return 0;
}
