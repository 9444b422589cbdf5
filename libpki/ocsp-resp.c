/* ocsp-resp: signed OCSP responses (RFC 6960 4.2, RFC 5019), built with
 * libtasn1 from the project's ASN.1 module (ocsp-int.h). */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/gnutls.h>
#include <gnutls/abstract.h>
#include <gnutls/x509.h>
#include <gnutls/crypto.h>
#include <libtasn1.h>

#include <spork/crl.h>

#include "der.h"
#include "ocsp-int.h"
#include "sign.h"
#include "util.h"

#define OID_BASIC "1.3.6.1.5.5.7.48.1.1"
#define OID_NONCE "1.3.6.1.5.5.7.48.1.2"

/* GeneralizedTime "YYYYMMDDHHMMSSZ" of t (RFC 6960 uses no UTCTime). */
static int
put_time(asn1_node n, const char *name, int64_t t, struct pki_error *err)
{
	char g[16];
	int utc;

	if (pki__der_time(t, 0, g, &utc) != 0)
		return pki_error_set(err, PKI_E_INVALID, "OCSP response: time "
				     "%lld is outside years 1..9999",
				     (long long)t);
	return pki__der_put(n, name, g, strlen(g), err);
}

static int
node_new(const char *type, asn1_node *n, struct pki_error *err)
{
	char name[64];
	asn1_node defs = NULL;
	int rc, r;

	*n = NULL;
	if ((rc = pki__asn1_defs(&defs, err)) != PKI_OK)
		return rc;
	snprintf(name, sizeof(name), "PKIX-SPORK.%s", type);
	if ((r = asn1_create_element(defs, name, n)) != ASN1_SUCCESS)
		return pki_error_set(err, PKI_E_FAIL, "asn1_create_element(%s): "
				     "%s", type, asn1_strerror(r));
	return PKI_OK;
}

/* One SingleResponse appended to responses. */
static int
put_single(asn1_node n, const struct pki_ocsp_single *s,
	   struct pki_error *err)
{
	const char *reason = pki_crl_reason_name(s->reason);
	const char *st = s->status == PKI_OCSP_GOOD ? "good" :
		s->status == PKI_OCSP_REVOKED ? "revoked" : "unknown";
	int rc;

	if ((rc = pki__der_put(n, "responses", "NEW", 1, err)) ||
	    (rc = pki__der_put(n, "responses.?LAST.certID", s->id->der, s->id->der_len,
		      err)) ||
	    (rc = pki__der_put(n, "responses.?LAST.certStatus", st, strlen(st), err)))
		return rc;
	/* good and unknown are NULLs: choosing them is all there is. */
	if (s->status == PKI_OCSP_REVOKED) {
		if ((rc = put_time(n, "responses.?LAST.certStatus.revoked."
				   "revocationTime", s->revocation_time, err)))
			return rc;
		/* unspecified is not written (RFC 5280 5.3.1), nor
		 * removeFromCRL, which only a delta CRL can say */
		if (reason != NULL && s->reason != PKI_CRL_REASON_UNSPECIFIED &&
		    s->reason != PKI_CRL_REASON_REMOVE_FROM_CRL)
			/* len 0: a named value of the ENUMERATED */
			rc = pki__der_put(n, "responses.?LAST.certStatus.revoked."
				 "revocationReason", reason, 0, err);
		else
			rc = pki__der_put(n, "responses.?LAST.certStatus.revoked."
				 "revocationReason", NULL, 0, err);
		if (rc)
			return rc;
	}
	if ((rc = put_time(n, "responses.?LAST.thisUpdate", s->this_update,
			   err)))
		return rc;
	if (s->next_update != 0)
		rc = put_time(n, "responses.?LAST.nextUpdate", s->next_update,
			      err);
	else
		rc = pki__der_put(n, "responses.?LAST.nextUpdate", NULL, 0, err);
	if (rc)
		return rc;
	return pki__der_put(n, "responses.?LAST.singleExtensions", NULL, 0, err);
}

/* The nonce echoed in responseExtensions, or none. */
static int
put_nonce(asn1_node n, const struct pki_ocsp_response_params *p,
	  struct pki_error *err)
{
	unsigned char v[2 + PKI_OCSP_NONCE_MAX];
	int rc;

