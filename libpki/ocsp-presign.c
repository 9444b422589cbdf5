/* ocsp-presign: responses signed ahead of time, their export as static
 * files, and the OCSP state of the CAs (ocsp.h, ocsp-int.h). */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/gnutls.h>
#include <gnutls/crypto.h>
#include <gnutls/x509.h>
#include <jansson.h>
#include <libtasn1.h>
#include <nettle/base64.h>

#include <spork/ocsp.h>
#include "der.h"
#include "ocsp-int.h"
#include "store-write.h"
#include "util.h"

#define OID_SHA1 "1.3.14.3.2.26"
#define PRESIGN_BATCH 256          /* responses per transaction */
#define PRESIGN_VALIDITY 86400     /* default nextUpdate - thisUpdate */

/* ------------------------------------------------------------ freshness */

int
pki__ocsp_presigned_fresh(const struct pki_store_ocsp_response *r,
			  const struct pki_ocsp_single *cur, int64_t now)
{
	if (now < r->this_update || now >= r->next_update)
		return 0;
	if (r->status != (int)cur->status)
		return 0;
	/* revoked again after a lifted hold, at another time or for
	 * another reason: what was signed is not what the store says */
	if (cur->status == PKI_OCSP_REVOKED &&
	    (r->revoked_at != cur->revocation_time || r->reason != cur->reason))
		return 0;
	return 1;
}

/* ------------------------------------------------------------ requests */

/* The SHA-1 name and key hashes of the DER certificate issuer. */
static int
issuer_hashes(const gnutls_datum_t *issuer, unsigned char name[20],
	      unsigned char key[20], struct pki_error *err)
{
	gnutls_x509_crt_t crt = NULL;
	gnutls_datum_t dn = { NULL, 0 }, bits = { NULL, 0 };
	int ret, rc;

	if ((ret = gnutls_x509_crt_init(&crt)) < 0 ||
	    (ret = gnutls_x509_crt_import(crt, issuer, GNUTLS_X509_FMT_DER)) < 0 ||
	    (ret = gnutls_x509_crt_get_raw_dn(crt, &dn)) < 0 ||
	    (ret = gnutls_hash_fast(GNUTLS_DIG_SHA1, dn.data, dn.size, name)) < 0) {
		rc = pki__gnutls_error(err, ret, "the issuer's name hash");
		goto out;
	}
	if ((rc = pki__ocsp_key_bits(issuer, &bits, err)) != PKI_OK)
		goto out;
	if ((ret = gnutls_hash_fast(GNUTLS_DIG_SHA1, bits.data, bits.size,
				    key)) < 0)
		rc = pki__gnutls_error(err, ret, "the issuer's key hash");
out:
	gnutls_free(dn.data);
	gnutls_free(bits.data);
	if (crt != NULL)
		gnutls_x509_crt_deinit(crt);
	return rc;
}

/* ocsp-int.h */
int
pki__ocsp_request_minimal(const gnutls_datum_t *issuer, const char *serial,
			  gnutls_datum_t *der, struct pki_error *err)
{
	static const unsigned char null_der[2] = { 0x05, 0x00 };
	unsigned char name[20], key[20], sn[PKI_OCSP_SERIAL_MAX + 1];
	asn1_node defs = NULL, n = NULL;
	long len;
	int r, rc;

	der->data = NULL;
	der->size = 0;
	/* a positive INTEGER: a leading 00 when the top bit is set */
	sn[0] = 0;
	len = pki__unhex(serial, sn + 1, PKI_OCSP_SERIAL_MAX);
	if (len <= 0)
		return pki_error_set(err, PKI_E_INVALID, "serial %s cannot be "
				     "asked about over OCSP", serial);
	if ((rc = issuer_hashes(issuer, name, key, err)) != PKI_OK ||
	    (rc = pki__asn1_defs(&defs, err)) != PKI_OK)
		return rc;
	if ((r = asn1_create_element(defs, "PKIX-SPORK.OCSPRequest", &n)) !=
	    ASN1_SUCCESS)
		return pki_error_set(err, PKI_E_FAIL, "asn1_create_element: %s",
				     asn1_strerror(r));
	if ((rc = pki__der_put(n, "tbsRequest.version", NULL, 0, err)) ||
	    (rc = pki__der_put(n, "tbsRequest.requestorName", NULL, 0, err)) ||
	    (rc = pki__der_put(n, "tbsRequest.requestList", "NEW", 1, err)) ||
	    (rc = pki__der_put(n, "tbsRequest.requestList.?LAST.reqCert."
			       "hashAlgorithm.algorithm", OID_SHA1,
			       strlen(OID_SHA1), err)) ||
	    (rc = pki__der_put(n, "tbsRequest.requestList.?LAST.reqCert."
			       "hashAlgorithm.parameters", null_der,
			       sizeof(null_der), err)) ||
	    (rc = pki__der_put(n, "tbsRequest.requestList.?LAST.reqCert."
			       "issuerNameHash", name, sizeof(name), err)) ||
	    (rc = pki__der_put(n, "tbsRequest.requestList.?LAST.reqCert."
			       "issuerKeyHash", key, sizeof(key), err)) ||
	    (rc = pki__der_put(n, "tbsRequest.requestList.?LAST.reqCert."
			       "serialNumber", (sn[1] & 0x80) ? sn : sn + 1,
			       (size_t)len + ((sn[1] & 0x80) ? 1 : 0), err)) ||
	    (rc = pki__der_put(n, "tbsRequest.requestList.?LAST."
			       "singleRequestExtensions", NULL, 0, err)) ||
	    (rc = pki__der_put(n, "tbsRequest.requestExtensions", NULL, 0,
			       err)) ||
	    (rc = pki__der_put(n, "optionalSignature", NULL, 0, err)))
		goto out;
	rc = pki__der_encode(n, "OCSPRequest", der, err);
out:
	asn1_delete_structure(&n);
	return rc;
}

