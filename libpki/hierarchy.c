/*
 * hierarchy: plan (hierarchy-load.c) -> diff against the store -> build,
 * and the import of a subordinate's certificate.  See hierarchy.h and
 * hierarchy.toml(5).
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/abstract.h>
#include <gnutls/pkcs12.h>
#include <gnutls/x509.h>
#include <jansson.h>
#include <nettle/sha2.h>

#include <spork/hierarchy.h>
#include "keystore.h"
#include <spork/state.h>
#include "issue.h"
#include <spork/name.h>
#include <spork/toml.h>
#include "store-write.h"
#include "hierarchy-int.h"
#include "tls-int.h"
#include "util.h"

/* ------------------------------------------------------------------ diff */

const char *
pki_hier_state_name(enum pki_hier_state s)
{
	static const char *const names[PKI_HIER_STATE__MAX] = {
		"new", "unchanged", "changed", "pending"
	};
	return (unsigned)s < PKI_HIER_STATE__MAX ? names[s] : "unknown";
}

void
pki_hier_status_free(struct pki_hier_status *s, size_t n)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < n; i++) {
		free(s[i].why);
		pki_ca_record_clear(&s[i].rec);
	}
	free(s);
}

/* Which top-level keys of two canonical specs differ, ", "-separated. */
static char *
spec_changes(const char *old_config, const char *new_spec)
{
	json_t *oc = NULL, *os, *ns = NULL, *v;
	const char *k;
	char *out = NULL;
	size_t len = 0;
	FILE *f;

	if ((f = open_memstream(&out, &len)) == NULL)
		return NULL;
	oc = old_config ? json_loads(old_config, 0, NULL) : NULL;
	os = oc ? json_object_get(oc, "spec") : NULL;
	ns = json_loads(new_spec, 0, NULL);
	if (os == NULL || ns == NULL) {
		fputs("definition", f);
	} else {
		int first = 1;

		json_object_foreach(ns, k, v) {
			if (!json_equal(v, json_object_get(os, k))) {
				fprintf(f, "%s%s", first ? "" : ", ", k);
				first = 0;
			}
		}
		json_object_foreach(os, k, v) {
			if (json_object_get(ns, k) == NULL) {
				fprintf(f, "%s%s", first ? "" : ", ", k);
				first = 0;
			}
		}
	}
	fclose(f);
	json_decref(oc);
	json_decref(ns);
	return out;
}

int
pki_hier_diff(const struct pki_hier_plan *plan, struct pki_state *state,
	      int64_t now, struct pki_hier_status **out,
	      struct pki_diags *d, struct pki_error *err)
{
	struct pki_store *st = state != NULL ? pki_state_store(state) : NULL;
	struct pki_hier_status *s;
	size_t i;
	int rc = PKI_E_NOMEM;

	*out = NULL;
	if ((s = calloc(plan->n ? plan->n : 1, sizeof(*s))) == NULL)
		return pki_error_set(err, PKI_E_NOMEM, "out of memory");
	for (i = 0; i < plan->n; i++) {
		const struct pki_hier_node *n = &plan->nodes[i];
		struct pki_error e;
		int r;

		s[i].state = PKI_HIER_NEW;
		s[i].not_before = now;
		s[i].not_after = pki__hier_node_not_after(n, now);
		if (st == NULL)
			continue;
		r = pki_store_ca_get(st, n->name, &s[i].rec, &e);
		if (r == PKI_E_NOTFOUND)
			continue;
		if (r != PKI_OK) {
			rc = pki_error_set(err, r, "%s", e.msg);
			goto out;
		}
		if (strcmp(s[i].rec.spec_hash ? s[i].rec.spec_hash : "",
			   n->spec_hash) != 0) {
			s[i].state = PKI_HIER_CHANGED;
			s[i].why = spec_changes(s[i].rec.config_json, n->spec_json);
		} else if (s[i].rec.status == PKI_CA_PENDING) {
			s[i].state = PKI_HIER_PENDING;
		} else {
			s[i].state = PKI_HIER_UNCHANGED;
		}
		if (s[i].rec.status != PKI_CA_PENDING) {
			s[i].not_before = s[i].rec.not_before;
			s[i].not_after = s[i].rec.not_after;
		}
	}
	/* A new CA's files must not land on a CA built from another file. */
	if (st != NULL) {
		struct pki_ca_record *all = NULL;
		size_t nall = 0, j, k;
		struct pki_error e;

		if (pki_store_ca_list(st, &all, &nall, &e) != PKI_OK) {
			rc = pki_error_set(err, e.code, "%s", e.msg);
			goto out;
		}
		for (i = 0; i < plan->n; i++) {
			if (s[i].state != PKI_HIER_NEW)
				continue;
			for (j = 0; j < nall; j++) {
				for (k = 0; k < plan->n; k++)
					if (strcmp(plan->nodes[k].name, all[j].name) == 0)
						break;
				if (k < plan->n)
					continue;   /* in this file: checked at load */
				if (strcasecmp(all[j].name, plan->nodes[i].name) == 0 ||
				    pki__hier_files_collide(all[j].name,
							    plan->nodes[i].name))
					pki__diag(d, plan->nodes[i].line,
					     plan->nodes[i].column, "'%s' would "
					     "share files under ca/ with CA '%s', "
					     "already in the state directory; give "
					     "it another name = \"...\"",
					     plan->nodes[i].name, all[j].name);
			}
		}
		pki_ca_records_free(all, nall);
	}

