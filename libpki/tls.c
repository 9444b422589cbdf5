/* tls: the handlers' TLS server side and their certificate (tls.h). */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gnutls/abstract.h>
#include <gnutls/x509.h>

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
	if ((rc = load_ticket(s, t, err)) != PKI_OK)
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
	gnutls_certificate_server_set_request(s, GNUTLS_CERT_IGNORE);
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