/* ocsp-int.h */
char *
pki__ocsp_export_path(const gnutls_datum_t *req)
{
	char *b64, *out, *p;
	const char *q;
	size_t n = BASE64_ENCODE_RAW_LENGTH(req->size);

	if ((b64 = malloc(n + 1)) == NULL)
		return NULL;
	base64_encode_raw(b64, req->size, req->data);
	b64[n] = '\0';
	if ((out = malloc(n + 1)) == NULL) {
		free(b64);
		return NULL;
	}
	/* '/' separates directories; "//", a leading or a trailing '/'
	 * make no empty component */
	for (p = out, q = b64; *q != '\0'; q++) {
		if (*q == '/' && (p == out || p[-1] == '/'))
			continue;
		*p++ = *q;
	}
	if (p > out && p[-1] == '/')
		p--;
	*p = '\0';
	free(b64);
	return out;
}

/* Write der as the export of request req under dir. */
static int
export_one(const char *dir, const gnutls_datum_t *req,
	   const gnutls_datum_t *der, struct pki_error *err)
{
	char *rel = pki__ocsp_export_path(req), *path = NULL, *slash;
	int rc;

	if (rel == NULL || asprintf(&path, "%s/%s", dir, rel) < 0) {
		free(rel);
		return pki_error_set(err, PKI_E_NOMEM, "out of memory");
	}
	rc = PKI_OK;
	if ((slash = strrchr(path, '/')) != NULL) {
		*slash = '\0';
		rc = pki__mkdirs(path, 0755, err);
		*slash = '/';
	}
	if (rc == PKI_OK)
		rc = pki_file_write(path, der->data, der->size, 0644, 0, err);
	free(rel);
	free(path);
	return rc;
}

/* ------------------------------------------------------------ presign */

struct presign {
	struct pki_state *s;
	const struct pki_ocsp_presign_opts *o;
	struct pki_ocsp_presign_result *r;
	struct pki_ca_record ca;
	struct pki__ocsp_signer sg;
	int64_t now, next;
};

/* Sign, store (inside the caller's transaction) and export the response
 * about certificate c. */
static int
presign_one(struct presign *P, const struct pki_cert_record *c,
	    struct pki_error *err)
{
	struct pki_store_ocsp_response row;
	struct pki_ocsp_request req;
	struct pki_ocsp_single single;
	struct pki_ocsp_response_params p;
	gnutls_datum_t q = { NULL, 0 }, resp = { NULL, 0 };
	int rc;

