/*
 * crl: building and reading X.509 v2 CRLs with libtasn1 (see crl.h).
 *
 * Building.  Everything but the revoked entries (version, algorithm,
 * issuer, times, crlExtensions) is encoded by libtasn1 as a TBSCertList
 * without revokedCertificates.  Each entry is encoded by libtasn1 with
 * one reused node (types Revoked* in pkix.asn) and appended to one
 * growing buffer, which keeps room in front for the TBS head.  The
 * entries' SEQUENCE OF is then placed between the head and crlExtensions
 * (found with asn1_der_decoding_startEnd), the outer SEQUENCE headers are
 * written with asn1_length_der, the TBS bytes are signed in place, and
 * the signature fields, encoded by libtasn1 as a SignatureTail, are
 * appended.  A CRL thus costs about its own size in memory.
 *
 * Reading.  The same split in reverse: the outer SEQUENCEs are walked with
 * asn1_get_tag_der/asn1_get_length_der, the TBS without its entries is
 * decoded as one TBSCertList, and each entry is decoded on its own, so a
 * large CRL never becomes one libtasn1 tree.  All decoding is strict DER.
 */
#include <config.h>

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libtasn1.h>

#include <spork/crl.h>
#include "crl-int.h"
#include "util.h"

extern const asn1_static_node pki__pkix_asn1_tab[];

#define OID_AKI "2.5.29.35"
#define OID_CRL_NUMBER "2.5.29.20"
#define OID_DELTA "2.5.29.27"
#define OID_IDP "2.5.29.28"
#define OID_FRESHEST "2.5.29.46"
#define OID_REASON "2.5.29.21"
#define OID_INVALIDITY "2.5.29.24"

/* Room for one SEQUENCE header: tag and a length of up to 2^32-1. */
#define HDR_MAX 6
/* Largest CRL the builder writes (gnutls_datum_t sizes are unsigned). */
#define BUILD_MAX ((size_t)INT_MAX - 4096)
/* Longest URL accepted in IDP and freshestCRL. */
#define URL_MAX 2048
/* Bounds for the reader. */
#define EXT_MAX 64
#define TBS_CHILDREN_MAX 7
#define EXT_VALUE_MAX 65536

static const char *const reason_names[PKI_CRL_REASON__MAX] = {
	"unspecified", "keyCompromise", "cACompromise", "affiliationChanged",
	"superseded", "cessationOfOperation", "certificateHold", NULL,
	"removeFromCRL", "privilegeWithdrawn", "aACompromise",
};

const char *
pki_crl_reason_name(int reason)
{
	if (reason < 0 || reason >= PKI_CRL_REASON__MAX)
		return NULL;
	return reason_names[reason];
}

int
pki_crl_reason_parse(const char *name)
{
	const char *d;
	int i, v = 0;

	if (name == NULL)
		return -1;
	if (*name >= '0' && *name <= '9') {
		/* A number: decimal digits only, a defined code. */
		for (d = name; *d >= '0' && *d <= '9' && v < PKI_CRL_REASON__MAX;
		     d++)
			v = v * 10 + (*d - '0');
		return *d == '\0' && pki_crl_reason_name(v) != NULL ? v : -1;
	}
	for (i = 0; i < PKI_CRL_REASON__MAX; i++) {
		const char *r = reason_names[i], *n = name;

		if (r == NULL)
			continue;
		/* Compare ignoring case and '-' / '_' in the given name. */
		while (*r != '\0' && *n != '\0') {
			if (*n == '-' || *n == '_') {
				n++;
				continue;
			}
			if ((*r | 0x20) != (*n | 0x20))
				break;
			r++;
			n++;
		}
		if (*r == '\0' && *n == '\0')
			return i;
	}
	return -1;
}

/* ------------------------------------------------------------ helpers */

static int
asn1_fail(struct pki_error *err, int rc, const char *call, const char *what)
{
	return pki_error_set(err, rc == ASN1_MEM_ALLOC_ERROR ? PKI_E_NOMEM :
			     PKI_E_FAIL, "%s(%s): %s", call, what,
			     asn1_strerror(rc));
}

static int
defs_load(asn1_node *defs, struct pki_error *err)
{
	char msg[ASN1_MAX_ERROR_DESCRIPTION_SIZE];
	int r;

	*defs = NULL;
	if ((r = asn1_array2tree(pki__pkix_asn1_tab, defs, msg)) != ASN1_SUCCESS)
		return pki_error_set(err, PKI_E_FAIL, "asn1_array2tree: %s: %s",
				     asn1_strerror(r), msg);
	return PKI_OK;
}

static int
node_new(asn1_node defs, const char *type, asn1_node *node,
	 struct pki_error *err)
{
	char name[ASN1_MAX_NAME_SIZE * 2];
	int r;

	*node = NULL;
	snprintf(name, sizeof(name), "PKIX-SPORK.%s", type);
	if ((r = asn1_create_element(defs, name, node)) != ASN1_SUCCESS)
		return asn1_fail(err, r, "asn1_create_element", type);
	return PKI_OK;
}

static void
node_free(asn1_node *node)
{
	if (*node != NULL)
		asn1_delete_structure(node);
	*node = NULL;
}

/* asn1_write_value with the error named; len 0 means a NUL-terminated string. */
static int
put(asn1_node node, const char *name, const void *value, size_t len,
    struct pki_error *err)
{
	int r;

	if (len > INT_MAX)
		return pki_error_set(err, PKI_E_INVALID, "%s: value too long",
				     name);
	if ((r = asn1_write_value(node, name, value, (int)len)) != ASN1_SUCCESS)
		return asn1_fail(err, r, "asn1_write_value", name);
	return PKI_OK;
}

/* DER of node into a new gnutls_malloc'd datum. */
static int
encode(asn1_node node, const char *what, gnutls_datum_t *out,
       struct pki_error *err)
{
	char msg[ASN1_MAX_ERROR_DESCRIPTION_SIZE];
	int len = 0, r;

	out->data = NULL;
	out->size = 0;
	r = asn1_der_coding(node, "", NULL, &len, msg);
	if (r != ASN1_MEM_ERROR)
		return pki_error_set(err, PKI_E_FAIL, "asn1_der_coding(%s): %s: %s",
				     what, asn1_strerror(r), msg);
	if ((out->data = gnutls_malloc(len > 0 ? (size_t)len : 1)) == NULL)
		return pki_error_set(err, PKI_E_NOMEM, "out of memory encoding %s",
				     what);
	if ((r = asn1_der_coding(node, "", out->data, &len, msg)) != ASN1_SUCCESS) {
		gnutls_free(out->data);
		out->data = NULL;
		return pki_error_set(err, PKI_E_FAIL, "asn1_der_coding(%s): %s: %s",
				     what, asn1_strerror(r), msg);
	}
	out->size = (unsigned)len;
	return PKI_OK;
}

/* DER of node into buf (size *len in, length out); for the per-entry path. */
static int
encode_into(asn1_node node, const char *what, unsigned char *buf, int *len,
	    struct pki_error *err)
{
	char msg[ASN1_MAX_ERROR_DESCRIPTION_SIZE];
	int r;

	if ((r = asn1_der_coding(node, "", buf, len, msg)) != ASN1_SUCCESS)
		return pki_error_set(err, PKI_E_FAIL, "asn1_der_coding(%s): %s: %s",
				     what, asn1_strerror(r), msg);
	return PKI_OK;
}

/* Civil date from days since 1970-01-01 (proleptic Gregorian). */
static void
civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t era, yr;
	unsigned doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	yr = (int64_t)yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = yr + (*m <= 2);
}

/* Seconds since the epoch of 0001-01-01 and of 10000-01-01. */
#define TIME_MIN (-62135596800LL)
#define TIME_END (253402300800LL)

/*
 * Format t as UTCTime "YYMMDDHHMMSSZ" when its year is 1950..2049 and
 * utc_allowed, else as GeneralizedTime "YYYYMMDDHHMMSSZ".  *utc says
 * which.  Returns -1 if t is outside years 1..9999.
 */
static int
time_format(int64_t t, int utc_allowed, char buf[16], int *utc)
{
	int64_t days, secs, y;
	unsigned m, d, hh, mm, ss;
	static const char digits[] = "0123456789";
	char *p = buf;
	int i;
	unsigned v[5];

	if (t < TIME_MIN || t >= TIME_END)
		return -1;
	days = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
	secs = t - days * 86400;
	civil_from_days(days, &y, &m, &d);
	hh = (unsigned)(secs / 3600);
	mm = (unsigned)(secs / 60 % 60);
	ss = (unsigned)(secs % 60);
	*utc = utc_allowed && y >= 1950 && y <= 2049;
	if (!*utc) {
		*p++ = digits[y / 1000];
		*p++ = digits[y / 100 % 10];
	}
	*p++ = digits[y / 10 % 10];
	*p++ = digits[y % 10];
	v[0] = m;
	v[1] = d;
	v[2] = hh;
	v[3] = mm;
	v[4] = ss;
	for (i = 0; i < 5; i++) {
		*p++ = digits[v[i] / 10];
		*p++ = digits[v[i] % 10];
	}
	*p++ = 'Z';
	*p = '\0';
	return 0;
}

/*
 * Parse a UTCTime (13 chars) or GeneralizedTime (15 chars) value in the
 * only form RFC 5280 allows: seconds present, no fraction, 'Z'.
 */
