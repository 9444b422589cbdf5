/*
 * enroll: issue and renew certificates (see enroll.h); enroll-revoke.c
 * finds and revokes them, enroll-pkcs12.c packages them.
 *
 * The order inside an issuance: parse and check the request (CSR
 * signature, key strength), settle the names (CN and SANs), check every
 * DNS name and IP address against the domain policy, settle the
 * validity, and only then touch the CA: unseal its key, build, lint and
 * sign, record the row and its audit row in one transaction, commit.
 * Nothing leaves this module before that commit returned.
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
#include "enroll-int.h"
#include "issue.h"
#include "crl-shard.h"
#include <spork/name.h>
#include "store-write.h"
#include "util.h"

/* Bound on the CAs above a certificate. */
#define MAX_CHAIN 16
/* Attempts when a random serial collides with a recorded one. */
#define SERIAL_TRIES 3

/* ------------------------------------------------------------ the CA */

static int
strlist_has(const struct pki_strlist *l, const char *s)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (strcmp(l->v[i], s) == 0)
			return 1;
	return 0;
}

struct issuer {
	struct pki_ca_record rec;
	gnutls_x509_crt_t crt;
	gnutls_privkey_t key;
};

static void
issuer_clear(struct issuer *is)
{
	pki_ca_record_clear(&is->rec);
	if (is->crt != NULL)
		gnutls_x509_crt_deinit(is->crt);
	if (is->key != NULL)
		gnutls_privkey_deinit(is->key);
	memset(is, 0, sizeof(*is));
}

static int64_t
now_of(const struct pki_enroll *e)
{
	return pki_state_now(e->state);
}

static int
is_issuing(const struct pki_ca_record *r)
{
	return r->role != NULL && strcmp(r->role, "issuing") == 0 &&
	       r->status == PKI_CA_ACTIVE;
}

/* "'A', 'B'" of the active issuing CAs, into buf. */
static void
issuing_names(const struct pki_ca_record *v, size_t n, char *buf, size_t len)
{
	size_t i, used = 0;

	buf[0] = '\0';
	for (i = 0; i < n && used + 1 < len; i++) {
		int w;

		if (!is_issuing(&v[i]))
			continue;
		w = snprintf(buf + used, len - used, "%s'%s'", used ? ", " : "",
			     v[i].name);
		if (w < 0)
			break;
		used += (size_t)w;
	}
	if (used >= len && len > 4)
		memcpy(buf + len - 4, "...", 4);
}

/* The CA the store names as profile's default, when it can issue:
 * its index in v, or n. */
static size_t
default_of(struct pki_store *st, const char *profile,
	   const struct pki_ca_record *v, size_t n, struct pki_error *err)
{
	struct pki_ca_default *d = NULL;
	size_t nd = 0, i, k, pick = n;

	if (pki_store_ca_defaults(st, &d, &nd, err) != PKI_OK) {
		pki_error_clear(err);   /* no default: choose as before */
		return n;
	}
	for (k = 0; k < nd; k++)
		if (strcmp(d[k].profile, profile) == 0)
			for (i = 0; i < n; i++)
				if (v[i].id == d[k].ca_id && is_issuing(&v[i]))
					pick = i;
	pki_ca_defaults_free(d, nd);
	return pick;
}

/*
 * Pick the issuing CA: by name (pki_store_ca_find: any case, or its
 * file slug), else the default of profile (hierarchy default_for, a
 * rotation), else the only active issuing CA.
 */
static int
pick_ca(const struct pki_enroll *e, const char *name, const char *profile,
	struct pki_ca_record *out, struct pki_error *err)
{
	struct pki_store *st = pki_state_store(e->state);
	struct pki_ca_record *v = NULL;
	size_t n = 0, i, found = 0, pick = 0;
	char names[512];
	int rc;

	memset(out, 0, sizeof(*out));
	if (name != NULL)
		return pki_store_ca_find(st, name, out, err);
	if ((rc = pki_store_ca_list(st, &v, &n, err)) != PKI_OK)
		return rc;
	issuing_names(v, n, names, sizeof(names));
	if ((pick = default_of(st, profile, v, n, err)) == n) {
		for (i = 0; i < n; i++)
			if (is_issuing(&v[i])) {
				found++;
				pick = i;
			}
		if (found == 0) {
			rc = pki_error_set(err, PKI_E_NOTFOUND, "there is no "
					   "active issuing CA in this state "
					   "directory");
			pki_error_hint(err, PKI_HINT_BUILD);
			goto out;
		}
		if (found > 1) {
			rc = pki_error_set(err, PKI_E_INVALID, "there are %zu "
					   "issuing CAs (%s) and none is the "
					   "default for %s (default_for in "
					   "hierarchy.toml): name the one to "
					   "use", found, names, profile);
			pki_error_hint(err, PKI_HINT_NAME_CA);
			goto out;
		}
	}
	*out = v[pick];
	memset(&v[pick], 0, sizeof(v[pick]));
	rc = PKI_OK;
out:
	pki_ca_records_free(v, n);
	return rc;
}

/* Check that is->rec can issue end-entity certificates of profile prof
 * now: issuing CAs only, except that any CA certifies its own OCSP
 * responder (RFC 6960 4.2.2.2: the delegate is certified by the CA whose
 * certificates it answers for, a root included). */
