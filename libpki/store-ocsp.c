/*
 * store-ocsp: the OCSP tables of migration 3 (store-write.h): each CA's
 * delegated signer and the responses signed ahead of time.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store-int.h"

void
pki_store_ocsp_signer_clear(struct pki_store_ocsp_signer *r)
{
	if (r == NULL)
		return;
	free(r->key_uri);
	memset(r, 0, sizeof(*r));
}

void
pki_store_ocsp_response_clear(struct pki_store_ocsp_response *r)
{
	if (r == NULL)
		return;
	free(r->serial);
	gnutls_free(r->request.data);
	gnutls_free(r->der.data);
	memset(r, 0, sizeof(*r));
}

int
pki_store_ocsp_signer_get(struct pki_store *st, int64_t ca_id,
			  struct pki_store_ocsp_signer *out,
			  struct pki_error *err)
{
	sqlite3_stmt *s = NULL;
	int rc, step;

	memset(out, 0, sizeof(*out));
	if ((rc = pki__store_prep(st, "SELECT cert_id, key_uri, created_at "
				  "FROM ocsp_signers WHERE ca_id = ?1", &s,
				  err)) != PKI_OK)
		return rc;
	if (sqlite3_bind_int64(s, 1, ca_id)) {
		rc = pki__store_db_err(st, err, "looking up the OCSP signer");
		goto out;
	}
	step = sqlite3_step(s);
	if (step == SQLITE_DONE) {
		rc = PKI_E_NOTFOUND;
		goto out;
	}
	if (step != SQLITE_ROW) {
		rc = pki__store_db_err(st, err, "looking up the OCSP signer");
		goto out;
	}
	out->ca_id = ca_id;
	out->cert_id = sqlite3_column_int64(s, 0);
	out->created_at = sqlite3_column_int64(s, 2);
	if ((rc = pki__store_col_str(s, 1, 0, &out->key_uri)) != PKI_OK)
		rc = pki_error_set(err, PKI_E_NOMEM, "out of memory");
out:
	sqlite3_finalize(s);
	if (rc != PKI_OK)
		pki_store_ocsp_signer_clear(out);
	return rc;
}

int
pki_store_ocsp_signer_set(struct pki_store *st,
			  const struct pki_store_ocsp_signer *r,
			  struct pki_error *err)
{
	sqlite3_stmt *s = NULL;
	int rc;

	if ((rc = pki__store_prep(st, "INSERT OR REPLACE INTO ocsp_signers "
				  "(ca_id, cert_id, key_uri, created_at) "
				  "VALUES (?1, ?2, ?3, ?4)", &s, err)) != PKI_OK)
		return rc;
	if (sqlite3_bind_int64(s, 1, r->ca_id) ||
	    sqlite3_bind_int64(s, 2, r->cert_id) ||
	    pki__store_bind_text(s, 3, r->key_uri) ||
	    sqlite3_bind_int64(s, 4, r->created_at ? r->created_at :
			       pki__store_now(st)) ||
	    sqlite3_step(s) != SQLITE_DONE)
		rc = pki__store_db_err(st, err, "recording the OCSP signer");
	sqlite3_finalize(s);
	return rc;
}

int
pki_store_ocsp_signer_keys(struct pki_store *st, struct pki_strlist *uris,
			   struct pki_error *err)
{
	sqlite3_stmt *s = NULL;
	int rc, step;

	if ((rc = pki__store_prep(st, "SELECT key_uri FROM ocsp_signers "
				  "ORDER BY ca_id", &s, err)) != PKI_OK)
		return rc;
	while ((step = sqlite3_step(s)) == SQLITE_ROW)
		if (pki_strlist_add(uris, (const char *)sqlite3_column_text(s, 0))
		    != PKI_OK) {
			rc = pki_error_set(err, PKI_E_NOMEM, "out of memory");
			goto out;
		}
	if (step != SQLITE_DONE)
		rc = pki__store_db_err(st, err, "listing the OCSP signers");
out:
	sqlite3_finalize(s);
	return rc;
}

int
pki_store_ocsp_response_put(struct pki_store *st,
			    const struct pki_store_ocsp_response *r,
			    struct pki_error *err)
{
	sqlite3_stmt *s = NULL;
	int rc;

	if (r->this_update >= r->next_update || r->der.size == 0 ||
	    r->request.size == 0)
		return pki_error_set(err, PKI_E_INVALID, "a pre-signed OCSP "
				     "response needs its request, its bytes and "
				     "thisUpdate before nextUpdate");
	if ((rc = pki__store_prep(st, "INSERT OR REPLACE INTO ocsp_responses "
				  "(ca_id, serial, status, revoked_at, reason, "
				  "this_update, next_update, request_der, der, "
				  "created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, "
				  "?7, ?8, ?9, ?10)", &s, err)) != PKI_OK)
		return rc;
	if (sqlite3_bind_int64(s, 1, r->ca_id) ||
	    pki__store_bind_text(s, 2, r->serial) ||
	    sqlite3_bind_int(s, 3, r->status) ||
	    sqlite3_bind_int64(s, 4, r->revoked_at) ||
	    sqlite3_bind_int(s, 5, r->reason) ||
	    sqlite3_bind_int64(s, 6, r->this_update) ||
	    sqlite3_bind_int64(s, 7, r->next_update) ||
	    pki__store_bind_blob(s, 8, &r->request) ||
	    pki__store_bind_blob(s, 9, &r->der) ||
	    sqlite3_bind_int64(s, 10, pki__store_now(st)) ||
	    sqlite3_step(s) != SQLITE_DONE)
		rc = pki__store_db_err(st, err, "recording a pre-signed OCSP "
				       "response");
	sqlite3_finalize(s);
	return rc;
}

int
pki_store_ocsp_response_get(struct pki_store *st, int64_t ca_id,
			    const char *serial,
			    struct pki_store_ocsp_response *out,
			    struct pki_error *err)
{
	sqlite3_stmt *s = NULL;
	int rc, step;

	memset(out, 0, sizeof(*out));
	if ((rc = pki__store_prep(st, "SELECT status, revoked_at, reason, "
				  "this_update, next_update, request_der, der "
				  "FROM ocsp_responses WHERE ca_id = ?1 AND "
				  "serial = ?2", &s, err)) != PKI_OK)
		return rc;
	if (sqlite3_bind_int64(s, 1, ca_id) ||
	    pki__store_bind_text(s, 2, serial)) {
		rc = pki__store_db_err(st, err, "looking up a pre-signed OCSP "
				       "response");
		goto out;
	}
	step = sqlite3_step(s);
	if (step == SQLITE_DONE) {
		rc = PKI_E_NOTFOUND;
		goto out;
	}
	if (step != SQLITE_ROW) {
		rc = pki__store_db_err(st, err, "looking up a pre-signed OCSP "
				       "response");
		goto out;
	}
	out->ca_id = ca_id;
	out->status = sqlite3_column_int(s, 0);
	out->revoked_at = sqlite3_column_int64(s, 1);
	out->reason = sqlite3_column_int(s, 2);
	out->this_update = sqlite3_column_int64(s, 3);
	out->next_update = sqlite3_column_int64(s, 4);
	if ((out->serial = strdup(serial)) == NULL ||
	    pki__store_col_blob(s, 5, &out->request) != PKI_OK ||
	    pki__store_col_blob(s, 6, &out->der) != PKI_OK)
		rc = pki_error_set(err, PKI_E_NOMEM, "out of memory");
out:
	sqlite3_finalize(s);
	if (rc != PKI_OK)
		pki_store_ocsp_response_clear(out);
	return rc;
}

int
pki_store_ocsp_response_prune(struct pki_store *st, int64_t ca_id, int64_t t,
			      size_t *removed, struct pki_error *err)
{
	sqlite3_stmt *s = NULL;
	int rc;

	if (removed != NULL)
		*removed = 0;
	if ((rc = pki__store_prep(st, "DELETE FROM ocsp_responses WHERE "
				  "ca_id = ?1 AND (this_update < ?2 OR "
				  "next_update <= ?2)", &s, err)) != PKI_OK)
		return rc;
	if (sqlite3_bind_int64(s, 1, ca_id) || sqlite3_bind_int64(s, 2, t) ||
	    sqlite3_step(s) != SQLITE_DONE)
		rc = pki__store_db_err(st, err, "removing old pre-signed OCSP "
				       "responses");
	else if (removed != NULL)
		*removed = (size_t)sqlite3_changes(st->db);
	sqlite3_finalize(s);
	return rc;
}

int
pki_store_ocsp_response_summary(struct pki_store *st, int64_t ca_id,
				size_t *count, int64_t *oldest_this,
				int64_t *earliest_next, struct pki_error *err)
{
	sqlite3_stmt *s = NULL;
	int rc;

	*count = 0;
	*oldest_this = *earliest_next = 0;
	if ((rc = pki__store_prep(st, "SELECT count(*), coalesce(min("
				  "this_update), 0), coalesce(min(next_update), "
				  "0) FROM ocsp_responses WHERE ca_id = ?1", &s,
				  err)) != PKI_OK)
		return rc;
	if (sqlite3_bind_int64(s, 1, ca_id) || sqlite3_step(s) != SQLITE_ROW) {
		rc = pki__store_db_err(st, err, "counting pre-signed OCSP "
				       "responses");
	} else {
		*count = (size_t)sqlite3_column_int64(s, 0);
		*oldest_this = sqlite3_column_int64(s, 1);
		*earliest_next = sqlite3_column_int64(s, 2);
	}
	sqlite3_finalize(s);
	return rc;
}