	memset(&row, 0, sizeof(row));
	memset(&single, 0, sizeof(single));
	if ((rc = pki__ocsp_request_minimal(&P->ca.cert_der, c->serial, &q,
					    err)) != PKI_OK ||
	    (rc = pki_ocsp_request_parse(q.data, q.size, &req, err)) != PKI_OK)
		goto out;
	single.id = &req.ids[0];
	single.this_update = P->now;
	single.next_update = P->next;
	if (c->revoked) {
		single.status = PKI_OCSP_REVOKED;
		single.revocation_time = c->revoked_at;
		single.reason = c->reason;
	} else {
		single.status = PKI_OCSP_GOOD;
	}
	memset(&p, 0, sizeof(p));
	p.signer = P->sg.crt;
	p.key = P->sg.key;
	p.include_signer = P->sg.delegated;
	p.produced_at = P->now;
	p.singles = &single;
	p.n = 1;
	if ((rc = pki_ocsp_response_build(&p, &resp, err)) != PKI_OK)
		goto out;
	row.ca_id = P->ca.id;
	row.serial = c->serial;
	row.status = (int)single.status;
	row.revoked_at = single.revocation_time;
	row.reason = single.reason;
	row.this_update = single.this_update;
	row.next_update = single.next_update;
	row.request = q;
	row.der = resp;
	if ((rc = pki_store_ocsp_response_put(pki_state_store(P->s), &row,
					      err)) != PKI_OK)
		goto out;
	if (c->revoked)
		P->r->revoked++;
	else
		P->r->good++;
	if (P->o->export_dir != NULL) {
		if ((rc = export_one(P->o->export_dir, &q, &resp, err)) != PKI_OK)
			goto out;
		P->r->exported++;
	}
out:
	gnutls_free(q.data);
	gnutls_free(resp.data);
	return rc;
}

/* The last transaction: old responses go, the audit row. */
static int
presign_finish(struct presign *P, struct pki_error *err)
{
	struct pki_store *st = pki_state_store(P->s);
	char tu[PKI_TIME_STRLEN], nu[PKI_TIME_STRLEN], *detail = NULL;
	json_t *o;
	int rc;

	if ((rc = pki_store_ocsp_response_prune(st, P->ca.id, P->now,
						&P->r->pruned, err)) != PKI_OK)
		return rc;
	pki_time_format(P->now, tu);
	pki_time_format(P->next, nu);
	o = json_pack("{s:I, s:I, s:I, s:s, s:s, s:s}",
		      "good", (json_int_t)P->r->good,
		      "revoked", (json_int_t)P->r->revoked,
		      "removed", (json_int_t)P->r->pruned,
		      "this_update", tu, "next_update", nu,
		      "signer", P->sg.delegated ? "delegated" : "ca");
	if (o == NULL || (detail = json_dumps(o, JSON_SORT_KEYS |
					      JSON_COMPACT)) == NULL) {
		json_decref(o);
		return pki_error_set(err, PKI_E_NOMEM, "out of memory");
	}
	json_decref(o);
	rc = pki_store_audit(st, NULL, "ocsp.presign", P->ca.name, detail, err);
	free(detail);
	return rc;
}

/* The certificates to sign for, the signer, and the validity. */
static int
presign_prepare(struct presign *P, struct pki_cert_record **v, size_t *n,
		struct pki_error *err)
{
	struct pki_cert_filter f;
	int64_t validity = P->o->validity > 0 ? P->o->validity :
		PRESIGN_VALIDITY;
	char t[PKI_TIME_STRLEN];
	int rc;

	if ((rc = pki_store_ca_get(pki_state_store(P->s), P->o->ca_name, &P->ca,
				   err)) != PKI_OK)
		return rc;
	if (P->ca.cert_der.size == 0)
		return pki_error_set(err, PKI_E_INVALID, "CA '%s' has no "
				     "certificate yet", P->ca.name);
	if ((rc = pki__ocsp_signer_load(P->s, &P->ca, P->now, &P->sg, err)) !=
	    PKI_OK)
		return rc;
	P->next = P->now + validity;
	/* no response outlives the certificate that vouches for it */
	if (P->sg.delegated && P->next > P->sg.not_after)
		P->next = P->sg.not_after;
	if (P->next <= P->now) {
		pki_time_format(P->sg.not_after, t);
		return pki_error_set(err, PKI_E_INVALID, "the OCSP signer of "
				     "'%s' ends at %s: no response can be "
				     "valid after now", P->ca.name, t);
	}
	memset(&f, 0, sizeof(f));
	f.issuer_ca_id = P->ca.id;
	f.now = P->now;
	return pki_store_cert_list(pki_state_store(P->s), &f, v, n, err);
}

int
pki_ocsp_presign(struct pki_state *s, const struct pki_ocsp_presign_opts *o,
		 struct pki_ocsp_presign_result *r, struct pki_error *err)
{
	struct pki_store *st = pki_state_store(s);
	struct presign P;
	struct pki_cert_record *v = NULL;
	size_t n = 0, i, batch = 0;
	int rc, in_tx = 0;

