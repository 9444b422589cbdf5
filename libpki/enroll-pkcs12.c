/*
 * enroll-pkcs12: packaging a certificate, its chain and key as PKCS#12
 * (see enroll.h).
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/pkcs12.h>
#include <gnutls/x509.h>
#include <jansson.h>

#include <spork/crl.h>
#include "profile-int.h"
#include "keystore.h"
#include <spork/enroll.h>
#include <spork/state.h>
#include "issue.h"
#include <spork/name.h>
#include "store-write.h"
#include "util.h"

/* ------------------------------------------------------------ PKCS#12 */

int
pki_enroll_pkcs12(const gnutls_datum_t *cert, const gnutls_datum_t *chain,
		  size_t nchain, gnutls_x509_privkey_t key, const char *pass,
		  const char *friendly_name, gnutls_datum_t *out,
		  struct pki_error *err)
{
	gnutls_pkcs12_t p12 = NULL;
	gnutls_pkcs12_bag_t cbag = NULL, kbag = NULL;
	gnutls_x509_crt_t crt = NULL;
	gnutls_datum_t kder = { NULL, 0 }, kid;
	unsigned char id[64];
	size_t idlen = sizeof(id), i;
	int ret, rc = PKI_E_CRYPTO, idx;

	out->data = NULL;
	out->size = 0;
	if (pass != NULL && *pass == '\0')
		return pki_error_set(err, PKI_E_INVALID, "a PKCS#12 password "
				     "cannot be empty; NULL writes the file "
				     "without one");
	if ((ret = gnutls_pkcs12_init(&p12)) < 0 ||
	    (ret = gnutls_pkcs12_bag_init(&cbag)) < 0)
		goto gnutls_fail;
	for (i = 0; i <= nchain; i++) {
		const gnutls_datum_t *d = i == 0 ? cert : &chain[i - 1];

		if ((ret = gnutls_x509_crt_init(&crt)) < 0 ||
		    (ret = gnutls_x509_crt_import(crt, d, GNUTLS_X509_FMT_DER)) < 0 ||
		    (idx = ret = gnutls_pkcs12_bag_set_crt(cbag, crt)) < 0)
			goto gnutls_fail;
		if (i == 0) {
			if ((ret = gnutls_x509_crt_get_key_id(crt, 0, id,
							      &idlen)) < 0)
				goto gnutls_fail;
			kid.data = id;
			kid.size = (unsigned)idlen;
			if ((key != NULL &&
			     (ret = gnutls_pkcs12_bag_set_key_id(cbag, idx,
								 &kid)) < 0) ||
			    (friendly_name != NULL &&
			     (ret = gnutls_pkcs12_bag_set_friendly_name(cbag, idx,
							friendly_name)) < 0))
				goto gnutls_fail;
		}
		gnutls_x509_crt_deinit(crt);
		crt = NULL;
	}
	if ((pass != NULL &&
	     (ret = gnutls_pkcs12_bag_encrypt(cbag, pass,
					      GNUTLS_PKCS_PBES2_AES_256)) < 0) ||
	    (ret = gnutls_pkcs12_set_bag(p12, cbag)) < 0)
		goto gnutls_fail;
	if (key != NULL) {
		if ((ret = gnutls_x509_privkey_export2_pkcs8(key,
				GNUTLS_X509_FMT_DER, pass,
				pass != NULL ? GNUTLS_PKCS_PBES2_AES_256 :
				GNUTLS_PKCS_PLAIN, &kder)) < 0 ||
		    (ret = gnutls_pkcs12_bag_init(&kbag)) < 0 ||
		    (idx = ret = gnutls_pkcs12_bag_set_data(kbag,
				pass != NULL ? GNUTLS_BAG_PKCS8_ENCRYPTED_KEY :
				GNUTLS_BAG_PKCS8_KEY, &kder)) < 0 ||
		    (ret = gnutls_pkcs12_bag_set_key_id(kbag, idx, &kid)) < 0 ||
		    (friendly_name != NULL &&
		     (ret = gnutls_pkcs12_bag_set_friendly_name(kbag, idx,
							friendly_name)) < 0) ||
		    (ret = gnutls_pkcs12_set_bag(p12, kbag)) < 0)
			goto gnutls_fail;
	}
	/* Without a password: an integrity MAC keyed with the empty
	 * password, as openssl -passout pass: writes (GnuTLS cannot export
	 * a file with no MAC at all). */
	if ((ret = gnutls_pkcs12_generate_mac2(p12, GNUTLS_MAC_SHA256,
					       pass != NULL ? pass : "")) < 0 ||
	    (ret = gnutls_pkcs12_export2(p12, GNUTLS_X509_FMT_DER, out)) < 0)
		goto gnutls_fail;
	rc = PKI_OK;
	goto out;
gnutls_fail:
	rc = pki__gnutls_error(err, ret, "building the PKCS#12 file");
out:
	if (kder.data != NULL) {
		pki_memzero(kder.data, kder.size);
		gnutls_free(kder.data);
	}
	if (crt != NULL)
		gnutls_x509_crt_deinit(crt);
	if (cbag != NULL)
		gnutls_pkcs12_bag_deinit(cbag);
	if (kbag != NULL)
		gnutls_pkcs12_bag_deinit(kbag);
	if (p12 != NULL)
		gnutls_pkcs12_deinit(p12);
	return rc;
}
