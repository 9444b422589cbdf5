/*
 * store-revoke: revocations (see store.h): revoke, lift a hold, and the
 * cursor over what a CRL carries.  The revocations table holds the
 * current state, revocation_events every revoke and lifted hold (the
 * bookkeeping is described with the schema in store.c).
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <spork/crl.h>
#include "store-int.h"
#include "util.h"

/* A certificate and its current revocation, as revoke and unhold see it. */
struct target {
	char serial[PKI__STORE_SERIAL_HEX_MAX]; /* canonical hex */
	int64_t issuer;          /* the issuing CA; 0: an external CA */
	int64_t ca_id;           /* the CA this certificate is of; 0: none */
	int revoked;
	int reason;              /* when revoked */
	int64_t revoked_at;
	int64_t event_id;        /* the revocation event */
};

/* Read cert_id and its revocation into *t; what names the operation in
 * messages.  PKI_E_NOTFOUND for an unknown id. */
static int
target_load(struct pki_store *st, int64_t cert_id, const char *what,
	    struct target *t, struct pki_error *err)
{
	sqlite3_stmt *s = NULL;
	int rc, step;

	memset(t, 0, sizeof(*t));
	rc = pki__store_prep(st, "SELECT c.issuer_ca_id, c.serial, c.ca_id, "
			     "r.cert_id IS NOT NULL, r.reason, r.revoked_at, "
			     "r.event_id "
			     "FROM certificates c LEFT JOIN revocations r "
			     "ON r.cert_id = c.id WHERE c.id = ?1", &s, err);
	if (rc != PKI_OK)
		goto out;
	if (sqlite3_bind_int64(s, 1, cert_id)) {
		rc = pki__store_db_err(st, err, what);
		goto out;
	}
	step = sqlite3_step(s);
	if (step == SQLITE_DONE) {
		rc = pki_error_set(err, PKI_E_NOTFOUND, "no certificate with "
				   "id %lld", (long long)cert_id);
		goto out;
	}
	if (step != SQLITE_ROW) {
		rc = pki__store_db_err(st, err, what);
		goto out;
	}
	t->issuer = sqlite3_column_int64(s, 0);
	snprintf(t->serial, sizeof(t->serial), "%s", sqlite3_column_text(s, 1));
	t->ca_id = sqlite3_column_int64(s, 2);
	t->revoked = sqlite3_column_int(s, 3);
	t->reason = sqlite3_column_int(s, 4);
	t->revoked_at = sqlite3_column_int64(s, 5);
	t->event_id = sqlite3_column_int64(s, 6);
	rc = PKI_OK;
out:
	sqlite3_finalize(s);
	return rc;
}

/*
 * What revoking cert_id needs (*t).  Refuses an unknown certificate, one
 * already revoked and one issued by an external CA.
 */
static int
revoke_target(struct pki_store *st, int64_t cert_id, struct target *t,
	      struct pki_error *err)
{
	char when[PKI_TIME_STRLEN];
	const char *why;
	int rc;

	if ((rc = target_load(st, cert_id, "revoking a certificate", t,
			      err)) != PKI_OK)
		return rc;
	if (t->revoked) {
		why = pki_crl_reason_name(t->reason);
		pki_time_format(t->revoked_at, when);
		return pki_error_set(err, PKI_E_EXISTS, "certificate %s was "
				     "already revoked on %s (reason %s)",
				     t->serial, when, why ? why : "unknown");
	}
	if (t->issuer == 0)
		return pki_error_set(err, PKI_E_INVALID, "certificate %s was "
				     "issued by an external CA: only that CA "
				     "can revoke it", t->serial);
	return PKI_OK;
}

int
pki_store_cert_revoke(struct pki_store *st, int64_t cert_id, int reason,
		      int64_t revoked_at, int64_t invalidity_date,
		      struct pki_error *err)
{
	sqlite3_stmt *s = NULL;
	struct target t;
	int64_t ev, now = pki__store_now(st);
	int rc, own = 0, began = 0;

