/*
 * crl: reading X.509 v2 CRLs with libtasn1 (see crl.h), the reason table,
 * and the libtasn1 helpers crl-build.c shares (crl-int.h).
 *
 * Reading.  crl-build.c's split in reverse: the outer SEQUENCEs are
 * walked with asn1_get_tag_der/asn1_get_length_der, the TBS without its
 * entries is decoded as one TBSCertList, and each entry is decoded on its
 * own, so a large CRL never becomes one libtasn1 tree.  All decoding is
 * strict DER.
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

/* ------------------------------------------------------- shared (crl-int.h) */

int
pki__crl_asn1_fail(struct pki_error *err, int rc, const char *call,
		   const char *what)
{
	return pki_error_set(err, rc == ASN1_MEM_ALLOC_ERROR ? PKI_E_NOMEM :
			     PKI_E_FAIL, "%s(%s): %s", call, what,
			     asn1_strerror(rc));
}

int
pki__crl_defs_load(asn1_node *defs, struct pki_error *err)
{
	char msg[ASN1_MAX_ERROR_DESCRIPTION_SIZE];
	int r;

	*defs = NULL;
	if ((r = asn1_array2tree(pki__pkix_asn1_tab, defs, msg)) != ASN1_SUCCESS)
		return pki_error_set(err, PKI_E_FAIL, "asn1_array2tree: %s: %s",
				     asn1_strerror(r), msg);
	return PKI_OK;
}

int
pki__crl_node_new(asn1_node defs, const char *type, asn1_node *node,
		  struct pki_error *err)
{
	char name[ASN1_MAX_NAME_SIZE * 2];
	int r;

	*node = NULL;
	snprintf(name, sizeof(name), "PKIX-SPORK.%s", type);
	if ((r = asn1_create_element(defs, name, node)) != ASN1_SUCCESS)
		return pki__crl_asn1_fail(err, r, "asn1_create_element", type);
	return PKI_OK;
}

void
pki__crl_node_free(asn1_node *node)
{
	if (*node != NULL)
		asn1_delete_structure(node);
	*node = NULL;
}

size_t
pki__crl_seq_hdr_before(unsigned char *end, size_t len)
{
	unsigned char tmp[HDR_MAX];
	int ll = (int)sizeof(tmp) - 1;

	asn1_length_der(len, tmp + 1, &ll);
	tmp[0] = 0x30; /* SEQUENCE, constructed */
	memcpy(end - (ll + 1), tmp, (size_t)ll + 1);
	return (size_t)ll + 1;
}

/* ------------------------------------------------------------ helpers */

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
	if ((rc = pki__crl_node_new(defs, type, node, err)))
		return rc;
	msg[0] = '\0';
	r = asn1_der_decoding2(node, der, &l, ASN1_DECODE_FLAG_STRICT_DER, msg);
	if (r != ASN1_SUCCESS) {
		pki__crl_node_free(node);
		return pki_error_set(err, r == ASN1_MEM_ALLOC_ERROR ? PKI_E_NOMEM :
				     PKI_E_PARSE, "%s is not valid DER: %s%s%s",
				     what, asn1_strerror(r), msg[0] ? ": " : "",
				     msg);
	}
	if ((size_t)l != len) {
		pki__crl_node_free(node);
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
	pki__crl_node_free(&n);
	return rc;
}

/*
 * The revoked-certificate entries are read with a direct DER reader, not
 * libtasn1: a CRL of a million entries is read once at parse (every
 * entry checked) and once more when walked, and a libtasn1 decode per
 * entry made that 8.5 s; this reader makes it well under one.  It is as
 * strict: definite shortest lengths (tlv_get), minimal INTEGERs, a
 * BOOLEAN critical only when TRUE (DER omits the DEFAULT), no trailing
 * bytes at any level.
 */

/* The universal element at off of tag tag, inside [off, end). */
static int
tlv_want(const unsigned char *d, size_t off, size_t end, unsigned long tag,
	 struct tlv *t)
{
	if (tlv_get(d, off, end, t) != 0)
		return -1;
	if (tag == ASN1_TAG_SEQUENCE)
		return is_seq(t) ? 0 : -1;
	return t->cls == ASN1_CLASS_UNIVERSAL && t->tag == tag ? 0 : -1;
}