static int
issuer_check(const struct issuer *is, const struct pki_profile *prof,
	     int64_t now, struct pki_error *err)
{
	const struct pki_ca_record *r = &is->rec;
	char t[32];

	if (r->status == PKI_CA_PENDING) {
		pki_error_set(err, PKI_E_INVALID, "CA '%s' is waiting for its "
			      "certificate from the external CA", r->name);
		return pki_error_hint(err, PKI_HINT_IMPORT_CERT);
	}
	if (r->status == PKI_CA_REVOKED)
		return pki_error_set(err, PKI_E_INVALID, "CA '%s' is revoked and "
				     "issues nothing", r->name);
	if (strcmp(r->role, "issuing") != 0 &&
	    prof->id != PKI_PROFILE_OCSP_SIGNING)
		return pki_error_set(err, PKI_E_INVALID, "CA '%s' is a %s CA; "
				     "end-entity certificates come from "
				     "issuing CAs", r->name, r->role);
	if (now < r->not_before) {
		pki_time_format(r->not_before, t);
		return pki_error_set(err, PKI_E_INVALID, "CA '%s' is not valid "
				     "before %s", r->name, t);
	}
	if (now >= r->not_after) {
		pki_time_format(r->not_after, t);
		return pki_error_set(err, PKI_E_INVALID, "CA '%s' expired on %s",
				     r->name, t);
	}
	return PKI_OK;
}

/* Load the certificate and unseal the key of is->rec. */
static int
issuer_load(const struct pki_enroll *e, struct issuer *is,
	    struct pki_error *err)
{
	const struct pki_ca_record *r = &is->rec;
	enum pki_key_alg alg;
	int ret, rc;

	if ((ret = gnutls_x509_crt_init(&is->crt)) < 0 ||
	    (ret = gnutls_x509_crt_import(is->crt, &r->cert_der,
					  GNUTLS_X509_FMT_DER)) < 0)
		return pki__gnutls_error(err, ret, "the stored CA certificate");
	if ((rc = pki_key_alg_from_name(r->algorithm, &alg, err)) != PKI_OK)
		return rc;
	if ((rc = pki_key_load(pki_state_keystore(e->state), r->key_uri, alg, r->name, &is->key,
			       err)) != PKI_OK) {
		pki_error_prefix(err, "unsealing the key of CA '%s'", r->name);
		return rc;
	}
	return PKI_OK;
}

/* The service URLs the CA puts into what it issues, and the policy OIDs
 * it issues under. */
static int
ca_urls(const struct pki_ca_record *r, struct pki_cert_template *tpl,
	struct pki_error *err)
{
	static const struct {
		const char *key;
		size_t off;
	} map[] = {
		{ "crl_urls", offsetof(struct pki_cert_template, crl_urls) },
		{ "delta_crl_urls",
		  offsetof(struct pki_cert_template, freshest_crl_urls) },
		{ "freshest_crl_urls",
		  offsetof(struct pki_cert_template, freshest_crl_urls) },
		{ "ocsp_urls", offsetof(struct pki_cert_template, ocsp_urls) },
		{ "ca_issuers_urls",
		  offsetof(struct pki_cert_template, ca_issuers_urls) },
	};
	json_t *o = NULL, *a, *v;
	json_error_t jerr;
	size_t i, j;
	int rc = PKI_OK;

	if (r->config_json == NULL || *r->config_json == '\0')
		return PKI_OK;
	if ((o = json_loads(r->config_json, 0, &jerr)) == NULL ||
	    !json_is_object(o)) {
		rc = pki_error_set(err, PKI_E_DB, "CA '%s': stored configuration "
				   "is not a JSON object", r->name);
		goto out;
	}
	for (i = 0; i <= sizeof(map) / sizeof(map[0]); i++) {
		struct pki_strlist *l;

		if (i == sizeof(map) / sizeof(map[0])) {
			/* The CA's certificatePolicies: what it issues under. */
			l = &tpl->policy_oids;
			a = json_object_get(json_object_get(o, "spec"),
					    "policy_oids");
		} else {
			l = (struct pki_strlist *)((char *)tpl + map[i].off);
			a = json_object_get(o, map[i].key);
		}
		if (a == NULL)
			continue;
		json_array_foreach(a, j, v) {
			if (!json_is_string(v) ||
			    strlist_has(l, json_string_value(v)))
				continue;
			if (pki_strlist_add(l, json_string_value(v)) != PKI_OK) {
				rc = pki_error_set(err, PKI_E_NOMEM,
						   "out of memory");
				goto out;
			}
		}
	}
out:
	json_decref(o);
	return rc;
}

/* ------------------------------------------------------------ chain */

void
pki_enroll_chain_free(gnutls_datum_t *v, size_t n)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		gnutls_free(v[i].data);
	free(v);
}

/* As pki_enroll_chain; *has_root (may be NULL) says whether the last
 * element is the self-signed root. */
static int
chain_collect(struct pki_store *st, int64_t issuer_ca_id, int include_root,
	      gnutls_datum_t **out, size_t *n, int *has_root,
	      struct pki_error *err)
{
	struct pki_ca_record r;
	gnutls_datum_t *v = NULL;
	size_t k = 0;
	int64_t id = issuer_ca_id;
	int rc = PKI_OK;

	*out = NULL;
	*n = 0;
	if (has_root != NULL)
		*has_root = 0;
	memset(&r, 0, sizeof(r));
	while (id != 0) {
		int root;

		if (k >= MAX_CHAIN) {
			rc = pki_error_set(err, PKI_E_DB, "CA chain longer than "
					   "%d: the store is inconsistent",
					   MAX_CHAIN);
			goto out;
		}
		if ((rc = pki_store_ca_get_id(st, id, &r, err)) != PKI_OK)
			goto out;
		if (r.cert_der.size == 0) {
			rc = pki_error_set(err, PKI_E_INVALID, "CA '%s' has no "
					   "certificate yet", r.name);
			goto out;
		}
		root = r.parent_id == 0 && strcmp(r.role, "root") == 0;
		if (has_root != NULL)
			*has_root = root && include_root;
		if (!root || include_root) {
			gnutls_datum_t *nv = realloc(v, (k + 1) * sizeof(*v));

			if (nv == NULL) {
				rc = pki_error_set(err, PKI_E_NOMEM, "out of memory");
				goto out;
			}
			v = nv;
			v[k] = r.cert_der;
			r.cert_der.data = NULL;
			r.cert_der.size = 0;
			k++;
		}
		id = r.parent_id == r.id ? 0 : r.parent_id;
		pki_ca_record_clear(&r);
	}
	*out = v;
	*n = k;
	v = NULL;
	k = 0;
out:
	pki_ca_record_clear(&r);
	pki_enroll_chain_free(v, k);
	return rc;
}

