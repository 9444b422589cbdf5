/*
 * store-crl: CRL numbers and the crls table (see store.h).  A CRL records
 * the highest revocation event it saw (revocation_seq); store-revoke.c
 * reads what a CRL carries from it.
 */
#include <config.h>

#include <stdio.h>
#include <string.h>

#include "store-int.h"

void
pki_crl_record_clear(struct pki_crl_record *r)
{
	if (r == NULL)
		return;
	gnutls_free(r->der.data);
	memset(r, 0, sizeof(*r));
}

/* The revocation_seq of full CRL base of ca_id (store-int.h). */
int
pki__store_crl_base_seq(struct pki_store *st, int64_t ca_id, int64_t base,
			int64_t *seq, struct pki_error *err)
{
	sqlite3_stmt *s = NULL;
	int rc, step;

	rc = pki__store_prep(st, "SELECT revocation_seq, is_delta FROM crls "
			     "WHERE ca_id = ?1 AND crl_number = ?2", &s, err);
	if (rc != PKI_OK)
		return rc;
	if (sqlite3_bind_int64(s, 1, ca_id) || sqlite3_bind_int64(s, 2, base)) {
		rc = pki__store_db_err(st, err, "looking up the base CRL");
		goto out;
	}
	step = sqlite3_step(s);
	if (step == SQLITE_DONE) {
		rc = pki_error_set(err, PKI_E_NOTFOUND, "no CRL number %lld "
				   "was recorded for this CA: a delta CRL "
				   "needs a full CRL to build on",
				   (long long)base);
		goto out;
	}
	if (step != SQLITE_ROW) {
		rc = pki__store_db_err(st, err, "looking up the base CRL");
		goto out;
	}
	if (sqlite3_column_int(s, 1)) {
		rc = pki_error_set(err, PKI_E_INVALID, "CRL number %lld is a "
				   "delta CRL: a delta builds on a full CRL",
				   (long long)base);
		goto out;
	}
	*seq = sqlite3_column_int64(s, 0);
	rc = PKI_OK;
out:
	sqlite3_finalize(s);
	return rc;
}

int
pki_store_crl_next_number(struct pki_store *st, int64_t ca_id,
			  int64_t *number, struct pki_error *err)
{
	sqlite3_stmt *s = NULL;
	int rc, step;

	*number = 0;
	rc = pki__store_prep(st, "UPDATE cas "
			     "SET next_crl_number = next_crl_number + 1 "
			     "WHERE id = ?1 RETURNING next_crl_number - 1",
			     &s, err);
	if (rc != PKI_OK)
		return rc;
	if (sqlite3_bind_int64(s, 1, ca_id)) {
		rc = pki__store_db_err(st, err, "allocating a CRL number");
		goto out;
	}
	step = sqlite3_step(s);
	if (step == SQLITE_DONE) {
		rc = pki_error_set(err, PKI_E_NOTFOUND, "no CA with id %lld",
				   (long long)ca_id);
		goto out;
	}
	if (step != SQLITE_ROW) {
		rc = pki__store_db_err(st, err, "allocating a CRL number");
		goto out;
	}
	*number = sqlite3_column_int64(s, 0);
	if (sqlite3_step(s) != SQLITE_DONE) {
		*number = 0;
		rc = pki__store_db_err(st, err, "allocating a CRL number");
		goto out;
	}
	rc = PKI_OK;
out:
	sqlite3_finalize(s);
	return rc;
}

int
pki_store_crl_insert(struct pki_store *st, struct pki_crl_record *r,
		     struct pki_error *err)
{
	sqlite3_stmt *s = NULL;
	int64_t next = 0, seq = 0;
	int64_t created = pki__store_now(st);
	int rc, step;