/* The dotted form of the OID content v (len bytes) into buf. */
static void
oid_text(const unsigned char *v, size_t len, char *buf, size_t size)
{
	unsigned long arc = 0;
	size_t i, o = 0;
	int n, first = 1;

	buf[0] = '\0';
	for (i = 0; i < len && o + 24 < size; i++) {
		arc = arc << 7 | (v[i] & 0x7f);
		if (v[i] & 0x80)
			continue;
		if (first)
			n = snprintf(buf + o, size - o, "%lu.%lu",
				     arc < 80 ? arc / 40 : 2,
				     arc < 80 ? arc % 40 : arc - 80);
		else
			n = snprintf(buf + o, size - o, ".%lu", arc);
		o += (size_t)n;
		first = 0;
		arc = 0;
	}
}

/* One Extension of an entry: the reason code and the invalidity date
 * are read, another one is skipped unless it is critical. */
static int
entry_ext(const unsigned char *d, const struct tlv *x,
	  struct pki_crl_entry *e, struct pki_error *err)
{
	static const unsigned char reason[] = { 0x55, 0x1d, 0x15 };
	static const unsigned char invalidity[] = { 0x55, 0x1d, 0x18 };
	size_t off = x->off + x->hdr, end = off + x->len;
	const unsigned char *o, *v;
	struct tlv oid, crit, val, in;
	char text[64];
	int critical = 0;

	if (tlv_want(d, off, end, ASN1_TAG_OBJECT_ID, &oid) != 0 ||
	    oid.len == 0)
		return pki_error_set(err, PKI_E_PARSE, "an extension without "
				     "an OID");
	off = oid.off + oid.hdr + oid.len;
	o = d + oid.off + oid.hdr;
	if (off < end && tlv_get(d, off, end, &crit) == 0 &&
	    crit.cls == ASN1_CLASS_UNIVERSAL && crit.tag == ASN1_TAG_BOOLEAN) {
		/* DER: DEFAULT FALSE is absent; TRUE is 0xff */
		if (crit.len != 1 || d[crit.off + crit.hdr] != 0xff)
			return pki_error_set(err, PKI_E_PARSE, "critical is not "
					     "DER (FALSE is absent, TRUE is ff)");
		critical = 1;
		off = crit.off + crit.hdr + crit.len;
	}
	if (tlv_want(d, off, end, ASN1_TAG_OCTET_STRING, &val) != 0 ||
	    val.off + val.hdr + val.len != end)
		return pki_error_set(err, PKI_E_PARSE, "an extension without "
				     "its value");
	off = val.off + val.hdr;
	end = off + val.len;
	if (oid.len == 3 && memcmp(o, reason, 3) == 0) {
		if (tlv_want(d, off, end, ASN1_TAG_ENUMERATED, &in) != 0 ||
		    in.len != 1 || in.off + in.hdr + in.len != end ||
		    pki_crl_reason_name(d[in.off + in.hdr]) == NULL)
			return pki_error_set(err, PKI_E_PARSE, "reasonCode is "
					     "not an RFC 5280 reason");
		e->reason = d[in.off + in.hdr];
		e->remove_from_crl = e->reason == PKI_CRL_REASON_REMOVE_FROM_CRL;
	} else if (oid.len == 3 && memcmp(o, invalidity, 3) == 0) {
		v = d + off;
		if (tlv_want(d, off, end, ASN1_TAG_GENERALIZEDTime, &in) != 0 ||
		    in.off + in.hdr + in.len != end ||
		    time_parse((const char *)v + in.hdr, in.len, 1,
			       &e->invalidity_date) != 0 ||
		    e->invalidity_date == 0)
			return pki_error_set(err, PKI_E_PARSE, "invalidityDate is "
					     "not YYYYMMDDHHMMSSZ");
	} else if (critical) {
		oid_text(o, oid.len, text, sizeof(text));
		return pki_error_set(err, PKI_E_UNSUPPORTED, "critical extension "
				     "%s is unknown to spork", text);
	}
	return PKI_OK;
}

/* crlEntryExtensions: 1 to EXT_MAX Extensions, none twice. */
static int
entry_exts(const unsigned char *d, const struct tlv *xs,
	   struct pki_crl_entry *e, struct pki_error *err)
{
	struct tlv x[EXT_MAX], oid;
	size_t off = xs->off + xs->hdr, end = off + xs->len;
	int n = 0, i, rc;

