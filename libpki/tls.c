/* tls: the handlers' TLS server side and their certificate (tls.h). */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/x509.h>

#include <spork/config.h>
#include <spork/store.h>
#include <spork/tls.h>
#include "hierarchy-int.h"
#include "keystore.h"
#include "tls-int.h"
#include "util.h"

#define SERVER_FILE "server.pem"
#define TICKET_FILE "ticket.key"
#define TICKET_ID "tls-ticket"
#define SERVER_MAX (256 * 1024)
#define TICKET_ROTATE (7 * 86400)
#define PRIORITIES "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"

struct pki_tls_server {
	gnutls_certificate_credentials_t creds;
	gnutls_priority_t prio;
	gnutls_datum_t ticket;        /* zeroed before it is freed */
	enum pki_client_certs client_certs;
	struct pki_state *state;      /* borrowed: the store, for client_ca_id */
	int64_t client_ca_id;         /* a spork CA: its certificates only */
};

/* <state>/tls/<name>; caller frees. */
static char *
tls_path(struct pki_state *s, const char *name)
{
	char *p = NULL;

	if (asprintf(&p, "%s/%s", pki_state_path(s, PKI_STATE_TLS_DIR),
		     name) < 0)
		return NULL;
	return p;
}

/* The value of the header line "# <what> <value>" at the start of the
 * PEM text, into a new string; NULL when absent. */
static char *
header(const gnutls_datum_t *pem, const char *what)
{
	const char *p = (const char *)pem->data, *end = p + pem->size, *nl;
	size_t n = strlen(what);

	while (p < end && *p == '#') {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			break;
		if ((size_t)(nl - p) > n + 3 && p[1] == ' ' &&
		    memcmp(p + 2, what, n) == 0 && p[2 + n] == ' ')
			return strndup(p + 3 + n, (size_t)(nl - p) - 3 - n);
		p = nl + 1;
	}
	return NULL;
}

/* server.pem's text, its key URI and its certificates. */
static int
read_server(struct pki_state *s, gnutls_datum_t *pem, char **uri,
	    gnutls_x509_crt_t **crts, unsigned *n, struct pki_error *err)
{
	char *path = tls_path(s, SERVER_FILE);
	int ret, rc;

	*uri = NULL;
	*crts = NULL;
	*n = 0;
	if (path == NULL)
		return pki_error_set(err, PKI_E_NOMEM, "out of memory");
	if ((rc = pki_file_read(path, SERVER_MAX, pem, err)) != PKI_OK) {
		if (rc == PKI_E_NOTFOUND)
			pki_error_set(err, rc, "no TLS certificate for the "
				      "handlers yet (%s)", path);
		goto out;
	}
	rc = PKI_E_PARSE;
	if ((*uri = header(pem, "key")) == NULL) {
		pki_error_set(err, rc, "%s: no '# key' line naming the key",
			      path);
		goto out;
	}
	if ((ret = gnutls_x509_crt_list_import2(crts, n, pem,
						GNUTLS_X509_FMT_PEM, 0)) < 0 ||
	    *n == 0) {
		pki_error_set(err, rc, "%s: no certificate: %s", path,
			      ret < 0 ? gnutls_strerror(ret) : "empty");
		goto out;
	}
	rc = PKI_OK;
out:
	free(path);
	return rc;
}

static void
free_crts(gnutls_x509_crt_t *crts, unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++)
		gnutls_x509_crt_deinit(crts[i]);
	gnutls_free(crts);
}

/* The key of crt's public key type, named by uri, unsealed. */
static int
load_key(struct pki_state *s, const char *uri, gnutls_x509_crt_t crt,
	 gnutls_privkey_t *key, struct pki_error *err)
{
	gnutls_pubkey_t pub = NULL;
	enum pki_key_alg alg;
	int ret, rc;

	if ((ret = gnutls_pubkey_init(&pub)) < 0 ||
	    (ret = gnutls_pubkey_import_x509(pub, crt, 0)) < 0) {
		gnutls_pubkey_deinit(pub);
		return pki__gnutls_error(err, ret, "the TLS certificate's key");
	}
	rc = pki_key_alg_of_pubkey(pub, &alg, err);
	gnutls_pubkey_deinit(pub);
	if (rc == PKI_OK)
		rc = pki_key_load(pki_state_keystore(s), uri, alg,
				  "the handlers' TLS key", key, err);
	return rc;
}

