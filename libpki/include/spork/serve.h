/*
 * serve: spork's protocol modules behind one entry point.
 *
 * A handler (handlers/) reads an HTTP request with <spork/http.h>, hands
 * it to pki_serve with the state directory it opened, and writes back the
 * response it gets.  Nothing here touches a socket, so every module is
 * tested with byte strings; the runtime does sockets, TLS, framing,
 * limits and logging.
 *
 * The modules, and where each is mounted:
 *  - PKI_SERVE_OCSP: OCSP (RFC 6960, RFC 5019 profile): POST at the mount
 *    point with an application/ocsp-request body, or GET at
 *    "<mount>/<base64 of the DER request>" (percent-encoded or not).
 *    The answer comes from the store: a fresh pre-signed response, else
 *    one signed now by the CA's delegated signer or its online key
 *    (ocsp.h); a GET answer carries the caching headers of RFC 5019
 *    (max-age bounded by nextUpdate; a pre-signed one an ETag too).
 *  - PKI_SERVE_CRL: GET "/crl/<slug>.crl" and "/crl/<slug>-delta.crl"
 *    (the newest full and delta CRL of a CA, DER, application/pkix-crl)
 *    and the same CRLs at the paths of the CA's crl_urls and
 *    delta_crl_urls, so the URLs in certificates work when the operator
 *    points them here.
 *  - PKI_SERVE_CA: GET "/ca/<slug>.crt" (DER, application/pkix-cert) and
 *    the paths of the CA's ca_issuers_urls.
 *  - PKI_SERVE_HEALTH: GET "/health": JSON on the database, each CA's
 *    validity, CRL freshness and whether its online key unseals; 200 when
 *    all is well, else 503.
 *  - PKI_SERVE_METRICS: GET "/metrics": Prometheus text format: the
 *    handlers' request counters (metrics.h) and, from the store,
 *    certificates issued by CA and source, revoked by CA, each CA's CRL
 *    age and end of validity.
 * <slug> is pki_state_slug of the CA's name.  Every module answers HEAD
 * where it answers GET, 405 with Allow for another method; conditional
 * requests (If-None-Match, If-Modified-Since) get 304 where the answer
 * carries an ETag or Last-Modified.  A path no module serves is 404.
 */
#ifndef PKI_SERVE_H
#define PKI_SERVE_H

#include <stddef.h>
#include <stdint.h>
#include "pki.h"
#include "http.h"
#include "state.h"

enum pki_serve_module {
	PKI_SERVE_OCSP = 1u << 0,
	PKI_SERVE_CRL = 1u << 1,
	PKI_SERVE_CA = 1u << 2,
	PKI_SERVE_HEALTH = 1u << 3,
	PKI_SERVE_METRICS = 1u << 4,
};

/* The OCSP answers of one response, for the request counters. */
enum pki_serve_ocsp_stat {
	PKI_SERVE_OCSP_GOOD,
	PKI_SERVE_OCSP_REVOKED,
	PKI_SERVE_OCSP_UNKNOWN,
	PKI_SERVE_OCSP_MALFORMED,      /* malformedRequest */
	PKI_SERVE_OCSP_INTERNAL,       /* internalError */
	PKI_SERVE_OCSP_UNAUTHORIZED,
	PKI_SERVE_OCSP__MAX
};

/* What to serve.  Zero-initialise, then fill. */
struct pki_serve_opts {
	unsigned modules;          /* enum pki_serve_module bits */
	const char *ocsp_mount;    /* "/ocsp"; NULL, "" or "/": the root */
	int64_t ocsp_validity;     /* seconds from thisUpdate to nextUpdate;
				      0: one hour */
};

#define PKI_RESPONSE_MAX_HEADERS 8

/* A response.  Zero-initialise; free with pki_response_clear. */
struct pki_response {
	int status;
	char *headers[PKI_RESPONSE_MAX_HEADERS]; /* "Name: value", owned */
	size_t nheaders;
	unsigned char *body;       /* owned (malloc) */
	size_t body_len;
	const char *module;        /* "ocsp", "crl", "ca", "health" or NULL:
				      for the request log (static) */
	char note[96];             /* a few words for the request log (an
				      OCSP status, why it failed); never a
				      secret or request bytes */
	unsigned ocsp[PKI_SERVE_OCSP__MAX]; /* OCSP answers, by status */
};
void pki_response_clear(struct pki_response *r);

/*
 * Answer req from the state s (opened PKI_STATE_ONLINE by a handler, or
 * any purpose in tests) with the modules o enables.  Returns PKI_OK with
 * *resp filled, whatever its status; a failure inside (the database, a
 * key) is a 500 (or, for OCSP, an internalError response) with the
 * reason in err for the caller's log and nothing of it in the body.
 * PKI_E_NOMEM when not even a response could be made.
 */
int pki_serve(struct pki_state *s, const struct pki_serve_opts *o,
	      const struct pki_http_request *req, struct pki_response *resp,
	      struct pki_error *err) PKI_WUR;

#endif
