/* ocsp-signer: a CA's delegated OCSP signer: issuing it, reading it, and
 * choosing who signs a response (ocsp.h, ocsp-int.h). */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gnutls/abstract.h>
#include <gnutls/x509.h>
#include <jansson.h>

#include <spork/ocsp.h>
#include "hierarchy-int.h"
#include "keystore.h"
#include "ocsp-int.h"
#include "store-write.h"
#include "tls-int.h"
#include "util.h"

void
pki__ocsp_signer_clear(struct pki__ocsp_signer *sg)
{
	if (sg == NULL)
		return;
	if (sg->crt != NULL)
		gnutls_x509_crt_deinit(sg->crt);
	if (sg->key != NULL)
		gnutls_privkey_deinit(sg->key);
	memset(sg, 0, sizeof(*sg));
}

void
pki_ocsp_signer_info_clear(struct pki_ocsp_signer_info *i)
{
	if (i == NULL)
		return;
	free(i->subject);
	free(i->serial);
	memset(i, 0, sizeof(*i));
}

/* The key type of the DER certificate der. */
static int
cert_alg(const gnutls_datum_t *der, gnutls_x509_crt_t *crt,
	 enum pki_key_alg *alg, struct pki_error *err)
{
	gnutls_pubkey_t pub = NULL;
	int ret, rc;

	if ((ret = gnutls_x509_crt_init(crt)) < 0 ||
	    (ret = gnutls_x509_crt_import(*crt, der, GNUTLS_X509_FMT_DER)) < 0 ||
	    (ret = gnutls_pubkey_init(&pub)) < 0 ||
	    (ret = gnutls_pubkey_import_x509(pub, *crt, 0)) < 0)
		rc = pki__gnutls_error(err, ret, "the OCSP signer's certificate");
	else
		rc = pki_key_alg_of_pubkey(pub, alg, err);
	gnutls_pubkey_deinit(pub);
	return rc;
}

/* Fill info from the signer's certificate row; *crt (may be NULL) gets
 * the parsed certificate. */
static int
info_fill(const struct pki_cert_record *r, int64_t now,
	  struct pki_ocsp_signer_info *i, gnutls_x509_crt_t *crt,
	  struct pki_error *err)
{
	gnutls_x509_crt_t c = NULL;
	int rc;

	memset(i, 0, sizeof(*i));
	if ((rc = cert_alg(&r->der, &c, &i->alg, err)) != PKI_OK)
		goto out;
	i->subject = strdup(r->subject ? r->subject : "");
	i->serial = strdup(r->serial ? r->serial : "");
	if (i->subject == NULL || i->serial == NULL) {
		rc = pki_error_set(err, PKI_E_NOMEM, "out of memory");
		goto out;
	}
	i->not_before = r->not_before;
	i->not_after = r->not_after;
	i->revoked = r->revoked;
	i->usable = !r->revoked && r->not_before <= now && now <= r->not_after;
	if (crt != NULL) {
		*crt = c;
		c = NULL;
	}
out:
	if (c != NULL)
		gnutls_x509_crt_deinit(c);
	if (rc != PKI_OK)
		pki_ocsp_signer_info_clear(i);
	return rc;
}

/* The signer row and certificate of CA ca_id; PKI_E_NOTFOUND without a
 * message when it has none. */
static int
signer_read(struct pki_state *s, int64_t ca_id, int64_t now,
	    struct pki_store_ocsp_signer *row, struct pki_ocsp_signer_info *i,
	    gnutls_x509_crt_t *crt, struct pki_error *err)
{
	struct pki_store *st = pki_state_store(s);
	struct pki_cert_record r;
	int rc;

	memset(&r, 0, sizeof(r));
	if ((rc = pki_store_ocsp_signer_get(st, ca_id, row, err)) != PKI_OK)
		return rc;
	if ((rc = pki_store_cert_get_id(st, row->cert_id, &r, err)) == PKI_OK)
		rc = info_fill(&r, now, i, crt, err);
	pki_cert_record_clear(&r);
	return rc;
}

int
pki_ocsp_signer_get(struct pki_state *s, const char *ca_name,
		    struct pki_ocsp_signer_info *out, struct pki_error *err)
{
	struct pki_ca_record ca;
	struct pki_store_ocsp_signer row;
	int rc;

