/*
 * issue-csr: certificate requests as they arrive (see issue.h).  GnuTLS
 * parses a request; spork then checks what GnuTLS reads past or reads
 * only the first of: one extensionRequest attribute holding one set of
 * extensions, no extension twice, no empty subjectAltName, the key's
 * algorithm and curve (before the signature, so that an unsupported key
 * is named as such), and RSA-PSS signatures with any salt length the
 * signature declares.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/gnutls.h>
#include <gnutls/abstract.h>
#include <gnutls/x509.h>
#include <libtasn1.h>

#include "profile-int.h"
#include "issue.h"
#include <spork/name.h>
#include "util.h"

#define CSR_MAX (64 * 1024)
#define CSR_MAX_SANS 100
#define CSR_MAX_EXTS 64

#define OID_EXT_REQUEST "1.2.840.113549.1.9.14"
#define OID_SAN "2.5.29.17"
#define OID_EC_PUBKEY "1.2.840.10045.2.1"
#define OID_RSA_PSS "1.2.840.113549.1.1.10"

/* -------------------------------------------------------- structure */

static const struct {
	const char *oid;
	const char *name;
	int ok;
} curves[] = {
	{ "1.2.840.10045.3.1.7", "P-256", 1 },
	{ "1.3.132.0.34", "P-384", 1 },
	{ "1.3.132.0.35", "P-521", 1 },
	{ "1.2.840.10045.3.1.1", "P-192", 0 },
	{ "1.3.132.0.33", "P-224", 0 },
	{ "1.3.132.0.10", "secp256k1", 0 },
	{ "1.3.36.3.3.2.8.1.1.7", "brainpoolP256r1", 0 },
	{ "1.3.36.3.3.2.8.1.1.11", "brainpoolP384r1", 0 },
	{ "1.3.36.3.3.2.8.1.1.13", "brainpoolP512r1", 0 },
	{ "1.2.156.10197.1.301", "SM2", 0 },
};

/* Raw DER of the element name of node into *out (caller frees). */
static int
read_der(asn1_node node, const char *name, gnutls_datum_t *out)
{
	int len = 0, ret;

	out->data = NULL;
	out->size = 0;
	ret = asn1_read_value(node, name, NULL, &len);
	if (ret != ASN1_MEM_ERROR || len <= 0)
		return -1;
	if ((out->data = gnutls_malloc((size_t)len)) == NULL)
		return -1;
	if (asn1_read_value(node, name, out->data, &len) != ASN1_SUCCESS) {
		gnutls_free(out->data);
		out->data = NULL;
		return -1;
	}
	out->size = (unsigned)len;
	return 0;
}

static int
read_oid(asn1_node node, const char *name, char *buf, int size)
{
	int len = size;

	if (asn1_read_value(node, name, buf, &len) != ASN1_SUCCESS)
		return -1;
	buf[size - 1] = '\0';
	return 0;
}

/* An EC key on a named curve spork certifies; the others by name, before
 * GnuTLS (which knows fewer curves) says the signature does not verify. */
static int
check_spki(asn1_node req, struct pki_error *err)
{
	gnutls_datum_t par = { NULL, 0 };
	char oid[128], curve[128];
	int len, rc = PKI_E_INVALID;
	size_t i;

	if (read_oid(req, "certificationRequestInfo.subjectPKInfo.algorithm."
		     "algorithm", oid, sizeof(oid)) != 0)
		return pki_error_set(err, PKI_E_PARSE, "the request's key has "
				     "no algorithm");
	if (strcmp(oid, OID_EC_PUBKEY) != 0)
		return PKI_OK;
	if (read_der(req, "certificationRequestInfo.subjectPKInfo.algorithm."
		     "parameters", &par) != 0 || par.size < 2 ||
	    par.data[0] != 0x06) {
		pki_error_set(err, rc, "the request's EC key comes with "
			      "explicit curve parameters; spork certifies EC "
			      "keys only on the named curves P-256, P-384 and "
			      "P-521");
		goto out;
	}
	if (asn1_get_object_id_der(par.data + 1, (int)par.size - 1, &len,
				   curve, sizeof(curve)) != ASN1_SUCCESS ||
	    len != (int)par.size - 1) {
		pki_error_set(err, rc, "the request's EC key names its curve "
			      "with a malformed identifier");
		goto out;
	}
	for (i = 0; i < sizeof(curves) / sizeof(curves[0]); i++)
		if (strcmp(curves[i].oid, curve) == 0)
			break;
	if (i < sizeof(curves) / sizeof(curves[0]) && curves[i].ok) {
		rc = PKI_OK;
		goto out;
	}
	pki_error_set(err, rc, "the request's EC key is on curve %s; spork "
		      "certifies EC keys only on P-256, P-384 and P-521",
		      i < sizeof(curves) / sizeof(curves[0]) ? curves[i].name
							      : curve);
out:
	gnutls_free(par.data);
	return rc;
}

