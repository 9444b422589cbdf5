/* key: algorithms, key ids, generation, key URIs, and the choice of
 * backend by URI; see key.h.  The lockbox backend is keystore.c, the
 * PKCS#11 one pkcs11.c (key-int.h). */
#include <config.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/abstract.h>
#include <gnutls/x509.h>

#include <spork/key.h>
#include "keystore.h"
#include "key-int.h"
#include "util.h"

#define KEY_ID_HEX PKI__KEY_ID_HEX
#define URI_LOCKBOX PKI__URI_LOCKBOX
#define URI_ONLINE PKI__URI_ONLINE
#define URI_PKCS11 PKI__URI_PKCS11
#define URI_SHOWN PKI__URI_SHOWN

static const struct pki__key_alg algs[PKI_KEY__MAX] = {
	[PKI_KEY_ECDSA_P256] = { "ecdsa-p256", GNUTLS_PK_ECDSA, 0,
		GNUTLS_ECC_CURVE_SECP256R1, GNUTLS_DIG_SHA256,
		GNUTLS_SIGN_ECDSA_SHA256 },
	[PKI_KEY_ECDSA_P384] = { "ecdsa-p384", GNUTLS_PK_ECDSA, 0,
		GNUTLS_ECC_CURVE_SECP384R1, GNUTLS_DIG_SHA384,
		GNUTLS_SIGN_ECDSA_SHA384 },
	[PKI_KEY_ECDSA_P521] = { "ecdsa-p521", GNUTLS_PK_ECDSA, 0,
		GNUTLS_ECC_CURVE_SECP521R1, GNUTLS_DIG_SHA512,
		GNUTLS_SIGN_ECDSA_SHA512 },
	[PKI_KEY_RSA_2048] = { "rsa-2048", GNUTLS_PK_RSA, 2048,
		GNUTLS_ECC_CURVE_INVALID, GNUTLS_DIG_SHA256,
		GNUTLS_SIGN_RSA_SHA256 },
	[PKI_KEY_RSA_3072] = { "rsa-3072", GNUTLS_PK_RSA, 3072,
		GNUTLS_ECC_CURVE_INVALID, GNUTLS_DIG_SHA256,
		GNUTLS_SIGN_RSA_SHA256 },
	[PKI_KEY_RSA_4096] = { "rsa-4096", GNUTLS_PK_RSA, 4096,
		GNUTLS_ECC_CURVE_INVALID, GNUTLS_DIG_SHA384,
		GNUTLS_SIGN_RSA_SHA384 },
	[PKI_KEY_ED25519] = { "ed25519", GNUTLS_PK_EDDSA_ED25519, 0,
		GNUTLS_ECC_CURVE_ED25519, GNUTLS_DIG_UNKNOWN,
		GNUTLS_SIGN_EDDSA_ED25519 },
	[PKI_KEY_ED448] = { "ed448", GNUTLS_PK_EDDSA_ED448, 0,
		GNUTLS_ECC_CURVE_ED448, GNUTLS_DIG_UNKNOWN,
		GNUTLS_SIGN_EDDSA_ED448 },
};

int
pki__key_alg_valid(enum pki_key_alg alg)
{
	return (int)alg >= 0 && alg < PKI_KEY__MAX;
}

const struct pki__key_alg *
pki__key_alg(enum pki_key_alg alg)
{
	return &algs[alg];
}

unsigned
pki__key_alg_bits(enum pki_key_alg alg)
{
	return algs[alg].pk == GNUTLS_PK_RSA ? algs[alg].bits :
	       GNUTLS_CURVE_TO_BITS(algs[alg].curve);
}

int
pki_key_alg_from_name(const char *name, enum pki_key_alg *out,
		      struct pki_error *err)
{
	int i;

	for (i = 0; i < PKI_KEY__MAX; i++) {
		if (name != NULL && strcmp(name, algs[i].name) == 0) {
			*out = (enum pki_key_alg)i;
			return PKI_OK;
		}
	}
	return pki_error_set(err, PKI_E_UNSUPPORTED, "unsupported key "
			     "algorithm '%s'; use one of ecdsa-p256, "
			     "ecdsa-p384, ecdsa-p521, rsa-2048, rsa-3072, "
			     "rsa-4096, ed25519, ed448",
			     name != NULL ? name : "(none)");
}

const char *
pki_key_alg_name(enum pki_key_alg alg)
{
	return pki__key_alg_valid(alg) ? algs[alg].name : "unknown";
}

gnutls_digest_algorithm_t
pki_key_alg_digest(enum pki_key_alg alg)
{
	return pki__key_alg_valid(alg) ? algs[alg].dig : GNUTLS_DIG_UNKNOWN;
}

