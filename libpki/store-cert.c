/*
 * store-cert: serials and the certificates table (see store.h): insert,
 * look-up, listing with filters, status.  Revocations are in
 * store-revoke.c.
 */
#include <config.h>

#include <ctype.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nettle/sha2.h>

#include "store-int.h"
#include "util.h"

/* ------------------------------------------------------------------ */
/* serials                                                              */

int
pki_store_serial_canon(const char *in, char *out, size_t outlen,
		       struct pki_error *err)
{
	char digits[2 * PKI_STORE_SERIAL_MAX + 2];
	size_t n = 0, i = 0;
	int any = 0;
	const char *p;

	if (in == NULL || outlen < PKI__STORE_SERIAL_HEX_MAX)
		return pki_error_set(err, PKI_E_INVALID, "no serial given");
	for (p = in; *p != '\0'; p++) {
		if (*p == ':')
			continue;
		if (!isxdigit((unsigned char)*p))
			return pki_error_set(err, PKI_E_INVALID,
					     "\"%.80s\" is not a serial number:"
					     " give it in hex, as openssl "
					     "x509 -serial prints it", in);
		any = 1;
		if (n == 0 && *p == '0')
			continue;
		if (n >= 2 * PKI_STORE_SERIAL_MAX)
			return pki_error_set(err, PKI_E_INVALID,
					     "serial \"%.80s\" is longer than "
					     "%d octets", in,
					     PKI_STORE_SERIAL_MAX);
		digits[n++] = (char)toupper((unsigned char)*p);
	}
	if (!any)
		return pki_error_set(err, PKI_E_INVALID,
				     "\"%.80s\" is not a serial number: give "
				     "it in hex", in);
	if (n == 0)
		digits[n++] = '0';
	if (n % 2 == 1)
		out[i++] = '0';
	memcpy(out + i, digits, n);
	out[i + n] = '\0';
	return PKI_OK;
}

/* ------------------------------------------------------------------ */
/* certificates                                                         */

static void
sha256_hex(const gnutls_datum_t *d, char out[65])
{
	struct sha256_ctx ctx;
	uint8_t dig[SHA256_DIGEST_SIZE];

	sha256_init(&ctx);
	sha256_update(&ctx, d->size, d->data);
	sha256_digest(&ctx, sizeof(dig), dig);
	pki__hex(dig, sizeof(dig), out);
}