	/* A new CA under an existing parent must fit inside it. */
	for (i = 0; i < plan->n; i++) {
		const struct pki_hier_node *n = &plan->nodes[i];
		const struct pki_hier_status *ps;

		if (s[i].state != PKI_HIER_NEW || n->parent == PKI_HIER_NONE)
			continue;
		ps = &s[n->parent];
		if (ps->state == PKI_HIER_NEW || ps->state == PKI_HIER_PENDING)
			continue;
		if (s[i].not_after > ps->not_after) {
			char pa[32];

			pki_time_format(ps->not_after, pa);
			pki__diag(d, n->line, n->column, "'%s' would outlive its "
			     "parent '%s', which expires %s; shorten its "
			     "validity", n->name, plan->nodes[n->parent].name, pa);
		}
		if (ps->rec.status == PKI_CA_REVOKED)
			pki__diag(d, n->line, n->column, "parent '%s' is revoked; "
			     "nothing can be built under it",
			     plan->nodes[n->parent].name);
	}
	*out = s;
	s = NULL;
	rc = PKI_OK;
out:
	pki_hier_status_free(s, plan->n);
	return rc;
}

/* ------------------------------------------------------------------ build */

void
pki_hier_results_free(struct pki_hier_result *r, size_t n)
{
	size_t i;

	if (r == NULL)
		return;
	for (i = 0; i < n; i++) {
		free(r[i].cert_path);
		free(r[i].chain_path);
		free(r[i].csr_path);
		free(r[i].forced);
	}
	free(r);
}

static int
pem_append(FILE *f, const char *label, const gnutls_datum_t *der)
{
	gnutls_datum_t pem = { NULL, 0 };
	int ret = gnutls_pem_base64_encode2(label, der, &pem);

	if (ret < 0)
		return ret;
	fwrite(pem.data, 1, pem.size, f);
	gnutls_free(pem.data);
	return 0;
}

/* Write <slug>.pem and <slug>-chain.pem (the node's certificate followed
 * by its ancestors', then any extra certificates). */
int
pki__hier_write_ca_files(struct pki__hier_builder *B, size_t i,
			 const gnutls_datum_t *extra, size_t nextra,
			 struct pki_error *err)
{
	const struct pki_hier_node *n = &B->plan->nodes[i];
	char *buf = NULL;
	size_t len = 0, j;
	FILE *f = NULL;
	int rc = PKI_E_NOMEM;

	free(B->res[i].cert_path);
	free(B->res[i].chain_path);
	B->res[i].cert_path = pki_state_ca_file(B->state, n->name, ".pem");
	B->res[i].chain_path = pki_state_ca_file(B->state, n->name, "-chain.pem");
	if (B->res[i].cert_path == NULL || B->res[i].chain_path == NULL)
		return pki_error_set(err, PKI_E_NOMEM, "out of memory");
	if ((f = open_memstream(&buf, &len)) == NULL)
		return pki_error_set(err, PKI_E_NOMEM, "out of memory");
	if (pem_append(f, "CERTIFICATE", &B->ders[i]) < 0)
		goto fail;
	fflush(f);
	rc = pki_file_write(B->res[i].cert_path, buf, len, 0644, 0, err);
	if (rc != PKI_OK)
		goto out;
	for (j = n->parent; j != PKI_HIER_NONE; j = B->plan->nodes[j].parent)
		if (B->ders[j].size > 0 && pem_append(f, "CERTIFICATE", &B->ders[j]) < 0)
			goto fail;
	for (j = 0; j < nextra; j++)
		if (pem_append(f, "CERTIFICATE", &extra[j]) < 0)
			goto fail;
	fclose(f);
	f = NULL;
	rc = pki_file_write(B->res[i].chain_path, buf, len, 0644, 0, err);
	goto out;
fail:
	rc = pki_error_set(err, PKI_E_CRYPTO, "cannot encode PEM for '%s'",
			   n->name);
out:
	if (f != NULL)
		fclose(f);
	free(buf);
	return rc;
}

