/* ocsp-respond: answering an OCSP request from the store (ocsp-int.h). */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/gnutls.h>
#include <gnutls/crypto.h>
#include <gnutls/x509.h>
#include <libtasn1.h>

#include <spork/state.h>
#include <spork/store.h>
#include "ocsp-int.h"
#include "store-write.h"
#include "util.h"

static const gnutls_digest_algorithm_t digests[PKI_OCSP_HASH__MAX] = {
	[PKI_OCSP_SHA1] = GNUTLS_DIG_SHA1,
	[PKI_OCSP_SHA256] = GNUTLS_DIG_SHA256,
	[PKI_OCSP_SHA384] = GNUTLS_DIG_SHA384,
	[PKI_OCSP_SHA512] = GNUTLS_DIG_SHA512,
};

/* A CA the store holds, with what CertIDs name it by. */
struct issuer {
	struct pki_ca_record rec;
	gnutls_x509_crt_t crt;
	gnutls_datum_t dn;              /* subject DER */
	gnutls_datum_t key_bits;        /* subjectPublicKey BIT STRING value */
	unsigned char name_hash[PKI_OCSP_HASH__MAX][64];
	unsigned char key_hash[PKI_OCSP_HASH__MAX][64];
};

struct responder {
	struct pki_state *state;
	struct issuer *v;
	size_t n;
};

/* Load every CA with a certificate, and the hashes CertIDs use. */
static int
load_issuers(struct responder *R, struct pki_error *err)
{
	struct pki_ca_record *v = NULL;
	size_t n = 0, i;
	int h, ret, rc;

	if ((rc = pki_store_ca_list(pki_state_store(R->state), &v, &n,
				    err)) != PKI_OK)
		return rc;
	if ((R->v = calloc(n ? n : 1, sizeof(*R->v))) == NULL) {
		pki_ca_records_free(v, n);
		return pki_error_set(err, PKI_E_NOMEM, "out of memory");
	}
	for (i = 0; i < n; i++) {
		struct issuer *is = &R->v[R->n];

		if (v[i].cert_der.size == 0)
			continue;
		is->rec = v[i];
		memset(&v[i], 0, sizeof(v[i]));
		R->n++;
		if ((ret = gnutls_x509_crt_init(&is->crt)) < 0 ||
		    (ret = gnutls_x509_crt_import(is->crt, &is->rec.cert_der,
						  GNUTLS_X509_FMT_DER)) < 0 ||
		    (ret = gnutls_x509_crt_get_raw_dn(is->crt, &is->dn)) < 0) {
			rc = pki__gnutls_error(err, ret, is->rec.name);
			goto out;
		}
		if ((rc = pki__ocsp_key_bits(&is->rec.cert_der, &is->key_bits, err)))
			goto out;
		for (h = 0; h < PKI_OCSP_HASH__MAX; h++)
			if ((ret = gnutls_hash_fast(digests[h], is->dn.data,
						    is->dn.size,
						    is->name_hash[h])) < 0 ||
			    (ret = gnutls_hash_fast(digests[h],
						    is->key_bits.data,
						    is->key_bits.size,
						    is->key_hash[h])) < 0) {
				rc = pki__gnutls_error(err, ret, "hashing");
				goto out;
			}
	}
	rc = PKI_OK;
out:
	pki_ca_records_free(v, n);
	return rc;
}

static void
free_issuers(struct responder *R)
{
	size_t i;

	for (i = 0; i < R->n; i++) {
		pki_ca_record_clear(&R->v[i].rec);
		if (R->v[i].crt != NULL)
			gnutls_x509_crt_deinit(R->v[i].crt);
		gnutls_free(R->v[i].dn.data);
		gnutls_free(R->v[i].key_bits.data);
	}
	free(R->v);
}

static struct issuer *
find_issuer(struct responder *R, const struct pki_ocsp_certid *id)
{
	size_t i;

	for (i = 0; i < R->n; i++)
		if (memcmp(R->v[i].name_hash[id->hash], id->name_hash,
			   id->hash_len) == 0 &&
		    memcmp(R->v[i].key_hash[id->hash], id->key_hash,
			   id->hash_len) == 0)
			return &R->v[i];
	return NULL;
}

/* The status of the certificate id names, issued by is. */
static int
status_of(struct responder *R, const struct issuer *is,
	  const struct pki_ocsp_certid *id, struct pki_ocsp_single *s,
	  struct pki_error *err)
{
	struct pki_cert_record r;
	char hex[2 * PKI_OCSP_SERIAL_MAX + 1];
	int rc;

	memset(&r, 0, sizeof(r));
	pki__hex(id->serial, id->serial_len, hex);
	rc = pki_store_cert_get(pki_state_store(R->state), is->rec.id, hex, &r,
				err);
	if (rc == PKI_E_NOTFOUND) {
		s->status = PKI_OCSP_UNKNOWN;
		return PKI_OK;
	}
	if (rc != PKI_OK)
		return rc;
	if (r.revoked) {
		s->status = PKI_OCSP_REVOKED;
		s->revocation_time = r.revoked_at;
		s->reason = r.reason;
	} else {
		s->status = PKI_OCSP_GOOD;
	}
	pki_cert_record_clear(&r);
	return PKI_OK;
}

/* Keep why a response was not successful, cut to fit. */
static void
why_set(struct pki_ocsp_answer *answer, const char *msg)
{
	size_t n = strlen(msg);

	if (n >= sizeof(answer->why))
		n = sizeof(answer->why) - 1;
	memcpy(answer->why, msg, n);
	answer->why[n] = '\0';
}

/* A stored response that answers the one CertID id (whose current
 * status is cur) as it was asked, while it is fresh (ocsp-int.h), into
 * *resp; resp->data stays NULL when there is none. */