static int
load_ticket(struct pki_state *s, struct pki_tls_server *t,
	    struct pki_error *err)
{
	char *path = tls_path(s, TICKET_FILE);
	int rc;

	if (path == NULL)
		return pki_error_set(err, PKI_E_NOMEM, "out of memory");
	rc = pki__keystore_secret_open(pki_state_keystore(s), path, TICKET_ID,
				       &t->ticket, err);
	free(path);
	if (rc == PKI_E_NOTFOUND) {
		pki_error_clear(err);
		return PKI_OK;           /* no resumption across connections */
	}
	return rc;
}

/* ------------------------------------------------ client certificates */

/* The client's certificate on session: 0 with *crt NULL when it sent
 * none; its leaf in *crt when it chains to the client CAs (for TLS
 * client use) and, for a spork CA, is one it issued and did not revoke. */
static int
check_client(struct pki_tls_server *t, gnutls_session_t session,
	     gnutls_x509_crt_t *crt, struct pki_error *err)
{
	gnutls_typed_vdata_st purpose = { GNUTLS_DT_KEY_PURPOSE_OID,
		(unsigned char *)GNUTLS_KP_TLS_WWW_CLIENT, 0 };
	struct pki_cert_record rec;
	const gnutls_datum_t *peers;
	gnutls_datum_t why = { NULL, 0 };
	unsigned char digest[32];
	char hex[65];
	unsigned n = 0, status = 0, i;
	int ret, rc = PKI_E_DENIED;

	*crt = NULL;
	memset(&rec, 0, sizeof(rec));
	peers = gnutls_certificate_get_peers(session, &n);
	if (peers == NULL || n == 0) {
		if (t->client_certs == PKI_CLIENT_CERTS_REQUIRE)
			return pki_error_set(err, rc, "no client certificate "
					     "(one is required)");
		return PKI_OK;
	}
	if ((ret = gnutls_certificate_verify_peers(session, &purpose, 1,
						   &status)) < 0)
		return pki__gnutls_error(err, ret, "the client certificate");
	if (status != 0) {
		ret = gnutls_certificate_verification_status_print(
			status, GNUTLS_CRT_X509, &why, 0);
		pki_error_set(err, rc, "client certificate refused: %s",
			      ret < 0 ? "it does not verify" :
			      (const char *)why.data);
		gnutls_free(why.data);
		return rc;
	}
	if (t->client_ca_id != 0) {
		if ((ret = gnutls_hash_fast(GNUTLS_DIG_SHA256, peers[0].data,
					    peers[0].size, digest)) < 0)
			return pki__gnutls_error(err, ret, "SHA-256");
		for (i = 0; i < 32; i++)
			snprintf(hex + 2 * i, 3, "%02x", digest[i]);
		ret = pki_store_cert_get_sha256(pki_state_store(t->state), hex,
						&rec, err);
		if (ret != PKI_OK || rec.issuer_ca_id != t->client_ca_id ||
		    rec.revoked) {
			if (ret == PKI_E_DB || ret == PKI_E_NOMEM)
				rc = ret;
			else
				pki_error_set(err, rc, "client certificate "
					      "refused: %s", ret != PKI_OK ||
					      rec.issuer_ca_id !=
					      t->client_ca_id ? "not one the "
					      "CA issued" : "revoked");
			pki_cert_record_clear(&rec);
			return rc;
		}
		pki_cert_record_clear(&rec);
	}
	if ((ret = gnutls_x509_crt_init(crt)) < 0 ||
	    (ret = gnutls_x509_crt_import(*crt, &peers[0],
					  GNUTLS_X509_FMT_DER)) < 0) {
		if (*crt != NULL)
			gnutls_x509_crt_deinit(*crt);
		*crt = NULL;
		return pki__gnutls_error(err, ret, "the client certificate");
	}
	return PKI_OK;
}

