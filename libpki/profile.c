/*
 * profile: the certificate profiles and the lint that runs before every
 * signature (see profile.h).
 *
 * The lint reads a built certificate back through GnuTLS (extensions are
 * decoded with gnutls_x509_ext_import_*) and, for what GnuTLS does not
 * expose (the ASN.1 type of the validity times, the subjectPublicKey BIT
 * STRING), through libtasn1 with the small module below.  It collects
 * every finding and reports them together.
 */
#include <spork/config.h>

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/x509-ext.h>
#include <libtasn1.h>

#include <spork/name.h>
#include <spork/profile.h>
#include "profile-int.h"
#include "util.h"

/* ------------------------------------------------------------ profiles */

static const char *const eku_server[] = { GNUTLS_KP_TLS_WWW_SERVER, NULL };
static const char *const eku_client[] = { GNUTLS_KP_TLS_WWW_CLIENT, NULL };
static const char *const eku_code[] = { GNUTLS_KP_CODE_SIGNING, NULL };
static const char *const eku_email[] = { GNUTLS_KP_EMAIL_PROTECTION, NULL };
static const char *const eku_ocsp[] = { GNUTLS_KP_OCSP_SIGNING, NULL };

#define CA_KU (GNUTLS_KEY_KEY_CERT_SIGN | GNUTLS_KEY_CRL_SIGN)
#define ALL_SANS (PKI_SAN_DNS | PKI_SAN_IP | PKI_SAN_EMAIL | PKI_SAN_URI)

static const struct pki_profile profiles[PKI_PROFILE__MAX] = {
	{ PKI_PROFILE_ROOT_CA, "root-ca", 1, CA_KU,
	  GNUTLS_KEY_DIGITAL_SIGNATURE, NULL, 0, 0, 0 },
	{ PKI_PROFILE_SUB_CA, "sub-ca", 1, CA_KU,
	  GNUTLS_KEY_DIGITAL_SIGNATURE, NULL, 0, 0, 0 },
	{ PKI_PROFILE_TLS_SERVER, "tls-server", 0, GNUTLS_KEY_DIGITAL_SIGNATURE,
	  GNUTLS_KEY_KEY_ENCIPHERMENT, eku_server, 398,
	  PKI_SAN_DNS | PKI_SAN_IP, 1 },
	{ PKI_PROFILE_TLS_CLIENT, "tls-client", 0, GNUTLS_KEY_DIGITAL_SIGNATURE,
	  0, eku_client, 398, ALL_SANS, 0 },
	{ PKI_PROFILE_CODE_SIGNING, "code-signing", 0,
	  GNUTLS_KEY_DIGITAL_SIGNATURE, 0, eku_code, 1095,
	  PKI_SAN_EMAIL | PKI_SAN_URI, 0 },
	{ PKI_PROFILE_EMAIL, "email", 0, GNUTLS_KEY_DIGITAL_SIGNATURE,
	  GNUTLS_KEY_KEY_ENCIPHERMENT | GNUTLS_KEY_NON_REPUDIATION, eku_email,
	  825, PKI_SAN_EMAIL, 1 },
	{ PKI_PROFILE_OCSP_SIGNING, "ocsp-signing", 0,
	  GNUTLS_KEY_DIGITAL_SIGNATURE, 0, eku_ocsp, 90, 0, 0 },
};

const struct pki_profile *
pki_profile_get(enum pki_profile_id id)
{
	if ((unsigned)id >= PKI_PROFILE__MAX)
		return NULL;
	return &profiles[id];
}

const struct pki_profile *
pki_profile_by_name(const char *name)
{
	size_t i;

	if (name == NULL)
		return NULL;
	for (i = 0; i < PKI_PROFILE__MAX; i++)
		if (strcmp(profiles[i].name, name) == 0)
			return &profiles[i];
	return NULL;
}

/* ------------------------------------------------- lists and templates */

int
pki_strlist_add(struct pki_strlist *l, const char *s)
{
	char **v, *copy;

	if (l == NULL || s == NULL)
		return PKI_E_INVALID;
	if (l->n >= 1u << 20)
		return PKI_E_INVALID;
	if ((copy = strdup(s)) == NULL)
		return PKI_E_NOMEM;
	v = realloc(l->v, (l->n + 1) * sizeof(*v));
	if (v == NULL) {
		free(copy);
		return PKI_E_NOMEM;
	}
	v[l->n++] = copy;
	l->v = v;
	return PKI_OK;
}

