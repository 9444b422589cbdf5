/*
 * Unit tests for libpki/toml: lookups and types, positions of values and
 * errors, the typed getters, and hostile input (deep nesting, huge numbers,
 * NUL bytes, invalid UTF-8, unterminated strings, the 16 MiB limit, long
 * keys, many keys).  The toml-test corpus is run by tests/toml-test.sh.
 */
#include <config.h>

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <spork/toml.h>

/*
 * Parse len bytes copied into a buffer of exactly that size, so that a
 * sanitizer build catches any read past the end.  Returns the rc; *out is
 * the tree on success.
 */
static int
parse_n(const char *text, size_t len, struct pki_toml_table **out,
	struct pki_error *err)
{
	char *copy = malloc(len ? len : 1);
	int rc;

	assert_non_null(copy);
	memcpy(copy, text, len);
	pki_error_clear(err);
	rc = pki_toml_parse(copy, len, out, err);
	free(copy);
	return rc;
}

static struct pki_toml_table *
parse_ok(const char *text)
{
	struct pki_toml_table *t = NULL;
	struct pki_error err;
	int rc = parse_n(text, strlen(text), &t, &err);

	if (rc != PKI_OK)
		print_error("unexpected error %d at %u:%u: %s\nin: %s\n", rc,
			    err.line, err.column, err.msg, text);
	assert_int_equal(rc, PKI_OK);
	assert_non_null(t);
	return t;
}

/* Assert that text is rejected at line:col with msg containing want. */
static void
parse_bad_len(const char *text, size_t len, unsigned line, unsigned col,
	      const char *want)
{
	struct pki_toml_table *t = (struct pki_toml_table *)&t;
	struct pki_error err;
	int rc = parse_n(text, len, &t, &err);

	if (rc != PKI_E_PARSE || err.line != line || err.column != col ||
	    strstr(err.msg, want) == NULL)
		print_error("for %.60s\nwant %u:%u '%s', got rc %d %u:%u '%s'\n",
			    text, line, col, want, rc, err.line, err.column,
			    err.msg);
	assert_int_equal(rc, PKI_E_PARSE);
	assert_null(t);
	assert_int_equal(err.code, PKI_E_PARSE);
	assert_int_equal(err.line, line);
	assert_int_equal(err.column, col);
	assert_non_null(strstr(err.msg, want));
}

static void
parse_bad(const char *text, unsigned line, unsigned col, const char *want)
{
	parse_bad_len(text, strlen(text), line, col, want);
}

static const struct pki_toml_value *
get(const struct pki_toml_table *t, const char *key, enum pki_toml_type type)
{
	const struct pki_toml_keyval *kv = pki_toml_find(t, key);

	if (kv == NULL)
		print_error("key '%s' not found\n", key);
	assert_non_null(kv);
	assert_int_equal(kv->val.type, type);
	return &kv->val;
}

static const struct pki_toml_table *
subtable(const struct pki_toml_table *t, const char *key)
{
	return get(t, key, PKI_TOML_TABLE)->u.tab;
}