/* One subjectAltName extension value: at least one name, none empty. */
static int
check_san(const gnutls_datum_t *val, struct pki_error *err)
{
	asn1_node gn = NULL;
	char path[48], choice[64], v[8];
	int n = 0, i, len, rc;

	if ((rc = pki__asn1_decode("PKIX-SPORK.GeneralNames", val, &gn, err)) !=
	    PKI_OK) {
		pki_error_prefix(err, "the request's subjectAltName");
		return PKI_E_INVALID;
	}
	rc = PKI_E_INVALID;
	if (asn1_number_of_elements(gn, "", &n) != ASN1_SUCCESS || n == 0) {
		pki_error_set(err, rc, "the request's subjectAltName extension "
			      "holds no name");
		goto out;
	}
	for (i = 1; i <= n; i++) {
		len = sizeof(choice);
		snprintf(path, sizeof(path), "?%d", i);
		if (asn1_read_value(gn, path, choice, &len) != ASN1_SUCCESS)
			continue;
		choice[sizeof(choice) - 1] = '\0';
		snprintf(path, sizeof(path), "?%d.%.20s", i, choice);
		len = sizeof(v);
		if (asn1_read_value(gn, path, v, &len) == ASN1_SUCCESS &&
		    len == 0) {
			pki_error_set(err, rc, "the request's subjectAltName "
				      "holds an empty %s", choice);
			goto out;
		}
	}
	rc = PKI_OK;
out:
	asn1_delete_structure(&gn);
	return rc;
}