void
pki_strlist_clear(struct pki_strlist *l)
{
	size_t i;

	if (l == NULL)
		return;
	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

void
pki_subject_clear(struct pki_subject *s)
{
	if (s == NULL)
		return;
	free(s->common_name);
	free(s->organization);
	free(s->organizational_unit);
	free(s->country);
	free(s->state);
	free(s->locality);
	free(s->email);
	free(s->serial_number);
	memset(s, 0, sizeof(*s));
}

void
pki_cert_template_clear(struct pki_cert_template *t)
{
	if (t == NULL)
		return;
	pki_subject_clear(&t->subject);
	pki_strlist_clear(&t->san_dns);
	pki_strlist_clear(&t->san_ip);
	pki_strlist_clear(&t->san_email);
	pki_strlist_clear(&t->san_uri);
	pki_strlist_clear(&t->permitted_dns);
	pki_strlist_clear(&t->excluded_dns);
	pki_strlist_clear(&t->permitted_ip);
	pki_strlist_clear(&t->excluded_ip);
	pki_strlist_clear(&t->permitted_email);
	pki_strlist_clear(&t->excluded_email);
	pki_strlist_clear(&t->policy_oids);
	pki_strlist_clear(&t->crl_urls);
	pki_strlist_clear(&t->freshest_crl_urls);
	pki_strlist_clear(&t->ocsp_urls);
	pki_strlist_clear(&t->ca_issuers_urls);
	memset(t, 0, sizeof(*t));
	t->path_len = -1;
}

/* ------------------------------------------------------------- helpers */

unsigned
pki_profile_key_usage(const struct pki_cert_template *tpl,
		      gnutls_pk_algorithm_t pk)
{
	const struct pki_profile *p = tpl->profile;
	unsigned ku;

	if (p == NULL)
		return 0;
	ku = p->key_usage;
	if (p->is_ca && tpl->digital_signature)
		ku |= GNUTLS_KEY_DIGITAL_SIGNATURE;
	if (pk == GNUTLS_PK_RSA &&
	    (p->key_usage_allowed & GNUTLS_KEY_KEY_ENCIPHERMENT))
		ku |= GNUTLS_KEY_KEY_ENCIPHERMENT;
	return ku;
}

int
pki_profile_key_identifier(gnutls_pubkey_t pub,
			   unsigned char out[PKI_KEY_IDENTIFIER_SIZE],
			   struct pki_error *err)
{
	gnutls_datum_t spki = { NULL, 0 };
	asn1_node node = NULL;
	unsigned char *bits = NULL;
	int ret, len, rc = PKI_E_CRYPTO;

	if ((ret = gnutls_pubkey_export2(pub, GNUTLS_X509_FMT_DER, &spki)) < 0) {
		rc = pki__gnutls_error(err, ret, "gnutls_pubkey_export2");
		goto out;
	}
	rc = pki__asn1_decode("PKIX-SPORK.SubjectPublicKeyInfo", &spki, &node, err);
	if (rc != PKI_OK)
		goto out;
	rc = PKI_E_PARSE;
	len = 0;
	ret = asn1_read_value(node, "subjectPublicKey", NULL, &len);
	if (ret != ASN1_MEM_ERROR || len <= 0 || len % 8 != 0) {
		pki_error_set(err, rc, "subjectPublicKey of the key is not a "
			      "whole number of octets");
		goto out;
	}
	if ((bits = malloc((size_t)len / 8)) == NULL) {
		rc = pki_error_set(err, PKI_E_NOMEM, "out of memory");
		goto out;
	}
	if ((ret = asn1_read_value(node, "subjectPublicKey", bits, &len)) !=
	    ASN1_SUCCESS) {
		pki_error_set(err, rc, "asn1_read_value(subjectPublicKey): %s",
			      asn1_strerror(ret));
		goto out;
	}
	ret = gnutls_hash_fast(GNUTLS_DIG_SHA1, bits, (size_t)len / 8, out);
	if (ret < 0) {
		rc = pki__gnutls_error(err, ret, "gnutls_hash_fast(SHA-1)");
		goto out;
	}
	rc = PKI_OK;
out:
	free(bits);
	asn1_delete_structure(&node);
	gnutls_free(spki.data);
	return rc;
}

/* ---------------------------------------------------------------- lint */

struct findings {
	char buf[880];
	size_t len;
	unsigned n;
	int full;
};

static void find(struct findings *f, const char *fmt, ...) PKI_PRINTF(2, 3);

static void
find(struct findings *f, const char *fmt, ...)
{
	char one[512];
	size_t need;
	va_list ap;

	f->n++;
	if (f->full)
		return;
	va_start(ap, fmt);
	vsnprintf(one, sizeof(one), fmt, ap);
	va_end(ap);
	need = strlen(one) + (f->len ? 2 : 0);
	if (f->len + need + 5 >= sizeof(f->buf)) {
		snprintf(f->buf + f->len, sizeof(f->buf) - f->len, "%s...",
			 f->len ? "; " : "");
		f->len = strlen(f->buf);
		f->full = 1;
		return;
	}
	snprintf(f->buf + f->len, sizeof(f->buf) - f->len, "%s%s",
		 f->len ? "; " : "", one);
	f->len += need;
}

static int
nonempty(const char *s)
{
	return s != NULL && *s != '\0';
}

static int
strlist_has(const struct pki_strlist *l, const char *s, size_t n, int icase)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (strlen(l->v[i]) == n &&
		    (icase ? strncasecmp(l->v[i], s, n) :
			     strncmp(l->v[i], s, n)) == 0)
			return 1;
	return 0;
}

/* Extensions the profiles use; anything else is a finding. */
enum ext_id {
	EXT_SKI, EXT_KU, EXT_SAN, EXT_BC, EXT_NC, EXT_CDP, EXT_CP, EXT_AKI,
	EXT_EKU, EXT_FRESHEST, EXT_AIA, EXT_NOCHECK, EXT__MAX
};

static const struct {
	const char *oid;
	const char *name;
} ext_names[EXT__MAX] = {
	{ "2.5.29.14", "subjectKeyIdentifier" },
	{ "2.5.29.15", "keyUsage" },
	{ "2.5.29.17", "subjectAltName" },
	{ "2.5.29.19", "basicConstraints" },
	{ "2.5.29.30", "nameConstraints" },
	{ "2.5.29.31", "cRLDistributionPoints" },
	{ "2.5.29.32", "certificatePolicies" },
	{ "2.5.29.35", "authorityKeyIdentifier" },
	{ "2.5.29.37", "extKeyUsage" },
	{ "2.5.29.46", "freshestCRL" },
	{ "1.3.6.1.5.5.7.1.1", "authorityInfoAccess" },
	{ "1.3.6.1.5.5.7.48.1.5", "id-pkix-ocsp-nocheck" },
};

struct exts {
	int present[EXT__MAX];
	unsigned critical[EXT__MAX];
	gnutls_datum_t val[EXT__MAX];
};

static void
exts_clear(struct exts *e)
{
	size_t i;

	for (i = 0; i < EXT__MAX; i++)
		gnutls_free(e->val[i].data);
	memset(e, 0, sizeof(*e));
}

