/* audit: see audit.h.  The rows are read through store (nothing here
 * speaks SQL); this file holds the hash and the chain checks. */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nettle/sha2.h>

#include <spork/audit.h>
#include "audit-int.h"
#include "store-write.h"
#include "util.h"

static void
put_u64(struct sha256_ctx *ctx, uint64_t v)
{
	uint8_t b[8];
	int i;

	for (i = 7; i >= 0; i--) {
		b[i] = (uint8_t)(v & 0xff);
		v >>= 8;
	}
	sha256_update(ctx, sizeof(b), b);
}

static void
put_str(struct sha256_ctx *ctx, const char *s)
{
	size_t n;

	if (s == NULL)
		s = "";
	n = strlen(s);
	put_u64(ctx, (uint64_t)n);
	sha256_update(ctx, n, (const uint8_t *)s);
}

static void
put_int(struct sha256_ctx *ctx, int64_t v)
{
	put_u64(ctx, 8);
	put_u64(ctx, (uint64_t)v);
}

void
pki__audit_hash(const char *prev_hash, int64_t id, int64_t ts,
		const char *actor, int64_t uid, const char *action,
		const char *object, const char *detail, char out[65])
{
	static const char tag1[] = "spork-audit-v1", tag2[] = "spork-audit-v2";
	struct sha256_ctx ctx;
	uint8_t dig[SHA256_DIGEST_SIZE];

	sha256_init(&ctx);
	/* the tag with its NUL */
	if (uid < 0)
		sha256_update(&ctx, sizeof(tag1), (const uint8_t *)tag1);
	else
		sha256_update(&ctx, sizeof(tag2), (const uint8_t *)tag2);
	put_str(&ctx, prev_hash);
	put_int(&ctx, id);
	put_int(&ctx, ts);
	put_str(&ctx, actor);
	if (uid >= 0)
		put_int(&ctx, uid);
	put_str(&ctx, action);
	put_str(&ctx, object);
	if (detail == NULL)
		put_u64(&ctx, UINT64_MAX);
	else
		put_str(&ctx, detail);
	sha256_digest(&ctx, sizeof(dig), dig);
	pki__hex(dig, sizeof(dig), out);
}

void
pki_audit_row_clear(struct pki_audit_row *r)
{
	if (r == NULL)
		return;
	free(r->actor);
	free(r->action);
	free(r->object);
	free(r->detail);
	free(r->prev_hash);
	free(r->hash);
	memset(r, 0, sizeof(*r));
}

void
pki_audit_rows_free(struct pki_audit_row *v, size_t n)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		pki_audit_row_clear(&v[i]);
	free(v);
}

struct row_vec {
	struct pki_audit_row *v;
	size_t n, cap;
};

static int
collect_row(void *ctx, const struct pki_audit_row *r)
{
	struct row_vec *rv = ctx;
	struct pki_audit_row *d, *nv;

	if (rv->n == rv->cap) {
		size_t cap = rv->cap ? rv->cap * 2 : 32;

		if ((nv = realloc(rv->v, cap * sizeof(*nv))) == NULL)
			return PKI_E_NOMEM;
		rv->v = nv;
		rv->cap = cap;
	}
	d = &rv->v[rv->n++];
	memset(d, 0, sizeof(*d));
	d->id = r->id;
	d->ts = r->ts;
	d->uid = r->uid;
	d->actor = strdup(r->actor ? r->actor : "");
	d->action = strdup(r->action ? r->action : "");
	d->object = strdup(r->object ? r->object : "");
	d->detail = pki__strdup(r->detail);
	d->prev_hash = strdup(r->prev_hash ? r->prev_hash : "");
	d->hash = strdup(r->hash ? r->hash : "");
	if (!d->actor || !d->action || !d->object || !d->prev_hash ||
	    !d->hash || (r->detail && !d->detail))
		return PKI_E_NOMEM;
	return 0;
}

int
pki_audit_list(struct pki_store *st, const struct pki_audit_filter *f,
	       struct pki_audit_row **out, size_t *n, struct pki_error *err)
{
	struct row_vec rv = { NULL, 0, 0 };
	int rc;

