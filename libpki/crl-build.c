/*
 * crl-build: building and signing X.509 v2 CRLs with libtasn1 (see
 * crl-int.h); crl.c reads them.
 *
 * Everything but the revoked entries (version, algorithm, issuer, times,
 * crlExtensions) is encoded by libtasn1 as a TBSCertList without
 * revokedCertificates.  Each entry is encoded by libtasn1 with one reused
 * node (types Revoked* in pkix.asn) and appended to one growing buffer,
 * which keeps room in front for the TBS head.  The entries' SEQUENCE OF
 * is then placed between the head and crlExtensions (found with
 * asn1_der_decoding_startEnd), the outer SEQUENCE headers are written
 * with asn1_length_der, the TBS bytes are signed in place, and the
 * signature fields, encoded by libtasn1 as a SignatureTail, are appended.
 * A CRL thus costs about its own size in memory.
 */
#include <config.h>

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libtasn1.h>

#include <spork/crl.h>
#include "crl-int.h"
#include "der.h"
#include "sign.h"
#include "util.h"

/* Largest CRL the builder writes (gnutls_datum_t sizes are unsigned). */
#define BUILD_MAX ((size_t)INT_MAX - 4096)

/* ------------------------------------------------------------ helpers */

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

static int
put_time(asn1_node node, const char *name, int64_t t, struct pki_error *err)
{
	char v[16], path[64];
	int utc, rc;

	if (pki__der_time(t, 1, v, &utc) != 0)
		return pki_error_set(err, PKI_E_INVALID, "%s: time %lld is "
				     "outside years 1..9999", name, (long long)t);
	if ((rc = pki__der_put(node, name, utc ? "utcTime" : "generalTime", 1, err)))
		return rc;
	snprintf(path, sizeof(path), "%s.%s", name, utc ? "utcTime" : "generalTime");
	return pki__der_put(node, path, v, strlen(v), err);
}

/* Append one Extension to the SEQUENCE OF at name. */
static int
put_ext(asn1_node node, const char *name, const char *oid, int critical,
	const gnutls_datum_t *value, struct pki_error *err)
{
	char path[96];
	int rc;

	if ((rc = pki__der_put(node, name, "NEW", 1, err)))
		return rc;
	snprintf(path, sizeof(path), "%s.?LAST.extnID", name);
	if ((rc = pki__der_put(node, path, oid, 1, err)))
		return rc;
	snprintf(path, sizeof(path), "%s.?LAST.critical", name);
	if ((rc = pki__der_put(node, path, critical ? "TRUE" : "FALSE", 1, err)))
		return rc;
	snprintf(path, sizeof(path), "%s.?LAST.extnValue", name);
	return pki__der_put(node, path, value->data, value->size, err);
}

/* Encode a single-value type (CRLNumber, ...) from bytes. */
static int
encode_value(asn1_node defs, const char *type, const void *v, size_t len,
	     gnutls_datum_t *out, struct pki_error *err)
{
	asn1_node n = NULL;
	int rc;

	if ((rc = pki__crl_node_new(defs, type, &n, err)) == PKI_OK &&
	    (rc = pki__der_put(n, "", v, len, err)) == PKI_OK)
		rc = pki__der_encode(n, type, out, err);
	pki__crl_node_free(&n);
	return rc;
}

/* DistributionPointName fullName = one URI, under prefix. */
static int
put_dp_uri(asn1_node n, const char *prefix, const char *url,
	   struct pki_error *err)
{
	char path[128];
	int rc;

	if ((rc = pki__der_put(n, prefix, "fullName", 1, err)))
		return rc;
	snprintf(path, sizeof(path), "%s.fullName", prefix);
	if ((rc = pki__der_put(n, path, "NEW", 1, err)))
		return rc;
	snprintf(path, sizeof(path), "%s.fullName.?LAST", prefix);
	if ((rc = pki__der_put(n, path, "uniformResourceIdentifier", 1, err)))
		return rc;
	snprintf(path, sizeof(path), "%s.fullName.?LAST.uniformResourceIdentifier",
		 prefix);
	return pki__der_put(n, path, url, strlen(url), err);
}

static int
encode_idp(asn1_node defs, const struct pki_crl_params *p, gnutls_datum_t *out,
	   struct pki_error *err)
{
	asn1_node n = NULL;
	int rc;

	if ((rc = pki__crl_node_new(defs, "IssuingDistributionPoint", &n, err)))
		goto out;
	if ((rc = put_dp_uri(n, "distributionPoint", p->idp_url, err)) ||
	    (rc = pki__der_put(n, "onlyContainsUserCerts",
		      p->idp_only_user_certs ? "TRUE" : "FALSE", 1, err)) ||
	    (rc = pki__der_put(n, "onlyContainsCACerts",
		      p->idp_only_ca_certs ? "TRUE" : "FALSE", 1, err)) ||
	    (rc = pki__der_put(n, "onlySomeReasons", NULL, 0, err)) ||
	    (rc = pki__der_put(n, "indirectCRL", "FALSE", 1, err)) ||
	    (rc = pki__der_put(n, "onlyContainsAttributeCerts", "FALSE", 1, err)))
		goto out;
	rc = pki__der_encode(n, "IssuingDistributionPoint", out, err);
out:
	pki__crl_node_free(&n);
	return rc;
}