int
pki_enroll_chain(struct pki_store *st, int64_t issuer_ca_id, int include_root,
		 gnutls_datum_t **out, size_t *n, struct pki_error *err)
{
	return chain_collect(st, issuer_ca_id, include_root, out, n, NULL, err);
}

/* ------------------------------------------------------------ results */

void
pki_enroll_result_clear(struct pki_enroll_result *res)
{
	if (res == NULL)
		return;
	gnutls_free(res->der.data);
	if (res->key != NULL)
		gnutls_x509_privkey_deinit(res->key);
	pki_cert_record_clear(&res->rec);
	pki_enroll_chain_free(res->chain, res->nchain);
	memset(res, 0, sizeof(*res));
}

/* ------------------------------------------------------------ issuing */

/* Everything about the certificate to build, before the CA is touched. */
struct job {
	const struct pki_profile *prof;
	struct pki_subject subj;
	struct pki__names names;
	gnutls_pubkey_t pub;
	gnutls_x509_privkey_t genkey;   /* generated here, handed to result */
	int64_t life;                   /* seconds asked for, 0: default */
	int64_t nb_req, na_req;         /* not_before/not_after asked for */
	int life_default;               /* life is a default: cut to the CA */
	int revoke_old;                 /* renewal: revoke the old one */
	int forced;                     /* renewal despite a valid renewal */
	const char *action;             /* "cert.issue", "cert.renew" */
	const char *key_origin;         /* "csr", "generated", "renewed" */
	const struct pki_cert_record *old; /* renewal */
};

static void
job_clear(struct job *j)
{
	pki_subject_clear(&j->subj);
	pki__names_clear(&j->names);
	if (j->pub != NULL)
		gnutls_pubkey_deinit(j->pub);
	if (j->genkey != NULL)
		gnutls_x509_privkey_deinit(j->genkey);
	memset(j, 0, sizeof(*j));
}

/* Generate a key of alg into j->genkey / j->pub. */
static int
job_generate(struct job *j, enum pki_key_alg alg, struct pki_error *err)
{
	gnutls_privkey_t pk = NULL;
	int ret, rc;

	if ((rc = pki_key_generate(alg, &j->genkey, err)) != PKI_OK)
		return rc;
	if ((ret = gnutls_privkey_init(&pk)) < 0 ||
	    (ret = gnutls_privkey_import_x509(pk, j->genkey, 0)) < 0 ||
	    (ret = gnutls_pubkey_init(&j->pub)) < 0 ||
	    (ret = gnutls_pubkey_import_privkey(j->pub, pk, 0, 0)) < 0)
		rc = pki__gnutls_error(err, ret, "public key of the new key");
	if (pk != NULL)
		gnutls_privkey_deinit(pk);
	return rc;
}

/* Parse and check a CSR; its public key into j->pub.  *crq for names. */
static int
job_csr(struct job *j, const gnutls_datum_t *csr, gnutls_x509_crq_t *crq,
	struct pki_error *err)
{
	int ret, rc;

	if ((rc = pki_issue_parse_csr(csr, crq, err)) != PKI_OK)
		return rc;
	if ((ret = gnutls_pubkey_init(&j->pub)) < 0 ||
	    (ret = gnutls_pubkey_import_x509_crq(j->pub, *crq, 0)) < 0)
		return pki__gnutls_error(err, ret, "the request's public key");
	return pki_profile_check_key(j->pub, err);
}
/* "90 days" or "36 hours" or "5400 seconds" into buf. */
static const char *
span(int64_t secs, char *buf, size_t len)
{
	if (secs % 86400 == 0)
		snprintf(buf, len, "%lld days", (long long)(secs / 86400));
	else if (secs % 3600 == 0)
		snprintf(buf, len, "%lld hours", (long long)(secs / 3600));
	else
		snprintf(buf, len, "%lld seconds", (long long)secs);
	return buf;
}

/* not_before/not_after for the job, inside the profile's maximum and the
 * issuer's validity: what was asked for, or from now for the default
 * length, cut to the CA's end. */
static int
job_validity(const struct job *j, const struct pki_ca_record *ca, int64_t now,
	     int64_t *nb, int64_t *na, struct pki_error *err)
{
	int64_t max = (int64_t)(j->prof->max_days ? j->prof->max_days : 398) *
		      86400, life;
	int explicit = (j->life != 0 && !j->life_default) || j->na_req != 0;
	char t[32], a[48], b[48];

	*nb = j->nb_req ? j->nb_req : now;
	if (j->nb_req != 0 && j->nb_req < now) {
		pki_time_format(j->nb_req, t);
		return pki_error_set(err, PKI_E_INVALID, "notBefore %s is in "
				     "the past; spork does not backdate", t);
	}
	if (*nb < ca->not_before) {
		pki_time_format(ca->not_before, t);
		return pki_error_set(err, PKI_E_INVALID, "CA '%s' is valid only "
				     "from %s", ca->name, t);
	}
	if (j->na_req != 0)
		*na = j->na_req;
	else
		*na = *nb + (j->life ? j->life : max) - 1;
	if (*na < *nb)
		return pki_error_set(err, PKI_E_INVALID, "notAfter comes before "
				     "notBefore");
	life = *na - *nb + 1;
	if (life > max)
		return pki_error_set(err, PKI_E_INVALID, "%s is more than the "
				     "%s profile allows (at most %s)",
				     span(life, a, sizeof(a)), j->prof->name,
				     span(max, b, sizeof(b)));
	if (*na > ca->not_after) {
		if (explicit) {
			pki_time_format(ca->not_after, t);
			return pki_error_set(err, PKI_E_INVALID, "CA '%s' is "
					     "valid only until %s: ask for at "
					     "most %lld days", ca->name, t,
					     (long long)((ca->not_after - *nb + 1)
							 / 86400));
		}
		*na = ca->not_after;
	}
	return PKI_OK;
}