	memset(&ca, 0, sizeof(ca));
	memset(&row, 0, sizeof(row));
	memset(out, 0, sizeof(*out));
	if ((rc = pki_store_ca_get(pki_state_store(s), ca_name, &ca, err)) !=
	    PKI_OK)
		goto out;
	rc = signer_read(s, ca.id, pki_state_now(s), &row, out, NULL, err);
	if (rc == PKI_E_NOTFOUND)
		pki_error_set(err, rc, "CA '%s' has no delegated OCSP signer",
			      ca_name);
out:
	pki_store_ocsp_signer_clear(&row);
	pki_ca_record_clear(&ca);
	return rc;
}

/* The CA's own certificate and key. */
static int
ca_signer(struct pki_state *s, const struct pki_ca_record *ca,
	  struct pki__ocsp_signer *out, struct pki_error *err)
{
	enum pki_key_alg alg;
	int ret, rc;

	if ((ret = gnutls_x509_crt_init(&out->crt)) < 0 ||
	    (ret = gnutls_x509_crt_import(out->crt, &ca->cert_der,
					  GNUTLS_X509_FMT_DER)) < 0)
		return pki__gnutls_error(err, ret, ca->name);
	if ((rc = pki_key_alg_from_name(ca->algorithm, &alg, err)) != PKI_OK)
		return rc;
	rc = pki_key_load(pki_state_keystore(s), ca->key_uri, alg, ca->name,
			  &out->key, err);
	if (rc != PKI_OK)
		pki_error_prefix(err, "the key of '%s'", ca->name);
	return rc;
}

int
pki__ocsp_signer_load(struct pki_state *s, const struct pki_ca_record *ca,
		      int64_t now, struct pki__ocsp_signer *out,
		      struct pki_error *err)
{
	struct pki_store_ocsp_signer row;
	struct pki_ocsp_signer_info info;
	char t[PKI_TIME_STRLEN], why[96];
	int rc;

	memset(out, 0, sizeof(*out));
	memset(&row, 0, sizeof(row));
	memset(&info, 0, sizeof(info));
	why[0] = '\0';
	rc = signer_read(s, ca->id, now, &row, &info, &out->crt, err);
	if (rc == PKI_OK && info.usable) {
		rc = pki_key_load(pki_state_keystore(s), row.key_uri, info.alg,
				  "the OCSP signer", &out->key, err);
		if (rc != PKI_OK)
			pki_error_prefix(err, "the OCSP signer of '%s'",
					 ca->name);
		out->delegated = 1;
		out->not_after = info.not_after;
		goto out;
	}
	if (rc != PKI_OK && rc != PKI_E_NOTFOUND)
		goto out;
	if (rc == PKI_OK) {
		/* passed over: the CA's own key answers, if it can */
		if (info.revoked) {
			snprintf(why, sizeof(why), "is revoked");
		} else if (now < info.not_before) {
			pki_time_format(info.not_before, t);
			snprintf(why, sizeof(why), "is not valid before %s", t);
		} else {
			pki_time_format(info.not_after, t);
			snprintf(why, sizeof(why), "expired on %s", t);
		}
		gnutls_x509_crt_deinit(out->crt);
		out->crt = NULL;
	}
	pki_error_clear(err);
	rc = ca_signer(s, ca, out, err);
	if (rc != PKI_OK && why[0] != '\0')
		pki_error_prefix(err, "the delegated OCSP signer of '%s' %s, "
				 "and", ca->name, why);
out:
	pki_ocsp_signer_info_clear(&info);
	pki_store_ocsp_signer_clear(&row);
	return rc;
}

