/*
 * enroll-revoke: finding a certificate and revoking or unholding it (see
 * enroll.h); enroll.c issues and renews.
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/pkcs12.h>
#include <gnutls/x509.h>
#include <jansson.h>

#include <spork/crl.h>
#include "profile-int.h"
#include "keystore.h"
#include <spork/enroll.h>
#include <spork/state.h>
#include "issue.h"
#include <spork/name.h>
#include "store-write.h"
#include "util.h"

/* ------------------------------------------------------------ lookup */

int
pki_enroll_find(const struct pki_enroll *e, const char *serial,
		const char *ca_name, struct pki_cert_record *out,
		struct pki_error *err)
{
	struct pki_ca_record ca;
	char canon[2 * PKI_STORE_SERIAL_MAX + 1];
	int64_t id = 0;
	int rc;

	memset(&ca, 0, sizeof(ca));
	memset(out, 0, sizeof(*out));
	if (pki_store_serial_canon(serial, canon, sizeof(canon), NULL) != PKI_OK) {
		rc = pki_error_set(err, PKI_E_INVALID, "'%s' is not a serial "
				   "number (hex digits as openssl x509 -serial "
				   "prints them, ':' allowed)", serial);
		goto out;
	}
	if (ca_name != NULL) {
		if ((rc = pki_store_ca_find(pki_state_store(e->state), ca_name,
					      &ca, err)) != PKI_OK)
			goto out;
		id = ca.id;
	}
	rc = pki_store_cert_get(pki_state_store(e->state), id, canon, out, err);
	if (rc == PKI_E_NOTFOUND) {
		pki_error_set(err, rc, "no certificate with serial %s%s%s%s in "
			      "this state directory", canon,
			      ca_name ? " from CA '" : "",
			      ca_name ? ca_name : "", ca_name ? "'" : "");
		pki_error_hint(err, PKI_HINT_LIST_CERTS);
	} else if (rc == PKI_E_CONFLICT) {
		pki_error_prefix(err, "serial %s is ambiguous; name the CA",
				 canon);
		pki_error_hint(err, PKI_HINT_NAME_CA);
	}
out:
	pki_ca_record_clear(&ca);
	return rc;
}

/* ------------------------------------------------------------ revocation */

int
pki_enroll_reason_parse(const char *s, int *reason, struct pki_error *err)
{
	char names[256];
	size_t len = 0;
	int r = pki_crl_reason_parse(s), i;

	if (r == PKI_CRL_REASON_REMOVE_FROM_CRL) {
		pki_error_set(err, PKI_E_INVALID, "removeFromCRL is not a "
			      "revocation reason; a certificateHold is lifted "
			      "instead");
		return pki_error_hint(err, PKI_HINT_UNHOLD);
	}
	if (r < 0) {
		/* The reasons a revocation may give, from crl.c's table. */
		names[0] = '\0';
		for (i = 0; i < PKI_CRL_REASON__MAX; i++)
			if (pki_crl_reason_name(i) != NULL &&
			    i != PKI_CRL_REASON_REMOVE_FROM_CRL &&
			    len < sizeof(names))
				len += (size_t)snprintf(names + len,
							sizeof(names) - len,
							"%s%s", len ? ", " : "",
							pki_crl_reason_name(i));
		return pki_error_set(err, PKI_E_INVALID, "unknown revocation "
				     "reason '%s'; use one of %s", s ? s : "",
				     names);
	}
	*reason = r;
	return PKI_OK;
}

/*
 * A CA certificate is revoked (or released from hold) only by the
 * holder of its issuer's key: unseal it and sign a challenge that the
 * issuer certificate's public key verifies.
 */
