/* ocsp: reading OCSP requests, strictly (ocsp-int.h). */
#include <config.h>

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <libtasn1.h>

#include "ocsp-int.h"
#include "util.h"

#define OID_SHA1 "1.3.14.3.2.26"
#define OID_SHA256 "2.16.840.1.101.3.4.2.1"
#define OID_SHA384 "2.16.840.1.101.3.4.2.2"
#define OID_SHA512 "2.16.840.1.101.3.4.2.3"
#define OID_NONCE "1.3.6.1.5.5.7.48.1.2"

static const struct {
	const char *oid;
	size_t len;
} hashes[PKI_OCSP_HASH__MAX] = {
	[PKI_OCSP_SHA1] = { OID_SHA1, 20 },
	[PKI_OCSP_SHA256] = { OID_SHA256, 32 },
	[PKI_OCSP_SHA384] = { OID_SHA384, 48 },
	[PKI_OCSP_SHA512] = { OID_SHA512, 64 },
};

size_t
pki_ocsp_hash_len(enum pki_ocsp_hash h)
{
	return (unsigned)h < PKI_OCSP_HASH__MAX ? hashes[h].len : 0;
}

/* Read the value at name into buf (cap bytes); *len its length.  Absent:
 * PKI_E_NOTFOUND without a message. */
static int
get(asn1_node n, const char *name, void *buf, size_t cap, size_t *len,
    struct pki_error *err)
{
	int l = (int)cap, r = asn1_read_value(n, name, buf, &l);

	if (r == ASN1_ELEMENT_NOT_FOUND || r == ASN1_VALUE_NOT_FOUND)
		return PKI_E_NOTFOUND;
	if (r == ASN1_MEM_ERROR)
		return pki_error_set(err, PKI_E_PARSE, "OCSP request: %s is "
				     "longer than %zu bytes", name, cap);
	if (r != ASN1_SUCCESS)
		return pki_error_set(err, PKI_E_PARSE, "OCSP request: %s: %s",
				     name, asn1_strerror(r));
	*len = (size_t)l;
	return PKI_OK;
}

/* An OID (or other short text value) as a NUL-terminated string. */
static int
get_str(asn1_node n, const char *name, char *buf, size_t cap,
	struct pki_error *err)
{
	size_t len = 0;
	int rc = get(n, name, buf, cap - 1, &len, err);

	buf[rc == PKI_OK ? len : 0] = '\0';
	return rc;
}

/* The extensions at name: the nonce (once, 1..32 octets) into req when
 * allowed; other extensions are skipped unless critical. */
static int
read_extensions(asn1_node n, const char *name, int nonce_allowed,
		struct pki_ocsp_request *req, struct pki_error *err)
{
	char path[128], oid[128], crit[8];
	unsigned char val[80];
	size_t len = 0;
	int count = 0, i, r, rc, l;

	r = asn1_number_of_elements(n, name, &count);
	if (r == ASN1_ELEMENT_NOT_FOUND)
		return PKI_OK;
	if (r != ASN1_SUCCESS || count > 16)
		return pki_error_set(err, PKI_E_PARSE, "OCSP request: bad or "
				     "too many extensions");
	for (i = 1; i <= count; i++) {
		snprintf(path, sizeof(path), "%s.?%d.extnID", name, i);
		if ((rc = get_str(n, path, oid, sizeof(oid), err)) != PKI_OK)
			return rc == PKI_E_NOTFOUND ? pki_error_set(err,
				PKI_E_PARSE, "OCSP request: an extension "
				"without its id") : rc;
		snprintf(path, sizeof(path), "%s.?%d.critical", name, i);
		if (get_str(n, path, crit, sizeof(crit), err) != PKI_OK)
			crit[0] = '\0';
		if (!nonce_allowed || strcmp(oid, OID_NONCE) != 0) {
			if (strcmp(crit, "TRUE") == 0)
				return pki_error_set(err, PKI_E_PARSE, "OCSP "
						     "request: critical "
						     "extension %s is not "
						     "supported", oid);
			continue;
		}
		if (req->has_nonce)
			return pki_error_set(err, PKI_E_PARSE, "OCSP request: "
					     "two nonces");
		snprintf(path, sizeof(path), "%s.?%d.extnValue", name, i);
		if ((rc = get(n, path, val, sizeof(val), &len, err)) != PKI_OK)
			return rc == PKI_E_NOTFOUND ? pki_error_set(err,
				PKI_E_PARSE, "OCSP request: an empty nonce") : rc;
		/* extnValue holds the DER of an OCTET STRING (RFC 8954). */
		if (len < 3 || val[0] != 0x04 || val[1] >= 0x80 ||
		    (size_t)val[1] + 2 != len || val[1] < 1 ||
		    val[1] > PKI_OCSP_NONCE_MAX)
			return pki_error_set(err, PKI_E_PARSE, "OCSP request: "
					     "the nonce must be an OCTET STRING "
					     "of 1 to %d octets",
					     PKI_OCSP_NONCE_MAX);
		l = val[1];
		memcpy(req->nonce, val + 2, (size_t)l);
		req->nonce_len = (size_t)l;
		req->has_nonce = 1;
	}
	return PKI_OK;
}

