/*
 * issue: building, linting and signing certificates; certificate
 * requests (see issue.h).
 *
 * Every certificate is first signed with a throwaway key (one per process
 * and algorithm family, see sign_with_lint_key), exported, re-imported and linted against its profile
 * (pki_profile_lint).  Only when the lint passes is it signed with the real
 * issuer key; the signature is then verified over the to-be-signed bytes
 * with the issuer's public key, and the DER is re-parsed and linted again,
 * so what is returned is exactly what was checked.
 */
#include <spork/config.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/abstract.h>
#include <gnutls/x509-ext.h>
#include <libtasn1.h>

#include "profile-int.h"
#include "issue.h"
#include <spork/name.h>
#include "util.h"

#define CERT_MAX (256 * 1024)

/* -------------------------------------------------------- ASN.1 module */


static int
asn1_new(const char *type, asn1_node *node, struct pki_error *err)
{
	asn1_node asn1_defs;
	int ret;

	*node = NULL;
	if ((ret = pki__asn1_defs(&asn1_defs, err)) != PKI_OK)
		return ret;
	if ((ret = asn1_create_element(asn1_defs, type, node)) != ASN1_SUCCESS)
		return pki_error_set(err, PKI_E_NOMEM, "asn1_create_element(%s): "
				     "%s", type, asn1_strerror(ret));
	return PKI_OK;
}

/* DER of node into out (gnutls_malloc'd). */
static int
asn1_encode(asn1_node node, const char *what, gnutls_datum_t *out,
	    struct pki_error *err)
{
	char errbuf[ASN1_MAX_ERROR_DESCRIPTION_SIZE] = "";
	int len = 0, ret;

	out->data = NULL;
	out->size = 0;
	ret = asn1_der_coding(node, "", NULL, &len, errbuf);
	if (ret != ASN1_MEM_ERROR || len <= 0)
		return pki_error_set(err, PKI_E_FAIL, "encoding %s: %s", what,
				     errbuf[0] ? errbuf : asn1_strerror(ret));
	if ((out->data = gnutls_malloc((size_t)len)) == NULL)
		return pki_error_set(err, PKI_E_NOMEM, "out of memory");
	if ((ret = asn1_der_coding(node, "", out->data, &len, errbuf)) !=
	    ASN1_SUCCESS) {
		gnutls_free(out->data);
		out->data = NULL;
		return pki_error_set(err, PKI_E_FAIL, "encoding %s: %s", what,
				     errbuf[0] ? errbuf : asn1_strerror(ret));
	}
	out->size = (unsigned)len;
	return PKI_OK;
}

/* freshestCRL value: one DistributionPoint whose fullName lists every
 * URL (each an alternative location of the same delta CRL). */
static int
encode_freshest_crl(const struct pki_strlist *urls, gnutls_datum_t *out,
		    struct pki_error *err)
{
	asn1_node node = NULL;
	size_t i;
	int ret, rc;

	if ((rc = asn1_new("PKIX-SPORK.CRLDistributionPoints", &node, err)) !=
	    PKI_OK)
		return rc;
	rc = PKI_E_FAIL;
	if ((ret = asn1_write_value(node, "", "NEW", 1)) != ASN1_SUCCESS ||
	    (ret = asn1_write_value(node, "?LAST.distributionPoint", "fullName",
				    1)) != ASN1_SUCCESS ||
	    (ret = asn1_write_value(node, "?LAST.reasons", NULL, 0)) !=
	    ASN1_SUCCESS ||
	    (ret = asn1_write_value(node, "?LAST.cRLIssuer", NULL, 0)) !=
	    ASN1_SUCCESS)
		goto bad;
	for (i = 0; i < urls->n; i++) {
		if ((ret = asn1_write_value(node, "?LAST.distributionPoint."
					    "fullName", "NEW", 1)) !=
		    ASN1_SUCCESS ||
		    (ret = asn1_write_value(node, "?LAST.distributionPoint."
					    "fullName.?LAST",
					    "uniformResourceIdentifier", 1)) !=
		    ASN1_SUCCESS ||
		    (ret = asn1_write_value(node, "?LAST.distributionPoint."
					    "fullName.?LAST."
					    "uniformResourceIdentifier",
					    urls->v[i],
					    (int)strlen(urls->v[i]))) !=
		    ASN1_SUCCESS)
			goto bad;
	}
	rc = asn1_encode(node, "freshestCRL", out, err);
	goto out;
bad:
	pki_error_set(err, rc, "building freshestCRL: asn1_write_value: %s",
		      asn1_strerror(ret));
out:
	asn1_delete_structure(&node);
	return rc;
}

static int
encode_ocsp_nocheck(gnutls_datum_t *out, struct pki_error *err)
{
	asn1_node node = NULL;
	int rc;

	if ((rc = asn1_new("PKIX-SPORK.OCSPNoCheck", &node, err)) != PKI_OK)
		return rc;
	rc = asn1_encode(node, "id-pkix-ocsp-nocheck", out, err);
	asn1_delete_structure(&node);
	return rc;
}

/* ------------------------------------------------------------- helpers */

int
pki_issue_pubkey_from_privkey(gnutls_privkey_t key, gnutls_pubkey_t *pub,
			      struct pki_error *err)
{
	int ret;

	*pub = NULL;
	if ((ret = gnutls_pubkey_init(pub)) < 0)
		return pki__gnutls_error(err, ret, "gnutls_pubkey_init");
	if ((ret = gnutls_pubkey_import_privkey(*pub, key, 0, 0)) < 0) {
		gnutls_pubkey_deinit(*pub);
		*pub = NULL;
		return pki__gnutls_error(err, ret, "gnutls_pubkey_import_privkey");
	}
	return PKI_OK;
}