/* During the handshake: a refused certificate fails it. */
static int
verify_client(gnutls_session_t session)
{
	struct pki_tls_server *t = gnutls_session_get_ptr(session);
	gnutls_x509_crt_t crt = NULL;
	struct pki_error err;
	int rc;

	pki_error_clear(&err);
	if (t == NULL)
		return -1;
	rc = check_client(t, session, &crt, &err);
	if (crt != NULL)
		gnutls_x509_crt_deinit(crt);
	return rc == PKI_OK ? 0 : -1;
}

/* The trust list for client certificates: a PEM file, or the certificate
 * of the spork CA named. */
static int
load_client_ca(struct pki_state *s, struct pki_tls_server *t,
	       const char *ca, struct pki_error *err)
{
	struct pki_ca_record rec;
	int ret, rc;

	if (ca[0] == '/') {
		ret = gnutls_certificate_set_x509_trust_file(
			t->creds, ca, GNUTLS_X509_FMT_PEM);
		if (ret < 0)
			return pki__gnutls_error(err, ret, ca);
		if (ret == 0)
			return pki_error_set(err, PKI_E_NOTFOUND, "client_ca "
					     "%s: no certificate in it", ca);
		return PKI_OK;
	}
	memset(&rec, 0, sizeof(rec));
	rc = pki_store_ca_get(pki_state_store(s), ca, &rec, err);
	if (rc == PKI_E_NOTFOUND)
		pki_error_set(err, rc, "client_ca: no CA named '%s'", ca);
	else if (rc == PKI_OK && rec.cert_der.size == 0)
		rc = pki_error_set(err, PKI_E_NOTFOUND, "client_ca: CA '%s' "
				   "has no certificate yet", ca);
	else if (rc == PKI_OK &&
		 (ret = gnutls_certificate_set_x509_trust_mem(
			  t->creds, &rec.cert_der, GNUTLS_X509_FMT_DER)) <= 0)
		rc = ret < 0 ? pki__gnutls_error(err, ret, ca) :
			pki_error_set(err, PKI_E_PARSE, "client_ca '%s': no "
				      "certificate", ca);
	if (rc == PKI_OK)
		t->client_ca_id = rec.id;
	pki_ca_record_clear(&rec);
	return rc;
}

static int
setup_clients(struct pki_state *s, struct pki_tls_server *t,
	      struct pki_error *err)
{
	const struct pki_config *cfg = pki_state_config(s);
	int rc;

	t->state = s;
	if (cfg == NULL || cfg->tls_client_certs == PKI_CLIENT_CERTS_NONE)
		return PKI_OK;
	if (cfg->tls_client_ca == NULL)
		return pki_error_set(err, PKI_E_INVALID, "client_certificates "
				     "needs client_ca");
	if ((rc = load_client_ca(s, t, cfg->tls_client_ca, err)) != PKI_OK)
		return rc;
	t->client_certs = cfg->tls_client_certs;
	gnutls_certificate_set_verify_function(t->creds, verify_client);
	return PKI_OK;
}

int
pki_tls_server_client(struct pki_tls_server *t, gnutls_session_t session,
		      gnutls_datum_t *der, char **subject,
		      struct pki_error *err)
{
	gnutls_x509_crt_t crt = NULL;
	gnutls_datum_t dn = { NULL, 0 };
	int ret, rc;

	der->data = NULL;
	der->size = 0;
	*subject = NULL;
	if (t->client_certs == PKI_CLIENT_CERTS_NONE)
		return PKI_OK;
	if ((rc = check_client(t, session, &crt, err)) != PKI_OK ||
	    crt == NULL)
		return rc;
	if ((ret = gnutls_x509_crt_get_dn3(crt, &dn, 0)) < 0 ||
	    (ret = gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_DER, der)) <
	    0) {
		rc = pki__gnutls_error(err, ret, "the client certificate");
	} else if ((*subject = strndup((const char *)dn.data, dn.size)) ==
		   NULL) {
		rc = pki_error_set(err, PKI_E_NOMEM, "out of memory");
	}
	if (rc != PKI_OK) {
		gnutls_free(der->data);
		der->data = NULL;
		der->size = 0;
	}
	gnutls_free(dn.data);
	gnutls_x509_crt_deinit(crt);
	return rc;
}