static void
read_exts(gnutls_x509_crt_t crt, struct exts *e, struct findings *f)
{
	char oid[128];
	size_t oidsz;
	unsigned i, k, crit;
	int ret;

	for (i = 0; i < 1000; i++) {
		oidsz = sizeof(oid);
		ret = gnutls_x509_crt_get_extension_info(crt, i, oid, &oidsz,
							 &crit);
		if (ret == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
			break;
		if (ret < 0) {
			find(f, "extension %u is unreadable (%s)", i,
			     gnutls_strerror(ret));
			break;
		}
		for (k = 0; k < EXT__MAX; k++)
			if (strcmp(oid, ext_names[k].oid) == 0)
				break;
		if (k == EXT__MAX) {
			find(f, "unexpected extension %s%s", oid,
			     crit ? " (critical)" : "");
			continue;
		}
		if (e->present[k]) {
			find(f, "%s appears twice", ext_names[k].name);
			continue;
		}
		ret = gnutls_x509_crt_get_extension_data2(crt, i, &e->val[k]);
		if (ret < 0) {
			find(f, "%s is unreadable (%s)", ext_names[k].name,
			     gnutls_strerror(ret));
			continue;
		}
		e->present[k] = 1;
		e->critical[k] = crit;
	}
}

/* Is this extension where it must be, with the right criticality? */
static int
want_ext(const struct exts *e, struct findings *f, enum ext_id k,
	 int required, int critical)
{
	if (!e->present[k]) {
		if (required)
			find(f, "%s is missing", ext_names[k].name);
		return 0;
	}
	if (critical >= 0 && (int)!!e->critical[k] != critical)
		find(f, "%s must %sbe critical", ext_names[k].name,
		     critical ? "" : "not ");
	return 1;
}

static void
lint_serial(const struct pki_cert_template *tpl, gnutls_x509_crt_t crt,
	    struct findings *f)
{
	unsigned char s[64];
	size_t n = sizeof(s), i, sig;
	int ret;

	if ((ret = gnutls_x509_crt_get_serial(crt, s, &n)) < 0) {
		find(f, "serial number unreadable or longer than 64 octets");
		return;
	}
	if (n == 0 || n > 20)
		find(f, "serial number is %zu octets; RFC 5280 allows 1 to 20",
		     n);
	if (n > 0 && (s[0] & 0x80))
		find(f, "serial number is negative");
	if (n > 1 && s[0] == 0 && !(s[1] & 0x80))
		find(f, "serial number has a superfluous leading zero octet");
	for (i = 0; i < n && s[i] == 0; i++)
		;
	if (i == n)
		find(f, "serial number is zero");
	sig = n - i;
	if (sig < 8)
		find(f, "serial number has %zu significant octets; at least 8 "
		     "(64 random bits) are required", sig);
	if (tpl->serial_len > 0) {
		size_t tl = tpl->serial_len, ti = 0;

		while (ti < tl && tpl->serial[ti] == 0)
			ti++;
		if (tl - ti != sig || memcmp(tpl->serial + ti, s + i, sig) != 0)
			find(f, "serial number differs from the requested one");
	}
}

/* Check one Time of the DER certificate: UTCTime before 2050,
 * GeneralizedTime from 2050, both ending in Z with seconds. */
static void
lint_time_encoding(asn1_node cert, const char *which, struct findings *f)
{
	char path[96], choice[32], val[32];
	int len, ret, year, i, digits;

	snprintf(path, sizeof(path), "tbsCertificate.validity.%s", which);
	len = sizeof(choice);
	if ((ret = asn1_read_value(cert, path, choice, &len)) != ASN1_SUCCESS) {
		find(f, "%s unreadable (%s)", which, asn1_strerror(ret));
		return;
	}
	snprintf(path, sizeof(path), "tbsCertificate.validity.%s.%s", which,
		 choice);
	len = sizeof(val) - 1;
	if ((ret = asn1_read_value(cert, path, val, &len)) != ASN1_SUCCESS) {
		find(f, "%s unreadable (%s)", which, asn1_strerror(ret));
		return;
	}
	val[len] = '\0';
	len = (int)strlen(val);    /* libtasn1 may count a trailing NUL */
	digits = strcmp(choice, "utcTime") == 0 ? 12 : 14;
	for (i = 0; i < digits; i++)
		if (val[i] < '0' || val[i] > '9')
			break;
	if (i != digits || len != digits + 1 || val[digits] != 'Z') {
		find(f, "%s '%s' is not of the form %sZ", which, val,
		     digits == 12 ? "YYMMDDHHMMSS" : "YYYYMMDDHHMMSS");
		return;
	}
	if (digits == 12) {
		year = (val[0] - '0') * 10 + (val[1] - '0');
		year += year >= 50 ? 1900 : 2000;
		if (year >= 2050)
			find(f, "%s is a UTCTime for %d", which, year);
	} else {
		year = (val[0] - '0') * 1000 + (val[1] - '0') * 100 +
		       (val[2] - '0') * 10 + (val[3] - '0');
		if (year < 2050)
			find(f, "%s is a GeneralizedTime for %d; RFC 5280 "
			     "requires UTCTime before 2050", which, year);
	}
}

static void
lint_validity(const struct pki_cert_template *tpl, gnutls_x509_crt_t crt,
	      gnutls_x509_crt_t issuer, struct findings *f)
{
	const struct pki_profile *p = tpl->profile;
	gnutls_datum_t der = { NULL, 0 };
	asn1_node cert = NULL;
	int64_t nb, na, inb, ina;
	char a[PKI_TIME_STRLEN], b[PKI_TIME_STRLEN];
	int ret;

	nb = (int64_t)gnutls_x509_crt_get_activation_time(crt);
	na = (int64_t)gnutls_x509_crt_get_expiration_time(crt);
	if (nb == -1 || na == -1) {
		find(f, "validity unreadable");
		return;
	}
	if (tpl->not_before != 0 && nb != tpl->not_before)
		find(f, "notBefore differs from the requested time");
	if (tpl->not_after != 0 && na != tpl->not_after)
		find(f, "notAfter differs from the requested time");
	if (na <= nb)
		find(f, "notAfter is not after notBefore");
	if (p->max_days > 0 && na - nb > (int64_t)p->max_days * 86400)
		find(f, "validity of %lld days exceeds the %s maximum of %u days",
		     (long long)((na - nb + 86399) / 86400), p->name,
		     p->max_days);
	if (issuer != NULL) {
		inb = (int64_t)gnutls_x509_crt_get_activation_time(issuer);
		ina = (int64_t)gnutls_x509_crt_get_expiration_time(issuer);
		if (nb < inb) {
			pki_time_format(nb, a);
			pki_time_format(inb, b);
			find(f, "notBefore %s is before the issuer's notBefore "
			     "%s", a, b);
		}
		if (na > ina) {
			pki_time_format(na, a);
			pki_time_format(ina, b);
			find(f, "notAfter %s is after the issuer's notAfter %s "
			     "(shorten the validity or renew the issuer)", a, b);
		}
	}
	if ((ret = gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_DER, &der)) < 0) {
		find(f, "certificate cannot be exported (%s)",
		     gnutls_strerror(ret));
		return;
	}
	if (pki__asn1_decode("PKIX-SPORK.Certificate", &der, &cert, NULL) != PKI_OK) {
		find(f, "certificate is not strict DER");
	} else {
		lint_time_encoding(cert, "notBefore", f);
		lint_time_encoding(cert, "notAfter", f);
	}
	asn1_delete_structure(&cert);
	gnutls_free(der.data);
}

/* Subject fields, in struct pki_subject order, with the X.520 / PKCS#9
 * upper bounds (in characters) RFC 5280 appendix A gives. */
static const struct {
	const char *oid;
	const char *label;
	const char *field;      /* spork's name, as in hierarchy.toml */
	size_t max;
} dn_fields[] = {
	{ GNUTLS_OID_X520_COMMON_NAME, "commonName", "common_name", 64 },
	{ GNUTLS_OID_X520_ORGANIZATION_NAME, "organizationName",
	  "organization", 64 },
	{ GNUTLS_OID_X520_ORGANIZATIONAL_UNIT_NAME, "organizationalUnitName",
	  "organizational_unit", 64 },
	{ GNUTLS_OID_X520_COUNTRY_NAME, "countryName", "country", 2 },
	{ GNUTLS_OID_X520_STATE_OR_PROVINCE_NAME, "stateOrProvinceName",
	  "state", 128 },
	{ GNUTLS_OID_X520_LOCALITY_NAME, "localityName", "locality", 128 },
	{ GNUTLS_OID_PKCS9_EMAIL, "emailAddress", "email", 255 },
	{ "2.5.4.5", "serialNumber", "serial_number", 64 },
};

size_t
pki_subject_field_max(const char *field)
{
	size_t i;

	for (i = 0; i < sizeof(dn_fields) / sizeof(dn_fields[0]); i++)
		if (strcmp(dn_fields[i].field, field) == 0)
			return dn_fields[i].max;
	return 0;
}