int
pki_issue_pubkey_from_csr(gnutls_x509_crq_t crq, gnutls_pubkey_t *pub,
			  struct pki_error *err)
{
	int ret;

	*pub = NULL;
	if ((ret = gnutls_pubkey_init(pub)) < 0)
		return pki__gnutls_error(err, ret, "gnutls_pubkey_init");
	if ((ret = gnutls_pubkey_import_x509_crq(*pub, crq, 0)) < 0) {
		gnutls_pubkey_deinit(*pub);
		*pub = NULL;
		return pki__gnutls_error(err, ret, "public key of the CSR "
					 "(gnutls_pubkey_import_x509_crq)");
	}
	return PKI_OK;
}

gnutls_digest_algorithm_t
pki_issue_digest_for(gnutls_privkey_t key)
{
	unsigned bits = 0;
	int pk = gnutls_privkey_get_pk_algorithm(key, &bits);

	switch (pk) {
	case GNUTLS_PK_RSA:
	case GNUTLS_PK_RSA_PSS:
		return bits > 3072 ? GNUTLS_DIG_SHA384 : GNUTLS_DIG_SHA256;
	case GNUTLS_PK_ECDSA:
		return bits > 384 ? GNUTLS_DIG_SHA512 :
		       bits > 256 ? GNUTLS_DIG_SHA384 : GNUTLS_DIG_SHA256;
	case GNUTLS_PK_EDDSA_ED25519:
	case GNUTLS_PK_EDDSA_ED448:
		return GNUTLS_DIG_UNKNOWN;
	default:
		return GNUTLS_DIG_SHA256;
	}
}

/* Same key?  Compares SHA-256 key ids. */
static int
same_key(gnutls_pubkey_t a, gnutls_pubkey_t b)
{
	unsigned char ia[64], ib[64];
	size_t la = sizeof(ia), lb = sizeof(ib);

	return gnutls_pubkey_get_key_id(a, GNUTLS_KEYID_USE_SHA256, ia, &la) >=
	       0 &&
	       gnutls_pubkey_get_key_id(b, GNUTLS_KEYID_USE_SHA256, ib, &lb) >=
	       0 && la == lb && memcmp(ia, ib, la) == 0;
}

/*
 * The per-process throwaway keys the lint copy is signed with.  GnuTLS
 * refuses to sign a certificate with a key whose algorithm differs from
 * the issuer certificate's (GNUTLS_E_CONSTRAINT_ERROR), so there is one
 * cheap key per algorithm family: ECDSA P-256 (any ECDSA issuer),
 * Ed25519, Ed448 and RSA.  The RSA one is 512 bits because it costs about
 * a millisecond to generate: its signature only makes the copy parseable;
 * the copy is linted and discarded, never verified, stored or returned.
 */
static pthread_mutex_t lint_key_lock = PTHREAD_MUTEX_INITIALIZER;
static gnutls_privkey_t lint_keys[4];

static int
sign_with_lint_key(gnutls_x509_crt_t crt, gnutls_x509_crt_t issuer,
		   gnutls_privkey_t issuer_key, struct pki_error *err)
{
	gnutls_privkey_t k = NULL;
	gnutls_pk_algorithm_t pk;
	unsigned bits, slot;
	int ret, rc = PKI_E_CRYPTO;

	switch (gnutls_privkey_get_pk_algorithm(issuer_key, NULL)) {
	case GNUTLS_PK_RSA:
		pk = GNUTLS_PK_RSA;
		bits = 512;
		slot = 1;
		break;
	case GNUTLS_PK_EDDSA_ED25519:
		pk = GNUTLS_PK_EDDSA_ED25519;
		bits = 256;
		slot = 2;
		break;
	case GNUTLS_PK_EDDSA_ED448:
		pk = GNUTLS_PK_EDDSA_ED448;
		bits = 456;
		slot = 3;
		break;
	default:
		pk = GNUTLS_PK_ECDSA;
		bits = GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1);
		slot = 0;
		break;
	}
	pthread_mutex_lock(&lint_key_lock);
	if (lint_keys[slot] == NULL) {
		if ((ret = gnutls_privkey_init(&k)) < 0 ||
		    (ret = gnutls_privkey_generate2(k, pk, bits, 0, NULL,
						    0)) < 0) {
			if (k != NULL)
				gnutls_privkey_deinit(k);
			pki__gnutls_error(err, ret, "generating the throwaway "
					  "lint key (gnutls_privkey_generate2)");
			goto out;
		}
		lint_keys[slot] = k;
	}
	ret = gnutls_x509_crt_privkey_sign(crt, issuer, lint_keys[slot],
					   pk == GNUTLS_PK_ECDSA ||
					   pk == GNUTLS_PK_RSA ?
					   GNUTLS_DIG_SHA256 : GNUTLS_DIG_UNKNOWN,
					   0);
	if (ret < 0) {
		pki__gnutls_error(err, ret, "signing the lint copy "
				  "(gnutls_x509_crt_privkey_sign)");
		goto out;
	}
	rc = PKI_OK;
out:
	pthread_mutex_unlock(&lint_key_lock);
	return rc;
}

