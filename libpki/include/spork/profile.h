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


#endif