static const char *
subject_field(const struct pki_subject *s, size_t i)
{
	const char *v[] = { s->common_name, s->organization,
			    s->organizational_unit, s->country, s->state,
			    s->locality, s->email, s->serial_number };

	return i < sizeof(v) / sizeof(v[0]) ? v[i] : NULL;
}

static void
lint_names(const struct pki_cert_template *tpl, gnutls_x509_crt_t crt,
	   gnutls_x509_crt_t issuer, int *subject_empty, struct findings *f)
{
	gnutls_datum_t sdn = { NULL, 0 }, idn = { NULL, 0 };
	gnutls_datum_t want = { NULL, 0 };
	char buf[1040];
	size_t i, sz;
	int ret;

	*subject_empty = 1;
	if (gnutls_x509_crt_get_raw_dn(crt, &sdn) < 0 ||
	    gnutls_x509_crt_get_raw_issuer_dn(crt, &idn) < 0) {
		find(f, "subject or issuer name unreadable");
		goto out;
	}
	/* An empty Name is the 2-octet SEQUENCE 30 00. */
	*subject_empty = sdn.size <= 2;
	ret = issuer != NULL ? gnutls_x509_crt_get_raw_dn(issuer, &want) :
	      gnutls_x509_crt_get_raw_dn(crt, &want);
	if (ret < 0 || want.size != idn.size ||
	    memcmp(want.data, idn.data, idn.size) != 0)
		find(f, "issuer name is not the %s subject name",
		     issuer ? "issuer's" : "certificate's own");
	if (*subject_empty && tpl->profile->is_ca)
		find(f, "a CA certificate needs a non-empty subject");
	for (i = 0; i < sizeof(dn_fields) / sizeof(dn_fields[0]); i++) {
		const char *t = subject_field(&tpl->subject, i);
		unsigned k;

		for (k = 0; k < 8; k++) {
			sz = sizeof(buf);
			ret = gnutls_x509_crt_get_dn_by_oid(crt, dn_fields[i].oid,
							    k, 0, buf, &sz);
			if (ret == GNUTLS_E_SHORT_MEMORY_BUFFER) {
				find(f, "subject %s is longer than %zu bytes",
				     dn_fields[i].label, sizeof(buf) - 1);
				k++;
				break;
			}
			if (ret < 0)
				break;
			if (pki__dn_unescape(buf) != 0) {
				find(f, "subject %s is of a string type spork "
				     "does not read", dn_fields[i].label);
				continue;
			}
			if (pki__utf8_chars(buf) > dn_fields[i].max)
				find(f, "subject %s '%s' is longer than %zu "
				     "characters", dn_fields[i].label, buf,
				     dn_fields[i].max);
			if (i == 3 && (strlen(buf) != 2 || buf[0] < 'A' ||
				       buf[0] > 'Z' || buf[1] < 'A' ||
				       buf[1] > 'Z'))
				find(f, "subject countryName '%s' is not a "
				     "two-letter ISO 3166 code such as 'DE'",
				     buf);
			if (k > 0)
				find(f, "subject has more than one %s",
				     dn_fields[i].label);
			else if (!nonempty(t) || strcmp(t, buf) != 0)
				find(f, "subject %s '%s' is not the requested "
				     "one", dn_fields[i].label, buf);
		}
		if (k == 0 && nonempty(t))
			find(f, "subject %s is missing", dn_fields[i].label);
	}
out:
	gnutls_free(sdn.data);
	gnutls_free(idn.data);
	gnutls_free(want.data);
}

static const char *
san_type_name(unsigned t)
{
	switch (t) {
	case GNUTLS_SAN_DNSNAME: return "dNSName";
	case GNUTLS_SAN_IPADDRESS: return "iPAddress";
	case GNUTLS_SAN_RFC822NAME: return "rfc822Name";
	case GNUTLS_SAN_URI: return "uniformResourceIdentifier";
	case GNUTLS_SAN_DN: return "directoryName";
	case GNUTLS_SAN_OTHERNAME: return "otherName";
	default: return "unknown name type";
	}
}

/* Is ip one of the textual addresses in l? */
static int
ip_in_list(const struct pki_strlist *l, const struct pki_name_ip *ip)
{
	struct pki_name_ip b;
	size_t i;

	for (i = 0; i < l->n; i++)
		if (pki_name_ip_parse(l->v[i], &b, NULL) == PKI_OK &&
		    pki_name_ip_equal(&b, ip))
			return 1;
	return 0;
}

