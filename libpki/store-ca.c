/*
 * store-ca: the cas table (see store.h).  A CA's own certificate is also
 * a row of the certificates table (store-cert.c).
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "store-int.h"

static const char *const ca_status_names[PKI_CA__MAX] = {
	[PKI_CA_ACTIVE] = "active",
	[PKI_CA_PENDING] = "pending",
	[PKI_CA_REVOKED] = "revoked",
};

void
pki_ca_record_clear(struct pki_ca_record *r)
{
	if (r == NULL)
		return;
	free(r->name);
	free(r->role);
	free(r->mode);
	free(r->algorithm);
	free(r->key_uri);
	free(r->subject);
	free(r->serial);
	gnutls_free(r->cert_der.data);
	gnutls_free(r->csr_der.data);
	free(r->spec_hash);
	free(r->config_json);
	memset(r, 0, sizeof(*r));
}

void
pki_ca_records_free(struct pki_ca_record *v, size_t n)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		pki_ca_record_clear(&v[i]);
	free(v);
}

#define CA_COLS "id, name, parent_id, role, mode, algorithm, key_uri, " \
	"key_online, subject, serial, not_before, not_after, cert_der, " \
	"csr_der, spec_hash, config_json, status, created_at"

static int
read_ca(sqlite3_stmt *s, struct pki_ca_record *r)
{
	const unsigned char *status;
	int i;

	memset(r, 0, sizeof(*r));
	r->id = sqlite3_column_int64(s, 0);
	r->parent_id = sqlite3_column_int64(s, 2);
	r->key_online = sqlite3_column_int(s, 7);
	r->not_before = sqlite3_column_int64(s, 10);
	r->not_after = sqlite3_column_int64(s, 11);
	r->created_at = sqlite3_column_int64(s, 17);
	status = sqlite3_column_text(s, 16);
	r->status = PKI_CA_ACTIVE;
	for (i = 0; i < PKI_CA__MAX; i++)
		if (status != NULL &&
		    strcmp((const char *)status, ca_status_names[i]) == 0)
			r->status = (enum pki_ca_status)i;
	if (pki__store_col_str(s, 1, 0, &r->name) ||
	    pki__store_col_str(s, 3, 0, &r->role) ||
	    pki__store_col_str(s, 4, 0, &r->mode) ||
	    pki__store_col_str(s, 5, 0, &r->algorithm) ||
	    pki__store_col_str(s, 6, 0, &r->key_uri) ||
	    pki__store_col_str(s, 8, 0, &r->subject) ||
	    pki__store_col_str(s, 9, 0, &r->serial) ||
	    pki__store_col_blob(s, 12, &r->cert_der) ||
	    pki__store_col_blob(s, 13, &r->csr_der) ||
	    pki__store_col_str(s, 14, 0, &r->spec_hash) ||
	    pki__store_col_str(s, 15, 0, &r->config_json)) {
		pki_ca_record_clear(r);
		return PKI_E_NOMEM;
	}
	return PKI_OK;
}

/* Record the certificate of CA id (cert, serial, validity given). */
static int
insert_ca_cert(struct pki_store *st, int64_t id, int64_t parent_id,
	       const char *role, const char *subject, const char *serial,
	       int64_t not_before, int64_t not_after,
	       const gnutls_datum_t *der, struct pki_error *err)
{
	struct pki_cert_record c;
	int rc;

	memset(&c, 0, sizeof(c));
	c.issuer_ca_id = parent_id != 0 ? parent_id :
			 (role != NULL && strcmp(role, "root") == 0) ? id : 0;
	c.ca_id = id;
	c.subject = (char *)subject;
	c.profile = (char *)(role != NULL && strcmp(role, "root") == 0 ?
			     "root-ca" : "sub-ca");
	c.not_before = not_before;
	c.not_after = not_after;
	c.der = *der;
	c.serial = strdup(serial);
	if (c.serial == NULL)
		return pki_error_set(err, PKI_E_NOMEM, "out of memory");
	rc = pki_store_cert_insert(st, &c, err);
	free(c.serial);
	free(c.sha256);
	return rc;
}

int
pki_store_ca_insert(struct pki_store *st, struct pki_ca_record *r,
		    struct pki_error *err)
{
	static const char sql[] =
		"INSERT INTO cas (name, parent_id, role, mode, algorithm, "
		"key_uri, key_online, subject, serial, not_before, not_after, "
		"cert_der, csr_der, spec_hash, config_json, status, created_at)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, "
		"?13, ?14, ?15, ?16, ?17)";
	sqlite3_stmt *s = NULL;
	char serial[PKI__STORE_SERIAL_HEX_MAX], *dup = NULL;
	int rc = PKI_E_FAIL, own = 0, began = 0, has_cert;

