/*
 * profile-check: the checks of keys and names that the lint applies and
 * that callers run on input before building anything (profile-int.h).
 */
#include <config.h>

#include <string.h>

#include <gnutls/gnutls.h>
#include <gnutls/abstract.h>

#include "profile-int.h"
#include <spork/name.h>
#include "util.h"

/* ------------------------------------------------------------- keys */

/* The RSA public exponent must be odd and at least 65537 (RFC 8017
 * allows 3; small exponents are what broken padding checks exploit). */
static int
rsa_exponent_check(gnutls_pubkey_t pub, struct pki_error *err)
{
	gnutls_datum_t n = { NULL, 0 }, e = { NULL, 0 };
	unsigned long v = 0;
	size_t i = 0;
	int ret, rc = PKI_E_INVALID;

	if ((ret = gnutls_pubkey_export_rsa_raw2(pub, &n, &e, 0)) < 0) {
		rc = pki__gnutls_error(err, ret, "reading the RSA key");
		goto out;
	}
	while (i < e.size && e.data[i] == 0)
		i++;
	if (e.size - i > 3)
		v = 0xffffffUL + 1;     /* at least 2^24: large enough */
	for (; i < e.size && e.size - i <= 3; i++)
		v = v << 8 | e.data[i];
	if (e.size == 0 || (e.data[e.size - 1] & 1) == 0)
		pki_error_set(err, rc, "the RSA key's public exponent is even; "
			      "spork certifies RSA keys whose exponent is odd "
			      "and at least 65537");
	else if (v < 65537)
		pki_error_set(err, rc, "the RSA key's public exponent is %lu; "
			      "spork certifies RSA keys whose exponent is at "
			      "least 65537 (the usual one)", v);
	else
		rc = PKI_OK;
out:
	gnutls_free(n.data);
	gnutls_free(e.data);
	return rc;
}

int
pki_profile_check_key(gnutls_pubkey_t pub, struct pki_error *err)
{
	gnutls_ecc_curve_t curve = GNUTLS_ECC_CURVE_INVALID;
	gnutls_datum_t x = { NULL, 0 }, y = { NULL, 0 };
	unsigned bits = 0;
	int pk, ret, rc = PKI_E_INVALID;

	if (pub == NULL)
		return pki_error_set(err, PKI_E_INVALID, "no public key");
	pk = gnutls_pubkey_get_pk_algorithm(pub, &bits);
	switch (pk) {
	case GNUTLS_PK_RSA:
		if (bits < 2048)
			pki_error_set(err, rc, "the RSA key has %u bits; spork "
				      "certifies RSA keys of at least 2048 bits "
				      "(use rsa-2048 or larger, or an EC key)",
				      bits);
		else if (bits > 16384)
			pki_error_set(err, rc, "the RSA key has %u bits; the "
				      "limit is 16384", bits);
		else
			rc = rsa_exponent_check(pub, err);
		break;
	case GNUTLS_PK_ECDSA:
		ret = gnutls_pubkey_export_ecc_raw2(pub, &curve, &x, &y, 0);
		if (ret < 0) {
			rc = pki__gnutls_error(err, ret,
					       "gnutls_pubkey_export_ecc_raw2");
			break;
		}
		if (curve == GNUTLS_ECC_CURVE_SECP256R1 ||
		    curve == GNUTLS_ECC_CURVE_SECP384R1 ||
		    curve == GNUTLS_ECC_CURVE_SECP521R1)
			rc = PKI_OK;
		else
			pki_error_set(err, rc, "the EC key is on curve %s; spork "
				      "certifies only P-256, P-384 and P-521",
				      gnutls_ecc_curve_get_name(curve) ?
				      gnutls_ecc_curve_get_name(curve) :
				      "(unknown)");
		break;
	case GNUTLS_PK_EDDSA_ED25519:
	case GNUTLS_PK_EDDSA_ED448:
		rc = PKI_OK;
		break;
	default:
		pki_error_set(err, rc, "the key algorithm %s is not supported; "
			      "use RSA (2048 bits or more), ECDSA P-256/384/521, "
			      "Ed25519 or Ed448",
			      pk > 0 && gnutls_pk_get_name(pk) ?
			      gnutls_pk_get_name(pk) : "(unknown)");
		break;
	}
	gnutls_free(x.data);
	gnutls_free(y.data);
	return rc;
}

/* ------------------------------------------------------------- names */

int
pki_ip_parse(const char *s, unsigned char out[16], size_t *outlen,
	     struct pki_error *err)
{
	struct pki_name_ip ip;
	int rc;

	if ((rc = pki_name_ip_parse(s, &ip, err)) != PKI_OK)
		return rc;
	memcpy(out, ip.addr, ip.len);
	*outlen = ip.len;
	return PKI_OK;
}

int
pki_cidr_parse(const char *s, unsigned char out[32], size_t *outlen,
	       struct pki_error *err)
{
	struct pki_name_cidr c;
	int rc;

	if ((rc = pki_name_cidr_parse(s, 0, &c, err)) != PKI_OK)
		return rc;
	*outlen = pki_name_cidr_netmask(&c, out);
	return PKI_OK;
}

int
pki_san_check(enum pki_san_type type, const char *value, int allow_wildcard,
	      struct pki_error *err)
{
	struct pki_name_ip ip;
	struct pki_name_email email;
	size_t i;
	const char *p;

	if (value == NULL)
		return pki_error_set(err, PKI_E_INVALID, "empty name");
	switch (type) {
	case PKI_SAN_DNS:
		return pki_name_dns_check(value, PKI_NAME_DNS_NUMERIC_TLD |
					  (allow_wildcard ?
					   PKI_NAME_DNS_WILDCARD : 0), err);
	case PKI_SAN_IP:
		return pki_name_ip_parse(value, &ip, err);
	case PKI_SAN_EMAIL:
		return pki_name_email_parse(value, PKI_NAME_DNS_NUMERIC_TLD,
					    &email, err);
	case PKI_SAN_URI:
		for (i = 0; value[i] != '\0'; i++) {
			char c = value[i];

			if (c == ':' && i > 0)
				break;
			if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			      (i > 0 && ((c >= '0' && c <= '9') || c == '+' ||
					 c == '-' || c == '.'))))
				i = strlen(value) - 1;
		}
		if (value[i] != ':' || value[i + 1] == '\0')
			return pki_error_set(err, PKI_E_INVALID, "'%s' is not a "
					     "URI (scheme:rest)", value);
		for (p = value; *p != '\0'; p++)
			if (*p <= ' ' || *p >= 0x7f)
				return pki_error_set(err, PKI_E_INVALID, "URI "
						     "'%s' has a space or a "
						     "non-ASCII character",
						     value);
		return PKI_OK;
	}
	return pki_error_set(err, PKI_E_INVALID, "unknown name type");
}