/* "CA <name>" for messages; "an external CA" for 0. */
static void
ca_label(struct pki_store *st, int64_t id, char *buf, size_t len)
{
	sqlite3_stmt *s = NULL;

	if (id == 0) {
		snprintf(buf, len, "an external CA");
		return;
	}
	snprintf(buf, len, "CA #%lld", (long long)id);
	if (sqlite3_prepare_v2(st->db, "SELECT name FROM cas WHERE id = ?1",
			       -1, &s, NULL) != SQLITE_OK)
		return;
	if (sqlite3_bind_int64(s, 1, id) == SQLITE_OK &&
	    sqlite3_step(s) == SQLITE_ROW &&
	    sqlite3_column_text(s, 0) != NULL)
		snprintf(buf, len, "CA \"%s\"",
			 (const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
}

static const char *const cert_status_names[PKI_CERT__MAX] = {
	[PKI_CERT_ANY] = "any",
	[PKI_CERT_VALID] = "valid",
	[PKI_CERT_REVOKED] = "revoked",
	[PKI_CERT_EXPIRED] = "expired",
};

const char *
pki_cert_status_name(enum pki_cert_status s)
{
	if ((unsigned)s >= PKI_CERT__MAX)
		return "unknown";
	return cert_status_names[s];
}

void
pki_cert_record_clear(struct pki_cert_record *r)
{
	if (r == NULL)
		return;
	free(r->serial);
	free(r->subject);
	free(r->sans);
	free(r->profile);
	gnutls_free(r->der.data);
	free(r->sha256);
	free(r->source);
	free(r->requester);
	free(r->issuer_name);
	memset(r, 0, sizeof(*r));
}

void
pki_cert_records_free(struct pki_cert_record *v, size_t n)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		pki_cert_record_clear(&v[i]);
	free(v);
}

enum pki_cert_status
pki_cert_record_status(const struct pki_cert_record *r, int64_t now)
{
	if (r->revoked)
		return PKI_CERT_REVOKED;
	if (r->not_after < now)
		return PKI_CERT_EXPIRED;
	return PKI_CERT_VALID;
}

int
pki_store_cert_insert(struct pki_store *st, struct pki_cert_record *r,
		      struct pki_error *err)
{
	static const char sql[] =
		"INSERT INTO certificates (issuer_ca_id, serial, subject, "
		"sans, profile, not_before, not_after, der, sha256, "
		"renewal_of, source, requester, ca_id, created_at) VALUES "
		"(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)";
	sqlite3_stmt *s = NULL;
	char serial[PKI__STORE_SERIAL_HEX_MAX], fp[65], who[160];
	char *nserial = NULL, *nfp = NULL;
	int64_t created = r->created_at ? r->created_at : pki__store_now(st);
	int rc;

	if (r->der.data == NULL || r->der.size == 0 || r->subject == NULL ||
	    r->profile == NULL || *r->profile == '\0')
		return pki_error_set(err, PKI_E_INVALID, "recording a "
				     "certificate: DER, subject and profile "
				     "are required");
	if (r->issuer_ca_id == 0 && r->ca_id == 0)
		return pki_error_set(err, PKI_E_INVALID, "recording a "
				     "certificate: the issuing CA is "
				     "required");
	if (r->not_before > r->not_after)
		return pki_error_set(err, PKI_E_INVALID, "recording a "
				     "certificate: notBefore is after "
				     "notAfter");
	if ((rc = pki_store_serial_canon(r->serial, serial, sizeof(serial),
					 err)) != PKI_OK)
		return rc;
	sha256_hex(&r->der, fp);
	if ((nserial = strdup(serial)) == NULL || (nfp = strdup(fp)) == NULL) {
		rc = pki_error_set(err, PKI_E_NOMEM, "out of memory");
		goto out;
	}
	if ((rc = pki__store_prep(st, sql, &s, err)) != PKI_OK)
		goto out;
	if (pki__store_bind_id(s, 1, r->issuer_ca_id) ||
	    pki__store_bind_text(s, 2, serial) ||
	    pki__store_bind_text(s, 3, r->subject) ||
	    pki__store_bind_text(s, 4, r->sans ? r->sans : "") ||
	    pki__store_bind_text(s, 5, r->profile) ||
	    sqlite3_bind_int64(s, 6, r->not_before) ||
	    sqlite3_bind_int64(s, 7, r->not_after) ||
	    pki__store_bind_blob(s, 8, &r->der) ||
	    pki__store_bind_text(s, 9, fp) ||
	    pki__store_bind_id(s, 10, r->renewal_of) ||
	    pki__store_bind_text(s, 11,
				 r->source && *r->source ? r->source : "cli") ||
	    pki__store_bind_text(s, 12,
				 r->requester && *r->requester ? r->requester :
				 pki__store_actor(st)) ||
	    pki__store_bind_id(s, 13, r->ca_id) ||
	    sqlite3_bind_int64(s, 14, created)) {
		rc = pki__store_db_err(st, err, "recording a certificate");
		goto out;
	}
	if (sqlite3_step(s) != SQLITE_DONE) {
		int x = sqlite3_extended_errcode(st->db);

		ca_label(st, r->issuer_ca_id, who, sizeof(who));
		if (x == SQLITE_CONSTRAINT_UNIQUE &&
		    strstr(sqlite3_errmsg(st->db), "sha256") != NULL)
			rc = pki_error_set(err, PKI_E_EXISTS, "this "
					   "certificate (SHA-256 %s) is "
					   "already recorded", fp);
		else if (x == SQLITE_CONSTRAINT_UNIQUE)
			rc = pki_error_set(err, PKI_E_EXISTS, "serial %s was "
					   "already used by %s: serials are "
					   "never reused", serial, who);
		else if (x == SQLITE_CONSTRAINT_FOREIGNKEY)
			rc = pki_error_set(err, PKI_E_NOTFOUND, "recording "
					   "certificate %s: the issuing CA, "
					   "CA or renewed certificate it "
					   "names does not exist", serial);
		else
			rc = pki__store_db_err(st, err,
					       "recording a certificate");
		goto out;
	}
	r->id = sqlite3_last_insert_rowid(st->db);
	r->created_at = created;
	free(r->serial);
	r->serial = nserial;
	nserial = NULL;
	free(r->sha256);
	r->sha256 = nfp;
	nfp = NULL;
	rc = PKI_OK;
out:
	sqlite3_finalize(s);
	free(nserial);
	free(nfp);
	return rc;
}

/* The parameter of CERT_SELECT_TAIL that holds now (for superseded_by):
 * numbered above those its callers use. */
#define CERT_NOW_PARAM 9
#define CERT_NOW_PARAM_S "9"
#define CERT_SELECT_HEAD \
	"SELECT c.id, c.issuer_ca_id, c.serial, c.subject, c.sans, " \
	"c.profile, c.not_before, c.not_after, "
#define CERT_SELECT_TAIL \
	", c.sha256, c.renewal_of, c.source, c.requester, c.ca_id, " \
	"c.created_at, r.cert_id IS NOT NULL, r.revoked_at, r.reason, " \
	"r.invalidity_date, r.recorded_at, " \
	"(SELECT min(l.crl_number) FROM crls l WHERE " \
	"l.ca_id = r.issuer_ca_id AND l.shard = 0 AND " \
	"l.revocation_seq >= r.event_id), " \
	"a.name, " \
	"(SELECT max(n.id) FROM certificates n WHERE n.renewal_of = c.id), " \
	"(SELECT max(n.id) FROM certificates n " \
	"LEFT JOIN revocations nr ON nr.cert_id = n.id " \
	"WHERE n.renewal_of = c.id AND nr.cert_id IS NULL AND " \
	"n.not_after >= ?" CERT_NOW_PARAM_S ") " \
	"FROM certificates c " \
	"LEFT JOIN revocations r ON r.cert_id = c.id " \
	"LEFT JOIN cas a ON a.id = c.issuer_ca_id"
#define CERT_SELECT CERT_SELECT_HEAD "c.der" CERT_SELECT_TAIL

static int
read_cert(sqlite3_stmt *s, struct pki_cert_record *r)
{
	memset(r, 0, sizeof(*r));
	r->id = sqlite3_column_int64(s, 0);
	r->issuer_ca_id = sqlite3_column_int64(s, 1);
	r->not_before = sqlite3_column_int64(s, 6);
	r->not_after = sqlite3_column_int64(s, 7);
	r->renewal_of = sqlite3_column_int64(s, 10);
	r->ca_id = sqlite3_column_int64(s, 13);
	r->created_at = sqlite3_column_int64(s, 14);
	r->revoked = sqlite3_column_int(s, 15);
	r->revoked_at = sqlite3_column_int64(s, 16);
	r->reason = sqlite3_column_int(s, 17);
	r->invalidity_date = sqlite3_column_int64(s, 18);
	r->revocation_recorded_at = sqlite3_column_int64(s, 19);
	r->first_crl_number = sqlite3_column_int64(s, 20);
	r->renewed_by = sqlite3_column_int64(s, 22);
	r->superseded_by = sqlite3_column_int64(s, 23);
	if (pki__store_col_str(s, 2, 0, &r->serial) ||
	    pki__store_col_str(s, 3, 0, &r->subject) ||
	    pki__store_col_str(s, 4, 0, &r->sans) ||
	    pki__store_col_str(s, 5, 0, &r->profile) ||
	    pki__store_col_blob(s, 8, &r->der) ||
	    pki__store_col_str(s, 9, 0, &r->sha256) ||
	    pki__store_col_str(s, 11, 0, &r->source) ||
	    pki__store_col_str(s, 12, 0, &r->requester) ||
	    pki__store_col_str(s, 21, 1, &r->issuer_name)) {
		pki_cert_record_clear(r);
		return PKI_E_NOMEM;
	}
	return PKI_OK;
}

/* Run a certificate query expected to give one row. */
static int
cert_get_one(struct pki_store *st, sqlite3_stmt *s, const char *what,
	     struct pki_cert_record *out, struct pki_error *err)
{
	int step;

	/* superseded_by is counted at the store's clock */
	if (sqlite3_bind_int64(s, CERT_NOW_PARAM, pki__store_now(st)) !=
	    SQLITE_OK)
		return pki__store_db_err(st, err, "looking up a certificate");
	step = sqlite3_step(s);
	if (step == SQLITE_DONE)
		return pki_error_set(err, PKI_E_NOTFOUND, "no certificate %s",
				     what);
	if (step != SQLITE_ROW)
		return pki__store_db_err(st, err, "looking up a certificate");
	if (read_cert(s, out) != PKI_OK)
		return pki_error_set(err, PKI_E_NOMEM, "out of memory");
	return PKI_OK;
}

int
pki_store_cert_get(struct pki_store *st, int64_t issuer_ca_id,
		   const char *serial, struct pki_cert_record *out,
		   struct pki_error *err)
{
	sqlite3_stmt *s = NULL;
	char canon[PKI__STORE_SERIAL_HEX_MAX], what[512], who[160];
	char names[512];
	int rc, step, found = 0;
	size_t len;

	memset(out, 0, sizeof(*out));
	if ((rc = pki_store_serial_canon(serial, canon, sizeof(canon), err)) !=
	    PKI_OK)
		return rc;
	if (issuer_ca_id != 0) {
		ca_label(st, issuer_ca_id, who, sizeof(who));
		snprintf(what, sizeof(what), "with serial %s issued by %s",
			 canon, who);
		rc = pki__store_prep(st, CERT_SELECT " WHERE c.issuer_ca_id = "
				     "?1 AND c.serial = ?2", &s, err);
		if (rc != PKI_OK)
			goto out;
		if (sqlite3_bind_int64(s, 1, issuer_ca_id) ||
		    pki__store_bind_text(s, 2, canon)) {
			rc = pki__store_db_err(st, err,
					       "looking up a certificate");
			goto out;
		}
		rc = cert_get_one(st, s, what, out, err);
		goto out;
	}
	/* any issuer: the serial must name one certificate */
	rc = pki__store_prep(st, "SELECT coalesce(a.name, '(external)') "
			     "FROM certificates c "
			     "LEFT JOIN cas a ON a.id = c.issuer_ca_id "
			     "WHERE c.serial = ?1 ORDER BY c.id", &s, err);
	if (rc != PKI_OK)
		goto out;
	if (pki__store_bind_text(s, 1, canon)) {
		rc = pki__store_db_err(st, err, "looking up a certificate");
		goto out;
	}
	names[0] = '\0';
	len = 0;
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		snprintf(names + len, sizeof(names) - len, "%s\"%s\"",
			 len ? ", " : "", sqlite3_column_text(s, 0));
		len = strlen(names);
		found++;
	}
	if (step != SQLITE_DONE) {
		rc = pki__store_db_err(st, err, "looking up a certificate");
		goto out;
	}
	if (found > 1) {
		pki_error_set(err, PKI_E_CONFLICT, "serial %s was issued by "
			      "more than one CA (%s): name the CA", canon,
			      names);
		rc = pki_error_hint(err, PKI_HINT_NAME_CA);
		goto out;
	}
	sqlite3_finalize(s);
	s = NULL;
	snprintf(what, sizeof(what), "with serial %s", canon);
	rc = pki__store_prep(st, CERT_SELECT " WHERE c.serial = ?1", &s, err);
	if (rc != PKI_OK)
		goto out;
	if (pki__store_bind_text(s, 1, canon)) {
		rc = pki__store_db_err(st, err, "looking up a certificate");
		goto out;
	}
	rc = cert_get_one(st, s, what, out, err);
out:
	sqlite3_finalize(s);
	return rc;
}