static void
test_lookup_and_types(void **state)
{
	static const char doc[] =
		"# spork-like configuration\n"
		"name = \"root CA\"\n"
		"serial-bits = 160\n"
		"ratio = 0.25\n"
		"online = true\n"
		"offline = false\n"
		"when = 2026-01-02T03:04:05.5+01:30\n"
		"local = 2026-01-02 03:04:05\n"
		"day = 2024-02-29\n"
		"at = 23:59:60.123456789999\n"
		"names = [\"a\", 'b', \"\"\"c\"\"\"]\n"
		"mixed = [1, \"two\", [3.0], {four = 4}]\n"
		"point = { x = 1, y.z = 2 }\n"
		"\"quoted key\" = 'lit\\eral'\n"
		"\n"
		"[ca.root]\n"
		"key = \"pkcs11:token=x\"\n"
		"\n"
		"[[ca.issuing]]\n"
		"n = 1\n"
		"[[ca.issuing]]\n"
		"n = 2\n";
	struct pki_toml_table *t = parse_ok(doc);
	const struct pki_toml_value *v;
	const struct pki_toml_table *ca, *pt;
	const struct pki_toml_array *a;

	(void)state;
	v = get(t, "name", PKI_TOML_STRING);
	assert_string_equal(v->u.s.ptr, "root CA");
	assert_int_equal(v->u.s.len, 7);
	assert_int_equal(get(t, "serial-bits", PKI_TOML_INTEGER)->u.i, 160);
	assert_true(get(t, "ratio", PKI_TOML_FLOAT)->u.f == 0.25);
	assert_int_equal(get(t, "online", PKI_TOML_BOOL)->u.b, 1);
	assert_int_equal(get(t, "offline", PKI_TOML_BOOL)->u.b, 0);

	v = get(t, "when", PKI_TOML_DATETIME);
	assert_int_equal(v->u.dt.year, 2026);
	assert_int_equal(v->u.dt.month, 1);
	assert_int_equal(v->u.dt.day, 2);
	assert_int_equal(v->u.dt.hour, 3);
	assert_int_equal(v->u.dt.minute, 4);
	assert_int_equal(v->u.dt.second, 5);
	assert_int_equal(v->u.dt.nanosecond, 500000000);
	assert_int_equal(v->u.dt.frac_digits, 1);
	assert_int_equal(v->u.dt.offset_minutes, 90);
	assert_int_equal(v->u.dt.offset_z, 0);
	v = get(t, "local", PKI_TOML_DATETIME_LOCAL);
	assert_int_equal(v->u.dt.second, 5);
	assert_int_equal(v->u.dt.frac_digits, 0);
	v = get(t, "day", PKI_TOML_DATE_LOCAL);
	assert_int_equal(v->u.dt.day, 29);
	v = get(t, "at", PKI_TOML_TIME_LOCAL);
	assert_int_equal(v->u.dt.second, 60);
	assert_int_equal(v->u.dt.nanosecond, 123456789); /* truncated */
	assert_int_equal(v->u.dt.frac_digits, 12);

	a = get(t, "names", PKI_TOML_ARRAY)->u.arr;
	assert_int_equal(a->n, 3);
	assert_string_equal(a->items[0].u.s.ptr, "a");
	assert_string_equal(a->items[1].u.s.ptr, "b");
	assert_string_equal(a->items[2].u.s.ptr, "c");
	a = get(t, "mixed", PKI_TOML_ARRAY)->u.arr;
	assert_int_equal(a->n, 4);
	assert_int_equal(a->items[0].type, PKI_TOML_INTEGER);
	assert_int_equal(a->items[1].type, PKI_TOML_STRING);
	assert_int_equal(a->items[2].type, PKI_TOML_ARRAY);
	assert_int_equal(a->items[3].type, PKI_TOML_TABLE);
	assert_int_equal(get(a->items[3].u.tab, "four", PKI_TOML_INTEGER)->u.i, 4);

	pt = subtable(t, "point");
	assert_int_equal(get(pt, "x", PKI_TOML_INTEGER)->u.i, 1);
	assert_int_equal(get(subtable(pt, "y"), "z", PKI_TOML_INTEGER)->u.i, 2);
	assert_string_equal(get(t, "quoted key", PKI_TOML_STRING)->u.s.ptr,
			    "lit\\eral");

	ca = subtable(t, "ca");
	assert_string_equal(get(subtable(ca, "root"), "key",
				PKI_TOML_STRING)->u.s.ptr, "pkcs11:token=x");
	a = get(ca, "issuing", PKI_TOML_ARRAY)->u.arr;
	assert_int_equal(a->n, 2);
	assert_int_equal(get(a->items[1].u.tab, "n", PKI_TOML_INTEGER)->u.i, 2);

	/* document order is kept; absent keys and NULL are handled */
	assert_string_equal(t->items[0].key, "name");
	assert_string_equal(t->items[t->n - 1].key, "ca");
	assert_null(pki_toml_find(t, "nope"));
	assert_null(pki_toml_find(t, "ca.root")); /* no path lookups */
	assert_null(pki_toml_find(NULL, "name"));
	assert_null(pki_toml_find(t, NULL));
	pki_toml_free(t);
	pki_toml_free(NULL);
}

