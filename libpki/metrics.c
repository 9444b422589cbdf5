/* metrics: the handlers' counters, summed per connection (metrics.h). */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <spork/metrics.h>
#include "metrics-int.h"

/* Histogram bounds in microseconds (Prometheus "le" in seconds). */
static const int64_t bounds[] = { 1000, 2500, 5000, 10000, 25000, 50000,
				  100000, 250000, 500000, 1000000 };
#define NBOUNDS (sizeof(bounds) / sizeof(bounds[0]))
#define MAX_COUNTERS 64

static const char *const ocsp_names[PKI_SERVE_OCSP__MAX] = {
	"good", "revoked", "unknown", "malformedRequest", "internalError",
	"unauthorized",
};

struct pki_metrics {
	const char *handler;
	struct pki__metric v[MAX_COUNTERS];
	size_t n;
	int64_t buckets[NBOUNDS + 1];   /* the last: +Inf */
	int64_t sum_us, count;
};

struct pki_metrics *
pki_metrics_new(const char *handler)
{
	struct pki_metrics *m = calloc(1, sizeof(*m));

	if (m != NULL)
		m->handler = handler;
	return m;
}

void
pki_metrics_free(struct pki_metrics *m)
{
	free(m);
}

/* Add value to the counter name{labels}; a counter that does not fit
 * is dropped (64 distinct ones per connection is more than there are). */
static void
add(struct pki_metrics *m, const char *name, const char *labels,
    int64_t value)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		if (strcmp(m->v[i].name, name) == 0 &&
		    strcmp(m->v[i].labels, labels) == 0) {
			m->v[i].value += value;
			return;
		}
	if (m->n == MAX_COUNTERS)
		return;
	snprintf(m->v[m->n].name, sizeof(m->v[m->n].name), "%s", name);
	snprintf(m->v[m->n].labels, sizeof(m->v[m->n].labels), "%s", labels);
	m->v[m->n].value = value;
	m->n++;
}

void
pki_metrics_count(struct pki_metrics *m, const struct pki_response *r,
		  int64_t duration_us)
{
	char labels[192];
	size_t i;

	if (m == NULL)
		return;
	snprintf(labels, sizeof(labels), "handler=\"%s\",module=\"%s\","
		 "status=\"%d\"", m->handler, r->module != NULL ? r->module :
		 "none", r->status);
	add(m, "spork_http_requests_total", labels, 1);
	for (i = 0; i < PKI_SERVE_OCSP__MAX; i++)
		if (r->ocsp[i] > 0) {
			snprintf(labels, sizeof(labels), "handler=\"%s\","
				 "status=\"%s\"", m->handler, ocsp_names[i]);
			add(m, "spork_ocsp_responses_total", labels,
			    r->ocsp[i]);
		}
	for (i = 0; i < NBOUNDS && duration_us > bounds[i]; i++)
		;
	m->buckets[i]++;
	m->sum_us += duration_us > 0 ? duration_us : 0;
	m->count++;
}

int
pki_metrics_flush(struct pki_metrics *m, struct pki_state *s,
		  struct pki_error *err)
{
	char labels[192];
	int64_t cum = 0;
	size_t i;
	int rc;

	snprintf(labels, sizeof(labels), "handler=\"%s\"", m->handler);
	add(m, "spork_connections_total", labels, 1);
	if (m->count > 0) {
		/* buckets are cumulative in the exposition; stored as is */
		for (i = 0; i <= NBOUNDS; i++) {
			cum += m->buckets[i];
			if (i < NBOUNDS)
				snprintf(labels, sizeof(labels), "handler=\"%s\","
					 "le=\"%g\"", m->handler,
					 (double)bounds[i] / 1e6);
			else
				snprintf(labels, sizeof(labels), "handler=\"%s\","
					 "le=\"+Inf\"", m->handler);
			add(m, "spork_http_request_duration_seconds_bucket",
			    labels, cum);
		}
		snprintf(labels, sizeof(labels), "handler=\"%s\"", m->handler);
		add(m, "spork_http_request_duration_seconds_count", labels,
		    m->count);
		add(m, "spork_http_request_duration_seconds_sum_us", labels,
		    m->sum_us);
	}
	rc = pki__metrics_db_add(pki_state_path(s, PKI_STATE_METRICS), m->v,
				 m->n, err);
	m->n = 0;
	memset(m->buckets, 0, sizeof(m->buckets));
	m->sum_us = m->count = 0;
	return rc;
}
