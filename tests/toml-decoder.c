/*
 * toml-decoder: the decoder interface of the toml-test suite.
 *
 * Reads TOML on standard input and writes toml-test's tagged JSON on
 * standard output ({"type": "integer", "value": "42"} for every scalar,
 * plain objects and arrays for tables and arrays), exiting 0.  A document
 * libpki rejects gives "line:column: message" on standard error and exit 1.
 *
 *   toml-decoder --batch < LIST
 *
 * is the same decoder for a whole corpus in one process (tests/toml-test.sh
 * uses it to stay fast): LIST has lines "INPUT<TAB>OUTPUT"; each INPUT that
 * parses gets its JSON written to OUTPUT, each that does not gets no OUTPUT
 * and a line "INPUT: line:column: message" on standard output.  Exit 0
 * unless a line is malformed or an OUTPUT cannot be written.
 */
#include <config.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include <spork/toml.h>

static json_t *value_json(const struct pki_toml_value *v);

static json_t *
tagged(const char *type, const char *value)
{
	return json_pack("{s:s, s:s}", "type", type, "value", value);
}

/* Shortest %g that reads back to the same double. */
static void
format_float(double d, char *buf, size_t len)
{
	int prec;

	if (isnan(d)) {
		snprintf(buf, len, "nan");
		return;
	}
	if (isinf(d)) {
		snprintf(buf, len, "%sinf", d < 0 ? "-" : "");
		return;
	}
	for (prec = 15; prec <= 17; prec++) {
		snprintf(buf, len, "%.*g", prec, d);
		if (strtod(buf, NULL) == d)
			return;
	}
}

static void
format_datetime(const struct pki_toml_value *v, char *buf, size_t len)
{
	const struct pki_toml_datetime *dt = &v->u.dt;
	size_t n = 0;
	char frac[16];
	unsigned digits;

	if (v->type != PKI_TOML_TIME_LOCAL)
		n += (size_t)snprintf(buf + n, len - n, "%04d-%02d-%02d",
				      dt->year, dt->month, dt->day);
	if (v->type == PKI_TOML_DATE_LOCAL)
		return;
	if (v->type != PKI_TOML_TIME_LOCAL)
		n += (size_t)snprintf(buf + n, len - n, "T");
	n += (size_t)snprintf(buf + n, len - n, "%02d:%02d:%02d", dt->hour,
			      dt->minute, dt->second);
	if (dt->frac_digits > 0) {
		digits = dt->frac_digits > 9 ? 9 : dt->frac_digits;
		snprintf(frac, sizeof(frac), "%09ld", dt->nanosecond);
		n += (size_t)snprintf(buf + n, len - n, ".%.*s", (int)digits,
				      frac);
	}
	if (v->type != PKI_TOML_DATETIME)
		return;
	if (dt->offset_z)
		snprintf(buf + n, len - n, "Z");
	else
		snprintf(buf + n, len - n, "%c%02d:%02d",
			 dt->offset_minutes < 0 ? '-' : '+',
			 abs(dt->offset_minutes) / 60,
			 abs(dt->offset_minutes) % 60);
}

static json_t *
table_json(const struct pki_toml_table *t)
{
	json_t *o = json_object(), *v;
	size_t i;

	for (i = 0; o != NULL && i < t->n; i++) {
		if ((v = value_json(&t->items[i].val)) == NULL ||
		    json_object_setn_new_nocheck(o, t->items[i].key,
						 t->items[i].keylen, v) != 0) {
			json_decref(o);
			o = NULL;
		}
	}
	return o;
}