static void
lint_san(const struct pki_cert_template *tpl, gnutls_x509_crt_t crt,
	 const struct exts *e, int subject_empty, struct findings *f)
{
	const struct pki_profile *p = tpl->profile;
	gnutls_subject_alt_names_t sans = NULL;
	size_t want = tpl->san_dns.n + tpl->san_ip.n + tpl->san_email.n +
		      tpl->san_uri.n, have = 0;
	char cn[256], ipstr[PKI_NAME_IP_STRLEN];
	size_t cnlen = sizeof(cn);
	int cn_match = 0, has_cn;
	unsigned i, type;
	gnutls_datum_t v;
	int ret;

	has_cn = gnutls_x509_crt_get_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME,
					       0, 0, cn, &cnlen) >= 0;
	if (!e->present[EXT_SAN]) {
		if (p->san_required)
			find(f, "subjectAltName is missing; the %s profile needs "
			     "at least one %s", p->name,
			     p->san_types & PKI_SAN_DNS ? "DNS name or IP address"
			     : "email address");
		else if (subject_empty)
			find(f, "the subject is empty and there is no "
			     "subjectAltName");
		if (want > 0)
			find(f, "the requested subjectAltNames are missing");
		return;
	}
	if (p->san_types == 0)
		find(f, "subjectAltName is not allowed in the %s profile",
		     p->name);
	if ((int)!!e->critical[EXT_SAN] != subject_empty)
		find(f, "subjectAltName must be %scritical when the subject is "
		     "%sempty", subject_empty ? "" : "non-",
		     subject_empty ? "" : "not ");
	if ((ret = gnutls_subject_alt_names_init(&sans)) < 0 ||
	    (ret = gnutls_x509_ext_import_subject_alt_names(&e->val[EXT_SAN],
							    sans, 0)) < 0) {
		find(f, "subjectAltName unreadable (%s)", gnutls_strerror(ret));
		goto out;
	}
	for (i = 0; (ret = gnutls_subject_alt_names_get(sans, i, &type, &v,
							NULL)) >= 0; i++) {
		enum pki_san_type t;
		const struct pki_strlist *l;
		struct pki_error why;
		char s[1024];

		have++;
		switch (type) {
		case GNUTLS_SAN_DNSNAME: t = PKI_SAN_DNS; l = &tpl->san_dns; break;
		case GNUTLS_SAN_IPADDRESS: t = PKI_SAN_IP; l = &tpl->san_ip; break;
		case GNUTLS_SAN_RFC822NAME: t = PKI_SAN_EMAIL; l = &tpl->san_email; break;
		case GNUTLS_SAN_URI: t = PKI_SAN_URI; l = &tpl->san_uri; break;
		default:
			find(f, "subjectAltName has a %s, which spork does not "
			     "issue", san_type_name(type));
			continue;
		}
		if (!(p->san_types & t)) {
			find(f, "subjectAltName %s is not allowed in the %s "
			     "profile", san_type_name(type), p->name);
			continue;
		}
		if (t == PKI_SAN_IP) {
			struct pki_name_ip ip;

			if (pki_name_ip_from_bytes(v.data, v.size, &ip, NULL) !=
			    PKI_OK) {
				find(f, "subjectAltName iPAddress of %u octets",
				     v.size);
				continue;
			}
			pki_name_ip_format(&ip, ipstr);
			if (!ip_in_list(l, &ip))
				find(f, "subjectAltName IP %s was not requested",
				     ipstr);
			if (has_cn && strcmp(cn, ipstr) == 0)
				cn_match = 1;
			continue;
		}
		if (v.size >= sizeof(s) || memchr(v.data, 0, v.size) != NULL) {
			find(f, "subjectAltName %s is too long or has a NUL "
			     "byte", san_type_name(type));
			continue;
		}
		memcpy(s, v.data, v.size);
		s[v.size] = '\0';
		if (pki_san_check(t, s, p->id == PKI_PROFILE_TLS_SERVER, &why) !=
		    PKI_OK)
			find(f, "%s", why.msg);
		if (!strlist_has(l, s, v.size, t == PKI_SAN_DNS))
			find(f, "subjectAltName '%s' was not requested", s);
		if (t == PKI_SAN_DNS && has_cn && strcasecmp(cn, s) == 0)
			cn_match = 1;
	}
	if (ret != GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
		find(f, "subjectAltName unreadable (%s)", gnutls_strerror(ret));
	if (have == 0)
		find(f, "subjectAltName is empty");
	if (have != want)
		find(f, "subjectAltName has %zu names; %zu were requested",
		     have, want);
	if (p->id == PKI_PROFILE_TLS_SERVER && has_cn && !cn_match)
		find(f, "commonName '%s' is not one of the subjectAltNames", cn);
out:
	if (sans != NULL)
		gnutls_subject_alt_names_deinit(sans);
}

static void
lint_basic_constraints(const struct pki_cert_template *tpl,
		       const struct exts *e, struct findings *f)
{
	unsigned ca = 0;
	int pathlen = -1, ret;

	if (!want_ext(e, f, EXT_BC, 1, 1))
		return;
	ret = gnutls_x509_ext_import_basic_constraints(&e->val[EXT_BC], &ca,
						       &pathlen);
	if (ret < 0) {
		find(f, "basicConstraints unreadable (%s)", gnutls_strerror(ret));
		return;
	}
	if (tpl->profile->is_ca) {
		if (!ca)
			find(f, "basicConstraints cA is not set on a CA "
			     "certificate");
		if (pathlen != tpl->path_len) {
			if (tpl->path_len < 0)
				find(f, "pathLenConstraint %d was not requested",
				     pathlen);
			else if (pathlen < 0)
				find(f, "pathLenConstraint %d is missing",
				     tpl->path_len);
			else
				find(f, "pathLenConstraint is %d, not %d",
				     pathlen, tpl->path_len);
		}
	} else {
		if (ca)
			find(f, "basicConstraints cA is set on a %s certificate",
			     tpl->profile->name);
		if (pathlen >= 0)
			find(f, "pathLenConstraint on a certificate that is not "
			     "a CA");
	}
}

static void
lint_key_usage(const struct pki_cert_template *tpl, gnutls_x509_crt_t crt,
	       const struct exts *e, struct findings *f)
{
	const struct pki_profile *p = tpl->profile;
	static const struct { unsigned bit; const char *name; } names[] = {
		{ GNUTLS_KEY_DIGITAL_SIGNATURE, "digitalSignature" },
		{ GNUTLS_KEY_NON_REPUDIATION, "nonRepudiation" },
		{ GNUTLS_KEY_KEY_ENCIPHERMENT, "keyEncipherment" },
		{ GNUTLS_KEY_DATA_ENCIPHERMENT, "dataEncipherment" },
		{ GNUTLS_KEY_KEY_AGREEMENT, "keyAgreement" },
		{ GNUTLS_KEY_KEY_CERT_SIGN, "keyCertSign" },
		{ GNUTLS_KEY_CRL_SIGN, "cRLSign" },
		{ GNUTLS_KEY_ENCIPHER_ONLY, "encipherOnly" },
		{ GNUTLS_KEY_DECIPHER_ONLY, "decipherOnly" },
	};
	unsigned ku = 0, required, allowed, i, bits = 0;
	int pk, ret;

	if (!want_ext(e, f, EXT_KU, 1, 1))
		return;
	if ((ret = gnutls_x509_ext_import_key_usage(&e->val[EXT_KU], &ku)) < 0) {
		find(f, "keyUsage unreadable (%s)", gnutls_strerror(ret));
		return;
	}
	pk = gnutls_x509_crt_get_pk_algorithm(crt, &bits);
	required = p->key_usage;
	allowed = p->key_usage | p->key_usage_allowed;
	if (p->is_ca) {
		if (tpl->digital_signature)
			required |= GNUTLS_KEY_DIGITAL_SIGNATURE;
		else
			allowed &= ~(unsigned)GNUTLS_KEY_DIGITAL_SIGNATURE;
	}
	if (pk != GNUTLS_PK_RSA)
		allowed &= ~(unsigned)GNUTLS_KEY_KEY_ENCIPHERMENT;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if ((required & names[i].bit) && !(ku & names[i].bit))
			find(f, "keyUsage lacks %s", names[i].name);
		if (!(allowed & names[i].bit) && (ku & names[i].bit))
			find(f, "keyUsage %s is not allowed in the %s profile%s",
			     names[i].name, p->name,
			     names[i].bit == GNUTLS_KEY_KEY_ENCIPHERMENT &&
			     pk != GNUTLS_PK_RSA ? " for a non-RSA key" : "");
	}
	if (ku & ~(unsigned)0x80ff & ~(unsigned)GNUTLS_KEY_DECIPHER_ONLY)
		find(f, "keyUsage has unknown bits 0x%x", ku);
}

static void
lint_eku(const struct pki_cert_template *tpl, const struct exts *e,
	 struct findings *f)
{
	const struct pki_profile *p = tpl->profile;
	gnutls_x509_key_purposes_t kp = NULL;
	gnutls_datum_t oid;
	size_t want = 0, have = 0, i;
	unsigned k;
	int ret;