static void
test_getters(void **state)
{
	static const char doc[] =
		"s = \"text\"\n"
		"nul = \"a\\u0000b\"\n"
		"i = -42\n"
		"b = true\n"
		"[tab]\n"
		"arr = [1, 2]\n";
	struct pki_toml_table *t = parse_ok(doc);
	const struct pki_toml_table *tab = NULL;
	const struct pki_toml_array *arr = NULL;
	struct pki_error err;
	const char *s = NULL;
	int64_t i = 0;
	int b = 0;

	(void)state;
	pki_error_clear(&err);
	assert_int_equal(pki_toml_get_string(t, "s", &s, &err), PKI_OK);
	assert_string_equal(s, "text");
	assert_int_equal(pki_toml_get_int(t, "i", &i, &err), PKI_OK);
	assert_int_equal(i, -42);
	assert_int_equal(pki_toml_get_bool(t, "b", &b, &err), PKI_OK);
	assert_int_equal(b, 1);
	assert_int_equal(pki_toml_get_table(t, "tab", &tab, &err), PKI_OK);
	assert_int_equal(pki_toml_get_array(tab, "arr", &arr, &err), PKI_OK);
	assert_int_equal(arr->n, 2);

	/* wrong type: the message names both types, position of the value */
	assert_int_equal(pki_toml_get_string(t, "i", &s, &err), PKI_E_INVALID);
	assert_null(s);
	assert_string_equal(err.msg, "'i' must be a string, not an integer");
	assert_int_equal(err.line, 3);
	assert_int_equal(err.column, 5);
	assert_int_equal(pki_toml_get_int(t, "tab", &i, &err), PKI_E_INVALID);
	assert_string_equal(err.msg, "'tab' must be an integer, not a table");
	assert_int_equal(err.line, 5);
	assert_int_equal(err.column, 1);
	/* a string with NUL is not handed out as a C string */
	assert_int_equal(pki_toml_get_string(t, "nul", &s, &err), PKI_E_INVALID);
	assert_non_null(strstr(err.msg, "NUL"));
	assert_int_equal(get(t, "nul", PKI_TOML_STRING)->u.s.len, 3);
	/* missing: position of the table it was looked for in */
	assert_int_equal(pki_toml_get_bool(tab, "missing", &b, &err),
			 PKI_E_NOTFOUND);
	assert_string_equal(err.msg, "missing key 'missing'");
	assert_int_equal(err.line, 5);
	assert_int_equal(err.column, 1);
	pki_toml_free(t);
}

static void
test_positions(void **state)
{
	static const char doc[] =
		"a = 1\n"                          /* 1 */
		"  \"é\" = \"ü\"  # é\n"           /* 2 */
		"x.y.z = [\n"                      /* 3 */
		"  true,\n"                        /* 4 */
		"]\n"                              /* 5 */
		"\n"                               /* 6 */
		"  [ t ]\n"                        /* 7 */
		"in = { k = 'v' }\n"               /* 8 */
		"[[arr]]\n"                        /* 9 */
		"[[arr]]\r\n"                      /* 10 */
		"v = \"\"\"\n1\n2\"\"\"\n"         /* 11-13 */
		"w = 3\n";                         /* 14 */
	struct pki_toml_table *t = parse_ok(doc);
	const struct pki_toml_keyval *kv;
	const struct pki_toml_value *v;
	const struct pki_toml_table *tt;
	const struct pki_toml_array *arr;

	(void)state;
	assert_int_equal(t->line, 1);
	assert_int_equal(t->column, 1);
	kv = pki_toml_find(t, "a");
	assert_int_equal(kv->line, 1);
	assert_int_equal(kv->column, 1);
	assert_int_equal(kv->val.line, 1);
	assert_int_equal(kv->val.column, 5);
	/* columns count characters, not bytes */
	kv = pki_toml_find(t, "é");
	assert_non_null(kv);
	assert_int_equal(kv->line, 2);
	assert_int_equal(kv->column, 3);
	assert_int_equal(kv->val.column, 9);
	/* a dotted key: the keyval is where the key starts */
	tt = subtable(subtable(t, "x"), "y");
	kv = pki_toml_find(tt, "z");
	assert_int_equal(kv->line, 3);
	assert_int_equal(kv->column, 1);
	assert_int_equal(kv->val.column, 9);
	assert_int_equal(kv->val.u.arr->items[0].line, 4);
	assert_int_equal(kv->val.u.arr->items[0].column, 3);
	/* a table header */
	tt = subtable(t, "t");
	assert_int_equal(tt->line, 7);
	assert_int_equal(tt->column, 3);
	v = get(tt, "in", PKI_TOML_TABLE);
	assert_int_equal(v->line, 8);
	assert_int_equal(v->column, 6);
	assert_int_equal(v->u.tab->line, 8);
	assert_int_equal(v->u.tab->column, 6);
	/* array of tables: each element at its header; CRLF is a newline */
	arr = get(t, "arr", PKI_TOML_ARRAY)->u.arr;
	assert_int_equal(arr->n, 2);
	assert_int_equal(arr->items[0].u.tab->line, 9);
	assert_int_equal(arr->items[1].u.tab->line, 10);
	v = get(arr->items[1].u.tab, "v", PKI_TOML_STRING);
	assert_int_equal(v->line, 11);
	assert_string_equal(v->u.s.ptr, "1\n2");
	v = get(arr->items[1].u.tab, "w", PKI_TOML_INTEGER);
	assert_int_equal(v->line, 14);
	pki_toml_free(t);
}

