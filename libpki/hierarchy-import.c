/*
 * hierarchy-import: CA certificates spork did not make.  The [import] CA
 * of a plan (a PKCS#12 file, read by pki_hier_build) and the second step
 * of a subordinate CA (pki_hier_import_cert: the certificate the
 * external CA issued).  See hierarchy.h and hierarchy.toml(5).
 */
#include <config.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/abstract.h>
#include <gnutls/pkcs12.h>
#include <gnutls/x509.h>

#include <spork/enroll.h>
#include <spork/hierarchy.h>
#include <spork/state.h>
#include "keystore.h"
#include "store-write.h"
#include "hierarchy-int.h"
#include "util.h"

/* ------------------------------------------- CA certificates from outside */

/* The first of issuers[0..n) whose subject is crt's issuer, other than
 * crt itself (a self-issued certificate has no other issuer); NULL. */
static gnutls_x509_crt_t
issuer_of(gnutls_x509_crt_t crt, const gnutls_x509_crt_t *issuers, size_t n)
{
	size_t i;

	if (gnutls_x509_crt_check_issuer(crt, crt) == 1)
		return NULL;
	for (i = 0; i < n; i++)
		if (issuers[i] != NULL &&
		    gnutls_x509_crt_check_issuer(crt, issuers[i]) == 1)
			return issuers[i];
	return NULL;
}

/*
 * What verifiers refuse, or accept only for a while, in a CA certificate
 * spork did not make: a basicConstraints extension that is not critical
 * (RFC 5280 4.2.1.9: a CA MUST mark it critical; verifiers may then not
 * treat the certificate as a CA's), and a notAfter after its issuer's
 * (the chain fails when the issuer expires; some verifiers refuse it at
 * once).  issuers[0..n) may hold crt's issuer (none: not compared).
 * Without PKI_HIER_FORCE in flags: PKI_E_INVALID naming what was found,
 * with the hint PKI_HINT_FORCE.  With it: PKI_OK, and *forced (caller
 * json_decref()s it) a JSON array of what was accepted anyway, for the
 * audit row; NULL when nothing was found.
 */
static int
outside_ca_check(gnutls_x509_crt_t crt, const gnutls_x509_crt_t *issuers,
		 size_t n, const char *what, unsigned flags, json_t **forced,
		 struct pki_error *err)
{
	gnutls_x509_crt_t iss = issuer_of(crt, issuers, n);
	unsigned crit = 0, ca = 0;
	char found[2][300], t1[PKI_TIME_STRLEN], t2[PKI_TIME_STRLEN];
	size_t k, nf = 0;
	json_t *a;

	*forced = NULL;
	if (gnutls_x509_crt_get_basic_constraints(crt, &crit, &ca, NULL) >= 0 &&
	    !crit)
		snprintf(found[nf++], sizeof(found[0]), "its basicConstraints "
			 "extension is not critical (RFC 5280 4.2.1.9)");
	if (iss != NULL && gnutls_x509_crt_get_expiration_time(crt) >
	    gnutls_x509_crt_get_expiration_time(iss)) {
		pki_time_format(gnutls_x509_crt_get_expiration_time(crt), t1);
		pki_time_format(gnutls_x509_crt_get_expiration_time(iss), t2);
		snprintf(found[nf++], sizeof(found[0]), "it expires %s, after "
			 "its issuer (%s)", t1, t2);
	}
	if (nf == 0)
		return PKI_OK;
	if (!(flags & PKI_HIER_FORCE)) {
		pki_error_set(err, PKI_E_INVALID, "%s: %s%s%s; verifiers may "
			      "refuse it", what, found[0], nf > 1 ? ", and " :
			      "", nf > 1 ? found[1] : "");
		return pki_error_hint(err, PKI_HINT_FORCE);
	}
	if ((a = json_array()) == NULL)
		return pki_error_set(err, PKI_E_NOMEM, "out of memory");
	for (k = 0; k < nf; k++)
		json_array_append_new(a, json_string(found[k]));
	*forced = a;
	return PKI_OK;
}