static int
set_subject(gnutls_x509_crt_t crt, gnutls_x509_crq_t crq,
	    const struct pki_subject *s, int *empty, struct pki_error *err)
{
	const struct { const char *oid; const char *v; } f[] = {
		{ GNUTLS_OID_X520_COUNTRY_NAME, s->country },
		{ GNUTLS_OID_X520_STATE_OR_PROVINCE_NAME, s->state },
		{ GNUTLS_OID_X520_LOCALITY_NAME, s->locality },
		{ GNUTLS_OID_X520_ORGANIZATION_NAME, s->organization },
		{ GNUTLS_OID_X520_ORGANIZATIONAL_UNIT_NAME,
		  s->organizational_unit },
		{ GNUTLS_OID_X520_COMMON_NAME, s->common_name },
		{ "2.5.4.5", s->serial_number },
		{ GNUTLS_OID_PKCS9_EMAIL, s->email },
	};
	size_t i;
	int ret;

	*empty = 1;
	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		if (f[i].v == NULL || f[i].v[0] == '\0')
			continue;
		*empty = 0;
		ret = crt != NULL ?
		      gnutls_x509_crt_set_dn_by_oid(crt, f[i].oid, 0, f[i].v,
						    strlen(f[i].v)) :
		      gnutls_x509_crq_set_dn_by_oid(crq, f[i].oid, 0, f[i].v,
						    strlen(f[i].v));
		if (ret < 0)
			return pki_error_set(err, ret == GNUTLS_E_MEMORY_ERROR ?
					     PKI_E_NOMEM : PKI_E_INVALID,
					     "subject field %s '%s': %s",
					     f[i].oid, f[i].v,
					     gnutls_strerror(ret));
	}
	return PKI_OK;
}

static int
build_sans(const struct pki_cert_template *tpl, gnutls_subject_alt_names_t sans,
	   size_t *count, struct pki_error *err)
{
	const struct { const struct pki_strlist *l; unsigned type; } k[] = {
		{ &tpl->san_dns, GNUTLS_SAN_DNSNAME },
		{ &tpl->san_ip, GNUTLS_SAN_IPADDRESS },
		{ &tpl->san_email, GNUTLS_SAN_RFC822NAME },
		{ &tpl->san_uri, GNUTLS_SAN_URI },
	};
	struct pki_name_ip ip;
	gnutls_datum_t d;
	size_t i, j;
	int ret, rc;

	*count = 0;
	for (i = 0; i < sizeof(k) / sizeof(k[0]); i++) {
		for (j = 0; j < k[i].l->n; j++) {
			const char *v = k[i].l->v[j];

			if (k[i].type == GNUTLS_SAN_IPADDRESS) {
				if ((rc = pki_name_ip_parse(v, &ip, err)) !=
				    PKI_OK)
					return rc;
				d.data = ip.addr;
				d.size = (unsigned)ip.len;
			} else {
				d.data = (unsigned char *)v;
				d.size = (unsigned)strlen(v);
			}
			ret = gnutls_subject_alt_names_set(sans, k[i].type, &d,
							   NULL);
			if (ret < 0)
				return pki_error_set(err, PKI_E_INVALID,
						     "subjectAltName '%s': %s",
						     v, gnutls_strerror(ret));
			(*count)++;
		}
	}
	return PKI_OK;
}

static int
add_ext(gnutls_x509_crt_t crt, const char *oid, const char *name,
	const gnutls_datum_t *val, unsigned critical, struct pki_error *err)
{
	int ret = gnutls_x509_crt_set_extension_by_oid(crt, oid, val->data,
						       val->size, critical);

	if (ret < 0)
		return pki__gnutls_error(err, ret, name);
	return PKI_OK;
}

static int
nc_add(gnutls_x509_name_constraints_t nc, int permitted, unsigned type,
       const struct pki_strlist *l, struct pki_error *err)
{
	struct pki_name_cidr c;
	unsigned char b[32];
	gnutls_datum_t d;
	size_t i;
	int ret, rc;

	for (i = 0; i < l->n; i++) {
		if (type == GNUTLS_SAN_IPADDRESS) {
			if ((rc = pki_name_cidr_parse(l->v[i], 0, &c, err)) !=
			    PKI_OK)
				return rc;
			d.data = b;
			d.size = (unsigned)pki_name_cidr_netmask(&c, b);
		} else {
			d.data = (unsigned char *)l->v[i];
			d.size = (unsigned)strlen(l->v[i]);
		}
		ret = permitted ?
		      gnutls_x509_name_constraints_add_permitted(nc, type, &d) :
		      gnutls_x509_name_constraints_add_excluded(nc, type, &d);
		if (ret < 0)
			return pki_error_set(err, PKI_E_INVALID, "name constraint "
					     "'%s': %s", l->v[i],
					     gnutls_strerror(ret));
	}
	return PKI_OK;
}

/* basicConstraints (critical), keyUsage (critical) and extKeyUsage, from
 * the profile and the subject's key algorithm. */
static int
set_usage(gnutls_x509_crt_t crt, const struct pki_cert_template *tpl,
	  gnutls_pubkey_t subject_pub, struct pki_error *err)
{
	const struct pki_profile *p = tpl->profile;
	unsigned bits = 0;
	size_t i;
	int ret, pk;

	if ((ret = gnutls_x509_crt_set_basic_constraints(crt, p->is_ca ? 1 : 0,
			tpl->path_len >= 0 ? tpl->path_len : -1)) < 0)
		return pki__gnutls_error(err, ret, "basicConstraints");
	pk = gnutls_pubkey_get_pk_algorithm(subject_pub, &bits);
	if ((ret = gnutls_x509_crt_set_key_usage(crt,
			pki_profile_key_usage(tpl, pk))) < 0)
		return pki__gnutls_error(err, ret, "keyUsage");
	for (i = 0; p->eku != NULL && p->eku[i] != NULL; i++)
		if ((ret = gnutls_x509_crt_set_key_purpose_oid(crt, p->eku[i],
							       0)) < 0)
			return pki__gnutls_error(err, ret, "extKeyUsage");
	return PKI_OK;
}

