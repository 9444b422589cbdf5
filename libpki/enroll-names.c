/*
 * enroll-names: the names of a certificate being enrolled (enroll-int.h):
 * reading them from a request, a record or a certificate, settling them
 * for a profile, and checking every name a relying party may look at
 * against the domain policy and the CAs' name constraints.
 */
#include <config.h>

#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <jansson.h>

#include "enroll-int.h"
#include "profile-int.h"
#include <spork/name.h>
#include <spork/policy.h>
#include "util.h"

/* ------------------------------------------------------------ names */

void
pki_enroll_request_clear(struct pki_enroll_request *req)
{
	if (req == NULL)
		return;
	pki_strlist_clear(&req->san_dns);
	pki_strlist_clear(&req->san_ip);
	pki_strlist_clear(&req->san_email);
	pki_strlist_clear(&req->san_uri);
}

void
pki__names_clear(struct pki__names *n)
{
	pki_strlist_clear(&n->dns);
	pki_strlist_clear(&n->ip);
	pki_strlist_clear(&n->email);
	pki_strlist_clear(&n->uri);
}

size_t
pki__names_count(const struct pki__names *n)
{
	return n->dns.n + n->ip.n + n->email.n + n->uri.n;
}

static int
strlist_has(const struct pki_strlist *l, const char *s)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (strcasecmp(l->v[i], s) == 0)
			return 1;
	return 0;
}

/* Add s to l unless it is there already (DNS: ignoring case). */
static int
add_unique(struct pki_strlist *l, const char *s, struct pki_error *err)
{
	if (strlist_has(l, s))
		return PKI_OK;
	if (l->n >= PKI__ENROLL_MAX_SANS)
		return pki_error_set(err, PKI_E_INVALID, "more than %d names of "
				     "one type requested", PKI__ENROLL_MAX_SANS);
	if (pki_strlist_add(l, s) != PKI_OK)
		return pki_error_set(err, PKI_E_NOMEM, "out of memory");
	return PKI_OK;
}

/* Canonical text form of an IP address; PKI_E_INVALID if it is none. */
static int
ip_canon(const char *in, char out[PKI_NAME_IP_STRLEN], struct pki_error *err)
{
	struct pki_name_ip ip;

	if (pki_name_ip_parse(in, &ip, NULL) != PKI_OK)
		return pki_error_set(err, PKI_E_INVALID, "'%s' is not an IP "
				     "address", in);
	pki_name_ip_format(&ip, out);
	return PKI_OK;
}

int
pki__names_add(struct pki__names *n, const char *type, const char *value,
	       struct pki_error *err)
{
	char buf[PKI__ENROLL_MAX_NAME + 1];
	size_t i, len = strlen(value);

	if (len == 0)
		return pki_error_set(err, PKI_E_INVALID, "empty %s name", type);
	if (len > PKI__ENROLL_MAX_NAME)
		return pki_error_set(err, PKI_E_INVALID, "%s name longer than %d "
				     "bytes", type, PKI__ENROLL_MAX_NAME);
	if (strcmp(type, "dns") == 0) {
		for (i = 0; i <= len; i++)
			buf[i] = (char)(value[i] >= 'A' && value[i] <= 'Z' ?
					value[i] + 32 : value[i]);
		return add_unique(&n->dns, buf, err);
	}
	if (strcmp(type, "ip") == 0) {
		if (ip_canon(value, buf, err) != PKI_OK)
			return PKI_E_INVALID;
		return add_unique(&n->ip, buf, err);
	}
	if (strcmp(type, "email") == 0)
		return add_unique(&n->email, value, err);
	if (strcmp(type, "uri") == 0)
		return add_unique(&n->uri, value, err);
	return pki_error_set(err, PKI_E_INVALID, "unknown name type '%s' (use "
			     "dns:, ip:, email: or uri:)", type);
}

/* One "type:value" or a bare value whose type is guessed. */
static int
add_spec(struct pki__names *n, const char *item, struct pki_error *err)
{
	static const char *const types[] = { "dns", "ip", "email", "uri", NULL };
	struct pki_name_ip ip;
	size_t i;
	const char *colon = strchr(item, ':');

	if (colon != NULL) {
		for (i = 0; types[i] != NULL; i++)
			if ((size_t)(colon - item) == strlen(types[i]) &&
			    strncasecmp(item, types[i], strlen(types[i])) == 0) {
				char t[8];

				memcpy(t, types[i], strlen(types[i]) + 1);
				return pki__names_add(n, t, colon + 1, err);
			}
	}
	if (pki_name_ip_parse(item, &ip, NULL) == PKI_OK)
		return pki__names_add(n, "ip", item, err);
	if (strstr(item, "://") != NULL)
		return pki__names_add(n, "uri", item, err);
	if (strchr(item, '@') != NULL)
		return pki__names_add(n, "email", item, err);
	if (colon != NULL)
		return pki_error_set(err, PKI_E_INVALID, "'%s': unknown name type "
				     "(use dns:, ip:, email: or uri:)", item);
	return pki__names_add(n, "dns", item, err);
}