	if (reason < 0 || reason > 10 || reason == 7 || reason == 8)
		return pki_error_set(err, PKI_E_INVALID, "%d is not a "
				     "revocation reason (RFC 5280: 0-6, 9, 10;"
				     " removeFromCRL(8) only appears in delta "
				     "CRLs)", reason);
	if (revoked_at == 0)
		revoked_at = now;
	if (invalidity_date < 0 || invalidity_date > revoked_at)
		return pki_error_set(err, PKI_E_INVALID, "the invalidity date "
				     "must not be after the revocation time");
	if ((rc = pki__store_op_begin(st, &own, err)) != PKI_OK)
		return rc;
	began = 1;
	rc = revoke_target(st, cert_id, &t, err);
	if (rc != PKI_OK)
		goto out;

	rc = pki__store_prep(st, "INSERT INTO revocation_events (cert_id, "
			     "issuer_ca_id, event, event_time, reason, "
			     "invalidity_date, recorded_at) "
			     "VALUES (?1, ?2, 'revoke', ?3, ?4, ?5, ?6)",
			     &s, err);
	if (rc != PKI_OK)
		goto out;
	if (sqlite3_bind_int64(s, 1, cert_id) ||
	    sqlite3_bind_int64(s, 2, t.issuer) ||
	    sqlite3_bind_int64(s, 3, revoked_at) ||
	    sqlite3_bind_int(s, 4, reason) ||
	    pki__store_bind_id(s, 5, invalidity_date) ||
	    sqlite3_bind_int64(s, 6, now) || sqlite3_step(s) != SQLITE_DONE) {
		rc = pki__store_db_err(st, err, "recording a revocation");
		goto out;
	}
	ev = sqlite3_last_insert_rowid(st->db);
	sqlite3_finalize(s);
	s = NULL;

	rc = pki__store_prep(st, "INSERT INTO revocations (cert_id, "
			     "issuer_ca_id, serial, revoked_at, reason, "
			     "invalidity_date, recorded_at, event_id) VALUES "
			     "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)", &s, err);
	if (rc != PKI_OK)
		goto out;
	if (sqlite3_bind_int64(s, 1, cert_id) ||
	    sqlite3_bind_int64(s, 2, t.issuer) ||
	    pki__store_bind_text(s, 3, t.serial) ||
	    sqlite3_bind_int64(s, 4, revoked_at) ||
	    sqlite3_bind_int(s, 5, reason) ||
	    pki__store_bind_id(s, 6, invalidity_date) ||
	    sqlite3_bind_int64(s, 7, now) || sqlite3_bind_int64(s, 8, ev) ||
	    sqlite3_step(s) != SQLITE_DONE) {
		rc = pki__store_db_err(st, err, "recording a revocation");
		goto out;
	}
	sqlite3_finalize(s);
	s = NULL;

	if (t.ca_id != 0) {
		rc = pki__store_prep(st, "UPDATE cas SET status = 'revoked' "
				     "WHERE id = ?1", &s, err);
		if (rc != PKI_OK)
			goto out;
		if (sqlite3_bind_int64(s, 1, t.ca_id) ||
		    sqlite3_step(s) != SQLITE_DONE) {
			rc = pki__store_db_err(st, err,
					       "marking the CA revoked");
			goto out;
		}
	}
	rc = PKI_OK;
out:
	sqlite3_finalize(s);
	if (began)
		rc = pki__store_op_end(st, own, rc, err);
	return rc;
}

/*
 * What lifting the hold on cert_id needs (*t).  Refuses an unknown
 * certificate, one not revoked and one revoked for another reason than
 * certificateHold.
 */
static int
hold_target(struct pki_store *st, int64_t cert_id, struct target *t,
	    struct pki_error *err)
{
	char when[PKI_TIME_STRLEN];
	const char *why;
	int rc;

	if ((rc = target_load(st, cert_id, "lifting a hold", t, err)) != PKI_OK)
		return rc;
	if (!t->revoked)
		return pki_error_set(err, PKI_E_INVALID, "certificate %s is not "
				     "revoked", t->serial);
	if (t->reason != PKI_CRL_REASON_CERTIFICATE_HOLD) {
		why = pki_crl_reason_name(t->reason);
		pki_time_format(t->revoked_at, when);
		return pki_error_set(err, PKI_E_INVALID, "certificate %s was "
				     "revoked on %s for %s: only a "
				     "certificateHold can be lifted", t->serial,
				     when, why ? why : "an unknown reason");
	}
	return PKI_OK;
}