	*out = NULL;
	*n = 0;
	rc = pki__store_audit_select(st, f, collect_row, &rv, err);
	if (rc == PKI_E_NOMEM)
		pki_error_set(err, rc, "listing the audit log: out of memory");
	if (rc != PKI_OK) {
		pki_audit_rows_free(rv.v, rv.n);
		return rc;
	}
	*out = rv.v;
	*n = rv.n;
	return PKI_OK;
}

static const char *const problem_names[PKI_AUDIT__MAX] = {
	[PKI_AUDIT_ALTERED] = "altered",
	[PKI_AUDIT_INSERTED] = "inserted",
	[PKI_AUDIT_DELETED] = "deleted",
	[PKI_AUDIT_RELINKED] = "relinked",
	[PKI_AUDIT_TRUNCATED] = "truncated",
	[PKI_AUDIT_HEAD] = "head",
	[PKI_AUDIT_UNLOGGED] = "unlogged",
	[PKI_AUDIT_ORPHAN] = "orphan",
	[PKI_AUDIT_DAMAGED] = "damaged",
};

const char *
pki_audit_problem_name(enum pki_audit_problem_kind k)
{
	if ((unsigned)k >= PKI_AUDIT__MAX)
		return "unknown";
	return problem_names[k];
}

/*
 * The walk keeps one row pending: whether a row that does not chain was
 * inserted (the next row chains around it) or follows deleted rows can
 * only be told from the row after it.
 */
struct pending {
	int64_t id;
	char *prev_hash;
	char hash[65];
	int hash_long;           /* stored hash was not 64 characters */
	int self_ok;
};

struct walk {
	struct pki__audit_head head;
	pki_audit_problem_fn cb;
	void *ctx;
	struct pki_audit_result *res;
	int have_pending;
	struct pending p;
	int64_t good_id;         /* last row accepted into the chain */
	char good_hash[65];
	struct pki_audit_problem first;
};

static void
report(struct walk *w, enum pki_audit_problem_kind kind, int64_t id,
       int64_t last_id, const char *fmt, ...) PKI_PRINTF(5, 6);

static void
report(struct walk *w, enum pki_audit_problem_kind kind, int64_t id,
       int64_t last_id, const char *fmt, ...)
{
	struct pki_audit_problem p;
	va_list ap;

	memset(&p, 0, sizeof(p));
	p.kind = kind;
	p.id = id;
	p.last_id = last_id;
	va_start(ap, fmt);
	vsnprintf(p.msg, sizeof(p.msg), fmt, ap);
	va_end(ap);
	if (w->res->problems == 0)
		w->first = p;
	w->res->problems++;
	if (w->cb != NULL)
		w->cb(w->ctx, &p);
}

static void
report_missing(struct walk *w, int64_t from, int64_t to, int at_end)
{
	if (from == to)
		report(w, at_end ? PKI_AUDIT_TRUNCATED : PKI_AUDIT_DELETED,
		       from, to, "row %lld was deleted%s", (long long)from,
		       at_end ? " from the end of the log" : "");
	else
		report(w, at_end ? PKI_AUDIT_TRUNCATED : PKI_AUDIT_DELETED,
		       from, to, "rows %lld to %lld were deleted%s",
		       (long long)from, (long long)to,
		       at_end ? " from the end of the log" : "");
}

static void
accept(struct walk *w, const struct pending *p)
{
	w->good_id = p->id;
	memcpy(w->good_hash, p->hash, sizeof(w->good_hash));
	if (p->hash_long)
		w->good_hash[0] = '\0';  /* nothing can chain to it */
}

/* Judge the pending row, knowing the prev_hash of the row after it
 * (next_prev NULL at the end of the log). */
