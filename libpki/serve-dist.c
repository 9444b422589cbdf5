/* serve-dist: CA certificates and CRLs over HTTP from the store, at
 * /ca/<slug>.crt, /crl/<slug>.crl, /crl/<slug>-delta.crl, a sharded
 * CA's /crl/<slug>-<n>.crl and at the paths of the URLs each CA
 * publishes, its shards' included (serve.h, crl-shard.h). */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include <spork/store.h>
#include "serve-int.h"
#include "crl-shard.h"

enum what { NONE, CERT, FULL, DELTA, SHARD };

/* Whether path equals the path of one of the URLs in config[key], or,
 * with shard, of that shard's URL derived from it. */
static int
url_path_is(const json_t *config, const char *key, unsigned shard,
	    const char *path)
{
	const json_t *v;
	const char *p;
	char *u;
	size_t i, n;
	int hit;

	json_array_foreach(json_object_get(config, key), i, v) {
		if (!json_is_string(v) ||
		    (u = pki__crl_shard_url(json_string_value(v), shard)) == NULL)
			continue;
		hit = (p = pki__url_path(u, &n)) != NULL &&
		      strlen(path) == n && strncmp(p, path, n) == 0;
		free(u);
		if (hit)
			return 1;
	}
	return 0;
}

/* The shard 1..shards whose CRL path is: /crl/<slug>-<n>.crl (rest is
 * what follows "/crl/<slug>"), or a shard URL of crl_urls; 0 if none. */
static unsigned
shard_of_path(const json_t *config, unsigned shards, const char *rest,
	      const char *path)
{
	char tail[16];
	unsigned k;

	for (k = 1; k <= shards; k++) {
		snprintf(tail, sizeof(tail), "-%u.crl", k);
		if ((rest != NULL && strcmp(rest, tail) == 0) ||
		    url_path_is(config, "crl_urls", k, path))
			return k;
	}
	return 0;
}

/* What of CA r the path names, among what modules serve; *shard for
 * SHARD. */
static enum what
match(const struct pki_ca_record *r, unsigned modules, const char *path,
      unsigned *shard)
{
	char *slug = pki_state_slug(r->name);
	json_t *config = r->config_json ?
		json_loads(r->config_json, 0, NULL) : NULL;
	enum what w = NONE;
	size_t n = slug ? strlen(slug) : 0;

	if (slug == NULL)
		goto out;
	if ((modules & PKI_SERVE_CA) &&
	    ((strncmp(path, "/ca/", 4) == 0 && strncmp(path + 4, slug, n) == 0
	      && strcmp(path + 4 + n, ".crt") == 0) ||
	     url_path_is(config, "ca_issuers_urls", 0, path)))
		w = CERT;
	else if ((modules & PKI_SERVE_CRL) && strncmp(path, "/crl/", 5) == 0 &&
		 strncmp(path + 5, slug, n) == 0)
		w = strcmp(path + 5 + n, ".crl") == 0 ? FULL :
			strcmp(path + 5 + n, "-delta.crl") == 0 ? DELTA : NONE;
	if (w == NONE && (modules & PKI_SERVE_CRL))
		w = url_path_is(config, "crl_urls", 0, path) ? FULL :
			url_path_is(config, "delta_crl_urls", 0, path) ? DELTA :
			NONE;
	if (w == NONE && (modules & PKI_SERVE_CRL) &&
	    (*shard = shard_of_path(config, pki__crl_shards(r->config_json),
				    strncmp(path, "/crl/", 5) == 0 &&
				    strncmp(path + 5, slug, n) == 0 ?
				    path + 5 + n : NULL, path)) > 0)
		w = SHARD;
out:
	json_decref(config);
	free(slug);
	return w;
}

static int
serve_cert(const struct pki_ca_record *r, struct pki_response *resp)
{
	int rc;

	resp->module = "ca";
	if ((rc = pki__resp_body(resp, 200, "application/pkix-cert",
				 r->cert_der.data, r->cert_der.size)) ||
	    (rc = pki__resp_validators(resp, r->not_before)))
		return rc;
	/* A CA certificate does not change under its name: a day. */
	return pki__resp_header(resp, "Cache-Control: max-age=86400, public");
}

static int
serve_crl(struct pki_state *s, const struct pki_ca_record *r, int delta,
	  unsigned shard, struct pki_response *resp, struct pki_error *err)
{
	struct pki_crl_record c;
	char date[PKI_HTTP_DATE_LEN];
	int64_t now = pki_state_now(s), age;
	int rc;

	resp->module = "crl";
	memset(&c, 0, sizeof(c));
	if (shard > 0)
		rc = pki_store_crl_latest_shard(pki_state_store(s), r->id,
						shard, &c, err);
	else
		rc = pki_store_crl_latest(pki_state_store(s), r->id, delta ?
					  PKI_STORE_CRL_DELTA :
					  PKI_STORE_CRL_FULL, &c, err);
	if (rc == PKI_E_NOTFOUND) {
		snprintf(resp->note, sizeof(resp->note), "no CRL yet");
		return pki__resp_text(resp, 404, NULL);
	}
	if (rc != PKI_OK) {
		snprintf(resp->note, sizeof(resp->note), "store");
		return pki__resp_text(resp, 500, NULL);
	}
	if ((rc = pki__resp_body(resp, 200, "application/pkix-crl", c.der.data,
				 c.der.size)) ||
	    (rc = pki__resp_validators(resp, c.this_update)))
		goto out;
	pki_http_date(c.next_update, date);
	if ((rc = pki__resp_header(resp, "Expires: %s", date)))
		goto out;
	/* Cached until nextUpdate at most; a newer CRL may come sooner,
	 * so not longer than an hour either. */
	age = c.next_update - now;
	age = age < 0 ? 0 : age > 3600 ? 3600 : age;
	rc = pki__resp_header(resp, "Cache-Control: max-age=%lld, public",
			      (long long)age);
	snprintf(resp->note, sizeof(resp->note), "#%lld",
		 (long long)c.crl_number);
out:
	pki_crl_record_clear(&c);
	return rc;
}

int
pki__serve_dist(struct pki_state *s, unsigned modules,
		const struct pki_http_request *req, struct pki_response *resp,
		struct pki_error *err)
{
	struct pki_ca_record *v = NULL;
	size_t n = 0, i;
	enum what w = NONE;
	unsigned shard = 0;
	int rc;

	if (pki_store_ca_list(pki_state_store(s), &v, &n, err) != PKI_OK) {
		resp->module = "dist";
		snprintf(resp->note, sizeof(resp->note), "store");
		return pki__resp_text(resp, 500, NULL);
	}
	for (i = 0; i < n && w == NONE; i++)
		if (v[i].cert_der.size > 0)
			w = match(&v[i], modules, req->path, &shard);
	if (w == NONE)
		rc = PKI_E_NOTFOUND;
	else if (req->method != PKI_HTTP_GET && req->method != PKI_HTTP_HEAD) {
		resp->module = w == CERT ? "ca" : "crl";
		rc = pki__resp_not_allowed(resp, 0);
	}
	else if (w == CERT)
		rc = serve_cert(&v[i - 1], resp);
	else
		rc = serve_crl(s, &v[i - 1], w == DELTA, shard, resp, err);
	pki_ca_records_free(v, n);
	return rc;
}