int
pki_store_cert_unrevoke(struct pki_store *st, int64_t cert_id,
			struct pki_error *err)
{
	sqlite3_stmt *s = NULL;
	struct target t;
	int64_t now = pki__store_now(st);
	int rc, own = 0, began = 0;

	if ((rc = pki__store_op_begin(st, &own, err)) != PKI_OK)
		return rc;
	began = 1;
	rc = hold_target(st, cert_id, &t, err);
	if (rc != PKI_OK)
		goto out;

	rc = pki__store_prep(st, "DELETE FROM revocations WHERE cert_id = ?1",
			     &s, err);
	if (rc != PKI_OK)
		goto out;
	if (sqlite3_bind_int64(s, 1, cert_id) ||
	    sqlite3_step(s) != SQLITE_DONE) {
		rc = pki__store_db_err(st, err, "lifting a hold");
		goto out;
	}
	sqlite3_finalize(s);
	s = NULL;

	rc = pki__store_prep(st, "INSERT INTO revocation_events (cert_id, "
			     "issuer_ca_id, event, event_time, reason, "
			     "released_event_id, recorded_at) "
			     "VALUES (?1, ?2, 'release', ?3, 6, ?4, ?3)",
			     &s, err);
	if (rc != PKI_OK)
		goto out;
	if (sqlite3_bind_int64(s, 1, cert_id) ||
	    sqlite3_bind_int64(s, 2, t.issuer) || sqlite3_bind_int64(s, 3, now) ||
	    sqlite3_bind_int64(s, 4, t.event_id) ||
	    sqlite3_step(s) != SQLITE_DONE) {
		rc = pki__store_db_err(st, err, "recording a lifted hold");
		goto out;
	}
	sqlite3_finalize(s);
	s = NULL;

	if (t.ca_id != 0) {
		rc = pki__store_prep(st, "UPDATE cas SET status = 'active' "
				     "WHERE id = ?1 AND status = 'revoked'",
				     &s, err);
		if (rc != PKI_OK)
			goto out;
		if (sqlite3_bind_int64(s, 1, t.ca_id) ||
		    sqlite3_step(s) != SQLITE_DONE) {
			rc = pki__store_db_err(st, err,
					       "marking the CA active");
			goto out;
		}
	}
	rc = PKI_OK;
out:
	sqlite3_finalize(s);
	if (began)
		rc = pki__store_op_end(st, own, rc, err);
	return rc;
}

struct pki_revocation_cursor {
	struct pki_store *st;
	sqlite3_stmt *s[2];       /* revoked entries, then lifted holds */
	int phase;
	unsigned char serial[PKI_STORE_SERIAL_MAX];
};