/* Make the new signer the CA's, with its audit row, in one transaction. */
static int
signer_record(struct pki_state *s, const struct pki_ca_record *ca,
	      const struct pki_enroll_result *res, const char *uri,
	      const char *replaced, struct pki_error *err)
{
	struct pki_store *st = pki_state_store(s);
	struct pki_store_ocsp_signer row;
	char na[PKI_TIME_STRLEN], *detail = NULL;
	json_t *o;
	int rc;

	memset(&row, 0, sizeof(row));
	row.ca_id = ca->id;
	row.cert_id = res->rec.id;
	row.key_uri = (char *)uri;
	pki_time_format(res->rec.not_after, na);
	o = json_pack("{s:s, s:s, s:s}", "serial", res->rec.serial,
		      "not_after", na, "replaces", replaced ? replaced : "");
	if (o == NULL || (detail = json_dumps(o, JSON_SORT_KEYS |
					      JSON_COMPACT)) == NULL) {
		json_decref(o);
		return pki_error_set(err, PKI_E_NOMEM, "out of memory");
	}
	json_decref(o);
	if ((rc = pki_store_begin(st, err)) != PKI_OK)
		goto out;
	if ((rc = pki_store_ocsp_signer_set(st, &row, err)) != PKI_OK ||
	    (rc = pki_store_audit(st, NULL, "ocsp.signer", ca->name, detail,
				  err)) != PKI_OK ||
	    (rc = pki_store_commit(st, err)) != PKI_OK)
		pki_store_rollback(st);
out:
	free(detail);
	return rc;
}

int
pki_ocsp_signer_issue(const struct pki_enroll *e, const char *ca_name,
		      enum pki_key_alg alg, unsigned days,
		      struct pki_enroll_result *res, struct pki_error *err)
{
	struct pki_keystore *ks = pki_state_keystore(e->state);
	struct pki_enroll_request req;
	struct pki_ca_record ca;
	struct pki_store_ocsp_signer old;
	struct pki_ocsp_signer_info oldinfo;
	struct pki_error derr;
	gnutls_privkey_t key = NULL;
	gnutls_datum_t csr = { NULL, 0 };
	char *uri = NULL, *cn = NULL;
	int lockfd = -1, rc;

	memset(&req, 0, sizeof(req));
	memset(&ca, 0, sizeof(ca));
	memset(&old, 0, sizeof(old));
	memset(&oldinfo, 0, sizeof(oldinfo));
	memset(res, 0, sizeof(*res));
	pki_error_clear(&derr);
	if (ks == NULL)
		return pki_error_set(err, PKI_E_INVALID, "the state directory "
				     "is open read-only");
	if (ca_name == NULL)
		return pki_error_set(err, PKI_E_INVALID, "name the CA whose "
				     "OCSP signer to issue");
	if ((rc = pki_store_ca_get(pki_state_store(e->state), ca_name, &ca,
				   err)) != PKI_OK)
		goto out;
	rc = signer_read(e->state, ca.id, pki_state_now(e->state), &old,
			 &oldinfo, NULL, err);
	if (rc != PKI_OK && rc != PKI_E_NOTFOUND)
		goto out;
	if (asprintf(&cn, "OCSP Signer for %s", ca_name) < 0) {
		cn = NULL;
		rc = pki_error_set(err, PKI_E_NOMEM, "out of memory");
		goto out;
	}
	req.ca_name = ca_name;
	req.profile = "ocsp-signing";
	req.days = days;
	req.csr = &csr;
	req.cn = cn;
	/* a build prunes sealed keys nothing names: not this one while it
	 * is being made */
	if ((rc = pki__hier_lock(e->state, &lockfd, err)) != PKI_OK ||
	    (rc = pki_key_create(ks, alg, 1, NULL, "the OCSP signer", &uri,
				 &key, err)) != PKI_OK ||
	    (rc = pki__tls_csr_for(key, &csr, err)) != PKI_OK ||
	    (rc = pki_enroll_issue(e, &req, res, err)) != PKI_OK ||
	    (rc = signer_record(e->state, &ca, res, uri, oldinfo.serial,
				err)) != PKI_OK)
		goto fail;
	/* The old signer's key is named no more: the next build's clean-up
	 * removes it (a key store discards only what it sealed itself). */
	rc = PKI_OK;
	goto out;
fail:
	/* nothing names the new key (its certificate, if issued, is in the
	 * inventory and expires unused): it goes */
	if (uri != NULL)
		(void)pki_key_discard(ks, uri, &derr);
	if (res->der.data != NULL)
		pki_enroll_result_clear(res);
out:
	if (lockfd >= 0)
		close(lockfd);
	if (key != NULL)
		gnutls_privkey_deinit(key);
	gnutls_free(csr.data);
	free(uri);
	free(cn);
	pki_enroll_request_clear(&req);
	pki_store_ocsp_signer_clear(&old);
	pki_ocsp_signer_info_clear(&oldinfo);
	pki_ca_record_clear(&ca);
	return rc;
}