	memset(&P, 0, sizeof(P));
	memset(r, 0, sizeof(*r));
	P.s = s;
	P.o = o;
	P.r = r;
	P.now = pki_state_now(s);
	if (o->ca_name == NULL)
		return pki_error_set(err, PKI_E_INVALID, "name the CA whose "
				     "responses to sign");
	if ((rc = presign_prepare(&P, &v, &n, err)) != PKI_OK)
		goto out;
	if (o->export_dir != NULL &&
	    (rc = pki__mkdirs(o->export_dir, 0755, err)) != PKI_OK)
		goto out;
	r->this_update = P.now;
	r->next_update = P.next;
	r->delegated = P.sg.delegated;
	for (i = 0; i <= n; i++) {
		if (!in_tx) {
			if ((rc = pki_store_begin(st, err)) != PKI_OK)
				goto out;
			in_tx = 1;
			batch = 0;
		}
		if (i == n) {
			if ((rc = presign_finish(&P, err)) != PKI_OK)
				goto out;
		} else if (v[i].not_after >= P.now && v[i].ca_id != P.ca.id) {
			/* unexpired, and not the CA's own certificate */
			if ((rc = presign_one(&P, &v[i], err)) != PKI_OK) {
				pki_error_prefix(err, "serial %s", v[i].serial);
				goto out;
			}
			batch++;
		}
		if (i == n || batch >= PRESIGN_BATCH) {
			if ((rc = pki_store_commit(st, err)) != PKI_OK)
				goto out;
			in_tx = 0;
		}
	}
	rc = PKI_OK;
out:
	if (in_tx)
		pki_store_rollback(st);
	pki_cert_records_free(v, n);
	pki__ocsp_signer_clear(&P.sg);
	pki_ca_record_clear(&P.ca);
	return rc;
}

/* ------------------------------------------------------------ status */

void
pki_ocsp_status_free(struct pki_ocsp_ca_status *v, size_t n)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++) {
		free(v[i].ca_name);
		pki_ocsp_signer_info_clear(&v[i].signer);
	}
	free(v);
}

/* The OCSP state of ca into *out. */
static int
status_one(struct pki_state *s, const struct pki_ca_record *ca,
	   struct pki_ocsp_ca_status *out, struct pki_error *err)
{
	int rc;

	memset(out, 0, sizeof(*out));
	if ((out->ca_name = strdup(ca->name)) == NULL)
		return pki_error_set(err, PKI_E_NOMEM, "out of memory");
	out->key_online = ca->key_online;
	rc = pki_ocsp_signer_get(s, ca->name, &out->signer, err);
	if (rc == PKI_E_NOTFOUND) {
		pki_error_clear(err);
		rc = PKI_OK;
	} else if (rc == PKI_OK) {
		out->has_signer = 1;
	}
	if (rc != PKI_OK)
		return rc;
	return pki_store_ocsp_response_summary(pki_state_store(s), ca->id,
					       &out->presigned,
					       &out->oldest_this_update,
					       &out->earliest_next_update, err);
}

int
pki_ocsp_status(struct pki_state *s, const char *ca_name,
		struct pki_ocsp_ca_status **out, size_t *n,
		struct pki_error *err)
{
	struct pki_ca_record *v = NULL;
	struct pki_ocsp_ca_status *o = NULL;
	size_t nv = 0, k = 0, i;
	int rc;

	*out = NULL;
	*n = 0;
	if ((rc = pki_store_ca_list(pki_state_store(s), &v, &nv, err)) != PKI_OK)
		return rc;
	if ((o = calloc(nv ? nv : 1, sizeof(*o))) == NULL) {
		rc = pki_error_set(err, PKI_E_NOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < nv; i++) {
		if (v[i].cert_der.size == 0 ||
		    (ca_name != NULL && strcmp(v[i].name, ca_name) != 0))
			continue;
		rc = status_one(s, &v[i], &o[k], err);
		k++;
		if (rc != PKI_OK)
			goto out;
	}
	if (ca_name != NULL && k == 0) {
		rc = pki_error_set(err, PKI_E_NOTFOUND, "no CA named '%s' with "
				   "a certificate", ca_name);
		goto out;
	}
	*out = o;
	*n = k;
	o = NULL;
	k = 0;
	rc = PKI_OK;
out:
	pki_ocsp_status_free(o, k);
	pki_ca_records_free(v, nv);
	return rc;
}