/* subjectKeyIdentifier; authorityKeyIdentifier = the issuer's SKI (on a
 * self-signed root, issuer_crt NULL, its own SKI).  An issuer without an
 * SKI leaves the AKI out: the lint reports it. */
static int
set_key_ids(gnutls_x509_crt_t crt, gnutls_pubkey_t subject_pub,
	    gnutls_x509_crt_t issuer_crt, struct pki_error *err)
{
	unsigned char ski[PKI_KEY_IDENTIFIER_SIZE], aki[64];
	size_t aki_len = sizeof(aki);
	unsigned crit;
	int ret, rc;

	if ((rc = pki_profile_key_identifier(subject_pub, ski, err)) != PKI_OK)
		return rc;
	if ((ret = gnutls_x509_crt_set_subject_key_id(crt, ski,
						      sizeof(ski))) < 0)
		return pki__gnutls_error(err, ret, "subjectKeyIdentifier");
	if (issuer_crt == NULL) {
		memcpy(aki, ski, sizeof(ski));
		aki_len = sizeof(ski);
	} else if (gnutls_x509_crt_get_subject_key_id(issuer_crt, aki, &aki_len,
						      &crit) < 0) {
		aki_len = 0;    /* the lint reports the missing AKI */
	}
	if (aki_len > 0 &&
	    (ret = gnutls_x509_crt_set_authority_key_id(crt, aki, aki_len)) < 0)
		return pki__gnutls_error(err, ret, "authorityKeyIdentifier");
	return PKI_OK;
}

/* subjectAltName, when the template has names: critical when the subject
 * is empty. */
static int
set_san(gnutls_x509_crt_t crt, const struct pki_cert_template *tpl,
	int empty_subject, struct pki_error *err)
{
	gnutls_subject_alt_names_t sans = NULL;
	gnutls_datum_t der = { NULL, 0 };
	size_t nsans = 0;
	int ret, rc = PKI_E_CRYPTO;

	if ((ret = gnutls_subject_alt_names_init(&sans)) < 0) {
		rc = pki__gnutls_error(err, ret, "gnutls_subject_alt_names_init");
		goto out;
	}
	if ((rc = build_sans(tpl, sans, &nsans, err)) != PKI_OK)
		goto out;
	rc = PKI_E_CRYPTO;
	if (nsans > 0) {
		if ((ret = gnutls_x509_ext_export_subject_alt_names(sans,
								    &der)) < 0) {
			rc = pki__gnutls_error(err, ret, "subjectAltName");
			goto out;
		}
		if ((rc = add_ext(crt, "2.5.29.17", "subjectAltName", &der,
				  empty_subject, err)) != PKI_OK)
			goto out;
	}
	rc = PKI_OK;
out:
	gnutls_free(der.data);
	if (sans != NULL)
		gnutls_subject_alt_names_deinit(sans);
	return rc;
}

/* nameConstraints (critical), when the template has any; the lint
 * refuses them on non-CAs. */
static int
set_name_constraints(gnutls_x509_crt_t crt,
		     const struct pki_cert_template *tpl, struct pki_error *err)
{
	gnutls_x509_name_constraints_t nc = NULL;
	int ret, rc = PKI_E_CRYPTO;

	if (tpl->permitted_dns.n + tpl->excluded_dns.n + tpl->permitted_ip.n +
	    tpl->excluded_ip.n + tpl->permitted_email.n +
	    tpl->excluded_email.n == 0)
		return PKI_OK;
	if ((ret = gnutls_x509_name_constraints_init(&nc)) < 0) {
		rc = pki__gnutls_error(err, ret, "nameConstraints");
		goto out;
	}
	if ((rc = nc_add(nc, 1, GNUTLS_SAN_DNSNAME, &tpl->permitted_dns,
			 err)) != PKI_OK ||
	    (rc = nc_add(nc, 0, GNUTLS_SAN_DNSNAME, &tpl->excluded_dns,
			 err)) != PKI_OK ||
	    (rc = nc_add(nc, 1, GNUTLS_SAN_IPADDRESS, &tpl->permitted_ip,
			 err)) != PKI_OK ||
	    (rc = nc_add(nc, 0, GNUTLS_SAN_IPADDRESS, &tpl->excluded_ip,
			 err)) != PKI_OK ||
	    (rc = nc_add(nc, 1, GNUTLS_SAN_RFC822NAME,
			 &tpl->permitted_email, err)) != PKI_OK ||
	    (rc = nc_add(nc, 0, GNUTLS_SAN_RFC822NAME,
			 &tpl->excluded_email, err)) != PKI_OK)
		goto out;
	rc = PKI_E_CRYPTO;
	if ((ret = gnutls_x509_crt_set_name_constraints(crt, nc, 1)) < 0) {
		rc = pki__gnutls_error(err, ret, "nameConstraints");
		goto out;
	}
	rc = PKI_OK;
out:
	if (nc != NULL)
		gnutls_x509_name_constraints_deinit(nc);
	return rc;
}

/* certificatePolicies: one policy per OID of the template. */
static int
set_policies(gnutls_x509_crt_t crt, const struct pki_cert_template *tpl,
	     struct pki_error *err)
{
	size_t i;
	int ret;

	for (i = 0; i < tpl->policy_oids.n; i++) {
		struct gnutls_x509_policy_st pol;

		memset(&pol, 0, sizeof(pol));
		pol.oid = tpl->policy_oids.v[i];
		if ((ret = gnutls_x509_crt_set_policy(crt, &pol, 0)) < 0)
			return pki_error_set(err, PKI_E_INVALID, "policy OID "
					     "'%s': %s", pol.oid,
					     gnutls_strerror(ret));
	}
	return PKI_OK;
}