/* Make sure node i's certificate (and, with need_key, its key) is loaded. */
static int
load_node(struct pki__hier_builder *B, size_t i, int need_key,
	  struct pki_error *err)
{
	const struct pki_hier_node *n = &B->plan->nodes[i];
	struct pki_ca_record *r = &B->status[i].rec;
	enum pki_key_alg alg;
	int ret;

	if (B->crts[i] == NULL) {
		if (r->cert_der.size == 0)
			return pki_error_set(err, PKI_E_NOTFOUND, "CA '%s' has "
					     "no certificate yet", n->name);
		if ((ret = gnutls_x509_crt_init(&B->crts[i])) < 0)
			return pki__gnutls_error(err, ret, "gnutls_x509_crt_init");
		if ((ret = gnutls_x509_crt_import(B->crts[i], &r->cert_der,
						  GNUTLS_X509_FMT_DER)) < 0)
			return pki__gnutls_error(err, ret, "stored CA certificate");
		B->ders[i].data = gnutls_malloc(r->cert_der.size);
		if (B->ders[i].data == NULL)
			return pki_error_set(err, PKI_E_NOMEM, "out of memory");
		memcpy(B->ders[i].data, r->cert_der.data, r->cert_der.size);
		B->ders[i].size = r->cert_der.size;
	}
	if (!need_key || B->keys[i] != NULL)
		return PKI_OK;
	if ((ret = pki_key_alg_from_name(r->algorithm, &alg, err)) != PKI_OK)
		return ret;
	ret = pki_key_load(B->ks, r->key_uri, alg, n->name, &B->keys[i], err);
	if (ret != PKI_OK)
		pki_error_prefix(err, "unsealing the key of '%s'", n->name);
	return ret;
}

static char *
config_json(const struct pki_hier_node *n)
{
	json_t *o = json_object(), *spec = json_loads(n->spec_json, 0, NULL);
	char *s;

	if (o == NULL || spec == NULL) {
		json_decref(o);
		json_decref(spec);
		return NULL;
	}
	json_object_set_new(o, "spec", spec);
	json_object_set_new(o, "crl_urls",
			    pki__hier_strlist_json(&n->crl_urls));
	json_object_set_new(o, "delta_crl_urls",
			    pki__hier_strlist_json(&n->delta_crl_urls));
	json_object_set_new(o, "ocsp_urls",
			    pki__hier_strlist_json(&n->ocsp_urls));
	json_object_set_new(o, "ca_issuers_urls",
			    pki__hier_strlist_json(&n->ca_issuers_urls));
	if (n->crl_shards > 0)
		json_object_set_new(o, "crl_shards",
				    json_integer(n->crl_shards));
	s = json_dumps(o, JSON_SORT_KEYS | JSON_COMPACT);
	json_decref(o);
	return s;
}

/* Fill rec's certificate-derived fields from crt/der. */
int
pki__hier_rec_from_cert(struct pki_ca_record *rec, gnutls_x509_crt_t crt,
			const gnutls_datum_t *der, struct pki_error *err)
{
	gnutls_datum_t dn = { NULL, 0 };
	char serial[64];
	int ret, rc;

	if ((rc = pki_cert_serial_hex(crt, serial, sizeof(serial), err)) != PKI_OK)
		return rc;
	if ((ret = gnutls_x509_crt_get_dn3(crt, &dn, 0)) < 0)
		return pki__gnutls_error(err, ret, "gnutls_x509_crt_get_dn3");
	free(rec->subject);
	free(rec->serial);
	rec->subject = strndup((const char *)dn.data, dn.size);
	rec->serial = strdup(serial);
	gnutls_free(dn.data);
	rec->not_before = gnutls_x509_crt_get_activation_time(crt);
	rec->not_after = gnutls_x509_crt_get_expiration_time(crt);
	rec->cert_der.data = gnutls_malloc(der->size);
	if (rec->subject == NULL || rec->serial == NULL || rec->cert_der.data == NULL)
		return pki_error_set(err, PKI_E_NOMEM, "out of memory");
	memcpy(rec->cert_der.data, der->data, der->size);
	rec->cert_der.size = der->size;
	return PKI_OK;
}

