/*
 * spork-serve: every enabled protocol module on one port, one process per
 * connection (spork-serve(8)): /ocsp, /crl/, /ca/, /health and /metrics.
 *
 * Security notes: as spork-ocsp (runtime.h): online keys only, nothing
 * read before the state is open, every request bounded, nothing written
 * on a client's behalf.
 */
#include <config.h>

#include "runtime.h"

int
main(int argc, char **argv)
{
	static const struct hd_handler h = {
		.name = "spork-serve",
		.serve = { .modules = PKI_SERVE_OCSP | PKI_SERVE_CRL |
			   PKI_SERVE_CA | PKI_SERVE_HEALTH |
			   PKI_SERVE_METRICS,
			   .ocsp_mount = "/ocsp" },
	};

	return hd_main(argc, argv, &h);
}