/* cRLDistributionPoints, when the template has CRL URLs. */
static int
set_crl_dist_points(gnutls_x509_crt_t crt,
		    const struct pki_cert_template *tpl, struct pki_error *err)
{
	gnutls_x509_crl_dist_points_t cdp = NULL;
	gnutls_datum_t der = { NULL, 0 }, d;
	size_t i;
	int ret, rc = PKI_E_CRYPTO;

	if (tpl->crl_urls.n == 0)
		return PKI_OK;
	if ((ret = gnutls_x509_crl_dist_points_init(&cdp)) < 0) {
		rc = pki__gnutls_error(err, ret, "cRLDistributionPoints");
		goto out;
	}
	for (i = 0; i < tpl->crl_urls.n; i++) {
		d.data = (unsigned char *)tpl->crl_urls.v[i];
		d.size = (unsigned)strlen(tpl->crl_urls.v[i]);
		if ((ret = gnutls_x509_crl_dist_points_set(cdp,
				GNUTLS_SAN_URI, &d, 0)) < 0) {
			rc = pki__gnutls_error(err, ret, "CRL URL");
			goto out;
		}
	}
	if ((ret = gnutls_x509_ext_export_crl_dist_points(cdp, &der)) < 0) {
		rc = pki__gnutls_error(err, ret, "cRLDistributionPoints");
		goto out;
	}
	if ((rc = add_ext(crt, "2.5.29.31", "cRLDistributionPoints", &der, 0,
			  err)) != PKI_OK)
		goto out;
	rc = PKI_OK;
out:
	gnutls_free(der.data);
	if (cdp != NULL)
		gnutls_x509_crl_dist_points_deinit(cdp);
	return rc;
}

/* freshestCRL (delta CRLs), when the template has delta CRL URLs: GnuTLS
 * 3.7 has no setter. */
static int
set_freshest_crl(gnutls_x509_crt_t crt, const struct pki_cert_template *tpl,
		 struct pki_error *err)
{
	gnutls_datum_t der = { NULL, 0 };
	int rc = PKI_OK;

	if (tpl->freshest_crl_urls.n > 0 &&
	    (rc = encode_freshest_crl(&tpl->freshest_crl_urls, &der,
				      err)) == PKI_OK)
		rc = add_ext(crt, "2.5.29.46", "freshestCRL", &der, 0, err);
	gnutls_free(der.data);
	return rc;
}

/* authorityInfoAccess, when the template has OCSP or caIssuers URLs: OCSP
 * first, then caIssuers. */
static int
set_aia(gnutls_x509_crt_t crt, const struct pki_cert_template *tpl,
	struct pki_error *err)
{
	gnutls_x509_aia_t aia = NULL;
	gnutls_datum_t der = { NULL, 0 }, d;
	size_t i;
	int ret, rc = PKI_E_CRYPTO;

	if (tpl->ocsp_urls.n + tpl->ca_issuers_urls.n == 0)
		return PKI_OK;
	if ((ret = gnutls_x509_aia_init(&aia)) < 0) {
		rc = pki__gnutls_error(err, ret, "authorityInfoAccess");
		goto out;
	}
	for (i = 0; i < tpl->ocsp_urls.n + tpl->ca_issuers_urls.n; i++) {
		int ocsp = i < tpl->ocsp_urls.n;
		const char *u = ocsp ? tpl->ocsp_urls.v[i] :
				tpl->ca_issuers_urls.v[i - tpl->ocsp_urls.n];

		d.data = (unsigned char *)u;
		d.size = (unsigned)strlen(u);
		if ((ret = gnutls_x509_aia_set(aia, ocsp ? GNUTLS_OID_AD_OCSP :
					       GNUTLS_OID_AD_CAISSUERS,
					       GNUTLS_SAN_URI, &d)) < 0) {
			rc = pki__gnutls_error(err, ret, "AIA URL");
			goto out;
		}
	}
	if ((ret = gnutls_x509_ext_export_aia(aia, &der)) < 0) {
		rc = pki__gnutls_error(err, ret, "authorityInfoAccess");
		goto out;
	}
	if ((rc = add_ext(crt, "1.3.6.1.5.5.7.1.1", "authorityInfoAccess",
			  &der, 0, err)) != PKI_OK)
		goto out;
	rc = PKI_OK;
out:
	gnutls_free(der.data);
	if (aia != NULL)
		gnutls_x509_aia_deinit(aia);
	return rc;
}

/* id-pkix-ocsp-nocheck, on OCSP responder certificates only. */
static int
set_ocsp_nocheck(gnutls_x509_crt_t crt, const struct pki_cert_template *tpl,
		 struct pki_error *err)
{
	gnutls_datum_t der = { NULL, 0 };
	int rc = PKI_OK;

	if (tpl->profile->id == PKI_PROFILE_OCSP_SIGNING &&
	    (rc = encode_ocsp_nocheck(&der, err)) == PKI_OK)
		rc = add_ext(crt, "1.3.6.1.5.5.7.48.1.5", "id-pkix-ocsp-nocheck",
			     &der, 0, err);
	gnutls_free(der.data);
	return rc;
}

/* Build the to-be-signed certificate (not yet signed). */
static int
build_crt(const struct pki_cert_template *tpl, gnutls_pubkey_t subject_pub,
	  gnutls_x509_crt_t issuer_crt, gnutls_x509_crt_t *out,
	  struct pki_error *err)
{
	gnutls_x509_crt_t crt = NULL;
	int ret, rc = PKI_E_CRYPTO, empty = 1;

