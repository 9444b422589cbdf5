/*
 * metrics: the handlers' request counters, for GET /metrics (serve.h).
 *
 * A handler process lives for one connection, so its counters cannot
 * live in its memory: it adds up what it served in a struct pki_metrics
 * and writes the sums once, when the connection is over, to
 * <state>/metrics.db (PKI_STATE_METRICS), which every handler process
 * shares.  The counters, all labelled by handler:
 *   spork_http_requests_total{handler,module,status}
 *   spork_http_request_duration_seconds (a histogram: from the request
 *       read to its answer written)
 *   spork_ocsp_responses_total{handler,status}  good, revoked, unknown,
 *       malformedRequest, internalError, unauthorized
 *   spork_connections_total{handler}
 */
#ifndef PKI_METRICS_H
#define PKI_METRICS_H

#include <stdint.h>
#include "pki.h"
#include "serve.h"
#include "state.h"

struct pki_metrics;

/* Counters for the handler named handler (borrowed: it must outlive
 * m); NULL when out of memory. */
struct pki_metrics *pki_metrics_new(const char *handler);
void pki_metrics_free(struct pki_metrics *m);

/* Count one response that took duration_us microseconds. */
void pki_metrics_count(struct pki_metrics *m, const struct pki_response *r,
		       int64_t duration_us);

/* Add the counts (and one connection) to the state's metrics.db and
 * start again from zero.  A failure loses these counts and nothing
 * else. */
int pki_metrics_flush(struct pki_metrics *m, struct pki_state *s,
		      struct pki_error *err) PKI_WUR;

#endif