static char *
audit_detail(const struct job *j, const struct issuer *is,
	     const struct pki_cert_record *r)
{
	char nb[32], na[32], *s;
	json_t *o;

	pki_time_format(r->not_before, nb);
	pki_time_format(r->not_after, na);
	o = json_pack("{s:s, s:s, s:s, s:o, s:s, s:s, s:s, s:s, s:s}",
		      "ca", is->rec.name, "profile", r->profile,
		      "subject", r->subject, "sans", pki__names_json(&j->names),
		      "not_before", nb, "not_after", na,
		      "sha256", r->sha256 ? r->sha256 : "",
		      "source", r->source ? r->source : "cli",
		      "key", j->key_origin);
	if (o == NULL)
		return NULL;
	if (j->old != NULL)
		json_object_set_new(o, "renewal_of", json_string(j->old->serial));
	if (j->forced)
		json_object_set_new(o, "forced", json_true());
	s = json_dumps(o, JSON_SORT_KEYS | JSON_COMPACT);
	json_decref(o);
	return s;
}

/* Fill the record from the signed certificate. */
static int
record_fill(struct pki_cert_record *r, const gnutls_datum_t *der,
	    const struct job *j, const struct pki_enroll *e,
	    const struct issuer *is, struct pki_error *err)
{
	gnutls_x509_crt_t crt = NULL;
	gnutls_datum_t dn = { NULL, 0 };
	char serial[2 * PKI_STORE_SERIAL_MAX + 1];
	int ret, rc = PKI_E_NOMEM;

	memset(r, 0, sizeof(*r));
	if ((ret = gnutls_x509_crt_init(&crt)) < 0 ||
	    (ret = gnutls_x509_crt_import(crt, der, GNUTLS_X509_FMT_DER)) < 0 ||
	    ((ret = gnutls_x509_crt_get_dn3(crt, &dn, 0)) < 0 &&
	     ret != GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)) {
		rc = pki__gnutls_error(err, ret, "reading the new certificate");
		goto out;
	}
	if ((rc = pki_cert_serial_hex(crt, serial, sizeof(serial), err)) != PKI_OK)
		goto out;
	r->issuer_ca_id = is->rec.id;
	r->serial = strdup(serial);
	r->subject = dn.data != NULL ?
		     strndup((const char *)dn.data, dn.size) : strdup("");
	r->sans = pki__names_to_record(&j->names);
	r->profile = strdup(j->prof->name);
	r->not_before = gnutls_x509_crt_get_activation_time(crt);
	r->not_after = gnutls_x509_crt_get_expiration_time(crt);
	r->der.data = gnutls_malloc(der->size);
	r->renewal_of = j->old ? j->old->id : 0;
	r->source = strdup(e->source ? e->source : "cli");
	r->requester = strdup(e->requester ? e->requester :
			      pki_state_actor(e->state));
	r->issuer_name = strdup(is->rec.name);
	if (r->serial == NULL || r->subject == NULL || r->sans == NULL ||
	    r->profile == NULL || r->der.data == NULL || r->source == NULL ||
	    r->requester == NULL || r->issuer_name == NULL) {
		rc = pki_error_set(err, PKI_E_NOMEM, "out of memory");
		goto out;
	}
	memcpy(r->der.data, der->data, der->size);
	r->der.size = der->size;
	rc = PKI_OK;
out:
	gnutls_free(dn.data);
	if (crt != NULL)
		gnutls_x509_crt_deinit(crt);
	return rc;
}

/*
 * A sharded CA (crl-shard.h): draw the serial now and point
 * cRLDistributionPoints at its shard's CRL, derived from each of the
 * CA's crl_urls (base).
 */
static int
shard_urls(const struct pki_strlist *base, unsigned shards,
	   struct pki_cert_template *tpl, struct pki_error *err)
{
	unsigned shard;
	size_t i;
	char *u;
	int rc;

	if ((rc = pki__issue_draw_serial(tpl, err)) != PKI_OK)
		return rc;
	shard = pki__crl_shard_of(tpl->serial, tpl->serial_len, shards);
	pki_strlist_clear(&tpl->crl_urls);
	for (i = 0; i < base->n; i++) {
		if ((u = pki__crl_shard_url(base->v[i], shard)) == NULL)
			return pki_error_set(err, PKI_E_INVALID, "the CA's CRL "
					     "URL '%s' cannot name CRL shards",
					     base->v[i]);
		rc = pki_strlist_add(&tpl->crl_urls, u);
		free(u);
		if (rc != PKI_OK)
			return pki_error_set(err, PKI_E_NOMEM, "out of memory");
	}
	return PKI_OK;
}

