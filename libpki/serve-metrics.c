/* serve-metrics: GET /metrics, Prometheus text format 0.0.4 (serve.h,
 * metrics.h). */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <spork/store.h>
#include "metrics-int.h"
#include "serve-int.h"

struct out {
	FILE *f;
	char family[64];           /* the family whose HELP was written */
};

static const struct {
	const char *family, *type, *help;
} families[] = {
	{ "spork_connections_total", "counter",
	  "Connections served, by handler." },
	{ "spork_http_request_duration_seconds", "histogram",
	  "Time from a request read to its answer written." },
	{ "spork_http_requests_total", "counter",
	  "HTTP requests answered, by handler, module and status." },
	{ "spork_ocsp_responses_total", "counter",
	  "OCSP answers, by handler and certificate or response status." },
};

/* The family a stored counter belongs to. */
static const char *
family_of(const char *name, size_t *i)
{
	for (*i = 0; *i < sizeof(families) / sizeof(families[0]); (*i)++)
		if (strncmp(name, families[*i].family,
			    strlen(families[*i].family)) == 0)
			return families[*i].family;
	return NULL;
}

static void
put_counter(void *ctx, const struct pki__metric *m)
{
	struct out *o = ctx;
	const char *fam;
	size_t i, n;

	if ((fam = family_of(m->name, &i)) == NULL)
		return;                 /* a counter this spork does not know */
	if (strcmp(o->family, fam) != 0) {
		fprintf(o->f, "# HELP %s %s\n# TYPE %s %s\n", fam,
			families[i].help, fam, families[i].type);
		snprintf(o->family, sizeof(o->family), "%s", fam);
	}
	n = strlen(m->name);
	if (n > 7 && strcmp(m->name + n - 7, "_sum_us") == 0)
		fprintf(o->f, "%.*s{%s} %.6f\n", (int)(n - 3), m->name,
			m->labels, (double)m->value / 1e6);
	else
		fprintf(o->f, "%s{%s} %lld\n", m->name, m->labels,
			(long long)m->value);
}

/* A label value: \ " and newline escaped. */
static void
put_label(FILE *f, const char *v)
{
	for (; v != NULL && *v != '\0'; v++) {
		if (*v == '\\' || *v == '"')
			fputc('\\', f);
		if (*v == '\n')
			fputs("\\n", f);
		else
			fputc(*v, f);
	}
}

struct counts {
	FILE *f;
	const char *what;          /* the one to write now */
	int headed;
};

static void
put_count(void *ctx, const char *what, const char *ca, const char *source,
	  int64_t n)
{
	struct counts *c = ctx;

	if (strcmp(what, c->what) != 0)
		return;
	if (!c->headed) {
		if (strcmp(what, "issued") == 0)
			fputs("# HELP spork_certificates_issued Certificates "
			      "in the store, by issuing CA and source.\n"
			      "# TYPE spork_certificates_issued gauge\n", c->f);
		else
			fputs("# HELP spork_certificates_revoked Certificates "
			      "revoked (or on hold), by issuing CA.\n"
			      "# TYPE spork_certificates_revoked gauge\n", c->f);
		c->headed = 1;
	}
	fprintf(c->f, "spork_certificates_%s{ca=\"", what);
	put_label(c->f, ca);
	if (source != NULL) {
		fputs("\",source=\"", c->f);
		put_label(c->f, source);
	}
	fprintf(c->f, "\"} %lld\n", (long long)n);
}

/* Each CA's end of validity and its newest CRL's age and nextUpdate. */
static int
put_cas(struct pki_state *s, FILE *f, struct pki_error *err)
{
	struct pki_ca_record *v = NULL;
	struct pki_crl_record c;
	struct pki_error e2;
	int64_t now = pki_state_now(s);
	size_t n = 0, i, pass;
	int rc;

	if ((rc = pki_store_ca_list(pki_state_store(s), &v, &n, err)) != PKI_OK)
		return rc;
	for (pass = 0; pass < 3; pass++) {
		fputs(pass == 0 ? "# HELP spork_ca_not_after_seconds End of "
		      "a CA certificate's validity (Unix time).\n"
		      "# TYPE spork_ca_not_after_seconds gauge\n" :
		      pass == 1 ? "# HELP spork_crl_age_seconds Age of a CA's "
		      "newest full CRL (now - thisUpdate).\n"
		      "# TYPE spork_crl_age_seconds gauge\n" :
		      "# HELP spork_crl_next_update_seconds nextUpdate of a "
		      "CA's newest full CRL (Unix time).\n"
		      "# TYPE spork_crl_next_update_seconds gauge\n", f);
		for (i = 0; i < n; i++) {
			if (v[i].cert_der.size == 0)
				continue;
			memset(&c, 0, sizeof(c));
			if (pass > 0 &&
			    pki_store_crl_latest(pki_state_store(s), v[i].id,
						 PKI_STORE_CRL_FULL, &c, &e2) !=
			    PKI_OK)
				continue;       /* no CRL yet: no sample */
			fprintf(f, "%s{ca=\"", pass == 0 ?
				"spork_ca_not_after_seconds" : pass == 1 ?
				"spork_crl_age_seconds" :
				"spork_crl_next_update_seconds");
			put_label(f, v[i].name);
			fprintf(f, "\"} %lld\n", (long long)(pass == 0 ?
				v[i].not_after : pass == 1 ?
				now - c.this_update : c.next_update));
			pki_crl_record_clear(&c);
		}
	}
	pki_ca_records_free(v, n);
	return PKI_OK;
}

int
pki__serve_metrics(struct pki_state *s, const struct pki_http_request *req,
		   struct pki_response *resp, struct pki_error *err)
{
	struct out o;
	struct counts c = { NULL, "issued", 0 };
	char *text = NULL;
	size_t len = 0;
	int rc;

	resp->module = "metrics";
	if (req->method != PKI_HTTP_GET && req->method != PKI_HTTP_HEAD)
		return pki__resp_not_allowed(resp, 0);
	memset(&o, 0, sizeof(o));
	if ((o.f = open_memstream(&text, &len)) == NULL)
		return PKI_E_NOMEM;
	c.f = o.f;
	rc = pki__metrics_db_read(pki_state_path(s, PKI_STATE_METRICS),
				  put_counter, &o, err);
	if (rc == PKI_OK)
		rc = pki__store_metric_counts(pki_state_store(s), put_count, &c,
					      err);
	c.what = "revoked";
	c.headed = 0;
	if (rc == PKI_OK)
		rc = pki__store_metric_counts(pki_state_store(s), put_count, &c,
					      err);
	if (rc == PKI_OK)
		rc = put_cas(s, o.f, err);
	if (fclose(o.f) != 0) {
		free(text);
		return PKI_E_NOMEM;
	}
	if (rc != PKI_OK) {
		free(text);
		snprintf(resp->note, sizeof(resp->note), "store");
		return pki__resp_text(resp, 500, NULL);
	}
	rc = pki__resp_body(resp, 200, "text/plain; version=0.0.4; "
			    "charset=utf-8", text, len);
	free(text);
	if (rc == PKI_OK)
		rc = pki__resp_header(resp, "Cache-Control: no-store");
	return rc;
}