	*out = NULL;
	if ((ret = gnutls_x509_crt_init(&crt)) < 0) {
		rc = pki__gnutls_error(err, ret, "gnutls_x509_crt_init");
		goto out;
	}
	if ((ret = gnutls_x509_crt_set_version(crt, 3)) < 0 ||
	    (ret = gnutls_x509_crt_set_serial(crt, tpl->serial,
					      tpl->serial_len)) < 0 ||
	    (ret = gnutls_x509_crt_set_activation_time(crt,
						(time_t)tpl->not_before)) < 0 ||
	    (ret = gnutls_x509_crt_set_expiration_time(crt,
						(time_t)tpl->not_after)) < 0 ||
	    (ret = gnutls_x509_crt_set_pubkey(crt, subject_pub)) < 0) {
		rc = pki__gnutls_error(err, ret, "setting version, serial, "
				       "validity or public key");
		goto out;
	}
	if ((rc = set_subject(crt, NULL, &tpl->subject, &empty, err)) != PKI_OK ||
	    (rc = set_usage(crt, tpl, subject_pub, err)) != PKI_OK ||
	    (rc = set_key_ids(crt, subject_pub, issuer_crt, err)) != PKI_OK ||
	    (rc = set_san(crt, tpl, empty, err)) != PKI_OK ||
	    (rc = set_name_constraints(crt, tpl, err)) != PKI_OK ||
	    (rc = set_policies(crt, tpl, err)) != PKI_OK ||
	    (rc = set_crl_dist_points(crt, tpl, err)) != PKI_OK ||
	    (rc = set_freshest_crl(crt, tpl, err)) != PKI_OK ||
	    (rc = set_aia(crt, tpl, err)) != PKI_OK ||
	    (rc = set_ocsp_nocheck(crt, tpl, err)) != PKI_OK)
		goto out;
	*out = crt;
	crt = NULL;
	rc = PKI_OK;
out:
	gnutls_x509_crt_deinit(crt);
	return rc;
}

static int
import_der(const gnutls_datum_t *der, gnutls_x509_crt_t *out,
	   struct pki_error *err)
{
	int ret;

	*out = NULL;
	if ((ret = gnutls_x509_crt_init(out)) < 0)
		return pki__gnutls_error(err, ret, "gnutls_x509_crt_init");
	if ((ret = gnutls_x509_crt_import(*out, der, GNUTLS_X509_FMT_DER)) < 0) {
		gnutls_x509_crt_deinit(*out);
		*out = NULL;
		return pki__gnutls_error(err, ret, "re-parsing the certificate");
	}
	return PKI_OK;
}

/* Verify the signature of der over its to-be-signed bytes with pub. */
static int
verify_signature(const gnutls_datum_t *der, gnutls_x509_crt_t crt,
		 gnutls_pubkey_t pub, struct pki_error *err)
{
	char errbuf[ASN1_MAX_ERROR_DESCRIPTION_SIZE] = "";
	asn1_node node = NULL;
	gnutls_datum_t tbs, sig = { NULL, 0 };
	size_t siglen = 0;
	int start, end, len, ret, algo, rc;

	if ((rc = asn1_new("PKIX-SPORK.SignedData", &node, err)) != PKI_OK)
		return rc;
	rc = PKI_E_CRYPTO;
	len = (int)der->size;
	if ((ret = asn1_der_decoding2(&node, der->data, &len,
				      ASN1_DECODE_FLAG_STRICT_DER, errbuf)) !=
	    ASN1_SUCCESS ||
	    (ret = asn1_der_decoding_startEnd(node, der->data, (int)der->size,
					      "tbs", &start, &end)) !=
	    ASN1_SUCCESS) {
		pki_error_set(err, rc, "the signed certificate does not decode: "
			      "%s", errbuf[0] ? errbuf : asn1_strerror(ret));
		goto out;
	}
	tbs.data = der->data + start;
	tbs.size = (unsigned)(end - start + 1);
	ret = gnutls_x509_crt_get_signature(crt, NULL, &siglen);
	if (ret != GNUTLS_E_SHORT_MEMORY_BUFFER ||
	    (sig.data = gnutls_malloc(siglen)) == NULL ||
	    (ret = gnutls_x509_crt_get_signature(crt, (char *)sig.data,
						 &siglen)) < 0) {
		pki_error_set(err, rc, "reading the certificate signature: %s",
			      gnutls_strerror(ret));
		goto out;
	}
	sig.size = (unsigned)siglen;
	algo = gnutls_x509_crt_get_signature_algorithm(crt);
	if ((ret = gnutls_pubkey_verify_data2(pub, algo, 0, &tbs, &sig)) < 0) {
		pki_error_set(err, rc, "the new certificate's signature does not "
			      "verify with the issuer's public key (%s); nothing "
			      "was issued", gnutls_strerror(ret));
		goto out;
	}
	rc = PKI_OK;
out:
	gnutls_free(sig.data);
	asn1_delete_structure(&node);
	return rc;
}

/* A 128-bit random positive serial: 16 random octets (the first never
 * zero, so the DER stays 16 octets), 0x00 in front when the top bit is
 * set. */
int
pki__issue_draw_serial(struct pki_cert_template *tpl, struct pki_error *err)
{
	unsigned char r[16];
	int rc, tries;

	for (tries = 0; tries < 16; tries++) {
		if ((rc = pki__random(r, sizeof(r), err)) != PKI_OK)
			return rc;
		if (r[0] != 0)
			break;
	}
	if (r[0] == 0)
		return pki_error_set(err, PKI_E_CRYPTO, "the random generator "
				     "keeps returning zero octets");
	if (r[0] & 0x80) {
		tpl->serial[0] = 0;
		memcpy(tpl->serial + 1, r, sizeof(r));
		tpl->serial_len = sizeof(r) + 1;
	} else {
		memcpy(tpl->serial, r, sizeof(r));
		tpl->serial_len = sizeof(r);
	}
	return PKI_OK;
}