/* "; "-joined strings of a JSON array (caller frees); NULL for NULL. */
static char *
forced_text(const json_t *a)
{
	char *out = NULL;
	size_t len = 0, i;
	FILE *f;

	if (a == NULL || (f = open_memstream(&out, &len)) == NULL)
		return NULL;
	for (i = 0; i < json_array_size(a); i++)
		fprintf(f, "%s%s", i ? "; " : "",
			json_string_value(json_array_get(a, i)));
	fclose(f);
	return out;
}

/* ------------------------------------------------------------ PKCS#12 */

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

/* The PKCS#12 of [import] on its way into the store
 * (pki__hier_build_import). */
struct p12_import {
	char *path;                     /* the file, for messages */
	gnutls_x509_privkey_t key;
	gnutls_x509_crt_t *chain;       /* chain[0]: the CA certificate */
	unsigned chain_len;
	gnutls_x509_crt_t *others;      /* the file's other certificates */
	unsigned nothers;
	json_t *forced;                 /* outside_ca_check */
	gnutls_pubkey_t pub;            /* chain[0]'s public key */
	enum pki_key_alg alg;
	char *uri;                      /* the sealed key, as recorded */
	char *made;                     /* for pki__hier_discard_key */
};

/* Read the PKCS#12, ask for its password, check its MAC and take out the
 * key and the certificates. */
static int
import_read_p12(struct pki__hier_builder *B, struct p12_import *x,
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
					 &x->chain_len, &x->others,
					 &x->nothers, NULL, 0);
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
import_check(struct pki__hier_builder *B, size_t i, struct p12_import *x,
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
	if ((rc = check_room_below(B->plan, i, crt, B->now, label,
				   err)) != PKI_OK)
		return rc;
	/* Its issuer, when the file holds it: in the chain or beside it. */
	{
		gnutls_x509_crt_t iss[64];
		size_t n = 0, k;

		for (k = 1; k < x->chain_len && n < 64; k++)
			iss[n++] = x->chain[k];
		for (k = 0; k < x->nothers && n < 64; k++)
			iss[n++] = x->others[k];
		return outside_ca_check(crt, iss, n, label, B->flags,
					&x->forced, err);
	}
}

/* Seal the key of node i in the lockbox: x->uri as recorded, x->made for
 * pki__hier_discard_key.  The sealed key must be the certificate's key. */
static int
import_seal_key(struct pki__hier_builder *B, size_t i, struct p12_import *x,
		struct pki_error *err)
{
	const struct pki_hier_node *n = &B->plan->nodes[i];
	char kid[80], sealed[80];
	int rc;

	if ((rc = pki_key_import(B->ks, x->key, n->online, n->name, &x->uri,
				 err)) != PKI_OK)
		return rc;
	if ((x->uri = pki__hier_key_uri(x->uri, &x->made)) == NULL)
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

int
pki__hier_build_import(struct pki__hier_builder *B, size_t i,
		       struct pki_error *err)
{
	const struct pki_hier_node *n = &B->plan->nodes[i];
	struct pki_ca_record rec;
	struct p12_import x;
	gnutls_datum_t *extra = NULL;
	json_t *extra_json = NULL;
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
	if ((rc = pki__hier_init_record(&rec, n, 0, "import",
					pki_key_alg_name(x.alg), x.uri,
					err)) != PKI_OK) {
		x.uri = NULL;
		goto out;
	}
	x.uri = NULL;
	if (x.forced != NULL &&
	    (extra_json = json_pack("{s:O}", "forced", x.forced)) == NULL) {
		rc = pki_error_set(err, PKI_E_NOMEM, "out of memory");
		goto out;
	}
	if ((rc = pki__hier_rec_from_cert(&rec, B->crts[i], &B->ders[i],
					  err)) != PKI_OK ||
	    (rc = pki__hier_record_ca(B, &rec, "pki.build.import", extra_json,
				      err)) != PKI_OK)
		goto out;
	B->res[i].forced = forced_text(x.forced);
	recorded = 1;
	pki_ca_record_clear(&B->status[i].rec);
	B->status[i].rec = rec;
	memset(&rec, 0, sizeof(rec));
	if (x.chain_len > 1 &&
	    (extra = calloc(x.chain_len - 1, sizeof(*extra))) != NULL)
		for (k = 1; k < x.chain_len; k++)
			gnutls_x509_crt_export2(x.chain[k], GNUTLS_X509_FMT_DER,
						&extra[k - 1]);
	if ((rc = pki__hier_write_ca_files(B, i, extra, extra ? x.chain_len - 1 : 0,
				 err)) != PKI_OK)
		goto out;
	B->res[i].action = PKI_HIER_IMPORTED;
	rc = PKI_OK;
out:
	pki__hier_discard_key(B, &x.made, recorded);
	if (extra != NULL)
		for (k = 0; k + 1 < x.chain_len; k++)
			gnutls_free(extra[k].data);
	free(extra);
	for (k = 0; k < x.chain_len; k++)
		if (x.chain[k] != NULL)
			gnutls_x509_crt_deinit(x.chain[k]);
	gnutls_free(x.chain);
	for (k = 0; k < x.nothers; k++)
		gnutls_x509_crt_deinit(x.others[k]);
	gnutls_free(x.others);
	json_decref(x.forced);
	json_decref(extra_json);
	gnutls_x509_privkey_deinit(x.key);
	gnutls_pubkey_deinit(x.pub);
	pki_ca_record_clear(&rec);
	free(x.path);
	free(x.uri);
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
	unsigned flags;                 /* PKI_HIER_FORCE */
	json_t *forced;                 /* outside_ca_check */
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
	json_t *o = NULL;
	int ret, rc;