static int
presigned(struct responder *R, const struct issuer *is,
	  const struct pki_ocsp_single *cur, int64_t now, gnutls_datum_t *resp,
	  struct pki_ocsp_answer *answer, struct pki_error *err)
{
	struct pki_store_ocsp_response row;
	struct pki_ocsp_request q;
	struct pki_error perr;
	char hex[2 * PKI_OCSP_SERIAL_MAX + 1], canon[2 * PKI_STORE_SERIAL_MAX + 1];
	const struct pki_ocsp_certid *id = cur->id;
	int rc;

	memset(&row, 0, sizeof(row));
	pki_error_clear(&perr);
	pki__hex(id->serial, id->serial_len, hex);
	if (pki_store_serial_canon(hex, canon, sizeof(canon), &perr) != PKI_OK)
		return PKI_OK;
	rc = pki_store_ocsp_response_get(pki_state_store(R->state), is->rec.id,
					 canon, &row, err);
	if (rc == PKI_E_NOTFOUND)
		return PKI_OK;
	if (rc != PKI_OK)
		return rc;
	/* the CertID as the client spelt it must be the one answered */
	if (pki_ocsp_request_parse(row.request.data, row.request.size, &q,
				   &perr) != PKI_OK || q.n != 1 ||
	    q.ids[0].der_len != id->der_len ||
	    memcmp(q.ids[0].der, id->der, id->der_len) != 0 ||
	    !pki__ocsp_presigned_fresh(&row, cur, now))
		goto out;
	*resp = row.der;
	row.der.data = NULL;
	row.der.size = 0;
	answer->presigned = 1;
	answer->this_update = row.this_update;
	answer->next_update = row.next_update;
out:
	pki_store_ocsp_response_clear(&row);
	return PKI_OK;
}

int
pki_ocsp_respond(struct pki_state *state, const unsigned char *der,
		 size_t len, const struct pki_ocsp_respond_opts *o,
		 gnutls_datum_t *resp, struct pki_ocsp_answer *answer,
		 struct pki_error *err)
{
	struct responder R;
	struct pki_ocsp_request req;
	struct pki_ocsp_single s[PKI_OCSP_MAX_IDS];
	struct pki_ocsp_response_params p;
	struct issuer *is = NULL, *first = NULL;
	struct pki__ocsp_signer sg;
	struct pki_error perr;
	int64_t now = pki_state_now(state);
	size_t i;
	int rc;

	memset(&R, 0, sizeof(R));
	memset(&sg, 0, sizeof(sg));
	memset(answer, 0, sizeof(*answer));
	R.state = state;
	resp->data = NULL;
	resp->size = 0;
	pki_error_clear(&perr);
	if ((rc = pki_ocsp_request_parse(der, len, &req, &perr)) != PKI_OK) {
		answer->response_status = 1;
		why_set(answer, perr.msg);
		rc = pki_ocsp_response_error(1, resp, err);
		goto out;
	}
	if ((rc = load_issuers(&R, err)) != PKI_OK)
		goto internal;
	memset(s, 0, sizeof(s));
	for (i = 0; i < req.n; i++) {
		is = find_issuer(&R, &req.ids[i]);
		/* One response, one signer: every CertID names the same CA. */
		if (is == NULL || (first != NULL && is != first)) {
			answer->response_status = 6;
			why_set(answer, is == NULL ? "an issuer this responder "
				"does not serve" : "CertIDs of several issuers");
			rc = pki_ocsp_response_error(6, resp, err);
			goto out;
		}
		first = is;
		s[i].id = &req.ids[i];
		s[i].this_update = now;
		s[i].next_update = now + (o != NULL && o->validity > 0 ?
					  o->validity : 3600);
		if ((rc = status_of(&R, is, &req.ids[i], &s[i], err)) != PKI_OK)
			goto internal;
		answer->status[i] = s[i].status;
	}
	answer->n = req.n;
	answer->ca_id = first->rec.id;
	/* a request any client could have sent gets the stored answer */
	if (req.n == 1 && !req.has_nonce && req.ids[0].hash == PKI_OCSP_SHA1) {
		if ((rc = presigned(&R, first, &s[0], now, resp, answer,
				    err)) != PKI_OK)
			goto internal;
		if (resp->data != NULL)
			goto out;
	}
	if ((rc = pki__ocsp_signer_load(state, &first->rec, now, &sg, err)) !=
	    PKI_OK)
		goto internal;
	/* no answer outlives the certificate that vouches for it */
	for (i = 0; sg.delegated && i < req.n; i++)
		if (s[i].next_update > sg.not_after)
			s[i].next_update = sg.not_after;
	answer->delegated = sg.delegated;
	answer->this_update = now;
	answer->next_update = s[0].next_update;
	memset(&p, 0, sizeof(p));
	p.signer = sg.crt;
	p.key = sg.key;
	p.include_signer = sg.delegated;
	p.produced_at = now;
	p.singles = s;
	p.n = req.n;
	if (req.has_nonce) {
		answer->nonce = 1;
		p.nonce = req.nonce;
		p.nonce_len = req.nonce_len;
	}
	if ((rc = pki_ocsp_response_build(&p, resp, err)) != PKI_OK)
		goto internal;
	goto out;
internal:
	/* The client gets internalError; the caller sees why (err). */
	answer->response_status = 2;
	why_set(answer, err->msg);
	perr = *err;
	if (pki_ocsp_response_error(2, resp, err) == PKI_OK)
		*err = perr;
	rc = PKI_OK;
out:
	pki__ocsp_signer_clear(&sg);
	free_issuers(&R);
	return rc;
}
