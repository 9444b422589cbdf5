/* pkcs11: keys in PKCS#11 tokens (module loading, PIN callback, token
 * keys); see key.h for the contract and key-int.h for the split. */
#include <config.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/abstract.h>
#include <gnutls/pkcs11.h>
#include <gnutls/x509.h>

#include <spork/key.h>
#include "key-int.h"
#include "util.h"

#define URI_SHOWN PKI__URI_SHOWN

/*
 * How PKCS#11 was set up in this process, by the first key store that
 * used it: p11_module is the module loaded (gnutls_pkcs11_init(MANUAL) +
 * add_provider), "" for p11-kit's configured modules.  GnuTLS cannot
 * unload a module, so a later key store asking for another is refused.
 */
static int p11_initialized;
static char p11_module[PATH_MAX];

static int
pin_cb(void *userdata, int attempt, const char *token_url,
       const char *token_label, unsigned int flags, char *pin, size_t pin_max)
{
	struct pki__p11 *p = userdata;
	char label[300];
	int rc;

	(void)token_url;
	if (p == NULL || p->passfn == NULL || pin_max == 0)
		return GNUTLS_E_PKCS11_PIN_ERROR;
	if (attempt > 0 || (flags & GNUTLS_PIN_WRONG)) {
		/* Do not retry: a loop could lock the token. */
		pki_error_set(&p->pin_err, PKI_E_AUTH, "wrong PIN for "
			      "PKCS#11 token '%s'", token_label);
		p->pin_failed = 1;
		return GNUTLS_E_PKCS11_PIN_ERROR;
	}
	if (flags & GNUTLS_PIN_SO) {
		pki_error_set(&p->pin_err, PKI_E_INVALID, "PKCS#11 token "
			      "'%s' asks for the security officer PIN; spork "
			      "only uses the user PIN", token_label);
		p->pin_failed = 1;
		return GNUTLS_E_PKCS11_PIN_ERROR;
	}
	snprintf(label, sizeof(label), "PKCS#11 token '%s'", token_label);
	rc = p->passfn(p->passctx, label, PKI_PASS_PIN, pin, pin_max,
		       &p->pin_err);
	if (rc != PKI_OK) {
		pki_memzero(pin, pin_max);
		p->pin_failed = 1;
		return GNUTLS_E_PKCS11_PIN_ERROR;
	}
	pin[pin_max - 1] = '\0';
	return 0;
}

void
pki__p11_release(struct pki__p11 *p)
{
	void *ud = NULL;

	if (p != NULL && gnutls_pkcs11_get_pin_function(&ud) == pin_cb &&
	    ud == p)
		gnutls_pkcs11_set_pin_function(NULL, NULL);
}

/* Load p->module once per process; install the PIN callback. */
static int
p11_setup(struct pki__p11 *p, struct pki_error *err)
{
	const char *mod = p->module != NULL ? p->module : "";
	int ret, rc = PKI_E_CRYPTO;

	if (p11_initialized) {
		if (strcmp(mod, p11_module) != 0) {
			rc = pki_error_set(err, PKI_E_CONFLICT, "PKCS#11 was "
					   "set up in this process with %s%s; "
					   "cannot switch to %s%s",
					   p11_module[0] != '\0' ? "module " :
					   "p11-kit's modules", p11_module,
					   mod[0] != '\0' ? "module " :
					   "p11-kit's modules", mod);
			goto out;
		}
	} else if (mod[0] != '\0') {
		if (strlen(mod) >= sizeof(p11_module)) {
			rc = pki_error_set(err, PKI_E_INVALID, "PKCS#11 module "
					   "path too long");
			goto out;
		}
		ret = gnutls_pkcs11_init(GNUTLS_PKCS11_FLAG_MANUAL, NULL);
		if (ret < 0) {
			rc = pki__gnutls_error(err, ret, "gnutls_pkcs11_init");
			goto out;
		}
		ret = gnutls_pkcs11_add_provider(mod, NULL);
		if (ret < 0) {
			rc = pki__gnutls_error(err, ret,
					       "gnutls_pkcs11_add_provider");
			pki_error_prefix(err, "loading PKCS#11 module %s",
					 mod);
			goto out;
		}
	}
	if (!p11_initialized)
		snprintf(p11_module, sizeof(p11_module), "%s", mod);
	p11_initialized = 1;
	if (p->passfn != NULL)
		gnutls_pkcs11_set_pin_function(pin_cb, p);
	p->pin_failed = 0;
	pki_error_clear(&p->pin_err);
	rc = PKI_OK;
out:
	return rc;
}

/* Report a failed PKCS#11 call, preferring the PIN callback's reason. */
static int
p11_error(struct pki__p11 *p, struct pki_error *err, int ret,
	  const char *what, const char *uri)
{
	char sh[URI_SHOWN];
	int rc;

	if (p->pin_failed && p->pin_err.code != PKI_OK) {
		rc = pki_error_set(err, p->pin_err.code, "%s", p->pin_err.msg);
	} else if (ret == GNUTLS_E_PKCS11_PIN_ERROR) {
		rc = pki_error_set(err, PKI_E_AUTH, "the token refused the "
				   "PIN, or none was given (%s: %s); check the "
				   "URI's pin-value or pin-source, or the PIN "
				   "entered", what, gnutls_strerror(ret));
	} else {
		rc = pki__gnutls_error(err, ret, what);
	}
	pki_error_prefix(err, "%s", pki__key_uri_shown(uri, sh, sizeof(sh)));
	return rc;
}

static int
p11_not_found(int ret)
{
	return ret == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE ||
	       ret == GNUTLS_E_PKCS11_REQUESTED_OBJECT_NOT_AVAILBLE;
}