int
pki_tls_server_open(struct pki_state *s, struct pki_tls_server **out,
		    struct pki_error *err)
{
	struct pki_tls_server *t = NULL;
	gnutls_datum_t pem = { NULL, 0 };
	gnutls_x509_crt_t *crts = NULL;
	gnutls_pcert_st *pcerts = NULL;
	gnutls_privkey_t key = NULL;
	char *uri = NULL;
	unsigned n = 0, np = 0;
	int ret, rc;

	*out = NULL;
	if ((rc = read_server(s, &pem, &uri, &crts, &n, err)) != PKI_OK ||
	    (rc = load_key(s, uri, crts[0], &key, err)) != PKI_OK)
		goto out;
	rc = PKI_E_NOMEM;
	if ((t = calloc(1, sizeof(*t))) == NULL ||
	    (pcerts = calloc(n, sizeof(*pcerts))) == NULL) {
		pki_error_set(err, rc, "out of memory");
		goto out;
	}
	np = n;
	if ((ret = gnutls_pcert_import_x509_list(pcerts, crts, &np, 0)) < 0 ||
	    (ret = gnutls_certificate_allocate_credentials(&t->creds)) < 0 ||
	    (ret = gnutls_priority_init(&t->prio, PRIORITIES, NULL)) < 0) {
		np = ret < 0 && np == n ? 0 : np;
		rc = pki__gnutls_error(err, ret, "TLS credentials");
		goto out;
	}
	/* the credentials own the certificates and the key from here */
	if ((ret = gnutls_certificate_set_key(t->creds, NULL, 0, pcerts, (int)n,
					      key)) < 0) {
		rc = pki__gnutls_error(err, ret, "the TLS certificate and its "
				       "key (do they belong together?)");
		goto out;
	}
	key = NULL;
	free(pcerts);
	pcerts = NULL;
	np = 0;
	if ((rc = load_ticket(s, t, err)) != PKI_OK ||
	    (rc = setup_clients(s, t, err)) != PKI_OK)
		goto out;
	*out = t;
	t = NULL;
	rc = PKI_OK;
out:
	while (pcerts != NULL && np > 0)
		gnutls_pcert_deinit(&pcerts[--np]);
	free(pcerts);
	if (key != NULL)
		gnutls_privkey_deinit(key);
	pki_tls_server_free(t);
	free_crts(crts, n);
	free(uri);
	gnutls_free(pem.data);
	return rc;
}

void
pki_tls_server_free(struct pki_tls_server *t)
{
	if (t == NULL)
		return;
	if (t->creds != NULL)
		gnutls_certificate_free_credentials(t->creds);
	if (t->prio != NULL)
		gnutls_priority_deinit(t->prio);
	if (t->ticket.data != NULL) {
		pki_memzero(t->ticket.data, t->ticket.size);
		gnutls_free(t->ticket.data);
	}
	free(t);
}

int
pki_tls_server_tickets(const struct pki_tls_server *t)
{
	return t != NULL && t->ticket.data != NULL;
}

int
pki_tls_server_session(struct pki_tls_server *t, int in, int out,
		       gnutls_session_t *session, struct pki_error *err)
{
	static const gnutls_datum_t alpn = { (unsigned char *)"http/1.1", 8 };
	gnutls_session_t s = NULL;
	int ret;

	*session = NULL;
	if ((ret = gnutls_init(&s, GNUTLS_SERVER)) < 0 ||
	    (ret = gnutls_priority_set(s, t->prio)) < 0 ||
	    (ret = gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE,
					  t->creds)) < 0 ||
	    (ret = gnutls_alpn_set_protocols(s, &alpn, 1,
					     GNUTLS_ALPN_SERVER_PRECEDENCE)) <
	    0 ||
	    (t->ticket.data != NULL &&
	     (ret = gnutls_session_ticket_enable_server(s, &t->ticket)) < 0)) {
		if (s != NULL)
			gnutls_deinit(s);
		return pki__gnutls_error(err, ret, "TLS session");
	}
	gnutls_certificate_server_set_request(s,
		t->client_certs == PKI_CLIENT_CERTS_REQUIRE ?
		GNUTLS_CERT_REQUIRE : t->client_certs ==
		PKI_CLIENT_CERTS_REQUEST ? GNUTLS_CERT_REQUEST :
		GNUTLS_CERT_IGNORE);
	gnutls_session_set_ptr(s, t);
	gnutls_transport_set_int2(s, in, out);
	*session = s;
	return PKI_OK;
}

