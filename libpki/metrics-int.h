/*
 * metrics-int: the handlers' counters in <state>/metrics.db, and the
 * store's figures for /metrics; internal (the SQL is in
 * store-metrics.c).
 *
 * metrics.db is a database of its own, not a table of spork.db: a
 * handler adds its counters once per connection, which must cost no
 * durable commit (synchronous=OFF: a crash may lose the last counts,
 * never a certificate) and must never wait on the CA's write lock (a
 * CRL of a million entries being generated).  A damaged metrics.db is
 * only a loss of counts: it can be deleted.
 */
#ifndef PKI_METRICS_INT_H
#define PKI_METRICS_INT_H

#include <stdint.h>
#include <spork/pki.h>
#include <spork/store.h>

/* One counter: a metric name, its labels as Prometheus writes them
 * (handler="spork-ocsp",status="200"), and how much to add. */
struct pki__metric {
	char name[64];
	char labels[192];
	int64_t value;
};

/* Add v[0..n) to metrics.db at path (made when missing, 0600) in one
 * transaction; waits at most 2 s for another writer. */
int pki__metrics_db_add(const char *path, const struct pki__metric *v,
			size_t n, struct pki_error *err) PKI_WUR;

/* Call fn for every counter of metrics.db at path, ordered by name and
 * labels; a missing file has none. */
int pki__metrics_db_read(const char *path,
			 void (*fn)(void *ctx, const struct pki__metric *m),
			 void *ctx, struct pki_error *err) PKI_WUR;

/* From the CA's store: certificates by issuing CA and source, and
 * revocations by CA (fn with name "issued" or "revoked", ca, source
 * (NULL for revoked) and the count). */
int pki__store_metric_counts(struct pki_store *st,
			     void (*fn)(void *ctx, const char *what,
					const char *ca, const char *source,
					int64_t n),
			     void *ctx, struct pki_error *err) PKI_WUR;

#endif
