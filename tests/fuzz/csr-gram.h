/*
 * csr-gram: PKCS#10 requests built from a small grammar, signed with a
 * given key, for the fuzz target fuzz-csr (which draws the grammar's
 * choices from its input) and for tests/csr-make (which writes the
 * malformed requests the CLI tests refuse).  A request here is a subject
 * of single-attribute RDNs, and extensionRequest attributes each holding
 * one or more copies of one list of extensions; everything else is
 * well formed, so what a checker sees is what the grammar chose.
 */
#ifndef SPORK_TESTS_CSR_GRAM_H
#define SPORK_TESTS_CSR_GRAM_H

#include <stddef.h>

#include <gnutls/gnutls.h>
#include <gnutls/abstract.h>

#define CSRG_MAX 8

/* A growing DER buffer; oom set when an allocation failed. */
struct csrg_buf {
	unsigned char *p;
	size_t n, cap;
	int oom;
};

struct csrg_rdn {
	const char *oid;
	unsigned char tag;              /* 0x0c UTF8String, 0x13 Printable... */
	const unsigned char *v;
	size_t len;
};

struct csrg_ext {
	const char *oid;
	int critical;
	const unsigned char *v;         /* the extnValue's contents (DER) */
	size_t len;
};

struct csrg {
	struct csrg_rdn rdn[CSRG_MAX];
	size_t nrdn;
	unsigned nattr;                 /* extensionRequest attributes */
	unsigned nvalues;               /* copies of the list in each */
	struct csrg_ext ext[CSRG_MAX];
	size_t next;
};

/* Append raw bytes / one TLV / an OBJECT IDENTIFIER in dotted form. */
void csrg_put(struct csrg_buf *b, const void *p, size_t n);
void csrg_tlv(struct csrg_buf *b, unsigned char tag, const void *p, size_t n);
void csrg_oid(struct csrg_buf *b, const char *dotted);
void csrg_free(struct csrg_buf *b);

/* Append one GeneralName ([tag] implicit, tag 0x80 | n for primitive
 * ones) to b, the contents of a GeneralNames being built. */
void csrg_name(struct csrg_buf *b, unsigned char tag, const void *v,
	       size_t len);

/* The DER of the request g describes, signed with key (ECDSA P-256 with
 * SHA-256) into out (caller gnutls_free()s out->data).  0 or -1. */
int csrg_build(const struct csrg *g, gnutls_privkey_t key,
	       gnutls_datum_t *out);

#endif