	if ((ret = gnutls_x509_crt_export2(ci->crt, GNUTLS_X509_FMT_DER,
					   &ci->der)) < 0) {
		rc = pki__gnutls_error(err, ret, "export certificate");
		goto out;
	}
	if ((rc = pki_cert_serial_hex(ci->crt, serial, sizeof(serial),
				      err)) != PKI_OK)
		goto out;
	if ((o = json_pack("{s:s}", "serial", serial)) == NULL ||
	    (ci->forced != NULL &&
	     json_object_set(o, "forced", ci->forced) != 0) ||
	    (detail = json_dumps(o, JSON_SORT_KEYS | JSON_COMPACT)) == NULL) {
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
	json_decref(o);
	free(detail);
	return rc;
}

/* Publish the certificate and its chain (with the external CA). */
static int
publish_cert(struct cert_import *ci, struct pki_state *state,
	     struct pki_error *err)
{
	struct pki__hier_builder B;
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
	rc = pki__hier_write_ca_files(&B, ci->idx, extra, extra ? ci->next : 0, err);
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
		     unsigned flags, char **forced, struct pki_error *err)
{
	struct pki_store *st = pki_state_store(state);
	struct cert_import ci;
	char what[600];
	unsigned k;
	int lockfd = -1, rc;

	memset(&ci, 0, sizeof(ci));
	if (forced != NULL)
		*forced = NULL;
	ci.plan = plan;
	ci.ca_name = ca_name;
	ci.now = pki_state_now(state);
	ci.flags = flags;
	snprintf(what, sizeof(what), "the certificate for '%s'", ca_name);
	if ((rc = pki__hier_lock(state, &lockfd, err)) != PKI_OK ||
	    (rc = find_pending_ca(&ci, st, err)) != PKI_OK ||
	    (rc = pki_cert_parse(cert, &ci.crt, err)) != PKI_OK ||
	    (rc = match_request(&ci, err)) != PKI_OK ||
	    (rc = check_ca_cert(&ci, err)) != PKI_OK ||
	    (rc = verify_external(&ci, err)) != PKI_OK ||
	    (rc = outside_ca_check(ci.crt, ci.ext, ci.next, what, flags,
				   &ci.forced, err)) != PKI_OK ||
	    (rc = record_cert(&ci, st, err)) != PKI_OK ||
	    (rc = publish_cert(&ci, state, err)) != PKI_OK)
		goto out;
	if (forced != NULL)
		*forced = forced_text(ci.forced);
	rc = PKI_OK;
out:
	if (lockfd >= 0)
		close(lockfd);
	json_decref(ci.forced);
	for (k = 0; k < ci.next; k++)
		gnutls_x509_crt_deinit(ci.ext[k]);
	gnutls_free(ci.ext);
	if (ci.crt != NULL)
		gnutls_x509_crt_deinit(ci.crt);
	gnutls_free(ci.der.data);
	pki_ca_record_clear(&ci.rec);
	if (rc != PKI_OK)
		(void)pki_store_refusal(st, NULL, "pki.import.cert",
					ca_name ? ca_name : "", err);
	return rc;
}