int
pki_store_cert_get_id(struct pki_store *st, int64_t id,
		      struct pki_cert_record *out, struct pki_error *err)
{
	sqlite3_stmt *s = NULL;
	char what[64];
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = pki__store_prep(st, CERT_SELECT " WHERE c.id = ?1", &s,
				  err)) != PKI_OK)
		return rc;
	snprintf(what, sizeof(what), "with id %lld", (long long)id);
	if (sqlite3_bind_int64(s, 1, id))
		rc = pki__store_db_err(st, err, "looking up a certificate");
	else
		rc = cert_get_one(st, s, what, out, err);
	sqlite3_finalize(s);
	return rc;
}

int
pki_store_cert_get_sha256(struct pki_store *st, const char *sha256_hex,
			  struct pki_cert_record *out, struct pki_error *err)
{
	sqlite3_stmt *s = NULL;
	unsigned char dig[SHA256_DIGEST_SIZE];
	char fp[65], what[128];
	int rc;

	memset(out, 0, sizeof(*out));
	if (sha256_hex == NULL ||
	    pki__unhex(sha256_hex, dig, sizeof(dig)) != (long)sizeof(dig))
		return pki_error_set(err, PKI_E_INVALID, "\"%.100s\" is not a "
				     "SHA-256 fingerprint (64 hex digits)",
				     sha256_hex ? sha256_hex : "");
	pki__hex(dig, sizeof(dig), fp);
	if ((rc = pki__store_prep(st, CERT_SELECT " WHERE c.sha256 = ?1", &s,
				  err)) !=
	    PKI_OK)
		return rc;
	snprintf(what, sizeof(what), "with SHA-256 fingerprint %s", fp);
	if (pki__store_bind_text(s, 1, fp))
		rc = pki__store_db_err(st, err, "looking up a certificate");
	else
		rc = cert_get_one(st, s, what, out, err);
	sqlite3_finalize(s);
	return rc;
}

