/*
 * profile-int: the lint that runs before every signature and the checks
 * of keys and names that go with it; internal to libpki.  The profiles
 * and certificate templates themselves are public (profile.h).
 */
#ifndef PKI_PROFILE_INT_H
#define PKI_PROFILE_INT_H

#include <gnutls/abstract.h>
#include <spork/profile.h>

/*
 * Check a certificate (built but possibly signed only with a throwaway
 * key) against tpl->profile and its issuer: version 3, serial positive
 * and at most 20 octets with at least 64 bits of entropy-sized length,
 * validity ordered and inside the issuer's, UTCTime before 2050 and
 * GeneralizedTime from 2050, SKI present, AKI present and equal to the
 * issuer's SKI (except self-signed roots), basicConstraints critical and
 * matching, keyUsage critical and equal to the profile, EKU as the
 * profile, SANs of allowed types and well formed, nameConstraints only on
 * CAs, CA subject non-empty, maximum validity of the profile.  issuer may
 * be NULL for a self-signed certificate.  Returns PKI_E_LINT with every
 * finding listed in err->msg ("; "-separated).
 *
 * Also: the certificate holds exactly what tpl asks for (subject fields,
 * serial when given, validity, SANs, name constraints, policies, URLs),
 * no extension outside the profiles' set, the subject key passes
 * pki_profile_check_key, a self-signed root only with root-ca, the
 * issuer is a CA with keyCertSign whose pathLenConstraint leaves room,
 * and an end-entity certificate's names are inside the direct issuer's
 * nameConstraints.  Constraints of CAs further up the path are not seen
 * here: verify the whole chain for those.
 */
int pki_profile_lint(const struct pki_cert_template *tpl,
		     gnutls_x509_crt_t crt, gnutls_x509_crt_t issuer,
		     struct pki_error *err) PKI_WUR;

/*
 * Helpers the lint uses, exported so that callers (hierarchy validation,
 * the CLI) can check input with the same rules before building anything.
 */

/* The keyUsage bits a certificate built from tpl for a key of algorithm
 * pk carries: the profile's bits, plus digitalSignature on a CA when
 * tpl->digital_signature is set, plus keyEncipherment for RSA keys where
 * the profile allows it (tls-server, email). */
unsigned pki_profile_key_usage(const struct pki_cert_template *tpl,
			       gnutls_pk_algorithm_t pk);

/* Refuse keys spork does not certify: RSA under 2048 or over 16384 bits,
 * EC curves other than P-256/P-384/P-521, DSA, RSA-PSS-only and GOST
 * keys.  Ed25519 and Ed448 are accepted.  PKI_E_INVALID with a message
 * naming the key; PKI_OK otherwise. */
int pki_profile_check_key(gnutls_pubkey_t pub, struct pki_error *err) PKI_WUR;

/* Subject key identifier of pub, RFC 5280 4.2.1.2 method (1): the SHA-1
 * of the subjectPublicKey BIT STRING (what OpenSSL and certtool use). */
#define PKI_KEY_IDENTIFIER_SIZE 20
int pki_profile_key_identifier(gnutls_pubkey_t pub,
			       unsigned char out[PKI_KEY_IDENTIFIER_SIZE],
			       struct pki_error *err) PKI_WUR;

/* "10.1.2.3" or "2001:db8::1" into 4 or 16 bytes (*outlen), as
 * pki_name_ip_parse() (name.h) reads it. */
int pki_ip_parse(const char *s, unsigned char out[16], size_t *outlen,
		 struct pki_error *err) PKI_WUR;

/* "10.0.0.0/8" or "2001:db8::/32" into address then netmask, 8 or 32
 * bytes (*outlen): the form GnuTLS name constraints use.  Host bits set
 * in the address are refused (write 10.0.0.0/8, not 10.1.2.3/8).  As
 * pki_name_cidr_parse() then pki_name_cidr_netmask() (name.h). */
int pki_cidr_parse(const char *s, unsigned char out[32], size_t *outlen,
		   struct pki_error *err) PKI_WUR;

/*
 * Whether value is a well-formed subjectAltName of the given type, as the
 * lint judges it: DNS names as pki_name_dns_parse() (name.h) takes them
 * with PKI_NAME_DNS_NUMERIC_TLD (LDH labels, no leading or trailing
 * hyphen, at most 63 octets a label and 253 in all, no trailing dot),
 * plus PKI_NAME_DNS_WILDCARD ("*." in front of at least two labels) when
 * allow_wildcard; IP addresses as pki_name_ip_parse(); email addresses
 * as pki_name_email_parse() with a domain as for DNS names; URIs
 * "scheme:rest" of printable ASCII without spaces.  PKI_E_INVALID with a
 * message saying what is wrong; PKI_OK otherwise.
 */
int pki_san_check(enum pki_san_type type, const char *value,
		  int allow_wildcard, struct pki_error *err) PKI_WUR;

#endif