	for (; off < end; off = x[n - 1].off + x[n - 1].hdr + x[n - 1].len) {
		if (n == EXT_MAX)
			return pki_error_set(err, PKI_E_PARSE, "crlEntryExtensions: "
					     "more than %d extensions", EXT_MAX);
		if (tlv_want(d, off, end, ASN1_TAG_SEQUENCE, &x[n]) != 0)
			return pki_error_set(err, PKI_E_PARSE, "crlEntryExtensions "
					     "is not valid DER");
		n++;
	}
	if (n == 0)
		return pki_error_set(err, PKI_E_PARSE, "crlEntryExtensions: need "
				     "1 to %d extensions", EXT_MAX);
	for (i = 0; i < n; i++) {
		if ((rc = entry_ext(d, &x[i], e, err)) != PKI_OK) {
			pki_error_prefix(err, "crlEntryExtensions");
			return rc;
		}
		/* the same OID twice (entry_ext checked the OID is there) */
		(void)tlv_get(d, x[i].off + x[i].hdr, x[i].off + x[i].hdr +
			      x[i].len, &oid);
		for (rc = 0; rc < i; rc++) {
			struct tlv o2;

			(void)tlv_get(d, x[rc].off + x[rc].hdr, x[rc].off +
				      x[rc].hdr + x[rc].len, &o2);
			if (o2.len == oid.len &&
			    memcmp(d + o2.off + o2.hdr, d + oid.off + oid.hdr,
				   oid.len) == 0)
				return pki_error_set(err, PKI_E_PARSE,
						     "crlEntryExtensions: an "
						     "extension appears twice");
		}
	}
	return PKI_OK;
}

/* The userCertificate INTEGER: minimal, non-negative, at most
 * PKI_CRL_SERIAL_MAX octets without its sign octet, into sbuf. */
static int
entry_serial(const unsigned char *d, const struct tlv *t,
	     struct pki_crl_entry *e, unsigned char *sbuf,
	     struct pki_error *err)
{
	const unsigned char *v = d + t->off + t->hdr;
	size_t l = t->len;

	if (l == 0 || (l > 1 && ((v[0] == 0 && !(v[1] & 0x80)) ||
				 (v[0] == 0xff && (v[1] & 0x80)))))
		return pki_error_set(err, PKI_E_PARSE, "the serial number is "
				     "not a DER INTEGER");
	if (v[0] & 0x80)
		return pki_error_set(err, PKI_E_PARSE, "negative serial number");
	if (l > 1 && v[0] == 0) {
		v++;
		l--;
	}
	if (l > PKI_CRL_SERIAL_MAX)
		return pki_error_set(err, PKI_E_PARSE, "serial number longer "
				     "than %d octets", PKI_CRL_SERIAL_MAX);
	memcpy(sbuf, v, l);
	e->serial = sbuf;
	e->serial_len = l;
	return PKI_OK;
}

/*
 * Decode one RevokedCertificate at der into *e (serial into sbuf).
 * index only names the entry in error messages.
 */
static int
entry_decode(asn1_node defs, const struct pki_crl *crl,
	     const unsigned char *der, size_t len, size_t index,
	     struct pki_crl_entry *e, unsigned char *sbuf,
	     struct pki_error *err)
{
	struct tlv seq, ser, tm, xs;
	size_t off, end;
	int rc;