/* One transaction: the CA row and its audit row. */
int
pki__hier_record_ca(struct pki__hier_builder *B, struct pki_ca_record *rec,
		    const char *action, json_t *extra, struct pki_error *err)
{
	char *detail = NULL;
	json_t *o;
	int rc;

	o = json_pack("{s:s, s:s, s:s, s:s, s:s}", "role", rec->role,
		      "algorithm", rec->algorithm, "key", rec->key_uri,
		      "serial", rec->serial ? rec->serial : "",
		      "subject", rec->subject ? rec->subject : "");
	if (o != NULL && extra != NULL)
		json_object_update(o, extra);
	if (o != NULL)
		detail = json_dumps(o, JSON_SORT_KEYS | JSON_COMPACT);
	json_decref(o);
	if (detail == NULL)
		return pki_error_set(err, PKI_E_NOMEM, "out of memory");
	if ((rc = pki_store_begin(B->st, err)) != PKI_OK)
		goto out;
	if ((rc = pki_store_ca_insert(B->st, rec, err)) != PKI_OK ||
	    (B->on_record != NULL &&
	     (rc = B->on_record(B->on_record_ctx, rec, err)) != PKI_OK) ||
	    (rc = pki_store_audit(B->st, NULL, action, rec->name,
				  detail, err)) != PKI_OK ||
	    (rc = pki_store_commit(B->st, err)) != PKI_OK) {
		pki_store_rollback(B->st);
		goto out;
	}
out:
	free(detail);
	return rc;
}

int
pki__hier_init_record(struct pki_ca_record *rec,
		      const struct pki_hier_node *n, int64_t parent_id,
		      const char *mode, const char *alg, char *key_uri,
		      struct pki_error *err)
{
	memset(rec, 0, sizeof(*rec));
	rec->name = strdup(n->name);
	rec->parent_id = parent_id;
	rec->role = strdup(n->role);
	rec->mode = strdup(mode);
	rec->algorithm = strdup(alg);
	rec->key_uri = key_uri;
	rec->key_online = n->pkcs11_uri == NULL && n->online;
	rec->spec_hash = strdup(n->spec_hash);
	rec->config_json = config_json(n);
	rec->status = PKI_CA_ACTIVE;
	if (rec->name == NULL || rec->role == NULL || rec->mode == NULL ||
	    rec->algorithm == NULL || rec->spec_hash == NULL ||
	    rec->config_json == NULL)
		return pki_error_set(err, PKI_E_NOMEM, "out of memory");
	return PKI_OK;
}

/* A template for node i: its own definition, its issuer's service URLs. */
static void
make_template(struct pki__hier_builder *B, size_t i,
	      struct pki_cert_template *tpl)
{
	const struct pki_hier_node *n = &B->plan->nodes[i];

	*tpl = n->tpl;    /* shallow: borrowed lists, never cleared */
	tpl->profile = pki_profile_get(n->parent == PKI_HIER_NONE &&
				       !n->external_parent ?
				       PKI_PROFILE_ROOT_CA : PKI_PROFILE_SUB_CA);
	tpl->serial_len = 0;
	tpl->not_before = B->now;
	tpl->not_after = pki__hier_node_not_after(n, B->now);
	memset(&tpl->crl_urls, 0, sizeof(tpl->crl_urls));
	memset(&tpl->freshest_crl_urls, 0, sizeof(tpl->freshest_crl_urls));
	memset(&tpl->ocsp_urls, 0, sizeof(tpl->ocsp_urls));
	memset(&tpl->ca_issuers_urls, 0, sizeof(tpl->ca_issuers_urls));
	if (n->parent != PKI_HIER_NONE) {
		const struct pki_hier_node *p = &B->plan->nodes[n->parent];

		tpl->crl_urls = p->crl_urls;
		tpl->freshest_crl_urls = p->delta_crl_urls;
		tpl->ocsp_urls = p->ocsp_urls;
		tpl->ca_issuers_urls = p->ca_issuers_urls;
	}
}

/*
 * The URI of a key just created or imported, as it may be stored,
 * hashed, audited and shown: a PKCS#11 pin-value is removed (the PIN then
 * comes from pin-source or the passphrase sources).  Takes ownership of
 * uri; *made gets a copy for pki__hier_discard_key.  NULL on allocation
 * failure.
 */
char *
pki__hier_key_uri(char *uri, char **made)
{
	char *red = pki_key_uri_redact(uri);

	free(uri);
	*made = red != NULL ? strdup(red) : NULL;
	if (*made == NULL) {
		free(red);
		return NULL;
	}
	return red;
}

/* A key sealed for a CA that was not recorded is deleted again, so a
 * failed build leaves no orphan in the lockbox and can be retried. */
void
pki__hier_discard_key(struct pki__hier_builder *B, char **made,
		      int recorded)
{
	struct pki_error e;

	if (*made != NULL && !recorded)
		(void)pki_key_discard(B->ks, *made, &e);
	free(*made);
	*made = NULL;
}

