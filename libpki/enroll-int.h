/*
 * enroll-int: the names of a certificate being enrolled, shared by
 * enroll.c (issue, renew) and enroll-names.c (reading, settling and
 * checking them); internal to libpki.
 */
#ifndef PKI_ENROLL_INT_H
#define PKI_ENROLL_INT_H

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <jansson.h>

#include <spork/enroll.h>
#include <spork/profile.h>
#include <spork/state.h>

/* Bounds on what one request may ask for. */
#define PKI__ENROLL_MAX_SANS 100
#define PKI__ENROLL_MAX_NAME 1024

/* The subjectAltNames of one certificate: DNS names lower-cased, IP
 * addresses in canonical text form, each list without duplicates. */
struct pki__names {
	struct pki_strlist dns, ip, email, uri;
};

void pki__names_clear(struct pki__names *n);
size_t pki__names_count(const struct pki__names *n);

/* Add one typed name ("dns", "ip", "email", "uri") to n. */
int pki__names_add(struct pki__names *n, const char *type, const char *value,
		   struct pki_error *err) PKI_WUR;

/* The record form "dns:a\nip:b" (store.h sans) back into n, and n into
 * it (caller frees; NULL when out of memory); the audit form, a JSON
 * array of "type:value" strings (caller decrefs). */
int pki__names_from_record(struct pki__names *n, const char *sans,
			   struct pki_error *err) PKI_WUR;
char *pki__names_to_record(const struct pki__names *n);
json_t *pki__names_json(const struct pki__names *n);

/*
 * The subject fields spork carries, from a certificate (renewal) or a
 * request, unescaped.  A request's subject may hold each attribute once:
 * a second common name (or any other field) is refused rather than
 * dropped.  PKI_E_INVALID naming the field.
 */
int pki__enroll_subject_crt(gnutls_x509_crt_t crt, struct pki_subject *subj,
			    struct pki_error *err) PKI_WUR;
int pki__enroll_subject_crq(gnutls_x509_crq_t crq, struct pki_subject *subj,
			    struct pki_error *err) PKI_WUR;

/* The subjectAltNames a request asks for into n (crq from
 * pki_issue_parse_csr, which refused duplicate and empty ones). */
int pki__enroll_names_crq(gnutls_x509_crq_t crq, struct pki__names *n,
			  struct pki_error *err) PKI_WUR;

/*
 * Settle subject and names for profile p: every subject value is UTF-8
 * without control characters and within its RFC 5280 length; the
 * subject emailAddress is also an email SAN; a tls-server CN is one of
 * its DNS names or IP addresses (added when missing, taken from the
 * first one when there is no CN); every name is well formed and of a
 * type p allows.  May add to subj and n.
 */
int pki__enroll_settle(const struct pki_profile *p, struct pki_subject *subj,
		       struct pki__names *n, struct pki_error *err) PKI_WUR;

/*
 * Every name a relying party may check against the domain policy of
 * state: DNS names and IP addresses, the domains of email addresses and
 * a common name that looks like a host name or an IP address.
 * PKI_E_DENIED when one is denied or there is no policy.
 */
int pki__enroll_policy(struct pki_state *state, const struct pki_subject *subj,
		       const struct pki__names *n, struct pki_error *err) PKI_WUR;

/*
 * The same names against the nameConstraints of every CA certificate of
 * chain (DER, issuing CA first), checked the way OpenSSL checks them: a
 * common name that looks like a host name counts as a DNS name (one that
 * is an IP address too, unless there are DNS names), the subject
 * emailAddress as an email address.  PKI_E_INVALID for the first name
 * outside.
 */
int pki__enroll_constraints(const struct pki_subject *subj,
			    const struct pki__names *n,
			    const gnutls_datum_t *chain, size_t nchain,
			    struct pki_error *err) PKI_WUR;

#endif