int
pki_enroll_add_sans(struct pki_enroll_request *req, const char *spec,
		    struct pki_error *err)
{
	struct pki__names n;
	char *copy = NULL, *p, *save = NULL;
	int rc = PKI_E_NOMEM;
	size_t items = 0;

	n.dns = req->san_dns;
	n.ip = req->san_ip;
	n.email = req->san_email;
	n.uri = req->san_uri;
	if ((copy = strdup(spec)) == NULL) {
		rc = pki_error_set(err, PKI_E_NOMEM, "out of memory");
		goto out;
	}
	rc = PKI_OK;
	for (p = strtok_r(copy, ",", &save); p != NULL && rc == PKI_OK;
	     p = strtok_r(NULL, ",", &save)) {
		while (*p == ' ')
			p++;
		if (*p == '\0')
			continue;
		rc = add_spec(&n, p, err);
		items++;
	}
	if (rc == PKI_OK && items == 0)
		rc = pki_error_set(err, PKI_E_INVALID, "no name in '%s'", spec);
out:
	req->san_dns = n.dns;
	req->san_ip = n.ip;
	req->san_email = n.email;
	req->san_uri = n.uri;
	free(copy);
	return rc;
}

int
pki__names_from_record(struct pki__names *n, const char *sans, struct pki_error *err)
{
	char *copy, *p, *save = NULL;
	int rc = PKI_OK;

	if (sans == NULL || *sans == '\0')
		return PKI_OK;
	if ((copy = strdup(sans)) == NULL)
		return pki_error_set(err, PKI_E_NOMEM, "out of memory");
	for (p = strtok_r(copy, "\n", &save); p != NULL && rc == PKI_OK;
	     p = strtok_r(NULL, "\n", &save)) {
		char *colon = strchr(p, ':');

		if (colon == NULL) {
			rc = pki_error_set(err, PKI_E_INVALID, "stored name '%s' "
					   "has no type", p);
			break;
		}
		*colon = '\0';
		rc = pki__names_add(n, p, colon + 1, err);
	}
	free(copy);
	return rc;
}

char *
pki__names_to_record(const struct pki__names *n)
{
	static const char *const pfx[] = { "dns", "ip", "email", "uri" };
	const struct pki_strlist *l[4] = { &n->dns, &n->ip, &n->email, &n->uri };
	char *out = NULL;
	size_t len = 0, i, j;
	FILE *f = open_memstream(&out, &len);
	int first = 1;

	if (f == NULL)
		return NULL;
	for (i = 0; i < 4; i++)
		for (j = 0; j < l[i]->n; j++) {
			fprintf(f, "%s%s:%s", first ? "" : "\n", pfx[i], l[i]->v[j]);
			first = 0;
		}
	if (fclose(f) != 0) {
		free(out);
		return NULL;
	}
	return out;
}

json_t *
pki__names_json(const struct pki__names *n)
{
	static const char *const pfx[] = { "dns", "ip", "email", "uri" };
	const struct pki_strlist *l[4] = { &n->dns, &n->ip, &n->email, &n->uri };
	json_t *a = json_array();
	char buf[PKI__ENROLL_MAX_NAME + 8];
	size_t i, j;

	for (i = 0; i < 4; i++)
		for (j = 0; j < l[i]->n; j++) {
			snprintf(buf, sizeof(buf), "%s:%s", pfx[i], l[i]->v[j]);
			json_array_append_new(a, json_string(buf));
		}
	return a;
}

/* ------------------------------------------------------------ subject */

/* The subject fields spork carries: OID, spork's field name (profile.h)
 * and the words messages use. */
static const struct {
	const char *oid;
	const char *field;
	const char *label;
	size_t off;
} subject_fields[] = {
	{ GNUTLS_OID_X520_COMMON_NAME, "common_name", "common name",
	  offsetof(struct pki_subject, common_name) },
	{ GNUTLS_OID_X520_ORGANIZATION_NAME, "organization", "organization",
	  offsetof(struct pki_subject, organization) },
	{ GNUTLS_OID_X520_ORGANIZATIONAL_UNIT_NAME, "organizational_unit",
	  "organizational unit",
	  offsetof(struct pki_subject, organizational_unit) },
	{ GNUTLS_OID_X520_COUNTRY_NAME, "country", "country",
	  offsetof(struct pki_subject, country) },
	{ GNUTLS_OID_X520_STATE_OR_PROVINCE_NAME, "state", "state or province",
	  offsetof(struct pki_subject, state) },
	{ GNUTLS_OID_X520_LOCALITY_NAME, "locality", "locality",
	  offsetof(struct pki_subject, locality) },
	{ GNUTLS_OID_PKCS9_EMAIL, "email", "emailAddress",
	  offsetof(struct pki_subject, email) },
	{ "2.5.4.5", "serial_number", "serial number",
	  offsetof(struct pki_subject, serial_number) },
};
#define NFIELDS (sizeof(subject_fields) / sizeof(subject_fields[0]))