static int
hexnib(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Decode a canonical hex serial of len digits; the octet count or -1.
 * (The per-row path of a million-entry CRL: no copies, no formatting.) */
static long
unhex_serial(const char *hex, int len, unsigned char *out)
{
	int i, hi, lo;

	if (hex == NULL || len <= 0 || len % 2 != 0 ||
	    len > 2 * PKI_STORE_SERIAL_MAX)
		return -1;
	for (i = 0; i < len; i += 2) {
		hi = hexnib((unsigned char)hex[i]);
		lo = hexnib((unsigned char)hex[i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		out[i / 2] = (unsigned char)(hi << 4 | lo);
	}
	return len / 2;
}

void
pki_store_revocations_close(struct pki_revocation_cursor *c)
{
	if (c == NULL)
		return;
	sqlite3_finalize(c->s[0]);
	sqlite3_finalize(c->s[1]);
	free(c);
}

int
pki_store_revocations_open(struct pki_store *st, int64_t issuer_ca_id,
			   int64_t base_crl_number,
			   struct pki_revocation_cursor **out,
			   struct pki_error *err)
{
	struct pki_revocation_cursor *c = NULL;
	int64_t seq = 0;
	int rc;

	*out = NULL;
	if (!pki__store_in_transaction(st))
		return pki_error_set(err, PKI_E_INVALID, "reading revocations "
				     "for a CRL: call pki_store_begin first "
				     "(the CRL must be recorded in the same "
				     "transaction)");
	if (base_crl_number < 0)
		return pki_error_set(err, PKI_E_INVALID, "bad base CRL number");
	if (base_crl_number > 0 &&
	    (rc = pki__store_crl_base_seq(st, issuer_ca_id, base_crl_number,
					  &seq, err)) !=
	    PKI_OK)
		return rc;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return pki_error_set(err, PKI_E_NOMEM, "out of memory");
	c->st = st;
	rc = pki__store_prep(st, "SELECT serial, revoked_at, reason, "
			     "invalidity_date, cert_id FROM revocations "
			     "WHERE issuer_ca_id = ?1 AND event_id > ?2 "
			     "ORDER BY event_id", &c->s[0], err);
	if (rc != PKI_OK)
		goto out;
	if (sqlite3_bind_int64(c->s[0], 1, issuer_ca_id) ||
	    sqlite3_bind_int64(c->s[0], 2, seq)) {
		rc = pki__store_db_err(st, err, "reading revocations");
		goto out;
	}
	if (base_crl_number > 0) {
		/* holds on the base CRL (hold event <= seq) lifted after it
		 * (release event > seq), not revoked again since */
		rc = pki__store_prep(st,
			"SELECT c.serial, e.event_time, e.cert_id "
			"FROM revocation_events e "
			"JOIN certificates c ON c.id = e.cert_id "
			"WHERE e.issuer_ca_id = ?1 AND e.event = 'release' "
			"AND e.id > ?2 AND e.released_event_id <= ?2 "
			"AND NOT EXISTS (SELECT 1 FROM revocations r "
			"WHERE r.cert_id = e.cert_id) ORDER BY e.id",
			&c->s[1], err);
		if (rc != PKI_OK)
			goto out;
		if (sqlite3_bind_int64(c->s[1], 1, issuer_ca_id) ||
		    sqlite3_bind_int64(c->s[1], 2, seq)) {
			rc = pki__store_db_err(st, err, "reading lifted holds");
			goto out;
		}
	}
	*out = c;
	c = NULL;
	rc = PKI_OK;
out:
	pki_store_revocations_close(c);
	return rc;
}

int
pki_store_revocations_next(struct pki_revocation_cursor *c,
			   struct pki_revocation *e, struct pki_error *err)
{
	const char *hex;
	long n;
	int step;

	memset(e, 0, sizeof(*e));
	while (c->phase < 2) {
		sqlite3_stmt *s = c->s[c->phase];

		if (s == NULL || (step = sqlite3_step(s)) == SQLITE_DONE) {
			c->phase++;
			continue;
		}
		if (step != SQLITE_ROW)
			return -pki__store_db_err(c->st, err,
						  "reading revocations");
		hex = (const char *)sqlite3_column_text(s, 0);
		n = unhex_serial(hex, sqlite3_column_bytes(s, 0), c->serial);
		if (n <= 0)
			return -pki_error_set(err, PKI_E_DB, "the database "
					      "holds a malformed serial "
					      "\"%.140s\"",
					      hex ? hex : "");
		e->serial = c->serial;
		e->serial_len = (size_t)n;
		e->serial_hex = hex;   /* valid until the next step */
		e->revocation_time = sqlite3_column_int64(s, 1);
		if (c->phase == 0) {
			e->reason = sqlite3_column_int(s, 2);
			e->invalidity_date = sqlite3_column_int64(s, 3);
			e->cert_id = sqlite3_column_int64(s, 4);
		} else {
			e->reason = 8;
			e->remove_from_crl = 1;
			e->cert_id = sqlite3_column_int64(s, 2);
		}
		return 1;
	}
	return 0;
}

int
pki_store_revocations_foreach(struct pki_store *st, int64_t issuer_ca_id,
			      int64_t base_crl_number, pki_revocation_fn cb,
			      void *ctx, struct pki_error *err)
{
	struct pki_revocation_cursor *c = NULL;
	struct pki_revocation e;
	int rc;

	rc = pki_store_revocations_open(st, issuer_ca_id, base_crl_number, &c,
					err);
	if (rc != PKI_OK)
		return rc;
	while ((rc = pki_store_revocations_next(c, &e, err)) == 1)
		if ((rc = cb(ctx, &e)) != 0)
			goto out;
	rc = rc < 0 ? -rc : PKI_OK;
out:
	pki_store_revocations_close(c);
	return rc;
}