/* ------------------------------------------------------------- issuing */

/* tls-int.h */
int
pki__tls_csr_for(gnutls_privkey_t key, gnutls_datum_t *der,
		 struct pki_error *err)
{
	gnutls_x509_crq_t crq = NULL;
	gnutls_pubkey_t pub = NULL;
	int ret;

	if ((ret = gnutls_x509_crq_init(&crq)) < 0 ||
	    (ret = gnutls_pubkey_init(&pub)) < 0 ||
	    (ret = gnutls_pubkey_import_privkey(pub, key, 0, 0)) < 0 ||
	    (ret = gnutls_x509_crq_set_version(crq, 1)) < 0 ||
	    (ret = gnutls_x509_crq_set_pubkey(crq, pub)) < 0 ||
	    (ret = gnutls_x509_crq_privkey_sign(crq, key, GNUTLS_DIG_UNKNOWN,
						0)) < 0 ||
	    (ret = gnutls_x509_crq_export2(crq, GNUTLS_X509_FMT_DER, der)) < 0)
		ret = pki__gnutls_error(err, ret, "a request for the new key");
	else
		ret = PKI_OK;
	gnutls_pubkey_deinit(pub);
	gnutls_x509_crq_deinit(crq);
	return ret;
}

/* Write the PEM of der to f. */
static int
put_pem(FILE *f, const gnutls_datum_t *der, struct pki_error *err)
{
	gnutls_datum_t pem = { NULL, 0 };
	int ret;

	if ((ret = gnutls_pem_base64_encode2("CERTIFICATE", der, &pem)) < 0)
		return pki__gnutls_error(err, ret, "PEM");
	ret = fwrite(pem.data, 1, pem.size, f) == pem.size;
	gnutls_free(pem.data);
	return ret ? PKI_OK : pki_error_set(err, PKI_E_NOMEM, "out of memory");
}

/* server.pem: the header lines, the certificate, its chain. */
static int
write_server(struct pki_state *s, const char *uri, const char *names,
	     const struct pki_enroll_result *res, struct pki_error *err)
{
	char *path = tls_path(s, SERVER_FILE), *data = NULL;
	const char *dir = pki_state_path(s, PKI_STATE_TLS_DIR);
	size_t len = 0, i;
	FILE *f = NULL;
	int rc = PKI_E_NOMEM;

	if (path == NULL || (f = open_memstream(&data, &len)) == NULL) {
		pki_error_set(err, rc, "out of memory");
		goto out;
	}
	fprintf(f, "# key %s\n# names %s\n# ca %s\n", uri, names,
		res->rec.issuer_name ? res->rec.issuer_name : "");
	if ((rc = put_pem(f, &res->der, err)) != PKI_OK)
		goto out;
	for (i = 0; i < res->nchain; i++)
		if ((rc = put_pem(f, &res->chain[i], err)) != PKI_OK)
			goto out;
	if (fclose(f) != 0) {
		f = NULL;
		rc = pki_error_set(err, PKI_E_NOMEM, "out of memory");
		goto out;
	}
	f = NULL;
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		rc = pki_error_set(err, PKI_E_IO, "mkdir %s: %s", dir,
				   strerror(errno));
		goto out;
	}
	rc = pki_file_write(path, data, len, 0644, 0, err);
out:
	if (f != NULL)
		fclose(f);
	free(data);
	free(path);
	return rc;
}

int
pki_tls_ticket_rotate(struct pki_state *s, struct pki_error *err)
{
	char *path = tls_path(s, TICKET_FILE);
	gnutls_datum_t k = { NULL, 0 };
	struct stat st;
	int ret, rc = PKI_OK;

	if (path == NULL)
		return pki_error_set(err, PKI_E_NOMEM, "out of memory");
	if (stat(path, &st) == 0 &&
	    pki_state_now(s) - (int64_t)st.st_mtime < TICKET_ROTATE)
		goto out;
	if ((ret = gnutls_session_ticket_key_generate(&k)) < 0) {
		rc = pki__gnutls_error(err, ret, "session ticket key");
		goto out;
	}
	rc = pki__keystore_secret_seal(pki_state_keystore(s), path, TICKET_ID,
				       &k, err);
	pki_memzero(k.data, k.size);
	gnutls_free(k.data);
out:
	free(path);
	return rc;
}

