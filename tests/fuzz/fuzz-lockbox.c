/*
 * Fuzz target: parsing and opening a sealed lockbox file image.
 *
 * The image carries its own Argon2id parameters, so inputs asking for
 * more than the cheapest accepted cost (8 MiB, 1 pass, 1 lane) are only
 * parsed, not opened: the header check is what protects real readers
 * from absurd values, and it is exercised for every input.  The corpus
 * seeds are sealed with the passphrase and KEK below, so the successful
 * open path is reached too.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <gnutls/gnutls.h>

#include "lockbox.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char fuzz_pass[] = "spork-fuzz";
static const unsigned char fuzz_kek[PKI_LOCKBOX_KEK_SIZE] = {
	0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42,
	0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42,
	0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42,
	0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42,
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pki_lockbox_info info;
	struct pki_error err;
	gnutls_datum_t plain = { NULL, 0 };
	int rc;

	rc = pki_lockbox_info_mem(data, size, &info, &err);
	if (rc != PKI_OK)
		return 0;
	if (info.kind == PKI_LOCKBOX_PASSPHRASE &&
	    (info.argon2.m_cost_kib > PKI_ARGON2_MIN_KIB ||
	     info.argon2.t_cost > PKI_ARGON2_MIN_PASSES ||
	     info.argon2.lanes > 1))
		return 0;
	rc = pki_lockbox_open_mem(data, size, info.key_id, info.alg, fuzz_pass,
				  strlen(fuzz_pass), fuzz_kek, &plain, &err);
	if (rc == PKI_OK) {
		/* A success must return exactly the ciphertext's length. */
		if (plain.data == NULL || plain.size == 0 ||
		    plain.size > PKI_LOCKBOX_MAX_PLAIN)
			__builtin_trap();
		pki_memzero(plain.data, plain.size);
		gnutls_free(plain.data);
	} else if (plain.data != NULL) {
		__builtin_trap();
	}
	return 0;
}