	(void)defs;
	memset(e, 0, sizeof(*e));
	e->reason = -1;
	if (tlv_want(der, 0, len, ASN1_TAG_SEQUENCE, &seq) != 0 ||
	    seq.hdr + seq.len != len) {
		rc = pki_error_set(err, PKI_E_PARSE, "the entry is not a DER "
				   "SEQUENCE");
		goto out;
	}
	off = seq.hdr;
	end = len;
	if (tlv_want(der, off, end, ASN1_TAG_INTEGER, &ser) != 0) {
		rc = pki_error_set(err, PKI_E_PARSE, "incomplete entry");
		goto out;
	}
	if ((rc = entry_serial(der, &ser, e, sbuf, err)) != PKI_OK)
		goto out;
	off = ser.off + ser.hdr + ser.len;
	if (tlv_get(der, off, end, &tm) != 0 || !is_time(&tm) ||
	    time_parse((const char *)der + tm.off + tm.hdr, tm.len,
		       tm.tag == ASN1_TAG_GENERALIZEDTime,
		       &e->revocation_time) != 0) {
		rc = pki_error_set(err, PKI_E_PARSE, "revocationDate is not a "
				   "UTC time with seconds (YYMMDDHHMMSSZ or "
				   "YYYYMMDDHHMMSSZ)");
		goto out;
	}
	off = tm.off + tm.hdr + tm.len;
	if (off < end) {
		if (tlv_want(der, off, end, ASN1_TAG_SEQUENCE, &xs) != 0 ||
		    xs.off + xs.hdr + xs.len != end) {
			rc = pki_error_set(err, PKI_E_PARSE, "bytes after "
					   "revocationDate that are not "
					   "crlEntryExtensions");
			goto out;
		}
		if (crl->version < 2) {
			rc = pki_error_set(err, PKI_E_PARSE, "a v1 CRL cannot "
					   "have entry extensions");
			goto out;
		}
		if ((rc = entry_exts(der, &xs, e, err)) != PKI_OK)
			goto out;
	}
	if (e->remove_from_crl && !crl->is_delta) {
		rc = pki_error_set(err, PKI_E_PARSE, "removeFromCRL in a CRL "
				   "that is not a delta CRL");
		goto out;
	}
	rc = PKI_OK;
out:
	if (rc != PKI_OK)
		pki_error_prefix(err, "revoked certificate %zu", index + 1);
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
	*hdr = pki__crl_seq_hdr_before(c + HDR_MAX, len);
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
	pki__crl_node_free(&head);
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
	pki__crl_node_free(&tail);
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

/* Parse the CRL whose DER crl->der holds. */
static int
parse_der(struct pki_crl *crl, struct pki_crl **out, struct pki_error *err)
{
	asn1_node defs = NULL;
	int rc;

	if ((rc = pki__crl_defs_load(&defs, err)) ||
	    (rc = crl_decode(crl, defs, err))) {
		pki__crl_node_free(&defs);
		pki_crl_free(crl);
		return rc;
	}
	crl->defs = defs;
	*out = crl;
	return PKI_OK;
}

/* PEM ("-----BEGIN X509 CRL-----") after white space? */
static int
is_pem(const unsigned char *data, size_t len)
{
	size_t i = 0;

	while (i < len && (data[i] == ' ' || data[i] == '\t' ||
			   data[i] == '\r' || data[i] == '\n'))
		i++;
	return len - i >= 11 && memcmp(data + i, "-----BEGIN ", 11) == 0;
}

int
pki_crl_parse_take(gnutls_datum_t *data, struct pki_crl **out,
		   struct pki_error *err)
{
	struct pki_crl *crl = NULL;
	int ret;

	*out = NULL;
	if (data->size > PKI_CRL_MAX_SIZE) {
		gnutls_free(data->data);
		data->data = NULL;
		data->size = 0;
		return pki_error_set(err, PKI_E_INVALID, "the CRL is larger "
				     "than %u bytes", PKI_CRL_MAX_SIZE);
	}
	if ((crl = calloc(1, sizeof(*crl))) == NULL) {
		gnutls_free(data->data);
		data->data = NULL;
		data->size = 0;
		return pki_error_set(err, PKI_E_NOMEM, "out of memory");
	}
	if (is_pem(data->data, data->size)) {
		ret = gnutls_pem_base64_decode2("X509 CRL", data, &crl->der);
		gnutls_free(data->data);
		if (ret < 0) {
			crl->der.data = NULL;
			pki_crl_free(crl);
			data->data = NULL;
			data->size = 0;
			return pki_error_set(err, PKI_E_PARSE, "not a PEM CRL "
					     "(-----BEGIN X509 CRL-----): %s",
					     gnutls_strerror(ret));
		}
	} else {
		crl->der = *data;          /* taken, not copied */
	}
	data->data = NULL;
	data->size = 0;
	return parse_der(crl, out, err);
}

int
pki_crl_parse(const unsigned char *data, size_t len, struct pki_crl **out,
	      struct pki_error *err)
{
	gnutls_datum_t copy = { NULL, 0 };

	*out = NULL;
	if (len > PKI_CRL_MAX_SIZE)
		return pki_error_set(err, PKI_E_INVALID, "the CRL is larger than "
				     "%u bytes", PKI_CRL_MAX_SIZE);
	if ((copy.data = gnutls_malloc(len ? len : 1)) == NULL)
		return pki_error_set(err, PKI_E_NOMEM, "out of memory");
	if (len > 0)
		memcpy(copy.data, data, len);
	copy.size = (unsigned)len;
	return pki_crl_parse_take(&copy, out, err);
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
	pki__crl_node_free(&defs);
	gnutls_free(crl->der.data);
	gnutls_free(crl->issuer);
	free(crl->idp_url);
	free(crl->freshest_url);
	free(crl);
}