static int
time_parse(const char *s, size_t len, int generalized, int64_t *t)
{
	unsigned v[7], i, n = generalized ? 7 : 6;
	int64_t y;
	static const unsigned char mdays[12] = { 31, 29, 31, 30, 31, 30, 31,
						 31, 30, 31, 30, 31 };

	if (len != (generalized ? 15u : 13u) || s[len - 1] != 'Z')
		return -1;
	for (i = 0; i < len - 1; i++)
		if (s[i] < '0' || s[i] > '9')
			return -1;
	for (i = 0; i < n; i++)
		v[i] = (unsigned)(s[2 * i] - '0') * 10 + (unsigned)(s[2 * i + 1] - '0');
	if (generalized) {
		y = v[0] * 100 + v[1];
		memmove(v, v + 1, sizeof(v[0]) * 6);
	} else
		y = v[0] < 50 ? 2000 + v[0] : 1900 + v[0];
	/* v[1..5]: month, day, hour, minute, second */
	if (y < 1 || v[1] < 1 || v[1] > 12 || v[2] < 1 || v[2] > mdays[v[1] - 1] ||
	    v[3] > 23 || v[4] > 59 || v[5] > 59)
		return -1;
	if (v[1] == 2 && v[2] == 29 &&
	    !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
		return -1;
	*t = pki__days_from_civil(y, v[1], v[2]) * 86400 + v[3] * 3600 +
	     v[4] * 60 + v[5];
	return 0;
}

/* A URI for an IA5String GeneralName: printable ASCII with a scheme. */
static int
url_check(const char *url, const char *what, struct pki_error *err)
{
	size_t i, len = strlen(url);

	if (len == 0 || len > URL_MAX || strchr(url, ':') == NULL)
		return pki_error_set(err, PKI_E_INVALID, "%s '%s' is not a URL "
				     "(scheme:..., at most %d characters)", what,
				     url, URL_MAX);
	for (i = 0; i < len; i++)
		if ((unsigned char)url[i] <= 0x20 || (unsigned char)url[i] >= 0x7f)
			return pki_error_set(err, PKI_E_INVALID, "%s '%s' "
					     "contains a space or a character "
					     "that is not ASCII; percent-encode "
					     "it", what, url);
	return PKI_OK;
}

/* The big-endian bytes of v with a leading 0x00 (libtasn1 minimises). */
static void
u64_be(uint64_t v, unsigned char out[9])
{
	int i;

	out[0] = 0;
	for (i = 8; i >= 1; i--) {
		out[i] = (unsigned char)(v & 0xff);
		v >>= 8;
	}
}

/* ------------------------------------------------------------ building */

struct buf {
	unsigned char *data;
	size_t len, cap;
};

static int
buf_reserve(struct buf *b, size_t more, struct pki_error *err)
{
	size_t ncap;
	unsigned char *nd;

	if (more > BUILD_MAX || b->len > BUILD_MAX - more)
		return pki_error_set(err, PKI_E_INVALID, "the CRL would be larger "
				     "than %zu bytes; split it into partitions",
				     BUILD_MAX);
	if (b->len + more <= b->cap)
		return PKI_OK;
	ncap = b->cap ? b->cap : 64 * 1024;
	while (ncap < b->len + more)
		ncap = ncap / 2 * 3;
	if ((nd = gnutls_realloc(b->data, ncap)) == NULL)
		return pki_error_set(err, PKI_E_NOMEM, "out of memory building "
				     "the CRL (%zu bytes)", ncap);
	b->data = nd;
	b->cap = ncap;
	return PKI_OK;
}

static int
buf_append(struct buf *b, const void *p, size_t n, struct pki_error *err)
{
	int rc;

	if ((rc = buf_reserve(b, n, err)) != PKI_OK)
		return rc;
	memcpy(b->data + b->len, p, n);
	b->len += n;
	return PKI_OK;
}

/* Length of the tag and length octets of the DER element at p. */
static int
der_hdr_len(const unsigned char *p, size_t len, size_t *hdr, size_t *clen)
{
	unsigned char cls;
	unsigned long tag;
	int tl, ll;
	long l;

	if (len > INT_MAX || asn1_get_tag_der(p, (int)len, &cls, &tl, &tag) !=
	    ASN1_SUCCESS)
		return -1;
	l = asn1_get_length_der(p + tl, (int)len - tl, &ll);
	if (l < 0)
		return -1;
	*hdr = (size_t)tl + (size_t)ll;
	*clen = (size_t)l;
	if (*clen > len - *hdr)
		return -1;
	return 0;
}

/* Write a SEQUENCE header for content of len bytes ending at end; returns
 * its size. */
static size_t
seq_hdr_before(unsigned char *end, size_t len)
{
	unsigned char tmp[HDR_MAX];
	int ll = (int)sizeof(tmp) - 1;

	asn1_length_der(len, tmp + 1, &ll);
	tmp[0] = 0x30; /* SEQUENCE, constructed */
	memcpy(end - (ll + 1), tmp, (size_t)ll + 1);
	return (size_t)ll + 1;
}

/* The signature algorithm the key calls for, with its OID. */
struct sigalg {
	gnutls_sign_algorithm_t sign;
	const char *oid;
	int null_params;
};

static int
sigalg_pick(gnutls_privkey_t key, gnutls_x509_crt_t issuer, struct sigalg *sa,
	    struct pki_error *err)
{
	gnutls_pubkey_t pub = NULL;
	gnutls_digest_algorithm_t hash = GNUTLS_DIG_SHA256;
	unsigned char kid1[64], kid2[64];
	size_t n1 = sizeof(kid1), n2 = sizeof(kid2);
	int pk, ret, rc = PKI_E_CRYPTO;

	pk = gnutls_privkey_get_pk_algorithm(key, NULL);
	switch (pk) {
	case GNUTLS_PK_RSA:
		sa->null_params = 1;
		break;
	case GNUTLS_PK_ECDSA:
	case GNUTLS_PK_EDDSA_ED25519:
	case GNUTLS_PK_EDDSA_ED448:
		sa->null_params = 0;
		break;
	default:
		rc = pki_error_set(err, PKI_E_UNSUPPORTED, "cannot sign a CRL "
				   "with a %s key; use an RSA, ECDSA, Ed25519 "
				   "or Ed448 key",
				   pk < 0 ? "unknown" :
				   gnutls_pk_get_name((gnutls_pk_algorithm_t)pk));
		goto out;
	}
	if ((ret = gnutls_pubkey_init(&pub)) < 0 ||
	    (ret = gnutls_pubkey_import_privkey(pub, key, 0, 0)) < 0) {
		rc = pki__gnutls_error(err, ret, "gnutls_pubkey_import_privkey");
		goto out;
	}
	if (pk == GNUTLS_PK_ECDSA &&
	    (ret = gnutls_pubkey_get_preferred_hash_algorithm(pub, &hash,
							      NULL)) < 0) {
		rc = pki__gnutls_error(err, ret,
				       "gnutls_pubkey_get_preferred_hash_algorithm");
		goto out;
	}
	if (pk == GNUTLS_PK_ECDSA && hash != GNUTLS_DIG_SHA384 &&
	    hash != GNUTLS_DIG_SHA512)
		hash = GNUTLS_DIG_SHA256;
	if (pk == GNUTLS_PK_EDDSA_ED25519)
		sa->sign = GNUTLS_SIGN_EDDSA_ED25519;
	else if (pk == GNUTLS_PK_EDDSA_ED448)
		sa->sign = GNUTLS_SIGN_EDDSA_ED448;
	else
		sa->sign = gnutls_pk_to_sign((gnutls_pk_algorithm_t)pk, hash);
	sa->oid = gnutls_sign_get_oid(sa->sign);
	if (sa->sign == GNUTLS_SIGN_UNKNOWN || sa->oid == NULL) {
		rc = pki_error_set(err, PKI_E_UNSUPPORTED, "no signature "
				   "algorithm for a %s key with %s",
				   gnutls_pk_get_name((gnutls_pk_algorithm_t)pk),
				   gnutls_digest_get_name(hash));
		goto out;
	}
	/* The key must be the issuer certificate's. */
	if ((ret = gnutls_pubkey_get_key_id(pub, GNUTLS_KEYID_USE_SHA256, kid1,
					    &n1)) < 0 ||
	    (ret = gnutls_x509_crt_get_key_id(issuer, GNUTLS_KEYID_USE_SHA256,
					      kid2, &n2)) < 0) {
		rc = pki__gnutls_error(err, ret, "gnutls_x509_crt_get_key_id");
		goto out;
	}
	if (n1 != n2 || memcmp(kid1, kid2, n1) != 0) {
		rc = pki_error_set(err, PKI_E_INVALID, "the signing key does not "
				   "belong to the issuer certificate; load the "
				   "CA's own key");
		goto out;
	}
	rc = PKI_OK;
out:
	gnutls_pubkey_deinit(pub);
	return rc;
}

static int
put_time(asn1_node node, const char *name, int64_t t, struct pki_error *err)
{
	char v[16], path[64];
	int utc, rc;

	if (time_format(t, 1, v, &utc) != 0)
		return pki_error_set(err, PKI_E_INVALID, "%s: time %lld is "
				     "outside years 1..9999", name, (long long)t);
	if ((rc = put(node, name, utc ? "utcTime" : "generalTime", 1, err)))
		return rc;
	snprintf(path, sizeof(path), "%s.%s", name, utc ? "utcTime" : "generalTime");
	return put(node, path, v, strlen(v), err);
}

static int
put_alg(asn1_node node, const char *name, const struct sigalg *sa,
	struct pki_error *err)
{
	char path[64];
	int rc;

	snprintf(path, sizeof(path), "%s.algorithm", name);
	if ((rc = put(node, path, sa->oid, 1, err)))
		return rc;
	snprintf(path, sizeof(path), "%s.parameters", name);
	if (sa->null_params)
		return put(node, path, "\x05\x00", 2, err);
	return put(node, path, NULL, 0, err);
}

/* Append one Extension to the SEQUENCE OF at name. */
static int
put_ext(asn1_node node, const char *name, const char *oid, int critical,
	const gnutls_datum_t *value, struct pki_error *err)
{
	char path[96];
	int rc;

	if ((rc = put(node, name, "NEW", 1, err)))
		return rc;
	snprintf(path, sizeof(path), "%s.?LAST.extnID", name);
	if ((rc = put(node, path, oid, 1, err)))
		return rc;
	snprintf(path, sizeof(path), "%s.?LAST.critical", name);
	if ((rc = put(node, path, critical ? "TRUE" : "FALSE", 1, err)))
		return rc;
	snprintf(path, sizeof(path), "%s.?LAST.extnValue", name);
	return put(node, path, value->data, value->size, err);
}

/* Encode a single-value type (CRLNumber, ...) from bytes. */
static int
encode_value(asn1_node defs, const char *type, const void *v, size_t len,
	     gnutls_datum_t *out, struct pki_error *err)
{
	asn1_node n = NULL;
	int rc;

	if ((rc = node_new(defs, type, &n, err)) == PKI_OK &&
	    (rc = put(n, "", v, len, err)) == PKI_OK)
		rc = encode(n, type, out, err);
	node_free(&n);
	return rc;
}

/* DistributionPointName fullName = one URI, under prefix. */
static int
put_dp_uri(asn1_node n, const char *prefix, const char *url,
	   struct pki_error *err)
{
	char path[128];
	int rc;

	if ((rc = put(n, prefix, "fullName", 1, err)))
		return rc;
	snprintf(path, sizeof(path), "%s.fullName", prefix);
	if ((rc = put(n, path, "NEW", 1, err)))
		return rc;
	snprintf(path, sizeof(path), "%s.fullName.?LAST", prefix);
	if ((rc = put(n, path, "uniformResourceIdentifier", 1, err)))
		return rc;
	snprintf(path, sizeof(path), "%s.fullName.?LAST.uniformResourceIdentifier",
		 prefix);
	return put(n, path, url, strlen(url), err);
}

static int
encode_idp(asn1_node defs, const struct pki_crl_params *p, gnutls_datum_t *out,
	   struct pki_error *err)
{
	asn1_node n = NULL;
	int rc;

	if ((rc = node_new(defs, "IssuingDistributionPoint", &n, err)))
		goto out;
	if ((rc = put_dp_uri(n, "distributionPoint", p->idp_url, err)) ||
	    (rc = put(n, "onlyContainsUserCerts",
		      p->idp_only_user_certs ? "TRUE" : "FALSE", 1, err)) ||
	    (rc = put(n, "onlyContainsCACerts",
		      p->idp_only_ca_certs ? "TRUE" : "FALSE", 1, err)) ||
	    (rc = put(n, "onlySomeReasons", NULL, 0, err)) ||
	    (rc = put(n, "indirectCRL", "FALSE", 1, err)) ||
	    (rc = put(n, "onlyContainsAttributeCerts", "FALSE", 1, err)))
		goto out;
	rc = encode(n, "IssuingDistributionPoint", out, err);
out:
	node_free(&n);
	return rc;
}

static int
encode_freshest(asn1_node defs, const char *url, gnutls_datum_t *out,
		struct pki_error *err)
{
	asn1_node n = NULL;
	int rc;

	if ((rc = node_new(defs, "CRLDistributionPoints", &n, err)))
		goto out;
	if ((rc = put(n, "", "NEW", 1, err)) ||
	    (rc = put_dp_uri(n, "?LAST.distributionPoint", url, err)) ||
	    (rc = put(n, "?LAST.reasons", NULL, 0, err)) ||
	    (rc = put(n, "?LAST.cRLIssuer", NULL, 0, err)))
		goto out;
	rc = encode(n, "CRLDistributionPoints", out, err);
out:
	node_free(&n);
	return rc;
}

/* The issuer's key identifier: its SKI, else the SHA-1 key id. */
static int
issuer_key_id(gnutls_x509_crt_t issuer, unsigned char *id, size_t *len,
	      struct pki_error *err)
{
	unsigned crit = 0;
	size_t cap = *len;
	int ret;

	ret = gnutls_x509_crt_get_subject_key_id(issuer, id, len, &crit);
	if (ret == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE) {
		*len = cap;
		ret = gnutls_x509_crt_get_key_id(issuer, GNUTLS_KEYID_USE_SHA1, id,
						 len);
	}
	if (ret < 0)
		return pki__gnutls_error(err, ret,
					 "gnutls_x509_crt_get_subject_key_id");
	return PKI_OK;
}

/*
 * The TBSCertList without revokedCertificates, split where the entries
 * go: head = its content before crlExtensions, tail = crlExtensions.
 */
static int
encode_tbs_head(asn1_node defs, const struct pki_crl_params *p,
		const struct sigalg *sa, const gnutls_datum_t *dn,
		const unsigned char *kid, size_t kid_len, gnutls_datum_t *tbs,
		size_t *head_off, size_t *head_len, struct pki_error *err)
{
	asn1_node n = NULL, dec = NULL;
	gnutls_datum_t v = { NULL, 0 };
	unsigned char num[9];
	char msg[ASN1_MAX_ERROR_DESCRIPTION_SIZE];
	size_t hdr, clen;
	int rc, r, start = 0, end = 0;

	tbs->data = NULL;
	if ((rc = node_new(defs, "TBSCertList", &n, err)) ||
	    (rc = put(n, "version", "\x01", 1, err)) ||
	    (rc = put_alg(n, "signature", sa, err)) ||
	    (rc = put(n, "issuer", dn->data, dn->size, err)) ||
	    (rc = put_time(n, "thisUpdate", p->this_update, err)) ||
	    (rc = put_time(n, "nextUpdate", p->next_update, err)) ||
	    (rc = put(n, "revokedCertificates", NULL, 0, err)))
		goto out;

	/* crlExtensions: AKI, cRLNumber, deltaCRLIndicator, IDP, freshestCRL. */
	{
		asn1_node aki = NULL;

		if ((rc = node_new(defs, "AuthorityKeyIdentifier", &aki, err)) ||
		    (rc = put(aki, "keyIdentifier", kid, kid_len, err)) ||
		    (rc = put(aki, "authorityCertIssuer", NULL, 0, err)) ||
		    (rc = put(aki, "authorityCertSerialNumber", NULL, 0, err)) ||
		    (rc = encode(aki, "AuthorityKeyIdentifier", &v, err))) {
			node_free(&aki);
			goto out;
		}
		node_free(&aki);
	}
	if ((rc = put_ext(n, "crlExtensions", OID_AKI, 0, &v, err)))
		goto out;
	gnutls_free(v.data);
	v.data = NULL;

	u64_be(p->crl_number, num);
	if ((rc = encode_value(defs, "CRLNumber", num, sizeof(num), &v, err)) ||
	    (rc = put_ext(n, "crlExtensions", OID_CRL_NUMBER, 0, &v, err)))
		goto out;
	gnutls_free(v.data);
	v.data = NULL;

	if (p->is_delta) {
		u64_be(p->base_crl_number, num);
		if ((rc = encode_value(defs, "CRLNumber", num, sizeof(num), &v,
				       err)) ||
		    (rc = put_ext(n, "crlExtensions", OID_DELTA, 1, &v, err)))
			goto out;
		gnutls_free(v.data);
		v.data = NULL;
	}
	if (p->idp_url != NULL) {
		if ((rc = encode_idp(defs, p, &v, err)) ||
		    (rc = put_ext(n, "crlExtensions", OID_IDP, 1, &v, err)))
			goto out;
		gnutls_free(v.data);
		v.data = NULL;
	}
	if (p->freshest_url != NULL) {
		if ((rc = encode_freshest(defs, p->freshest_url, &v, err)) ||
		    (rc = put_ext(n, "crlExtensions", OID_FRESHEST, 0, &v, err)))
			goto out;
		gnutls_free(v.data);
		v.data = NULL;
	}
	if ((rc = encode(n, "TBSCertList", tbs, err)))
		goto out;

	/* Where crlExtensions starts: the entries go just before it. */
	if ((rc = node_new(defs, "TBSCertList", &dec, err)))
		goto out;
	if ((r = asn1_der_decoding(&dec, tbs->data, (int)tbs->size, msg)) !=
	    ASN1_SUCCESS ||
	    (r = asn1_der_decoding_startEnd(dec, tbs->data, (int)tbs->size,
					    "crlExtensions", &start, &end)) !=
	    ASN1_SUCCESS) {
		rc = pki_error_set(err, PKI_E_FAIL, "asn1_der_decoding_startEnd"
				   "(TBSCertList): %s", asn1_strerror(r));
		goto out;
	}
	if (der_hdr_len(tbs->data, tbs->size, &hdr, &clen) != 0 ||
	    hdr + clen != tbs->size || (size_t)end + 1 != tbs->size ||
	    (size_t)start < hdr) {
		rc = pki_error_set(err, PKI_E_FAIL, "TBSCertList encoding has an "
				   "unexpected layout");
		goto out;
	}
	*head_off = hdr;
	*head_len = (size_t)start - hdr;
	rc = PKI_OK;
out:
	if (rc != PKI_OK) {
		gnutls_free(tbs->data);
		tbs->data = NULL;
		tbs->size = 0;
	}
	gnutls_free(v.data);
	node_free(&n);
	node_free(&dec);
	return rc;
}

/* Reused libtasn1 nodes and cached pieces for the entries. */
struct entry_enc {
	asn1_node rev[2][2];      /* [generalized][with extensions] */
	asn1_node ext1, ext2;     /* one- and two-element Extensions */
	asn1_node inv;            /* InvalidityDate */
	unsigned char reason_der[PKI_CRL_REASON__MAX][3];
	int ext1_kind;            /* which extnID ext1 holds: 0 none, 1 reason, 2 invalidity */
	/* Extensions holding only a reasonCode, encoded on first use. */
	unsigned char reason_ext[PKI_CRL_REASON__MAX][32];
	int reason_ext_len[PKI_CRL_REASON__MAX];
};

static const char *const rev_types[2][2] = {
	{ "RevokedUTC", "RevokedUTCExt" },
	{ "RevokedGeneralized", "RevokedGeneralizedExt" },
};

static int
entry_enc_init(asn1_node defs, struct entry_enc *ee, struct pki_error *err)
{
	asn1_node n = NULL;
	gnutls_datum_t v = { NULL, 0 };
	int i, j, rc = PKI_OK;

	memset(ee, 0, sizeof(*ee));
	for (i = 0; i < 2; i++)
		for (j = 0; j < 2; j++)
			if ((rc = node_new(defs, rev_types[i][j], &ee->rev[i][j],
					   err)))
				return rc;
	if ((rc = node_new(defs, "Extensions", &ee->ext1, err)) ||
	    (rc = put(ee->ext1, "", "NEW", 1, err)) ||
	    (rc = put(ee->ext1, "?LAST.critical", "FALSE", 1, err)) ||
	    (rc = node_new(defs, "Extensions", &ee->ext2, err)) ||
	    (rc = put(ee->ext2, "", "NEW", 1, err)) ||
	    (rc = put(ee->ext2, "?LAST.extnID", OID_REASON, 1, err)) ||
	    (rc = put(ee->ext2, "?LAST.critical", "FALSE", 1, err)) ||
	    (rc = put(ee->ext2, "", "NEW", 1, err)) ||
	    (rc = put(ee->ext2, "?LAST.extnID", OID_INVALIDITY, 1, err)) ||
	    (rc = put(ee->ext2, "?LAST.critical", "FALSE", 1, err)) ||
	    (rc = node_new(defs, "InvalidityDate", &ee->inv, err)))
		return rc;
	/* The ENUMERATED DER of each reason code, encoded once. */
	for (i = 0; i < PKI_CRL_REASON__MAX; i++) {
		unsigned char c = (unsigned char)i;

		if (reason_names[i] == NULL)
			continue;
		if ((rc = node_new(defs, "CRLReason", &n, err)) ||
		    (rc = put(n, "", &c, 1, err)) ||
		    (rc = encode(n, "CRLReason", &v, err)))
			break;
		if (v.size != 3) {
			rc = pki_error_set(err, PKI_E_FAIL, "CRLReason encoding "
					   "has an unexpected size %u", v.size);
			break;
		}
		memcpy(ee->reason_der[i], v.data, 3);
		gnutls_free(v.data);
		v.data = NULL;
		node_free(&n);
	}
	gnutls_free(v.data);
	node_free(&n);
	return rc;
}

static void
entry_enc_free(struct entry_enc *ee)
{
	int i, j;

	for (i = 0; i < 2; i++)
		for (j = 0; j < 2; j++)
			node_free(&ee->rev[i][j]);
	node_free(&ee->ext1);
	node_free(&ee->ext2);
	node_free(&ee->inv);
}

/* Encode and append one entry. */
static int
entry_append(struct entry_enc *ee, const struct pki_crl_params *p,
	     const struct pki_crl_entry *e, size_t index, struct buf *b,
	     struct pki_error *err)
{
	unsigned char serial[PKI_CRL_SERIAL_MAX + 1], exts[128], invd[32];
	char t[16], ti[16];
	int reason = e->reason, gen, utc, have_ext, extlen = sizeof(exts);
	int invlen = sizeof(invd), len, rc;
	asn1_node n, x = NULL;

	if (e->serial == NULL || e->serial_len == 0 ||
	    e->serial_len > PKI_CRL_SERIAL_MAX)
		return pki_error_set(err, PKI_E_INVALID, "entry %zu: the serial "
				     "number must be 1 to %d octets", index + 1,
				     PKI_CRL_SERIAL_MAX);
	if (e->remove_from_crl) {
		if (!p->is_delta)
			return pki_error_set(err, PKI_E_INVALID, "entry %zu: "
					     "removeFromCRL is only allowed in "
					     "a delta CRL", index + 1);
		if (reason != -1 && reason != PKI_CRL_REASON_REMOVE_FROM_CRL)
			return pki_error_set(err, PKI_E_INVALID, "entry %zu: "
					     "removeFromCRL entry with reason "
					     "%d", index + 1, reason);
		reason = PKI_CRL_REASON_REMOVE_FROM_CRL;
	}
	if (reason != -1 && pki_crl_reason_name(reason) == NULL)
		return pki_error_set(err, PKI_E_INVALID, "entry %zu: %d is not an "
				     "RFC 5280 reason code (0..10 but 7)",
				     index + 1, reason);
	if (reason == PKI_CRL_REASON_REMOVE_FROM_CRL && !p->is_delta)
		return pki_error_set(err, PKI_E_INVALID, "entry %zu: "
				     "removeFromCRL is only allowed in a delta "
				     "CRL", index + 1);
	if (time_format(e->revocation_time, 1, t, &utc) != 0)
		return pki_error_set(err, PKI_E_INVALID, "entry %zu: revocation "
				     "time %lld is outside years 1..9999",
				     index + 1, (long long)e->revocation_time);
	if (e->invalidity_date != 0 &&
	    time_format(e->invalidity_date, 0, ti, &gen) != 0)
		return pki_error_set(err, PKI_E_INVALID, "entry %zu: invalidity "
				     "date %lld is outside years 1..9999",
				     index + 1, (long long)e->invalidity_date);

	/* crlEntryExtensions: reasonCode, then invalidityDate. */
	have_ext = reason != -1 || e->invalidity_date != 0;
	if (e->invalidity_date != 0) {
		if ((rc = put(ee->inv, "", ti, strlen(ti), err)) ||
		    (rc = encode_into(ee->inv, "InvalidityDate", invd, &invlen,
				      err)))
			return rc;
	}
	if (reason != -1 && e->invalidity_date == 0 &&
	    ee->reason_ext_len[reason] > 0) {
		extlen = ee->reason_ext_len[reason];
		memcpy(exts, ee->reason_ext[reason], (size_t)extlen);
	} else if (reason != -1 && e->invalidity_date != 0) {
		x = ee->ext2;
		if ((rc = put(x, "?1.extnValue", ee->reason_der[reason], 3, err)) ||
		    (rc = put(x, "?2.extnValue", invd, (size_t)invlen, err)))
			return rc;
	} else if (have_ext) {
		int kind = reason != -1 ? 1 : 2;

		x = ee->ext1;
		if (ee->ext1_kind != kind) {
			if ((rc = put(x, "?1.extnID", kind == 1 ? OID_REASON :
				      OID_INVALIDITY, 1, err)))
				return rc;
			ee->ext1_kind = kind;
		}
		if (kind == 1)
			rc = put(x, "?1.extnValue", ee->reason_der[reason], 3, err);
		else
			rc = put(x, "?1.extnValue", invd, (size_t)invlen, err);
		if (rc)
			return rc;
	}
	if (x != NULL &&
	    (rc = encode_into(x, "Extensions", exts, &extlen, err)))
		return rc;
	if (x == ee->ext1 && ee->ext1_kind == 1 &&
	    (size_t)extlen <= sizeof(ee->reason_ext[0])) {
		memcpy(ee->reason_ext[reason], exts, (size_t)extlen);
		ee->reason_ext_len[reason] = extlen;
	}

	n = ee->rev[!utc][have_ext];
	serial[0] = 0; /* a positive INTEGER; libtasn1 drops extra zeros */
	memcpy(serial + 1, e->serial, e->serial_len);
	if ((rc = put(n, "userCertificate", serial, e->serial_len + 1, err)) ||
	    (rc = put(n, "revocationDate", t, strlen(t), err)) ||
	    (have_ext &&
	     (rc = put(n, "crlEntryExtensions", exts, (size_t)extlen, err))))
		return rc;
	if ((rc = buf_reserve(b, 256, err)))
		return rc;
	len = 256;
	if ((rc = encode_into(n, "RevokedCertificate", b->data + b->len, &len,
			      err)))
		return rc;
	b->len += (size_t)len;
	return PKI_OK;
}

static int
params_check(const struct pki_crl_params *p, struct pki_error *err)
{
	int rc;

	if (p->next_update <= p->this_update)
		return pki_error_set(err, PKI_E_INVALID, "nextUpdate must be "
				     "later than thisUpdate");
	if (p->idp_only_user_certs && p->idp_only_ca_certs)
		return pki_error_set(err, PKI_E_INVALID, "a CRL cannot be "
				     "limited to both user and CA "
				     "certificates");
	if ((p->idp_only_user_certs || p->idp_only_ca_certs) &&
	    p->idp_url == NULL)
		return pki_error_set(err, PKI_E_INVALID, "onlyContainsUserCerts "
				     "and onlyContainsCACerts need an "
				     "IssuingDistributionPoint URL");
	if (p->is_delta && p->base_crl_number >= p->crl_number)
		return pki_error_set(err, PKI_E_INVALID, "the delta CRL number "
				     "%llu must be greater than its base CRL "
				     "number %llu",
				     (unsigned long long)p->crl_number,
				     (unsigned long long)p->base_crl_number);
	if (p->is_delta && p->freshest_url != NULL)
		return pki_error_set(err, PKI_E_INVALID, "freshestCRL is only "
				     "written in full CRLs");
	if (p->idp_url != NULL &&
	    (rc = url_check(p->idp_url, "IssuingDistributionPoint URL", err)))
		return rc;
	if (p->freshest_url != NULL &&
	    (rc = url_check(p->freshest_url, "freshestCRL URL", err)))
		return rc;
	return PKI_OK;
}

/*
 * What pki_crl_build carries from step to step.  The CertificateList is
 * assembled in b: the entries from room on, then the TBS head and the
 * headers written in front of them, down to pos.
 */
struct crl_builder {
	const struct pki_crl_params *p;
	asn1_node defs;
	struct sigalg sa;
	struct entry_enc ee;
	struct buf b;
	size_t room;            /* where the entries start in b */
	size_t pos;             /* where the assembled part starts in b */
	size_t count;           /* entries appended */
};

/* Append the entries next gives, each checked and encoded. */
static int
append_entries(struct crl_builder *cb,
	       int (*next)(void *ctx, struct pki_crl_entry *e), void *ctx,
	       struct pki_error *err)
{
	int rc, ret;

	for (;;) {
		struct pki_crl_entry e;

		memset(&e, 0, sizeof(e));
		e.reason = -1;
		ret = next(ctx, &e);
		if (ret == 0)
			return PKI_OK;
		if (ret < 0)
			return pki_error_set(err, (-ret > 0 && -ret < PKI_E__MAX) ?
					     -ret : PKI_E_FAIL, "reading revoked "
					     "certificate %zu failed",
					     cb->count + 1);
		if ((rc = entry_append(&cb->ee, cb->p, &e, cb->count, &cb->b,
				       err)))
			return rc;
		cb->count++;
	}
}

/* Around the entries: the revokedCertificates header right before them,
 * the TBS head (head_len bytes at head_off of tbs) before that,
 * crlExtensions after them, then the TBS header. */
static int
frame_tbs(struct crl_builder *cb, const gnutls_datum_t *tbs, size_t head_off,
	  size_t head_len, struct pki_error *err)
{
	size_t ents = cb->b.len - cb->room;
	int rc;

	cb->pos = cb->room;
	if (cb->count > 0)
		cb->pos -= seq_hdr_before(cb->b.data + cb->pos, ents);
	cb->pos -= head_len;
	memcpy(cb->b.data + cb->pos, tbs->data + head_off, head_len);
	if ((rc = buf_append(&cb->b, tbs->data + head_off + head_len,
			     tbs->size - head_off - head_len, err)))
		return rc;
	cb->pos -= seq_hdr_before(cb->b.data + cb->pos, cb->b.len - cb->pos);
	return PKI_OK;
}

/* Sign the TBS with key; append signatureAlgorithm and signature, encoded
 * as a SignatureTail whose content is appended; then the CertificateList
 * header. */
static int
append_signature(struct crl_builder *cb, gnutls_privkey_t key,
		 struct pki_error *err)
{
	asn1_node tail = NULL;
	gnutls_datum_t sig = { NULL, 0 }, tl = { NULL, 0 }, signed_part;
	size_t thdr, tclen;
	int rc, ret;

	signed_part.data = cb->b.data + cb->pos;
	signed_part.size = (unsigned)(cb->b.len - cb->pos);
	if ((ret = gnutls_privkey_sign_data2(key, cb->sa.sign, 0, &signed_part,
					     &sig)) < 0) {
		rc = pki__gnutls_error(err, ret, "gnutls_privkey_sign_data2");
		goto out;
	}
	if ((rc = node_new(cb->defs, "SignatureTail", &tail, err)) ||
	    (rc = put_alg(tail, "signatureAlgorithm", &cb->sa, err)) ||
	    (rc = put(tail, "signature", sig.data, (size_t)sig.size * 8, err)) ||
	    (rc = encode(tail, "SignatureTail", &tl, err)))
		goto out;
	if (der_hdr_len(tl.data, tl.size, &thdr, &tclen) != 0 ||
	    thdr + tclen != tl.size) {
		rc = pki_error_set(err, PKI_E_FAIL, "SignatureTail encoding has "
				   "an unexpected layout");
		goto out;
	}
	if ((rc = buf_append(&cb->b, tl.data + thdr, tclen, err)))
		goto out;
	cb->pos -= seq_hdr_before(cb->b.data + cb->pos, cb->b.len - cb->pos);
	rc = PKI_OK;
out:
	gnutls_free(sig.data);
	gnutls_free(tl.data);
	node_free(&tail);
	return rc;
}

int
pki_crl_build(const struct pki_crl_params *p,
	      int (*next)(void *ctx, struct pki_crl_entry *e), void *ctx,
	      gnutls_x509_crt_t issuer, gnutls_privkey_t key,
	      gnutls_datum_t *der, struct pki_error *err)
{
	struct crl_builder cb;
	gnutls_datum_t dn = { NULL, 0 }, tbs = { NULL, 0 };
	unsigned char kid[64];
	size_t kid_len = sizeof(kid), head_off = 0, head_len = 0;
	int rc, ret;

	memset(&cb, 0, sizeof(cb));
	cb.p = p;
	der->data = NULL;
	der->size = 0;
	if (p == NULL || next == NULL || issuer == NULL || key == NULL) {
		rc = pki_error_set(err, PKI_E_INVALID, "pki_crl_build: missing "
				   "parameters, entry callback, issuer or key");
		goto out;
	}
	if ((rc = params_check(p, err)) ||
	    (rc = sigalg_pick(key, issuer, &cb.sa, err)) ||
	    (rc = issuer_key_id(issuer, kid, &kid_len, err)))
		goto out;
	if ((ret = gnutls_x509_crt_get_raw_dn(issuer, &dn)) < 0) {
		rc = pki__gnutls_error(err, ret, "gnutls_x509_crt_get_raw_dn");
		goto out;
	}
	if ((rc = defs_load(&cb.defs, err)) ||
	    (rc = encode_tbs_head(cb.defs, p, &cb.sa, &dn, kid, kid_len, &tbs,
				  &head_off, &head_len, err)) ||
	    (rc = entry_enc_init(cb.defs, &cb.ee, err)))
		goto out;

	/* Entries go after room for: CertificateList, TBSCertList and
	 * revokedCertificates headers and the TBS head. */
	cb.room = 3 * HDR_MAX + head_len;
	if ((rc = buf_reserve(&cb.b, cb.room, err)))
		goto out;
	cb.b.len = cb.room;
	if ((rc = append_entries(&cb, next, ctx, err)) ||
	    (rc = frame_tbs(&cb, &tbs, head_off, head_len, err)) ||
	    (rc = append_signature(&cb, key, err)))
		goto out;

	memmove(cb.b.data, cb.b.data + cb.pos, cb.b.len - cb.pos);
	cb.b.len -= cb.pos;
	der->data = gnutls_realloc(cb.b.data, cb.b.len);
	if (der->data == NULL)
		der->data = cb.b.data;
	der->size = (unsigned)cb.b.len;
	cb.b.data = NULL;
	rc = PKI_OK;
out:
	gnutls_free(cb.b.data);
	gnutls_free(dn.data);
	gnutls_free(tbs.data);
	entry_enc_free(&cb.ee);
	node_free(&cb.defs);
	return rc;
}

/* ------------------------------------------------------------ reading */

/* One DER element inside the CRL: off is where its tag starts. */
struct tlv {
	size_t off, hdr, len;
	unsigned char cls;
	unsigned long tag;
};

#define CLS_SEQ (ASN1_CLASS_UNIVERSAL | ASN1_CLASS_STRUCTURED)

/* The element starting at off, which must end by end; DER lengths only. */
static int
tlv_get(const unsigned char *buf, size_t off, size_t end, struct tlv *t)
{
	unsigned char lb[ASN1_MAX_LENGTH_SIZE];
	int tl, ll, ll2 = (int)sizeof(lb);
	long l;

	if (off >= end || end - off > INT_MAX)
		return -1;
	if (asn1_get_tag_der(buf + off, (int)(end - off), &t->cls, &tl,
			     &t->tag) != ASN1_SUCCESS)
		return -1;
	l = asn1_get_length_der(buf + off + tl, (int)(end - off) - tl, &ll);
	if (l < 0)
		return -1;
	asn1_length_der((unsigned long)l, lb, &ll2);
	if (ll2 != ll || memcmp(lb, buf + off + tl, (size_t)ll) != 0)
		return -1; /* not the shortest length form */
	t->off = off;
	t->hdr = (size_t)tl + (size_t)ll;
	t->len = (size_t)l;
	if (t->len > end - off - t->hdr)
		return -1;
	return 0;
}

static int
is_seq(const struct tlv *t)
{
	return t->cls == CLS_SEQ && t->tag == ASN1_TAG_SEQUENCE;
}

static int
is_time(const struct tlv *t)
{
	return t->cls == ASN1_CLASS_UNIVERSAL &&
	       (t->tag == ASN1_TAG_UTCTime || t->tag == ASN1_TAG_GENERALIZEDTime);
}

/* Strict DER decoding of all len bytes as type into a new *node. */
static int
decode_strict(asn1_node defs, const char *type, const unsigned char *der,
	      size_t len, asn1_node *node, const char *what,
	      struct pki_error *err)
{
	char msg[ASN1_MAX_ERROR_DESCRIPTION_SIZE];
	int rc, r, l = (int)len;

	if (len > INT_MAX)
		return pki_error_set(err, PKI_E_PARSE, "%s: too large", what);
	if ((rc = node_new(defs, type, node, err)))
		return rc;
	msg[0] = '\0';
	r = asn1_der_decoding2(node, der, &l, ASN1_DECODE_FLAG_STRICT_DER, msg);
	if (r != ASN1_SUCCESS) {
		node_free(node);
		return pki_error_set(err, r == ASN1_MEM_ALLOC_ERROR ? PKI_E_NOMEM :
				     PKI_E_PARSE, "%s is not valid DER: %s%s%s",
				     what, asn1_strerror(r), msg[0] ? ": " : "",
				     msg);
	}
	if ((size_t)l != len) {
		node_free(node);
		return pki_error_set(err, PKI_E_PARSE, "%s: %zu bytes of trailing "
				     "data", what, len - (size_t)l);
	}
	return PKI_OK;
}

/* Read a value of at most cap bytes; *len is its length.  Absent values
 * give PKI_E_NOTFOUND without touching err. */
static int
get(asn1_node n, const char *name, void *buf, size_t cap, size_t *len,
    const char *what, struct pki_error *err)
{
	int l = (int)cap, r;

	r = asn1_read_value(n, name, buf, &l);
	if (r == ASN1_ELEMENT_NOT_FOUND || r == ASN1_VALUE_NOT_FOUND)
		return PKI_E_NOTFOUND;
	if (r == ASN1_MEM_ERROR)
		return pki_error_set(err, PKI_E_PARSE, "%s is longer than %zu "
				     "bytes", what, cap);
	if (r != ASN1_SUCCESS)
		return pki_error_set(err, PKI_E_PARSE, "%s: %s", what,
				     asn1_strerror(r));
	*len = (size_t)l;
	return PKI_OK;
}

/* Read a NUL-terminated string value (OID, BOOLEAN, CHOICE name). */
static int
get_str(asn1_node n, const char *name, char *buf, size_t cap,
	const char *what, struct pki_error *err)
{
	size_t len = 0;
	int rc;

	if ((rc = get(n, name, buf, cap - 1, &len, what, err)))
		return rc;
	buf[len] = '\0';
	return PKI_OK;
}

static int
get_bool(asn1_node n, const char *name, int *v, const char *what,
	 struct pki_error *err)
{
	char b[8];
	int rc;

	*v = 0;
	if ((rc = get_str(n, name, b, sizeof(b), what, err)))
		return rc == PKI_E_NOTFOUND ? PKI_OK : rc;
	*v = strcmp(b, "TRUE") == 0;
	return PKI_OK;
}

static int
get_time(asn1_node n, const char *name, int64_t *t, const char *what,
	 struct pki_error *err)
{
	char choice[16], path[64], v[32];
	size_t len = 0;
	int rc;

	if ((rc = get_str(n, name, choice, sizeof(choice), what, err)))
		return rc;
	snprintf(path, sizeof(path), "%s.%s", name, choice);
	if ((rc = get(n, path, v, sizeof(v), &len, what, err)))
		return rc == PKI_E_NOTFOUND ?
		       pki_error_set(err, PKI_E_PARSE, "%s is missing", what) : rc;
	if (len > 0 && v[len - 1] == '\0') /* libtasn1 counts the NUL */
		len--;
	if (time_parse(v, len, strcmp(choice, "generalTime") == 0, t) != 0)
		return pki_error_set(err, PKI_E_PARSE, "%s is not a UTC time "
				     "with seconds (YYMMDDHHMMSSZ or "
				     "YYYYMMDDHHMMSSZ)", what);
	return PKI_OK;
}

/* A non-negative INTEGER of at most 20 octets, as hex and as a uint64. */
static int
get_number(asn1_node n, const char *name, uint64_t *u, char hex[41],
	   const char *what, struct pki_error *err)
{
	unsigned char b[21];
	const unsigned char *p = b;
	size_t len = 0, i;
	int rc;

	if ((rc = get(n, name, b, sizeof(b), &len, what, err)))
		return rc == PKI_E_NOTFOUND ?
		       pki_error_set(err, PKI_E_PARSE, "%s is missing", what) : rc;
	if (len == 0 || (b[0] & 0x80))
		return pki_error_set(err, PKI_E_PARSE, "%s is negative", what);
	if (len > 1 && b[0] == 0) {
		p++;
		len--;
	}
	if (len > 20)
		return pki_error_set(err, PKI_E_PARSE, "%s is longer than 20 "
				     "octets", what);
	pki__hex(p, len, hex);
	*u = 0;
	for (i = 0; i < len; i++)
		*u = *u << 8 | p[i];
	if (len > 8)
		*u = UINT64_MAX;
	return PKI_OK;
}

/* Printable ASCII only: these strings end up on terminals. */
static int
printable(const unsigned char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (s[i] < 0x20 || s[i] >= 0x7f)
			return 0;
	return 1;
}

/* The first URI of the GeneralNames at name, or NULL in *url. */
static int
first_uri(asn1_node n, const char *name, char **url, const char *what,
	  struct pki_error *err)
{
	char path[128], choice[32], v[URL_MAX + 1];
	size_t len = 0;
	int count = 0, i, rc;

	if (asn1_number_of_elements(n, name, &count) != ASN1_SUCCESS)
		count = 0;
	for (i = 1; i <= count && *url == NULL; i++) {
		snprintf(path, sizeof(path), "%s.?%d", name, i);
		if ((rc = get_str(n, path, choice, sizeof(choice), what, err)))
			return rc == PKI_E_NOTFOUND ? pki_error_set(err,
			       PKI_E_PARSE, "%s: bad GeneralName", what) : rc;
		if (strcmp(choice, "uniformResourceIdentifier") != 0)
			continue;
		snprintf(path, sizeof(path), "%s.?%d.uniformResourceIdentifier",
			 name, i);
		if ((rc = get(n, path, v, sizeof(v) - 1, &len, what, err)))
			return rc == PKI_E_NOTFOUND ? pki_error_set(err,
			       PKI_E_PARSE, "%s: empty URI", what) : rc;
		if (!printable((unsigned char *)v, len))
			return pki_error_set(err, PKI_E_PARSE, "%s: the URI has "
					     "characters that are not "
					     "printable ASCII", what);
		v[len] = '\0';
		if ((*url = strdup(v)) == NULL)
			return pki_error_set(err, PKI_E_NOMEM, "out of memory");
	}
	return PKI_OK;
}

/* A seen-OID list for rejecting duplicate extensions. */
struct oidset {
	char oid[EXT_MAX][64];
	int n;
};

/*
 * Walk the Extensions at name, calling one(ctx, oid, critical, value) for
 * each after the checks common to all: bounded count and size, no
 * duplicates.
 */
static int
walk_exts(asn1_node n, const char *name, const char *what,
	  int (*one)(void *ctx, const char *oid, int critical,
		     const unsigned char *v, size_t len, struct pki_error *err),
	  void *ctx, unsigned char *v, size_t vcap, struct pki_error *err)
{
	struct oidset seen;
	char path[96], oid[64];
	size_t vlen = 0;
	int count = 0, i, j, critical, rc = PKI_OK, r;

	seen.n = 0;
	r = asn1_number_of_elements(n, name, &count);
	if (r == ASN1_ELEMENT_NOT_FOUND)
		goto out;
	if (r != ASN1_SUCCESS || count < 1 || count > EXT_MAX) {
		rc = pki_error_set(err, PKI_E_PARSE, "%s: need 1 to %d "
				   "extensions", what, EXT_MAX);
		goto out;
	}
	for (i = 1; i <= count; i++) {
		snprintf(path, sizeof(path), "%s.?%d.extnID", name, i);
		if ((rc = get_str(n, path, oid, sizeof(oid), what, err)))
			goto missing;
		for (j = 0; j < seen.n; j++)
			if (strcmp(seen.oid[j], oid) == 0) {
				rc = pki_error_set(err, PKI_E_PARSE, "%s: "
						   "extension %s appears twice",
						   what, oid);
				goto out;
			}
		memcpy(seen.oid[seen.n++], oid, sizeof(oid));
		snprintf(path, sizeof(path), "%s.?%d.critical", name, i);
		if ((rc = get_bool(n, path, &critical, what, err)))
			goto out;
		snprintf(path, sizeof(path), "%s.?%d.extnValue", name, i);
		if ((rc = get(n, path, v, vcap, &vlen, what, err)))
			goto missing;
		if ((rc = one(ctx, oid, critical, v, vlen, err)))
			goto out;
	}
	goto out;
missing:
	if (rc == PKI_E_NOTFOUND)
		rc = pki_error_set(err, PKI_E_PARSE, "%s: incomplete extension",
				   what);
out:
	return rc;
}

struct crl_ctx {
	struct pki_crl *crl;
	asn1_node defs;
};

static int
crl_ext(void *vctx, const char *oid, int critical, const unsigned char *v,
	size_t len, struct pki_error *err)
{
	struct crl_ctx *c = vctx;
	struct pki_crl *crl = c->crl;
	asn1_node n = NULL;
	char choice[40];
	int rc = PKI_OK;

	if (strcmp(oid, OID_AKI) == 0) {
		if ((rc = decode_strict(c->defs, "AuthorityKeyIdentifier", v, len,
					&n, "authorityKeyIdentifier", err)))
			goto out;
		rc = get(n, "keyIdentifier", crl->aki, sizeof(crl->aki),
			 &crl->aki_len, "authorityKeyIdentifier", err);
		if (rc == PKI_E_NOTFOUND) {
			crl->aki_len = 0;
			rc = PKI_OK;
		}
	} else if (strcmp(oid, OID_CRL_NUMBER) == 0) {
		if ((rc = decode_strict(c->defs, "CRLNumber", v, len, &n,
					"cRLNumber", err)) == PKI_OK &&
		    (rc = get_number(n, "", &crl->number, crl->number_hex,
				     "cRLNumber", err)) == PKI_OK)
			crl->has_number = 1;
	} else if (strcmp(oid, OID_DELTA) == 0) {
		if ((rc = decode_strict(c->defs, "CRLNumber", v, len, &n,
					"deltaCRLIndicator", err)) == PKI_OK &&
		    (rc = get_number(n, "", &crl->base_number,
				     crl->base_number_hex, "deltaCRLIndicator",
				     err)) == PKI_OK)
			crl->is_delta = 1;
	} else if (strcmp(oid, OID_IDP) == 0) {
		if ((rc = decode_strict(c->defs, "IssuingDistributionPoint", v,
					len, &n, "issuingDistributionPoint",
					err)) ||
		    (rc = get_bool(n, "onlyContainsUserCerts",
				   &crl->idp_only_user_certs,
				   "issuingDistributionPoint", err)) ||
		    (rc = get_bool(n, "onlyContainsCACerts",
				   &crl->idp_only_ca_certs,
				   "issuingDistributionPoint", err)))
			goto out;
		crl->has_idp = 1;
		rc = get_str(n, "distributionPoint", choice, sizeof(choice),
			     "issuingDistributionPoint", err);
		if (rc == PKI_OK && strcmp(choice, "fullName") == 0)
			rc = first_uri(n, "distributionPoint.fullName",
				       &crl->idp_url, "issuingDistributionPoint",
				       err);
		else if (rc == PKI_OK || rc == PKI_E_NOTFOUND)
			rc = PKI_OK;
	} else if (strcmp(oid, OID_FRESHEST) == 0) {
		int count = 0, i;
		char path[64];

		if ((rc = decode_strict(c->defs, "CRLDistributionPoints", v, len,
					&n, "freshestCRL", err)))
			goto out;
		if (asn1_number_of_elements(n, "", &count) != ASN1_SUCCESS)
			count = 0;
		for (i = 1; i <= count && crl->freshest_url == NULL; i++) {
			snprintf(path, sizeof(path), "?%d.distributionPoint", i);
			rc = get_str(n, path, choice, sizeof(choice),
				     "freshestCRL", err);
			if (rc == PKI_E_NOTFOUND) {
				rc = PKI_OK;
				continue;
			}
			if (rc || strcmp(choice, "fullName") != 0)
				goto out;
			snprintf(path, sizeof(path),
				 "?%d.distributionPoint.fullName", i);
			if ((rc = first_uri(n, path, &crl->freshest_url,
					    "freshestCRL", err)))
				goto out;
		}
	} else if (critical) {
		rc = pki_error_set(err, PKI_E_UNSUPPORTED, "the CRL has a critical "
				   "extension spork does not know (%s)", oid);
	}
out:
	node_free(&n);
	return rc;
}

struct entry_ctx {
	asn1_node defs;
	struct pki_crl_entry *e;
};

static int
entry_ext(void *vctx, const char *oid, int critical, const unsigned char *v,
	  size_t len, struct pki_error *err)
{
	struct entry_ctx *c = vctx;
	asn1_node n = NULL;
	unsigned char b[4];
	char t[32];
	size_t l = 0;
	int rc = PKI_OK;

	if (strcmp(oid, OID_REASON) == 0) {
		if ((rc = decode_strict(c->defs, "CRLReason", v, len, &n,
					"reasonCode", err)) ||
		    (rc = get(n, "", b, sizeof(b), &l, "reasonCode", err)))
			goto out;
		if (l != 1 || pki_crl_reason_name(b[0]) == NULL) {
			rc = pki_error_set(err, PKI_E_PARSE, "reasonCode is not "
					   "an RFC 5280 reason");
			goto out;
		}
		c->e->reason = b[0];
		c->e->remove_from_crl = b[0] == PKI_CRL_REASON_REMOVE_FROM_CRL;
	} else if (strcmp(oid, OID_INVALIDITY) == 0) {
		if ((rc = decode_strict(c->defs, "InvalidityDate", v, len, &n,
					"invalidityDate", err)) ||
		    (rc = get(n, "", t, sizeof(t), &l, "invalidityDate", err)))
			goto out;
		if (l > 0 && t[l - 1] == '\0') /* libtasn1 counts the NUL */
			l--;
		if (time_parse(t, l, 1, &c->e->invalidity_date) != 0 ||
		    c->e->invalidity_date == 0) {
			rc = pki_error_set(err, PKI_E_PARSE, "invalidityDate is "
					   "not YYYYMMDDHHMMSSZ");
			goto out;
		}
	} else if (critical) {
		rc = pki_error_set(err, PKI_E_UNSUPPORTED, "critical extension "
				   "%s is unknown to spork", oid);
	}
out:
	if (rc == PKI_E_NOTFOUND)
		rc = pki_error_set(err, PKI_E_PARSE, "empty extension %s", oid);
	node_free(&n);
	return rc;
}

/*
 * Decode one RevokedCertificate at der into *e (serial into sbuf).
 * index only names the entry in error messages.
 */
static int
entry_decode(asn1_node defs, const struct pki_crl *crl, const unsigned char *der,
	     size_t len, size_t index, struct pki_crl_entry *e,
	     unsigned char *sbuf, struct pki_error *err)
{
	struct entry_ctx c = { defs, e };
	unsigned char b[PKI_CRL_SERIAL_MAX + 1], v[1024];
	const unsigned char *p = b;
	size_t l = 0;
	asn1_node n = NULL;
	int rc;

	memset(e, 0, sizeof(*e));
	e->reason = -1;
	if ((rc = decode_strict(defs, "RevokedCertificate", der, len, &n,
				"the entry", err)))
		goto out;
	if ((rc = get(n, "userCertificate", b, sizeof(b), &l, "the serial "
		      "number", err)))
		goto out;
	if (l == 0 || (b[0] & 0x80)) {
		rc = pki_error_set(err, PKI_E_PARSE, "negative serial number");
		goto out;
	}
	if (l > 1 && b[0] == 0) {
		p++;
		l--;
	}
	if (l > PKI_CRL_SERIAL_MAX) {
		rc = pki_error_set(err, PKI_E_PARSE, "serial number longer than "
				   "%d octets", PKI_CRL_SERIAL_MAX);
		goto out;
	}
	memcpy(sbuf, p, l);
	e->serial = sbuf;
	e->serial_len = l;
	if ((rc = get_time(n, "revocationDate", &e->revocation_time,
			   "revocationDate", err)))
		goto out;
	if (crl->version < 2 &&
	    asn1_number_of_elements(n, "crlEntryExtensions", &(int){ 0 }) ==
	    ASN1_SUCCESS) {
		rc = pki_error_set(err, PKI_E_PARSE, "a v1 CRL cannot have "
				   "entry extensions");
		goto out;
	}
	if ((rc = walk_exts(n, "crlEntryExtensions", "crlEntryExtensions",
			    entry_ext, &c, v, sizeof(v), err)))
		goto out;
	if (e->remove_from_crl && !crl->is_delta) {
		rc = pki_error_set(err, PKI_E_PARSE, "removeFromCRL in a CRL "
				   "that is not a delta CRL");
		goto out;
	}
	rc = PKI_OK;
out:
	if (rc == PKI_E_NOTFOUND)
		rc = pki_error_set(err, PKI_E_PARSE, "incomplete entry");
	if (rc != PKI_OK)
		pki_error_prefix(err, "revoked certificate %zu", index + 1);
	node_free(&n);
	return rc;
}

/* Decode bytes [off, off+len) of buf wrapped in a new SEQUENCE header. */
static int
decode_wrapped(asn1_node defs, const char *type, const unsigned char *parts[2],
	       const size_t plen[2], asn1_node *node, unsigned char **copy,
	       size_t *hdr, const char *what, struct pki_error *err)
{
	size_t len = plen[0] + plen[1];
	unsigned char *c;

	*copy = NULL;
	if ((c = malloc(len + HDR_MAX)) == NULL)
		return pki_error_set(err, PKI_E_NOMEM, "out of memory");
	*hdr = seq_hdr_before(c + HDR_MAX, len);
	memmove(c, c + HDR_MAX - *hdr, *hdr);
	memcpy(c + *hdr, parts[0], plen[0]);
	if (plen[1] > 0)
		memcpy(c + *hdr + plen[0], parts[1], plen[1]);
	*copy = c;
	return decode_strict(defs, type, c, *hdr + len, node, what, err);
}

/* Where the parts of a CRL are in its DER (crl_split). */
struct crl_layout {
	struct tlv tbs;
	struct tlv ch[TBS_CHILDREN_MAX];  /* the TBS's top-level fields */
	size_t tbs_end;                   /* where the TBS ends */
	int ti;                           /* thisUpdate in ch */
	int ri;                           /* revokedCertificates, -1: none */
};

/* The outer SEQUENCE, the TBS and its top-level fields: thisUpdate after
 * the issuer name, revokedCertificates (if any) after thisUpdate or
 * nextUpdate. */
static int
crl_split(struct pki_crl *crl, struct crl_layout *lay, struct pki_error *err)
{
	const unsigned char *d = crl->der.data;
	size_t size = crl->der.size, off;
	struct tlv outer, t;
	int nch = 0, ti = -1, ri = -1;

	if (tlv_get(d, 0, size, &outer) != 0 || !is_seq(&outer) ||
	    outer.hdr + outer.len != size)
		return pki_error_set(err, PKI_E_PARSE, "not a DER CRL (expected "
				     "one SEQUENCE spanning the input)");
	if (tlv_get(d, outer.hdr, size, &lay->tbs) != 0 || !is_seq(&lay->tbs))
		return pki_error_set(err, PKI_E_PARSE, "not a CRL: bad "
				     "tbsCertList");
	crl->tbs_off = lay->tbs.off;
	crl->tbs_len = lay->tbs.hdr + lay->tbs.len;
	lay->tbs_end = lay->tbs.off + crl->tbs_len;
	for (off = lay->tbs.off + lay->tbs.hdr; off < lay->tbs_end;
	     off = t.off + t.hdr + t.len) {
		if (tlv_get(d, off, lay->tbs_end, &t) != 0 ||
		    nch == TBS_CHILDREN_MAX)
			return pki_error_set(err, PKI_E_PARSE, "not a CRL: bad "
					     "tbsCertList field %d", nch + 1);
		if (ti < 0 && is_time(&t))
			ti = nch;
		else if (ti >= 0 && ri < 0 && is_seq(&t))
			ri = nch;
		lay->ch[nch++] = t;
	}
	if (ti != 2 && ti != 3)
		return pki_error_set(err, PKI_E_PARSE, "not a CRL: no thisUpdate "
				     "after the issuer name");
	/* revokedCertificates follows thisUpdate or nextUpdate, nothing else. */
	if (ri >= 0 && ri != ti + 1 &&
	    !(ri == ti + 2 && is_time(&lay->ch[ti + 1])))
		return pki_error_set(err, PKI_E_PARSE, "not a CRL: "
				     "revokedCertificates out of place");
	lay->ti = ti;
	lay->ri = ri;
	return PKI_OK;
}

/* Everything in the TBS but the entries, decoded as one TBSCertList:
 * version, signature algorithm, issuer, times and crlExtensions. */
static int
crl_decode_head(struct pki_crl *crl, asn1_node defs,
		const struct crl_layout *lay, struct pki_error *err)
{
	const unsigned char *d = crl->der.data, *parts[2];
	const struct tlv *ch = lay->ch, *t = &lay->ch[lay->ti - 1];
	struct crl_ctx cc = { crl, defs };
	size_t plen[2], hdr = 0, l = 0;
	asn1_node head = NULL;
	unsigned char *hcopy = NULL, *v = NULL, ver[4];
	gnutls_datum_t str = { NULL, 0 };
	int ri = lay->ri, rc = PKI_E_PARSE;

	parts[0] = d + lay->tbs.off + lay->tbs.hdr;
	plen[0] = ri < 0 ? lay->tbs.len :
		  ch[ri].off - (lay->tbs.off + lay->tbs.hdr);
	parts[1] = ri < 0 ? NULL : d + ch[ri].off + ch[ri].hdr + ch[ri].len;
	plen[1] = ri < 0 ? 0 :
		  lay->tbs_end - (ch[ri].off + ch[ri].hdr + ch[ri].len);
	if ((rc = decode_wrapped(defs, "TBSCertList", parts, plen, &head, &hcopy,
				 &hdr, "tbsCertList", err)))
		goto out;
	rc = get(head, "version", ver, sizeof(ver), &l, "version", err);
	if (rc == PKI_E_NOTFOUND)
		crl->version = 1;
	else if (rc == PKI_OK && l == 1 && ver[0] == 1)
		crl->version = 2;
	else {
		rc = pki_error_set(err, PKI_E_PARSE, "unsupported CRL version "
				   "(only v1 and v2 exist)");
		goto out;
	}
	if ((rc = get_str(head, "signature.algorithm", crl->sign_oid,
			  sizeof(crl->sign_oid), "signature algorithm", err)))
		goto out;
	crl->sign_algo = gnutls_oid_to_sign(crl->sign_oid);
	crl->issuer_der.data = (unsigned char *)d + t->off;
	crl->issuer_der.size = (unsigned)(t->hdr + t->len);
	if (!is_seq(t) || gnutls_x509_rdn_get2(&crl->issuer_der, &str, 0) < 0) {
		rc = pki_error_set(err, PKI_E_PARSE, "the issuer name is not a "
				   "valid X.501 Name");
		goto out;
	}
	for (l = 0; l < str.size; l++)
		if (str.data[l] < 0x20 || str.data[l] == 0x7f)
			str.data[l] = '?';
	crl->issuer = (char *)str.data;
	str.data = NULL;
	if ((rc = get_time(head, "thisUpdate", &crl->this_update, "thisUpdate",
			   err)))
		goto out;
	rc = get_time(head, "nextUpdate", &crl->next_update, "nextUpdate", err);
	if (rc != PKI_OK && rc != PKI_E_NOTFOUND)
		goto out;
	if (crl->version < 2 &&
	    asn1_number_of_elements(head, "crlExtensions", &(int){ 0 }) ==
	    ASN1_SUCCESS) {
		rc = pki_error_set(err, PKI_E_PARSE, "a v1 CRL cannot have "
				   "extensions");
		goto out;
	}
	if ((v = malloc(EXT_VALUE_MAX)) == NULL) {
		rc = pki_error_set(err, PKI_E_NOMEM, "out of memory");
		goto out;
	}
	if ((rc = walk_exts(head, "crlExtensions", "crlExtensions", crl_ext,
			    &cc, v, EXT_VALUE_MAX, err)))
		goto out;
	rc = PKI_OK;
out:
	gnutls_free(str.data);
	free(v);
	free(hcopy);
	node_free(&head);
	return rc;
}

/* signatureAlgorithm (the same as in the TBS) and signature, a whole
 * number of octets, into crl->signature. */
static int
crl_decode_signature(struct pki_crl *crl, asn1_node defs,
		     const struct crl_layout *lay, struct pki_error *err)
{
	const unsigned char *d = crl->der.data, *parts[2];
	const struct tlv *alg = &lay->ch[lay->ti - 2];
	size_t size = crl->der.size, tbs_end = lay->tbs_end, plen[2], hdr = 0;
	struct tlv t;
	asn1_node tail = NULL;
	unsigned char *tcopy = NULL;
	int rc = PKI_E_PARSE, r, s = 0, e = 0;

	parts[0] = d + tbs_end;
	plen[0] = size - tbs_end;
	parts[1] = NULL;
	plen[1] = 0;
	if ((rc = decode_wrapped(defs, "SignatureTail", parts, plen, &tail,
				 &tcopy, &hdr, "signature", err)))
		goto out;
	if (tlv_get(d, tbs_end, size, &t) != 0 ||
	    t.hdr + t.len != alg->hdr + alg->len ||
	    memcmp(d + t.off, d + alg->off, t.hdr + t.len) != 0) {
		rc = pki_error_set(err, PKI_E_PARSE, "the signature algorithm "
				   "differs from the one in tbsCertList");
		goto out;
	}
	if ((r = asn1_der_decoding_startEnd(tail, tcopy, (int)(hdr + plen[0]),
					    "signature", &s, &e)) != ASN1_SUCCESS ||
	    tlv_get(tcopy, (size_t)s, (size_t)e + 1, &t) != 0 || t.len < 2 ||
	    tcopy[t.off + t.hdr] != 0) {
		rc = pki_error_set(err, PKI_E_PARSE, "the signature is not a "
				   "whole number of octets");
		goto out;
	}
	crl->signature.data = (unsigned char *)d + tbs_end - hdr + t.off + t.hdr + 1;
	crl->signature.size = (unsigned)(t.len - 1);
	rc = PKI_OK;
out:
	free(tcopy);
	node_free(&tail);
	return rc;
}

/* The entries: each checked now, decoded again when iterated. */
static int
crl_check_entries(struct pki_crl *crl, asn1_node defs,
		  const struct crl_layout *lay, struct pki_error *err)
{
	const unsigned char *d = crl->der.data;
	const struct tlv *rev;
	struct pki_crl_entry ent;
	struct tlv t;
	size_t off, end;
	int rc;

	if (lay->ri < 0)
		return PKI_OK;
	rev = &lay->ch[lay->ri];
	crl->ent_off = rev->off + rev->hdr;
	crl->ent_end = crl->ent_off + rev->len;
	for (off = crl->ent_off, end = crl->ent_end; off < end;
	     off = t.off + t.hdr + t.len) {
		if (tlv_get(d, off, end, &t) != 0 || !is_seq(&t))
			return pki_error_set(err, PKI_E_PARSE, "revoked "
					     "certificate %zu is not a DER "
					     "SEQUENCE", crl->entry_count + 1);
		if ((rc = entry_decode(defs, crl, d + t.off, t.hdr + t.len,
				       crl->entry_count, &ent, crl->serial,
				       err)))
			return rc;
		crl->entry_count++;
	}
	return PKI_OK;
}

/* Split the CRL: TBS children, signature fields, entries. */
static int
crl_decode(struct pki_crl *crl, asn1_node defs, struct pki_error *err)
{
	struct crl_layout lay;
	int rc;

	if ((rc = crl_split(crl, &lay, err)) ||
	    (rc = crl_decode_head(crl, defs, &lay, err)) ||
	    (rc = crl_decode_signature(crl, defs, &lay, err)) ||
	    (rc = crl_check_entries(crl, defs, &lay, err)))
		return rc;
	crl->cursor = crl->ent_off;
	return PKI_OK;
}

int
pki_crl_parse(const unsigned char *data, size_t len, struct pki_crl **out,
	      struct pki_error *err)
{
	struct pki_crl *crl = NULL;
	asn1_node defs = NULL;
	size_t i = 0;
	int rc, ret;

	*out = NULL;
	if (len > PKI_CRL_MAX_SIZE) {
		rc = pki_error_set(err, PKI_E_INVALID, "the CRL is larger than %u "
				   "bytes", PKI_CRL_MAX_SIZE);
		goto out;
	}
	if ((crl = calloc(1, sizeof(*crl))) == NULL) {
		rc = pki_error_set(err, PKI_E_NOMEM, "out of memory");
		goto out;
	}
	while (i < len && (data[i] == ' ' || data[i] == '\t' ||
			   data[i] == '\r' || data[i] == '\n'))
		i++;
	if (len - i >= 11 && memcmp(data + i, "-----BEGIN ", 11) == 0) {
		gnutls_datum_t in = { (unsigned char *)data, (unsigned)len };

		if ((ret = gnutls_pem_base64_decode2("X509 CRL", &in,
						     &crl->der)) < 0) {
			rc = pki_error_set(err, PKI_E_PARSE, "not a PEM CRL "
					   "(-----BEGIN X509 CRL-----): %s",
					   gnutls_strerror(ret));
			goto out;
		}
	} else {
		if ((crl->der.data = gnutls_malloc(len ? len : 1)) == NULL) {
			rc = pki_error_set(err, PKI_E_NOMEM, "out of memory");
			goto out;
		}
		if (len > 0)
			memcpy(crl->der.data, data, len);
		crl->der.size = (unsigned)len;
	}
	if ((rc = defs_load(&defs, err)) ||
	    (rc = crl_decode(crl, defs, err)))
		goto out;
	crl->defs = defs;
	defs = NULL;
	*out = crl;
	crl = NULL;
	rc = PKI_OK;
out:
	node_free(&defs);
	pki_crl_free(crl);
	return rc;
}

int
pki_crl_entry_next(struct pki_crl *crl, struct pki_crl_entry *e)
{
	struct tlv t;
	asn1_node defs = crl->defs;
	int rc;

	if (crl->cursor >= crl->ent_end)
		return 0;
	if (tlv_get(crl->der.data, crl->cursor, crl->ent_end, &t) != 0)
		return -PKI_E_PARSE;
	rc = entry_decode(defs, crl, crl->der.data + t.off, t.hdr + t.len, 0, e,
			  crl->serial, NULL);
	if (rc != PKI_OK)
		return -rc;
	crl->cursor = t.off + t.hdr + t.len;
	return 1;
}

void
pki_crl_entry_rewind(struct pki_crl *crl)
{
	crl->cursor = crl->ent_off;
}

int
pki_crl_verify(const struct pki_crl *crl, gnutls_x509_crt_t issuer,
	       struct pki_error *err)
{
	gnutls_datum_t dn = { NULL, 0 }, tbs;
	gnutls_pubkey_t pub = NULL;
	int rc = PKI_E_CRYPTO, ret;

	if ((ret = gnutls_x509_crt_get_raw_dn(issuer, &dn)) < 0) {
		rc = pki__gnutls_error(err, ret, "gnutls_x509_crt_get_raw_dn");
		goto out;
	}
	if (dn.size != crl->issuer_der.size ||
	    memcmp(dn.data, crl->issuer_der.data, dn.size) != 0) {
		rc = pki_error_set(err, PKI_E_INVALID, "the CRL was issued by "
				   "'%s', not by this certificate", crl->issuer);
		goto out;
	}
	if (crl->sign_algo == GNUTLS_SIGN_UNKNOWN) {
		rc = pki_error_set(err, PKI_E_UNSUPPORTED, "unknown CRL signature "
				   "algorithm %s", crl->sign_oid);
		goto out;
	}
	if ((ret = gnutls_pubkey_init(&pub)) < 0 ||
	    (ret = gnutls_pubkey_import_x509(pub, issuer, 0)) < 0) {
		rc = pki__gnutls_error(err, ret, "gnutls_pubkey_import_x509");
		goto out;
	}
	tbs.data = crl->der.data + crl->tbs_off;
	tbs.size = (unsigned)crl->tbs_len;
	if ((ret = gnutls_pubkey_verify_data2(pub, crl->sign_algo, 0, &tbs,
					      &crl->signature)) < 0) {
		rc = pki_error_set(err, PKI_E_CRYPTO, "the CRL signature does "
				   "not verify with the issuer's key: %s",
				   gnutls_strerror(ret));
		goto out;
	}
	rc = PKI_OK;
out:
	gnutls_free(dn.data);
	gnutls_pubkey_deinit(pub);
	return rc;
}

void
pki_crl_free(struct pki_crl *crl)
{
	asn1_node defs;

	if (crl == NULL)
		return;
	defs = crl->defs;
	node_free(&defs);
	gnutls_free(crl->der.data);
	gnutls_free(crl->issuer);
	free(crl->idp_url);
	free(crl->freshest_url);
	free(crl);
}