int
pki_issue_sign(struct pki_cert_template *tpl, gnutls_pubkey_t subject_pub,
	       gnutls_x509_crt_t issuer_crt, gnutls_privkey_t issuer_key,
	       gnutls_datum_t *der, struct pki_error *err)
{
	gnutls_x509_crt_t crt = NULL, check = NULL;
	gnutls_pubkey_t ipub = NULL, icrt_pub = NULL;
	gnutls_datum_t tmp = { NULL, 0 }, out = { NULL, 0 };
	int ret, rc = PKI_E_INVALID;

	if (der != NULL) {
		der->data = NULL;
		der->size = 0;
	}
	if (tpl == NULL || tpl->profile == NULL || subject_pub == NULL ||
	    issuer_key == NULL || der == NULL)
		return pki_error_set(err, rc, "pki_issue_sign: missing template, "
				     "profile, public key or issuer key");
	if (tpl->not_before == 0 || tpl->not_after == 0)
		return pki_error_set(err, rc, "pki_issue_sign: the validity "
				     "period is not set");
	if (tpl->serial_len > sizeof(tpl->serial))
		return pki_error_set(err, rc, "pki_issue_sign: serial longer "
				     "than 20 octets");
	if ((rc = pki_profile_check_key(subject_pub, err)) != PKI_OK)
		goto out;

	/* the issuer key must be the key of the issuer certificate (or, for
	 * a self-signed certificate, the subject key) */
	if ((rc = pki_issue_pubkey_from_privkey(issuer_key, &ipub, err)) !=
	    PKI_OK)
		goto out;
	if (issuer_crt != NULL) {
		if ((ret = gnutls_pubkey_init(&icrt_pub)) < 0 ||
		    (ret = gnutls_pubkey_import_x509(icrt_pub, issuer_crt,
						     0)) < 0) {
			rc = pki__gnutls_error(err, ret, "issuer public key");
			goto out;
		}
		if (!same_key(ipub, icrt_pub)) {
			rc = pki_error_set(err, PKI_E_INVALID, "the issuer key "
					   "does not belong to the issuer "
					   "certificate");
			goto out;
		}
	} else if (!same_key(ipub, subject_pub)) {
		rc = pki_error_set(err, PKI_E_INVALID, "a self-signed "
				   "certificate must be signed by its own key, "
				   "but the signing key differs from the "
				   "subject key");
		goto out;
	}
	if (tpl->serial_len == 0 && (rc = pki__issue_draw_serial(tpl, err)) != PKI_OK)
		goto out;

	if ((rc = build_crt(tpl, subject_pub, issuer_crt, &crt, err)) != PKI_OK)
		goto out;

	/* lint a copy signed with the throwaway key, as re-parsed DER */
	if ((rc = sign_with_lint_key(crt, issuer_crt ? issuer_crt : crt,
				     issuer_key, err)) != PKI_OK)
		goto out;
	if ((ret = gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_DER, &tmp)) < 0) {
		rc = pki__gnutls_error(err, ret, "exporting the lint copy");
		goto out;
	}
	if ((rc = import_der(&tmp, &check, err)) != PKI_OK ||
	    (rc = pki_profile_lint(tpl, check, issuer_crt, err)) != PKI_OK)
		goto out;
	gnutls_x509_crt_deinit(check);
	check = NULL;

	/* the real signature */
	ret = gnutls_x509_crt_privkey_sign(crt, issuer_crt ? issuer_crt : crt,
					   issuer_key,
					   pki_issue_digest_for(issuer_key), 0);
	if (ret < 0) {
		rc = pki__gnutls_error(err, ret, "signing the certificate "
				       "(gnutls_x509_crt_privkey_sign)");
		goto out;
	}
	if ((ret = gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_DER, &out)) < 0) {
		rc = pki__gnutls_error(err, ret, "exporting the certificate");
		goto out;
	}

	/* verify and re-parse what will be returned */
	if ((rc = import_der(&out, &check, err)) != PKI_OK ||
	    (rc = verify_signature(&out, check, ipub, err)) != PKI_OK)
		goto out;
	if ((rc = pki_profile_lint(tpl, check, issuer_crt, err)) != PKI_OK) {
		pki_error_prefix(err, "after signing");
		goto out;
	}
	*der = out;
	out.data = NULL;
	rc = PKI_OK;
out:
	gnutls_free(out.data);
	gnutls_free(tmp.data);
	gnutls_x509_crt_deinit(check);
	gnutls_x509_crt_deinit(crt);
	gnutls_pubkey_deinit(icrt_pub);
	gnutls_pubkey_deinit(ipub);
	return rc;
}

/* ---------------------------------------------------------------- CSRs */