/* Revoke old (superseded by new) inside the caller's transaction. */
static int
revoke_superseded(const struct pki_enroll *e, const struct pki_cert_record *old,
		  const struct pki_cert_record *new, struct pki_error *err)
{
	struct pki_store *st = pki_state_store(e->state);
	char *detail = NULL;
	json_t *o;
	int rc;

	o = json_pack("{s:s, s:s, s:s, s:s}", "subject", old->subject ?
		      old->subject : "", "ca", old->issuer_name ?
		      old->issuer_name : "", "reason", "superseded",
		      "renewed_by", new->serial);
	if (o != NULL)
		detail = json_dumps(o, JSON_SORT_KEYS | JSON_COMPACT);
	json_decref(o);
	if (detail == NULL)
		return pki_error_set(err, PKI_E_NOMEM, "out of memory");
	if ((rc = pki_store_cert_revoke(st, old->id, PKI_CRL_REASON_SUPERSEDED,
					0, 0, err)) == PKI_OK)
		rc = pki_store_audit(st, new->requester, "cert.revoke",
				     old->serial, detail, err);
	if (rc != PKI_OK)
		pki_error_prefix(err, "revoking %s", old->serial);
	free(detail);
	return rc;
}

/* Sign, record and commit; fill res. */
static int
job_run(const struct pki_enroll *e, struct job *j, struct issuer *is,
	struct pki_enroll_result *res, struct pki_error *err)
{
	struct pki_cert_template tpl;
	struct pki_cert_record rec;
	struct pki_strlist base;        /* a sharded CA's crl_urls */
	unsigned shards = pki__crl_shards(is->rec.config_json);
	gnutls_datum_t der = { NULL, 0 };
	char *detail = NULL;
	gnutls_datum_t *chain = NULL;
	size_t nchain = 0;
	int64_t now = now_of(e), nb = 0, na = 0;
	int rc, tries, in_tx = 0, has_root = 0;

	memset(&tpl, 0, sizeof(tpl));
	memset(&rec, 0, sizeof(rec));
	memset(&base, 0, sizeof(base));
	tpl.path_len = -1;
	if ((rc = issuer_check(is, j->prof, now, err)) != PKI_OK ||
	    (rc = job_validity(j, &is->rec, now, &nb, &na, err)) != PKI_OK ||
	    (rc = chain_collect(pki_state_store(e->state), is->rec.id, 1, &chain, &nchain,
				&has_root, err)) != PKI_OK ||
	    (rc = pki__enroll_constraints(&j->subj, &j->names, chain, nchain,
					     err)) != PKI_OK ||
	    (rc = pki_store_check_issue(pki_state_store(e->state), err)) !=
	    PKI_OK ||
	    (rc = issuer_load(e, is, err)) != PKI_OK)
		goto out;
	tpl.profile = j->prof;
	tpl.subject = j->subj;          /* borrowed: not cleared below */
	tpl.san_dns = j->names.dns;
	tpl.san_ip = j->names.ip;
	tpl.san_email = j->names.email;
	tpl.san_uri = j->names.uri;
	tpl.not_before = nb;
	tpl.not_after = na;
	if ((rc = ca_urls(&is->rec, &tpl, err)) != PKI_OK)
		goto out;
	if (shards > 0) {
		base = tpl.crl_urls;
		memset(&tpl.crl_urls, 0, sizeof(tpl.crl_urls));
	}
	for (tries = 0;; tries++) {
		tpl.serial_len = 0;
		if (shards > 0 && (rc = shard_urls(&base, shards, &tpl,
						   err)) != PKI_OK)
			goto out;
		gnutls_free(der.data);
		der.data = NULL;
		pki_cert_record_clear(&rec);
		if ((rc = pki_issue_sign(&tpl, j->pub, is->crt, is->key, &der,
					 err)) != PKI_OK)
			goto out;
		if ((rc = record_fill(&rec, &der, j, e, is, err)) != PKI_OK)
			goto out;
		if ((rc = pki_store_begin(pki_state_store(e->state), err)) != PKI_OK)
			goto out;
		in_tx = 1;
		rc = pki_store_cert_insert(pki_state_store(e->state), &rec, err);
		if (rc == PKI_E_EXISTS && tries + 1 < SERIAL_TRIES) {
			pki_store_rollback(pki_state_store(e->state));
			in_tx = 0;
			continue;       /* a serial collision: draw again */
		}
		if (rc != PKI_OK)
			goto out;
		free(detail);
		if ((detail = audit_detail(j, is, &rec)) == NULL) {
			rc = pki_error_set(err, PKI_E_NOMEM, "out of memory");
			goto out;
		}
		if ((rc = pki_store_audit(pki_state_store(e->state), rec.requester, j->action,
					  rec.serial, detail, err)) != PKI_OK)
			goto out;
		if (j->revoke_old &&
		    (rc = revoke_superseded(e, j->old, &rec, err)) != PKI_OK)
			goto out;
		if ((rc = pki_store_commit(pki_state_store(e->state), err)) != PKI_OK)
			goto out;
		in_tx = 0;
		break;
	}
	/* Durable: now the certificate may leave. */
	res->der = der;
	der.data = NULL;
	res->rec = rec;
	memset(&rec, 0, sizeof(rec));
	res->key = j->genkey;
	j->genkey = NULL;
	/* The chain handed back stops below the self-signed root. */
	if (nchain > 0 && has_root) {
		gnutls_free(chain[nchain - 1].data);
		nchain--;
	}
	res->chain = chain;
	res->nchain = nchain;
	chain = NULL;
	nchain = 0;
	rc = PKI_OK;
out:
	pki_enroll_chain_free(chain, nchain);
	if (in_tx)
		pki_store_rollback(pki_state_store(e->state));
	free(detail);
	gnutls_free(der.data);
	pki_cert_record_clear(&rec);
	/* tpl borrowed subject and SAN lists; the URL and policy lists are its. */
	pki_strlist_clear(&tpl.crl_urls);
	pki_strlist_clear(&base);
	pki_strlist_clear(&tpl.freshest_crl_urls);
	pki_strlist_clear(&tpl.ocsp_urls);
	pki_strlist_clear(&tpl.ca_issuers_urls);
	pki_strlist_clear(&tpl.policy_oids);
	return rc;
}