/* Import the private key at uri; check its algorithm when alg >= 0. */
static int
p11_import(struct pki__p11 *p11, const char *uri, int alg,
	   gnutls_privkey_t *priv, struct pki_error *err)
{
	gnutls_privkey_t p = NULL;
	gnutls_pubkey_t pub = NULL;
	enum pki_key_alg got;
	char sh[URI_SHOWN];
	int ret, rc = PKI_E_CRYPTO;

	if ((ret = gnutls_privkey_init(&p)) < 0) {
		rc = pki__gnutls_error(err, ret, "gnutls_privkey_init");
		goto out;
	}
	if ((ret = gnutls_privkey_import_url(p, uri, 0)) < 0) {
		if (p11_not_found(ret))
			rc = pki_error_set(err, PKI_E_NOTFOUND, "%s: no such "
					   "private key in the token",
					   pki__key_uri_shown(uri, sh,
							      sizeof(sh)));
		else
			rc = p11_error(p11, err, ret,
				       "gnutls_privkey_import_url", uri);
		goto out;
	}
	if ((ret = gnutls_pubkey_init(&pub)) < 0 ||
	    (ret = gnutls_pubkey_import_privkey(pub, p, 0, 0)) < 0) {
		rc = p11_error(p11, err, ret, "reading the token key's public "
			       "key", uri);
		goto out;
	}
	if ((rc = pki_key_alg_of_pubkey(pub, &got, err)) != PKI_OK)
		goto out;
	if (alg >= 0 && got != (enum pki_key_alg)alg) {
		rc = pki_error_set(err, PKI_E_CONFLICT, "%s is a %s key, not "
				   "%s", pki__key_uri_shown(uri, sh, sizeof(sh)),
				   pki_key_alg_name(got),
				   pki_key_alg_name((enum pki_key_alg)alg));
		goto out;
	}
	*priv = p;
	p = NULL;
	rc = PKI_OK;
out:
	if (pub != NULL)
		gnutls_pubkey_deinit(pub);
	if (p != NULL)
		gnutls_privkey_deinit(p);
	return rc;
}

/* Generate a key of alg in the token named by uri (label: its object=). */
static int
p11_generate(struct pki__p11 *p11, enum pki_key_alg alg, const char *uri,
	     struct pki_error *err)
{
	const struct pki__key_alg *a = pki__key_alg(alg);
	char object[256], sh[URI_SHOWN];
	int ret, rc = PKI_E_FAIL;

	pki__key_uri_shown(uri, sh, sizeof(sh));
	if (pki__key_uri_attr(uri, "object", object, sizeof(object)) != 1 ||
	    object[0] == '\0') {
		rc = pki_error_set(err, PKI_E_INVALID, "%s names no private "
				   "key to create: add object=<label> to the "
				   "URI", sh);
		goto out;
	}
	p11->pin_failed = 0;
	ret = gnutls_pkcs11_privkey_generate3(uri, a->pk,
		pki__key_alg_bits(alg), object, NULL, GNUTLS_X509_FMT_DER,
		NULL, GNUTLS_KEY_DIGITAL_SIGNATURE | GNUTLS_KEY_KEY_CERT_SIGN |
		GNUTLS_KEY_CRL_SIGN,
		GNUTLS_PKCS11_OBJ_FLAG_LOGIN |
		GNUTLS_PKCS11_OBJ_FLAG_MARK_SENSITIVE |
		GNUTLS_PKCS11_OBJ_FLAG_MARK_PRIVATE);
	if (ret < 0 && !p11->pin_failed && a->pk != GNUTLS_PK_RSA &&
	    a->pk != GNUTLS_PK_ECDSA) {
		/* GnuTLS 3.7 cannot generate EdDSA keys in a token. */
		rc = pki_error_set(err, PKI_E_UNSUPPORTED, "%s: cannot "
				   "generate a %s key in the token (%s): "
				   "create it with the token's own tool and "
				   "name it in the URI, or use ECDSA or RSA",
				   sh, a->name, gnutls_strerror(ret));
		goto out;
	}
	if (ret < 0) {
		rc = p11_error(p11, err, ret, "gnutls_pkcs11_privkey_generate3",
			       uri);
		pki_error_prefix(err, "generating a %s key in the token",
				 a->name);
		goto out;
	}
	rc = PKI_OK;
out:
	return rc;
}

int
pki__p11_create(struct pki__p11 *p11, enum pki_key_alg alg, const char *uri,
		char **key_uri, gnutls_privkey_t *priv, struct pki_error *err)
{
	gnutls_privkey_t p = NULL;
	char *dup = NULL;
	int rc = PKI_E_FAIL;

	if ((rc = p11_setup(p11, err)) != PKI_OK)
		goto out;
	rc = p11_import(p11, uri, (int)alg, &p, err);
	if (rc == PKI_E_NOTFOUND) {
		if ((rc = p11_generate(p11, alg, uri, err)) != PKI_OK)
			goto out;
		rc = p11_import(p11, uri, (int)alg, &p, err);
	}
	if (rc != PKI_OK)
		goto out;
	if ((dup = strdup(uri)) == NULL) {
		rc = pki_error_set(err, PKI_E_NOMEM, "out of memory");
		goto out;
	}
	*key_uri = dup;
	*priv = p;
	p = NULL;
	rc = PKI_OK;
out:
	if (p != NULL)
		gnutls_privkey_deinit(p);
	return rc;
}

int
pki__p11_load(struct pki__p11 *p11, const char *uri, enum pki_key_alg alg,
	      gnutls_privkey_t *priv, struct pki_error *err)
{
	int rc;

	if ((rc = p11_setup(p11, err)) == PKI_OK)
		rc = p11_import(p11, uri, (int)alg, priv, err);
	return rc;
}
