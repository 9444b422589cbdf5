/* diag: collected file:line:col diagnostics (bounded) and did-you-mean. */
#include <config.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <spork/diag.h>
#include "util.h"

void
pki_diags_clear(struct pki_diags *d)
{
	size_t i;

	if (d == NULL)
		return;
	for (i = 0; i < d->n; i++)
		free(d->v[i].msg);
	free(d->v);
	d->v = NULL;
	d->n = 0;
	d->more = 0;
}

size_t
pki_diags_count(const struct pki_diags *d)
{
	return d != NULL ? d->n + d->more : 0;
}

void
pki__diag(struct pki_diags *d, unsigned line, unsigned col, const char *fmt,
	  ...)
{
	struct pki_diag *nv;
	va_list ap;
	char *msg = NULL;

	if (d == NULL)
		return;
	if (d->n >= PKI_DIAG_MAX) {
		d->more++;
		return;
	}
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	if (msg == NULL)
		return;
	nv = realloc(d->v, (d->n + 1) * sizeof(*nv));
	if (nv == NULL) {
		free(msg);
		return;
	}
	d->v = nv;
	d->v[d->n].line = line;
	d->v[d->n].column = col;
	d->v[d->n].msg = msg;
	d->n++;
}

/* Levenshtein distance, small strings only (99 for long ones). */
static size_t
edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j;
	size_t row[64], prev, tmp;

	if (la >= 63 || lb >= 63)
		return 99;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		prev = row[0];
		row[0] = i;
		for (j = 1; j <= lb; j++) {
			tmp = row[j];
			row[j] = prev + (a[i - 1] != b[j - 1]);
			if (row[j - 1] + 1 < row[j])
				row[j] = row[j - 1] + 1;
			if (tmp + 1 < row[j])
				row[j] = tmp + 1;
			prev = tmp;
		}
	}
	return row[lb];
}

const char *
pki_diag_closest(const char *word, const char *const *candidates)
{
	const char *best = NULL;
	size_t bd = 3, dd;

	for (; candidates != NULL && *candidates != NULL; candidates++)
		if ((dd = edit_distance(word, *candidates)) < bd) {
			bd = dd;
			best = *candidates;
		}
	return best;
}