int
pki_tls_issue(const struct pki_enroll *e, const char *ca_name,
	      const char *names, enum pki_key_alg alg, unsigned days,
	      struct pki_enroll_result *res, struct pki_error *err)
{
	struct pki_keystore *ks = pki_state_keystore(e->state);
	struct pki_enroll_request req;
	gnutls_privkey_t key = NULL;
	gnutls_datum_t csr = { NULL, 0 };
	char *uri = NULL;
	int lockfd = -1, rc;

	memset(&req, 0, sizeof(req));
	memset(res, 0, sizeof(*res));
	if (ks == NULL)
		return pki_error_set(err, PKI_E_INVALID, "the state directory "
				     "is open read-only");
	req.ca_name = ca_name;
	req.profile = "tls-server";
	req.days = days;
	req.csr = &csr;
	if ((rc = pki_enroll_add_sans(&req, names, err)) != PKI_OK)
		goto out;
	req.cn = req.san_dns.n > 0 ? req.san_dns.v[0] :
		req.san_ip.n > 0 ? req.san_ip.v[0] : NULL;
	if (req.cn == NULL) {
		rc = pki_error_set(err, PKI_E_INVALID, "the handlers' "
				   "certificate needs a DNS name or an IP "
				   "address");
		goto out;
	}
	/* a build prunes sealed keys no CA or server.pem names: not this
	 * one while it is being made */
	if ((rc = pki__hier_lock(e->state, &lockfd, err)) != PKI_OK ||
	    (rc = pki_key_create(ks, alg, 1, NULL, "the handlers' TLS key",
				 &uri, &key, err)) != PKI_OK ||
	    (rc = pki__tls_csr_for(key, &csr, err)) != PKI_OK ||
	    (rc = pki_enroll_issue(e, &req, res, err)) != PKI_OK)
		goto fail;
	/* issued and recorded: from here the key stays, even if the
	 * files cannot be written (a rerun issues anew) */
	if ((rc = write_server(e->state, uri, names, res, err)) == PKI_OK)
		rc = pki_tls_ticket_rotate(e->state, err);
	goto out;
fail:
	/* nothing was issued with the new key: it goes */
	if (uri != NULL) {
		struct pki_error derr;

		pki_error_clear(&derr);
		(void)pki_key_discard(ks, uri, &derr);
	}
out:
	if (lockfd >= 0)
		close(lockfd);
	if (key != NULL)
		gnutls_privkey_deinit(key);
	gnutls_free(csr.data);
	free(uri);
	pki_enroll_request_clear(&req);
	return rc;
}

int
pki__tls_key_id(struct pki_state *s, char *id, size_t size)
{
	gnutls_datum_t pem = { NULL, 0 };
	gnutls_x509_crt_t *crts = NULL;
	struct pki_error err;
	char *uri = NULL;
	unsigned n = 0;
	int rc;

	pki_error_clear(&err);
	if ((rc = read_server(s, &pem, &uri, &crts, &n, &err)) == PKI_OK)
		rc = pki_key_uri_id(uri, id, size, &err);
	free_crts(crts, n);
	free(uri);
	gnutls_free(pem.data);
	return rc;
}

int
pki_tls_current(struct pki_state *s, int64_t *not_after, char **names,
		char **issuer, struct pki_error *err)
{
	gnutls_datum_t pem = { NULL, 0 };
	gnutls_x509_crt_t *crts = NULL;
	char *uri = NULL;
	unsigned n = 0;
	int rc;

	*names = *issuer = NULL;
	if ((rc = read_server(s, &pem, &uri, &crts, &n, err)) == PKI_OK) {
		*not_after = (int64_t)gnutls_x509_crt_get_expiration_time(
			crts[0]);
		*names = header(&pem, "names");
		*issuer = header(&pem, "ca");
	}
	free_crts(crts, n);
	free(uri);
	gnutls_free(pem.data);
	return rc;
}