	if (p->nonce_len == 0)
		return pki__der_put(n, "responseExtensions", NULL, 0, err);
	if (p->nonce_len > PKI_OCSP_NONCE_MAX)
		return pki_error_set(err, PKI_E_INVALID, "OCSP response: a "
				     "nonce of %zu octets", p->nonce_len);
	v[0] = 0x04;
	v[1] = (unsigned char)p->nonce_len;
	memcpy(v + 2, p->nonce, p->nonce_len);
	if ((rc = pki__der_put(n, "responseExtensions", "NEW", 1, err)) ||
	    (rc = pki__der_put(n, "responseExtensions.?LAST.extnID", OID_NONCE,
		      strlen(OID_NONCE), err)) ||
	    (rc = pki__der_put(n, "responseExtensions.?LAST.critical", "FALSE", 1,
		      err)))
		return rc;
	return pki__der_put(n, "responseExtensions.?LAST.extnValue", v,
		   p->nonce_len + 2, err);
}

/* ocsp-int.h */
int
pki__ocsp_key_bits(const gnutls_datum_t *cert, gnutls_datum_t *out,
	 struct pki_error *err)
{
	asn1_node defs = NULL, c = NULL;
	unsigned char buf[1200];
	int len = (int)sizeof(buf), r, rc;

	if ((rc = pki__asn1_defs(&defs, err)) != PKI_OK)
		return rc;
	rc = PKI_E_PARSE;
	if (asn1_create_element(defs, "PKIX-SPORK.Certificate", &c) !=
	    ASN1_SUCCESS || asn1_der_decoding(&c, cert->data, (int)cert->size,
					       NULL) != ASN1_SUCCESS)
		goto fail;
	r = asn1_read_value(c, "tbsCertificate.subjectPublicKeyInfo", buf, &len);
	asn1_delete_structure(&c);
	if (r != ASN1_SUCCESS ||
	    asn1_create_element(defs, "PKIX-SPORK.SubjectPublicKeyInfo", &c) !=
	    ASN1_SUCCESS || asn1_der_decoding(&c, buf, len, NULL) != ASN1_SUCCESS)
		goto fail;
	len = (int)sizeof(buf);    /* in: bytes; out: bits */
	r = asn1_read_value(c, "subjectPublicKey", buf, &len);
	asn1_delete_structure(&c);
	if (r != ASN1_SUCCESS || len % 8 != 0)
		goto fail;
	if ((out->data = gnutls_malloc((size_t)len / 8)) == NULL)
		return pki_error_set(err, PKI_E_NOMEM, "out of memory");
	memcpy(out->data, buf, (size_t)len / 8);
	out->size = (unsigned)len / 8;
	return PKI_OK;
fail:
	asn1_delete_structure(&c);
	return pki_error_set(err, rc, "cannot read the public key of a CA "
			     "certificate");
}

/* ResponseData into *tbs: byKey responder, producedAt, the responses. */
static int
build_tbs(const struct pki_ocsp_response_params *p, gnutls_datum_t *tbs,
	  struct pki_error *err)
{
	unsigned char kid[20];
	size_t kidlen = sizeof(kid), i;
	gnutls_datum_t der = { NULL, 0 }, bits = { NULL, 0 };
	asn1_node n = NULL;
	int ret, rc;

	/* RFC 6960 4.2.1: KeyHash is the SHA-1 of the subjectPublicKey BIT
	 * STRING's value (not of the whole SubjectPublicKeyInfo, which is
	 * what gnutls_x509_crt_get_key_id hashes) */
	if ((ret = gnutls_x509_crt_export2(p->signer, GNUTLS_X509_FMT_DER,
					   &der)) < 0)
		return pki__gnutls_error(err, ret, "responder certificate");
	rc = pki__ocsp_key_bits(&der, &bits, err);
	gnutls_free(der.data);
	if (rc != PKI_OK)
		return rc;
	ret = gnutls_hash_fast(GNUTLS_DIG_SHA1, bits.data, bits.size, kid);
	gnutls_free(bits.data);
	if (ret < 0)
		return pki__gnutls_error(err, ret, "responder key hash");
	if ((rc = node_new("ResponseData", &n, err)) ||
	    (rc = pki__der_put(n, "version", NULL, 0, err)) ||
	    (rc = pki__der_put(n, "responderID", "byKey", 5, err)) ||
	    (rc = pki__der_put(n, "responderID.byKey", kid, kidlen, err)) ||
	    (rc = put_time(n, "producedAt", p->produced_at, err)))
		goto out;
	for (i = 0; i < p->n; i++)
		if ((rc = put_single(n, &p->singles[i], err)))
			goto out;
	if ((rc = put_nonce(n, p, err)) ||
	    (rc = pki__der_encode(n, "ResponseData", tbs, err)))
		goto out;
out:
	asn1_delete_structure(&n);
	return rc;
}

