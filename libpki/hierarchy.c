/*
 * hierarchy: plan (hierarchy-load.c) -> diff against the store -> build,
 * and the import of a subordinate's certificate.  See hierarchy.h and
 * hierarchy.toml(5).
 */
#include <config.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
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
	}
	free(r);
}

struct builder {
	const struct pki_hier_plan *plan;
	struct pki_state *state;
	struct pki_store *st;
	struct pki_keystore *ks;
	struct pki_hier_status *status;
	struct pki_hier_result *res;
	gnutls_privkey_t *keys;     /* loaded or created, per node */
	gnutls_x509_crt_t *crts;
	gnutls_datum_t *ders;       /* certificate DER per node */
	int64_t now;
};

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
static int
write_ca_files(struct builder *B, size_t i, const gnutls_datum_t *extra,
	       size_t nextra, struct pki_error *err)
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
load_node(struct builder *B, size_t i, int need_key, struct pki_error *err)
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
	s = json_dumps(o, JSON_SORT_KEYS | JSON_COMPACT);
	json_decref(o);
	return s;
}

/* Fill rec's certificate-derived fields from crt/der. */
static int
rec_from_cert(struct pki_ca_record *rec, gnutls_x509_crt_t crt,
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
static int
record_ca(struct builder *B, struct pki_ca_record *rec, const char *action,
	  struct pki_error *err)
{
	char *detail = NULL;
	json_t *o;
	int rc;

	o = json_pack("{s:s, s:s, s:s, s:s, s:s}", "role", rec->role,
		      "algorithm", rec->algorithm, "key", rec->key_uri,
		      "serial", rec->serial ? rec->serial : "",
		      "subject", rec->subject ? rec->subject : "");
	if (o != NULL)
		detail = json_dumps(o, JSON_SORT_KEYS | JSON_COMPACT);
	json_decref(o);
	if ((rc = pki_store_begin(B->st, err)) != PKI_OK)
		goto out;
	if ((rc = pki_store_ca_insert(B->st, rec, err)) != PKI_OK ||
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

static int
init_record(struct pki_ca_record *rec, const struct pki_hier_node *n,
	    int64_t parent_id, const char *mode, const char *alg,
	    char *key_uri, struct pki_error *err)
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
make_template(struct builder *B, size_t i, struct pki_cert_template *tpl)
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
 * uri; *made gets a copy for discard_key.  NULL on allocation failure.
 */
static char *
key_uri_for_record(char *uri, char **made)
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
static void
discard_key(struct builder *B, char **made, int recorded)
{
	struct pki_error e;

	if (*made != NULL && !recorded)
		(void)pki_key_discard(B->ks, *made, &e);
	free(*made);
	*made = NULL;
}

static int
build_local(struct builder *B, size_t i, struct pki_error *err)
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
	if ((uri = key_uri_for_record(uri, &made)) == NULL) {
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
	if ((rc = init_record(&rec, n, parent_id, "local",
			      pki_key_alg_name(n->alg), uri, err)) != PKI_OK) {
		uri = NULL;
		goto out;
	}
	uri = NULL;
	if ((rc = rec_from_cert(&rec, B->crts[i], &B->ders[i], err)) != PKI_OK ||
	    (rc = record_ca(B, &rec, "pki.build.ca", err)) != PKI_OK)
		goto out;
	recorded = 1;
	pki_ca_record_clear(&B->status[i].rec);
	B->status[i].rec = rec;
	memset(&rec, 0, sizeof(rec));
	if ((rc = write_ca_files(B, i, NULL, 0, err)) != PKI_OK)
		goto out;
	B->res[i].action = PKI_HIER_CREATED;
	rc = PKI_OK;
out:
	discard_key(B, &made, recorded);
	free(uri);
	pki_ca_record_clear(&rec);
	gnutls_pubkey_deinit(pub);
	return rc;
}

static int
build_csr(struct builder *B, size_t i, struct pki_error *err)
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
	if ((uri = key_uri_for_record(uri, &made)) == NULL) {
		rc = pki_error_set(err, PKI_E_NOMEM, "out of memory");
		goto out;
	}
	make_template(B, i, &tpl);
	if ((rc = pki_issue_make_csr(&tpl, B->keys[i], &csr, err)) != PKI_OK)
		goto out;
	if ((rc = init_record(&rec, n, 0, "subordinate",
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
	if ((rc = record_ca(B, &rec, "pki.build.csr", err)) != PKI_OK)
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
	discard_key(B, &made, recorded);
	free(uri);
	gnutls_free(csr.data);
	gnutls_free(pem.data);
	pki_ca_record_clear(&rec);
	return rc;
}

/*
 * A CA certificate spork did not make (imported, or signed by the
 * external CA) must leave room for what the plan builds below it: a
 * subjectKeyIdentifier for their authorityKeyIdentifier, a
 * pathLenConstraint that holds the levels below, and a validity the
 * children fit in.  Checked before anything is recorded, because a
 * recorded CA certificate cannot be replaced.
 */
static int
check_room_below(const struct pki_hier_plan *plan, size_t idx,
		 gnutls_x509_crt_t crt, int64_t now, const char *what,
		 struct pki_error *err)
{
	unsigned char ski[64];
	size_t sz = sizeof(ski), j;
	unsigned crit = 0, ca = 0, below = pki__hier_depth_below(plan, idx);
	int pathlen = -1;
	int64_t expires = gnutls_x509_crt_get_expiration_time(crt);
	char when[32];

	if (below == 0)
		return PKI_OK;
	if (gnutls_x509_crt_get_subject_key_id(crt, ski, &sz, &crit) < 0)
		return pki_error_set(err, PKI_E_INVALID, "%s has no "
				     "subjectKeyIdentifier, which the CAs below "
				     "it need for their authorityKeyIdentifier",
				     what);
	if (gnutls_x509_crt_get_basic_constraints(crt, &crit, &ca, &pathlen) >= 0 &&
	    pathlen >= 0 && (unsigned)pathlen < below)
		return pki_error_set(err, PKI_E_INVALID, "%s has "
				     "pathLenConstraint %d; the %u level%s of CA "
				     "below it in %s need %u or more", what,
				     pathlen, below, below == 1 ? "" : "s",
				     plan->path, below);
	pki_time_format(expires, when);
	for (j = idx + 1; j < plan->n; j++)
		if (plan->nodes[j].parent == idx &&
		    pki__hier_node_not_after(&plan->nodes[j], now) > expires)
			return pki_error_set(err, PKI_E_INVALID, "%s expires %s, "
					     "before '%s' below it would; "
					     "shorten that CA's validity",
					     what, when, plan->nodes[j].name);
	return PKI_OK;
}

static char *
plan_file(const struct pki_hier_plan *plan, const char *rel)
{
	char *p = NULL;

	if (rel[0] == '/')
		return strdup(rel);
	if (asprintf(&p, "%s/%s", plan->basedir, rel) < 0)
		return NULL;
	return p;
}

/* The PKCS#12 of [import] on its way into the store (build_import). */
struct p12_import {
	char *path;                     /* the file, for messages */
	gnutls_x509_privkey_t key;
	gnutls_x509_crt_t *chain;       /* chain[0]: the CA certificate */
	unsigned chain_len;
	gnutls_pubkey_t pub;            /* chain[0]'s public key */
	enum pki_key_alg alg;
	char *uri;                      /* the sealed key, as recorded */
	char *made;                     /* for discard_key */
};

/* Read the PKCS#12, ask for its password, check its MAC and take out the
 * key and the certificates. */
static int
import_read_p12(struct builder *B, struct p12_import *x,
		struct pki_error *err)
{
	gnutls_datum_t file = { NULL, 0 };
	gnutls_pkcs12_t p12 = NULL;
	char pass[1024], label[PATH_MAX + 32];
	int ret, rc;

	pass[0] = '\0';
	if ((x->path = plan_file(B->plan, B->plan->import_pkcs12)) == NULL) {
		rc = pki_error_set(err, PKI_E_NOMEM, "out of memory");
		goto out;
	}
	if ((rc = pki_file_read(x->path, 1 << 20, &file, err)) != PKI_OK)
		goto out;
	snprintf(label, sizeof(label), "PKCS#12 file %s", x->path);
	if ((rc = pki_state_ask(B->state, label, PKI_PASS_PKCS12_IN, pass,
				sizeof(pass), err)) != PKI_OK)
		goto out;
	if ((ret = gnutls_pkcs12_init(&p12)) < 0) {
		rc = pki__gnutls_error(err, ret, "gnutls_pkcs12_init");
		goto out;
	}
	if ((ret = gnutls_pkcs12_import(p12, &file, GNUTLS_X509_FMT_DER, 0)) < 0 &&
	    (ret = gnutls_pkcs12_import(p12, &file, GNUTLS_X509_FMT_PEM, 0)) < 0) {
		rc = pki_error_set(err, PKI_E_PARSE, "%s is not a PKCS#12 "
				   "file: %s", x->path, gnutls_strerror(ret));
		goto out;
	}
	if ((ret = gnutls_pkcs12_verify_mac(p12, pass)) < 0) {
		rc = pki_error_set(err, PKI_E_AUTH, "%s: wrong password or "
				   "damaged file (%s)", x->path,
				   gnutls_strerror(ret));
		goto out;
	}
	ret = gnutls_pkcs12_simple_parse(p12, pass, &x->key, &x->chain,
					 &x->chain_len, NULL, NULL, NULL, 0);
	if (ret < 0 || x->key == NULL || x->chain_len == 0) {
		rc = pki_error_set(err, PKI_E_PARSE, "%s: cannot find a key and "
				   "its certificate: %s", x->path,
				   ret < 0 ? gnutls_strerror(ret) : "missing");
		goto out;
	}
	rc = PKI_OK;
out:
	pki_memzero(pass, sizeof(pass));
	gnutls_pkcs12_deinit(p12);
	pki_memzero(file.data, file.size);
	gnutls_free(file.data);
	return rc;
}

/* The certificate must be a valid CA certificate of the key, with room
 * for the CAs below node i: checked before the key is sealed. */
static int
import_check(struct builder *B, size_t i, struct p12_import *x,
	     struct pki_error *err)
{
	gnutls_x509_crt_t crt = x->chain[0];
	unsigned char k1[64], k2[64];
	size_t l1 = sizeof(k1), l2 = sizeof(k2);
	unsigned ca = 0, usage = 0, crit;
	char label[PATH_MAX + 32];
	int ret, rc;

	ret = gnutls_x509_crt_get_basic_constraints(crt, &crit, &ca, NULL);
	if (ret < 0 || !ca)
		return pki_error_set(err, PKI_E_INVALID, "%s: the certificate "
				     "is not a CA certificate (basicConstraints "
				     "cA is not set)", x->path);
	if (gnutls_x509_crt_get_key_usage(crt, &usage, NULL) >= 0 &&
	    !(usage & GNUTLS_KEY_KEY_CERT_SIGN))
		return pki_error_set(err, PKI_E_INVALID, "%s: the certificate's "
				     "keyUsage lacks keyCertSign", x->path);
	if (B->now > gnutls_x509_crt_get_expiration_time(crt))
		return pki_error_set(err, PKI_E_INVALID, "%s: the CA "
				     "certificate has expired", x->path);
	if ((ret = gnutls_pubkey_init(&x->pub)) < 0 ||
	    (ret = gnutls_pubkey_import_x509(x->pub, crt, 0)) < 0)
		return pki__gnutls_error(err, ret, "certificate public key");
	if ((rc = pki_key_alg_of_pubkey(x->pub, &x->alg, err)) != PKI_OK)
		return rc;
	/* The key must be the certificate's, checked before sealing. */
	if (gnutls_x509_privkey_get_key_id(x->key, GNUTLS_KEYID_USE_SHA256,
					   k1, &l1) < 0 ||
	    gnutls_x509_crt_get_key_id(crt, GNUTLS_KEYID_USE_SHA256, k2,
				       &l2) < 0 ||
	    l1 != l2 || memcmp(k1, k2, l1) != 0)
		return pki_error_set(err, PKI_E_INVALID, "%s: the private key "
				     "does not belong to the certificate",
				     x->path);
	snprintf(label, sizeof(label), "the imported CA certificate in %s",
		 x->path);
	return check_room_below(B->plan, i, crt, B->now, label, err);
}

/* Seal the key of node i in the lockbox: x->uri as recorded, x->made for
 * discard_key.  The sealed key must be the certificate's key. */
static int
import_seal_key(struct builder *B, size_t i, struct p12_import *x,
		struct pki_error *err)
{
	const struct pki_hier_node *n = &B->plan->nodes[i];
	char kid[80], sealed[80];
	int rc;

	if ((rc = pki_key_import(B->ks, x->key, n->online, n->name, &x->uri,
				 err)) != PKI_OK)
		return rc;
	if ((x->uri = key_uri_for_record(x->uri, &x->made)) == NULL)
		return pki_error_set(err, PKI_E_NOMEM, "out of memory");
	if ((rc = pki_key_id(x->pub, kid, sizeof(kid), err)) != PKI_OK ||
	    (rc = pki_key_uri_id(x->uri, sealed, sizeof(sealed), err)) != PKI_OK)
		return rc;
	if (strcmp(sealed, kid) != 0)
		return pki_error_set(err, PKI_E_INVALID, "%s: the private key "
				     "does not belong to the certificate",
				     x->path);
	return PKI_OK;
}

static int
build_import(struct builder *B, size_t i, struct pki_error *err)
{
	const struct pki_hier_node *n = &B->plan->nodes[i];
	struct pki_ca_record rec;
	struct p12_import x;
	gnutls_datum_t *extra = NULL;
	unsigned k;
	int ret, rc, recorded = 0;

	memset(&rec, 0, sizeof(rec));
	memset(&x, 0, sizeof(x));
	if ((rc = import_read_p12(B, &x, err)) != PKI_OK ||
	    (rc = import_check(B, i, &x, err)) != PKI_OK ||
	    (rc = import_seal_key(B, i, &x, err)) != PKI_OK)
		goto out;
	if ((ret = gnutls_x509_crt_export2(x.chain[0], GNUTLS_X509_FMT_DER,
					   &B->ders[i])) < 0) {
		rc = pki__gnutls_error(err, ret, "export imported certificate");
		goto out;
	}
	B->crts[i] = x.chain[0];
	x.chain[0] = NULL;
	if ((rc = init_record(&rec, n, 0, "import", pki_key_alg_name(x.alg),
			      x.uri, err)) != PKI_OK) {
		x.uri = NULL;
		goto out;
	}
	x.uri = NULL;
	if ((rc = rec_from_cert(&rec, B->crts[i], &B->ders[i], err)) != PKI_OK ||
	    (rc = record_ca(B, &rec, "pki.build.import", err)) != PKI_OK)
		goto out;
	recorded = 1;
	pki_ca_record_clear(&B->status[i].rec);
	B->status[i].rec = rec;
	memset(&rec, 0, sizeof(rec));
	if (x.chain_len > 1 &&
	    (extra = calloc(x.chain_len - 1, sizeof(*extra))) != NULL)
		for (k = 1; k < x.chain_len; k++)
			gnutls_x509_crt_export2(x.chain[k], GNUTLS_X509_FMT_DER,
						&extra[k - 1]);
	if ((rc = write_ca_files(B, i, extra, extra ? x.chain_len - 1 : 0,
				 err)) != PKI_OK)
		goto out;
	B->res[i].action = PKI_HIER_IMPORTED;
	rc = PKI_OK;
out:
	discard_key(B, &x.made, recorded);
	if (extra != NULL)
		for (k = 0; k + 1 < x.chain_len; k++)
			gnutls_free(extra[k].data);
	free(extra);
	for (k = 0; k < x.chain_len; k++)
		if (x.chain[k] != NULL)
			gnutls_x509_crt_deinit(x.chain[k]);
	gnutls_free(x.chain);
	gnutls_x509_privkey_deinit(x.key);
	gnutls_pubkey_deinit(x.pub);
	pki_ca_record_clear(&rec);
	free(x.path);
	free(x.uri);
	return rc;
}

/* A CA built from a different definition stops the build: spork does not
 * re-key or re-issue an existing CA. */
static int
check_unchanged(const struct builder *B, struct pki_error *err)
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
keep_unchanged(struct builder *B, size_t i, struct pki_error *err)
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
	return write_ca_files(B, i, NULL, 0, err);
}

int
pki_hier_build(const struct pki_hier_plan *plan, struct pki_state *state,
	       struct pki_hier_result **results, struct pki_error *err)
{
	struct builder B;
	struct pki_diags d = { 0, NULL, 0 };
	size_t i, n = plan->n;
	int rc = PKI_E_NOMEM;

	*results = NULL;
	memset(&B, 0, sizeof(B));
	B.plan = plan;
	B.state = state;
	B.st = pki_state_store(state);
	B.ks = pki_state_keystore(state);
	B.now = pki_state_now(state);
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
	if ((rc = pki_hier_diff(plan, state, B.now, &B.status, &d,
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
			rc = build_import(&B, i, err);
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
	pki_hier_results_free(B.res, n);
	pki_hier_status_free(B.status, n);
	pki_diags_clear(&d);
	return rc;
}

/* --------------------------------------------------- subordinate, step 2 */

static int
load_pem_certs(const char *path, gnutls_x509_crt_t **list, unsigned *n,
	       struct pki_error *err)
{
	gnutls_datum_t f = { NULL, 0 };
	int ret, rc;

	if ((rc = pki_file_read(path, 1 << 20, &f, err)) != PKI_OK)
		return rc;
	ret = gnutls_x509_crt_list_import2(list, n, &f, GNUTLS_X509_FMT_PEM, 0);
	if (ret < 0)
		ret = gnutls_x509_crt_list_import2(list, n, &f,
						   GNUTLS_X509_FMT_DER, 0);
	gnutls_free(f.data);
	if (ret < 0)
		return pki_error_set(err, PKI_E_PARSE, "%s: no certificate: %s",
				     path, gnutls_strerror(ret));
	return PKI_OK;
}

/* A certificate for a CA waiting for one (pki_hier_import_cert). */
struct cert_import {
	const struct pki_hier_plan *plan;
	const char *ca_name;
	int64_t now;
	size_t idx;                     /* the CA's node */
	struct pki_ca_record rec;       /* its record */
	gnutls_x509_crt_t crt;          /* the certificate */
	gnutls_datum_t der;             /* its DER */
	gnutls_x509_crt_t *ext;         /* the [external] CA's certificates */
	unsigned next;
};

/* The CA's node and record: a CA the [external] CA signs, still waiting
 * for its certificate, with the definition its request was written
 * from. */
static int
find_pending_ca(struct cert_import *ci, struct pki_store *st,
		struct pki_error *err)
{
	const struct pki_hier_plan *plan = ci->plan;
	size_t i;
	int rc;

	ci->idx = PKI_HIER_NONE;
	for (i = 0; i < plan->n; i++)
		if (strcmp(plan->nodes[i].name, ci->ca_name) == 0)
			ci->idx = i;
	if (ci->idx == PKI_HIER_NONE || !plan->nodes[ci->idx].external_parent)
		return pki_error_set(err, PKI_E_NOTFOUND, "'%s' is not a CA "
				     "signed by the [external] CA in %s",
				     ci->ca_name, plan->path);
	if ((rc = pki_store_ca_get(st, ci->ca_name, &ci->rec, err)) != PKI_OK)
		return rc;
	if (ci->rec.status != PKI_CA_PENDING)
		return pki_error_set(err, PKI_E_EXISTS, "CA '%s' is not waiting "
				     "for a certificate (it already has one)",
				     ci->ca_name);
	if (strcmp(ci->rec.spec_hash, plan->nodes[ci->idx].spec_hash) != 0)
		return pki_error_set(err, PKI_E_CONFLICT, "the definition of "
				     "'%s' changed since its request was "
				     "written", ci->ca_name);
	return PKI_OK;
}

/* The certificate must certify the key and the subject of the stored
 * request. */
static int
match_request(struct cert_import *ci, struct pki_error *err)
{
	gnutls_x509_crq_t crq = NULL;
	gnutls_datum_t cdn = { NULL, 0 }, qdn = { NULL, 0 };
	unsigned char kid1[64], kid2[64];
	size_t l1 = sizeof(kid1), l2 = sizeof(kid2);
	int ret, rc = PKI_E_INVALID;

	if ((ret = gnutls_x509_crq_init(&crq)) < 0 ||
	    (ret = gnutls_x509_crq_import(crq, &ci->rec.csr_der,
					  GNUTLS_X509_FMT_DER)) < 0) {
		rc = pki__gnutls_error(err, ret, "stored request");
		goto out;
	}
	if (gnutls_x509_crt_get_key_id(ci->crt, GNUTLS_KEYID_USE_SHA256, kid1,
				       &l1) < 0 ||
	    gnutls_x509_crq_get_key_id(crq, GNUTLS_KEYID_USE_SHA256, kid2,
				       &l2) < 0 ||
	    l1 != l2 || memcmp(kid1, kid2, l1) != 0) {
		rc = pki_error_set(err, PKI_E_INVALID, "the certificate does not "
				   "certify the key of the request for '%s'",
				   ci->ca_name);
		goto out;
	}
	if (gnutls_x509_crt_get_dn3(ci->crt, &cdn, 0) < 0 ||
	    gnutls_x509_crq_get_dn3(crq, &qdn, 0) < 0 || cdn.size != qdn.size ||
	    memcmp(cdn.data, qdn.data, cdn.size) != 0) {
		rc = pki_error_set(err, PKI_E_INVALID, "the certificate's subject "
				   "'%.*s' is not the requested '%.*s'",
				   (int)cdn.size, cdn.data ? (char *)cdn.data : "",
				   (int)qdn.size, qdn.data ? (char *)qdn.data : "");
		goto out;
	}
	rc = PKI_OK;
out:
	if (crq != NULL)
		gnutls_x509_crq_deinit(crq);
	gnutls_free(cdn.data);
	gnutls_free(qdn.data);
	return rc;
}

/* The certificate must be a CA certificate, valid now, with room for the
 * CAs below it. */
static int
check_ca_cert(struct cert_import *ci, struct pki_error *err)
{
	unsigned ca = 0, usage = 0, crit;
	char what[600];
	int ret;

	ret = gnutls_x509_crt_get_basic_constraints(ci->crt, &crit, &ca, NULL);
	if (ret < 0 || !ca)
		return pki_error_set(err, PKI_E_INVALID, "the certificate is "
				     "not a CA certificate (basicConstraints "
				     "cA unset)");
	if (gnutls_x509_crt_get_key_usage(ci->crt, &usage, NULL) >= 0 &&
	    !(usage & GNUTLS_KEY_KEY_CERT_SIGN))
		return pki_error_set(err, PKI_E_INVALID, "the certificate's "
				     "keyUsage lacks keyCertSign");
	if (ci->now > gnutls_x509_crt_get_expiration_time(ci->crt) ||
	    ci->now + 300 < gnutls_x509_crt_get_activation_time(ci->crt))
		return pki_error_set(err, PKI_E_INVALID, "the certificate is "
				     "not valid now");
	snprintf(what, sizeof(what), "the certificate for '%s'", ci->ca_name);
	return check_room_below(ci->plan, ci->idx, ci->crt, ci->now, what, err);
}

/* With [external] certificate: the certificate must verify against that
 * file's certificates, kept in ci->ext for the chain. */
static int
verify_external(struct cert_import *ci, struct pki_error *err)
{
	char *path = NULL;
	unsigned vstatus = 0;
	int ret, rc;

	if (ci->plan->external_cert == NULL)
		return PKI_OK;
	if ((path = plan_file(ci->plan, ci->plan->external_cert)) == NULL) {
		rc = pki_error_set(err, PKI_E_NOMEM, "out of memory");
		goto out;
	}
	if ((rc = load_pem_certs(path, &ci->ext, &ci->next, err)) != PKI_OK)
		goto out;
	ret = gnutls_x509_crt_verify(ci->crt, ci->ext, ci->next, 0, &vstatus);
	if (ret < 0 || vstatus != 0) {
		gnutls_datum_t why = { NULL, 0 };

		gnutls_certificate_verification_status_print(vstatus,
			GNUTLS_CRT_X509, &why, 0);
		rc = pki_error_set(err, PKI_E_INVALID, "the certificate "
				   "does not verify against %s: %s", path,
				   why.data ? (char *)why.data : "error");
		gnutls_free(why.data);
		goto out;
	}
	rc = PKI_OK;
out:
	free(path);
	return rc;
}

/* One transaction: the certificate into the CA's record, and its audit
 * row. */
static int
record_cert(struct cert_import *ci, struct pki_store *st,
	    struct pki_error *err)
{
	char serial[64], *detail = NULL;
	int ret, rc;

	if ((ret = gnutls_x509_crt_export2(ci->crt, GNUTLS_X509_FMT_DER,
					   &ci->der)) < 0) {
		rc = pki__gnutls_error(err, ret, "export certificate");
		goto out;
	}
	if ((rc = pki_cert_serial_hex(ci->crt, serial, sizeof(serial),
				      err)) != PKI_OK)
		goto out;
	if (asprintf(&detail, "{\"serial\":\"%s\"}", serial) < 0) {
		detail = NULL;
		rc = pki_error_set(err, PKI_E_NOMEM, "out of memory");
		goto out;
	}
	if ((rc = pki_store_begin(st, err)) != PKI_OK)
		goto out;
	if ((rc = pki_store_ca_set_cert(st, ci->rec.id, &ci->der, serial,
				gnutls_x509_crt_get_activation_time(ci->crt),
				gnutls_x509_crt_get_expiration_time(ci->crt),
				err)) != PKI_OK ||
	    (rc = pki_store_audit(st, NULL, "pki.import.cert",
				  ci->ca_name, detail, err)) != PKI_OK ||
	    (rc = pki_store_commit(st, err)) != PKI_OK) {
		pki_store_rollback(st);
		goto out;
	}
out:
	free(detail);
	return rc;
}

/* Publish the certificate and its chain (with the external CA). */
static int
publish_cert(struct cert_import *ci, struct pki_state *state,
	     struct pki_error *err)
{
	struct builder B;
	gnutls_datum_t *extra = NULL;
	struct pki_hier_result res[1];
	unsigned k;
	int rc;

	memset(&B, 0, sizeof(B));
	memset(res, 0, sizeof(res));
	B.plan = ci->plan;
	B.state = state;
	B.ders = &ci->der - ci->idx;  /* only ders[idx] is read for a top CA */
	B.res = res - ci->idx;
	if (ci->next > 0 && (extra = calloc(ci->next, sizeof(*extra))) != NULL)
		for (k = 0; k < ci->next; k++)
			gnutls_x509_crt_export2(ci->ext[k], GNUTLS_X509_FMT_DER,
						&extra[k]);
	rc = write_ca_files(&B, ci->idx, extra, extra ? ci->next : 0, err);
	for (k = 0; extra != NULL && k < ci->next; k++)
		gnutls_free(extra[k].data);
	free(extra);
	free(res[0].cert_path);
	free(res[0].chain_path);
	return rc;
}

int
pki_hier_import_cert(const struct pki_hier_plan *plan, struct pki_state *state,
		     const char *ca_name, const gnutls_datum_t *cert,
		     struct pki_error *err)
{
	struct pki_store *st = pki_state_store(state);
	struct cert_import ci;
	unsigned k;
	int rc;

	memset(&ci, 0, sizeof(ci));
	ci.plan = plan;
	ci.ca_name = ca_name;
	ci.now = pki_state_now(state);
	if ((rc = find_pending_ca(&ci, st, err)) != PKI_OK ||
	    (rc = pki_cert_parse(cert, &ci.crt, err)) != PKI_OK ||
	    (rc = match_request(&ci, err)) != PKI_OK ||
	    (rc = check_ca_cert(&ci, err)) != PKI_OK ||
	    (rc = verify_external(&ci, err)) != PKI_OK ||
	    (rc = record_cert(&ci, st, err)) != PKI_OK ||
	    (rc = publish_cert(&ci, state, err)) != PKI_OK)
		goto out;
	rc = PKI_OK;
out:
	for (k = 0; k < ci.next; k++)
		gnutls_x509_crt_deinit(ci.ext[k]);
	gnutls_free(ci.ext);
	if (ci.crt != NULL)
		gnutls_x509_crt_deinit(ci.crt);
	gnutls_free(ci.der.data);
	pki_ca_record_clear(&ci.rec);
	return rc;
}