/* Does glob match the DN string or one of its attribute values? */
static int
dn_matches(const char *glob, const char *dn)
{
	char val[1024];
	const char *p = dn;
	size_t n;
	int in_value;

	if (fnmatch(glob, dn, FNM_CASEFOLD) == 0)
		return 1;
	while (*p != '\0') {
		n = 0;
		in_value = 0;
		for (; *p != '\0' && *p != ',' && *p != '+'; p++) {
			char c = *p;

			if (c == '\\' && p[1] != '\0') {
				if (isxdigit((unsigned char)p[1]) &&
				    isxdigit((unsigned char)p[2])) {
					unsigned v;

					sscanf(p + 1, "%2x", &v);
					c = (char)v;
					p += 2;
				} else {
					c = *++p;
				}
			} else if (c == '=' && !in_value) {
				in_value = 1;
				continue;
			}
			if (in_value && n + 1 < sizeof(val))
				val[n++] = c;
		}
		val[n] = '\0';
		if (in_value && fnmatch(glob, val, FNM_CASEFOLD) == 0)
			return 1;
		if (*p != '\0')
			p++;
	}
	return 0;
}

/* Does glob match one SAN line, with or without its "type:" prefix? */
static int
sans_match(const char *glob, const char *sans)
{
	char line[1024];
	const char *p = sans, *e, *colon;
	size_t n;

	while (p != NULL && *p != '\0') {
		e = strchr(p, '\n');
		n = e ? (size_t)(e - p) : strlen(p);
		if (n >= sizeof(line))
			n = sizeof(line) - 1;
		memcpy(line, p, n);
		line[n] = '\0';
		colon = strchr(line, ':');
		if (fnmatch(glob, line, FNM_CASEFOLD) == 0 ||
		    (colon && fnmatch(glob, colon + 1, FNM_CASEFOLD) == 0))
			return 1;
		p = e ? e + 1 : NULL;
	}
	return 0;
}