gnutls_sign_algorithm_t
pki_key_alg_sign(enum pki_key_alg alg)
{
	return pki__key_alg_valid(alg) ? algs[alg].sign : GNUTLS_SIGN_UNKNOWN;
}

int
pki_key_alg_of_pubkey(gnutls_pubkey_t pub, enum pki_key_alg *out,
		      struct pki_error *err)
{
	gnutls_datum_t x = { NULL, 0 }, y = { NULL, 0 };
	gnutls_ecc_curve_t curve = GNUTLS_ECC_CURVE_INVALID;
	unsigned bits = 0;
	int pk, ret, i, rc = PKI_E_UNSUPPORTED;

	pk = gnutls_pubkey_get_pk_algorithm(pub, &bits);
	if (pk < 0) {
		rc = pki__gnutls_error(err, pk, "gnutls_pubkey_get_pk_algorithm");
		goto out;
	}
	if (pk == GNUTLS_PK_ECDSA) {
		ret = gnutls_pubkey_export_ecc_raw2(pub, &curve, &x, &y, 0);
		if (ret < 0) {
			rc = pki__gnutls_error(err, ret,
					       "gnutls_pubkey_export_ecc_raw2");
			goto out;
		}
	}
	for (i = 0; i < PKI_KEY__MAX; i++) {
		if (algs[i].pk != (gnutls_pk_algorithm_t)pk)
			continue;
		if ((pk == GNUTLS_PK_RSA && algs[i].bits != bits) ||
		    (pk == GNUTLS_PK_ECDSA && algs[i].curve != curve))
			continue;
		*out = (enum pki_key_alg)i;
		rc = PKI_OK;
		goto out;
	}
	rc = pki_error_set(err, PKI_E_UNSUPPORTED, "unsupported key: %s "
			   "%u bits%s%s; spork uses ECDSA P-256/P-384/P-521, "
			   "RSA 2048/3072/4096, Ed25519 and Ed448",
			   gnutls_pk_get_name((gnutls_pk_algorithm_t)pk), bits,
			   curve != GNUTLS_ECC_CURVE_INVALID ? " curve " : "",
			   curve != GNUTLS_ECC_CURVE_INVALID ?
			   gnutls_ecc_curve_get_name(curve) : "");
out:
	gnutls_free(x.data);
	gnutls_free(y.data);
	return rc;
}

int
pki_key_id(gnutls_pubkey_t pub, char *out, size_t outlen,
	   struct pki_error *err)
{
	unsigned char id[64];
	size_t idlen = sizeof(id);
	int ret;

	if (outlen < KEY_ID_HEX + 1)
		return pki_error_set(err, PKI_E_INVALID, "pki_key_id: output "
				     "buffer too small");
	ret = gnutls_pubkey_get_key_id(pub, GNUTLS_KEYID_USE_SHA256, id, &idlen);
	if (ret < 0)
		return pki__gnutls_error(err, ret, "gnutls_pubkey_get_key_id");
	if (idlen != KEY_ID_HEX / 2)
		return pki_error_set(err, PKI_E_CRYPTO, "gnutls_pubkey_get_key_id "
				     "returned %zu bytes, expected 32", idlen);
	pki__hex(id, idlen, out);
	return PKI_OK;
}

int
pki_key_generate(enum pki_key_alg alg, gnutls_x509_privkey_t *out,
		 struct pki_error *err)
{
	gnutls_x509_privkey_t key = NULL;
	unsigned bits;
	int ret, rc = PKI_E_CRYPTO;

	*out = NULL;
	if (!pki__key_alg_valid(alg)) {
		rc = pki_error_set(err, PKI_E_UNSUPPORTED, "unknown key "
				   "algorithm %d", (int)alg);
		goto out;
	}
	bits = pki__key_alg_bits(alg);
	if ((ret = gnutls_x509_privkey_init(&key)) < 0) {
		rc = pki__gnutls_error(err, ret, "gnutls_x509_privkey_init");
		goto out;
	}
	ret = gnutls_x509_privkey_generate2(key, algs[alg].pk, bits, 0, NULL, 0);
	if (ret < 0) {
		rc = pki__gnutls_error(err, ret, "gnutls_x509_privkey_generate2");
		pki_error_prefix(err, "generating a %s key", algs[alg].name);
		goto out;
	}
	*out = key;
	key = NULL;
	rc = PKI_OK;
out:
	if (key != NULL)
		gnutls_x509_privkey_deinit(key);
	return rc;
}

/* ------------------------------------------------------------ URIs */