static int
build_local(struct pki__hier_builder *B, size_t i, struct pki_error *err)
{
	const struct pki_hier_node *n = &B->plan->nodes[i];
	struct pki_cert_template tpl;
	struct pki_ca_record rec;
	gnutls_pubkey_t pub = NULL;
	char *uri = NULL, *made = NULL;
	int64_t parent_id = 0;
	int rc, ret, self = n->parent == PKI_HIER_NONE, recorded = 0;

	memset(&rec, 0, sizeof(rec));
	if (!self) {
		if ((rc = load_node(B, n->parent, 1, err)) != PKI_OK)
			return rc;
		parent_id = B->status[n->parent].rec.id;
	}
	rc = pki_key_create(B->ks, n->alg, n->online, n->pkcs11_uri, n->name,
			    &uri, &B->keys[i], err);
	if (rc != PKI_OK) {
		pki_error_prefix(err, "creating the key of '%s'", n->name);
		goto out;
	}
	if ((uri = pki__hier_key_uri(uri, &made)) == NULL) {
		rc = pki_error_set(err, PKI_E_NOMEM, "out of memory");
		goto out;
	}
	if ((ret = gnutls_pubkey_init(&pub)) < 0 ||
	    (ret = gnutls_pubkey_import_privkey(pub, B->keys[i], 0, 0)) < 0) {
		rc = pki__gnutls_error(err, ret, "public key of new CA key");
		goto out;
	}
	make_template(B, i, &tpl);
	rc = pki_issue_sign(&tpl, pub, self ? NULL : B->crts[n->parent],
			    self ? B->keys[i] : B->keys[n->parent], &B->ders[i],
			    err);
	if (rc != PKI_OK) {
		pki_error_prefix(err, "signing '%s'", n->name);
		goto out;
	}
	if ((ret = gnutls_x509_crt_init(&B->crts[i])) < 0 ||
	    (ret = gnutls_x509_crt_import(B->crts[i], &B->ders[i],
					  GNUTLS_X509_FMT_DER)) < 0) {
		rc = pki__gnutls_error(err, ret, "new CA certificate");
		goto out;
	}
	if ((rc = pki__hier_init_record(&rec, n, parent_id, "local",
			      pki_key_alg_name(n->alg), uri, err)) != PKI_OK) {
		uri = NULL;
		goto out;
	}
	uri = NULL;
	if ((rc = pki__hier_rec_from_cert(&rec, B->crts[i], &B->ders[i],
					  err)) != PKI_OK ||
	    (rc = pki__hier_record_ca(B, &rec, "pki.build.ca", NULL,
				      err)) != PKI_OK)
		goto out;
	recorded = 1;
	pki_ca_record_clear(&B->status[i].rec);
	B->status[i].rec = rec;
	memset(&rec, 0, sizeof(rec));
	if ((rc = pki__hier_write_ca_files(B, i, NULL, 0, err)) != PKI_OK)
		goto out;
	B->res[i].action = PKI_HIER_CREATED;
	rc = PKI_OK;
out:
	pki__hier_discard_key(B, &made, recorded);
	free(uri);
	pki_ca_record_clear(&rec);
	gnutls_pubkey_deinit(pub);
	return rc;
}