/* BasicOCSPResponse: tbs signed by p->key, with the signer's certificate
 * when it is a delegated responder. */
static int
build_basic(const struct pki_ocsp_response_params *p,
	    const gnutls_datum_t *tbs, gnutls_datum_t *out,
	    struct pki_error *err)
{
	struct pki__sigalg sa;
	gnutls_datum_t sig = { NULL, 0 }, cert = { NULL, 0 };
	asn1_node n = NULL;
	int ret, rc;

	if ((rc = pki__sigalg_pick(p->key, p->signer, &sa, err)) != PKI_OK)
		return rc;
	if ((ret = gnutls_privkey_sign_data2(p->key, sa.sign, 0, tbs,
					     &sig)) < 0)
		return pki__gnutls_error(err, ret, "signing the OCSP response");
	if ((rc = node_new("BasicOCSPResponse", &n, err)) ||
	    (rc = pki__der_put(n, "tbsResponseData", tbs->data, tbs->size, err)) ||
	    (rc = pki__sigalg_put(n, "signatureAlgorithm", &sa, err)) ||
	    (rc = pki__der_put(n, "signature", sig.data, (size_t)sig.size * 8, err)))
		goto out;
	if (p->include_signer) {
		if ((ret = gnutls_x509_crt_export2(p->signer,
						   GNUTLS_X509_FMT_DER,
						   &cert)) < 0) {
			rc = pki__gnutls_error(err, ret, "responder certificate");
			goto out;
		}
		if ((rc = pki__der_put(n, "certs", "NEW", 1, err)) ||
		    (rc = pki__der_put(n, "certs.?LAST", cert.data, cert.size, err)))
			goto out;
	} else if ((rc = pki__der_put(n, "certs", NULL, 0, err))) {
		goto out;
	}
	rc = pki__der_encode(n, "BasicOCSPResponse", out, err);
out:
	gnutls_free(sig.data);
	gnutls_free(cert.data);
	asn1_delete_structure(&n);
	return rc;
}

/* OCSPResponse of status (with the basic response when successful). */
static int
wrap(int status, const gnutls_datum_t *basic, gnutls_datum_t *der,
     struct pki_error *err)
{
	static const char *const names[] = {
		"successful", "malformedRequest", "internalError", "tryLater",
		NULL, "sigRequired", "unauthorized",
	};
	asn1_node n = NULL;
	int rc;

	if (status < 0 || status > 6 || names[status] == NULL)
		return pki_error_set(err, PKI_E_INVALID, "OCSP response status "
				     "%d", status);
	if ((rc = node_new("OCSPResponse", &n, err)) ||
	    (rc = pki__der_put(n, "responseStatus", names[status], 0, err)))
		goto out;
	if (basic != NULL) {
		if ((rc = pki__der_put(n, "responseBytes.responseType", OID_BASIC,
			      strlen(OID_BASIC), err)) ||
		    (rc = pki__der_put(n, "responseBytes.response", basic->data,
			      basic->size, err)))
			goto out;
	} else if ((rc = pki__der_put(n, "responseBytes", NULL, 0, err))) {
		goto out;
	}
	rc = pki__der_encode(n, "OCSPResponse", der, err);
out:
	asn1_delete_structure(&n);
	return rc;
}

int
pki_ocsp_response_build(const struct pki_ocsp_response_params *p,
			gnutls_datum_t *der, struct pki_error *err)
{
	gnutls_datum_t tbs = { NULL, 0 }, basic = { NULL, 0 };
	int rc;

	der->data = NULL;
	der->size = 0;
	if (p->n < 1 || p->n > PKI_OCSP_MAX_IDS)
		return pki_error_set(err, PKI_E_INVALID, "OCSP response with %zu "
				     "answers", p->n);
	if ((rc = build_tbs(p, &tbs, err)) == PKI_OK &&
	    (rc = build_basic(p, &tbs, &basic, err)) == PKI_OK)
		rc = wrap(0, &basic, der, err);
	gnutls_free(tbs.data);
	gnutls_free(basic.data);
	return rc;
}

int
pki_ocsp_response_error(int status, gnutls_datum_t *der,
			struct pki_error *err)
{
	if (status == 0)
		return pki_error_set(err, PKI_E_INVALID, "an error response "
				     "cannot be successful");
	return wrap(status, NULL, der, err);
}
