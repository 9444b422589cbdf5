/* csr-gram: see csr-gram.h. */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csr-gram.h"

void
csrg_put(struct csrg_buf *b, const void *p, size_t n)
{
	unsigned char *np;

	if (b->oom || n == 0)
		return;
	if (b->n + n > b->cap) {
		size_t cap = (b->n + n) * 2 + 64;

		if ((np = realloc(b->p, cap)) == NULL) {
			b->oom = 1;
			return;
		}
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->n, p, n);
	b->n += n;
}

void
csrg_tlv(struct csrg_buf *b, unsigned char tag, const void *p, size_t n)
{
	unsigned char h[6];
	size_t k = 0;

	h[k++] = tag;
	if (n < 0x80) {
		h[k++] = (unsigned char)n;
	} else if (n < 0x100) {
		h[k++] = 0x81;
		h[k++] = (unsigned char)n;
	} else if (n < 0x10000) {
		h[k++] = 0x82;
		h[k++] = (unsigned char)(n >> 8);
		h[k++] = (unsigned char)n;
	} else {
		h[k++] = 0x83;
		h[k++] = (unsigned char)(n >> 16);
		h[k++] = (unsigned char)(n >> 8);
		h[k++] = (unsigned char)n;
	}
	csrg_put(b, h, k);
	csrg_put(b, p, n);
}

void
csrg_oid(struct csrg_buf *b, const char *dotted)
{
	unsigned char c[64], t[8];
	unsigned long arc[32];
	size_t n = 0, k = 0, i;
	const char *s = dotted;
	char *end;

	while (*s != '\0' && n < 32) {
		arc[n++] = strtoul(s, &end, 10);
		s = *end == '.' ? end + 1 : end;
		if (end == s && *end != '\0')
			break;
	}
	if (n < 2) {
		b->oom = 1;
		return;
	}
	arc[1] += arc[0] * 40;
	for (i = 1; i < n && k + 8 < sizeof(c); i++) {
		size_t m = 0;
		unsigned long v = arc[i];

		do {
			t[m++] = (unsigned char)(v & 0x7f);
			v >>= 7;
		} while (v != 0);
		while (m > 0) {
			m--;
			c[k++] = (unsigned char)(t[m] | (m ? 0x80 : 0));
		}
	}
	csrg_tlv(b, 0x06, c, k);
}

void
csrg_free(struct csrg_buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

void
csrg_name(struct csrg_buf *b, unsigned char tag, const void *v, size_t len)
{
	csrg_tlv(b, tag, v, len);
}

/* Name: one SET { SEQUENCE { type, value } } per RDN. */
static void
build_name(const struct csrg *g, struct csrg_buf *out)
{
	struct csrg_buf name = { 0 }, set = { 0 }, atv = { 0 };
	size_t i;

	for (i = 0; i < g->nrdn && i < CSRG_MAX; i++) {
		atv.n = set.n = 0;
		csrg_oid(&atv, g->rdn[i].oid);
		csrg_tlv(&atv, g->rdn[i].tag, g->rdn[i].v, g->rdn[i].len);
		csrg_tlv(&set, 0x30, atv.p, atv.n);
		csrg_tlv(&name, 0x31, set.p, set.n);
	}
	csrg_tlv(out, 0x30, name.p, name.n);
	out->oom |= name.oom | set.oom | atv.oom;
	csrg_free(&name);
	csrg_free(&set);
	csrg_free(&atv);
}

/* [0] { extensionRequest attributes }. */
static void
build_attrs(const struct csrg *g, struct csrg_buf *out)
{
	static const unsigned char yes[] = { 0x01, 0x01, 0xff };
	struct csrg_buf exts = { 0 }, one = { 0 }, list = { 0 }, vals = { 0 },
			attr = { 0 }, attrs = { 0 };
	size_t i;

	for (i = 0; i < g->next && i < CSRG_MAX; i++) {
		one.n = 0;
		csrg_oid(&one, g->ext[i].oid);
		if (g->ext[i].critical)
			csrg_put(&one, yes, sizeof(yes));
		csrg_tlv(&one, 0x04, g->ext[i].v, g->ext[i].len);
		csrg_tlv(&exts, 0x30, one.p, one.n);
	}
	csrg_tlv(&list, 0x30, exts.p, exts.n);
	for (i = 0; i < g->nvalues; i++)
		csrg_put(&vals, list.p, list.n);
	csrg_oid(&attr, "1.2.840.113549.1.9.14");
	csrg_tlv(&attr, 0x31, vals.p, vals.n);
	vals.n = 0;
	for (i = 0; i < g->nattr; i++)
		csrg_tlv(&attrs, 0x30, attr.p, attr.n);
	csrg_tlv(out, 0xa0, attrs.p, attrs.n);
	out->oom |= exts.oom | one.oom | list.oom | vals.oom | attr.oom |
		    attrs.oom;
	csrg_free(&exts);
	csrg_free(&one);
	csrg_free(&list);
	csrg_free(&vals);
	csrg_free(&attr);
	csrg_free(&attrs);
}

int
csrg_build(const struct csrg *g, gnutls_privkey_t key, gnutls_datum_t *out)
{
	static const unsigned char v0[] = { 0x02, 0x01, 0x00 };
	struct csrg_buf body = { 0 }, tbs = { 0 }, alg = { 0 }, all = { 0 },
			bits = { 0 }, csr = { 0 };
	gnutls_pubkey_t pub = NULL;
	gnutls_datum_t spki = { NULL, 0 }, sig = { NULL, 0 }, d;
	int rc = -1;

	out->data = NULL;
	out->size = 0;
	if (gnutls_pubkey_init(&pub) < 0 ||
	    gnutls_pubkey_import_privkey(pub, key, 0, 0) < 0 ||
	    gnutls_pubkey_export2(pub, GNUTLS_X509_FMT_DER, &spki) < 0)
		goto out;
	csrg_put(&body, v0, sizeof(v0));
	build_name(g, &body);
	csrg_put(&body, spki.data, spki.size);
	build_attrs(g, &body);
	csrg_tlv(&tbs, 0x30, body.p, body.n);
	if (tbs.oom || body.oom)
		goto out;
	d.data = tbs.p;
	d.size = (unsigned)tbs.n;
	if (gnutls_privkey_sign_data2(key, GNUTLS_SIGN_ECDSA_SHA256, 0, &d,
				      &sig) < 0)
		goto out;
	csrg_oid(&alg, "1.2.840.10045.4.3.2");
	csrg_put(&bits, "", 1);
	csrg_put(&bits, sig.data, sig.size);
	csrg_put(&all, tbs.p, tbs.n);
	csrg_tlv(&all, 0x30, alg.p, alg.n);
	csrg_tlv(&all, 0x03, bits.p, bits.n);
	csrg_tlv(&csr, 0x30, all.p, all.n);
	if (csr.oom || all.oom || alg.oom || bits.oom ||
	    (out->data = gnutls_malloc(csr.n)) == NULL)
		goto out;
	memcpy(out->data, csr.p, csr.n);
	out->size = (unsigned)csr.n;
	rc = 0;
out:
	csrg_free(&body);
	csrg_free(&tbs);
	csrg_free(&alg);
	csrg_free(&all);
	csrg_free(&bits);
	csrg_free(&csr);
	gnutls_free(spki.data);
	gnutls_free(sig.data);
	gnutls_pubkey_deinit(pub);
	return rc;
}