/* CertID number i (1-based) of the request list into *id. */
static int
read_certid(asn1_node n, const unsigned char *der, size_t derlen, int i,
	    struct pki_ocsp_certid *id, struct pki_error *err)
{
	char path[128], oid[128];
	unsigned char params[8], serial[PKI_OCSP_SERIAL_MAX + 2];
	size_t len = 0, plen = 0, nlen = 0, klen = 0, slen = 0, skip = 0;
	int h, rc, start = 0, end = 0;

	snprintf(path, sizeof(path), "tbsRequest.requestList.?%d.reqCert."
		 "hashAlgorithm.algorithm", i);
	if ((rc = get_str(n, path, oid, sizeof(oid), err)) != PKI_OK)
		return rc == PKI_E_NOTFOUND ? pki_error_set(err, PKI_E_PARSE,
			"OCSP request: a CertID without its hash") : rc;
	for (h = 0; h < PKI_OCSP_HASH__MAX; h++)
		if (strcmp(oid, hashes[h].oid) == 0)
			break;
	if (h == PKI_OCSP_HASH__MAX)
		return pki_error_set(err, PKI_E_UNSUPPORTED, "OCSP request: "
				     "CertID hash %s is not supported (SHA-1 "
				     "or SHA-2)", oid);
	id->hash = (enum pki_ocsp_hash)h;
	id->hash_len = hashes[h].len;
	/* parameters: absent or NULL */
	snprintf(path, sizeof(path), "tbsRequest.requestList.?%d.reqCert."
		 "hashAlgorithm.parameters", i);
	rc = get(n, path, params, sizeof(params), &plen, err);
	if (rc == PKI_OK && !(plen == 2 && params[0] == 0x05 && params[1] == 0))
		return pki_error_set(err, PKI_E_PARSE, "OCSP request: hash "
				     "parameters other than NULL");
	if (rc != PKI_OK && rc != PKI_E_NOTFOUND)
		return rc;
	snprintf(path, sizeof(path), "tbsRequest.requestList.?%d.reqCert."
		 "issuerNameHash", i);
	if ((rc = get(n, path, id->name_hash, sizeof(id->name_hash), &nlen,
		      err)) != PKI_OK && rc != PKI_E_NOTFOUND)
		return rc;
	snprintf(path, sizeof(path), "tbsRequest.requestList.?%d.reqCert."
		 "issuerKeyHash", i);
	if ((rc = get(n, path, id->key_hash, sizeof(id->key_hash), &klen,
		      err)) != PKI_OK && rc != PKI_E_NOTFOUND)
		return rc;
	if (nlen != id->hash_len || klen != id->hash_len)
		return pki_error_set(err, PKI_E_PARSE, "OCSP request: issuer "
				     "hashes of %zu and %zu bytes for a %zu-byte "
				     "hash", nlen, klen, id->hash_len);
	snprintf(path, sizeof(path), "tbsRequest.requestList.?%d.reqCert."
		 "serialNumber", i);
	if ((rc = get(n, path, serial, sizeof(serial), &slen, err)) != PKI_OK)
		return rc == PKI_E_NOTFOUND ? pki_error_set(err, PKI_E_PARSE,
			"OCSP request: a CertID without a serial") : rc;
	if (slen == 0 || (serial[0] & 0x80))
		return pki_error_set(err, PKI_E_PARSE, "OCSP request: a "
				     "negative or empty serial number");
	while (skip + 1 < slen && serial[skip] == 0)
		skip++;
	len = slen - skip;
	if (len > PKI_OCSP_SERIAL_MAX)
		return pki_error_set(err, PKI_E_PARSE, "OCSP request: a serial "
				     "number of more than %d octets",
				     PKI_OCSP_SERIAL_MAX);
	memcpy(id->serial, serial + skip, len);
	id->serial_len = len;
	snprintf(path, sizeof(path), "tbsRequest.requestList.?%d.reqCert", i);
	if (asn1_der_decoding_startEnd(n, der, (int)derlen, path, &start,
				       &end) != ASN1_SUCCESS || start < 0 ||
	    end < start || (size_t)end >= derlen)
		return pki_error_set(err, PKI_E_PARSE, "OCSP request: cannot "
				     "locate CertID %d", i);
	id->der = der + start;
	id->der_len = (size_t)(end - start + 1);
	snprintf(path, sizeof(path), "tbsRequest.requestList.?%d."
		 "singleRequestExtensions", i);
	return read_extensions(n, path, 0, NULL, err);
}