int
pki__key_uri_lockbox(const char *uri, char *id, int *online)
{
	const char *p;
	size_t i;

	if (uri == NULL || strncmp(uri, URI_LOCKBOX, strlen(URI_LOCKBOX)) != 0)
		return -1;
	p = uri + strlen(URI_LOCKBOX);
	for (i = 0; i < KEY_ID_HEX; i++) {
		if (!((p[i] >= '0' && p[i] <= '9') ||
		      (p[i] >= 'a' && p[i] <= 'f')))
			return -1;
		id[i] = p[i];
	}
	id[KEY_ID_HEX] = '\0';
	p += KEY_ID_HEX;
	if (*p == '\0')
		*online = 0;
	else if (strcmp(p, URI_ONLINE) == 0)
		*online = 1;
	else
		return -1;
	return 0;
}

int
pki__key_uri_attr(const char *uri, const char *attr, char *out,
		  size_t outmax)
{
	const char *p = uri + strlen(URI_PKCS11);
	size_t alen = strlen(attr), n;

	while (*p != '\0') {
		const char *end = p + strcspn(p, ";?&");

		if ((size_t)(end - p) > alen && strncmp(p, attr, alen) == 0 &&
		    p[alen] == '=') {
			const char *v = p + alen + 1;

			for (n = 0; v < end; n++) {
				int c = (unsigned char)*v;

				if (n + 1 >= outmax)
					return -1;
				if (c == '%') {
					int hi, lo;

					if (end - v < 3 ||
					    (hi = pki__hexval(v[1])) < 0 ||
					    (lo = pki__hexval(v[2])) < 0)
						return -1;
					c = hi << 4 | lo;
					v += 3;
				} else {
					v++;
				}
				if (c == 0)
					return -1;
				out[n] = (char)c;
			}
			out[n] = '\0';
			return 1;
		}
		p = *end != '\0' ? end + 1 : end;
	}
	return 0;
}

/*
 * 1 if the attribute s (len bytes: "name" or "name=value") is named
 * pin-value, ignoring ASCII case, percent-encoding and white space in the
 * name (p11-kit strips white space from a URI before parsing it), so no
 * spelling of it survives redaction.
 */
static int
is_pin_value(const char *s, size_t len)
{
	static const char name[] = "pin-value";
	size_t i = 0, j = 0;
	int c, hi, lo;

	while (i < len && s[i] != '=') {
		c = (unsigned char)s[i];
		if (c == '%' && len - i >= 3 && (hi = pki__hexval(s[i + 1])) >= 0 &&
		    (lo = pki__hexval(s[i + 2])) >= 0) {
			c = hi << 4 | lo;
			i += 3;
		} else {
			i++;
		}
		if (c == ' ' || (c >= '\t' && c <= '\r'))
			continue;
		if (c >= 'A' && c <= 'Z')
			c += 'a' - 'A';
		if (name[j] == '\0' || c != name[j])
			return 0;
		j++;
	}
	return name[j] == '\0';
}

/* Append len bytes of s to out (outlen bytes, NUL kept); *n counts all. */
static void
put_bytes(char *out, size_t outlen, size_t *n, const char *s, size_t len)
{
	size_t k;

	for (k = 0; k < len; k++, (*n)++)
		if (*n + 1 < outlen)
			out[*n] = s[k];
	if (outlen > 0)
		out[*n < outlen ? *n : outlen - 1] = '\0';
}

/*
 * Copy the attributes of [s, end) separated by sep, leaving out pin-value
 * ones with the separator before them (after them for the first one).
 * lead is written before the first attribute kept (the '?' of a query).
 */
static void
put_attrs(char *out, size_t outlen, size_t *n, const char *s,
	  const char *end, char sep, const char *lead)
{
	const char *e;
	int first = 1;

	for (;;) {
		for (e = s; e < end && *e != sep; e++)
			;
		if (!is_pin_value(s, (size_t)(e - s))) {
			if (first)
				put_bytes(out, outlen, n, lead, strlen(lead));
			else
				put_bytes(out, outlen, n, &sep, 1);
			put_bytes(out, outlen, n, s, (size_t)(e - s));
			first = 0;
		}
		if (e == end)
			break;
		s = e + 1;
	}
}

/*
 * uri without its pin-value attributes into out (truncated to outlen-1
 * bytes; out may be NULL if outlen is 0).  RFC 7512: after the scheme,
 * path attributes separated by ';', then optionally '?' and query
 * attributes separated by '&'.  Applied whatever the scheme, so that a
 * mistyped "pkcs11:" does not show its PIN either; a lockbox: URI has no
 * pin-value and comes back as it is.  Returns the whole length.
 */
static size_t
redact(const char *uri, char *out, size_t outlen)
{
	const char *colon = strchr(uri, ':');
	const char *path = colon != NULL ? colon + 1 : uri;
	const char *q = path + strcspn(path, "?");
	size_t n = 0;

	if (outlen > 0)
		out[0] = '\0';
	put_bytes(out, outlen, &n, uri, (size_t)(path - uri));
	put_attrs(out, outlen, &n, path, q, ';', "");
	if (*q == '?')
		put_attrs(out, outlen, &n, q + 1, q + strlen(q), '&', "?");
	return n;
}

