/*
 * diag: diagnostics of a configuration file, reported all at once.
 *
 * A loader of hierarchy.toml or spork.toml does not stop at the first
 * problem: it collects one entry per problem, each with the line and
 * column it was found at, so that a user fixes everything in one pass
 * (the caller prints them as "file:line:col: error: msg").
 */
#ifndef PKI_DIAG_H
#define PKI_DIAG_H

#include <stddef.h>
#include "pki.h"

struct pki_diag {
	unsigned line, column;
	char *msg;
};

struct pki_diags {
	size_t n;
	struct pki_diag *v;
};

/* Free every entry (not d itself); d is empty afterwards. */
void pki_diags_clear(struct pki_diags *d);

/*
 * The candidate closest to word by edit distance, if it is near enough
 * to be a plausible typo (at most 2 edits), else NULL.  candidates is a
 * NULL-terminated list; the result is one of its pointers.
 */
const char *pki_diag_closest(const char *word, const char *const *candidates);

#endif