/* A refused issue or renewal (policy, passphrase, sealed key) leaves a
 * refusal row naming what was asked for. */
static void
job_refused(const struct pki_enroll *e, const struct job *j,
	    const char *object, const struct pki_error *err)
{
	if (object == NULL)
		object = j->subj.common_name != NULL ? j->subj.common_name :
			j->names.dns.n > 0 ? j->names.dns.v[0] :
			j->names.ip.n > 0 ? j->names.ip.v[0] :
			j->names.email.n > 0 ? j->names.email.v[0] : "";
	(void)pki_store_refusal(pki_state_store(e->state), e->requester,
				j->action != NULL ? j->action : "cert.issue",
				object, err);
}

static int
strdup_into(char **dst, const char *src, struct pki_error *err)
{
	free(*dst);
	*dst = NULL;
	if (src != NULL && (*dst = strdup(src)) == NULL)
		return pki_error_set(err, PKI_E_NOMEM, "out of memory");
	return PKI_OK;
}

static int
subject_copy(struct pki_subject *d, const struct pki_subject *s,
	     struct pki_error *err)
{
	int rc;

	if ((rc = strdup_into(&d->common_name, s->common_name, err)) != PKI_OK ||
	    (rc = strdup_into(&d->organization, s->organization, err)) != PKI_OK ||
	    (rc = strdup_into(&d->organizational_unit, s->organizational_unit,
			      err)) != PKI_OK ||
	    (rc = strdup_into(&d->country, s->country, err)) != PKI_OK ||
	    (rc = strdup_into(&d->state, s->state, err)) != PKI_OK ||
	    (rc = strdup_into(&d->locality, s->locality, err)) != PKI_OK ||
	    (rc = strdup_into(&d->email, s->email, err)) != PKI_OK ||
	    (rc = strdup_into(&d->serial_number, s->serial_number, err)) !=
	    PKI_OK)
		return rc;
	return PKI_OK;
}

/* The validity asked for into the job: a length (days or valid_for) or
 * a not_after, and a not_before. */
static int
validity_of(struct job *j, unsigned days, int64_t valid_for,
	    int64_t not_before, int64_t not_after, struct pki_error *err)
{
	if ((days != 0) + (valid_for != 0) + (not_after != 0) > 1)
		return pki_error_set(err, PKI_E_INVALID, "give the validity "
				     "as one length or as an end, not both");
	if (valid_for < 0 || not_before < 0 || not_after < 0)
		return pki_error_set(err, PKI_E_INVALID, "a negative validity");
	j->life = days != 0 ? (int64_t)days * 86400 : valid_for;
	j->nb_req = not_before;
	j->na_req = not_after;
	return PKI_OK;
}

int
pki_enroll_issue(const struct pki_enroll *e,
		 const struct pki_enroll_request *req,
		 struct pki_enroll_result *res, struct pki_error *err)
{
	struct job j;
	struct issuer is;
	gnutls_x509_crq_t crq = NULL;
	const char *pname = req->profile ? req->profile : "tls-server";
	int rc, override;
	size_t i;
	struct {
		const struct pki_strlist *l;
		const char *type;
	} given[] = {
		{ &req->san_dns, "dns" }, { &req->san_ip, "ip" },
		{ &req->san_email, "email" }, { &req->san_uri, "uri" },
	};

	memset(&j, 0, sizeof(j));
	memset(&is, 0, sizeof(is));
	memset(res, 0, sizeof(*res));
	j.action = "cert.issue";
	if ((rc = validity_of(&j, req->days, req->valid_for, req->not_before,
			      req->not_after, err)) != PKI_OK)
		goto out;
	j.prof = pki_profile_by_name(pname);
	if (j.prof == NULL || j.prof->is_ca) {
		rc = pki_error_set(err, PKI_E_NOTFOUND, "no end-entity profile "
				   "'%s' (use tls-server, tls-client, "
				   "code-signing, email or ocsp-signing)", pname);
		goto out;
	}
	/* The request: a CSR, or a key generated here. */
	if (req->csr != NULL) {
		j.key_origin = "csr";
		if ((rc = job_csr(&j, req->csr, &crq, err)) != PKI_OK)
			goto out;
		if ((rc = pki__enroll_subject_crq(crq, &j.subj, err)) != PKI_OK ||
		    (rc = pki__enroll_names_crq(crq, &j.names, err)) != PKI_OK) {
			pki_error_prefix(err, "the request");
			goto out;
		}
	} else {
		j.key_origin = "generated";
		if ((rc = job_generate(&j, req->key_alg, err)) != PKI_OK)
			goto out;
	}
	/* Overrides. */
	if (req->subject != NULL || req->cn != NULL) {
		pki_subject_clear(&j.subj);
		if ((req->subject != NULL &&
		     (rc = subject_copy(&j.subj, req->subject, err)) != PKI_OK) ||
		    (req->cn != NULL &&
		     (rc = strdup_into(&j.subj.common_name, req->cn, err)) !=
		     PKI_OK))
			goto out;
	}
	override = req->san_dns.n + req->san_ip.n + req->san_email.n +
		   req->san_uri.n > 0;
	if (override) {
		pki__names_clear(&j.names);
		for (i = 0; i < sizeof(given) / sizeof(given[0]); i++) {
			size_t k;

			for (k = 0; k < given[i].l->n; k++)
				if ((rc = pki__names_add(&j.names, given[i].type,
						   given[i].l->v[k], err)) != PKI_OK)
					goto out;
		}
	}
	if ((rc = pki__enroll_settle(j.prof, &j.subj, &j.names, err)) != PKI_OK ||
	    (rc = pki__enroll_policy(e->state, &j.subj, &j.names, err)) != PKI_OK)
		goto out;
	if ((rc = pick_ca(e, req->ca_name, j.prof->name, &is.rec, err)) != PKI_OK)
		goto out;
	rc = job_run(e, &j, &is, res, err);
out:
	if (rc != PKI_OK)
		job_refused(e, &j, NULL, err);
	if (crq != NULL)
		gnutls_x509_crq_deinit(crq);
	issuer_clear(&is);
	job_clear(&j);
	return rc;
}

