/*
 * ocsp: what the OCSP responder signs with, and what it signs ahead of
 * time (spork-ocsp(1); the responder itself is serve.h).
 *
 * Delegated signer (RFC 6960 4.2.2.2).  A CA may have one: a key made
 * and sealed under online.kek (never written in the clear) and an
 * ocsp-signing certificate from that CA (id-kp-OCSPSigning,
 * id-pkix-ocsp-nocheck, at most 90 days), issued through the enroll path
 * and recorded like any certificate; the store names it as the CA's
 * signer.  Responses about that CA's certificates are then signed by the
 * signer (responderID byKey of its key, its certificate in the
 * response's certs), so a CA whose key is offline, a root, answers OCSP
 * too.  A signer that is not valid at the time of answering (expired,
 * not yet valid, revoked) is passed over: the CA's own key signs when
 * it is online, else the answer is internalError.  A client would
 * refuse a response signed by an expired responder certificate, and the
 * CA's key is always authorised; see pki_ocsp_signer_issue for renewal.
 *
 * Pre-signed responses.  pki_ocsp_presign signs one response for every
 * unexpired certificate of a CA (the status as of signing) and stores
 * it; the responder hands a stored response out without signing when
 * the request is one SHA-1 CertID without a nonce equal to the one the
 * response answers, the response is fresh (thisUpdate <= now <
 * nextUpdate) and the store still says what it says (the same status,
 * revocation time and reason): a revocation, or a lifted hold, recorded
 * after signing is never masked.  Anything else is signed on the fly.
 *
 * Export layout.  RFC 5019 GETs "<base>/<url-encoded base64 of the DER
 * OCSPRequest>".  The request a pre-signed response answers is the
 * minimal one: one CertID (SHA-1, parameters NULL, the issuer's name and
 * key hashes, the serial), no nonce, no extensions, no signature: what
 * `openssl ocsp -no_nonce` sends.  An export writes each response to
 * "<dir>/<base64 of that request>", where each '/' of the base64 is a
 * directory separator and empty components are dropped (a static web
 * server decodes %2F to '/' and merges "//" the same way), so a plain
 * web server rooted at <dir> (mounted at <base>) answers those GETs.
 */
#ifndef PKI_OCSP_H
#define PKI_OCSP_H

#include <stddef.h>
#include <stdint.h>
#include "pki.h"
#include "enroll.h"
#include "key.h"
#include "state.h"

/*
 * Issue a delegated signer for CA ca_name: a new key of alg sealed under
 * online.kek, an ocsp-signing certificate from that CA (any CA role:
 * RFC 6960 wants the responder certified by the CA itself) valid days
 * (0: the profile's maximum, cut to the CA's end) with the subject
 * "CN=OCSP Signer for <ca_name>", through pki_enroll_issue (the CA's key
 * is unsealed: for an offline CA through the passphrase callback).  It
 * then becomes the CA's signer, with an audit row "ocsp.signer"; the
 * key of the signer it replaces is named no more and goes with the next
 * build's clean-up of the lockbox (its certificate stays in the
 * inventory and expires).  res (clear with pki_enroll_result_clear) is
 * the certificate.
 */
int pki_ocsp_signer_issue(const struct pki_enroll *e, const char *ca_name,
			  enum pki_key_alg alg, unsigned days,
			  struct pki_enroll_result *res,
			  struct pki_error *err) PKI_WUR;

/* A CA's signer as the store has it.  Clear with
 * pki_ocsp_signer_info_clear. */
struct pki_ocsp_signer_info {
	char *subject;            /* RFC 4514 */
	char *serial;             /* canonical hex */
	int64_t not_before, not_after;
	int revoked;
	enum pki_key_alg alg;     /* its key's */
	int usable;               /* valid now and not revoked */
};
void pki_ocsp_signer_info_clear(struct pki_ocsp_signer_info *i);

/* The signer of ca_name.  PKI_E_NOTFOUND (saying so) when it has none
 * or there is no such CA. */
int pki_ocsp_signer_get(struct pki_state *s, const char *ca_name,
			struct pki_ocsp_signer_info *out,
			struct pki_error *err) PKI_WUR;

/* What to pre-sign.  Zero-initialise, then fill. */
struct pki_ocsp_presign_opts {
	const char *ca_name;      /* required */
	int64_t validity;         /* nextUpdate - thisUpdate; 0: one day;
				     cut to the signer's end of validity */
	const char *export_dir;   /* NULL: store only; else also write the
				     export layout there (created) */
};

struct pki_ocsp_presign_result {
	size_t good, revoked;     /* responses signed */
	size_t pruned;            /* older ones removed */
	size_t exported;          /* files written */
	int64_t this_update, next_update;
	int delegated;            /* signed by the delegated signer */
};

/*
 * Sign and store a response for every certificate of the CA that has
 * not expired (good or revoked, as the store says now), replacing the
 * CA's earlier ones, which go; an audit row "ocsp.presign" counts them.
 * The signer is chosen as for an answer; the CA's own key may be
 * offline (the passphrase callback is asked).  Writes in transactions
 * of a few hundred responses.  PKI_E_NOTFOUND for an unknown CA,
 * PKI_E_INVALID for one without a certificate or a validity that ends
 * before it starts.
 */
int pki_ocsp_presign(struct pki_state *s,
		     const struct pki_ocsp_presign_opts *o,
		     struct pki_ocsp_presign_result *r,
		     struct pki_error *err) PKI_WUR;

/* One CA's OCSP state.  Free arrays with pki_ocsp_status_free. */
struct pki_ocsp_ca_status {
	char *ca_name;
	int key_online;           /* the CA's own key */
	int has_signer;
	struct pki_ocsp_signer_info signer;
	size_t presigned;         /* stored responses */
	int64_t oldest_this_update;   /* 0: none */
	int64_t earliest_next_update; /* 0: none */
};

/* The OCSP state of ca_name, or (NULL) of every CA with a certificate,
 * in creation order. */
int pki_ocsp_status(struct pki_state *s, const char *ca_name,
		    struct pki_ocsp_ca_status **out, size_t *n,
		    struct pki_error *err) PKI_WUR;
void pki_ocsp_status_free(struct pki_ocsp_ca_status *v, size_t n);

#endif