static int
prove_issuer(const struct pki_enroll *e, const struct pki_cert_record *r,
	     char *issuer_name, size_t len, struct pki_error *err)
{
	struct pki_ca_record ca;
	gnutls_privkey_t key = NULL;
	gnutls_pubkey_t pub = NULL;
	gnutls_x509_crt_t crt = NULL;
	gnutls_datum_t sig = { NULL, 0 }, msg;
	unsigned char nonce[32];
	enum pki_key_alg alg;
	int ret, rc;

	memset(&ca, 0, sizeof(ca));
	if (r->issuer_ca_id == 0) {
		rc = pki_error_set(err, PKI_E_INVALID, "%s was issued by an "
				   "external CA; revoke it there", r->serial);
		goto out;
	}
	if ((rc = pki_store_ca_get_id(pki_state_store(e->state), r->issuer_ca_id, &ca, err)) != PKI_OK)
		goto out;
	snprintf(issuer_name, len, "%s", ca.name);
	if ((rc = pki_key_alg_from_name(ca.algorithm, &alg, err)) != PKI_OK)
		goto out;
	if ((rc = pki_key_load(pki_state_keystore(e->state), ca.key_uri, alg, ca.name, &key, err)) != PKI_OK) {
		pki_error_prefix(err, "revoking a CA certificate needs the key of "
				 "its issuer '%s'", ca.name);
		goto out;
	}
	if ((rc = pki__random(nonce, sizeof(nonce), err)) != PKI_OK)
		goto out;
	msg.data = nonce;
	msg.size = sizeof(nonce);
	if ((ret = gnutls_x509_crt_init(&crt)) < 0 ||
	    (ret = gnutls_x509_crt_import(crt, &ca.cert_der,
					  GNUTLS_X509_FMT_DER)) < 0 ||
	    (ret = gnutls_pubkey_init(&pub)) < 0 ||
	    (ret = gnutls_pubkey_import_x509(pub, crt, 0)) < 0 ||
	    (ret = gnutls_privkey_sign_data2(key, pki_key_alg_sign(alg), 0,
					     &msg, &sig)) < 0) {
		rc = pki__gnutls_error(err, ret, "signing with the key of CA");
		goto out;
	}
	if ((ret = gnutls_pubkey_verify_data2(pub, pki_key_alg_sign(alg), 0,
					      &msg, &sig)) < 0) {
		rc = pki_error_set(err, PKI_E_AUTH, "the key unsealed for CA "
				   "'%s' does not match its certificate",
				   ca.name);
		goto out;
	}
	rc = PKI_OK;
out:
	gnutls_free(sig.data);
	if (key != NULL)
		gnutls_privkey_deinit(key);
	if (pub != NULL)
		gnutls_pubkey_deinit(pub);
	if (crt != NULL)
		gnutls_x509_crt_deinit(crt);
	pki_ca_record_clear(&ca);
	return rc;
}

/* Commit a revocation change with its audit row; reload *out. */
static int
revocation_commit(const struct pki_enroll *e, struct pki_cert_record *r,
		  int unhold, int reason, int64_t revoked_at, int64_t inv,
		  const char *issuer_name, struct pki_cert_record *out,
		  struct pki_error *err)
{
	char t[32], *detail = NULL;
	json_t *o;
	int rc;

	o = json_pack("{s:s, s:s}", "subject", r->subject ? r->subject : "",
		      "ca", issuer_name);
	if (o != NULL && !unhold) {
		json_object_set_new(o, "reason",
				    json_string(pki_crl_reason_name(reason)));
		if (inv != 0) {
			pki_time_format(inv, t);
			json_object_set_new(o, "invalidity_date", json_string(t));
		}
		if (r->ca_id != 0)
			json_object_set_new(o, "ca_certificate", json_true());
	}
	if (o != NULL)
		detail = json_dumps(o, JSON_SORT_KEYS | JSON_COMPACT);
	json_decref(o);
	if (detail == NULL)
		return pki_error_set(err, PKI_E_NOMEM, "out of memory");
	if ((rc = pki_store_begin(pki_state_store(e->state), err)) != PKI_OK)
		goto out;
	rc = unhold ? pki_store_cert_unrevoke(pki_state_store(e->state), r->id, err)
		    : pki_store_cert_revoke(pki_state_store(e->state), r->id, reason, revoked_at,
					    inv, err);
	if (rc != PKI_OK ||
	    (rc = pki_store_audit(pki_state_store(e->state), e->requester, unhold ? "cert.unhold" :
				  "cert.revoke", r->serial, detail, err)) != PKI_OK ||
	    (rc = pki_store_commit(pki_state_store(e->state), err)) != PKI_OK) {
		pki_store_rollback(pki_state_store(e->state));
		goto out;
	}
	if (out != NULL)
		rc = pki_store_cert_get_id(pki_state_store(e->state), r->id, out, err);
out:
	free(detail);
	return rc;
}

static const char *
reason_str(int reason)
{
	const char *s = pki_crl_reason_name(reason);

	return s ? s : "unknown reason";
}