	if (!pki__store_in_transaction(st))
		return pki_error_set(err, PKI_E_INVALID, "recording a CRL: "
				     "call pki_store_begin first (the CRL "
				     "must be recorded in the transaction "
				     "that read its revocations)");
	if (r->der.data == NULL || r->der.size == 0 || r->crl_number <= 0 ||
	    r->next_update <= r->this_update || r->entries < 0)
		return pki_error_set(err, PKI_E_INVALID, "recording a CRL: "
				     "DER, a positive number and nextUpdate "
				     "after thisUpdate are required");
	if (r->is_delta && r->shard > 0)
		return pki_error_set(err, PKI_E_INVALID, "recording a CRL: "
				     "a shard has no delta CRLs");
	if (r->is_delta) {
		if (r->base_crl_number <= 0 ||
		    r->base_crl_number >= r->crl_number)
			return pki_error_set(err, PKI_E_INVALID, "delta CRL "
					     "%lld: its base must be an "
					     "earlier full CRL",
					     (long long)r->crl_number);
		rc = pki__store_crl_base_seq(st, r->ca_id, r->base_crl_number,
					     &seq, err);
		if (rc != PKI_OK)
			return rc;
	}
	rc = pki__store_prep(st, "SELECT next_crl_number FROM cas "
			     "WHERE id = ?1", &s, err);
	if (rc != PKI_OK)
		return rc;
	if (sqlite3_bind_int64(s, 1, r->ca_id)) {
		rc = pki__store_db_err(st, err, "recording a CRL");
		goto out;
	}
	step = sqlite3_step(s);
	if (step == SQLITE_DONE) {
		rc = pki_error_set(err, PKI_E_NOTFOUND, "no CA with id %lld",
				   (long long)r->ca_id);
		goto out;
	}
	if (step != SQLITE_ROW) {
		rc = pki__store_db_err(st, err, "recording a CRL");
		goto out;
	}
	next = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	s = NULL;
	if (r->crl_number >= next) {
		rc = pki_error_set(err, PKI_E_INVALID, "CRL number %lld was "
				   "not allocated (use "
				   "pki_store_crl_next_number)",
				   (long long)r->crl_number);
		goto out;
	}
	rc = pki__store_prep(st, "INSERT INTO crls (ca_id, crl_number, "
			     "is_delta, base_crl_number, this_update, "
			     "next_update, revocation_seq, entries, der, "
			     "created_at, shard) VALUES (?1, ?2, ?3, ?4, ?5, "
			     "?6, (SELECT coalesce(max(id), 0) "
			     "FROM revocation_events), ?7, ?8, ?9, ?10)", &s,
			     err);
	if (rc != PKI_OK)
		goto out;
	if (sqlite3_bind_int64(s, 1, r->ca_id) ||
	    sqlite3_bind_int64(s, 2, r->crl_number) ||
	    sqlite3_bind_int(s, 3, r->is_delta ? 1 : 0) ||
	    pki__store_bind_id(s, 4, r->is_delta ? r->base_crl_number : 0) ||
	    sqlite3_bind_int64(s, 5, r->this_update) ||
	    sqlite3_bind_int64(s, 6, r->next_update) ||
	    sqlite3_bind_int64(s, 7, r->entries) ||
	    pki__store_bind_blob(s, 8, &r->der) ||
	    sqlite3_bind_int64(s, 9, created) ||
	    sqlite3_bind_int64(s, 10, r->shard)) {
		rc = pki__store_db_err(st, err, "recording a CRL");
		goto out;
	}
	if (sqlite3_step(s) != SQLITE_DONE) {
		if (sqlite3_extended_errcode(st->db) ==
		    SQLITE_CONSTRAINT_UNIQUE)
			rc = pki_error_set(err, PKI_E_EXISTS, "CRL number %lld "
					   "is already recorded: CRL numbers "
					   "are never reused",
					   (long long)r->crl_number);
		else
			rc = pki__store_db_err(st, err, "recording a CRL");
		goto out;
	}
	r->id = sqlite3_last_insert_rowid(st->db);
	r->created_at = created;
	rc = PKI_OK;
out:
	sqlite3_finalize(s);
	return rc;
}

#define CRL_COLS "id, ca_id, crl_number, is_delta, base_crl_number, " \
	"this_update, next_update, entries, der, created_at, shard"

static int
crl_get_one(struct pki_store *st, sqlite3_stmt *s, const char *what,
	    struct pki_crl_record *r, struct pki_error *err)
{
	int step = sqlite3_step(s);

