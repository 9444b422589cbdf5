/* der: libtasn1 writing helpers for the CRL and OCSP encoders (der.h). */
#include <config.h>

#include <limits.h>
#include <string.h>

#include "der.h"

int
pki__der_put(asn1_node node, const char *name, const void *value, size_t len,
	     struct pki_error *err)
{
	int r;

	if (len > INT_MAX)
		return pki_error_set(err, PKI_E_INVALID, "%s: value too long",
				     name);
	if ((r = asn1_write_value(node, name, value, (int)len)) != ASN1_SUCCESS)
		return pki_error_set(err, r == ASN1_MEM_ALLOC_ERROR ?
				     PKI_E_NOMEM : PKI_E_FAIL,
				     "asn1_write_value(%s): %s", name,
				     asn1_strerror(r));
	return PKI_OK;
}

/* der.h */
int
pki__der_encode(asn1_node node, const char *what, gnutls_datum_t *out,
		struct pki_error *err)
{
	char msg[ASN1_MAX_ERROR_DESCRIPTION_SIZE];
	int len = 0, r;

	out->data = NULL;
	out->size = 0;
	r = asn1_der_coding(node, "", NULL, &len, msg);
	if (r != ASN1_MEM_ERROR)
		return pki_error_set(err, PKI_E_FAIL, "asn1_der_coding(%s): %s: %s",
				     what, asn1_strerror(r), msg);
	if ((out->data = gnutls_malloc(len > 0 ? (size_t)len : 1)) == NULL)
		return pki_error_set(err, PKI_E_NOMEM, "out of memory encoding %s",
				     what);
	if ((r = asn1_der_coding(node, "", out->data, &len, msg)) != ASN1_SUCCESS) {
		gnutls_free(out->data);
		out->data = NULL;
		return pki_error_set(err, PKI_E_FAIL, "asn1_der_coding(%s): %s: %s",
				     what, asn1_strerror(r), msg);
	}
	out->size = (unsigned)len;
	return PKI_OK;
}

/* Civil date from days since 1970-01-01 (proleptic Gregorian). */
static void
civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t era, yr;
	unsigned doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	yr = (int64_t)yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = yr + (*m <= 2);
}

/* Seconds since the epoch of 0001-01-01 and of 10000-01-01. */
#define TIME_MIN (-62135596800LL)
#define TIME_END (253402300800LL)

/* der.h */
int
pki__der_time(int64_t t, int utc_allowed, char buf[16], int *utc)
{
	int64_t days, secs, y;
	unsigned m, d, hh, mm, ss;
	static const char digits[] = "0123456789";
	char *p = buf;
	int i;
	unsigned v[5];

	if (t < TIME_MIN || t >= TIME_END)
		return -1;
	days = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
	secs = t - days * 86400;
	civil_from_days(days, &y, &m, &d);
	hh = (unsigned)(secs / 3600);
	mm = (unsigned)(secs / 60 % 60);
	ss = (unsigned)(secs % 60);
	*utc = utc_allowed && y >= 1950 && y <= 2049;
	if (!*utc) {
		*p++ = digits[y / 1000];
		*p++ = digits[y / 100 % 10];
	}
	*p++ = digits[y / 10 % 10];
	*p++ = digits[y % 10];
	v[0] = m;
	v[1] = d;
	v[2] = hh;
	v[3] = mm;
	v[4] = ss;
	for (i = 0; i < 5; i++) {
		*p++ = digits[v[i] / 10];
		*p++ = digits[v[i] % 10];
	}
	*p++ = 'Z';
	*p = '\0';
	return 0;
}

