/* crlgen: a CA's revocations from the store -> a signed, recorded CRL. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <jansson.h>

#include "crl.h"
#include "crlgen.h"
#include "hierarchy.h"
#include "util.h"

void
pki_crlgen_result_clear(struct pki_crlgen_result *r)
{
	if (r == NULL)
		return;
	free(r->idp_url);
	free(r->der_path);
	free(r->pem_path);
	memset(r, 0, sizeof(*r));
}

char *
pki_crlgen_path(const char *state_dir, const char *ca_name, int delta, int pem)
{
	char *slug = pki_hier_slug(ca_name), *p = NULL;

	if (slug != NULL && asprintf(&p, "%s/ca/%s%s.crl%s", state_dir, slug,
				     delta ? "-delta" : "", pem ? ".pem" : "") < 0)
		p = NULL;
	free(slug);
	return p;
}

/* First string of config_json[key], or NULL (caller frees). */
static char *
first_url(const char *config_json, const char *key)
{
	json_t *o = config_json ? json_loads(config_json, 0, NULL) : NULL;
	json_t *v = o ? json_array_get(json_object_get(o, key), 0) : NULL;
	char *s = json_is_string(v) ? strdup(json_string_value(v)) : NULL;

	json_decref(o);
	return s;
}

struct feed {
	struct pki_revocation_cursor *cur;
	struct pki_error *err;
	int64_t count;
};

/* Adapter: store cursor -> CRL builder entries. */
static int
feed_next(void *ctx, struct pki_crl_entry *e)
{
	struct feed *f = ctx;
	struct pki_revocation r;
	int ret = pki_store_revocations_next(f->cur, &r, f->err);

	if (ret <= 0)
		return ret;
	e->serial = r.serial;
	e->serial_len = r.serial_len;
	e->revocation_time = r.revocation_time;
	e->reason = r.remove_from_crl ? PKI_CRL_REASON_REMOVE_FROM_CRL : r.reason;
	e->invalidity_date = r.invalidity_date;
	e->remove_from_crl = r.remove_from_crl;
	f->count++;
	return 1;
}

static int
write_files(const struct pki_crlgen_result *res, const gnutls_datum_t *der,
	    struct pki_error *err)
{
	gnutls_datum_t pem = { NULL, 0 };
	int ret, rc;

	if ((rc = pki__file_write(res->der_path, der->data, der->size, 0644, 0,
				  err)) != PKI_OK)
		return rc;
	if ((ret = gnutls_pem_base64_encode2("X509 CRL", der, &pem)) < 0)
		return pki__gnutls_error(err, ret, "CRL to PEM");
	rc = pki__file_write(res->pem_path, pem.data, pem.size, 0644, 0, err);
	gnutls_free(pem.data);
	return rc;
}

int
pki_crlgen_generate(struct pki_store *st, struct pki_keystore *ks,
		    const char *state_dir, const char *ca_name,
		    const struct pki_crlgen_opts *opts,
		    struct pki_crlgen_result *res, struct pki_error *err)
{
	struct pki_ca_record ca;
	struct pki_crl_record base, rec;
	struct pki_crl_params p;
	struct feed f;
	gnutls_x509_crt_t crt = NULL;
	gnutls_privkey_t key = NULL;
	gnutls_datum_t der = { NULL, 0 };
	enum pki_key_alg alg;
	char *freshest = NULL, *detail = NULL, *dir = NULL;
	int delta = opts != NULL && opts->delta, in_txn = 0, ret, rc;
	int lockfd = -1;
	int64_t number = 0;

	memset(&ca, 0, sizeof(ca));
	memset(&base, 0, sizeof(base));
	memset(&rec, 0, sizeof(rec));
	memset(res, 0, sizeof(*res));
	memset(&f, 0, sizeof(f));
	f.err = err;
	if ((rc = pki_store_ca_get(st, ca_name, &ca, err)) != PKI_OK)
		goto out;
	if (ca.status != PKI_CA_ACTIVE || ca.cert_der.size == 0) {
		rc = pki_error_set(err, PKI_E_INVALID, "CA '%s' is %s; only an "
				   "active CA publishes CRLs", ca_name,
				   ca.status == PKI_CA_PENDING ? "waiting for its "
				   "certificate" : "revoked");
		goto out;
	}
	if ((ret = gnutls_x509_crt_init(&crt)) < 0 ||
	    (ret = gnutls_x509_crt_import(crt, &ca.cert_der, GNUTLS_X509_FMT_DER)) < 0) {
		rc = pki__gnutls_error(err, ret, "CA certificate");
		goto out;
	}
	if ((rc = pki_key_alg_from_name(ca.algorithm, &alg, err)) != PKI_OK)
		goto out;
	if ((rc = pki_key_load(ks, ca.key_uri, alg, ca.name, &key, err)) != PKI_OK) {
		pki_error_prefix(err, "unsealing the key of '%s'", ca.name);
		goto out;
	}

