/*
 * store-ca-roles: what a CA is for beyond its certificate (store.h):
 * the issuing CA each profile defaults to, which CA succeeded which
 * (pki_hier_rotate), and the CRL lifetimes hierarchy.toml gives a CA.
 * Migration 6; rows change when the hierarchy is built or a CA
 * rotated, never with the CA's definition.  Also the lookup of a CA by
 * any name a user gives it.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <spork/crl.h>
#include <spork/state.h>
#include "store-int.h"
#include "store-write.h"

void
pki_ca_defaults_free(struct pki_ca_default *v, size_t n)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		free(v[i].profile);
	free(v);
}

int
pki_store_ca_defaults(struct pki_store *st, struct pki_ca_default **out,
		      size_t *n, struct pki_error *err)
{
	sqlite3_stmt *s = NULL;
	struct pki_ca_default *v = NULL, *nv;
	size_t cnt = 0;
	int rc, step;

	*out = NULL;
	*n = 0;
	if ((rc = pki__store_prep(st, "SELECT profile, ca_id FROM ca_defaults "
				  "ORDER BY profile", &s, err)) != PKI_OK)
		return rc;
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		if ((nv = realloc(v, (cnt + 1) * sizeof(*v))) == NULL)
			goto nomem;
		v = nv;
		memset(&v[cnt], 0, sizeof(v[cnt]));
		v[cnt].ca_id = sqlite3_column_int64(s, 1);
		if (pki__store_col_str(s, 0, 0, &v[cnt].profile) != PKI_OK)
			goto nomem;
		cnt++;
	}
	if (step != SQLITE_DONE) {
		rc = pki__store_db_err(st, err, "listing default CAs");
		goto out;
	}
	*out = v;
	*n = cnt;
	v = NULL;
	cnt = 0;
	rc = PKI_OK;
	goto out;
nomem:
	rc = pki_error_set(err, PKI_E_NOMEM, "out of memory");
out:
	sqlite3_finalize(s);
	pki_ca_defaults_free(v, cnt);
	return rc;
}

int
pki_store_ca_default_set(struct pki_store *st, const char *profile,
			 int64_t ca_id, struct pki_error *err)
{
	sqlite3_stmt *s = NULL;
	int rc;

	rc = pki__store_prep(st, "INSERT INTO ca_defaults (profile, ca_id, "
			     "set_at) VALUES (?1, ?2, ?3) ON CONFLICT (profile) "
			     "DO UPDATE SET ca_id = ?2, set_at = ?3", &s, err);
	if (rc != PKI_OK)
		return rc;
	if (pki__store_bind_text(s, 1, profile) ||
	    sqlite3_bind_int64(s, 2, ca_id) ||
	    sqlite3_bind_int64(s, 3, pki__store_now(st)) ||
	    sqlite3_step(s) != SQLITE_DONE)
		rc = pki__store_db_err(st, err, "recording a default CA");
	sqlite3_finalize(s);
	return rc;
}

int
pki_store_ca_rotations(struct pki_store *st, struct pki_ca_rotation **out,
		       size_t *n, struct pki_error *err)
{
	sqlite3_stmt *s = NULL;
	struct pki_ca_rotation *v = NULL, *nv;
	size_t cnt = 0;
	int rc, step;

	*out = NULL;
	*n = 0;
	if ((rc = pki__store_prep(st, "SELECT old_ca_id, new_ca_id, rotated_at "
				  "FROM ca_rotations ORDER BY rotated_at, "
				  "old_ca_id", &s, err)) != PKI_OK)
		return rc;
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		if ((nv = realloc(v, (cnt + 1) * sizeof(*v))) == NULL) {
			rc = pki_error_set(err, PKI_E_NOMEM, "out of memory");
			goto out;
		}
		v = nv;
		v[cnt].old_id = sqlite3_column_int64(s, 0);
		v[cnt].new_id = sqlite3_column_int64(s, 1);
		v[cnt].rotated_at = sqlite3_column_int64(s, 2);
		cnt++;
	}
	if (step != SQLITE_DONE) {
		rc = pki__store_db_err(st, err, "listing CA rotations");
		goto out;
	}
	*out = v;
	*n = cnt;
	v = NULL;
	rc = PKI_OK;
out:
	sqlite3_finalize(s);
	free(v);
	return rc;
}

int
pki_store_ca_rotation_add(struct pki_store *st, int64_t old_id, int64_t new_id,
			  struct pki_error *err)
{
	sqlite3_stmt *s = NULL;
	int rc;

	rc = pki__store_prep(st, "INSERT INTO ca_rotations (old_ca_id, "
			     "new_ca_id, rotated_at) VALUES (?1, ?2, ?3)", &s,
			     err);
	if (rc != PKI_OK)
		return rc;
	if (sqlite3_bind_int64(s, 1, old_id) ||
	    sqlite3_bind_int64(s, 2, new_id) ||
	    sqlite3_bind_int64(s, 3, pki__store_now(st)))
		rc = pki__store_db_err(st, err, "recording a CA rotation");
	else if (sqlite3_step(s) != SQLITE_DONE)
		rc = sqlite3_extended_errcode(st->db) ==
		     SQLITE_CONSTRAINT_PRIMARYKEY ?
		     pki_error_set(err, PKI_E_EXISTS, "CA #%lld has a "
				   "successor already", (long long)old_id) :
		     pki__store_db_err(st, err, "recording a CA rotation");
	sqlite3_finalize(s);
	return rc;
}

int
pki_store_ca_crl_settings(struct pki_store *st, int64_t ca_id,
			  struct pki_ca_crl_settings *out,
			  struct pki_error *err)
{
	sqlite3_stmt *s = NULL;
	int rc, step;

	memset(out, 0, sizeof(*out));
	if ((rc = pki__store_prep(st, "SELECT next_update, delta_next_update "
				  "FROM ca_crl_settings WHERE ca_id = ?1", &s,
				  err)) != PKI_OK)
		return rc;
	if (sqlite3_bind_int64(s, 1, ca_id) != SQLITE_OK) {
		rc = pki__store_db_err(st, err, "reading CRL settings");
		goto out;
	}
	step = sqlite3_step(s);
	if (step == SQLITE_ROW) {
		out->next_update = sqlite3_column_int64(s, 0);
		out->delta_next_update = sqlite3_column_int64(s, 1);
	} else if (step != SQLITE_DONE) {
		rc = pki__store_db_err(st, err, "reading CRL settings");
	}
out:
	sqlite3_finalize(s);
	return rc;
}

int
pki_store_ca_crl_settings_set(struct pki_store *st, int64_t ca_id,
			      const struct pki_ca_crl_settings *v,
			      struct pki_error *err)
{
	sqlite3_stmt *s = NULL;
	int rc;

	rc = pki__store_prep(st, "INSERT INTO ca_crl_settings (ca_id, "
			     "next_update, delta_next_update) VALUES (?1, ?2, "
			     "?3) ON CONFLICT (ca_id) DO UPDATE SET "
			     "next_update = ?2, delta_next_update = ?3", &s,
			     err);
	if (rc != PKI_OK)
		return rc;
	if (sqlite3_bind_int64(s, 1, ca_id) ||
	    sqlite3_bind_int64(s, 2, v->next_update) ||
	    sqlite3_bind_int64(s, 3, v->delta_next_update) ||
	    sqlite3_step(s) != SQLITE_DONE)
		rc = pki__store_db_err(st, err, "recording CRL settings");
	sqlite3_finalize(s);
	return rc;
}

/* "'A', 'B'" of every CA, into buf (len bytes). */
static void
all_names(const struct pki_ca_record *v, size_t n, char *buf, size_t len)
{
	size_t i, used = 0;
	int w;

	buf[0] = '\0';
	for (i = 0; i < n && used + 1 < len; i++) {
		w = snprintf(buf + used, len - used, "%s'%s'", used ? ", " : "",
			     v[i].name);
		if (w < 0)
			break;
		used += (size_t)w;
	}
	if (used >= len && len > 4)
		memcpy(buf + len - 4, "...", 4);
}

