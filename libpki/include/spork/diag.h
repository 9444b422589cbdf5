/*
 * diag: diagnostics of a configuration file, reported all at once.
 *
 * A loader of hierarchy.toml or spork.toml does not stop at the first
 * problem: it collects one entry per problem, each with the line and
 * column it was found at, so that a user fixes everything in one pass
 * (the caller prints them as "file:line:col: error: msg").
 *
 * A hostile or broken file can hold a million problems: only the first
 * PKI_DIAG_MAX are kept, the others are only counted (in more), so that
 * memory and output stay bounded the way a compiler stops after a fixed
 * number of errors ("and N more").
 */
#ifndef PKI_DIAG_H
#define PKI_DIAG_H

#include <stddef.h>
#include "pki.h"

struct pki_diag {
	unsigned line, column;
	char *msg;
};

/* How many diagnostics a struct pki_diags keeps. */
#define PKI_DIAG_MAX 50

/* Zero-initialise ({ 0, NULL } or memset) before the first use. */
struct pki_diags {
	size_t n;               /* entries in v, at most PKI_DIAG_MAX */
	struct pki_diag *v;
	size_t more;            /* problems found past the first
				   PKI_DIAG_MAX, counted but not kept */
};

/* Free every entry (not d itself); d is empty afterwards. */
void pki_diags_clear(struct pki_diags *d);

/* Every problem found: the kept ones and those only counted (n + more). */
size_t pki_diags_count(const struct pki_diags *d);

/*
 * The candidate closest to word by edit distance, if it is near enough
 * to be a plausible typo (at most 2 edits), else NULL.  candidates is a
 * NULL-terminated list; the result is one of its pointers.
 */
const char *pki_diag_closest(const char *word, const char *const *candidates);

#endif