int
pki_store_cert_foreach(struct pki_store *st, const struct pki_cert_filter *f,
		       pki_cert_fn cb, void *ctx, struct pki_error *err)
{
	static const struct pki_cert_filter none;
	char sql[4096];
	sqlite3_stmt *s = NULL;
	struct pki_cert_record r;
	int64_t now;
	size_t count = 0;
	int rc, step, idx, expiring;

	memset(&r, 0, sizeof(r));
	if (f == NULL)
		f = &none;
	expiring = f->expiring || f->expiring_within > 0;
	if ((unsigned)f->status >= PKI_CERT__MAX || f->expiring_within < 0)
		return pki_error_set(err, PKI_E_INVALID, "listing "
				     "certificates: bad filter");
	now = f->now ? f->now : pki__store_now(st);
	/* Only constant fragments go into the SQL text; values are bound. */
	snprintf(sql, sizeof(sql), "%s%s%s WHERE 1 = 1%s%s%s%s%s ORDER BY c.id%s",
		 CERT_SELECT_HEAD, f->with_der ? "c.der" : "NULL",
		 CERT_SELECT_TAIL,
		 f->issuer_ca_id ? " AND c.issuer_ca_id = :issuer" : "",
		 f->status == PKI_CERT_VALID ?
			" AND r.cert_id IS NULL AND c.not_after >= :now" :
		 f->status == PKI_CERT_REVOKED ? " AND r.cert_id IS NOT NULL" :
		 f->status == PKI_CERT_EXPIRED ?
			" AND r.cert_id IS NULL AND c.not_after < :now" : "",
		 expiring ?
			" AND r.cert_id IS NULL AND c.not_after <= :soon" : "",
		 f->exclude_superseded ?
			" AND NOT EXISTS (SELECT 1 FROM certificates n"
			" LEFT JOIN revocations nr ON nr.cert_id = n.id"
			" WHERE n.renewal_of = c.id AND nr.cert_id IS NULL"
			" AND n.not_after >= :now)" : "",
		 f->profile ? " AND c.profile = :profile" : "",
		 f->limit && f->name_glob == NULL ? " LIMIT :limit" : "");
	if ((rc = pki__store_prep(st, sql, &s, err)) != PKI_OK)
		return rc;
	rc = SQLITE_OK;
	if ((idx = sqlite3_bind_parameter_index(s, ":issuer")) > 0)
		rc |= sqlite3_bind_int64(s, idx, f->issuer_ca_id);
	rc |= sqlite3_bind_int64(s, CERT_NOW_PARAM, now);
	if ((idx = sqlite3_bind_parameter_index(s, ":now")) > 0)
		rc |= sqlite3_bind_int64(s, idx, now);
	if ((idx = sqlite3_bind_parameter_index(s, ":soon")) > 0)
		rc |= sqlite3_bind_int64(s, idx,
					 f->expiring_within > INT64_MAX - now ?
					 INT64_MAX : now + f->expiring_within);
	if ((idx = sqlite3_bind_parameter_index(s, ":profile")) > 0)
		rc |= pki__store_bind_text(s, idx, f->profile);
	if ((idx = sqlite3_bind_parameter_index(s, ":limit")) > 0)
		rc |= sqlite3_bind_int64(s, idx, f->limit > INT64_MAX ?
					 INT64_MAX : (int64_t)f->limit);
	if (rc != SQLITE_OK) {
		rc = pki__store_db_err(st, err, "listing certificates");
		goto out;
	}
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		if (f->name_glob != NULL) {
			const char *subj = (const char *)sqlite3_column_text(s, 3);
			const char *sans = (const char *)sqlite3_column_text(s, 4);

			if (!dn_matches(f->name_glob, subj ? subj : "") &&
			    !sans_match(f->name_glob, sans ? sans : ""))
				continue;
		}
		if (read_cert(s, &r) != PKI_OK) {
			rc = pki_error_set(err, PKI_E_NOMEM, "out of memory");
			goto out;
		}
		rc = cb(ctx, &r);
		pki_cert_record_clear(&r);
		if (rc != 0)
			goto out;
		if (f->limit && ++count >= f->limit)
			break;
	}
	if (step != SQLITE_ROW && step != SQLITE_DONE) {
		rc = pki__store_db_err(st, err, "listing certificates");
		goto out;
	}
	rc = PKI_OK;