static const char *
ext_name(const char *oid)
{
	static const struct { const char *oid, *name; } t[] = {
		{ "2.5.29.17", "subjectAltName" },
		{ "2.5.29.15", "keyUsage" },
		{ "2.5.29.37", "extKeyUsage" },
		{ "2.5.29.19", "basicConstraints" },
		{ "2.5.29.14", "subjectKeyIdentifier" },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (strcmp(t[i].oid, oid) == 0)
			return t[i].name;
	return oid;
}

/* The extensions of the extensionRequest: each at most once. */
static int
check_extensions(const gnutls_datum_t *der, struct pki_error *err)
{
	asn1_node ex = NULL;
	gnutls_datum_t val = { NULL, 0 };
	char (*seen)[128] = NULL, path[48];
	int n = 0, i, k, rc;

	if ((rc = pki__asn1_decode("PKIX-SPORK.Extensions", der, &ex, err)) !=
	    PKI_OK) {
		pki_error_prefix(err, "the request's extensionRequest");
		return PKI_E_INVALID;
	}
	rc = PKI_E_INVALID;
	if (asn1_number_of_elements(ex, "", &n) != ASN1_SUCCESS || n < 0 ||
	    n > CSR_MAX_EXTS) {
		pki_error_set(err, rc, "the request asks for %d extensions; at "
			      "most %d are read", n, CSR_MAX_EXTS);
		goto out;
	}
	if ((seen = calloc((size_t)n + 1, sizeof(*seen))) == NULL) {
		rc = pki_error_set(err, PKI_E_NOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "?%d.extnID", i + 1);
		if (read_oid(ex, path, seen[i], sizeof(seen[i])) != 0) {
			pki_error_set(err, rc, "the request's extension %d has "
				      "no identifier", i + 1);
			goto out;
		}
		for (k = 0; k < i; k++)
			if (strcmp(seen[k], seen[i]) == 0) {
				pki_error_set(err, rc, "the request asks for "
					      "the %s extension twice",
					      ext_name(seen[i]));
				goto out;
			}
		if (strcmp(seen[i], OID_SAN) != 0)
			continue;
		snprintf(path, sizeof(path), "?%d.extnValue", i + 1);
		if (read_der(ex, path, &val) != 0) {
			pki_error_set(err, rc, "the request's subjectAltName "
				      "extension is empty");
			goto out;
		}
		if ((rc = check_san(&val, err)) != PKI_OK)
			goto out;
		rc = PKI_E_INVALID;
		gnutls_free(val.data);
		val.data = NULL;
	}
	rc = PKI_OK;
out:
	gnutls_free(val.data);
	free(seen);
	asn1_delete_structure(&ex);
	return rc;
}

/* One extensionRequest attribute with one value, whose extensions pass
 * check_extensions. */
static int
check_attributes(asn1_node req, struct pki_error *err)
{
	gnutls_datum_t val = { NULL, 0 };
	char path[80], oid[128];
	int n = 0, nv = 0, i, found = 0, rc = PKI_E_INVALID;

	if (asn1_number_of_elements(req, "certificationRequestInfo.attributes",
				    &n) != ASN1_SUCCESS)
		n = 0;
	for (i = 1; i <= n; i++) {
		snprintf(path, sizeof(path), "certificationRequestInfo."
			 "attributes.?%d.type", i);
		if (read_oid(req, path, oid, sizeof(oid)) != 0 ||
		    strcmp(oid, OID_EXT_REQUEST) != 0)
			continue;
		if (found++)
			return pki_error_set(err, rc, "the request has more "
					     "than one extensionRequest "
					     "attribute; PKCS#9 allows one");
		snprintf(path, sizeof(path), "certificationRequestInfo."
			 "attributes.?%d.values", i);
		if (asn1_number_of_elements(req, path, &nv) != ASN1_SUCCESS ||
		    nv != 1)
			return pki_error_set(err, rc, "the request's "
					     "extensionRequest attribute holds "
					     "%d sets of extensions; PKCS#9 "
					     "allows one", nv);
		snprintf(path, sizeof(path), "certificationRequestInfo."
			 "attributes.?%d.values.?1", i);
		if (read_der(req, path, &val) != 0)
			return pki_error_set(err, rc, "the request's "
					     "extensionRequest attribute is "
					     "unreadable");
		rc = check_extensions(&val, err);
		gnutls_free(val.data);
		val.data = NULL;
		if (rc != PKI_OK)
			return rc;
		rc = PKI_E_INVALID;
	}
	return PKI_OK;
}

/* ------------------------------------------------------- signature */

/* The salt length and digest an RSA-PSS signature declares. */
static int
pss_params(asn1_node req, gnutls_digest_algorithm_t *dig, unsigned *salt,
	   struct pki_error *err)
{
	gnutls_datum_t par = { NULL, 0 };
	asn1_node p = NULL;
	char oid[128];
	unsigned char v[8];
	int len, i, rc = PKI_E_INVALID;

	*dig = GNUTLS_DIG_SHA1;
	*salt = 20;
	if (read_der(req, "signatureAlgorithm.parameters", &par) != 0 ||
	    pki__asn1_decode("PKIX-SPORK.RSASSA-PSS-params", &par, &p,
			     NULL) != PKI_OK) {
		pki_error_set(err, rc, "the request's RSA-PSS signature has "
			      "unreadable parameters");
		goto out;
	}
	if (read_oid(p, "hashAlgorithm.algorithm", oid, sizeof(oid)) == 0)
		*dig = gnutls_oid_to_digest(oid);
	len = sizeof(v);
	if (asn1_read_value(p, "saltLength", v, &len) == ASN1_SUCCESS) {
		if (len > 2 || (v[0] & 0x80)) {
			pki_error_set(err, rc, "the request's RSA-PSS salt "
				      "length is out of range");
			goto out;
		}
		for (*salt = 0, i = 0; i < len; i++)
			*salt = *salt << 8 | v[i];
	}
	rc = PKI_OK;
out:
	asn1_delete_structure(&p);
	gnutls_free(par.data);
	return rc;
}

/*
 * GnuTLS verifies RSA-PSS only with a salt as long as the digest;
 * OpenSSL signs with the longest salt that fits.  Both are RSA-PSS: the
 * signature is verified again with the salt length it declares.
 */
static int
verify_pss(gnutls_x509_crq_t q, asn1_node req, const gnutls_datum_t *der,
	   struct pki_error *err)
{
	gnutls_pubkey_t pub = NULL;
	gnutls_x509_spki_t spki = NULL;
	gnutls_datum_t sig = { NULL, 0 }, tbs;
	gnutls_digest_algorithm_t dig;
	unsigned salt;
	int start, end, ret, rc;

	if ((rc = pss_params(req, &dig, &salt, err)) != PKI_OK)
		return rc;
	rc = PKI_E_INVALID;
	if (asn1_der_decoding_startEnd(req, der->data, (int)der->size,
				       "certificationRequestInfo", &start,
				       &end) != ASN1_SUCCESS ||
	    read_der(req, "signature", &sig) != 0) {
		pki_error_set(err, rc, "the request's signature is unreadable");
		goto out;
	}
	sig.size /= 8;          /* read_der gave the length in bits */
	tbs.data = der->data + start;
	tbs.size = (unsigned)(end - start + 1);
	if ((ret = gnutls_pubkey_init(&pub)) < 0 ||
	    (ret = gnutls_pubkey_import_x509_crq(pub, q, 0)) < 0 ||
	    (ret = gnutls_x509_spki_init(&spki)) < 0) {
		rc = pki__gnutls_error(err, ret, "the request's public key");
		goto out;
	}
	gnutls_x509_spki_set_rsa_pss_params(spki, dig, salt);
	if ((ret = gnutls_pubkey_set_spki(pub, spki, 0)) < 0 ||
	    (ret = gnutls_pubkey_verify_data2(pub,
			gnutls_pk_to_sign(GNUTLS_PK_RSA_PSS, dig), 0, &tbs,
			&sig)) < 0) {
		pki_error_set(err, rc, "the request's RSA-PSS signature (%s, "
			      "salt of %u octets) does not verify (%s): it was "
			      "altered or not signed by the key it contains",
			      gnutls_digest_get_name(dig) ?
			      gnutls_digest_get_name(dig) : "?", salt,
			      gnutls_strerror(ret));
		goto out;
	}
	rc = PKI_OK;
out:
	if (spki != NULL)
		gnutls_x509_spki_deinit(spki);
	gnutls_pubkey_deinit(pub);
	gnutls_free(sig.data);
	return rc;
}

/* The checks GnuTLS does not make, on the request's DER. */
static int
check_structure(gnutls_x509_crq_t q, struct pki_error *err)
{
	gnutls_datum_t der = { NULL, 0 };
	asn1_node req = NULL;
	char oid[128];
	int ret, rc;

	if ((ret = gnutls_x509_crq_export2(q, GNUTLS_X509_FMT_DER, &der)) < 0)
		return pki__gnutls_error(err, ret, "exporting the request");
	if ((rc = pki__asn1_decode("PKIX-SPORK.CertificationRequest", &der,
				   &req, err)) != PKI_OK)
		goto out;
	if ((rc = check_spki(req, err)) != PKI_OK ||
	    (rc = check_attributes(req, err)) != PKI_OK)
		goto out;
	if ((ret = gnutls_x509_crq_verify(q, 0)) < 0) {
		if (read_oid(req, "signatureAlgorithm.algorithm", oid,
			     sizeof(oid)) == 0 && strcmp(oid, OID_RSA_PSS) == 0) {
			rc = verify_pss(q, req, &der, err);
			goto out;
		}
		rc = pki_error_set(err, PKI_E_INVALID, "the certificate "
				   "request's signature does not verify (%s): "
				   "it was altered or not signed by the key it "
				   "contains", gnutls_strerror(ret));
		goto out;
	}
	rc = PKI_OK;
out:
	asn1_delete_structure(&req);
	gnutls_free(der.data);
	return rc;
}

/* ------------------------------------------------------------ parse */

int
pki_issue_parse_csr(const gnutls_datum_t *in, gnutls_x509_crq_t *crq,
		    struct pki_error *err)
{
	gnutls_x509_crq_t q = NULL;
	gnutls_pubkey_t pub = NULL;
	int ret, rc = PKI_E_PARSE;

	if (crq != NULL)
		*crq = NULL;
	if (in == NULL || crq == NULL || in->data == NULL || in->size == 0)
		return pki_error_set(err, rc, "the certificate request is empty");
	if (in->size > CSR_MAX)
		return pki_error_set(err, PKI_E_INVALID, "the certificate "
				     "request is %u bytes; the limit is 64 KiB",
				     in->size);
	if ((ret = gnutls_x509_crq_init(&q)) < 0) {
		rc = pki__gnutls_error(err, ret, "gnutls_x509_crq_init");
		goto out;
	}
	ret = gnutls_x509_crq_import(q, in, pki__is_pem(in) ?
				     GNUTLS_X509_FMT_PEM : GNUTLS_X509_FMT_DER);
	if (ret < 0) {
		pki_error_set(err, rc, "not a PKCS#10 certificate request in PEM "
			      "or DER (%s)", gnutls_strerror(ret));
		goto out;
	}
	if ((ret = gnutls_x509_crq_get_version(q)) != 1) {
		pki_error_set(err, rc, "the certificate request has version %d; "
			      "PKCS#10 defines only version 1", ret);
		goto out;
	}
	if ((rc = check_structure(q, err)) != PKI_OK)
		goto out;
	if ((rc = pki_issue_pubkey_from_csr(q, &pub, err)) != PKI_OK)
		goto out;
	if ((rc = pki_profile_check_key(pub, err)) != PKI_OK) {
		pki_error_prefix(err, "certificate request refused");
		goto out;
	}
	*crq = q;
	q = NULL;
	rc = PKI_OK;
out:
	gnutls_pubkey_deinit(pub);
	gnutls_x509_crq_deinit(q);
	return rc;
}

/* --------------------------------------------------------- templates */

static int
replace_str(char **dst, const char *src, struct pki_error *err)
{
	char *s = strdup(src);

	if (s == NULL)
		return pki_error_set(err, PKI_E_NOMEM, "out of memory");
	free(*dst);
	*dst = s;
	return PKI_OK;
}

int
pki_issue_template_from_csr(gnutls_x509_crq_t crq,
			    struct pki_cert_template *tpl,
			    struct pki_error *err)
{
	char buf[1024], ipstr[PKI_NAME_IP_STRLEN];
	struct pki_name_ip ip;
	size_t sz, i;
	unsigned seq, type, crit;
	struct pki_strlist *l;
	const char *v;
	int ret, rc = PKI_E_INVALID;

	if (crq == NULL || tpl == NULL)
		return pki_error_set(err, rc, "pki_issue_template_from_csr: "
				     "missing request or template");
	sz = sizeof(buf);
	ret = gnutls_x509_crq_get_dn_by_oid(crq, GNUTLS_OID_X520_COMMON_NAME, 0,
					    0, buf, &sz);
	if (ret >= 0) {
		if (strlen(buf) != sz || pki__dn_unescape(buf) != 0)
			return pki_error_set(err, rc, "the request's common name "
					     "contains a NUL byte or is of a "
					     "string type spork does not read");
		if ((rc = replace_str(&tpl->subject.common_name, buf, err)) !=
		    PKI_OK)
			return rc;
		rc = PKI_E_INVALID;
	} else if (ret != GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE) {
		return pki_error_set(err, rc, "the request's common name is "
				     "unreadable or longer than %zu bytes (%s)",
				     sizeof(buf) - 1, gnutls_strerror(ret));
	}
	for (seq = 0;; seq++) {
		sz = sizeof(buf) - 1;
		ret = gnutls_x509_crq_get_subject_alt_name(crq, seq, buf, &sz,
							   &type, &crit);
		if (ret == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
			break;
		if (ret < 0)
			return pki_error_set(err, rc, "the request's subject "
					     "alternative name %u is unreadable "
					     "or too long (%s)", seq + 1,
					     gnutls_strerror(ret));
		if (seq >= CSR_MAX_SANS)
			return pki_error_set(err, rc, "the request has more than "
					     "%d subject alternative names",
					     CSR_MAX_SANS);
		buf[sz] = '\0';
		v = buf;
		switch (type) {
		case GNUTLS_SAN_DNSNAME:
			l = &tpl->san_dns;
			for (i = 0; i < sz; i++)
				if (buf[i] >= 'A' && buf[i] <= 'Z')
					buf[i] = (char)(buf[i] - 'A' + 'a');
			break;
		case GNUTLS_SAN_RFC822NAME:
			l = &tpl->san_email;
			break;
		case GNUTLS_SAN_URI:
			l = &tpl->san_uri;
			break;
		case GNUTLS_SAN_IPADDRESS:
			l = &tpl->san_ip;
			if (pki_name_ip_from_bytes((unsigned char *)buf, sz, &ip,
						   NULL) != PKI_OK)
				return pki_error_set(err, rc, "the request has an "
						     "IP address of %zu octets",
						     sz);
			v = pki_name_ip_format(&ip, ipstr);
			break;
		default:
			return pki_error_set(err, rc, "the request asks for a "
					     "subject alternative name of a type "
					     "spork does not issue (only DNS, "
					     "IP, email and URI)");
		}
		if (type != GNUTLS_SAN_IPADDRESS && strlen(buf) != sz)
			return pki_error_set(err, rc, "the request's subject "
					     "alternative name %u contains a NUL "
					     "byte", seq + 1);
		if (pki_strlist_add(l, v) != PKI_OK)
			return pki_error_set(err, PKI_E_NOMEM, "out of memory");
	}
	return PKI_OK;
}
