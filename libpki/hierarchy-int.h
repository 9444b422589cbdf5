/*
 * hierarchy-int: what hierarchy-load.c (hierarchy.toml -> plan) and
 * hierarchy.c (diff, build, import) share; internal to libpki.
 */
#ifndef PKI_HIERARCHY_INT_H
#define PKI_HIERARCHY_INT_H

#include <stdint.h>

#include <jansson.h>

#include <spork/hierarchy.h>
#include <spork/profile.h>

/* The notAfter of node n issued at not_before: validity_years whole
 * calendar years later (Feb 29 becomes Feb 28), else validity_days. */
int64_t pki__hier_node_not_after(const struct pki_hier_node *n,
				 int64_t not_before);

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

#endif