int
pki_store_ca_find(struct pki_store *st, const char *name,
		  struct pki_ca_record *out, struct pki_error *err)
{
	struct pki_ca_record *v = NULL;
	size_t n = 0, i, hits, pick = 0;
	char names[1024], *s;
	int rc, pass;

	memset(out, 0, sizeof(*out));
	if (name == NULL)
		name = "";
	if ((rc = pki_store_ca_list(st, &v, &n, err)) != PKI_OK)
		return rc;
	/* exactly; then ignoring case; then by the file slug */
	for (pass = 0, hits = 0; pass < 3 && hits == 0; pass++) {
		for (i = 0; i < n; i++) {
			int hit;

			if (pass == 0)
				hit = strcmp(v[i].name, name) == 0;
			else if (pass == 1)
				hit = strcasecmp(v[i].name, name) == 0;
			else {
				s = pki_state_slug(v[i].name);
				hit = s != NULL && strcmp(s, name) == 0;
				free(s);
			}
			if (hit) {
				hits++;
				pick = i;
			}
		}
	}
	all_names(v, n, names, sizeof(names));
	if (hits == 0) {
		rc = pki_error_set(err, PKI_E_NOTFOUND, "no CA named '%s'; the "
				   "CAs are: %s", name, n ? names : "(none)");
		if (n == 0)
			pki_error_hint(err, PKI_HINT_BUILD);
		goto out;
	}
	if (hits > 1) {
		rc = pki_error_set(err, PKI_E_INVALID, "'%s' names more than "
				   "one CA; the CAs are: %s", name, names);
		pki_error_hint(err, PKI_HINT_NAME_CA);
		goto out;
	}
	*out = v[pick];
	memset(&v[pick], 0, sizeof(v[pick]));
	rc = PKI_OK;
out:
	pki_ca_records_free(v, n);
	return rc;
}

int
pki_store_ca_on_hold(struct pki_store *st, const struct pki_ca_record *ca,
		     int *held, struct pki_error *err)
{
	sqlite3_stmt *s = NULL;
	int rc, step;

	*held = 0;
	if (ca->status != PKI_CA_REVOKED)
		return PKI_OK;
	if ((rc = pki__store_prep(st, "SELECT r.reason FROM revocations r "
				  "JOIN certificates c ON c.id = r.cert_id "
				  "WHERE c.ca_id = ?1", &s, err)) != PKI_OK)
		return rc;
	if (sqlite3_bind_int64(s, 1, ca->id) != SQLITE_OK) {
		rc = pki__store_db_err(st, err, "reading a CA's revocation");
		goto out;
	}
	step = sqlite3_step(s);
	if (step == SQLITE_ROW)
		*held = sqlite3_column_int(s, 0) ==
			PKI_CRL_REASON_CERTIFICATE_HOLD;
	else if (step != SQLITE_DONE)
		rc = pki__store_db_err(st, err, "reading a CA's revocation");
out:
	sqlite3_finalize(s);
	return rc;
}
