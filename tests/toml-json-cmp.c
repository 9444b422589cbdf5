/*
 * toml-json-cmp: compare two toml-test tagged JSON documents by value.
 *
 *   toml-json-cmp EXPECTED.json ACTUAL.json
 *   toml-json-cmp -    (pairs "EXPECTED<TAB>ACTUAL", one a line, on stdin)
 *
 * Exit 0 if every pair is equal, 1 if not, 2 if a file cannot be read or
 * the usage is wrong.  The first difference of each pair is printed on
 * standard error as "EXPECTED: $.path: reason"; in the list form the
 * EXPECTED name of each pair that is not equal is also printed on standard
 * output, one a line.  The list form lets a test
 * compare a whole corpus in one process.
 *
 * "By value": key order is irrelevant; integers compare numerically;
 * floats numerically (nan equals nan, inf keeps its sign, -0 differs from
 * 0); date/times by their fields, so "T", "t" and " " separators, "Z" and
 * "+00:00", and "56.6" and "56.600" are the same.  Strings and booleans
 * compare exactly.
 */
#include <config.h>

#include <errno.h>
#include <stdarg.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

static const char *label = ""; /* prefix of every difference printed */

#define PKI_CMP_PRINTF __attribute__((format(printf, 2, 3)))

struct dt {
	int has_date, has_time, has_offset;
	int y, mo, d, h, mi, s;
	long ns;
	int off;
};

static int
digits(const char **sp, int n, int *out)
{
	const char *s = *sp;
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*sp = s + n;
	*out = v;
	return 0;
}

/* Parse an RFC 3339-ish date/time as toml-test writes it. */
static int
parse_dt(const char *s, struct dt *dt)
{
	int sign, oh, om;

	memset(dt, 0, sizeof(*dt));
	if (strlen(s) >= 10 && s[4] == '-') {
		if (digits(&s, 4, &dt->y) || *s++ != '-' ||
		    digits(&s, 2, &dt->mo) || *s++ != '-' ||
		    digits(&s, 2, &dt->d))
			return -1;
		dt->has_date = 1;
		if (*s == '\0')
			return 0;
		if (*s != 'T' && *s != 't' && *s != ' ')
			return -1;
		s++;
	}
	if (digits(&s, 2, &dt->h) || *s++ != ':' || digits(&s, 2, &dt->mi) ||
	    *s++ != ':' || digits(&s, 2, &dt->s))
		return -1;
	dt->has_time = 1;
	if (*s == '.') {
		int n = 0;

		for (s++; *s >= '0' && *s <= '9'; s++, n++)
			if (n < 9)
				dt->ns = dt->ns * 10 + (*s - '0');
		if (n == 0)
			return -1;
		for (; n < 9; n++)
			dt->ns *= 10;
	}
	if (*s == 'Z' || *s == 'z') {
		dt->has_offset = 1;
		s++;
	} else if (*s == '+' || *s == '-') {
		sign = *s++ == '-' ? -1 : 1;
		if (digits(&s, 2, &oh) || *s++ != ':' || digits(&s, 2, &om))
			return -1;
		dt->has_offset = 1;
		dt->off = sign * (oh * 60 + om);
	}
	return *s == '\0' ? 0 : -1;
}

static int
scalar_equal(const char *type, const char *e, size_t elen, const char *a,
	     size_t alen)
{
	char *end1, *end2;

	if (strcmp(type, "integer") == 0) {
		long long x, y;

		errno = 0;
		x = strtoll(e, &end1, 10);
		y = strtoll(a, &end2, 10);
		if (errno == 0 && *e && *a && !*end1 && !*end2)
			return x == y;
	} else if (strcmp(type, "float") == 0) {
		double x, y;
		const char *pe = e, *pa = a;

		/* toml-test writes "+inf"/"inf"/"-inf"/"nan" */
		if (*pe == '+')
			pe++;
		if (*pa == '+')
			pa++;
		x = strtod(pe, &end1);
		y = strtod(pa, &end2);
		if (*pe && *pa && !*end1 && !*end2) {
			if (isnan(x) || isnan(y))
				return isnan(x) && isnan(y);
			return x == y && !signbit(x) == !signbit(y);
		}
	} else if (strncmp(type, "datetime", 8) == 0 ||
		   strcmp(type, "date-local") == 0 ||
		   strcmp(type, "time-local") == 0) {
		struct dt x, y;

		if (parse_dt(e, &x) == 0 && parse_dt(a, &y) == 0)
			return x.has_date == y.has_date &&
			       x.has_time == y.has_time &&
			       x.has_offset == y.has_offset && x.y == y.y &&
			       x.mo == y.mo && x.d == y.d && x.h == y.h &&
			       x.mi == y.mi && x.s == y.s && x.ns == y.ns &&
			       x.off == y.off;
	}
	return elen == alen && memcmp(e, a, elen) == 0;
}

/* {"type": "...", "value": "..."} with string members only. */
static int
is_tagged(json_t *j)
{
	return json_is_object(j) && json_object_size(j) == 2 &&
	       json_is_string(json_object_get(j, "type")) &&
	       json_is_string(json_object_get(j, "value"));
}

static int PKI_CMP_PRINTF
differ(const char *path, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: %s: ", label, path);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 0;
}

static const char *
kind(json_t *j)
{
	return is_tagged(j) ? "a value" : json_is_array(j) ? "an array" :
	       "a table";
}