int
pki_ocsp_request_parse(const unsigned char *der, size_t len,
		       struct pki_ocsp_request *req, struct pki_error *err)
{
	char msg[ASN1_MAX_ERROR_DESCRIPTION_SIZE];
	unsigned char ver[8], any[4];
	asn1_node defs = NULL, n = NULL;
	size_t vlen = 0, alen = 0;
	int count = 0, i, r, l = (int)len, rc;

	memset(req, 0, sizeof(*req));
	if (len == 0 || len > PKI_OCSP_MAX_REQUEST)
		return pki_error_set(err, PKI_E_PARSE, "OCSP request of %zu "
				     "bytes (1 to %d)", len,
				     PKI_OCSP_MAX_REQUEST);
	if ((rc = pki__asn1_defs(&defs, err)) != PKI_OK)
		return rc;
	if ((r = asn1_create_element(defs, "PKIX-SPORK.OCSPRequest", &n)) !=
	    ASN1_SUCCESS)
		return pki_error_set(err, PKI_E_FAIL, "asn1_create_element: %s",
				     asn1_strerror(r));
	msg[0] = '\0';
	r = asn1_der_decoding2(&n, der, &l, ASN1_DECODE_FLAG_STRICT_DER, msg);
	if (r != ASN1_SUCCESS || (size_t)l != len) {
		rc = pki_error_set(err, PKI_E_PARSE, "OCSP request is not "
				   "valid DER%s%s", r != ASN1_SUCCESS ? ": " :
				   " (trailing data)", r != ASN1_SUCCESS ?
				   asn1_strerror(r) : "");
		goto out;
	}
	rc = get(n, "tbsRequest.version", ver, sizeof(ver), &vlen, err);
	if (rc == PKI_OK && !(vlen == 1 && ver[0] == 0)) {
		rc = pki_error_set(err, PKI_E_PARSE, "OCSP request: version "
				   "other than v1");
		goto out;
	}
	if (rc != PKI_OK && rc != PKI_E_NOTFOUND)
		goto out;
	req->is_signed = get(n, "optionalSignature", any, sizeof(any), &alen,
			     NULL) != PKI_E_NOTFOUND;
	r = asn1_number_of_elements(n, "tbsRequest.requestList", &count);
	if (r != ASN1_SUCCESS || count < 1 || count > PKI_OCSP_MAX_IDS) {
		rc = pki_error_set(err, PKI_E_PARSE, "OCSP request: %d CertIDs "
				   "(1 to %d)", r == ASN1_SUCCESS ? count : 0,
				   PKI_OCSP_MAX_IDS);
		goto out;
	}
	for (i = 1; i <= count; i++) {
		if ((rc = read_certid(n, der, len, i, &req->ids[i - 1],
				      err)) != PKI_OK)
			goto out;
		req->n++;
	}
	rc = read_extensions(n, "tbsRequest.requestExtensions", 1, req, err);
out:
	asn1_delete_structure(&n);
	if (rc != PKI_OK)
		memset(req, 0, sizeof(*req));
	return rc;
}