static int
encode_freshest(asn1_node defs, const char *url, gnutls_datum_t *out,
		struct pki_error *err)
{
	asn1_node n = NULL;
	int rc;

	if ((rc = pki__crl_node_new(defs, "CRLDistributionPoints", &n, err)))
		goto out;
	if ((rc = pki__der_put(n, "", "NEW", 1, err)) ||
	    (rc = put_dp_uri(n, "?LAST.distributionPoint", url, err)) ||
	    (rc = pki__der_put(n, "?LAST.reasons", NULL, 0, err)) ||
	    (rc = pki__der_put(n, "?LAST.cRLIssuer", NULL, 0, err)))
		goto out;
	rc = pki__der_encode(n, "CRLDistributionPoints", out, err);
out:
	pki__crl_node_free(&n);
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
		const struct pki__sigalg *sa, const gnutls_datum_t *dn,
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
	if ((rc = pki__crl_node_new(defs, "TBSCertList", &n, err)) ||
	    (rc = pki__der_put(n, "version", "\x01", 1, err)) ||
	    (rc = pki__sigalg_put(n, "signature", sa, err)) ||
	    (rc = pki__der_put(n, "issuer", dn->data, dn->size, err)) ||
	    (rc = put_time(n, "thisUpdate", p->this_update, err)) ||
	    (rc = put_time(n, "nextUpdate", p->next_update, err)) ||
	    (rc = pki__der_put(n, "revokedCertificates", NULL, 0, err)))
		goto out;