int
pki_enroll_revoke(const struct pki_enroll *e, const char *serial,
		  const char *ca_name, int reason, int64_t invalidity_date,
		  struct pki_cert_record *out, struct pki_error *err)
{
	struct pki_cert_record r;
	char t[32], issuer[256];
	int64_t now = pki_state_now(e->state);
	int rc;

	memset(&r, 0, sizeof(r));
	if (out != NULL)
		memset(out, 0, sizeof(*out));
	snprintf(issuer, sizeof(issuer), "%s", "");
	if (pki_crl_reason_name(reason) == NULL ||
	    reason == PKI_CRL_REASON_REMOVE_FROM_CRL) {
		rc = pki_error_set(err, PKI_E_INVALID, "%d is not a revocation "
				   "reason", reason);
		goto out;
	}
	if (invalidity_date != 0) {
		if (reason != PKI_CRL_REASON_KEY_COMPROMISE &&
		    reason != PKI_CRL_REASON_CA_COMPROMISE &&
		    reason != PKI_CRL_REASON_AA_COMPROMISE) {
			rc = pki_error_set(err, PKI_E_INVALID, "an invalidity "
					   "date goes with keyCompromise (or "
					   "cACompromise, aACompromise), not "
					   "with %s", reason_str(reason));
			goto out;
		}
		if (invalidity_date > now) {
			pki_time_format(invalidity_date, t);
			rc = pki_error_set(err, PKI_E_INVALID, "the invalidity "
					   "date %s is in the future; it is "
					   "when the key is known or suspected "
					   "to have been compromised", t);
			goto out;
		}
	}
	if ((rc = pki_enroll_find(e, serial, ca_name, &r, err)) != PKI_OK)
		goto out;
	if (r.revoked) {
		pki_time_format(r.revoked_at, t);
		rc = pki_error_set(err, PKI_E_EXISTS, "%s is already revoked "
				   "(%s, since %s)%s", r.serial,
				   reason_str(r.reason), t,
				   r.reason == PKI_CRL_REASON_CERTIFICATE_HOLD ?
				   "; lift the hold first to revoke it for "
				   "another reason" : "");
		if (r.reason == PKI_CRL_REASON_CERTIFICATE_HOLD)
			pki_error_hint(err, PKI_HINT_UNHOLD);
		goto out;
	}
	if (r.ca_id != 0) {
		if ((rc = prove_issuer(e, &r, issuer, sizeof(issuer), err)) != PKI_OK)
			goto out;
	} else if (r.issuer_name != NULL) {
		snprintf(issuer, sizeof(issuer), "%s", r.issuer_name);
	}
	rc = revocation_commit(e, &r, 0, reason, now, invalidity_date, issuer,
			       out, err);
out:
	if (rc != PKI_OK)
		(void)pki_store_refusal(pki_state_store(e->state), e->requester,
					"cert.revoke", serial, err);
	pki_cert_record_clear(&r);
	return rc;
}

int
pki_enroll_unhold(const struct pki_enroll *e, const char *serial,
		  const char *ca_name, struct pki_cert_record *out,
		  struct pki_error *err)
{
	struct pki_cert_record r;
	char issuer[256];
	int rc;

	memset(&r, 0, sizeof(r));
	if (out != NULL)
		memset(out, 0, sizeof(*out));
	issuer[0] = '\0';
	if ((rc = pki_enroll_find(e, serial, ca_name, &r, err)) != PKI_OK)
		goto out;
	if (!r.revoked) {
		rc = pki_error_set(err, PKI_E_INVALID, "%s is not revoked or on "
				   "hold; there is nothing to lift", r.serial);
		goto out;
	}
	if (r.reason != PKI_CRL_REASON_CERTIFICATE_HOLD) {
		rc = pki_error_set(err, PKI_E_INVALID, "%s is revoked for %s, "
				   "which is final; only a certificateHold can "
				   "be lifted", r.serial, reason_str(r.reason));
		goto out;
	}
	if (r.ca_id != 0) {
		if ((rc = prove_issuer(e, &r, issuer, sizeof(issuer), err)) != PKI_OK)
			goto out;
	} else if (r.issuer_name != NULL) {
		snprintf(issuer, sizeof(issuer), "%s", r.issuer_name);
	}
	rc = revocation_commit(e, &r, 1, 0, 0, 0, issuer, out, err);
out:
	if (rc != PKI_OK)
		(void)pki_store_refusal(pki_state_store(e->state), e->requester,
					"cert.unhold", serial, err);
	pki_cert_record_clear(&r);
	return rc;
}