/* 1 if e and a are equal by value; else 0 with the difference printed. */
static int
compare(json_t *e, json_t *a, const char *path)
{
	char sub[4096];
	const char *key, *et, *at;
	size_t klen, i;
	json_t *ev, *av;

	if (is_tagged(e) && is_tagged(a)) {
		et = json_string_value(json_object_get(e, "type"));
		at = json_string_value(json_object_get(a, "type"));
		ev = json_object_get(e, "value");
		av = json_object_get(a, "value");
		if (strcmp(et, at) != 0)
			return differ(path, "expected type %s, got %s", et, at);
		if (!scalar_equal(et, json_string_value(ev),
				  json_string_length(ev),
				  json_string_value(av),
				  json_string_length(av)))
			return differ(path, "expected %s \"%s\", got \"%s\"",
				      et, json_string_value(ev),
				      json_string_value(av));
		return 1;
	}
	if (is_tagged(e) || is_tagged(a) ||
	    json_is_array(e) != json_is_array(a) ||
	    json_is_object(e) != json_is_object(a))
		return differ(path, "expected %s, got %s", kind(e), kind(a));
	if (json_is_object(e)) {
		if (json_object_size(e) != json_object_size(a))
			return differ(path, "expected %zu keys, got %zu",
				      json_object_size(e), json_object_size(a));
		json_object_keylen_foreach(e, key, klen, ev) {
			snprintf(sub, sizeof(sub), "%s.%.*s", path, (int)klen,
				 key);
			if ((av = json_object_getn(a, key, klen)) == NULL)
				return differ(sub, "missing");
			if (!compare(ev, av, sub))
				return 0;
		}
		return 1;
	}
	if (json_is_array(e)) {
		if (json_array_size(e) != json_array_size(a))
			return differ(path, "expected %zu elements, got %zu",
				      json_array_size(e), json_array_size(a));
		json_array_foreach(e, i, ev) {
			snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
			if (!compare(ev, json_array_get(a, i), sub))
				return 0;
		}
		return 1;
	}
	return differ(path, "unexpected JSON value");
}

/*
 * jansson refuses NUL in object keys, which TOML allows ("\u0000" = 1).
 * Both files are loaded with every \u0000 escape replaced by the same
 * unlikely marker, so equality is unchanged.
 */
static json_t *
load(const char *path, json_error_t *jerr)
{
	static const char marker[] = "\\uFFFE\\uFFFF\\uFFFE";
	FILE *f = NULL;
	char *in = NULL, *out = NULL;
	size_t n = 0, cap = 0, i, o = 0;
	int c, in_str = 0;
	json_t *j = NULL;

	if ((f = fopen(path, "r")) == NULL) {
		snprintf(jerr->text, sizeof(jerr->text), "cannot open");
		snprintf(jerr->source, sizeof(jerr->source), "%s", path);
		goto out;
	}
	while ((c = getc(f)) != EOF) {
		if (n == cap) {
			char *ni;

			cap = cap ? cap * 2 : 4096;
			if ((ni = realloc(in, cap)) == NULL)
				goto out;
			in = ni;
		}
		in[n++] = (char)c;
	}
	if ((out = malloc(n * 3 + 1)) == NULL)
		goto out;
	for (i = 0; i < n; i++) {
		if (in[i] == '"') {
			in_str = !in_str;
		} else if (in_str && in[i] == '\\' && i + 1 < n) {
			if (i + 5 < n && memcmp(in + i + 1, "u0000", 5) == 0) {
				memcpy(out + o, marker, sizeof(marker) - 1);
				o += sizeof(marker) - 1;
				i += 5;
				continue;
			}
			out[o++] = in[i++];
		}
		out[o++] = in[i];
	}
	j = json_loadb(out, o, JSON_ALLOW_NUL, jerr);
	if (j == NULL)
		snprintf(jerr->source, sizeof(jerr->source), "%s", path);
out:
	if (f != NULL)
		fclose(f);
	free(in);
	free(out);
	return j;
}

/* Compare one pair: 0 equal, 1 different, 2 unreadable. */
static int
compare_files(const char *expected, const char *actual)
{
	json_error_t jerr;
	json_t *e = NULL, *a = NULL;
	int rc = 2;

	label = expected;
	memset(&jerr, 0, sizeof(jerr));
	if ((e = load(expected, &jerr)) == NULL ||
	    (a = load(actual, &jerr)) == NULL) {
		fprintf(stderr, "%s: cannot load %s:%d: %s\n", expected,
			jerr.source, jerr.line, jerr.text);
		goto out;
	}
	rc = compare(e, a, "$") ? 0 : 1;
out:
	json_decref(e);
	json_decref(a);
	return rc;
}

int
main(int argc, char **argv)
{
	char line[8192], *tab, *nl;
	int rc = 0, r;

	if (argc == 3)
		return compare_files(argv[1], argv[2]);
	if (argc != 2 || strcmp(argv[1], "-") != 0) {
		fprintf(stderr, "usage: toml-json-cmp EXPECTED ACTUAL\n"
			"       toml-json-cmp - < pairs\n");
		return 2;
	}
	while (fgets(line, sizeof(line), stdin) != NULL) {
		if ((nl = strchr(line, '\n')) != NULL)
			*nl = '\0';
		if ((tab = strchr(line, '\t')) == NULL) {
			fprintf(stderr, "toml-json-cmp: bad line: %s\n", line);
			return 2;
		}
		*tab = '\0';
		if ((r = compare_files(line, tab + 1)) != 0)
			printf("%s\n", line);
		if (r > rc)
			rc = r;
	}
	return rc;
}