static json_t *
value_json(const struct pki_toml_value *v)
{
	char buf[128];
	json_t *a, *s, *o;
	size_t i;

	switch (v->type) {
	case PKI_TOML_STRING:
		if ((s = json_stringn_nocheck(v->u.s.ptr, v->u.s.len)) == NULL)
			return NULL;
		o = json_pack("{s:s, s:o}", "type", "string", "value", s);
		return o;
	case PKI_TOML_INTEGER:
		snprintf(buf, sizeof(buf), "%lld", (long long)v->u.i);
		return tagged("integer", buf);
	case PKI_TOML_FLOAT:
		format_float(v->u.f, buf, sizeof(buf));
		return tagged("float", buf);
	case PKI_TOML_BOOL:
		return tagged("bool", v->u.b ? "true" : "false");
	case PKI_TOML_DATETIME:
		format_datetime(v, buf, sizeof(buf));
		return tagged("datetime", buf);
	case PKI_TOML_DATETIME_LOCAL:
		format_datetime(v, buf, sizeof(buf));
		return tagged("datetime-local", buf);
	case PKI_TOML_DATE_LOCAL:
		format_datetime(v, buf, sizeof(buf));
		return tagged("date-local", buf);
	case PKI_TOML_TIME_LOCAL:
		format_datetime(v, buf, sizeof(buf));
		return tagged("time-local", buf);
	case PKI_TOML_ARRAY:
		if ((a = json_array()) == NULL)
			return NULL;
		for (i = 0; i < v->u.arr->n; i++) {
			if (json_array_append_new(a,
			    value_json(&v->u.arr->items[i])) != 0) {
				json_decref(a);
				return NULL;
			}
		}
		return a;
	case PKI_TOML_TABLE:
		return table_json(v->u.tab);
	default:
		return NULL;
	}
}

/* Parse path ("-" for stdin); on success write JSON to out.  Returns 0,
 * libpki's error code, or -1 if the JSON could not be built or written. */
static int
decode(const char *path, FILE *out, struct pki_error *err)
{
	struct pki_toml_table *t = NULL;
	json_t *j = NULL;
	int rc;

	pki_error_clear(err);
	if ((rc = pki_toml_parse_file(path, &t, err)) != 0)
		goto out;
	rc = -1;
	if ((j = table_json(t)) == NULL) {
		pki_error_set(err, PKI_E_NOMEM, "cannot build JSON");
		goto out;
	}
	if (json_dumpf(j, out, JSON_INDENT(1)) != 0 || fputc('\n', out) == EOF ||
	    fflush(out) != 0) {
		pki_error_set(err, PKI_E_IO, "cannot write JSON");
		goto out;
	}
	rc = 0;
out:
	json_decref(j);
	pki_toml_free(t);
	return rc;
}

static int
batch(void)
{
	char line[8192], *tab, *nl;
	struct pki_error err;
	FILE *out;
	int rc;

	while (fgets(line, sizeof(line), stdin) != NULL) {
		if ((nl = strchr(line, '\n')) != NULL)
			*nl = '\0';
		if ((tab = strchr(line, '\t')) == NULL) {
			fprintf(stderr, "toml-decoder: bad batch line: %s\n",
				line);
			return 1;
		}
		*tab++ = '\0';
		if ((out = fopen(tab, "w")) == NULL) {
			fprintf(stderr, "toml-decoder: cannot create %s\n", tab);
			return 1;
		}
		rc = decode(line, out, &err);
		if (fclose(out) != 0 || rc < 0) {
			fprintf(stderr, "toml-decoder: cannot write %s\n", tab);
			return 1;
		}
		if (rc != 0) {
			remove(tab);
			printf("%s: %u:%u: %s\n", line, err.line, err.column,
			       err.msg);
		}
	}
	return fflush(stdout) == 0 ? 0 : 1;
}

int
main(int argc, char **argv)
{
	struct pki_error err;

	if (argc == 2 && strcmp(argv[1], "--batch") == 0)
		return batch();
	if (argc != 1) {
		fprintf(stderr, "usage: toml-decoder < TOML > JSON\n"
			"       toml-decoder --batch < LIST\n");
		return 2;
	}
	if (decode("-", stdout, &err) != 0) {
		fprintf(stderr, "toml-decoder: %u:%u: %s\n", err.line,
			err.column, err.msg);
		return 1;
	}
	return 0;
}
