/*
 * issue: building and signing certificates (CA and end-entity) and
 * checking certificate requests.
 */
#ifndef PKI_ISSUE_H
#define PKI_ISSUE_H

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <gnutls/abstract.h>
#include <spork/pki.h>
#include <spork/enroll.h>
#include <spork/profile.h>
#include "profile-int.h"

/*
 * Build, lint and sign a certificate for subject_pub.
 *  - issuer_crt == NULL: self-signed (issuer_key must match subject_pub).
 *  - a 128-bit random positive serial is drawn when tpl->serial_len == 0
 *    (written back into tpl->serial / serial_len).
 *  - the to-be-signed certificate is linted against tpl->profile first
 *    (pki_profile_lint); nothing is signed if the lint fails.
 *  - after signing, the signature is verified with the issuer's public
 *    key and the DER re-parsed.
 * On success *der (caller gnutls_free()s der->data) is the certificate.
 */
int pki_issue_sign(struct pki_cert_template *tpl, gnutls_pubkey_t subject_pub,
		   gnutls_x509_crt_t issuer_crt, gnutls_privkey_t issuer_key,
		   gnutls_datum_t *der, struct pki_error *err) PKI_WUR;

/*
 * Draw the serial pki_issue_sign would (128 random bits, positive) into
 * tpl->serial / serial_len: for a caller that needs it before signing
 * (a CRL shard's distribution point depends on it).
 */
int pki__issue_draw_serial(struct pki_cert_template *tpl,
			   struct pki_error *err) PKI_WUR;

/*
 * Build a PKCS#10 request for a CA that an external CA will sign
 * (subordinate mode): subject and basicConstraints CA from tpl, signed by
 * key.  Caller gnutls_free()s der->data.
 */
int pki_issue_make_csr(const struct pki_cert_template *tpl,
		       gnutls_privkey_t key, gnutls_datum_t *der,
		       struct pki_error *err) PKI_WUR;

/*
 * Parse a PEM or DER PKCS#10 request (at most 64 KiB), verify its
 * self-signature (RSA-PSS with the salt length it declares) and refuse
 * weak keys (RSA < 2048 bits or with an exponent under 65537, curves
 * other than P-256/384/521, named in the message, DSA) and malformed
 * requests GnuTLS would read only part of: more than one extensionRequest
 * attribute or set of extensions, an extension twice, a subjectAltName
 * without names or with an empty one (PKI_E_INVALID, saying which).
 * Caller deinits *crq.
 */
int pki_issue_parse_csr(const gnutls_datum_t *in, gnutls_x509_crq_t *crq,
			struct pki_error *err) PKI_WUR;



/*
 * Copy what a request asks for into tpl: the subject common name
 * (replacing tpl->subject.common_name) and the requested subject
 * alternative names, appended to tpl->san_dns (lower-cased), san_ip
 * (textual), san_email and san_uri.  Refuses other name types, NUL bytes
 * and more than 100 names (PKI_E_INVALID).  Nothing else of the request
 * is trusted: profile, validity and extensions come from the caller.
 * crq should come from pki_issue_parse_csr.
 */
int pki_issue_template_from_csr(gnutls_x509_crq_t crq,
				struct pki_cert_template *tpl,
				struct pki_error *err) PKI_WUR;

/* The public key of a private key / of a request.  Caller deinits *pub. */
int pki_issue_pubkey_from_privkey(gnutls_privkey_t key, gnutls_pubkey_t *pub,
				  struct pki_error *err) PKI_WUR;
int pki_issue_pubkey_from_csr(gnutls_x509_crq_t crq, gnutls_pubkey_t *pub,
			      struct pki_error *err) PKI_WUR;

/* The digest spork signs with for this key: SHA-256 for P-256 and RSA up
 * to 3072 bits, SHA-384 for P-384 and larger RSA, SHA-512 for P-521,
 * GNUTLS_DIG_UNKNOWN (none) for Ed25519/Ed448. */
gnutls_digest_algorithm_t pki_issue_digest_for(gnutls_privkey_t key);

#endif