/* ------------------------------------------------------------ checking */

void
pki_enroll_check_clear(struct pki_enroll_check *c)
{
	if (c == NULL)
		return;
	free(c->ca);
	free(c->decider);
	free(c->why);
	memset(c, 0, sizeof(*c));
}

/* The refusal e into out (by, decider) . */
static int
check_refused(struct pki_enroll_check *out, enum pki_enroll_check_by by,
	      const char *decider, const struct pki_error *e,
	      struct pki_error *err)
{
	out->by = by;
	out->why = strdup(e->msg[0] ? e->msg : pki_strerror(e->code));
	if (decider != NULL)
		out->decider = strdup(decider);
	if (out->why == NULL || (decider != NULL && out->decider == NULL))
		return pki_error_set(err, PKI_E_NOMEM, "out of memory");
	return PKI_OK;
}

int
pki_enroll_check_name(const struct pki_enroll *e, const char *ca_name,
		      const char *profile, const char *name,
		      struct pki_enroll_check *out, struct pki_error *err)
{
	const struct pki_profile *prof;
	struct pki_subject subj;
	struct pki__names names;
	struct pki_ca_record ca, r;
	struct pki_name_ip ip;
	struct pki_error e2;
	int64_t id;
	int rc, hops;

	memset(out, 0, sizeof(*out));
	memset(&subj, 0, sizeof(subj));
	memset(&names, 0, sizeof(names));
	memset(&ca, 0, sizeof(ca));
	memset(&r, 0, sizeof(r));
	pki_error_clear(&e2);
	prof = pki_profile_by_name(profile ? profile : "tls-server");
	if (prof == NULL || prof->is_ca)
		return pki_error_set(err, PKI_E_NOTFOUND, "no end-entity "
				     "profile '%s' (use tls-server, "
				     "tls-client, code-signing, email or "
				     "ocsp-signing)", profile);
	out->profile = prof->name;
	/* the CA first: a name is only checked against a CA that could
	 * issue now */
	if ((rc = pick_ca(e, ca_name, prof->name, &ca, err)) != PKI_OK)
		goto out;
	{
		struct issuer is;

		memset(&is, 0, sizeof(is));
		is.rec = ca;
		rc = issuer_check(&is, prof, now_of(e), err);
		if (rc != PKI_OK)
			goto out;
	}
	if ((out->ca = strdup(ca.name)) == NULL) {
		rc = pki_error_set(err, PKI_E_NOMEM, "out of memory");
		goto out;
	}
	if ((rc = pki__names_add(&names, pki_name_ip_parse(name, &ip, NULL) ==
				 PKI_OK ? "ip" : "dns", name, err)) != PKI_OK)
		goto out;
	if (pki__enroll_settle(prof, &subj, &names, &e2) != PKI_OK) {
		rc = check_refused(out, PKI_ENROLL_CHECK_PROFILE, NULL, &e2, err);
		goto out;
	}
	/* the issuing CA, then each CA above it: which one excludes it */
	for (id = ca.id, hops = 0; id != 0 && hops < MAX_CHAIN; hops++) {
		pki_ca_record_clear(&r);
		if ((rc = pki_store_ca_get_id(pki_state_store(e->state), id, &r,
					      err)) != PKI_OK)
			goto out;
		if (r.cert_der.size > 0 &&
		    pki__enroll_constraints(&subj, &names, &r.cert_der, 1,
					    &e2) != PKI_OK) {
			rc = check_refused(out, PKI_ENROLL_CHECK_CA, r.name,
					   &e2, err);
			goto out;
		}
		id = r.parent_id == r.id ? 0 : r.parent_id;
	}
	out->by = PKI_ENROLL_CHECK_OK;
	rc = PKI_OK;
out:
	if (rc != PKI_OK)
		pki_enroll_check_clear(out);
	pki_ca_record_clear(&r);
	pki_ca_record_clear(&ca);
	pki_subject_clear(&subj);
	pki__names_clear(&names);
	return rc;
}

/* ------------------------------------------------------------ renewal */

static int
pubkey_same(gnutls_pubkey_t a, gnutls_pubkey_t b)
{
	char ia[80], ib[80];

	if (pki_key_id(a, ia, sizeof(ia), NULL) != PKI_OK ||
	    pki_key_id(b, ib, sizeof(ib), NULL) != PKI_OK)
		return 0;
	return strcmp(ia, ib) == 0;
}

/* Whether old may be renewed (not a CA certificate, not revoked, a
 * profile that renews), and the job's profile, action and days: as
 * asked, or the old lifetime within the profile's maximum. */
