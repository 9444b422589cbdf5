/*
 * store-audit: the audit and audit_head tables: pki_store_audit (see
 * store.h) and the readers behind audit.h.  The hash encoding is in
 * audit.c.
 */
#include <config.h>

#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include <spork/audit.h>
#include "audit-int.h"
#include "store-int.h"

/* Hex SHA-256 and its NUL. */
#define HASH_HEX 65

/*
 * Where the next row goes: its id and prev_hash (into prev[HASH_HEX]).
 * The head is the authority, so that rows deleted at the end stay
 * visible as a gap; without a head (never written, or removed) the
 * chain continues after the last row if any, else starts at id 1 on
 * the zero hash.
 */
static int
audit_tip(struct pki_store *st, int64_t *id, char *prev,
	  struct pki_error *err)
{
	sqlite3_stmt *s = NULL;
	int rc, step;

	*id = 1;
	memcpy(prev, PKI_AUDIT_ZERO_HASH, HASH_HEX);
	rc = pki__store_prep(st, "SELECT last_id, hash FROM audit_head "
			     "WHERE one = 1", &s, err);
	if (rc != PKI_OK)
		goto out;
	step = sqlite3_step(s);
	if (step == SQLITE_ROW) {
		*id = sqlite3_column_int64(s, 0) + 1;
		snprintf(prev, HASH_HEX, "%s", sqlite3_column_text(s, 1));
	} else if (step != SQLITE_DONE) {
		rc = pki__store_db_err(st, err, "reading the audit head");
		goto out;
	} else {
		sqlite3_finalize(s);
		s = NULL;
		rc = pki__store_prep(st, "SELECT id, hash FROM audit "
				     "ORDER BY id DESC LIMIT 1", &s, err);
		if (rc != PKI_OK)
			goto out;
		step = sqlite3_step(s);
		if (step == SQLITE_ROW) {
			*id = sqlite3_column_int64(s, 0) + 1;
			snprintf(prev, HASH_HEX, "%s",
				 sqlite3_column_text(s, 1));
		} else if (step != SQLITE_DONE) {
			rc = pki__store_db_err(st, err,
					       "reading the audit log");
			goto out;
		}
	}
	rc = PKI_OK;
out:
	sqlite3_finalize(s);
	return rc;
}

/* Point the head at row id and its hash (creating the head row when it
 * is absent). */
static int
audit_set_head(struct pki_store *st, int64_t id, const char *hash,
	       struct pki_error *err)
{
	sqlite3_stmt *s = NULL;
	int rc;

	rc = pki__store_prep(st, "UPDATE audit_head SET last_id = ?1, "
			     "hash = ?2 WHERE one = 1", &s, err);
	if (rc != PKI_OK)
		goto out;
	if (sqlite3_bind_int64(s, 1, id) || pki__store_bind_text(s, 2, hash) ||
	    sqlite3_step(s) != SQLITE_DONE) {
		rc = pki__store_db_err(st, err, "updating the audit head");
		goto out;
	}
	if (sqlite3_changes(st->db) == 0) {
		sqlite3_finalize(s);
		s = NULL;
		rc = pki__store_prep(st, "INSERT INTO audit_head (one, "
				     "last_id, hash) VALUES (1, ?1, ?2)",
				     &s, err);
		if (rc != PKI_OK)
			goto out;
		if (sqlite3_bind_int64(s, 1, id) ||
		    pki__store_bind_text(s, 2, hash) ||
		    sqlite3_step(s) != SQLITE_DONE) {
			rc = pki__store_db_err(st, err,
					       "writing the audit head");
			goto out;
		}
	}
	rc = PKI_OK;
out:
	sqlite3_finalize(s);
	return rc;
}

int
pki_store_audit(struct pki_store *st, const char *actor, const char *action,
		const char *object, const char *detail_json,
		struct pki_error *err)
{
	sqlite3_stmt *s = NULL;
	char prev[HASH_HEX], hash[HASH_HEX];
	int64_t id = 1, ts = pki__store_now(st);
	int rc, own = 0, began = 0;