char *
pki_key_uri_redact(const char *uri)
{
	size_t n;
	char *out;

	if (uri == NULL)
		return NULL;
	n = redact(uri, NULL, 0);
	if ((out = malloc(n + 1)) == NULL)
		return NULL;
	redact(uri, out, n + 1);
	return out;
}

const char *
pki__key_uri_shown(const char *uri, char *buf, size_t len)
{
	if (uri == NULL)
		return "(null)";
	redact(uri, buf, len);
	return buf;
}

int
pki_key_is_online(const char *key_uri)
{
	char id[KEY_ID_HEX + 1], v[PATH_MAX];
	int online = 0;

	if (key_uri == NULL)
		return 0;
	if (pki__key_uri_lockbox(key_uri, id, &online) == 0)
		return online;
	/* Not pin-value: a stored URI is redacted (pki_key_uri_redact). */
	if (strncmp(key_uri, URI_PKCS11, strlen(URI_PKCS11)) == 0)
		return pki__key_uri_attr(key_uri, "pin-source", v,
					 sizeof(v)) == 1 && v[0] != '\0';
	return 0;
}

int
pki_key_uri_id(const char *key_uri, char *out, size_t outlen,
	       struct pki_error *err)
{
	char id[KEY_ID_HEX + 1], sh[URI_SHOWN];
	int online;

	if (outlen < sizeof(id))
		return pki_error_set(err, PKI_E_INVALID, "pki_key_uri_id: "
				     "output buffer too small");
	if (pki__key_uri_lockbox(key_uri, id, &online) != 0)
		return pki_error_set(err, PKI_E_PARSE, "'%s' is not a lockbox "
				     "key URI (lockbox:<64 hex digits>[%s])",
				     pki__key_uri_shown(key_uri, sh,
							sizeof(sh)),
				     URI_ONLINE);
	memcpy(out, id, sizeof(id));
	return PKI_OK;
}

/* ------------------------------------------------------------ API */

int
pki_key_create(struct pki_keystore *ks, enum pki_key_alg alg, int online,
	       const char *pkcs11_uri, const char *label, char **key_uri,
	       gnutls_privkey_t *priv, struct pki_error *err)
{
	char sh[URI_SHOWN];
	int rc = PKI_E_FAIL;

	*key_uri = NULL;
	*priv = NULL;
	if (label == NULL)
		label = "new key";
	if (!pki__key_alg_valid(alg)) {
		rc = pki_error_set(err, PKI_E_UNSUPPORTED, "unknown key "
				   "algorithm %d", (int)alg);
		goto out;
	}
	if (pkcs11_uri == NULL) {
		rc = pki__keystore_create(ks, alg, online, label, key_uri,
					  priv, err);
		goto out;
	}
	pki__key_uri_shown(pkcs11_uri, sh, sizeof(sh));
	if (strncmp(pkcs11_uri, URI_PKCS11, strlen(URI_PKCS11)) != 0) {
		rc = pki_error_set(err, PKI_E_PARSE, "'%s' is not a pkcs11: "
				   "URI", sh);
		goto out;
	}
	if ((rc = pki__keystore_allows(ks, pki_key_is_online(pkcs11_uri), sh,
				       err)) != PKI_OK)
		goto out;
	rc = pki__p11_create(pki__keystore_p11(ks), alg, pkcs11_uri, key_uri,
			     priv, err);
out:
	return rc;
}

int
pki_key_load(struct pki_keystore *ks, const char *key_uri,
	     enum pki_key_alg expected_alg, const char *label,
	     gnutls_privkey_t *priv, struct pki_error *err)
{
	char sh[URI_SHOWN];
	int rc = PKI_E_FAIL;

	*priv = NULL;
	if (label == NULL)
		label = key_uri;
	if (!pki__key_alg_valid(expected_alg)) {
		rc = pki_error_set(err, PKI_E_UNSUPPORTED, "unknown key "
				   "algorithm %d", (int)expected_alg);
		goto out;
	}
	if (key_uri == NULL) {
		rc = pki_error_set(err, PKI_E_INVALID, "no key URI given");
		goto out;
	}
	if (strncmp(key_uri, URI_PKCS11, strlen(URI_PKCS11)) != 0) {
		rc = pki__keystore_load(ks, key_uri, expected_alg, label, priv,
					err);
		goto out;
	}
	if ((rc = pki__keystore_allows(ks, pki_key_is_online(key_uri),
				       pki__key_uri_shown(key_uri, sh,
							  sizeof(sh)),
				       err)) != PKI_OK)
		goto out;
	rc = pki__p11_load(pki__keystore_p11(ks), key_uri, expected_alg, priv,
			   err);
out:
	return rc;
}