	if (step == SQLITE_DONE)
		return pki_error_set(err, PKI_E_NOTFOUND, "no %s was recorded "
				     "for this CA", what);
	if (step != SQLITE_ROW)
		return pki__store_db_err(st, err, "reading a CRL");
	r->id = sqlite3_column_int64(s, 0);
	r->ca_id = sqlite3_column_int64(s, 1);
	r->crl_number = sqlite3_column_int64(s, 2);
	r->is_delta = sqlite3_column_int(s, 3);
	r->base_crl_number = sqlite3_column_int64(s, 4);
	r->this_update = sqlite3_column_int64(s, 5);
	r->next_update = sqlite3_column_int64(s, 6);
	r->entries = sqlite3_column_int64(s, 7);
	r->created_at = sqlite3_column_int64(s, 9);
	r->shard = (unsigned)sqlite3_column_int64(s, 10);
	if (pki__store_col_blob(s, 8, &r->der) != PKI_OK) {
		pki_crl_record_clear(r);
		return pki_error_set(err, PKI_E_NOMEM, "out of memory");
	}
	return PKI_OK;
}

int
pki_store_crl_latest(struct pki_store *st, int64_t ca_id,
		     enum pki_store_crl_kind kind, struct pki_crl_record *out,
		     struct pki_error *err)
{
	sqlite3_stmt *s = NULL;
	const char *sql, *what;
	int rc;

	memset(out, 0, sizeof(*out));
	switch (kind) {
	case PKI_STORE_CRL_FULL:
		sql = "SELECT " CRL_COLS " FROM crls WHERE ca_id = ?1 AND "
		      "is_delta = 0 AND shard = 0 ORDER BY crl_number DESC LIMIT 1";
		what = "full CRL";
		break;
	case PKI_STORE_CRL_DELTA:
		sql = "SELECT " CRL_COLS " FROM crls WHERE ca_id = ?1 AND "
		      "is_delta = 1 AND shard = 0 ORDER BY crl_number DESC LIMIT 1";
		what = "delta CRL";
		break;
	default:
		sql = "SELECT " CRL_COLS " FROM crls WHERE ca_id = ?1 "
		      "AND shard = 0 ORDER BY crl_number DESC LIMIT 1";
		what = "CRL";
		break;
	}
	if ((rc = pki__store_prep(st, sql, &s, err)) != PKI_OK)
		return rc;
	if (sqlite3_bind_int64(s, 1, ca_id))
		rc = pki__store_db_err(st, err, "reading a CRL");
	else
		rc = crl_get_one(st, s, what, out, err);
	sqlite3_finalize(s);
	return rc;
}

int
pki_store_crl_latest_shard(struct pki_store *st, int64_t ca_id,
			   unsigned shard, struct pki_crl_record *out,
			   struct pki_error *err)
{
	sqlite3_stmt *s = NULL;
	char what[64];
	int rc;

	memset(out, 0, sizeof(*out));
	rc = pki__store_prep(st, "SELECT " CRL_COLS " FROM crls WHERE "
			     "ca_id = ?1 AND shard = ?2 AND is_delta = 0 "
			     "ORDER BY crl_number DESC LIMIT 1", &s, err);
	if (rc != PKI_OK)
		return rc;
	snprintf(what, sizeof(what), "CRL of shard %u", shard);
	if (shard == 0 || sqlite3_bind_int64(s, 1, ca_id) ||
	    sqlite3_bind_int64(s, 2, shard))
		rc = shard == 0 ? pki_error_set(err, PKI_E_INVALID, "CRL "
						"shards count from 1") :
			pki__store_db_err(st, err, "reading a CRL");
	else
		rc = crl_get_one(st, s, what, out, err);
	sqlite3_finalize(s);
	return rc;
}

int
pki_store_crl_get(struct pki_store *st, int64_t ca_id, int64_t crl_number,
		  struct pki_crl_record *out, struct pki_error *err)
{
	sqlite3_stmt *s = NULL;
	char what[64];
	int rc;

	memset(out, 0, sizeof(*out));
	rc = pki__store_prep(st, "SELECT " CRL_COLS " FROM crls "
			     "WHERE ca_id = ?1 AND crl_number = ?2", &s, err);
	if (rc != PKI_OK)
		return rc;
	snprintf(what, sizeof(what), "CRL number %lld",
		 (long long)crl_number);
	if (sqlite3_bind_int64(s, 1, ca_id) ||
	    sqlite3_bind_int64(s, 2, crl_number))
		rc = pki__store_db_err(st, err, "reading a CRL");
	else
		rc = crl_get_one(st, s, what, out, err);
	sqlite3_finalize(s);
	return rc;
}