	if (action == NULL || *action == '\0')
		return pki_error_set(err, PKI_E_INVALID, "audit: an action is "
				     "required");
	if (actor == NULL)
		actor = pki__store_actor(st);
	if (object == NULL)
		object = "";
	if (detail_json != NULL) {
		json_error_t je;
		json_t *j = json_loads(detail_json, JSON_REJECT_DUPLICATES,
				       &je);
		int ok = j != NULL && json_is_object(j);

		json_decref(j);
		if (!ok)
			return pki_error_set(err, PKI_E_INVALID, "audit detail "
					     "for %s is not a JSON object",
					     action);
	}
	if ((rc = pki__store_op_begin(st, &own, err)) != PKI_OK)
		return rc;
	began = 1;
	if ((rc = audit_tip(st, &id, prev, err)) != PKI_OK)
		goto out;

	pki__audit_hash(prev, id, ts, actor, st->uid, action, object,
			detail_json, hash);
	rc = pki__store_prep(st, "INSERT INTO audit (id, ts, actor, action, "
			     "object, detail, prev_hash, hash, uid) VALUES "
			     "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)", &s, err);
	if (rc != PKI_OK)
		goto out;
	if (sqlite3_bind_int64(s, 1, id) || sqlite3_bind_int64(s, 2, ts) ||
	    pki__store_bind_text(s, 3, actor) ||
	    pki__store_bind_text(s, 4, action) ||
	    pki__store_bind_text(s, 5, object) ||
	    pki__store_bind_text(s, 6, detail_json) ||
	    pki__store_bind_text(s, 7, prev) ||
	    pki__store_bind_text(s, 8, hash) ||
	    sqlite3_bind_int64(s, 9, st->uid) ||
	    sqlite3_step(s) != SQLITE_DONE) {
		rc = pki__store_db_err(st, err, "writing an audit row");
		goto out;
	}
	sqlite3_finalize(s);
	s = NULL;
	rc = audit_set_head(st, id, hash, err);
out:
	sqlite3_finalize(s);
	if (began)
		rc = pki__store_op_end(st, own, rc, err);
	return rc;
}

#define AUDIT_COLS "id, ts, actor, action, object, detail, prev_hash, " \
	"hash, coalesce(uid, -1)"
/* A refusal as an audit row: detail {"error":..,"message":..}, no hashes. */
#define REFUSAL_COLS "id, ts, actor, action, object, " \
	"json_object('error', error, 'message', message), '', '', uid"

int
pki_store_refusal(struct pki_store *st, const char *actor, const char *action,
		  const char *object, const struct pki_error *why)
{
	sqlite3_stmt *s = NULL;
	const char *code;
	int rc;

	if (st == NULL || why == NULL || action == NULL)
		return PKI_OK;
	if (why->code == PKI_E_DENIED)
		code = "denied";
	else if (why->code == PKI_E_AUTH)
		code = "auth";
	else
		return PKI_OK;
	if (actor == NULL)
		actor = pki__store_actor(st);
	/* after the refused operation rolled back: a write of its own */
	if (pki__store_prep(st, "INSERT INTO refusals (ts, uid, actor, action, "
			    "object, error, message) VALUES (?1, ?2, ?3, ?4, "
			    "?5, ?6, ?7)", &s, NULL) != PKI_OK)
		return PKI_E_DB;
	rc = PKI_OK;
	if (sqlite3_bind_int64(s, 1, pki__store_now(st)) ||
	    sqlite3_bind_int64(s, 2, st->uid) ||
	    pki__store_bind_text(s, 3, actor) ||
	    pki__store_bind_text(s, 4, action) ||
	    pki__store_bind_text(s, 5, object != NULL ? object : "") ||
	    pki__store_bind_text(s, 6, code) ||
	    pki__store_bind_text(s, 7, why->msg[0] ? why->msg :
				 pki_strerror(why->code)) ||
	    sqlite3_step(s) != SQLITE_DONE)
		rc = PKI_E_DB;
	sqlite3_finalize(s);
	return rc;
}

static int
audit_rows(struct pki_store *st, sqlite3_stmt *s,
	   int (*cb)(void *ctx, const struct pki_audit_row *r), void *ctx,
	   struct pki_error *err)
{
	struct pki_audit_row row;
	int step, rc;

	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		row.id = sqlite3_column_int64(s, 0);
		row.ts = sqlite3_column_int64(s, 1);
		row.actor = (char *)sqlite3_column_text(s, 2);
		row.action = (char *)sqlite3_column_text(s, 3);
		row.object = (char *)sqlite3_column_text(s, 4);
		row.detail = (char *)sqlite3_column_text(s, 5);
		row.prev_hash = (char *)sqlite3_column_text(s, 6);
		row.hash = (char *)sqlite3_column_text(s, 7);
		row.uid = sqlite3_column_int64(s, 8);
		if ((rc = cb(ctx, &row)) != 0)
			return rc;
	}
	if (step != SQLITE_DONE)
		return pki__store_db_err(st, err, "reading the audit log");
	return PKI_OK;
}