int
pki_issue_make_csr(const struct pki_cert_template *tpl, gnutls_privkey_t key,
		   gnutls_datum_t *der, struct pki_error *err)
{
	gnutls_x509_crq_t crq = NULL;
	gnutls_pubkey_t pub = NULL;
	struct pki_name_ip ip;
	gnutls_datum_t d;
	size_t i, j;
	unsigned bits = 0;
	int ret, rc = PKI_E_INVALID, empty, pk;

	if (der != NULL) {
		der->data = NULL;
		der->size = 0;
	}
	if (tpl == NULL || tpl->profile == NULL || key == NULL || der == NULL)
		return pki_error_set(err, rc, "pki_issue_make_csr: missing "
				     "template, profile or key");
	if ((rc = pki_issue_pubkey_from_privkey(key, &pub, err)) != PKI_OK)
		goto out;
	rc = PKI_E_CRYPTO;
	if ((ret = gnutls_x509_crq_init(&crq)) < 0 ||
	    (ret = gnutls_x509_crq_set_version(crq, 1)) < 0 ||
	    (ret = gnutls_x509_crq_set_pubkey(crq, pub)) < 0) {
		rc = pki__gnutls_error(err, ret, "building the request");
		goto out;
	}
	if ((rc = set_subject(NULL, crq, &tpl->subject, &empty, err)) != PKI_OK)
		goto out;
	rc = PKI_E_CRYPTO;
	pk = gnutls_pubkey_get_pk_algorithm(pub, &bits);
	if ((ret = gnutls_x509_crq_set_basic_constraints(crq,
			tpl->profile->is_ca ? 1 : 0,
			tpl->profile->is_ca && tpl->path_len >= 0 ?
			tpl->path_len : -1)) < 0 ||
	    (ret = gnutls_x509_crq_set_key_usage(crq,
			pki_profile_key_usage(tpl, pk))) < 0) {
		rc = pki__gnutls_error(err, ret, "request extensions");
		goto out;
	}
	for (i = 0; tpl->profile->eku != NULL && tpl->profile->eku[i]; i++)
		if ((ret = gnutls_x509_crq_set_key_purpose_oid(crq,
				tpl->profile->eku[i], 0)) < 0) {
			rc = pki__gnutls_error(err, ret, "request extKeyUsage");
			goto out;
		}
	{
		const struct { const struct pki_strlist *l; unsigned t; } k[] = {
			{ &tpl->san_dns, GNUTLS_SAN_DNSNAME },
			{ &tpl->san_ip, GNUTLS_SAN_IPADDRESS },
			{ &tpl->san_email, GNUTLS_SAN_RFC822NAME },
			{ &tpl->san_uri, GNUTLS_SAN_URI },
		};

		for (i = 0; i < sizeof(k) / sizeof(k[0]); i++)
			for (j = 0; j < k[i].l->n; j++) {
				d.data = (unsigned char *)k[i].l->v[j];
				d.size = (unsigned)strlen(k[i].l->v[j]);
				if (k[i].t == GNUTLS_SAN_IPADDRESS) {
					if ((rc = pki_name_ip_parse(k[i].l->v[j],
								    &ip, err)) !=
					    PKI_OK)
						goto out;
					rc = PKI_E_CRYPTO;
					d.data = ip.addr;
					d.size = (unsigned)ip.len;
				}
				ret = gnutls_x509_crq_set_subject_alt_name(crq,
					k[i].t, d.data, d.size,
					GNUTLS_FSAN_APPEND);
				if (ret < 0) {
					rc = pki__gnutls_error(err, ret,
						"request subjectAltName");
					goto out;
				}
			}
	}
	if ((ret = gnutls_x509_crq_privkey_sign(crq, key,
						pki_issue_digest_for(key),
						0)) < 0) {
		rc = pki__gnutls_error(err, ret, "signing the request "
				       "(gnutls_x509_crq_privkey_sign)");
		goto out;
	}
	if ((ret = gnutls_x509_crq_export2(crq, GNUTLS_X509_FMT_DER, der)) < 0) {
		rc = pki__gnutls_error(err, ret, "exporting the request");
		goto out;
	}
	rc = PKI_OK;
out:
	gnutls_pubkey_deinit(pub);
	gnutls_x509_crq_deinit(crq);
	return rc;
}

/* ------------------------------------------------------- certificates */

int
pki_cert_parse(const gnutls_datum_t *in, gnutls_x509_crt_t *crt,
	       struct pki_error *err)
{
	gnutls_x509_crt_t c = NULL;
	int ret, rc = PKI_E_PARSE;

	if (crt != NULL)
		*crt = NULL;
	if (in == NULL || crt == NULL || in->data == NULL || in->size == 0)
		return pki_error_set(err, rc, "the certificate is empty");
	if (in->size > CERT_MAX)
		return pki_error_set(err, PKI_E_INVALID, "the certificate is %u "
				     "bytes; the limit is 256 KiB", in->size);
	if ((ret = gnutls_x509_crt_init(&c)) < 0)
		return pki__gnutls_error(err, ret, "gnutls_x509_crt_init");
	ret = gnutls_x509_crt_import(c, in, pki__is_pem(in) ? GNUTLS_X509_FMT_PEM :
				     GNUTLS_X509_FMT_DER);
	if (ret < 0) {
		gnutls_x509_crt_deinit(c);
		return pki_error_set(err, rc, "not an X.509 certificate in PEM "
				     "or DER (%s)", gnutls_strerror(ret));
	}
	*crt = c;
	return PKI_OK;
}

int
pki_cert_serial_hex(gnutls_x509_crt_t crt, char *out, size_t outlen,
		    struct pki_error *err)
{
	unsigned char s[64];
	size_t n = sizeof(s), i;
	int ret;

	if (crt == NULL || out == NULL || outlen == 0)
		return pki_error_set(err, PKI_E_INVALID, "pki_cert_serial_hex: "
				     "no certificate or buffer");
	out[0] = '\0';
	if ((ret = gnutls_x509_crt_get_serial(crt, s, &n)) < 0)
		return pki__gnutls_error(err, ret, "gnutls_x509_crt_get_serial");
	if (n == 0)
		return pki_error_set(err, PKI_E_PARSE, "the certificate has an "
				     "empty serial number");
	for (i = 0; i + 1 < n && s[i] == 0; i++)
		;
	if ((n - i) * 2 + 1 > outlen)
		return pki_error_set(err, PKI_E_INVALID, "pki_cert_serial_hex: "
				     "buffer too small");
	pki__hex(s + i, n - i, out);
	for (; *out != '\0'; out++)
		if (*out >= 'a' && *out <= 'f')
			*out = (char)(*out - 'a' + 'A');
	return PKI_OK;
}