static char **
field_of(struct pki_subject *s, size_t i)
{
	return (char **)((char *)s + subject_fields[i].off);
}

static const char *
field_value(const struct pki_subject *s, size_t i)
{
	return *(char *const *)((const char *)s + subject_fields[i].off);
}

/* Where DN attributes come from: a CSR or a certificate. */
struct dn_src {
	gnutls_x509_crq_t crq;
	gnutls_x509_crt_t crt;
};

/* Value k of the subject field i into buf, unescaped; *found 0 when
 * there is none. */
static int
dn_get(const struct dn_src *s, size_t i, unsigned k, char *buf, size_t len,
       int *found, struct pki_error *err)
{
	const char *oid = subject_fields[i].oid, *what = subject_fields[i].label;
	size_t size = len;
	int ret;

	*found = 0;
	ret = s->crq ? gnutls_x509_crq_get_dn_by_oid(s->crq, oid, k, 0, buf, &size)
		     : gnutls_x509_crt_get_dn_by_oid(s->crt, oid, k, 0, buf, &size);
	if (ret == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
		return PKI_OK;
	*found = 1;
	if (ret == GNUTLS_E_SHORT_MEMORY_BUFFER)
		return pki_error_set(err, PKI_E_INVALID, "the subject's %s is "
				     "longer than %d bytes", what,
				     PKI__ENROLL_MAX_NAME);
	if (ret < 0)
		return pki__gnutls_error(err, ret, "reading the subject");
	if (size >= len || strlen(buf) != size)
		return pki_error_set(err, PKI_E_INVALID, "the subject's %s "
				     "holds a NUL byte", what);
	if (pki__dn_unescape(buf) != 0)
		return pki_error_set(err, PKI_E_INVALID, "the subject's %s is "
				     "of a string type spork does not read (use "
				     "UTF8String or PrintableString)", what);
	return PKI_OK;
}

/* The field of subject_fields with that OID, or NFIELDS. */
static size_t
field_by_oid(const char *oid)
{
	size_t i;

	for (i = 0; i < NFIELDS; i++)
		if (strcmp(subject_fields[i].oid, oid) == 0)
			break;
	return i;
}

/* Refuse a subject attribute spork does not carry (DC, UID, title, ...)
 * rather than drop it from the certificate without a word. */
static int
subject_only_known(const struct dn_src *s, struct pki_error *err)
{
	char oid[128];
	const char *name;
	size_t size;
	unsigned k;
	int ret;

	for (k = 0; k < 64; k++) {
		size = sizeof(oid);
		ret = s->crq ? gnutls_x509_crq_get_dn_oid(s->crq, k, oid, &size)
			     : gnutls_x509_crt_get_dn_oid(s->crt, k, oid, &size);
		if (ret == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
			return PKI_OK;
		if (ret < 0)
			return pki__gnutls_error(err, ret, "reading the subject");
		if (field_by_oid(oid) < NFIELDS)
			continue;
		name = gnutls_x509_dn_oid_name(oid, 0);
		return pki_error_set(err, PKI_E_INVALID, "the subject carries %s"
				     "%s%s%s, which spork does not put into a "
				     "certificate (it carries CN, O, OU, C, ST, "
				     "L, emailAddress and serialNumber): "
				     "replace the subject", name ? name : oid,
				     name ? " (" : "", name ? oid : "",
				     name ? ")" : "");
	}
	return pki_error_set(err, PKI_E_INVALID, "the subject has more than "
			     "64 kinds of attribute");
}

/* Every field spork carries, each at most once; nothing else. */
static int
subject_read(const struct dn_src *s, struct pki_subject *subj,
	     struct pki_error *err)
{
	char buf[2 * PKI__ENROLL_MAX_NAME + 2], q[PKI__QUOTE_MAX];
	size_t i;
	int rc, found;

	if ((rc = subject_only_known(s, err)) != PKI_OK)
		return rc;
	for (i = 0; i < NFIELDS; i++) {
		if ((rc = dn_get(s, i, 1, buf, sizeof(buf), &found, err)) !=
		    PKI_OK)
			return rc;
		if (found)
			return pki_error_set(err, PKI_E_INVALID, "the subject "
					     "has more than one %s (\"%s\" is "
					     "the second); a certificate "
					     "carries one", subject_fields[i].label,
					     pki__quote(buf, strlen(buf), q,
							sizeof(q)));
		if ((rc = dn_get(s, i, 0, buf, sizeof(buf), &found, err)) !=
		    PKI_OK)
			return rc;
		if (found && (*field_of(subj, i) = strdup(buf)) == NULL)
			return pki_error_set(err, PKI_E_NOMEM, "out of memory");
	}
	return PKI_OK;
}

int
pki__enroll_subject_crt(gnutls_x509_crt_t crt, struct pki_subject *subj,
			struct pki_error *err)
{
	struct dn_src s = { NULL, crt };

	return subject_read(&s, subj, err);
}

int
pki__enroll_subject_crq(gnutls_x509_crq_t crq, struct pki_subject *subj,
			struct pki_error *err)
{
	struct dn_src s = { crq, NULL };

	return subject_read(&s, subj, err);
}

/* RFC 4514 attribute types spork reads in a subject string. */
static const struct {
	const char *name;
	const char *oid;
} dn_types[] = {
	{ "CN", GNUTLS_OID_X520_COMMON_NAME },
	{ "O", GNUTLS_OID_X520_ORGANIZATION_NAME },
	{ "OU", GNUTLS_OID_X520_ORGANIZATIONAL_UNIT_NAME },
	{ "C", GNUTLS_OID_X520_COUNTRY_NAME },
	{ "ST", GNUTLS_OID_X520_STATE_OR_PROVINCE_NAME },
	{ "L", GNUTLS_OID_X520_LOCALITY_NAME },
	{ "emailAddress", GNUTLS_OID_PKCS9_EMAIL },
	{ "E", GNUTLS_OID_PKCS9_EMAIL },
	{ "serialNumber", "2.5.4.5" },
};

/* One value of an RFC 4514 string from *pp up to an unescaped ',' into
 * out (unescaped: "\," and "\2C" alike); *pp is left at the ',' or the
 * end.  -1 for a '+' (multi-valued RDN), a dangling '\' or a value that
 * does not fit. */
static int
dn_value(const char **pp, char *out, size_t len)
{
	const char *p = *pp;
	size_t n = 0;
	unsigned v;

	for (; *p != '\0' && *p != ','; p++) {
		char c = *p;

		if (c == '+')
			return -1;
		if (c == '\\') {
			if (isxdigit((unsigned char)p[1]) &&
			    isxdigit((unsigned char)p[2]) &&
			    sscanf(p + 1, "%2x", &v) == 1) {
				c = (char)v;
				p += 2;
			} else if (p[1] != '\0') {
				c = *++p;
			} else {
				return -1;
			}
		}
		if (n + 1 >= len)
			return -1;
		out[n++] = c;
	}
	out[n] = '\0';
	*pp = p;
	return 0;
}

int
pki_subject_parse(const char *dn, struct pki_subject *out,
		  struct pki_error *err)
{
	char type[64], val[2 * PKI__ENROLL_MAX_NAME + 2], q[PKI__QUOTE_MAX];
	const char *p = dn, *eq;
	size_t i, t, n;
	int rc;

	memset(out, 0, sizeof(*out));
	if (dn == NULL || *dn == '\0')
		return pki_error_set(err, PKI_E_INVALID, "the subject is empty");
	while (*p != '\0') {
		while (*p == ' ')
			p++;
		if ((eq = strchr(p, '=')) == NULL ||
		    (n = (size_t)(eq - p)) == 0 || n >= sizeof(type)) {
			rc = pki_error_set(err, PKI_E_INVALID, "\"%s\" is not a "
					   "subject as RFC 4514 writes it "
					   "(CN=name,O=organization,C=DE)",
					   pki__quote(dn, strlen(dn), q,
						      sizeof(q)));
			goto fail;
		}
		memcpy(type, p, n);
		type[n] = '\0';
		while (n > 0 && type[n - 1] == ' ')
			type[--n] = '\0';
		p = eq + 1;
		for (t = 0; t < sizeof(dn_types) / sizeof(dn_types[0]); t++)
			if (strcasecmp(dn_types[t].name, type) == 0 ||
			    strcmp(dn_types[t].oid, type) == 0)
				break;
		if (t == sizeof(dn_types) / sizeof(dn_types[0])) {
			rc = pki_error_set(err, PKI_E_INVALID, "the subject "
					   "attribute %s is not one spork puts "
					   "into a certificate (CN, O, OU, C, "
					   "ST, L, emailAddress, serialNumber)",
					   pki__quote(type, strlen(type), q,
						      sizeof(q)));
			goto fail;
		}
		if (dn_value(&p, val, sizeof(val)) != 0) {
			rc = pki_error_set(err, PKI_E_INVALID, "the subject's %s "
					   "value is too long, ends in '\\' or "
					   "holds an unescaped '+' (spork "
					   "writes one value per attribute)",
					   dn_types[t].name);
			goto fail;
		}
		i = field_by_oid(dn_types[t].oid);
		if (*field_of(out, i) != NULL) {
			rc = pki_error_set(err, PKI_E_INVALID, "the subject has "
					   "more than one %s; a certificate "
					   "carries one", subject_fields[i].label);
			goto fail;
		}
		if ((*field_of(out, i) = strdup(val)) == NULL) {
			rc = pki_error_set(err, PKI_E_NOMEM, "out of memory");
			goto fail;
		}
		if (*p == ',')
			p++;
	}
	return PKI_OK;
fail:
	pki_subject_clear(out);
	return rc;
}

/* Every value UTF-8 without control characters, within its length. */
static int
subject_check(const struct pki_subject *s, struct pki_error *err)
{
	char q[PKI__QUOTE_MAX];
	const char *v, *why;
	size_t i, max, n;

	for (i = 0; i < NFIELDS; i++) {
		if ((v = field_value(s, i)) == NULL)
			continue;
		if (*v == '\0')
			return pki_error_set(err, PKI_E_INVALID, "the subject's "
					     "%s is empty", subject_fields[i].label);
		if ((why = pki__text_defect(v)) != NULL)
			return pki_error_set(err, PKI_E_INVALID, "the subject's "
					     "%s \"%s\" holds %s; spork puts "
					     "none into a certificate",
					     subject_fields[i].label,
					     pki__quote(v, strlen(v), q,
							sizeof(q)), why);
		max = pki_subject_field_max(subject_fields[i].field);
		if ((n = pki__utf8_chars(v)) > max)
			return pki_error_set(err, PKI_E_INVALID, "the subject's "
					     "%s \"%s\" has %zu characters; "
					     "at most %zu fit (RFC 5280)",
					     subject_fields[i].label,
					     pki__quote(v, strlen(v), q,
							sizeof(q)), n, max);
	}
	if ((v = s->country) != NULL &&
	    (strlen(v) != 2 || v[0] < 'A' || v[0] > 'Z' || v[1] < 'A' ||
	     v[1] > 'Z'))
		return pki_error_set(err, PKI_E_INVALID, "the subject's country "
				     "\"%s\" is not a two-letter ISO 3166 code "
				     "such as DE", pki__quote(v, strlen(v), q,
							      sizeof(q)));
	return PKI_OK;
}

/* ------------------------------------------------------------ settling */

static int
valid_as(enum pki_san_type t, const char *v, int wildcard)
{
	return pki_san_check(t, v, wildcard, NULL) == PKI_OK;
}

static const struct {
	unsigned type;
	size_t off;
	const char *what;
} san_kinds[] = {
	{ PKI_SAN_DNS, offsetof(struct pki__names, dns), "DNS names" },
	{ PKI_SAN_IP, offsetof(struct pki__names, ip), "IP addresses" },
	{ PKI_SAN_EMAIL, offsetof(struct pki__names, email), "email addresses" },
	{ PKI_SAN_URI, offsetof(struct pki__names, uri), "URIs" },
};

/* Every name well formed and of a type the profile allows. */
static int
names_check(const struct pki_profile *p, const struct pki__names *n,
	    struct pki_error *err)
{
	int wild = p->id == PKI_PROFILE_TLS_SERVER, rc;
	size_t i, k;

	if (pki__names_count(n) > PKI__ENROLL_MAX_SANS)
		return pki_error_set(err, PKI_E_INVALID, "%zu names requested; "
				     "at most %d fit in one certificate",
				     pki__names_count(n), PKI__ENROLL_MAX_SANS);
	for (i = 0; i < sizeof(san_kinds) / sizeof(san_kinds[0]); i++) {
		const struct pki_strlist *l = (const struct pki_strlist *)
			((const char *)n + san_kinds[i].off);

		if (l->n > 0 && !(p->san_types & san_kinds[i].type))
			return pki_error_set(err, PKI_E_INVALID, "the %s profile "
					     "does not allow %s in "
					     "subjectAltName (asked for "
					     "'%s')", p->name, san_kinds[i].what,
					     l->v[0]);
		for (k = 0; k < l->n; k++)
			if ((rc = pki_san_check(san_kinds[i].type, l->v[k], wild,
						err)) != PKI_OK)
				return rc;
	}
	return PKI_OK;
}

/* A tls-server CN is one of its names: added to them when missing, taken
 * from the first DNS name that fits a CN (64 characters) when there is
 * none.  Never from an IP address: OpenSSL would check an IPv4 CN as a
 * DNS name against DNS name constraints; without a CN the subject is
 * empty and the subjectAltName critical. */
static int
server_cn(struct pki_subject *subj, struct pki__names *n,
	  struct pki_error *err)
{
	char ipbuf[PKI_NAME_IP_STRLEN], q[PKI__QUOTE_MAX];
	const char *cn = subj->common_name;
	size_t k;

	if (cn == NULL) {
		for (k = 0; k < n->dns.n; k++)
			if (strlen(n->dns.v[k]) <= 64) {
				if ((subj->common_name = strdup(n->dns.v[k])) ==
				    NULL)
					return pki_error_set(err, PKI_E_NOMEM,
							     "out of memory");
				break;
			}
		return PKI_OK;
	}
	if (ip_canon(cn, ipbuf, NULL) == PKI_OK)
		return pki__names_add(n, "ip", ipbuf, err);
	if (valid_as(PKI_SAN_DNS, cn, 1))
		return pki__names_add(n, "dns", cn, err);
	return pki_error_set(err, PKI_E_INVALID, "the common name \"%s\" of a "
			     "tls-server certificate must be one of its DNS "
			     "names or IP addresses",
			     pki__quote(cn, strlen(cn), q, sizeof(q)));
}

int
pki__enroll_settle(const struct pki_profile *p, struct pki_subject *subj,
		   struct pki__names *n, struct pki_error *err)
{
	char q[PKI__QUOTE_MAX];
	int rc;

	if ((rc = subject_check(subj, err)) != PKI_OK ||
	    (rc = names_check(p, n, err)) != PKI_OK)
		return rc;
	if (p->id == PKI_PROFILE_TLS_SERVER &&
	    ((rc = server_cn(subj, n, err)) != PKI_OK ||
	     (rc = names_check(p, n, err)) != PKI_OK))
		return rc;
	if (subj->email != NULL && !strlist_has(&n->email, subj->email)) {
		pki__quote(subj->email, strlen(subj->email), q, sizeof(q));
		if (!(p->san_types & PKI_SAN_EMAIL))
			return pki_error_set(err, PKI_E_INVALID, "the subject "
					     "has the emailAddress \"%s\", but "
					     "the %s profile carries no email "
					     "addresses", q, p->name);
		return pki_error_set(err, PKI_E_INVALID, "the subject's "
				     "emailAddress \"%s\" is not one of the "
				     "email subjectAltNames; relying parties "
				     "check both, so ask for it as a "
				     "subjectAltName too", q);
	}
	if (p->san_required &&
	    ((p->san_types & PKI_SAN_DNS) ? n->dns.n + n->ip.n == 0
					  : n->email.n == 0))
		return pki_error_set(err, PKI_E_INVALID, "the %s profile needs "
				     "at least one %s", p->name,
				     (p->san_types & PKI_SAN_DNS) ?
				     "DNS name or IP address" : "email address");
	if (subj->common_name == NULL && pki__names_count(n) == 0)
		return pki_error_set(err, PKI_E_INVALID, "the certificate would "
				     "name nobody: give a common name or a "
				     "subjectAltName");
	return PKI_OK;
}

/* The subjectAltNames a CSR asks for (extension request). */
int
pki__enroll_names_crq(gnutls_x509_crq_t crq, struct pki__names *n,
		      struct pki_error *err)
{
	char buf[PKI__ENROLL_MAX_NAME + 1], ip[PKI_NAME_IP_STRLEN];
	struct pki_name_ip addr;
	unsigned seq, type, crit;
	size_t size;
	int ret, rc;

	for (seq = 0;; seq++) {
		size = sizeof(buf) - 1;
		ret = gnutls_x509_crq_get_subject_alt_name(crq, seq, buf, &size,
							   &type, &crit);
		if (ret == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
			break;
		if (ret == GNUTLS_E_SHORT_MEMORY_BUFFER)
			return pki_error_set(err, PKI_E_INVALID, "the request "
					     "has a subjectAltName longer than "
					     "%d bytes", PKI__ENROLL_MAX_NAME);
		if (ret < 0)
			return pki__gnutls_error(err, ret, "reading the request's "
						 "subjectAltName");
		if (seq >= 4 * PKI__ENROLL_MAX_SANS)
			return pki_error_set(err, PKI_E_INVALID, "the request "
					     "asks for too many names");
		buf[size] = '\0';
		switch (type) {
		case GNUTLS_SAN_IPADDRESS:
			if (pki_name_ip_from_bytes((unsigned char *)buf, size,
						   &addr, NULL) != PKI_OK)
				return pki_error_set(err, PKI_E_INVALID, "the "
						     "request has an iPAddress "
						     "of %zu octets", size);
			rc = pki__names_add(n, "ip", pki_name_ip_format(&addr, ip),
				      err);
			break;
		case GNUTLS_SAN_DNSNAME:
		case GNUTLS_SAN_RFC822NAME:
		case GNUTLS_SAN_URI:
			if (strlen(buf) != size)
				return pki_error_set(err, PKI_E_INVALID, "the "
						     "request has a name with "
						     "a NUL byte");
			rc = pki__names_add(n, type == GNUTLS_SAN_DNSNAME ? "dns" :
				      type == GNUTLS_SAN_URI ? "uri" : "email",
				      buf, err);
			break;
		default:
			return pki_error_set(err, PKI_E_INVALID, "the request "
					     "asks for a subjectAltName of a "
					     "type spork does not issue (only "
					     "DNS, IP, email and URI names)");
		}
		if (rc != PKI_OK)
			return rc;
	}
	return PKI_OK;
}

/* ------------------------------------------------------------ checks */

/* What a common name is to a relying party.  OpenSSL (x509_vfy.c,
 * cn2dnsid) reads one as a host name when it is letters, digits and '_',
 * with '-' and '.' only inside, at least one '.', and no '.' next to
 * another '.' or a '-'; it then checks it against DNS name constraints.
 * An IP address is named for what it is (and is such a host name too). */
enum cn_kind {
	CN_TEXT,
	CN_DNS,
	CN_IP
};

static enum cn_kind
cn_kind(const char *cn)
{
	struct pki_name_ip ip;
	size_t i, n;
	int dots = 0;

	if (cn == NULL)
		return CN_TEXT;
	if (pki_name_ip_parse(cn, &ip, NULL) == PKI_OK)
		return CN_IP;
	n = strlen(cn);
	for (i = 0; i < n; i++) {
		char c = cn[i];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '_')
			continue;
		if (i == 0 || i == n - 1)
			return CN_TEXT;
		if (c == '-')
			continue;
		if (c == '.' && cn[i + 1] != '.' && cn[i - 1] != '-' &&
		    cn[i + 1] != '-') {
			dots = 1;
			continue;
		}
		return CN_TEXT;
	}
	return dots ? CN_DNS : CN_TEXT;
}

/* s lower-cased into buf (len bytes). */
static const char *
lower(const char *s, char *buf, size_t len)
{
	size_t i;

	for (i = 0; s[i] != '\0' && i + 1 < len; i++)
		buf[i] = (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] + 32 : s[i]);
	buf[i] = '\0';
	return buf;
}

/* The first name the domain policy would be asked about, or NULL. */
static const char *
first_policy_name(const struct pki_subject *subj, const struct pki__names *n)
{
	if (n->dns.n > 0)
		return n->dns.v[0];
	if (n->ip.n > 0)
		return n->ip.v[0];
	if (n->email.n > 0)
		return n->email.v[0];
	if (cn_kind(subj->common_name) != CN_TEXT)
		return subj->common_name;
	return NULL;
}

/* The common name, when relying parties read it as a host name or an
 * address, against the policy. */
static int
policy_cn(const struct pki_policy *pol, const char *cn, struct pki_error *err)
{
	char buf[PKI__ENROLL_MAX_NAME + 1], q[PKI__QUOTE_MAX];
	const char *v = lower(cn, buf, sizeof(buf));
	enum cn_kind k = cn_kind(cn);
	int rc;

	if (k == CN_TEXT)
		return PKI_OK;
	rc = k == CN_IP ? pki_policy_check_names(pol, NULL, 0, &v, 1, err)
			: pki_policy_check_names(pol, &v, 1, NULL, 0, err);
	if (rc != PKI_OK)
		pki_error_prefix(err, "the common name \"%s\", which relying "
				 "parties read as %s", pki__quote(cn, strlen(cn),
				 q, sizeof(q)), k == CN_IP ? "an IP address" :
				 "a host name");
	return rc;
}

int
pki__enroll_policy(struct pki_state *state, const struct pki_subject *subj,
		   const struct pki__names *n, struct pki_error *err)
{
	const struct pki_policy *pol;
	const char *first = first_policy_name(subj, n), *dom;
	char q[PKI__QUOTE_MAX];
	size_t i;
	int rc;

	if (first == NULL)
		return PKI_OK;
	if ((rc = pki_state_policy(state, &pol, err)) != PKI_OK)
		return rc;
	if (pol == NULL)
		return pki_error_set(err, PKI_E_DENIED, "'%s' is denied: there "
				     "is no domain policy, so every name is "
				     "denied; write the names this CA may "
				     "certify as [[allow]] rules into %s (see "
				     "domain-policy.toml(5))",
				     pki__quote(first, strlen(first), q, sizeof(q)),
				     pki_state_path(state, PKI_STATE_POLICY));
	if ((rc = pki_policy_check_names(pol,
				(const char *const *)n->dns.v, n->dns.n,
				(const char *const *)n->ip.v, n->ip.n, err)) !=
	    PKI_OK)
		return rc;
	for (i = 0; i < n->email.n; i++) {
		if ((dom = strrchr(n->email.v[i], '@')) == NULL)
			continue;       /* pki_san_check refused it already */
		dom++;
		if ((rc = pki_policy_check_names(pol, &dom, 1, NULL, 0, err)) !=
		    PKI_OK) {
			pki_error_prefix(err, "the email address '%s'",
					 n->email.v[i]);
			return rc;
		}
	}
	return subj->common_name != NULL ?
	       policy_cn(pol, subj->common_name, err) : PKI_OK;
}

/* One name as a name-constraint check sees it. */
struct nc_item {
	unsigned type;                  /* GNUTLS_SAN_* */
	gnutls_datum_t v;
	const char *shown;              /* as the message names it */
	const char *why;                /* "" or why it is a name */
};

/* The items of n and subj; *k of them fit in v (max entries). */
static void
nc_items(const struct pki_subject *subj, const struct pki__names *n,
	 struct nc_item *v, size_t max, size_t *k, struct pki_name_ip *ips,
	 char *cnbuf, size_t cnlen)
{
	static const struct {
		unsigned type;
		size_t off;
	} kinds[] = {
		{ GNUTLS_SAN_DNSNAME, offsetof(struct pki__names, dns) },
		{ GNUTLS_SAN_IPADDRESS, offsetof(struct pki__names, ip) },
		{ GNUTLS_SAN_RFC822NAME, offsetof(struct pki__names, email) },
		{ GNUTLS_SAN_URI, offsetof(struct pki__names, uri) },
	};
	const char *cn = subj->common_name;
	size_t i, j;

	*k = 0;
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		const struct pki_strlist *l = (const struct pki_strlist *)
			((const char *)n + kinds[i].off);

		for (j = 0; j < l->n && *k + 3 < max; j++) {
			struct nc_item *it = &v[*k];

			it->type = kinds[i].type;
			it->shown = l->v[j];
			it->why = "";
			if (it->type == GNUTLS_SAN_IPADDRESS) {
				if (pki_name_ip_parse(l->v[j], &ips[*k],
						      NULL) != PKI_OK)
					continue;
				it->v.data = ips[*k].addr;
				it->v.size = (unsigned)ips[*k].len;
			} else {
				it->v.data = (unsigned char *)l->v[j];
				it->v.size = (unsigned)strlen(l->v[j]);
			}
			(*k)++;
		}
	}
	if (cn_kind(cn) == CN_IP && pki_name_ip_parse(cn, &ips[*k], NULL) ==
	    PKI_OK) {
		v[*k].type = GNUTLS_SAN_IPADDRESS;
		v[*k].v.data = ips[*k].addr;
		v[*k].v.size = (unsigned)ips[*k].len;
		v[*k].shown = cn;
		v[*k].why = " (the common name)";
		(*k)++;
	}
	/* OpenSSL checks a host-name-like CN only without DNS names; spork
	 * checks one always, an IPv4 address when OpenSSL would. */
	if (cn != NULL && (cn_kind(cn) == CN_DNS ||
			   (n->dns.n == 0 && strchr(cn, ':') == NULL &&
			    cn_kind(cn) == CN_IP))) {
		lower(cn, cnbuf, cnlen);
		v[*k].type = GNUTLS_SAN_DNSNAME;
		v[*k].v.data = (unsigned char *)cnbuf;
		v[*k].v.size = (unsigned)strlen(cnbuf);
		v[*k].shown = cn;
		v[*k].why = " (the common name, which relying parties check as "
			    "a DNS name)";
		(*k)++;
	}
	if (subj->email != NULL) {
		v[*k].type = GNUTLS_SAN_RFC822NAME;
		v[*k].v.data = (unsigned char *)subj->email;
		v[*k].v.size = (unsigned)strlen(subj->email);
		v[*k].shown = subj->email;
		v[*k].why = " (the subject's emailAddress)";
		(*k)++;
	}
}