int
pki__store_audit_chain(struct pki_store *st, struct pki__audit_head *head,
		       int (*cb)(void *ctx, const struct pki_audit_row *r),
		       void *ctx, struct pki_error *err)
{
	sqlite3_stmt *s = NULL;
	int rc, step, own = 0;

	memset(head, 0, sizeof(*head));
	/* one read snapshot for the head and the rows */
	if (!pki__store_in_transaction(st)) {
		if ((rc = pki__store_exec(st, "BEGIN", err)) != PKI_OK)
			return rc;
		own = 1;
	}
	rc = pki__store_prep(st, "SELECT last_id, hash FROM audit_head "
			     "WHERE one = 1", &s, err);
	if (rc != PKI_OK)
		goto out;
	step = sqlite3_step(s);
	if (step == SQLITE_ROW) {
		head->present = 1;
		head->last_id = sqlite3_column_int64(s, 0);
		snprintf(head->hash, sizeof(head->hash), "%s",
			 sqlite3_column_text(s, 1));
	} else if (step != SQLITE_DONE) {
		rc = pki__store_db_err(st, err, "reading the audit head");
		goto out;
	}
	sqlite3_finalize(s);
	s = NULL;
	rc = pki__store_prep(st, "SELECT " AUDIT_COLS " FROM audit ORDER BY id",
			     &s, err);
	if (rc != PKI_OK)
		goto out;
	rc = audit_rows(st, s, cb, ctx, err);
out:
	sqlite3_finalize(s);
	if (own)
		sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL);
	return rc;
}

int
pki__store_audit_select(struct pki_store *st, const struct pki_audit_filter *f,
			int (*cb)(void *ctx, const struct pki_audit_row *r),
			void *ctx, struct pki_error *err)
{
	static const struct pki_audit_filter none;
	char sql[1024], where[512];
	const char *cols, *table;
	sqlite3_stmt *s = NULL;
	int rc, idx;

	if (f == NULL)
		f = &none;
	cols = f->refusals ? REFUSAL_COLS : AUDIT_COLS;
	table = f->refusals ? "refusals" : "audit";
	/* constant fragments only; values are bound */
	snprintf(where, sizeof(where), "WHERE 1 = 1%s%s%s%s",
		 f->since ? " AND ts >= :since" : "",
		 f->until ? " AND ts <= :until" : "",
		 f->action_prefix && *f->action_prefix ?
			" AND substr(action, 1, :plen) = :prefix" : "",
		 f->object ? " AND object = :object" : "");
	if (f->limit)
		snprintf(sql, sizeof(sql), "SELECT * FROM (SELECT %s FROM %s "
			 "%s ORDER BY id DESC LIMIT :limit) AS t ORDER BY 1",
			 cols, table, where);
	else
		snprintf(sql, sizeof(sql), "SELECT %s FROM %s %s ORDER BY id",
			 cols, table, where);
	if ((rc = pki__store_prep(st, sql, &s, err)) != PKI_OK)
		return rc;
	rc = SQLITE_OK;
	if ((idx = sqlite3_bind_parameter_index(s, ":since")) > 0)
		rc |= sqlite3_bind_int64(s, idx, f->since);
	if ((idx = sqlite3_bind_parameter_index(s, ":until")) > 0)
		rc |= sqlite3_bind_int64(s, idx, f->until);
	if ((idx = sqlite3_bind_parameter_index(s, ":plen")) > 0)
		rc |= sqlite3_bind_int64(s, idx,
					 (int64_t)strlen(f->action_prefix));
	if ((idx = sqlite3_bind_parameter_index(s, ":prefix")) > 0)
		rc |= pki__store_bind_text(s, idx, f->action_prefix);
	if ((idx = sqlite3_bind_parameter_index(s, ":object")) > 0)
		rc |= pki__store_bind_text(s, idx, f->object);
	if ((idx = sqlite3_bind_parameter_index(s, ":limit")) > 0)
		rc |= sqlite3_bind_int64(s, idx, f->limit > INT64_MAX ?
					 INT64_MAX : (int64_t)f->limit);
	if (rc != SQLITE_OK)
		rc = pki__store_db_err(st, err, "listing the audit log");
	else
		rc = audit_rows(st, s, cb, ctx, err);
	sqlite3_finalize(s);
	return rc;
}
