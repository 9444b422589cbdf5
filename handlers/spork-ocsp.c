/*
 * spork-ocsp: the OCSP responder, one process per connection (spork-ocsp(8)).
 *
 * Security notes:
 *  - the state directory is opened for online use: offline CA keys are
 *    refused before any of their files is opened (the unit also makes
 *    lockbox/offline/ inaccessible);
 *  - no byte is read from the client before the store is open and the
 *    process is hardened (hd_main);
 *  - every request is bounded (HTTP limits, 16 CertIDs, the nonce size)
 *    and answered from the store; nothing in a request is written.
 */
#include <config.h>

#include "runtime.h"

int
main(int argc, char **argv)
{
	static const struct hd_handler h = {
		.name = "spork-ocsp",
		.serve = { .modules = PKI_SERVE_OCSP, .ocsp_mount = "/" },
	};

	return hd_main(argc, argv, &h);
}