	if (p->eku == NULL) {
		if (e->present[EXT_EKU])
			find(f, "extKeyUsage is not allowed in the %s profile",
			     p->name);
		return;
	}
	if (!want_ext(e, f, EXT_EKU, 1, 0))
		return;
	for (want = 0; p->eku[want] != NULL; want++)
		;
	if ((ret = gnutls_x509_key_purpose_init(&kp)) < 0 ||
	    (ret = gnutls_x509_ext_import_key_purposes(&e->val[EXT_EKU], kp,
						       0)) < 0) {
		find(f, "extKeyUsage unreadable (%s)", gnutls_strerror(ret));
		goto out;
	}
	for (k = 0; gnutls_x509_key_purpose_get(kp, k, &oid) >= 0; k++) {
		have++;
		for (i = 0; i < want; i++)
			if (strlen(p->eku[i]) == oid.size &&
			    memcmp(p->eku[i], oid.data, oid.size) == 0)
				break;
		if (i == want)
			find(f, "extKeyUsage %.*s is not allowed in the %s "
			     "profile", (int)oid.size, (const char *)oid.data,
			     p->name);
	}
	if (have != want)
		find(f, "extKeyUsage has %zu purposes; the %s profile sets "
		     "exactly %zu (%s)", have, p->name, want, p->eku[0]);
out:
	if (kp != NULL)
		gnutls_x509_key_purpose_deinit(kp);
}