/* The items against the constraints of one CA certificate. */
static int
nc_check_one(const gnutls_datum_t *ca, const struct nc_item *v, size_t k,
	     struct pki_error *err)
{
	gnutls_x509_crt_t crt = NULL;
	gnutls_x509_name_constraints_t nc = NULL;
	gnutls_datum_t dn = { NULL, 0 };
	char q[PKI__QUOTE_MAX];
	unsigned crit;
	size_t i;
	int ret, rc = PKI_OK;

	if ((ret = gnutls_x509_crt_init(&crt)) < 0 ||
	    (ret = gnutls_x509_crt_import(crt, ca, GNUTLS_X509_FMT_DER)) < 0 ||
	    (ret = gnutls_x509_name_constraints_init(&nc)) < 0) {
		rc = pki__gnutls_error(err, ret, "CA certificate");
		goto out;
	}
	ret = gnutls_x509_crt_get_name_constraints(crt, nc, 0, &crit);
	if (ret == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
		goto out;
	if (ret < 0) {
		rc = pki__gnutls_error(err, ret, "CA nameConstraints");
		goto out;
	}
	for (i = 0; i < k; i++) {
		if (gnutls_x509_name_constraints_check(nc, v[i].type, &v[i].v))
			continue;
		if (gnutls_x509_crt_get_dn3(crt, &dn, 0) < 0)
			dn.data = NULL;
		rc = pki_error_set(err, PKI_E_INVALID, "'%s'%s is outside the "
				   "nameConstraints of the CA certificate %.*s; "
				   "relying parties would reject the "
				   "certificate", pki__quote(v[i].shown,
				   strlen(v[i].shown), q, sizeof(q)), v[i].why,
				   dn.data ? (int)dn.size : 1,
				   dn.data ? (const char *)dn.data : "?");
		break;
	}
out:
	gnutls_free(dn.data);
	if (nc != NULL)
		gnutls_x509_name_constraints_deinit(nc);
	if (crt != NULL)
		gnutls_x509_crt_deinit(crt);
	return rc;
}

int
pki__enroll_constraints(const struct pki_subject *subj,
			const struct pki__names *n,
			const gnutls_datum_t *chain, size_t nchain,
			struct pki_error *err)
{
	struct nc_item *v = NULL;
	struct pki_name_ip *ips = NULL;
	char cn[PKI__ENROLL_MAX_NAME + 1];
	size_t max = pki__names_count(n) + 3, k = 0, c;
	int rc = PKI_OK;

	if ((v = calloc(max, sizeof(*v))) == NULL ||
	    (ips = calloc(max, sizeof(*ips))) == NULL) {
		rc = pki_error_set(err, PKI_E_NOMEM, "out of memory");
		goto out;
	}
	nc_items(subj, n, v, max, &k, ips, cn, sizeof(cn));
	for (c = 0; c < nchain && rc == PKI_OK; c++)
		rc = nc_check_one(&chain[c], v, k, err);
out:
	free(v);
	free(ips);
	return rc;
}
