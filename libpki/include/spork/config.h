/*
 * config: spork.toml, the settings of one spork installation.
 *
 * The file is TOML 1.0 (parsed by toml.h) and documented in spork.toml(5).
 * Every key is optional; an absent key means the built-in default.
 * Today it holds:
 *
 *     state_dir = "/var/lib/spork"     # absolute path
 *     [keys]
 *     pkcs11_module = "/usr/lib/softhsm/libsofthsm2.so"
 *     argon2_memory_kib = 65536        # new offline keys (8192..1048576)
 *     argon2_passes = 3                # (1..10)
 *     argon2_lanes = 1                 # (1..4)
 *     [crl]
 *     next_update = "7d"               # full CRLs: thisUpdate to nextUpdate
 *     delta_next_update = "1d"         # delta CRLs
 *     [http]                           # the handlers' connections
 *     max_requests = 100               # per connection (1..10000)
 *     idle_timeout = "10s"             # waiting for the client
 *     total_timeout = "60s"            # a whole connection
 *     max_body_kib = 1024              # a request body (1..65536)
 *     trusted_proxies = ["127.0.0.1", "10.0.0.0/8"] # see forwarded.h
 *     [tls]                            # spork-serve --tls
 *     client_certificates = "none"     # "request", "require"
 *     client_ca = "Issuing CA"         # a spork CA's name, or a PEM file
 *     [ocsp]
 *     next_update = "1h"               # answers signed on request
 *
 * pki_config_load reports every problem at once (unknown keys with the
 * nearest known one, wrong types, values out of range) in diags with
 * line and column; it never reads the environment: the caller decides
 * which file to read and what overrides it.
 */
#ifndef PKI_CONFIG_H
#define PKI_CONFIG_H

#include <stdint.h>
#include "pki.h"
#include "diag.h"
#include "name.h"

/* Whether the TLS handlers ask clients for a certificate. */
enum pki_client_certs {
	PKI_CLIENT_CERTS_NONE,    /* never asked for */
	PKI_CLIENT_CERTS_REQUEST, /* asked for; a client may send none */
	PKI_CLIENT_CERTS_REQUIRE, /* no handshake without a valid one */
	PKI_CLIENT_CERTS__MAX
};

/* At most this many entries in [http] trusted_proxies. */
#define PKI_CONFIG_PROXIES_MAX 64

/* File name of the configuration inside a state directory. */
#define PKI_CONFIG_FILE "spork.toml"

struct pki_config {
	char *path;               /* the file read; NULL: built-in defaults */
	char *state_dir;          /* NULL: not set */
	char *pkcs11_module;      /* NULL: p11-kit's configured modules */
	uint32_t argon2_memory_kib; /* 0: the default (lockbox.h) */
	uint32_t argon2_passes;     /* 0: the default */
	uint32_t argon2_lanes;      /* 0: the default */
	int64_t crl_next_update;    /* seconds; 0: the default (crlgen.h) */
	int64_t crl_delta_next_update; /* seconds; 0: the default */
	uint32_t http_max_requests;   /* 0: the handler's default */
	int64_t http_idle_timeout;    /* seconds; 0: the default */
	int64_t http_total_timeout;   /* seconds; 0: the default */
	uint32_t http_max_body_kib;   /* 0: the default */
	struct pki_name_cidr *http_trusted_proxies; /* owned; may be NULL */
	size_t http_ntrusted_proxies;
	enum pki_client_certs tls_client_certs;
	char *tls_client_ca;  /* a CA's name, or an absolute path; NULL: unset
				 (needed when tls_client_certs is not NONE) */
	int64_t ocsp_next_update;     /* seconds; 0: the default */
};

/*
 * Read and check the file at path.  On success *out is the settings
 * (free with pki_config_free) and diags is empty.  When the file has
 * problems, each is added to diags and PKI_E_INVALID is returned (err
 * says how many); a file that is not TOML gives PKI_E_PARSE with its
 * position in err; a missing file PKI_E_NOTFOUND.
 */
int pki_config_load(const char *path, struct pki_config **out,
		    struct pki_diags *diags, struct pki_error *err) PKI_WUR;

/* The built-in defaults (every field unset); free with pki_config_free.
 * NULL when out of memory. */
struct pki_config *pki_config_default(void);

void pki_config_free(struct pki_config *c);

/*
 * A duration: a number followed by one unit, "90d", "24h", "2w", "30m",
 * "3600s", or a bare number of days ("30").  Into seconds.  PKI_E_INVALID
 * (err says what is accepted) for anything else, negative or overflowing
 * values.  One syntax for every length spork asks for.
 */
int pki_duration_parse(const char *s, int64_t *seconds,
		       struct pki_error *err) PKI_WUR;

#endif