static void
test_error_positions(void **state)
{
	(void)state;
	parse_bad("a = 1\nb = \"open\n", 2, 5, "unterminated string");
	parse_bad("a = \"\"\"open\n\n", 1, 5, "unterminated string");
	parse_bad("a = 'open", 1, 5, "unterminated string");
	parse_bad("k = \"bad \\q\"", 1, 10, "invalid escape");
	parse_bad("k = \"\\uD800\"", 1, 6, "not a Unicode scalar value");
	parse_bad("k = \"\\u12\"", 1, 6, "hexadecimal digits");
	parse_bad("a = 1\na = 2\n", 2, 1, "duplicate key 'a'");
	parse_bad("[t]\nx.y = 1\n[t]\n", 3, 1, "cannot define table 't'");
	parse_bad("[t]\nx.y = 1\n[t.x]\n", 3, 1, "dotted keys");
	parse_bad("a = {b = 1}\n[a]\n", 2, 1, "inline table");
	parse_bad("a = {b = 1}\na.c = 2\n", 2, 1, "inline table");
	parse_bad("a = [1]\n[[a]]\n", 2, 1, "already an array");
	parse_bad("[[a]]\n[a]\n", 2, 1, "array of tables");
	parse_bad("[a.b.c]\nz = 9\n[a]\nb.c.t = 1\n", 4, 3, "'b.c'");
	parse_bad("key value\n", 1, 5, "expected '=' after key");
	parse_bad("key =\n", 1, 6, "expected a value");
	parse_bad("= 1\n", 1, 1, "expected a key");
	parse_bad("a = 1 2\n", 1, 7, "expected a newline");
	parse_bad("[a\n", 1, 3, "']'");
	parse_bad("[[a]\n", 1, 5, "']]'");
	parse_bad("a = [1 2]\n", 1, 8, "',' or ']'");
	parse_bad("a = {x = 1,}\n", 1, 12, "trailing comma");
	parse_bad("a = {x = 1\n}\n", 1, 11, "',' or '}'");
	parse_bad("\"\"\"k\"\"\" = 1\n", 1, 1, "multi-line string");
	parse_bad("# c\x01\n", 1, 4, "control character U+0001 in comment");
	parse_bad("a = \"x\x7f\"\n", 1, 7, "control character U+007F");
	parse_bad("a = 1\r\nb = 2\r", 2, 6, "expected a newline");
	parse_bad("é = 1\n", 1, 1, "expected a key");
	/* numbers */
	parse_bad("n = 9223372036854775808", 1, 5, "does not fit in 64 bits");
	parse_bad("n = -9223372036854775809", 1, 5, "does not fit in 64 bits");
	parse_bad("n = 0x1_0000_0000_0000_0000", 1, 5, "does not fit");
	parse_bad("n = 0o1777777777777777777777", 1, 5, "does not fit");
	parse_bad("n = 1e309", 1, 5, "float out of range");
	parse_bad("n = 007", 1, 5, "leading zeros");
	parse_bad("n = 1__0", 1, 5, "invalid number");
	parse_bad("n = 0X10", 1, 5, "invalid number");
	parse_bad("n = +0x10", 1, 5, "invalid number");
	parse_bad("n = 1.", 1, 5, "invalid number");
	parse_bad("n = .5", 1, 5, "expected a value");
	parse_bad("n = Inf", 1, 5, "expected a value");
	/* dates */
	parse_bad("d = 2023-02-29", 1, 5, "invalid date 2023-02-29");
	parse_bad("d = 1900-02-29", 1, 5, "invalid date");
	parse_bad("d = 2024-04-31", 1, 5, "invalid date");
	parse_bad("d = 2024-13-01", 1, 5, "invalid date");
	parse_bad("d = 2024-00-01", 1, 5, "invalid date");
	parse_bad("d = 2024-01-01T24:00:00", 1, 5, "invalid time");
	parse_bad("d = 2024-01-01T10:00", 1, 5, "HH:MM:SS");
	parse_bad("d = 2024-01-01T10:00:00+24:00", 1, 5, "offset");
	parse_bad("d = 2024-01-01T10:00:00.", 1, 5, "digits after '.'");
	parse_bad("d = 10:00:00Z", 1, 13, "expected a newline");
}

