/* crlgen: a CA's revocations from the store -> a signed, recorded CRL. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <jansson.h>

#include <spork/crl.h>
#include "crl-int.h"
#include "keystore.h"
#include <spork/crlgen.h>
#include <spork/state.h>
#include "store-write.h"
#include "crl-shard.h"
#include "util.h"

void
pki_crlgen_result_clear(struct pki_crlgen_result *r)
{
	if (r == NULL)
		return;
	free(r->idp_url);
	free(r->url);
	free(r->der_path);
	free(r->pem_path);
	memset(r, 0, sizeof(*r));
}

char *
pki_crlgen_path(const struct pki_state *state, const char *ca_name, int delta,
		int pem)
{
	return pki_state_ca_file(state, ca_name, delta ?
				 (pem ? "-delta.crl.pem" : "-delta.crl") :
				 (pem ? ".crl.pem" : ".crl"));
}

char *
pki_crlgen_shard_path(const struct pki_state *state, const char *ca_name,
		      unsigned shard, int pem)
{
	char suffix[32];

	if (shard == 0)
		return pki_crlgen_path(state, ca_name, 0, pem);
	snprintf(suffix, sizeof(suffix), "-%u%s", shard,
		 pem ? ".crl.pem" : ".crl");
	return pki_state_ca_file(state, ca_name, suffix);
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
	int64_t read;            /* revocations read */
	int64_t count;           /* entries written */
	int64_t expect;          /* a full CRL: the revocations counted
				    before; -1 for a delta */
	unsigned shard, nshards; /* a shard's CRL: only its certificates */
};

