/* sign: the signature algorithm of a CA key (sign.h). */
#include <config.h>

#include <stdio.h>
#include <string.h>

#include "der.h"
#include "sign.h"
#include "util.h"

int
pki__sigalg_pick(gnutls_privkey_t key, gnutls_x509_crt_t issuer,
		 struct pki__sigalg *sa, struct pki_error *err)
{
	gnutls_pubkey_t pub = NULL;
	gnutls_digest_algorithm_t hash = GNUTLS_DIG_SHA256;
	unsigned char kid1[64], kid2[64];
	size_t n1 = sizeof(kid1), n2 = sizeof(kid2);
	int pk, ret, rc = PKI_E_CRYPTO;

	pk = gnutls_privkey_get_pk_algorithm(key, NULL);
	switch (pk) {
	case GNUTLS_PK_RSA:
		sa->null_params = 1;
		break;
	case GNUTLS_PK_ECDSA:
	case GNUTLS_PK_EDDSA_ED25519:
	case GNUTLS_PK_EDDSA_ED448:
		sa->null_params = 0;
		break;
	default:
		rc = pki_error_set(err, PKI_E_UNSUPPORTED, "cannot sign "
				   "with a %s key; use an RSA, ECDSA, Ed25519 "
				   "or Ed448 key",
				   pk < 0 ? "unknown" :
				   gnutls_pk_get_name((gnutls_pk_algorithm_t)pk));
		goto out;
	}
	if ((ret = gnutls_pubkey_init(&pub)) < 0 ||
	    (ret = gnutls_pubkey_import_privkey(pub, key, 0, 0)) < 0) {
		rc = pki__gnutls_error(err, ret, "gnutls_pubkey_import_privkey");
		goto out;
	}
	if (pk == GNUTLS_PK_ECDSA &&
	    (ret = gnutls_pubkey_get_preferred_hash_algorithm(pub, &hash,
							      NULL)) < 0) {
		rc = pki__gnutls_error(err, ret,
				       "gnutls_pubkey_get_preferred_hash_algorithm");
		goto out;
	}
	if (pk == GNUTLS_PK_ECDSA && hash != GNUTLS_DIG_SHA384 &&
	    hash != GNUTLS_DIG_SHA512)
		hash = GNUTLS_DIG_SHA256;
	if (pk == GNUTLS_PK_EDDSA_ED25519)
		sa->sign = GNUTLS_SIGN_EDDSA_ED25519;
	else if (pk == GNUTLS_PK_EDDSA_ED448)
		sa->sign = GNUTLS_SIGN_EDDSA_ED448;
	else
		sa->sign = gnutls_pk_to_sign((gnutls_pk_algorithm_t)pk, hash);
	sa->oid = gnutls_sign_get_oid(sa->sign);
	if (sa->sign == GNUTLS_SIGN_UNKNOWN || sa->oid == NULL) {
		rc = pki_error_set(err, PKI_E_UNSUPPORTED, "no signature "
				   "algorithm for a %s key with %s",
				   gnutls_pk_get_name((gnutls_pk_algorithm_t)pk),
				   gnutls_digest_get_name(hash));
		goto out;
	}
	/* The key must be the issuer certificate's. */
	if ((ret = gnutls_pubkey_get_key_id(pub, GNUTLS_KEYID_USE_SHA256, kid1,
					    &n1)) < 0 ||
	    (ret = gnutls_x509_crt_get_key_id(issuer, GNUTLS_KEYID_USE_SHA256,
					      kid2, &n2)) < 0) {
		rc = pki__gnutls_error(err, ret, "gnutls_x509_crt_get_key_id");
		goto out;
	}
	if (n1 != n2 || memcmp(kid1, kid2, n1) != 0) {
		rc = pki_error_set(err, PKI_E_INVALID, "the signing key does not "
				   "belong to the issuer certificate; load the "
				   "CA's own key");
		goto out;
	}
	rc = PKI_OK;
out:
	gnutls_pubkey_deinit(pub);
	return rc;
}

int
pki__sigalg_put(asn1_node node, const char *name,
		const struct pki__sigalg *sa, struct pki_error *err)
{
	char path[64];
	int rc;

	snprintf(path, sizeof(path), "%s.algorithm", name);
	if ((rc = pki__der_put(node, path, sa->oid, 0, err)))
		return rc;
	snprintf(path, sizeof(path), "%s.parameters", name);
	/* RSA's AlgorithmIdentifier carries NULL, the others nothing */
	return pki__der_put(node, path, sa->null_params ? "\x05\x00" : NULL,
			    sa->null_params ? 2 : 0, err);
}