	/* crlExtensions: AKI, cRLNumber, deltaCRLIndicator, IDP, freshestCRL. */
	{
		asn1_node aki = NULL;

		if ((rc = pki__crl_node_new(defs, "AuthorityKeyIdentifier",
					       &aki, err)) ||
		    (rc = pki__der_put(aki, "keyIdentifier", kid, kid_len, err)) ||
		    (rc = pki__der_put(aki, "authorityCertIssuer", NULL, 0, err)) ||
		    (rc = pki__der_put(aki, "authorityCertSerialNumber", NULL, 0, err)) ||
		    (rc = pki__der_encode(aki, "AuthorityKeyIdentifier", &v, err))) {
			pki__crl_node_free(&aki);
			goto out;
		}
		pki__crl_node_free(&aki);
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
	if ((rc = pki__der_encode(n, "TBSCertList", tbs, err)))
		goto out;

	/* Where crlExtensions starts: the entries go just before it. */
	if ((rc = pki__crl_node_new(defs, "TBSCertList", &dec, err)))
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
	pki__crl_node_free(&n);
	pki__crl_node_free(&dec);
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
			if ((rc = pki__crl_node_new(defs, rev_types[i][j],
						     &ee->rev[i][j], err)))
				return rc;
	if ((rc = pki__crl_node_new(defs, "Extensions", &ee->ext1, err)) ||
	    (rc = pki__der_put(ee->ext1, "", "NEW", 1, err)) ||
	    (rc = pki__der_put(ee->ext1, "?LAST.critical", "FALSE", 1, err)) ||
	    (rc = pki__crl_node_new(defs, "Extensions", &ee->ext2, err)) ||
	    (rc = pki__der_put(ee->ext2, "", "NEW", 1, err)) ||
	    (rc = pki__der_put(ee->ext2, "?LAST.extnID", OID_REASON, 1, err)) ||
	    (rc = pki__der_put(ee->ext2, "?LAST.critical", "FALSE", 1, err)) ||
	    (rc = pki__der_put(ee->ext2, "", "NEW", 1, err)) ||
	    (rc = pki__der_put(ee->ext2, "?LAST.extnID", OID_INVALIDITY, 1, err)) ||
	    (rc = pki__der_put(ee->ext2, "?LAST.critical", "FALSE", 1, err)) ||
	    (rc = pki__crl_node_new(defs, "InvalidityDate", &ee->inv, err)))
		return rc;
	/* The ENUMERATED DER of each reason code, encoded once. */
	for (i = 0; i < PKI_CRL_REASON__MAX; i++) {
		unsigned char c = (unsigned char)i;

		if (pki_crl_reason_name(i) == NULL)
			continue;
		if ((rc = pki__crl_node_new(defs, "CRLReason", &n, err)) ||
		    (rc = pki__der_put(n, "", &c, 1, err)) ||
		    (rc = pki__der_encode(n, "CRLReason", &v, err)))
			break;
		if (v.size != 3) {
			rc = pki_error_set(err, PKI_E_FAIL, "CRLReason encoding "
					   "has an unexpected size %u", v.size);
			break;
		}
		memcpy(ee->reason_der[i], v.data, 3);
		gnutls_free(v.data);
		v.data = NULL;
		pki__crl_node_free(&n);
	}
	gnutls_free(v.data);
	pki__crl_node_free(&n);
	return rc;
}

static void
entry_enc_free(struct entry_enc *ee)
{
	int i, j;

	for (i = 0; i < 2; i++)
		for (j = 0; j < 2; j++)
			pki__crl_node_free(&ee->rev[i][j]);
	pki__crl_node_free(&ee->ext1);
	pki__crl_node_free(&ee->ext2);
	pki__crl_node_free(&ee->inv);
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
	/* "the reason code CRL entry extension SHOULD be absent instead of
	 * using the unspecified (0) reasonCode value" (RFC 5280 5.3.1). */
	if (reason == PKI_CRL_REASON_UNSPECIFIED)
		reason = -1;
	if (pki__der_time(e->revocation_time, 1, t, &utc) != 0)
		return pki_error_set(err, PKI_E_INVALID, "entry %zu: revocation "
				     "time %lld is outside years 1..9999",
				     index + 1, (long long)e->revocation_time);
	if (e->invalidity_date != 0 &&
	    pki__der_time(e->invalidity_date, 0, ti, &gen) != 0)
		return pki_error_set(err, PKI_E_INVALID, "entry %zu: invalidity "
				     "date %lld is outside years 1..9999",
				     index + 1, (long long)e->invalidity_date);

	/* crlEntryExtensions: reasonCode, then invalidityDate. */
	have_ext = reason != -1 || e->invalidity_date != 0;
	if (e->invalidity_date != 0) {
		if ((rc = pki__der_put(ee->inv, "", ti, strlen(ti), err)) ||
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
		if ((rc = pki__der_put(x, "?1.extnValue", ee->reason_der[reason], 3, err)) ||
		    (rc = pki__der_put(x, "?2.extnValue", invd, (size_t)invlen, err)))
			return rc;
	} else if (have_ext) {
		int kind = reason != -1 ? 1 : 2;

		x = ee->ext1;
		if (ee->ext1_kind != kind) {
			if ((rc = pki__der_put(x, "?1.extnID", kind == 1 ? OID_REASON :
				      OID_INVALIDITY, 1, err)))
				return rc;
			ee->ext1_kind = kind;
		}
		if (kind == 1)
			rc = pki__der_put(x, "?1.extnValue", ee->reason_der[reason], 3, err);
		else
			rc = pki__der_put(x, "?1.extnValue", invd, (size_t)invlen, err);
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
	if ((rc = pki__der_put(n, "userCertificate", serial, e->serial_len + 1, err)) ||
	    (rc = pki__der_put(n, "revocationDate", t, strlen(t), err)) ||
	    (have_ext &&
	     (rc = pki__der_put(n, "crlEntryExtensions", exts, (size_t)extlen, err))))
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
	struct pki__sigalg sa;
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
		cb->pos -= pki__crl_seq_hdr_before(cb->b.data + cb->pos, ents);
	cb->pos -= head_len;
	memcpy(cb->b.data + cb->pos, tbs->data + head_off, head_len);
	if ((rc = buf_append(&cb->b, tbs->data + head_off + head_len,
			     tbs->size - head_off - head_len, err)))
		return rc;
	cb->pos -= pki__crl_seq_hdr_before(cb->b.data + cb->pos,
					   cb->b.len - cb->pos);
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
	if ((rc = pki__crl_node_new(cb->defs, "SignatureTail", &tail, err)) ||
	    (rc = pki__sigalg_put(tail, "signatureAlgorithm", &cb->sa, err)) ||
	    (rc = pki__der_put(tail, "signature", sig.data, (size_t)sig.size * 8, err)) ||
	    (rc = pki__der_encode(tail, "SignatureTail", &tl, err)))
		goto out;
	if (der_hdr_len(tl.data, tl.size, &thdr, &tclen) != 0 ||
	    thdr + tclen != tl.size) {
		rc = pki_error_set(err, PKI_E_FAIL, "SignatureTail encoding has "
				   "an unexpected layout");
		goto out;
	}
	if ((rc = buf_append(&cb->b, tl.data + thdr, tclen, err)))
		goto out;
	cb->pos -= pki__crl_seq_hdr_before(cb->b.data + cb->pos,
					   cb->b.len - cb->pos);
	rc = PKI_OK;
out:
	gnutls_free(sig.data);
	gnutls_free(tl.data);
	pki__crl_node_free(&tail);
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
	    (rc = pki__sigalg_pick(key, issuer, &cb.sa, err)) ||
	    (rc = issuer_key_id(issuer, kid, &kid_len, err)))
		goto out;
	if ((ret = gnutls_x509_crt_get_raw_dn(issuer, &dn)) < 0) {
		rc = pki__gnutls_error(err, ret, "gnutls_x509_crt_get_raw_dn");
		goto out;
	}
	if ((rc = pki__crl_defs_load(&cb.defs, err)) ||
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
	pki__crl_node_free(&cb.defs);
	return rc;
}