	if (r->name == NULL || *r->name == '\0' || r->role == NULL ||
	    r->mode == NULL || r->algorithm == NULL || r->key_uri == NULL ||
	    r->subject == NULL || (unsigned)r->status >= PKI_CA__MAX)
		return pki_error_set(err, PKI_E_INVALID, "recording a CA: "
				     "name, role, mode, algorithm, key URI, "
				     "subject and status are required");
	has_cert = r->cert_der.data != NULL && r->cert_der.size > 0;
	serial[0] = '\0';
	if (has_cert || (r->serial != NULL && *r->serial != '\0')) {
		rc = pki_store_serial_canon(r->serial, serial, sizeof(serial),
					    err);
		if (rc != PKI_OK) {
			pki_error_prefix(err, "CA \"%s\"", r->name);
			return rc;
		}
	}
	if (r->created_at == 0)
		r->created_at = pki__store_now(st);
	if ((rc = pki__store_op_begin(st, &own, err)) != PKI_OK)
		return rc;
	began = 1;
	if ((rc = pki__store_prep(st, sql, &s, err)) != PKI_OK)
		goto out;
	if (pki__store_bind_text(s, 1, r->name) ||
	    pki__store_bind_id(s, 2, r->parent_id) ||
	    pki__store_bind_text(s, 3, r->role) ||
	    pki__store_bind_text(s, 4, r->mode) ||
	    pki__store_bind_text(s, 5, r->algorithm) ||
	    pki__store_bind_text(s, 6, r->key_uri) ||
	    sqlite3_bind_int(s, 7, r->key_online ? 1 : 0) ||
	    pki__store_bind_text(s, 8, r->subject) ||
	    pki__store_bind_text(s, 9, serial) ||
	    sqlite3_bind_int64(s, 10, r->not_before) ||
	    sqlite3_bind_int64(s, 11, r->not_after) ||
	    pki__store_bind_blob(s, 12, &r->cert_der) ||
	    pki__store_bind_blob(s, 13, &r->csr_der) ||
	    pki__store_bind_text(s, 14, r->spec_hash ? r->spec_hash : "") ||
	    pki__store_bind_text(s, 15,
				 r->config_json ? r->config_json : "{}") ||
	    pki__store_bind_text(s, 16, ca_status_names[r->status]) ||
	    sqlite3_bind_int64(s, 17, r->created_at)) {
		rc = pki__store_db_err(st, err, "recording a CA");
		goto out;
	}
	if (sqlite3_step(s) != SQLITE_DONE) {
		int x = sqlite3_extended_errcode(st->db);

		if (x == SQLITE_CONSTRAINT_UNIQUE)
			rc = pki_error_set(err, PKI_E_EXISTS, "a CA named "
					   "\"%s\" already exists", r->name);
		else if (x == SQLITE_CONSTRAINT_FOREIGNKEY)
			rc = pki_error_set(err, PKI_E_NOTFOUND, "CA \"%s\": "
					   "parent CA #%lld does not exist",
					   r->name, (long long)r->parent_id);
		else
			rc = pki__store_db_err(st, err, "recording a CA");
		goto out;
	}
	r->id = sqlite3_last_insert_rowid(st->db);
	if (has_cert) {
		rc = insert_ca_cert(st, r->id, r->parent_id, r->role,
				    r->subject, serial, r->not_before,
				    r->not_after, &r->cert_der, err);
		if (rc != PKI_OK) {
			pki_error_prefix(err, "CA \"%s\"", r->name);
			goto out;
		}
	}
	if (serial[0] != '\0' && (r->serial == NULL ||
				  strcmp(serial, r->serial) != 0)) {
		if ((dup = strdup(serial)) == NULL) {
			rc = pki_error_set(err, PKI_E_NOMEM, "out of memory");
			goto out;
		}
	}
	rc = PKI_OK;
out:
	sqlite3_finalize(s);
	if (began)
		rc = pki__store_op_end(st, own, rc, err);
	if (rc == PKI_OK && dup != NULL) {
		free(r->serial);
		r->serial = dup;
		dup = NULL;
	}
	if (rc != PKI_OK)
		r->id = 0;
	free(dup);
	return rc;
}

static int
ca_get_by(struct pki_store *st, const char *sql, const char *name, int64_t id,
	  struct pki_ca_record *out, struct pki_error *err)
{
	sqlite3_stmt *s = NULL;
	int rc, step;

	memset(out, 0, sizeof(*out));
	if ((rc = pki__store_prep(st, sql, &s, err)) != PKI_OK)
		return rc;
	if ((name != NULL ? pki__store_bind_text(s, 1, name) :
	     sqlite3_bind_int64(s, 1, id)) != SQLITE_OK) {
		rc = pki__store_db_err(st, err, "looking up a CA");
		goto out;
	}
	step = sqlite3_step(s);
	if (step == SQLITE_DONE) {
		if (name != NULL) {
			pki_error_set(err, PKI_E_NOTFOUND, "no CA named "
				      "\"%s\"", name);
			rc = pki_error_hint(err, PKI_HINT_LIST_CAS);
		} else
			rc = pki_error_set(err, PKI_E_NOTFOUND, "no CA with id "
					   "%lld", (long long)id);
		goto out;
	}
	if (step != SQLITE_ROW) {
		rc = pki__store_db_err(st, err, "looking up a CA");
		goto out;
	}
	if (read_ca(s, out) != PKI_OK)
		rc = pki_error_set(err, PKI_E_NOMEM, "out of memory");
	else
		rc = PKI_OK;
out:
	sqlite3_finalize(s);
	return rc;
}

