/*
 * hierarchy-int: what hierarchy-load.c (hierarchy.toml -> plan),
 * hierarchy.c (diff, build) and hierarchy-import.c (PKCS#12 import,
 * import-cert) share; internal to libpki.
 */
#ifndef PKI_HIERARCHY_INT_H
#define PKI_HIERARCHY_INT_H

#include <stdint.h>

#include <gnutls/abstract.h>
#include <gnutls/x509.h>
#include <jansson.h>

#include <spork/hierarchy.h>
#include <spork/profile.h>

/* The notAfter of node n issued at not_before: validity_years whole
 * calendar years later (Feb 29 becomes Feb 28), else validity_days. */
int64_t pki__hier_node_not_after(const struct pki_hier_node *n,
				 int64_t not_before);

/* Fill n->spec_json and n->spec_hash, the canonical definition of node
 * n of p (no dates; not default_for or CRL lifetimes).  -1 when out of
 * memory. */
int pki__hier_node_spec(const struct pki_hier_plan *p,
			struct pki_hier_node *n);

/* Number of CA levels below node i of p (0 for a leaf CA). */
unsigned pki__hier_depth_below(const struct pki_hier_plan *p, size_t i);

/* A new JSON array of l's strings, in order; NULL when out of memory. */
json_t *pki__hier_strlist_json(const struct pki_strlist *l);

/*
 * 1 if two CA names would share a file under <state>/ca/: the same slug,
 * or one's slug is the other's plus a suffix spork adds to a CA's file
 * names ("-chain.pem", "-delta.crl").  0 also when out of memory.
 */
int pki__hier_files_collide(const char *a, const char *b);

/* ---- shared by hierarchy.c and hierarchy-import.c */

/* One pki_hier_build run (or, for publishing, a part of one). */
struct pki__hier_builder {
	const struct pki_hier_plan *plan;
	struct pki_state *state;
	struct pki_store *st;
	struct pki_keystore *ks;
	struct pki_hier_status *status;
	struct pki_hier_result *res;
	gnutls_privkey_t *keys;     /* loaded or created, per node */
	gnutls_x509_crt_t *crts;
	gnutls_datum_t *ders;       /* certificate DER per node */
	int64_t now;
	unsigned flags;             /* PKI_HIER_FORCE ... */
	int (*on_record)(void *ctx, const struct pki_ca_record *rec,
			 struct pki_error *err);
	void *on_record_ctx;
};

/* Write <slug>.pem and <slug>-chain.pem of node i (its certificate, its
 * ancestors', then the nextra certificates of extra). */
int pki__hier_write_ca_files(struct pki__hier_builder *B, size_t i,
			     const gnutls_datum_t *extra, size_t nextra,
			     struct pki_error *err) PKI_WUR;

/* Fill rec's certificate-derived fields from crt/der. */
int pki__hier_rec_from_cert(struct pki_ca_record *rec, gnutls_x509_crt_t crt,
			    const gnutls_datum_t *der,
			    struct pki_error *err) PKI_WUR;

/* One transaction: the CA row and its audit row (action); extra, when
 * not NULL, is a JSON object whose members join the audit detail. */
int pki__hier_record_ca(struct pki__hier_builder *B,
			struct pki_ca_record *rec, const char *action,
			json_t *extra, struct pki_error *err) PKI_WUR;

/* A record of node n; takes key_uri (also on failure). */
int pki__hier_init_record(struct pki_ca_record *rec,
			  const struct pki_hier_node *n, int64_t parent_id,
			  const char *mode, const char *alg, char *key_uri,
			  struct pki_error *err) PKI_WUR;

/* The key URI as recorded (a PKCS#11 pin-value removed); takes uri,
 * *made gets a copy for pki__hier_discard_key.  NULL when out of
 * memory. */
char *pki__hier_key_uri(char *uri, char **made);

/* Delete the sealed key *made unless recorded; frees *made. */
void pki__hier_discard_key(struct pki__hier_builder *B, char **made,
			   int recorded);

/*
 * Take the state directory's build lock (<state>/build.lock, flock),
 * waiting for another build or certificate import to finish; *fd holds
 * it until closed.  pki_hier_build cleans up under it what a killed
 * build left, which must then not be a running build's work.
 */
int pki__hier_lock(struct pki_state *state, int *fd,
		   struct pki_error *err) PKI_WUR;

/* Build node i, the [import] CA, from its PKCS#12 file
 * (hierarchy-import.c). */
int pki__hier_build_import(struct pki__hier_builder *B, size_t i,
			   struct pki_error *err) PKI_WUR;

/*
 * After a build (hierarchy-roles.c), in one transaction: every built
 * node's CRL lifetimes, and the default CA of each profile a node is
 * default_for: the node, or the newest successor a rotation made of
 * it, so that a build never undoes a rotation.  A default that moves
 * gets a "pki.default" audit row.
 */
int pki__hier_apply_roles(struct pki__hier_builder *B,
			  struct pki_error *err) PKI_WUR;

/* pki_hier_build, and for pki_hier_rotate, with on_record (may be
 * NULL) run inside the transaction that records each new CA, after its
 * row is inserted: a failure there undoes the CA. */
int pki__hier_build(const struct pki_hier_plan *plan, struct pki_state *state,
		    unsigned flags,
		    int (*on_record)(void *ctx, const struct pki_ca_record *rec,
				     struct pki_error *err),
		    void *ctx, struct pki_hier_result **results,
		    struct pki_error *err) PKI_WUR;

#endif