static void
test_valid_edge_cases(void **state)
{
	struct pki_toml_table *t;
	const struct pki_toml_value *v;

	(void)state;
	t = parse_ok("max = 9223372036854775807\n"
		     "min = -9223372036854775808\n"
		     "hex = 0x7FFF_ffff_FFFF_ffff\n"
		     "oct = 0o17\n"
		     "bin = 0b1_0\n"
		     "pinf = +inf\n"
		     "ninf = -inf\n"
		     "nan = -nan\n"
		     "nz = -0.0\n"
		     "e = 1_0.2_5e-0_1\n"
		     "tiny = 1e-400\n"
		     "leap = 2000-02-29\n"
		     "z = 1979-05-27t07:32:00z\n"
		     "neg = 1979-05-27 07:32:00-00:30\n");
	assert_int_equal(get(t, "max", PKI_TOML_INTEGER)->u.i, INT64_MAX);
	assert_int_equal(get(t, "min", PKI_TOML_INTEGER)->u.i, INT64_MIN);
	assert_int_equal(get(t, "hex", PKI_TOML_INTEGER)->u.i, INT64_MAX);
	assert_int_equal(get(t, "oct", PKI_TOML_INTEGER)->u.i, 15);
	assert_int_equal(get(t, "bin", PKI_TOML_INTEGER)->u.i, 2);
	v = get(t, "pinf", PKI_TOML_FLOAT);
	assert_true(isinf(v->u.f) && v->u.f > 0);
	v = get(t, "ninf", PKI_TOML_FLOAT);
	assert_true(isinf(v->u.f) && v->u.f < 0);
	assert_true(isnan(get(t, "nan", PKI_TOML_FLOAT)->u.f));
	v = get(t, "nz", PKI_TOML_FLOAT);
	assert_true(v->u.f == 0 && signbit(v->u.f));
	assert_true(fabs(get(t, "e", PKI_TOML_FLOAT)->u.f - 1.025) < 1e-12);
	assert_true(get(t, "tiny", PKI_TOML_FLOAT)->u.f == 0);
	assert_int_equal(get(t, "leap", PKI_TOML_DATE_LOCAL)->u.dt.day, 29);
	v = get(t, "z", PKI_TOML_DATETIME);
	assert_int_equal(v->u.dt.offset_z, 1);
	assert_int_equal(v->u.dt.offset_minutes, 0);
	assert_int_equal(get(t, "neg", PKI_TOML_DATETIME)->u.dt.offset_minutes,
			 -30);
	pki_toml_free(t);

	/* tables: implicit then explicit, sub-tables of dotted tables */
	t = parse_ok("[a.b.c]\n[a]\nx = 1\n"
		     "[f]\napple.color = 'red'\n[f.apple.texture]\nsmooth = true\n"
		     "[[f.apple.seeds]]\n");
	assert_int_equal(get(subtable(t, "a"), "x", PKI_TOML_INTEGER)->u.i, 1);
	assert_int_equal(get(subtable(subtable(subtable(t, "f"), "apple"),
				      "texture"), "smooth", PKI_TOML_BOOL)->u.b, 1);
	pki_toml_free(t);

	/* strings: line-ending backslash, quotes before the delimiter */
	t = parse_ok("s = \"\"\"\\\n   a \\\n\n  b\"\"\"\n"
		     "q = '''''x'''''\n"
		     "u = \"\\U0001F600\\u00e9\"\n"
		     "\"\" = 'empty key'\n");
	assert_string_equal(get(t, "s", PKI_TOML_STRING)->u.s.ptr, "a b");
	assert_string_equal(get(t, "q", PKI_TOML_STRING)->u.s.ptr, "''x''");
	assert_string_equal(get(t, "u", PKI_TOML_STRING)->u.s.ptr,
			    "\xf0\x9f\x98\x80\xc3\xa9");
	assert_string_equal(get(t, "", PKI_TOML_STRING)->u.s.ptr, "empty key");
	pki_toml_free(t);

	/* a BOM at the very start is skipped; an empty document is a table */
	t = parse_ok("\xef\xbb\xbf" "a = 1\n");
	assert_int_equal(get(t, "a", PKI_TOML_INTEGER)->u.i, 1);
	pki_toml_free(t);
	t = parse_ok("");
	assert_int_equal(t->n, 0);
	pki_toml_free(t);
}