static int
build_csr(struct pki__hier_builder *B, size_t i, struct pki_error *err)
{
	const struct pki_hier_node *n = &B->plan->nodes[i];
	struct pki_cert_template tpl;
	struct pki_ca_record rec;
	gnutls_datum_t csr = { NULL, 0 }, pem = { NULL, 0 };
	char *uri = NULL, *made = NULL;
	int rc, ret, recorded = 0;

	memset(&rec, 0, sizeof(rec));
	rc = pki_key_create(B->ks, n->alg, n->online, n->pkcs11_uri, n->name,
			    &uri, &B->keys[i], err);
	if (rc != PKI_OK) {
		pki_error_prefix(err, "creating the key of '%s'", n->name);
		goto out;
	}
	if ((uri = pki__hier_key_uri(uri, &made)) == NULL) {
		rc = pki_error_set(err, PKI_E_NOMEM, "out of memory");
		goto out;
	}
	make_template(B, i, &tpl);
	if ((rc = pki_issue_make_csr(&tpl, B->keys[i], &csr, err)) != PKI_OK)
		goto out;
	if ((rc = pki__hier_init_record(&rec, n, 0, "subordinate",
			      pki_key_alg_name(n->alg), uri, err)) != PKI_OK) {
		uri = NULL;
		goto out;
	}
	uri = NULL;
	rec.status = PKI_CA_PENDING;
	rec.serial = strdup("");
	{
		gnutls_x509_crq_t crq = NULL;
		gnutls_datum_t dn = { NULL, 0 };

		if ((ret = gnutls_x509_crq_init(&crq)) < 0 ||
		    (ret = gnutls_x509_crq_import(crq, &csr, GNUTLS_X509_FMT_DER)) < 0 ||
		    (ret = gnutls_x509_crq_get_dn3(crq, &dn, 0)) < 0) {
			if (crq != NULL)
				gnutls_x509_crq_deinit(crq);
			rc = pki__gnutls_error(err, ret, "subject of the new request");
			goto out;
		}
		rec.subject = strndup((const char *)dn.data, dn.size);
		gnutls_free(dn.data);
		gnutls_x509_crq_deinit(crq);
	}
	rec.csr_der = csr;
	csr.data = NULL;
	if (rec.serial == NULL || rec.subject == NULL) {
		rc = pki_error_set(err, PKI_E_NOMEM, "out of memory");
		goto out;
	}
	if ((rc = pki__hier_record_ca(B, &rec, "pki.build.csr", NULL,
				       err)) != PKI_OK)
		goto out;
	recorded = 1;
	B->res[i].csr_path = pki_state_ca_file(B->state, n->name, ".csr");
	if (B->res[i].csr_path == NULL) {
		rc = pki_error_set(err, PKI_E_NOMEM, "out of memory");
		goto out;
	}
	if ((ret = gnutls_pem_base64_encode2("CERTIFICATE REQUEST", &rec.csr_der,
					     &pem)) < 0) {
		rc = pki__gnutls_error(err, ret, "CSR to PEM");
		goto out;
	}
	if ((rc = pki_file_write(B->res[i].csr_path, pem.data, pem.size, 0644,
				  0, err)) != PKI_OK)
		goto out;
	pki_ca_record_clear(&B->status[i].rec);
	B->status[i].rec = rec;
	memset(&rec, 0, sizeof(rec));
	B->res[i].action = PKI_HIER_CSR_WRITTEN;
	rc = PKI_OK;
out:
	pki__hier_discard_key(B, &made, recorded);
	free(uri);
	gnutls_free(csr.data);
	gnutls_free(pem.data);
	pki_ca_record_clear(&rec);
	return rc;
}

/* A CA built from a different definition stops the build: spork does not
 * re-key or re-issue an existing CA. */
static int
check_unchanged(const struct pki__hier_builder *B, struct pki_error *err)
{
	const struct pki_hier_plan *plan = B->plan;
	size_t i;

	for (i = 0; i < plan->n; i++)
		if (B->status[i].state == PKI_HIER_CHANGED)
			return pki_error_at(err, PKI_E_CONFLICT,
					    plan->nodes[i].line,
					    plan->nodes[i].column, "CA '%s' was "
					    "built from a different definition "
					    "(changed: %s); spork does not "
					    "re-key or re-issue an existing CA: "
					    "restore its definition, or define "
					    "a new CA under a new name%s",
					    plan->nodes[i].name,
					    B->status[i].why ?
					    B->status[i].why : "?",
					    B->status[i].why &&
					    strstr(B->status[i].why,
						   "path_len") ?
					    " (path_len follows the levels of "
					    "CA below it: its certificate "
					    "cannot hold another level; put the "
					    "new CA beside it instead)" : "");
	return PKI_OK;
}

/* Node i is built already: its result names its files, which are
 * written again from the store when they were lost after the CA was
 * recorded (a failed write, a deletion). */
static int
keep_unchanged(struct pki__hier_builder *B, size_t i, struct pki_error *err)
{
	const struct pki_hier_node *nd = &B->plan->nodes[i];
	size_t j;
	int rc;

	B->res[i].action = PKI_HIER_DID_NOTHING;
	B->res[i].cert_path = pki_state_ca_file(B->state, nd->name, ".pem");
	B->res[i].chain_path = pki_state_ca_file(B->state, nd->name, "-chain.pem");
	if (B->res[i].cert_path == NULL || B->res[i].chain_path == NULL)
		return pki_error_set(err, PKI_E_NOMEM, "out of memory");
	if (access(B->res[i].cert_path, F_OK) == 0 &&
	    access(B->res[i].chain_path, F_OK) == 0)
		return PKI_OK;
	for (j = i; j != PKI_HIER_NONE; j = B->plan->nodes[j].parent)
		if ((rc = load_node(B, j, 0, err)) != PKI_OK)
			return rc;
	return pki__hier_write_ca_files(B, i, NULL, 0, err);
}

/* ------------------------------------------------- leftovers of a kill */

int
pki__hier_lock(struct pki_state *state, int *fd, struct pki_error *err)
{
	char *p = NULL;
	int rc = PKI_E_NOMEM;

	*fd = -1;
	if (asprintf(&p, "%s/build.lock", pki_state_dir(state)) < 0) {
		p = NULL;
		rc = pki_error_set(err, PKI_E_NOMEM, "out of memory");
		goto out;
	}
	*fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (*fd < 0 || flock(*fd, LOCK_EX) != 0) {
		rc = pki_error_set(err, PKI_E_IO, "cannot lock %s: %s", p,
				   strerror(errno));
		goto out;
	}
	rc = PKI_OK;
out:
	if (rc != PKI_OK && *fd >= 0) {
		close(*fd);
		*fd = -1;
	}
	free(p);
	return rc;
}

