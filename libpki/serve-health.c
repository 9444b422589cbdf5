/* serve-health: GET /health, what a load balancer or monitor asks
 * (serve.h).  Healthy means: the database answers and passes the cheap
 * integrity check issuance runs, every active CA is
 * within its validity, its newest full CRL has not passed its
 * nextUpdate, and every online CA key unseals. */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/abstract.h>
#include <jansson.h>

#include <spork/store.h>
#include "keystore.h"
#include "store-write.h"
#include "serve-int.h"

/* One CA's entry; *ok cleared when something about it is wrong. */
static json_t *
ca_health(struct pki_state *s, const struct pki_ca_record *r, int *ok)
{
	struct pki_crl_record c;
	struct pki_error err;
	gnutls_privkey_t key = NULL;
	enum pki_key_alg alg;
	char t[PKI_TIME_STRLEN];
	int64_t now = pki_state_now(s);
	int valid = r->not_before <= now && now < r->not_after, unseals;
	json_t *o;

	pki_time_format(r->not_after, t);
	o = json_pack("{s:s, s:s, s:b, s:s}", "name", r->name, "status",
		      r->status == PKI_CA_ACTIVE ? "active" : "revoked",
		      "valid", valid, "not_after", t);
	if (o == NULL)
		return NULL;
	if (!valid)
		*ok = 0;
	memset(&c, 0, sizeof(c));
	if (pki_store_crl_latest(pki_state_store(s), r->id, PKI_STORE_CRL_FULL,
				 &c, &err) == PKI_OK) {
		pki_time_format(c.next_update, t);
		json_object_set_new(o, "crl", json_pack("{s:I, s:s, s:b}",
			"number", (json_int_t)c.crl_number, "next_update", t,
			"fresh", c.next_update > now));
		if (c.next_update <= now)
			*ok = 0;
		pki_crl_record_clear(&c);
	} else {
		/* never generated, or unreadable: not fresh */
		json_object_set_new(o, "crl", json_null());
		*ok = 0;
	}
	if (r->key_online) {
		unseals = pki_key_alg_from_name(r->algorithm, &alg, &err) ==
			PKI_OK &&
			pki_key_load(pki_state_keystore(s), r->key_uri, alg,
				     r->name, &key, &err) == PKI_OK;
		if (key != NULL)
			gnutls_privkey_deinit(key);
		json_object_set_new(o, "key_unseals", json_boolean(unseals));
		if (!unseals)
			*ok = 0;
	}
	return o;
}

int
pki__serve_health(struct pki_state *s, const struct pki_http_request *req,
		  struct pki_response *resp, struct pki_error *err)
{
	struct pki_ca_record *v = NULL;
	size_t n = 0, i;
	json_t *o = NULL, *cas, *e;
	char *text = NULL, *body = NULL;
	int ok = 1, db, intact, rc = PKI_E_NOMEM;

	resp->module = "health";
	if (req->method != PKI_HTTP_GET && req->method != PKI_HTTP_HEAD)
		return pki__resp_not_allowed(resp, 0);
	db = pki_store_ca_list(pki_state_store(s), &v, &n, err) == PKI_OK;
	/* the cheap check issuance runs: the CA, revocation and audit-head
	 * pages and the chain's head (store-write.h) */
	intact = db && pki_store_check_issue(pki_state_store(s), err) ==
		PKI_OK;
	if ((o = json_pack("{s:b, s:b}", "database", db, "intact", intact)) ==
	    NULL || (cas = json_array()) == NULL)
		goto out;
	json_object_set_new(o, "cas", cas);
	ok = db && intact;
	for (i = 0; i < n; i++) {
		/* pending subordinates and revoked CAs sign nothing */
		if (v[i].cert_der.size == 0 || v[i].status != PKI_CA_ACTIVE)
			continue;
		if ((e = ca_health(s, &v[i], &ok)) == NULL)
			goto out;
		json_array_append_new(cas, e);
	}
	json_object_set_new(o, "status", json_string(ok ? "ok" : "fail"));
	if ((body = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER)) ==
	    NULL || asprintf(&text, "%s\n", body) < 0) {
		text = NULL;
		goto out;
	}
	snprintf(resp->note, sizeof(resp->note), "%s", ok ? "ok" : "fail");
	if ((rc = pki__resp_body(resp, ok ? 200 : 503, "application/json",
				 text, strlen(text))) == PKI_OK)
		rc = pki__resp_header(resp, "Cache-Control: no-store");
out:
	free(body);
	free(text);
	json_decref(o);
	pki_ca_records_free(v, n);
	return rc;
}