/* A string of n copies of unit, NUL-terminated; caller frees. */
static char *
repeat(const char *prefix, const char *unit, size_t n, const char *suffix)
{
	size_t pl = strlen(prefix), ul = strlen(unit), sl = strlen(suffix), i;
	char *s = malloc(pl + ul * n + sl + 1), *o = s;

	assert_non_null(s);
	memcpy(o, prefix, pl);
	o += pl;
	for (i = 0; i < n; i++, o += ul)
		memcpy(o, unit, ul);
	memcpy(o, suffix, sl + 1);
	return s;
}

static void
test_deep_nesting(void **state)
{
	struct pki_toml_table *t;
	char *s, *open, *close;
	unsigned i;

	(void)state;
	/* 128 levels are fine, 129 are not: arrays */
	open = repeat("a = ", "[", PKI_TOML_MAX_DEPTH, "");
	close = repeat(open, "]", PKI_TOML_MAX_DEPTH, "\n");
	t = parse_ok(close);
	pki_toml_free(t);
	free(open);
	free(close);
	open = repeat("a = ", "[", PKI_TOML_MAX_DEPTH + 1, "");
	close = repeat(open, "]", PKI_TOML_MAX_DEPTH + 1, "\n");
	parse_bad(close, 1, 5 + PKI_TOML_MAX_DEPTH, "nesting deeper than 128");
	free(open);
	free(close);
	/* inline tables */
	open = repeat("a = ", "{b = ", PKI_TOML_MAX_DEPTH, "1");
	close = repeat(open, "}", PKI_TOML_MAX_DEPTH, "\n");
	t = parse_ok(close);
	pki_toml_free(t);
	free(open);
	free(close);
	open = repeat("a = ", "{b = ", PKI_TOML_MAX_DEPTH + 1, "1");
	close = repeat(open, "}", PKI_TOML_MAX_DEPTH + 1, "\n");
	parse_bad(close, 1, 5 + 5 * PKI_TOML_MAX_DEPTH, "nesting");
	free(open);
	free(close);
	/* a million unclosed brackets: rejected without deep recursion */
	s = repeat("a = ", "[", 1000000, "");
	parse_bad(s, 1, 5 + PKI_TOML_MAX_DEPTH, "nesting");
	free(s);
	s = repeat("a = ", "{b=", 1000000, "");
	parse_bad(s, 1, 5 + 3 * PKI_TOML_MAX_DEPTH, "nesting");
	free(s);
	/* headers and dotted keys count too */
	s = repeat("[a", ".a", PKI_TOML_MAX_DEPTH - 1, "]\nk = 1\n");
	t = parse_ok(s);
	pki_toml_free(t);
	free(s);
	s = repeat("[a", ".a", PKI_TOML_MAX_DEPTH, "]\n");
	parse_bad(s, 1, 2 + 2 * PKI_TOML_MAX_DEPTH, "nesting");
	free(s);
	/* 129 parts: 128 tables and a scalar in the deepest; 130: too deep */
	s = repeat("a", ".a", PKI_TOML_MAX_DEPTH, " = 1\n");
	t = parse_ok(s);
	pki_toml_free(t);
	free(s);
	s = repeat("[a", ".a", 99, "]\nb");
	open = repeat(s, ".b", 28, " = 1\n");
	t = parse_ok(open);
	pki_toml_free(t);
	free(open);
	open = repeat(s, ".b", 29, " = 1\n");
	parse_bad(open, 2, 1 + 2 * 28, "nesting deeper than 128");
	free(open);
	free(s);
	s = repeat("a", ".a", 100000, " = 1\n");
	parse_bad(s, 1, 1 + 2 * (PKI_TOML_MAX_DEPTH + 1), "dotted parts");
	free(s);
	/* nested arrays of tables: the array and its element are two levels,
	 * so [[a.a...]] with 65 parts is 130 deep */
	s = malloc(70 * 140);
	assert_non_null(s);
	s[0] = '\0';
	for (i = 1; i <= PKI_TOML_MAX_DEPTH / 2 + 1; i++) {
		open = repeat("[[a", ".a", i - 1, "]]\n");
		strcat(s, open);
		free(open);
	}
	parse_bad(s, PKI_TOML_MAX_DEPTH / 2 + 1, 3 + PKI_TOML_MAX_DEPTH, "nesting");
	free(s);
}