static int
renew_job(const struct pki_enroll *e, struct job *j,
	  const struct pki_cert_record *old,
	  const struct pki_enroll_renewal *req, struct pki_error *err)
{
	int64_t life;
	int rc;

	if (old->ca_id != 0 || old->issuer_ca_id == 0) {
		pki_error_set(err, PKI_E_INVALID, "%s is a CA certificate; CA "
			      "certificates are made by the hierarchy, not "
			      "renewed here", old->serial);
		return pki_error_hint(err, PKI_HINT_HIERARCHY);
	}
	if (old->revoked)
		return pki_error_set(err, PKI_E_INVALID, "%s is revoked (%s); a "
				     "revoked certificate is not renewed: "
				     "issue a new one", old->serial,
				     pki_crl_reason_name(old->reason) ?
				     pki_crl_reason_name(old->reason) : "?");
	j->prof = pki_profile_by_name(old->profile);
	if (j->prof == NULL || j->prof->is_ca)
		return pki_error_set(err, PKI_E_INVALID, "%s has profile '%s', "
				     "which cannot be renewed", old->serial,
				     old->profile);
	if (old->superseded_by != 0 && !req->force) {
		struct pki_cert_record n;
		char t[32];

		memset(&n, 0, sizeof(n));
		if (pki_store_cert_get_id(pki_state_store(e->state),
					  old->superseded_by, &n, NULL) == PKI_OK)
			pki_time_format(n.not_after, t);
		else
			snprintf(t, sizeof(t), "?");
		pki_error_set(err, PKI_E_CONFLICT, "%s was renewed already: %s "
			      "replaces it (valid until %s); renewing it again "
			      "makes another certificate for the same names",
			      old->serial, n.serial ? n.serial : "?", t);
		pki_cert_record_clear(&n);
		return pki_error_hint(err, PKI_HINT_FORCE);
	}
	j->action = "cert.renew";
	j->old = old;
	j->forced = old->superseded_by != 0;
	j->revoke_old = req->revoke_old;
	if ((rc = validity_of(j, req->days, req->valid_for, req->not_before,
			      req->not_after, err)) != PKI_OK)
		return rc;
	if (j->life == 0 && j->na_req == 0) {
		/* the old lifetime, at most the profile's; cut to the CA's
		 * end (not explicit) */
		life = old->not_after - old->not_before + 1;
		if (life < 1)
			life = 1;
		if (j->prof->max_days != 0 &&
		    life > (int64_t)j->prof->max_days * 86400)
			life = (int64_t)j->prof->max_days * 86400;
		j->life = life;
		j->life_default = 1;
	}
	return PKI_OK;
}

/* The key of the renewed certificate into j->pub: the old one (taken
 * from *oldpub), the request's (*crq, which must carry a new key) or a
 * new one, generated with the old key's algorithm unless another is
 * asked for. */
static int
renew_key(struct job *j, const struct pki_enroll_renewal *req,
	  gnutls_pubkey_t *oldpub, gnutls_x509_crq_t *crq,
	  struct pki_error *err)
{
	enum pki_key_alg alg = req->key_alg;
	int rc;

	if (!req->rekey) {
		j->key_origin = "renewed";
		if ((rc = pki_profile_check_key(*oldpub, err)) != PKI_OK) {
			pki_error_prefix(err, "the old key cannot be certified "
					 "again; renew with a new key");
			return rc;
		}
		j->pub = *oldpub;
		*oldpub = NULL;
		return PKI_OK;
	}
	if (req->csr != NULL) {
		j->key_origin = "csr";
		if ((rc = job_csr(j, req->csr, crq, err)) != PKI_OK)
			return rc;
		if (pubkey_same(j->pub, *oldpub))
			return pki_error_set(err, PKI_E_INVALID, "the request "
					     "carries the key of %s; a rekey "
					     "needs a new key", j->old->serial);
		return PKI_OK;
	}
	j->key_origin = "generated";
	if (!req->key_alg_set &&
	    (rc = pki_key_alg_of_pubkey(*oldpub, &alg, err)) != PKI_OK)
		return rc;
	return job_generate(j, alg, err);
}

int
pki_enroll_renew(const struct pki_enroll *e,
		 const struct pki_enroll_renewal *req,
		 struct pki_enroll_result *res, struct pki_error *err)
{
	struct pki_cert_record old;
	struct job j;
	struct issuer is;
	gnutls_x509_crt_t crt = NULL;
	gnutls_x509_crq_t crq = NULL;
	gnutls_pubkey_t oldpub = NULL;
	int ret, rc;

	memset(&old, 0, sizeof(old));
	memset(&j, 0, sizeof(j));
	memset(&is, 0, sizeof(is));
	memset(res, 0, sizeof(*res));
	if ((rc = pki_enroll_find(e, req->serial, req->ca_name, &old, err)) != PKI_OK ||
	    (rc = renew_job(e, &j, &old, req, err)) != PKI_OK)
		goto out;
	/* Subject and names exactly as before. */
	if ((ret = gnutls_x509_crt_init(&crt)) < 0 ||
	    (ret = gnutls_x509_crt_import(crt, &old.der, GNUTLS_X509_FMT_DER)) < 0 ||
	    (ret = gnutls_pubkey_init(&oldpub)) < 0 ||
	    (ret = gnutls_pubkey_import_x509(oldpub, crt, 0)) < 0) {
		rc = pki__gnutls_error(err, ret, "reading the stored certificate");
		goto out;
	}
	if ((rc = pki__enroll_subject_crt(crt, &j.subj, err)) != PKI_OK ||
	    (rc = pki__names_from_record(&j.names, old.sans, err)) != PKI_OK ||
	    (rc = renew_key(&j, req, &oldpub, &crq, err)) != PKI_OK ||
	    (rc = pki__enroll_settle(j.prof, &j.subj, &j.names, err)) != PKI_OK ||
	    (rc = pki__enroll_policy(e->state, &j.subj, &j.names, err)) != PKI_OK)
		goto out;
	if ((rc = pki_store_ca_get_id(pki_state_store(e->state), old.issuer_ca_id, &is.rec, err)) != PKI_OK)
		goto out;
	rc = job_run(e, &j, &is, res, err);
out:
	if (rc != PKI_OK) {
		j.action = "cert.renew";
		job_refused(e, &j, req->serial, err);
	}
	if (crt != NULL)
		gnutls_x509_crt_deinit(crt);
	if (crq != NULL)
		gnutls_x509_crq_deinit(crq);
	if (oldpub != NULL)
		gnutls_pubkey_deinit(oldpub);
	issuer_clear(&is);
	job_clear(&j);
	pki_cert_record_clear(&old);
	return rc;
}
