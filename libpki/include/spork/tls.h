/*
 * tls: the handlers' side of TLS (GnuTLS on an inherited socket), and
 * the handlers' own certificate, which spork issues and renews itself.
 *
 * The files, in <state>/tls/ (PKI_STATE_TLS_DIR):
 *   server.pem   a line "# key <URI>" naming the certificate's private
 *                key (always sealed in the lockbox under online.kek, never
 *                a plaintext key file), then the certificate and the
 *                issuing CA's chain in PEM; replaced atomically, so a
 *                handler reads a key and a certificate that belong
 *                together;
 *   ticket.key   the session-ticket master key, sealed under online.kek:
 *                every process (one per connection) encrypts and decrypts
 *                tickets with keys GnuTLS derives from it, so a client
 *                resumes its session on the next connection.
 * The handlers speak TLS 1.2 and 1.3 only (GnuTLS's default suites
 * otherwise) and offer ALPN "http/1.1".  They ask for a client
 * certificate as spork.toml's [tls] client_certificates says: "none"
 * (the default) never, "request" (a client may send none) or "require"
 * (no handshake without one).  A certificate sent must chain to
 * client_ca, with the TLS client purpose when it names its purposes;
 * when client_ca names a spork CA, it must be a certificate that CA
 * issued (the very one, found in the store by its SHA-256) and not
 * revoked.  A refused certificate fails the handshake.
 */
#ifndef PKI_TLS_H
#define PKI_TLS_H

#include <stdint.h>
#include <gnutls/gnutls.h>
#include "pki.h"
#include "enroll.h"
#include "state.h"

struct pki_tls_server;

/*
 * Load <state>/tls/server.pem with its key (through the state's key
 * store: for a handler, online keys only) and the ticket key when there
 * is one (without it sessions are not resumed across connections), and
 * the client CAs of the state's configuration.  PKI_E_NOTFOUND, naming
 * the file, when there is no certificate yet, or the CA when client_ca
 * names none.  s must stay open while the server is used.
 * Free with pki_tls_server_free.
 */
int pki_tls_server_open(struct pki_state *s, struct pki_tls_server **out,
			struct pki_error *err) PKI_WUR;
void pki_tls_server_free(struct pki_tls_server *t);
/*
 * The session's client certificate, after a successful handshake.  The
 * certificate (when the client sent one) is checked again as the
 * handshake checked it, for a resumed session skips that check; *der is
 * the leaf (DER, free with gnutls_free) and *subject its subject in
 * RFC 4514 form (free with free); both are left empty when the client
 * sent none.  PKI_E_DENIED, saying why, when the certificate is refused
 * or when none was sent and one is required.
 */
int pki_tls_server_client(struct pki_tls_server *t, gnutls_session_t session,
			  gnutls_datum_t *der, char **subject,
			  struct pki_error *err) PKI_WUR;

/* Whether session tickets are on (ticket.key was there). */
int pki_tls_server_tickets(const struct pki_tls_server *t);

/*
 * A server session on file descriptors in and out (the same socket, or
 * inetd's 0 and 1), ready for gnutls_handshake; the caller sets its
 * timeouts, handshakes, and deinits it.
 */
int pki_tls_server_session(struct pki_tls_server *t, int in, int out,
			   gnutls_session_t *session,
			   struct pki_error *err) PKI_WUR;

/*
 * Issue the handlers' certificate: a new key of alg sealed under
 * online.kek, a tls-server certificate from ca_name (NULL: the only
 * issuing CA) for names ("dns:ocsp.example.internal,ip:10.0.0.5", the
 * first DNS name also the CN) valid days (0: the profile's maximum),
 * through the enroll path (domain policy, lint, durable record); then
 * server.pem is replaced, and ticket.key made when missing or older
 * than a week.  res (clear with pki_enroll_result_clear) is the
 * certificate.
 */
int pki_tls_issue(const struct pki_enroll *e, const char *ca_name,
		  const char *names, enum pki_key_alg alg, unsigned days,
		  struct pki_enroll_result *res, struct pki_error *err) PKI_WUR;

/* Make ticket.key when it is missing, or anew when it is a week old
 * (sealed under online.kek; the key store must be open for it). */
int pki_tls_ticket_rotate(struct pki_state *s, struct pki_error *err) PKI_WUR;

/* The current certificate's end of validity and its names (as given to
 * pki_tls_issue: "dns:a,ip:b"; caller frees) and issuer name (caller
 * frees).  PKI_E_NOTFOUND when there is none. */
int pki_tls_current(struct pki_state *s, int64_t *not_after, char **names,
		    char **issuer, struct pki_error *err) PKI_WUR;

#endif