static void
test_hostile_bytes(void **state)
{
	static const char nul_value[] = "a = \"x\0y\"\n";
	static const char nul_key[] = "a\0 = 1\n";
	static const char nul_comment[] = "a = 1 # \0\n";
	static const char nul_bare[] = "\0";

	(void)state;
	/* raw NUL is a control character everywhere */
	parse_bad_len(nul_value, sizeof(nul_value) - 1, 1, 7,
		      "control character U+0000");
	parse_bad_len(nul_key, sizeof(nul_key) - 1, 1, 2, "expected '='");
	parse_bad_len(nul_comment, sizeof(nul_comment) - 1, 1, 9,
		      "control character U+0000 in comment");
	parse_bad_len(nul_bare, 1, 1, 1, "expected a key");
	/* invalid UTF-8: position of the first bad byte, in characters */
	parse_bad("# é\xc0\x80\n", 1, 4, "invalid UTF-8 byte 0xC0");
	parse_bad("a = 'x'\nb = \"\xed\xa0\x80\"\n", 2, 6, "invalid UTF-8");
	parse_bad("a = \"\xf4\x90\x80\x80\"", 1, 6, "invalid UTF-8");
	parse_bad("a = \"\xf5\"", 1, 6, "invalid UTF-8 byte 0xF5");
	parse_bad("a = \"\xe2\x82\"", 1, 6, "invalid UTF-8");
	parse_bad("a = \"\x80\"", 1, 6, "invalid UTF-8");
	parse_bad("a = 1 # \xff", 1, 9, "invalid UTF-8");
	/* a BOM anywhere but at the start, UTF-16 */
	parse_bad("a = 1\n\xef\xbb\xbf" "b = 2\n", 2, 1, "expected a key");
	parse_bad("\xff\xfe" "a\0", 1, 1, "invalid UTF-8");
	/* unterminated things at the very end of the buffer */
	parse_bad("a = \"", 1, 5, "unterminated string");
	parse_bad("a = \"\"\"", 1, 5, "unterminated string");
	parse_bad("a = \"\\", 1, 6, "invalid escape");
	parse_bad("a = \"\\u00", 1, 6, "hexadecimal digits");
	parse_bad("a = [", 1, 6, "expected a value");
	parse_bad("a = {", 1, 6, "expected a key");
	parse_bad("a = {b", 1, 7, "'='");
	parse_bad("[", 1, 2, "expected a key");
	parse_bad("[[", 1, 3, "expected a key");
	parse_bad("a = 2024-01-0", 1, 5, "invalid date");
	parse_bad("a = tru", 1, 5, "expected a value");
	parse_bad("a = -", 1, 5, "invalid number");
	parse_bad("a.", 1, 3, "expected a key");
}

static void
test_size_limit(void **state)
{
	struct pki_toml_table *t = NULL;
	struct pki_error err;
	size_t max = PKI_TOML_MAX_SIZE;
	char *buf = malloc(max + 1);

	(void)state;
	assert_non_null(buf);
	/* exactly 16 MiB: one long string value */
	memset(buf, 'x', max);
	memcpy(buf, "s = \"", 5);
	memcpy(buf + max - 2, "\"\n", 2);
	pki_error_clear(&err);
	assert_int_equal(pki_toml_parse(buf, max, &t, &err), PKI_OK);
	assert_int_equal(get(t, "s", PKI_TOML_STRING)->u.s.len, max - 7);
	pki_toml_free(t);
	/* one byte more is refused before parsing */
	memcpy(buf + max - 2, "xx\"", 3);
	t = (struct pki_toml_table *)&t;
	assert_int_equal(pki_toml_parse(buf, max + 1, &t, &err), PKI_E_PARSE);
	assert_null(t);
	assert_non_null(strstr(err.msg, "larger than 16777216 bytes"));
	free(buf);
}