/* Adapter: store cursor -> CRL builder entries. */
static int
feed_next(void *ctx, struct pki_crl_entry *e)
{
	struct feed *f = ctx;
	struct pki_revocation r;
	int ret;

	do {
		ret = pki_store_revocations_next(f->cur, &r, f->err);
		if (ret > 0)
			f->read++;
	} while (ret > 0 && f->shard > 0 &&
		 pki__crl_shard_of(r.serial, r.serial_len, f->nshards) !=
		 f->shard);
	/* the last entry read: a full CRL read exactly what was counted
	 * (an index that lost or gained rows shows here, before signing) */
	if (ret == 0 && f->expect >= 0 && f->read != f->expect)
		return -pki_error_set(f->err, PKI_E_DB, "the database is "
				      "damaged: %lld revocations were read "
				      "for the CRL, %lld are recorded; no CRL "
				      "is signed", (long long)f->read,
				      (long long)f->expect);
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

/*
 * Publish the CRL as DER and PEM.  Both files are written complete
 * (temporaries of mode 0600) before either is renamed into place, so a
 * reader finds each file whole and, but for the moment between the two
 * renames, both of the same CRL; a run killed before that leaves the
 * published pair as it was, and its temporaries are removed by the next
 * run (gen_lock).
 */
static int
write_files(const struct pki_crlgen_result *res, const gnutls_datum_t *der,
	    struct pki_error *err)
{
	gnutls_datum_t pem = { NULL, 0 };
	char tder[PATH_MAX], tpem[PATH_MAX];
	int ret, rc;

	tder[0] = tpem[0] = '\0';
	if ((ret = gnutls_pem_base64_encode2("X509 CRL", der, &pem)) < 0) {
		rc = pki__gnutls_error(err, ret, "CRL to PEM");
		goto out;
	}
	if ((rc = pki__file_stage(res->der_path, der->data, der->size, tder,
				  sizeof(tder), err)) != PKI_OK ||
	    (rc = pki__file_stage(res->pem_path, pem.data, pem.size, tpem,
				  sizeof(tpem), err)) != PKI_OK ||
	    (rc = pki__file_publish(tder, res->der_path, 0644, 0,
				    err)) != PKI_OK)
		goto out;
	rc = pki__file_publish(tpem, res->pem_path, 0644, 0, err);
out:
	if (tder[0] != '\0')
		unlink(tder);
	if (tpem[0] != '\0')
		unlink(tpem);
	gnutls_free(pem.data);
	return rc;
}

/* One CRL generation, from loading the CA to publishing. */
struct gen {
	struct pki_ca_record ca;
	gnutls_x509_crt_t crt;          /* the CA certificate */
	gnutls_privkey_t key;           /* the CA key */
	int delta;
	struct pki_crl_params p;
	unsigned shard, nshards;        /* a shard's CRL; the CA's shards */
	char *freshest;                 /* p.freshest_url */
	struct pki_crl_record base;     /* a delta's base CRL */
	int64_t number;
	int64_t entries;
	gnutls_datum_t der;
	int lockfd;
	struct pki_state *state;
	struct pki_store *st;
};

/* The active CA ca_name: its record, certificate and unsealed key. */
static int
gen_load_ca(struct gen *g, const char *ca_name, struct pki_error *err)
{
	enum pki_key_alg alg;
	int ret, rc, held = 0;

	if ((rc = pki_store_ca_find(g->st, ca_name, &g->ca, err)) != PKI_OK)
		return rc;
	/* a CA on certificateHold still publishes: its hold may be lifted,
	 * and relying parties need its CRL meanwhile */
	if ((rc = pki_store_ca_on_hold(g->st, &g->ca, &held, err)) != PKI_OK)
		return rc;
	if ((g->ca.status != PKI_CA_ACTIVE && !held) ||
	    g->ca.cert_der.size == 0)
		return pki_error_set(err, PKI_E_INVALID, "CA '%s' is %s; only "
				     "an active CA (or one on hold) publishes "
				     "CRLs", g->ca.name,
				     g->ca.status == PKI_CA_PENDING ? "waiting "
				     "for its certificate" : "revoked");
	if ((ret = gnutls_x509_crt_init(&g->crt)) < 0 ||
	    (ret = gnutls_x509_crt_import(g->crt, &g->ca.cert_der,
					  GNUTLS_X509_FMT_DER)) < 0)
		return pki__gnutls_error(err, ret, "CA certificate");
	if ((rc = pki_key_alg_from_name(g->ca.algorithm, &alg, err)) != PKI_OK)
		return rc;
	if ((rc = pki_key_load(pki_state_keystore(g->state), g->ca.key_uri, alg,
			       g->ca.name, &g->key, err)) != PKI_OK)
		pki_error_prefix(err, "unsealing the key of '%s'", g->ca.name);
	return rc;
}

/*
 * thisUpdate, nextUpdate (within the CA's validity) and the URLs of the
 * CRL.  A CA publishes one CRL for everything it issued (no shards), so
 * its full CRL carries no IssuingDistributionPoint: its scope is then
 * every certificate of the CA, and the CA's own certificate (a root's,
 * an imported one) need not name a distribution point the IDP matches
 * (RFC 5280 5.2.5; openssl -crl_check_all otherwise fails with
 * "different CRL scope", and several verifiers mishandle a critical
 * IDP).  A delta CRL must have the scope of its base (RFC 5280 5.2.4),
 * so it has no IDP either; the deltaCRLIndicator marks it.  res->url
 * is where the hierarchy says the CRL is published.
 */
static int
gen_params(struct gen *g, const struct pki_crlgen_opts *opts,
	   struct pki_crlgen_result *res, struct pki_error *err)
{
	const struct pki_config *c = pki_state_config(g->state);
	struct pki_crl_params *p = &g->p;
	struct pki_ca_crl_settings cs;
	int64_t validity = g->delta ? PKI_CRLGEN_DELTA_VALIDITY :
		PKI_CRLGEN_FULL_VALIDITY;
	int rc;

	g->nshards = pki__crl_shards(g->ca.config_json);
	if (g->shard > g->nshards)
		return pki_error_set(err, PKI_E_INVALID, "CA '%s' has %u CRL "
				     "shard%s, not shard %u", g->ca.name,
				     g->nshards, g->nshards == 1 ? "" : "s",
				     g->shard);
	if (g->shard > 0 && g->delta)
		return pki_error_set(err, PKI_E_INVALID, "a CRL shard has no "
				     "delta CRLs; its full CRL is the only "
				     "one");

	/* The caller's choice, else the CA's (hierarchy.toml), else the
	 * offline default, else spork.toml's [crl], else the default. */
	if ((rc = pki_store_ca_crl_settings(g->st, g->ca.id, &cs, err)) !=
	    PKI_OK)
		return rc;
	if (opts != NULL && opts->validity > 0)
		validity = opts->validity;
	else if (g->delta && cs.delta_next_update > 0)
		validity = cs.delta_next_update;
	else if (!g->delta && cs.next_update > 0)
		validity = cs.next_update;
	else if (!pki_key_is_online(g->ca.key_uri))
		validity = g->delta ? PKI_CRLGEN_OFFLINE_DELTA_VALIDITY :
			PKI_CRLGEN_OFFLINE_FULL_VALIDITY;
	else if (c != NULL && g->delta && c->crl_delta_next_update > 0)
		validity = c->crl_delta_next_update;
	else if (c != NULL && !g->delta && c->crl_next_update > 0)
		validity = c->crl_next_update;
	p->this_update = opts != NULL && opts->now ? opts->now :
		pki_state_now(g->state);
	p->next_update = p->this_update + validity;
	if (p->next_update > g->ca.not_after)
		p->next_update = g->ca.not_after;
	if (p->next_update <= p->this_update)
		return pki_error_set(err, PKI_E_INVALID, "CA '%s' expires "
				     "before the CRL's nextUpdate could be "
				     "after its thisUpdate", g->ca.name);
	res->url = first_url(g->ca.config_json, g->delta ? "delta_crl_urls" :
			     "crl_urls");
	p->idp_url = NULL;
	res->shards = g->nshards;
	res->shard = g->shard;
	if (g->shard > 0) {
		/* RFC 5280 5.2.5: a shard's scope is the certificates whose
		 * distribution point names its URL: a critical IDP says so */
		char *u = res->url ? pki__crl_shard_url(res->url, g->shard) :
			NULL;

		free(res->url);
		res->url = u;
		if (u == NULL)
			return pki_error_set(err, PKI_E_INVALID, "CA '%s' has "
					     "no crl_urls entry to derive its "
					     "shards' URLs from", g->ca.name);
		p->idp_url = res->idp_url = strdup(u);
		if (res->idp_url == NULL)
			return pki_error_set(err, PKI_E_NOMEM, "out of memory");
		return PKI_OK;
	}
	if (!g->delta)
		p->freshest_url = g->freshest = first_url(g->ca.config_json,
							  "delta_crl_urls");
	return PKI_OK;
}

/*
 * The paths of the CRL files, their directory, and the CA's CRL lock in
 * g->lockfd.  One generation per CA at a time, from numbering to
 * publishing: two runs that interleaved could otherwise publish the older
 * CRL last and hide the newer one's revocations.
 */
static int
gen_lock(struct gen *g, struct pki_crlgen_result *res, struct pki_error *err)
{
	const char *dir = pki_state_path(g->state, PKI_STATE_CA_DIR);
	const char *bases[2];
	char *lp = NULL;
	int n, rc = PKI_E_NOMEM;

	res->der_path = g->shard > 0 ?
		pki_crlgen_shard_path(g->state, g->ca.name, g->shard, 0) :
		pki_crlgen_path(g->state, g->ca.name, g->delta, 0);
	res->pem_path = g->shard > 0 ?
		pki_crlgen_shard_path(g->state, g->ca.name, g->shard, 1) :
		pki_crlgen_path(g->state, g->ca.name, g->delta, 1);
	if (res->der_path == NULL || res->pem_path == NULL) {
		rc = pki_error_set(err, PKI_E_NOMEM, "out of memory");
		goto out;
	}
	if ((rc = pki__mkdirs(dir, 0755, err)) != PKI_OK)
		goto out;
	if (asprintf(&lp, "%s.lock", res->der_path) < 0) {
		lp = NULL;
		rc = pki_error_set(err, PKI_E_NOMEM, "out of memory");
		goto out;
	}
	g->lockfd = open(lp, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (g->lockfd < 0 || flock(g->lockfd, LOCK_EX) != 0) {
		rc = pki_error_set(err, PKI_E_IO, "cannot lock %s: %s", lp,
				   strerror(errno));
		goto out;
	}
	/* Temporaries of these files are written only under this lock:
	 * any left now are a killed run's. */
	bases[0] = strrchr(res->der_path, '/') + 1;
	bases[1] = strrchr(res->pem_path, '/') + 1;
	if ((n = pki__file_tmp_clean(dir, bases, 2, err)) < 0) {
		rc = -n;
		goto out;
	}
	rc = PKI_OK;
out:
	free(lp);
	return rc;
}

/* Inside the transaction: the base of a delta, the next number, and the
 * CRL signed over the CA's revocations into g->der. */
static int
gen_build(struct gen *g, struct pki_store *st, struct pki_error *err)
{
	struct feed f;
	int rc;

	memset(&f, 0, sizeof(f));
	f.err = err;
	f.expect = -1;
	f.shard = g->shard;
	f.nshards = g->nshards;
	if ((rc = pki_store_check_crl_counts(st, g->ca.id, &f.expect,
					     err)) != PKI_OK) {
		pki_error_prefix(err, "CA '%s'", g->ca.name);
		return rc;
	}
	if (g->delta)
		f.expect = -1;
	if (g->delta) {
		rc = pki_store_crl_latest(st, g->ca.id, PKI_STORE_CRL_FULL,
					  &g->base, err);
		if (rc == PKI_E_NOTFOUND)
			return pki_error_set(err, PKI_E_NOTFOUND, "CA '%s' has "
					     "no full CRL for a delta to build "
					     "on; generate a full CRL first",
					     g->ca.name);
		if (rc != PKI_OK)
			return rc;
		g->p.is_delta = 1;
		g->p.base_crl_number = (uint64_t)g->base.crl_number;
	}
	if ((rc = pki_store_crl_next_number(st, g->ca.id, &g->number,
					    err)) != PKI_OK)
		return rc;
	g->p.crl_number = (uint64_t)g->number;
	if ((rc = pki_store_revocations_open(st, g->ca.id, g->delta ?
					     g->base.crl_number : 0, &f.cur,
					     err)) != PKI_OK)
		return rc;
	rc = pki_crl_build(&g->p, feed_next, &f, g->crt, g->key, &g->der, err);
	pki_store_revocations_close(f.cur);
	g->entries = f.count;
	return rc;
}

/* Inside the transaction: the CRL's record and its audit row. */
static int
gen_record(struct gen *g, struct pki_store *st, struct pki_error *err)
{
	struct pki_crl_record rec;
	char *detail = NULL, shard[32];
	int rc;

	memset(&rec, 0, sizeof(rec));
	rec.ca_id = g->ca.id;
	rec.crl_number = g->number;
	rec.is_delta = g->delta;
	rec.base_crl_number = g->delta ? g->base.crl_number : 0;
	rec.this_update = g->p.this_update;
	rec.next_update = g->p.next_update;
	rec.entries = g->entries;
	rec.shard = g->shard;
	rec.der = g->der;        /* borrowed: rec is never cleared */
	if ((rc = pki_store_crl_insert(st, &rec, err)) != PKI_OK)
		goto out;
	shard[0] = '\0';
	if (g->shard > 0)
		snprintf(shard, sizeof(shard), ",\"shard\":%u", g->shard);
	if (asprintf(&detail, "{\"crl_number\":%lld,\"delta\":%s,"
		     "\"base_crl_number\":%lld,\"entries\":%lld%s}",
		     (long long)g->number, g->delta ? "true" : "false",
		     (long long)(g->delta ? g->base.crl_number : 0),
		     (long long)g->entries, shard) < 0) {
		detail = NULL;
		rc = pki_error_set(err, PKI_E_NOMEM, "out of memory");
		goto out;
	}
	rc = pki_store_audit(st, NULL, "crl.generate", g->ca.name,
			     detail, err);
out:
	free(detail);
	return rc;
}

int
pki_crlgen_generate(struct pki_state *state, const char *ca_name,
		    const struct pki_crlgen_opts *opts,
		    struct pki_crlgen_result *res, struct pki_error *err)
{
	struct pki_store *st = pki_state_store(state);
	struct gen g;
	int in_txn = 0, rc;

	memset(&g, 0, sizeof(g));
	memset(res, 0, sizeof(*res));
	g.delta = opts != NULL && opts->delta;
	g.shard = opts != NULL ? opts->shard : 0;
	g.lockfd = -1;
	g.state = state;
	g.st = st;
	if ((rc = gen_load_ca(&g, ca_name, err)) != PKI_OK ||
	    (rc = gen_params(&g, opts, res, err)) != PKI_OK ||
	    (rc = gen_lock(&g, res, err)) != PKI_OK ||
	    (rc = pki_store_check_crl_pages(st, err)) != PKI_OK)
		goto out;

	/* One transaction: number, entries, record, audit. */
	if ((rc = pki_store_begin(st, err)) != PKI_OK)
		goto out;
	in_txn = 1;
	if ((rc = gen_build(&g, st, err)) != PKI_OK ||
	    (rc = gen_record(&g, st, err)) != PKI_OK ||
	    (rc = pki_store_commit(st, err)) != PKI_OK)
		goto out;
	in_txn = 0;
	res->crl_number = g.number;
	res->base_crl_number = g.delta ? g.base.crl_number : 0;
	res->entries = g.entries;
	res->this_update = g.p.this_update;
	res->next_update = g.p.next_update;
	rc = write_files(res, &g.der, err);
out:
	if (g.lockfd >= 0)
		close(g.lockfd);    /* releases the lock */
	if (in_txn)
		pki_store_rollback(st);
	if (rc != PKI_OK)
		(void)pki_store_refusal(st, NULL, "crl.generate", ca_name, err);
	if (rc != PKI_OK) {
		free(res->idp_url);
		free(res->url);
		free(res->der_path);
		free(res->pem_path);
		memset(res, 0, sizeof(*res));
	}
	gnutls_free(g.der.data);
	if (g.key != NULL)
		gnutls_privkey_deinit(g.key);
	if (g.crt != NULL)
		gnutls_x509_crt_deinit(g.crt);
	pki_ca_record_clear(&g.ca);
	pki_crl_record_clear(&g.base);
	free(g.freshest);
	return rc;
}

/* ---- every CA, unattended (pki_crlgen_all) */

/* When the CRL rec is due again: a quarter of its validity before its
 * nextUpdate. */
static int64_t
crl_due_at(const struct pki_crl_record *rec)
{
	int64_t period = rec->next_update - rec->this_update;

	if (period < 0)
		period = 0;
	return rec->next_update - period / PKI_CRLGEN_MARGIN_DIVISOR;
}

/*
 * Whether the CA's full (delta 0) or delta CRL is due at now; r gets the
 * current CRL's number, nextUpdate and due time.  base: the number of
 * the latest full CRL, for a delta.  PKI_E_DB and the like on store
 * errors.
 */
static int
crl_due(struct pki_store *st, const struct pki_ca_record *ca, int delta,
	unsigned shard, int64_t base, int64_t now, int force,
	struct pki_crlgen_report *r, struct pki_error *err)
{
	struct pki_crl_record rec;
	int rc;

	memset(&rec, 0, sizeof(rec));
	r->due = PKI_CRLGEN_DUE_NONE;
	if (shard > 0)
		rc = pki_store_crl_latest_shard(st, ca->id, shard, &rec, err);
	else
		rc = pki_store_crl_latest(st, ca->id, delta ?
					  PKI_STORE_CRL_DELTA :
					  PKI_STORE_CRL_FULL, &rec, err);
	if (rc == PKI_E_NOTFOUND) {
		pki_error_clear(err);
		r->due = PKI_CRLGEN_DUE_MISSING;
		return PKI_OK;
	}
	if (rc != PKI_OK)
		return rc;
	r->crl_number = rec.crl_number;
	r->next_update = rec.next_update;
	r->due_at = crl_due_at(&rec);
	if (force)
		r->due = PKI_CRLGEN_DUE_FORCED;
	else if (delta && rec.base_crl_number != base)
		r->due = PKI_CRLGEN_DUE_NEW_BASE;
	else if (now >= r->due_at)
		r->due = PKI_CRLGEN_DUE_EXPIRING;
	pki_crl_record_clear(&rec);
	return PKI_OK;
}

/* Why CA ca publishes no CRL at now, or NULL when it does (a CA on
 * hold does). */
static const char *
ca_inactive(struct pki_store *st, const struct pki_ca_record *ca, int64_t now)
{
	struct pki_error e;
	int held = 0;

	if (ca->status == PKI_CA_PENDING || ca->cert_der.size == 0)
		return "pending";
	if (ca->status != PKI_CA_ACTIVE &&
	    (pki_store_ca_on_hold(st, ca, &held, &e) != PKI_OK || !held))
		return "revoked";
	if (ca->not_after <= now)
		return "expired";
	return NULL;
}

/*
 * One CRL (full, delta or a shard's) of one active CA: decide, generate,
 * report.  *ok is set to 0 when it was not published although due
 * (failed or offline), so that its delta and shards are not attempted.
 */
static void
all_one(struct pki_state *state, const struct pki_ca_record *ca, int delta,
	unsigned shard, const struct pki_crlgen_all_opts *opts, int64_t now,
	pki_crlgen_report_fn report, void *ctx, unsigned *failed, int *ok)
{
	struct pki_store *st = pki_state_store(state);
	struct pki_crlgen_report r;
	struct pki_crlgen_result res;
	struct pki_crlgen_opts go;
	struct pki_crl_record full;
	struct pki_error e;
	int64_t base = 0;
	int rc = PKI_OK;

	memset(&r, 0, sizeof(r));
	memset(&res, 0, sizeof(res));
	memset(&go, 0, sizeof(go));
	memset(&full, 0, sizeof(full));
	pki_error_clear(&e);
	r.ca_name = ca->name;
	r.delta = delta;
	r.shard = shard;
	if (delta) {
		rc = pki_store_crl_latest(st, ca->id, PKI_STORE_CRL_FULL,
					  &full, &e);
		base = full.crl_number;
		pki_crl_record_clear(&full);
	}
	if (rc == PKI_OK)
		rc = crl_due(st, ca, delta, shard, base, now, opts->force, &r,
			     &e);
	if (rc != PKI_OK) {
		r.status = PKI_CRLGEN_FAILED;
	} else if (r.due == PKI_CRLGEN_DUE_NONE) {
		r.status = PKI_CRLGEN_FRESH;
	} else if (!opts->offline && !pki_key_is_online(ca->key_uri)) {
		r.status = PKI_CRLGEN_OFFLINE;
	} else {
		go.delta = delta;
		go.shard = shard;
		go.now = now;
		rc = pki_crlgen_generate(state, ca->name, &go, &res, &e);
		r.status = rc == PKI_OK ? PKI_CRLGEN_GENERATED :
			PKI_CRLGEN_FAILED;
		r.res = &res;
	}
	if (r.status == PKI_CRLGEN_FAILED) {
		r.err = &e;
		r.res = NULL;
		(*failed)++;
	}
	if (r.status == PKI_CRLGEN_FAILED || r.status == PKI_CRLGEN_OFFLINE)
		*ok = 0;
	report(ctx, &r);
	pki_crlgen_result_clear(&res);
}

int
pki_crlgen_all(struct pki_state *state, const struct pki_crlgen_all_opts *opts,
	       pki_crlgen_report_fn report, void *ctx, unsigned *failed,
	       struct pki_error *err)
{
	struct pki_crlgen_all_opts o;
	struct pki_ca_record *v = NULL;
	size_t n = 0, i;
	int64_t now;
	int rc;

	memset(&o, 0, sizeof(o));
	if (opts != NULL)
		o = *opts;
	now = o.now ? o.now : pki_state_now(state);
	*failed = 0;
	if ((rc = pki_store_ca_list(pki_state_store(state), &v, &n,
				    err)) != PKI_OK)
		return rc;
	for (i = 0; i < n; i++) {
		struct pki_crlgen_report r;
		char *delta_url;
		unsigned k, shards = pki__crl_shards(v[i].config_json);
		int ok = 1;

		memset(&r, 0, sizeof(r));
		r.ca_name = v[i].name;
		if ((r.inactive = ca_inactive(pki_state_store(state), &v[i],
					      now)) != NULL) {
			r.status = PKI_CRLGEN_INACTIVE;
			report(ctx, &r);
			continue;
		}
		all_one(state, &v[i], 0, 0, &o, now, report, ctx, failed, &ok);
		delta_url = first_url(v[i].config_json, "delta_crl_urls");
		if (ok && delta_url != NULL)
			all_one(state, &v[i], 1, 0, &o, now, report, ctx,
				failed, &ok);
		free(delta_url);
		for (k = 1; ok && k <= shards; k++)
			all_one(state, &v[i], 0, k, &o, now, report, ctx,
				failed, &ok);
	}
	pki_ca_records_free(v, n);
	return PKI_OK;
}