static void
judge(struct walk *w, const char *next_prev)
{
	const struct pending *p = &w->p;
	int link_ok = strcmp(p->prev_hash, w->good_hash) == 0;

	if (w->head.present && p->id > w->head.last_id) {
		report(w, PKI_AUDIT_INSERTED, p->id, p->id,
		       "row %lld was inserted: it comes after the last row "
		       "spork wrote (%lld)", (long long)p->id,
		       (long long)w->head.last_id);
		return;
	}
	if (link_ok) {
		if (!p->self_ok)
			report(w, PKI_AUDIT_ALTERED, p->id, p->id,
			       "row %lld was altered: its hash does not match "
			       "its contents", (long long)p->id);
		else if (p->id != w->good_id + 1)
			report(w, PKI_AUDIT_ALTERED, p->id, p->id,
			       "row %lld was renumbered (it follows row %lld)",
			       (long long)p->id, (long long)w->good_id);
		accept(w, p);
		return;
	}
	/* does not chain to the row before: inserted, or rows missing? */
	if (next_prev != NULL && strcmp(next_prev, w->good_hash) == 0 &&
	    w->good_hash[0] != '\0') {
		report(w, PKI_AUDIT_INSERTED, p->id, p->id,
		       "row %lld was inserted: it is not part of the chain",
		       (long long)p->id);
		return;
	}
	if (p->id > w->good_id + 1)
		report_missing(w, w->good_id + 1, p->id - 1, 0);
	else
		report(w, PKI_AUDIT_RELINKED, p->id, p->id,
		       "row %lld does not chain to row %lld: row %lld was "
		       "rewritten with a new hash, or rows were removed and "
		       "renumbered", (long long)p->id, (long long)w->good_id,
		       (long long)w->good_id);
	if (!p->self_ok)
		report(w, PKI_AUDIT_ALTERED, p->id, p->id,
		       "row %lld was altered: its hash does not match its "
		       "contents", (long long)p->id);
	accept(w, p);
}

static int
walk_row(void *ctx, const struct pki_audit_row *r)
{
	struct walk *w = ctx;
	char h[65];
	const char *prev = r->prev_hash ? r->prev_hash : "";
	const char *hash = r->hash ? r->hash : "";

	if (w->have_pending) {
		judge(w, prev);
		free(w->p.prev_hash);
		w->p.prev_hash = NULL;
	}
	w->res->rows++;
	w->res->last_id = r->id;
	pki__audit_hash(prev, r->id, r->ts, r->actor, r->uid, r->action,
			r->object, r->detail, h);
	w->p.id = r->id;
	w->p.self_ok = strcmp(h, hash) == 0;
	w->p.hash_long = strlen(hash) >= sizeof(w->p.hash);
	snprintf(w->p.hash, sizeof(w->p.hash), "%s", hash);
	if ((w->p.prev_hash = strdup(prev)) == NULL)
		return PKI_E_NOMEM;
	w->have_pending = 1;
	return 0;
}

int
pki_audit_verify(struct pki_store *st, pki_audit_problem_fn cb, void *ctx,
		 struct pki_audit_result *res, struct pki_error *err)
{
	struct pki_audit_result local;
	struct walk w;
	int rc;

	memset(&w, 0, sizeof(w));
	if (res == NULL)
		res = &local;
	memset(res, 0, sizeof(*res));
	w.cb = cb;
	w.ctx = ctx;
	w.res = res;
	memcpy(w.good_hash, PKI_AUDIT_ZERO_HASH, sizeof(w.good_hash));
	rc = pki__store_audit_chain(st, &w.head, walk_row, &w, err);
	if (rc == PKI_E_NOMEM)
		pki_error_set(err, rc, "verifying the audit log: out of "
			      "memory");
	if (rc != PKI_OK)
		goto out;
	if (w.have_pending)
		judge(&w, NULL);
	if (!w.head.present) {
		if (res->rows > 0)
			report(&w, PKI_AUDIT_HEAD, 0, 0, "the record of the "
			       "last row written (audit_head) is missing");
	} else if (w.good_id < w.head.last_id) {
		report_missing(&w, w.good_id + 1, w.head.last_id, 1);
	} else if (w.good_id == w.head.last_id &&
		   strcmp(w.good_hash, w.head.hash) != 0) {
		report(&w, PKI_AUDIT_HEAD, w.good_id, w.good_id,
		       "row %lld does not match the recorded head: it was "
		       "rewritten with a new hash", (long long)w.good_id);
	}
	snprintf(res->head_hash, sizeof(res->head_hash), "%s", w.good_hash);
	if (res->problems > 0) {
		rc = pki_error_set(err, PKI_E_AUTH, "the audit log was tampered"
				   " with: %lld problem%s, first: %s",
				   (long long)res->problems,
				   res->problems == 1 ? "" : "s", w.first.msg);
		goto out;
	}
	rc = PKI_OK;
out:
	free(w.p.prev_hash);
	return rc;
}