static void
test_long_and_many_keys(void **state)
{
	enum { LONG = 1 << 20, MANY = 100000 };
	struct pki_toml_table *t;
	const struct pki_toml_keyval *kv;
	char *doc, *key, *o;
	size_t i;
	clock_t start;

	(void)state;
	/* a 1 MiB bare key and a 1 MiB quoted key */
	key = repeat("", "k", LONG, "");
	doc = repeat("", "k", LONG, " = 1\n\"");
	o = repeat(doc, "q", LONG, "\" = 2\n");
	t = parse_ok(o);
	kv = pki_toml_find(t, key);
	assert_non_null(kv);
	assert_int_equal(kv->keylen, LONG);
	assert_int_equal(kv->val.u.i, 1);
	assert_int_equal(t->items[1].keylen, LONG);
	pki_toml_free(t);
	free(o);
	free(doc);
	/* the duplicate check does not print a megabyte of key */
	doc = repeat(key, "", 0, " = 1\n");
	o = repeat(doc, "", 0, key);
	free(doc);
	doc = repeat(o, "", 0, " = 2\n");
	parse_bad(doc, 2, 1, "duplicate key 'kkkk");
	{
		struct pki_error err;

		assert_int_equal(parse_n(doc, strlen(doc), &t, &err), PKI_E_PARSE);
		assert_true(strlen(err.msg) < 200);
	}
	free(o);
	free(doc);
	free(key);

	/* 100000 keys in one table and 100000 tables: linear time */
	doc = malloc((size_t)MANY * 32 + 64);
	assert_non_null(doc);
	o = doc;
	for (i = 0; i < MANY; i++)
		o += sprintf(o, "k%zu = %zu\n", i, i);
	for (i = 0; i < MANY; i++)
		o += sprintf(o, "[t.t%zu]\n", i);
	start = clock();
	t = parse_ok(doc);
	assert_true((double)(clock() - start) / CLOCKS_PER_SEC < 5.0);
	assert_int_equal(t->n, MANY + 1);
	assert_int_equal(get(t, "k99999", PKI_TOML_INTEGER)->u.i, 99999);
	assert_int_equal(subtable(t, "t")->n, MANY);
	pki_toml_free(t);
	/* and a redefinition at the very end is still found */
	strcpy(o, "[t.t12345]\n");
	parse_bad(doc, MANY * 2 + 1, 1, "cannot define table 't.t12345'");
	free(doc);
}

static void
test_parse_file(void **state)
{
	char dir[] = "/tmp/test-toml.XXXXXX", path[64], big[64];
	struct pki_toml_table *t = NULL;
	struct pki_error err;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/c.toml", dir);
	snprintf(big, sizeof(big), "%s/big.toml", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("a = 1\nb = [\n  1,\n  \"x\n", f);
	assert_int_equal(fclose(f), 0);
	pki_error_clear(&err);
	assert_int_equal(pki_toml_parse_file(path, &t, &err), PKI_E_PARSE);
	assert_null(t);
	assert_int_equal(err.line, 4);
	assert_int_equal(err.column, 3);

	f = fopen(path, "w");
	assert_non_null(f);
	fputs("a = 1\n", f);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(pki_toml_parse_file(path, &t, &err), PKI_OK);
	assert_int_equal(get(t, "a", PKI_TOML_INTEGER)->u.i, 1);
	pki_toml_free(t);
	t = NULL;

	f = fopen(big, "w");
	assert_non_null(f);
	assert_int_equal(fseek(f, PKI_TOML_MAX_SIZE, SEEK_SET), 0);
	fputc('\n', f);
	assert_int_equal(fclose(f), 0);
	assert_int_not_equal(pki_toml_parse_file(big, &t, &err), PKI_OK);
	assert_null(t);
	assert_non_null(strstr(err.msg, "larger than"));

	assert_int_equal(unlink(big), 0);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(pki_toml_parse_file(path, &t, &err), PKI_E_NOTFOUND);
	assert_null(t);
	assert_int_equal(rmdir(dir), 0);
}

static void
test_type_names(void **state)
{
	(void)state;
	assert_string_equal(pki_toml_type_name(PKI_TOML_STRING), "string");
	assert_string_equal(pki_toml_type_name(PKI_TOML_INTEGER), "integer");
	assert_string_equal(pki_toml_type_name(PKI_TOML_BOOL), "boolean");
	assert_string_equal(pki_toml_type_name(PKI_TOML_TABLE), "table");
	assert_string_equal(pki_toml_type_name(PKI_TOML__MAX), "unknown");
	assert_string_equal(pki_toml_type_name((enum pki_toml_type)-1),
			    "unknown");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lookup_and_types),
		cmocka_unit_test(test_getters),
		cmocka_unit_test(test_positions),
		cmocka_unit_test(test_error_positions),
		cmocka_unit_test(test_valid_edge_cases),
		cmocka_unit_test(test_deep_nesting),
		cmocka_unit_test(test_hostile_bytes),
		cmocka_unit_test(test_size_limit),
		cmocka_unit_test(test_long_and_many_keys),
		cmocka_unit_test(test_parse_file),
		cmocka_unit_test(test_type_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