/* pki__keystore_prune's callback: the audit row of a removed key. */
static int
orphan_removing(void *ctx, const char *id, int online, struct pki_error *err)
{
	struct pki__hier_builder *B = ctx;
	char *detail = NULL;
	int rc;

	if (asprintf(&detail, "{\"key_id\":\"%s\",\"online\":%s,\"why\":"
		     "\"sealed by a build that ended before its CA was "
		     "recorded\"}", id, online ? "true" : "false") < 0)
		return pki_error_set(err, PKI_E_NOMEM, "out of memory");
	rc = pki_store_audit(B->st, NULL, "pki.build.orphan-key", "lockbox",
			     detail, err);
	free(detail);
	return rc;
}

/* Add the temporary-file bases of CA name's files under ca/ to *v. */
static int
ca_file_bases(const char *name, char ***v, size_t *n)
{
	static const char *const suffix[] = { ".pem", "-chain.pem", ".csr" };
	char *slug = pki_state_slug(name), **nv;
	size_t k;

	if (slug == NULL || (nv = realloc(*v, (*n + 3) * sizeof(**v))) == NULL) {
		free(slug);
		return -1;
	}
	*v = nv;
	for (k = 0; k < 3; k++)
		if (asprintf(&nv[(*n)++], "%s%s", slug, suffix[k]) < 0) {
			(*n)--;
			free(slug);
			return -1;
		}
	free(slug);
	return 0;
}

/*
 * Under the build lock, before building: what a build killed midway
 * left.  The temporaries of the certificate, chain and request files of
 * every CA (recorded or planned; the CRL files have their own lock), of
 * sealed keys and of online.kek; and the sealed keys no recorded CA
 * uses (a key is sealed before its CA is recorded), each removed with a
 * "pki.build.orphan-key" audit row.
 */