int
pki_store_ca_get(struct pki_store *st, const char *name,
		 struct pki_ca_record *out, struct pki_error *err)
{
	if (name == NULL)
		name = "";
	return ca_get_by(st, "SELECT " CA_COLS " FROM cas WHERE name = ?1",
			 name, 0, out, err);
}

int
pki_store_ca_get_id(struct pki_store *st, int64_t id,
		    struct pki_ca_record *out, struct pki_error *err)
{
	return ca_get_by(st, "SELECT " CA_COLS " FROM cas WHERE id = ?1",
			 NULL, id, out, err);
}

int
pki_store_ca_list(struct pki_store *st, struct pki_ca_record **out,
		  size_t *n, struct pki_error *err)
{
	sqlite3_stmt *s = NULL;
	struct pki_ca_record *v = NULL, *nv;
	size_t cnt = 0, cap = 0;
	int rc, step;

	*out = NULL;
	*n = 0;
	rc = pki__store_prep(st, "SELECT " CA_COLS " FROM cas ORDER BY id", &s,
			     err);
	if (rc != PKI_OK)
		return rc;
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		if (cnt == cap) {
			cap = cap ? cap * 2 : 8;
			nv = realloc(v, cap * sizeof(*v));
			if (nv == NULL) {
				rc = pki_error_set(err, PKI_E_NOMEM,
						   "out of memory");
				goto out;
			}
			v = nv;
		}
		if (read_ca(s, &v[cnt]) != PKI_OK) {
			rc = pki_error_set(err, PKI_E_NOMEM, "out of memory");
			goto out;
		}
		cnt++;
	}
	if (step != SQLITE_DONE) {
		rc = pki__store_db_err(st, err, "listing CAs");
		goto out;
	}
	*out = v;
	*n = cnt;
	v = NULL;
	cnt = 0;
	rc = PKI_OK;
out:
	sqlite3_finalize(s);
	pki_ca_records_free(v, cnt);
	return rc;
}

int
pki_store_ca_set_cert(struct pki_store *st, int64_t id,
		      const gnutls_datum_t *cert_der, const char *serial,
		      int64_t not_before, int64_t not_after,
		      struct pki_error *err)
{
	struct pki_ca_record ca;
	sqlite3_stmt *s = NULL;
	char canon[PKI__STORE_SERIAL_HEX_MAX];
	int rc, own = 0, began = 0;

	memset(&ca, 0, sizeof(ca));
	if (cert_der == NULL || cert_der->data == NULL || cert_der->size == 0)
		return pki_error_set(err, PKI_E_INVALID, "completing CA #%lld:"
				     " no certificate given", (long long)id);
	if ((rc = pki_store_serial_canon(serial, canon, sizeof(canon), err)) !=
	    PKI_OK)
		return rc;
	if ((rc = pki__store_op_begin(st, &own, err)) != PKI_OK)
		return rc;
	began = 1;
	if ((rc = pki_store_ca_get_id(st, id, &ca, err)) != PKI_OK)
		goto out;
	if (ca.status != PKI_CA_PENDING) {
		rc = pki_error_set(err, PKI_E_INVALID, "CA \"%s\" is not "
				   "waiting for a certificate (it is %s)",
				   ca.name, ca_status_names[ca.status]);
		goto out;
	}
	rc = pki__store_prep(st, "UPDATE cas SET cert_der = ?1, serial = ?2, "
			     "not_before = ?3, not_after = ?4, "
			     "status = 'active' WHERE id = ?5", &s, err);
	if (rc != PKI_OK)
		goto out;
	if (pki__store_bind_blob(s, 1, cert_der) ||
	    pki__store_bind_text(s, 2, canon) ||
	    sqlite3_bind_int64(s, 3, not_before) ||
	    sqlite3_bind_int64(s, 4, not_after) ||
	    sqlite3_bind_int64(s, 5, id) || sqlite3_step(s) != SQLITE_DONE) {
		rc = pki__store_db_err(st, err, "recording a CA certificate");
		goto out;
	}
	rc = insert_ca_cert(st, id, ca.parent_id, ca.role, ca.subject, canon,
			    not_before, not_after, cert_der, err);
	if (rc != PKI_OK)
		pki_error_prefix(err, "CA \"%s\"", ca.name);
out:
	sqlite3_finalize(s);
	if (began)
		rc = pki__store_op_end(st, own, rc, err);
	pki_ca_record_clear(&ca);
	return rc;
}