out:
	sqlite3_finalize(s);
	return rc;
}

struct cert_vec {
	struct pki_cert_record *v;
	size_t n, cap;
};

static int
collect_cert(void *ctx, const struct pki_cert_record *r)
{
	struct cert_vec *cv = ctx;
	struct pki_cert_record *nv, *d;

	if (cv->n == cv->cap) {
		size_t cap = cv->cap ? cv->cap * 2 : 16;

		if ((nv = realloc(cv->v, cap * sizeof(*nv))) == NULL)
			return PKI_E_NOMEM;
		cv->v = nv;
		cv->cap = cap;
	}
	d = &cv->v[cv->n];
	*d = *r;
	d->serial = strdup(r->serial);
	d->subject = strdup(r->subject);
	d->sans = strdup(r->sans);
	d->profile = strdup(r->profile);
	d->sha256 = strdup(r->sha256);
	d->source = strdup(r->source);
	d->requester = strdup(r->requester);
	d->issuer_name = pki__strdup(r->issuer_name);
	d->der.data = NULL;
	d->der.size = 0;
	if (r->der.size > 0 && (d->der.data = gnutls_malloc(r->der.size)) != NULL) {
		memcpy(d->der.data, r->der.data, r->der.size);
		d->der.size = r->der.size;
	}
	cv->n++;
	if (!d->serial || !d->subject || !d->sans || !d->profile ||
	    !d->sha256 || !d->source || !d->requester ||
	    (r->issuer_name && !d->issuer_name) ||
	    (r->der.size > 0 && d->der.data == NULL))
		return PKI_E_NOMEM;
	return 0;
}

int
pki_store_cert_list(struct pki_store *st, const struct pki_cert_filter *f,
		    struct pki_cert_record **out, size_t *n,
		    struct pki_error *err)
{
	struct cert_vec cv = { NULL, 0, 0 };
	int rc;

	*out = NULL;
	*n = 0;
	rc = pki_store_cert_foreach(st, f, collect_cert, &cv, err);
	if (rc == PKI_E_NOMEM)
		pki_error_set(err, rc, "listing certificates: out of memory");
	if (rc != PKI_OK) {
		pki_cert_records_free(cv.v, cv.n);
		return rc;
	}
	*out = cv.v;
	*n = cv.n;
	return PKI_OK;
}
