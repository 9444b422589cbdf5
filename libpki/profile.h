/*
 * profile: what a certificate of each kind must look like, and the lint
 * that checks a to-be-signed certificate against it before any signature.
 *
 * Profiles: root-ca, sub-ca (policy and issuing CAs), tls-server,
 * tls-client, code-signing, email, ocsp-signing.
 *
 *   profile       keyUsage (critical)          EKU              max days  SANs
 *   root-ca       keyCertSign cRLSign [+dS]    -                issuer    none
 *   sub-ca        keyCertSign cRLSign [+dS]    -                issuer    none
 *   tls-server    dS (+keyEncipherment if RSA) serverAuth       398       dns ip (required)
 *   tls-client    dS                           clientAuth       398       dns ip email uri
 *   code-signing  dS                           codeSigning      1095      email uri
 *   email         dS (+keyEncipherment if RSA, emailProtection  825       email (required)
 *                 nonRepudiation allowed)
 *   ocsp-signing  dS                           OCSPSigning      90        none, +ocsp-nocheck
 *
 * dS = digitalSignature; on CAs only when tpl->digital_signature is set.
 * Self-signed roots carry an authorityKeyIdentifier equal to their own
 * subjectKeyIdentifier (RFC 5280 method 1, see pki_profile_key_identifier).
 */
#ifndef PKI_PROFILE_H
#define PKI_PROFILE_H

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include "pki.h"

enum pki_profile_id {
	PKI_PROFILE_ROOT_CA,
	PKI_PROFILE_SUB_CA,
	PKI_PROFILE_TLS_SERVER,
	PKI_PROFILE_TLS_CLIENT,
	PKI_PROFILE_CODE_SIGNING,
	PKI_PROFILE_EMAIL,
	PKI_PROFILE_OCSP_SIGNING,
	PKI_PROFILE__MAX
};

struct pki_profile {
	enum pki_profile_id id;
	const char *name;         /* "tls-server" ... */
	int is_ca;
	unsigned key_usage;       /* GNUTLS_KEY_* bits the profile sets */
	unsigned key_usage_allowed; /* bits that may be set in addition */
	const char *const *eku;   /* NULL-terminated EKU OIDs, or NULL */
	unsigned max_days;        /* maximum validity (0 = limited by issuer) */
	unsigned san_types;       /* bit set of PKI_SAN_* the profile allows */
	int san_required;         /* at least one SAN needed */
};

/* The built-in profile table; NULL for unknown names / ids. */
const struct pki_profile *pki_profile_get(enum pki_profile_id id);
const struct pki_profile *pki_profile_by_name(const char *name);

enum pki_san_type {
	PKI_SAN_DNS = 1u << 0,
	PKI_SAN_IP = 1u << 1,
	PKI_SAN_EMAIL = 1u << 2,
	PKI_SAN_URI = 1u << 3
};

/* A list of strings: n entries, each NUL-terminated. */
struct pki_strlist {
	size_t n;
	char **v;
};
int pki_strlist_add(struct pki_strlist *l, const char *s) PKI_WUR;
void pki_strlist_clear(struct pki_strlist *l);

/* Subject distinguished name fields (any may be NULL). */
struct pki_subject {
	char *common_name;
	char *organization;
	char *organizational_unit;
	char *country;            /* two letters */
	char *state;
	char *locality;
	char *email;
	char *serial_number;
};
void pki_subject_clear(struct pki_subject *s);

/* The most characters (not bytes) a subject field may hold, by spork's
 * field name ("common_name", "organization", "organizational_unit",
 * "country", "state", "locality", "email", "serial_number"): the upper
 * bounds of RFC 5280 appendix A.  0 for an unknown name. */
size_t pki_subject_field_max(const char *field);

/*
 * Everything needed to build one certificate.  Callers fill it; the issue
 * module (issue.h) turns it into a signed certificate after linting.
 * CIDR strings are "10.0.0.0/8" or "2001:db8::/32".
 */
struct pki_cert_template {
	const struct pki_profile *profile;
	struct pki_subject subject;
	/* subject alternative names */
	struct pki_strlist san_dns, san_ip, san_email, san_uri;
	int64_t not_before, not_after;  /* unix seconds, UTC */
	unsigned char serial[20];       /* filled by issue if serial_len == 0 */
	size_t serial_len;
	int path_len;                   /* CA only; -1 = no pathLenConstraint */
	int digital_signature;          /* CA: also set digitalSignature */
	/* nameConstraints (CA only) */
	struct pki_strlist permitted_dns, excluded_dns;
	struct pki_strlist permitted_ip, excluded_ip;
	struct pki_strlist permitted_email, excluded_email;
	struct pki_strlist policy_oids;  /* certificatePolicies */
	struct pki_strlist crl_urls;     /* cRLDistributionPoints */
	struct pki_strlist freshest_crl_urls; /* freshestCRL (delta CRLs) */
	struct pki_strlist ocsp_urls;    /* AIA id-ad-ocsp */
	struct pki_strlist ca_issuers_urls; /* AIA id-ad-caIssuers */
};
void pki_cert_template_clear(struct pki_cert_template *t);

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