static void
lint_key_ids(gnutls_x509_crt_t crt, gnutls_x509_crt_t issuer,
	     const struct exts *e, struct findings *f)
{
	unsigned char kid[PKI_KEY_IDENTIFIER_SIZE], iski[64];
	size_t iski_len = sizeof(iski);
	gnutls_datum_t ski = { NULL, 0 }, aid;
	gnutls_pubkey_t pub = NULL;
	gnutls_x509_aki_t aki = NULL;
	unsigned crit = 0;
	int ret;

	if (want_ext(e, f, EXT_SKI, 1, 0)) {
		if (gnutls_x509_ext_import_subject_key_id(&e->val[EXT_SKI],
							  &ski) < 0)
			find(f, "subjectKeyIdentifier unreadable");
		else if (gnutls_pubkey_init(&pub) < 0 ||
			 gnutls_pubkey_import_x509(pub, crt, 0) < 0 ||
			 pki_profile_key_identifier(pub, kid, NULL) != PKI_OK)
			find(f, "public key unreadable");
		else if (ski.size != sizeof(kid) ||
			 memcmp(ski.data, kid, sizeof(kid)) != 0)
			find(f, "subjectKeyIdentifier is not the SHA-1 of the "
			     "subject public key (RFC 5280 method 1)");
	}
	if (!want_ext(e, f, EXT_AKI, 1, 0))
		goto out;
	ret = issuer != NULL ?
	      gnutls_x509_crt_get_subject_key_id(issuer, iski, &iski_len, &crit) :
	      -1;
	if (issuer == NULL) {
		if (ski.data == NULL)
			goto out;
		memcpy(iski, ski.data, ski.size < sizeof(iski) ? ski.size :
		       sizeof(iski));
		iski_len = ski.size < sizeof(iski) ? ski.size : sizeof(iski);
	} else if (ret < 0) {
		find(f, "the issuer certificate has no subjectKeyIdentifier");
		goto out;
	}
	if ((ret = gnutls_x509_aki_init(&aki)) < 0 ||
	    (ret = gnutls_x509_ext_import_authority_key_id(&e->val[EXT_AKI], aki,
							   0)) < 0 ||
	    (ret = gnutls_x509_aki_get_id(aki, &aid)) < 0) {
		find(f, "authorityKeyIdentifier has no keyIdentifier (%s)",
		     gnutls_strerror(ret));
		goto out;
	}
	if (aid.size != iski_len || memcmp(aid.data, iski, iski_len) != 0)
		find(f, "authorityKeyIdentifier is not the issuer's "
		     "subjectKeyIdentifier");
	if (gnutls_x509_aki_get_cert_issuer(aki, 0, &crit, &aid, NULL, NULL) !=
	    GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
		find(f, "authorityKeyIdentifier carries an issuer name and "
		     "serial; only keyIdentifier is used");
out:
	if (aki != NULL)
		gnutls_x509_aki_deinit(aki);
	gnutls_pubkey_deinit(pub);
	gnutls_free(ski.data);
}

/* Compare the name constraints of one kind with the template's strings. */
static void
nc_compare(gnutls_x509_name_constraints_t nc, int permitted,
	   const struct pki_cert_template *tpl, struct findings *f)
{
	const struct pki_strlist *dns = permitted ? &tpl->permitted_dns :
					&tpl->excluded_dns;
	const struct pki_strlist *ip = permitted ? &tpl->permitted_ip :
				       &tpl->excluded_ip;
	const struct pki_strlist *em = permitted ? &tpl->permitted_email :
				       &tpl->excluded_email;
	const char *what = permitted ? "permitted" : "excluded";
	unsigned i, type;
	size_t have = 0, k;
	gnutls_datum_t name;
	unsigned char b[32];
	size_t bl;
	int ret;

	for (i = 0;; i++) {
		ret = permitted ?
		      gnutls_x509_name_constraints_get_permitted(nc, i, &type,
								 &name) :
		      gnutls_x509_name_constraints_get_excluded(nc, i, &type,
								&name);
		if (ret < 0)
			break;
		have++;
		if (type == GNUTLS_SAN_DNSNAME) {
			if (!strlist_has(dns, (const char *)name.data, name.size,
					 1))
				find(f, "%s DNS constraint '%.*s' was not "
				     "requested", what, (int)name.size,
				     (const char *)name.data);
		} else if (type == GNUTLS_SAN_RFC822NAME) {
			if (!strlist_has(em, (const char *)name.data, name.size,
					 1))
				find(f, "%s email constraint '%.*s' was not "
				     "requested", what, (int)name.size,
				     (const char *)name.data);
		} else if (type == GNUTLS_SAN_IPADDRESS) {
			int found = 0;

			for (k = 0; k < ip->n; k++) {
				struct pki_name_cidr c;

				if (pki_name_cidr_parse(ip->v[k], 0, &c, NULL) ==
				    PKI_OK &&
				    (bl = pki_name_cidr_netmask(&c, b)) ==
				    name.size && memcmp(b, name.data, bl) == 0)
					found = 1;
			}
			if (!found)
				find(f, "%s IP constraint of %u octets was not "
				     "requested or is not a network/mask", what,
				     name.size);
		} else {
			find(f, "%s constraint of type %s is not used by spork",
			     what, san_type_name(type));
		}
	}
	if (have != dns->n + ip->n + em->n)
		find(f, "nameConstraints has %zu %s subtrees; %zu were "
		     "requested", have, what, dns->n + ip->n + em->n);
}

static void
lint_name_constraints(const struct pki_cert_template *tpl,
		      const struct exts *e, struct findings *f)
{
	gnutls_x509_name_constraints_t nc = NULL;
	size_t want = tpl->permitted_dns.n + tpl->excluded_dns.n +
		      tpl->permitted_ip.n + tpl->excluded_ip.n +
		      tpl->permitted_email.n + tpl->excluded_email.n;
	int ret;

	if (!e->present[EXT_NC]) {
		if (want > 0)
			find(f, "nameConstraints %s", tpl->profile->is_ca ?
			     "is missing" : "were requested on a certificate "
			     "that is not a CA");
		return;
	}
	if (!tpl->profile->is_ca) {
		find(f, "nameConstraints on a %s certificate; they belong on "
		     "CA certificates only", tpl->profile->name);
		return;
	}
	want_ext(e, f, EXT_NC, 0, 1);
	if ((ret = gnutls_x509_name_constraints_init(&nc)) < 0 ||
	    (ret = gnutls_x509_ext_import_name_constraints(&e->val[EXT_NC], nc,
							   0)) < 0) {
		find(f, "nameConstraints unreadable (%s)", gnutls_strerror(ret));
		goto out;
	}
	nc_compare(nc, 1, tpl, f);
	nc_compare(nc, 0, tpl, f);
out:
	if (nc != NULL)
		gnutls_x509_name_constraints_deinit(nc);
}

static void
lint_policies(const struct pki_cert_template *tpl, const struct exts *e,
	      struct findings *f)
{
	gnutls_x509_policies_t pol = NULL;
	struct gnutls_x509_policy_st ps;
	size_t have = 0;
	unsigned i;
	int ret;

	if (!want_ext(e, f, EXT_CP, tpl->policy_oids.n > 0, 0))
		return;
	if ((ret = gnutls_x509_policies_init(&pol)) < 0 ||
	    (ret = gnutls_x509_ext_import_policies(&e->val[EXT_CP], pol,
						   0)) < 0) {
		find(f, "certificatePolicies unreadable (%s)",
		     gnutls_strerror(ret));
		goto out;
	}
	for (i = 0; gnutls_x509_policies_get(pol, i, &ps) >= 0; i++) {
		have++;
		if (!strlist_has(&tpl->policy_oids, ps.oid, strlen(ps.oid), 0))
			find(f, "certificatePolicies %s was not requested",
			     ps.oid);
	}
	if (have != tpl->policy_oids.n)
		find(f, "certificatePolicies has %zu policies; %zu were "
		     "requested", have, tpl->policy_oids.n);
out:
	if (pol != NULL)
		gnutls_x509_policies_deinit(pol);
}

static void
lint_url(const char *what, const char *url, size_t n, struct findings *f)
{
	char s[1024];

	if (n >= sizeof(s) || memchr(url, 0, n) != NULL) {
		find(f, "%s URL too long or has a NUL byte", what);
		return;
	}
	memcpy(s, url, n);
	s[n] = '\0';
	if ((strncmp(s, "http://", 7) != 0 && strncmp(s, "ldap://", 7) != 0) ||
	    pki_san_check(PKI_SAN_URI, s, 0, NULL) != PKI_OK)
		find(f, "%s URL '%s' is not an http:// (or ldap://) URL without "
		     "spaces", what, s);
}

static void
lint_dist_points(enum ext_id k, const struct pki_strlist *want,
		 const struct exts *e, struct findings *f)
{
	gnutls_x509_crl_dist_points_t dp = NULL;
	gnutls_datum_t v;
	unsigned i, type, reasons;
	size_t have = 0;
	int ret;

	if (!want_ext(e, f, k, want->n > 0, 0))
		return;
	if ((ret = gnutls_x509_crl_dist_points_init(&dp)) < 0 ||
	    (ret = gnutls_x509_ext_import_crl_dist_points(&e->val[k], dp,
							  0)) < 0) {
		find(f, "%s unreadable (%s)", ext_names[k].name,
		     gnutls_strerror(ret));
		goto out;
	}
	for (i = 0; gnutls_x509_crl_dist_points_get(dp, i, &type, &v,
						    &reasons) >= 0; i++) {
		have++;
		if (type != GNUTLS_SAN_URI) {
			find(f, "%s has a %s; spork writes URIs only",
			     ext_names[k].name, san_type_name(type));
			continue;
		}
		if (reasons != 0)
			find(f, "%s has reason flags", ext_names[k].name);
		lint_url(ext_names[k].name, (const char *)v.data, v.size, f);
		if (!strlist_has(want, (const char *)v.data, v.size, 0))
			find(f, "%s URL '%.*s' was not requested",
			     ext_names[k].name, (int)v.size,
			     (const char *)v.data);
	}
	if (have != want->n)
		find(f, "%s has %zu URLs; %zu were requested", ext_names[k].name,
		     have, want->n);
out:
	if (dp != NULL)
		gnutls_x509_crl_dist_points_deinit(dp);
}

static void
lint_aia(const struct pki_cert_template *tpl, const struct exts *e,
	 struct findings *f)
{
	gnutls_x509_aia_t aia = NULL;
	gnutls_datum_t oid, v;
	size_t have = 0;
	unsigned i, type;
	int ret;

	if (!want_ext(e, f, EXT_AIA, tpl->ocsp_urls.n + tpl->ca_issuers_urls.n
		      > 0, 0))
		return;
	if ((ret = gnutls_x509_aia_init(&aia)) < 0 ||
	    (ret = gnutls_x509_ext_import_aia(&e->val[EXT_AIA], aia, 0)) < 0) {
		find(f, "authorityInfoAccess unreadable (%s)",
		     gnutls_strerror(ret));
		goto out;
	}
	for (i = 0; gnutls_x509_aia_get(aia, i, &oid, &type, &v) >= 0; i++) {
		const struct pki_strlist *l;
		const char *o = (const char *)oid.data;

		have++;
		if (strlen(GNUTLS_OID_AD_OCSP) == oid.size &&
		    memcmp(o, GNUTLS_OID_AD_OCSP, oid.size) == 0)
			l = &tpl->ocsp_urls;
		else if (strlen(GNUTLS_OID_AD_CAISSUERS) == oid.size &&
			 memcmp(o, GNUTLS_OID_AD_CAISSUERS, oid.size) == 0)
			l = &tpl->ca_issuers_urls;
		else {
			find(f, "authorityInfoAccess method %.*s is not used by "
			     "spork", (int)oid.size, o);
			continue;
		}
		if (type != GNUTLS_SAN_URI) {
			find(f, "authorityInfoAccess has a %s; spork writes URIs "
			     "only", san_type_name(type));
			continue;
		}
		lint_url("authorityInfoAccess", (const char *)v.data, v.size, f);
		if (!strlist_has(l, (const char *)v.data, v.size, 0))
			find(f, "authorityInfoAccess URL '%.*s' was not "
			     "requested", (int)v.size, (const char *)v.data);
	}
	if (have != tpl->ocsp_urls.n + tpl->ca_issuers_urls.n)
		find(f, "authorityInfoAccess has %zu URLs; %zu were requested",
		     have, tpl->ocsp_urls.n + tpl->ca_issuers_urls.n);
out:
	if (aia != NULL)
		gnutls_x509_aia_deinit(aia);
}

/* Can issuer sign this certificate at all? */
static void
lint_issuer(const struct pki_cert_template *tpl, gnutls_x509_crt_t crt,
	    gnutls_x509_crt_t issuer, struct findings *f)
{
	const struct pki_profile *p = tpl->profile;
	gnutls_x509_name_constraints_t nc = NULL;
	unsigned crit = 0, ca = 0, ku = 0;
	int pathlen = -1, ret;

	if (issuer == NULL) {
		if (p->id != PKI_PROFILE_ROOT_CA)
			find(f, "only root-ca certificates are self-signed; "
			     "a %s certificate needs an issuer", p->name);
		return;
	}
	if (p->id == PKI_PROFILE_ROOT_CA)
		find(f, "a root-ca certificate is self-signed; use sub-ca for a "
		     "CA with an issuer");
	ret = gnutls_x509_crt_get_basic_constraints(issuer, &crit, &ca,
						    &pathlen);
	if (ret < 0 || !ca)
		find(f, "the issuer is not a CA (basicConstraints cA unset)");
	if (gnutls_x509_crt_get_key_usage(issuer, &ku, &crit) >= 0 &&
	    !(ku & GNUTLS_KEY_KEY_CERT_SIGN))
		find(f, "the issuer's keyUsage lacks keyCertSign");
	if (p->is_ca && ca && pathlen >= 0) {
		if (pathlen == 0)
			find(f, "the issuer's pathLenConstraint is 0: it cannot "
			     "issue CA certificates");
		else if (tpl->path_len < 0 || tpl->path_len >= pathlen)
			find(f, "pathLenConstraint must be at most %d (the "
			     "issuer's is %d)", pathlen - 1, pathlen);
	}
	/* The issuer's nameConstraints, as GnuTLS applies them to the end
	 * certificate of a path: SANs, and for TLS server certificates
	 * without a dNSName the CN, for email the emailAddress.  A CA
	 * certificate's subject CN is not a host name, so CA certificates
	 * (which carry no SANs in these profiles) are not checked. */
	if (p->is_ca || gnutls_x509_name_constraints_init(&nc) < 0)
		return;
	ret = gnutls_x509_crt_get_name_constraints(issuer, nc, 0, &crit);
	/* GnuTLS also treats a subject CN as a DNS name when there is no
	 * dNSName SAN; a CA's CN is a label, not a host name, so only
	 * end-entity certificates are checked here. */
	if (ret >= 0 && !p->is_ca) {
		static const unsigned types[] = { GNUTLS_SAN_DNSNAME,
						  GNUTLS_SAN_RFC822NAME,
						  GNUTLS_SAN_IPADDRESS };
		size_t i;

		for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
			if (!gnutls_x509_name_constraints_check_crt(nc, types[i],
								    crt))
				find(f, "a %s of the certificate is outside the "
				     "issuer's nameConstraints",
				     san_type_name(types[i]));
	}
	if (nc != NULL)
		gnutls_x509_name_constraints_deinit(nc);
}

int
pki_profile_lint(const struct pki_cert_template *tpl, gnutls_x509_crt_t crt,
		 gnutls_x509_crt_t issuer, struct pki_error *err)
{
	struct findings f;
	struct exts e;
	gnutls_pubkey_t pub = NULL;
	struct pki_error kerr;
	char cn[520], q[PKI__QUOTE_MAX];
	size_t cnlen = sizeof(cn);
	int subject_empty = 0, ret;

	if (tpl == NULL || tpl->profile == NULL || crt == NULL)
		return pki_error_set(err, PKI_E_INVALID, "pki_profile_lint: "
				     "no profile or no certificate");
	memset(&f, 0, sizeof(f));
	memset(&e, 0, sizeof(e));
	if ((ret = gnutls_x509_crt_get_version(crt)) != 3)
		find(&f, "version is %d, not 3", ret);
	lint_serial(tpl, crt, &f);
	lint_validity(tpl, crt, issuer, &f);
	lint_names(tpl, crt, issuer, &subject_empty, &f);
	if (gnutls_pubkey_init(&pub) < 0 ||
	    gnutls_pubkey_import_x509(pub, crt, 0) < 0)
		find(&f, "subject public key unreadable");
	else if (pki_profile_check_key(pub, &kerr) != PKI_OK)
		find(&f, "%s", kerr.msg);
	read_exts(crt, &e, &f);
	lint_basic_constraints(tpl, &e, &f);
	lint_key_usage(tpl, crt, &e, &f);
	lint_eku(tpl, &e, &f);
	lint_key_ids(crt, issuer, &e, &f);
	lint_san(tpl, crt, &e, subject_empty, &f);
	lint_name_constraints(tpl, &e, &f);
	lint_policies(tpl, &e, &f);
	lint_dist_points(EXT_CDP, &tpl->crl_urls, &e, &f);
	lint_dist_points(EXT_FRESHEST, &tpl->freshest_crl_urls, &e, &f);
	lint_aia(tpl, &e, &f);
	if (tpl->profile->id == PKI_PROFILE_OCSP_SIGNING)
		want_ext(&e, &f, EXT_NOCHECK, 1, 0);
	else if (e.present[EXT_NOCHECK])
		find(&f, "id-pkix-ocsp-nocheck belongs on ocsp-signing "
		     "certificates only");
	if (e.present[EXT_NOCHECK]) {
		asn1_node nul = NULL;

		if (pki__asn1_decode("PKIX-SPORK.OCSPNoCheck", &e.val[EXT_NOCHECK],
			      &nul, NULL) != PKI_OK)
			find(&f, "id-pkix-ocsp-nocheck value is not NULL");
		asn1_delete_structure(&nul);
	}
	lint_issuer(tpl, crt, issuer, &f);
	exts_clear(&e);
	gnutls_pubkey_deinit(pub);
	if (f.n == 0)
		return PKI_OK;
	ret = gnutls_x509_crt_get_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0,
					    0, cn, &cnlen);
	if (ret == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE || ret == 0) {
		if (ret != 0 || pki__dn_unescape(cn) != 0)
			snprintf(cn, sizeof(cn), "(no common name)");
		pki__quote(cn, strlen(cn), q, sizeof(q));
	} else {
		snprintf(q, sizeof(q), "(a common name too long to show)");
	}
	return pki_error_set(err, PKI_E_LINT, "the %s certificate '%s' fails "
			     "its profile check (%u finding%s): %s",
			     tpl->profile->name, q, f.n, f.n == 1 ? "" : "s",
			     f.buf);
}