static int
clean_leftovers(struct pki__hier_builder *B, struct pki_error *err)
{
	struct pki_ca_record *all = NULL;
	size_t nall = 0, nkeep = 0, nb = 0, i;
	char (*ids)[65] = NULL, **bases = NULL;
	const char **keep = NULL;
	struct pki_strlist signers = { 0, NULL };
	int k, rc;

	if ((rc = pki_store_ca_list(B->st, &all, &nall, err)) != PKI_OK ||
	    (rc = pki_store_ocsp_signer_keys(B->st, &signers, err)) != PKI_OK)
		goto out;
	ids = calloc(nall + signers.n + 2, sizeof(*ids));
	keep = calloc(nall + signers.n + 2, sizeof(*keep));
	if (ids == NULL || keep == NULL) {
		rc = pki_error_set(err, PKI_E_NOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < nall; i++) {
		struct pki_error e;

		if (pki_key_uri_id(all[i].key_uri, ids[nkeep], sizeof(ids[0]),
				   &e) == PKI_OK)
			keep[nkeep] = ids[nkeep], nkeep++;
		if (ca_file_bases(all[i].name, &bases, &nb) != 0)
			goto nomem;
	}
	/* the CAs' delegated OCSP signers (ocsp.h) */
	for (i = 0; i < signers.n; i++) {
		struct pki_error e;

		if (pki_key_uri_id(signers.v[i], ids[nkeep], sizeof(ids[0]),
				   &e) == PKI_OK)
			keep[nkeep] = ids[nkeep], nkeep++;
	}
	/* the handlers' TLS key is no CA's, and is in use (tls.h) */
	if (pki__tls_key_id(B->state, ids[nkeep], sizeof(ids[0])) == PKI_OK)
		keep[nkeep] = ids[nkeep], nkeep++;
	for (i = 0; i < B->plan->n; i++)
		if (ca_file_bases(B->plan->nodes[i].name, &bases, &nb) != 0)
			goto nomem;
	if ((k = pki__file_tmp_clean(pki_state_path(B->state,
						    PKI_STATE_CA_DIR),
				     (const char *const *)bases, nb, err)) < 0) {
		rc = -k;
		goto out;
	}
	rc = pki__keystore_prune(B->ks, keep, nkeep, orphan_removing, B, err);
	goto out;
nomem:
	rc = pki_error_set(err, PKI_E_NOMEM, "out of memory");
out:
	for (i = 0; i < nb; i++)
		free(bases[i]);
	free(bases);
	free(keep);
	free(ids);
	pki_strlist_clear(&signers);
	pki_ca_records_free(all, nall);
	return rc;
}

int
pki_hier_build(const struct pki_hier_plan *plan, struct pki_state *state,
	       unsigned flags, struct pki_hier_result **results,
	       struct pki_error *err)
{
	return pki__hier_build(plan, state, flags, NULL, NULL, results, err);
}

int
pki__hier_build(const struct pki_hier_plan *plan, struct pki_state *state,
		unsigned flags,
		int (*on_record)(void *ctx, const struct pki_ca_record *rec,
				 struct pki_error *err),
		void *ctx, struct pki_hier_result **results,
		struct pki_error *err)
{
	struct pki__hier_builder B;
	struct pki_diags d = { 0, NULL, 0 };
	size_t i, n = plan->n;
	int lockfd = -1, rc = PKI_E_NOMEM;

	*results = NULL;
	memset(&B, 0, sizeof(B));
	B.plan = plan;
	B.state = state;
	B.st = pki_state_store(state);
	B.ks = pki_state_keystore(state);
	B.now = pki_state_now(state);
	B.flags = flags;
	B.on_record = on_record;
	B.on_record_ctx = ctx;
	if (B.ks == NULL)
		return pki_error_set(err, PKI_E_INVALID, "pki_hier_build: the "
				     "state directory was opened without keys");
	B.res = calloc(n ? n : 1, sizeof(*B.res));
	B.keys = calloc(n ? n : 1, sizeof(*B.keys));
	B.crts = calloc(n ? n : 1, sizeof(*B.crts));
	B.ders = calloc(n ? n : 1, sizeof(*B.ders));
	if (B.res == NULL || B.keys == NULL || B.crts == NULL || B.ders == NULL) {
		rc = pki_error_set(err, PKI_E_NOMEM, "out of memory");
		goto out;
	}
	if ((rc = pki__hier_lock(state, &lockfd, err)) != PKI_OK ||
	    (rc = clean_leftovers(&B, err)) != PKI_OK ||
	    (rc = pki_hier_diff(plan, state, B.now, &B.status, &d,
				err)) != PKI_OK)
		goto out;
	if (d.n > 0) {
		rc = pki_error_at(err, PKI_E_INVALID, d.v[0].line, d.v[0].column,
				  "%s", d.v[0].msg);
		goto out;
	}
	if ((rc = check_unchanged(&B, err)) != PKI_OK)
		goto out;
	if ((rc = pki__mkdirs(pki_state_path(state, PKI_STATE_CA_DIR), 0755,
			      err)) != PKI_OK)
		goto out;
	for (i = 0; i < n; i++) {
		const struct pki_hier_node *nd = &plan->nodes[i];
		size_t p = nd->parent;

		switch (B.status[i].state) {
		case PKI_HIER_UNCHANGED:
			if ((rc = keep_unchanged(&B, i, err)) != PKI_OK)
				goto out;
			continue;
		case PKI_HIER_PENDING:
			B.res[i].action = PKI_HIER_WAITING;
			B.res[i].csr_path = pki_state_ca_file(state, nd->name, ".csr");
			continue;
		default:
			break;
		}
		if (nd->imported)
			rc = pki__hier_build_import(&B, i, err);
		else if (nd->external_parent)
			rc = build_csr(&B, i, err);
		else if (p != PKI_HIER_NONE &&
			 (B.status[p].rec.status == PKI_CA_PENDING ||
			  B.res[p].action == PKI_HIER_WAITING)) {
			B.res[i].action = PKI_HIER_WAITING;
			rc = PKI_OK;
		} else
			rc = build_local(&B, i, err);
		if (rc != PKI_OK)
			goto out;
	}
	/* a rotation's plan is made from the store, not from a hierarchy
	 * file: it has no roles to record */
	if (on_record == NULL && (rc = pki__hier_apply_roles(&B, err)) != PKI_OK)
		goto out;
	*results = B.res;
	B.res = NULL;
	rc = PKI_OK;
out:
	for (i = 0; i < n; i++) {
		if (B.keys != NULL && B.keys[i] != NULL)
			gnutls_privkey_deinit(B.keys[i]);
		if (B.crts != NULL && B.crts[i] != NULL)
			gnutls_x509_crt_deinit(B.crts[i]);
		if (B.ders != NULL)
			gnutls_free(B.ders[i].data);
	}
	free(B.keys);
	free(B.crts);
	free(B.ders);
	if (lockfd >= 0)
		close(lockfd);      /* releases the build lock */
	pki_hier_results_free(B.res, n);
	pki_hier_status_free(B.status, n);
	pki_diags_clear(&d);
	if (rc != PKI_OK)
		(void)pki_store_refusal(B.st, NULL, "pki.build",
					plan->path ? plan->path : "", err);
	return rc;
}