	memset(&p, 0, sizeof(p));
	p.this_update = opts != NULL && opts->now ? opts->now : pki_now();
	p.next_update = p.this_update + (opts != NULL && opts->validity > 0 ?
		opts->validity : delta ? PKI_CRLGEN_DELTA_VALIDITY :
		PKI_CRLGEN_FULL_VALIDITY);
	if (p.next_update > ca.not_after)
		p.next_update = ca.not_after;
	if (p.next_update <= p.this_update) {
		rc = pki_error_set(err, PKI_E_INVALID, "CA '%s' expires before "
				   "the CRL's nextUpdate could be after its "
				   "thisUpdate", ca.name);
		goto out;
	}
	res->idp_url = first_url(ca.config_json, "crl_urls");
	p.idp_url = res->idp_url;
	if (!delta)
		p.freshest_url = freshest = first_url(ca.config_json,
						      "delta_crl_urls");
	res->der_path = pki_crlgen_path(state_dir, ca.name, delta, 0);
	res->pem_path = pki_crlgen_path(state_dir, ca.name, delta, 1);
	if (res->der_path == NULL || res->pem_path == NULL ||
	    asprintf(&dir, "%s/ca", state_dir) < 0) {
		dir = NULL;
		rc = pki_error_set(err, PKI_E_NOMEM, "out of memory");
		goto out;
	}
	if ((rc = pki__mkdirs(dir, 0755, err)) != PKI_OK)
		goto out;
	/*
	 * One generation per CA at a time, from numbering to publishing: two
	 * runs that interleaved could otherwise publish the older CRL last
	 * and hide the newer one's revocations.
	 */
	{
		char *lp = NULL;

		if (asprintf(&lp, "%s.lock", res->der_path) < 0) {
			rc = pki_error_set(err, PKI_E_NOMEM, "out of memory");
			goto out;
		}
		lockfd = open(lp, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (lockfd < 0 || flock(lockfd, LOCK_EX) != 0) {
			rc = pki_error_set(err, PKI_E_IO, "cannot lock %s: %s", lp,
					   strerror(errno));
			free(lp);
			goto out;
		}
		free(lp);
	}

	/* One transaction: number, entries, record, audit. */
	if ((rc = pki_store_begin(st, err)) != PKI_OK)
		goto out;
	in_txn = 1;
	if (delta) {
		rc = pki_store_crl_latest(st, ca.id, PKI_STORE_CRL_FULL, &base, err);
		if (rc == PKI_E_NOTFOUND) {
			rc = pki_error_set(err, PKI_E_NOTFOUND, "CA '%s' has no "
					   "full CRL for a delta to build on; run "
					   "spork crl generate --ca '%s' first",
					   ca.name, ca.name);
			goto out;
		}
		if (rc != PKI_OK)
			goto out;
		p.is_delta = 1;
		p.base_crl_number = (uint64_t)base.crl_number;
	}
	if ((rc = pki_store_crl_next_number(st, ca.id, &number, err)) != PKI_OK)
		goto out;
	p.crl_number = (uint64_t)number;
	if ((rc = pki_store_revocations_open(st, ca.id, delta ? base.crl_number : 0,
					     &f.cur, err)) != PKI_OK)
		goto out;
	rc = pki_crl_build(&p, feed_next, &f, crt, key, &der, err);
	pki_store_revocations_close(f.cur);
	f.cur = NULL;
	if (rc != PKI_OK)
		goto out;
	rec.ca_id = ca.id;
	rec.crl_number = number;
	rec.is_delta = delta;
	rec.base_crl_number = delta ? base.crl_number : 0;
	rec.this_update = p.this_update;
	rec.next_update = p.next_update;
	rec.entries = f.count;
	rec.der = der;           /* borrowed; cleared below, not freed twice */
	rc = pki_store_crl_insert(st, &rec, err);
	memset(&rec.der, 0, sizeof(rec.der));
	if (rc != PKI_OK)
		goto out;
	if (asprintf(&detail, "{\"crl_number\":%lld,\"delta\":%s,"
		     "\"base_crl_number\":%lld,\"entries\":%lld}",
		     (long long)number, delta ? "true" : "false",
		     (long long)(delta ? base.crl_number : 0),
		     (long long)f.count) < 0) {
		detail = NULL;
		rc = pki_error_set(err, PKI_E_NOMEM, "out of memory");
		goto out;
	}
	if ((rc = pki_store_audit(st, pki_store_actor(), "crl.generate", ca.name,
				  detail, err)) != PKI_OK ||
	    (rc = pki_store_commit(st, err)) != PKI_OK)
		goto out;
	in_txn = 0;
	res->crl_number = number;
	res->base_crl_number = delta ? base.crl_number : 0;
	res->entries = f.count;
	res->this_update = p.this_update;
	res->next_update = p.next_update;
	rc = write_files(res, &der, err);
out:
	if (lockfd >= 0)
		close(lockfd);      /* releases the lock */
	if (f.cur != NULL)
		pki_store_revocations_close(f.cur);
	if (in_txn)
		pki_store_rollback(st);
	if (rc != PKI_OK) {
		free(res->idp_url);
		free(res->der_path);
		free(res->pem_path);
		memset(res, 0, sizeof(*res));
	}
	gnutls_free(der.data);
	if (key != NULL)
		gnutls_privkey_deinit(key);
	if (crt != NULL)
		gnutls_x509_crt_deinit(crt);
	pki_ca_record_clear(&ca);
	pki_crl_record_clear(&base);
	free(freshest);
	free(detail);
	free(dir);
	return rc;
}
