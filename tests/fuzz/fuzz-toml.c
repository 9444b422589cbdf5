/*
 * Fuzz target: pki_toml_parse() on arbitrary bytes.
 *
 * Besides "does not crash, leak or read out of bounds", every result is
 * checked against the parser's contract, and a violation aborts:
 *  - a failure leaves *out NULL and fills a message with a 1-based line
 *    and column;
 *  - a success is a tree no deeper than PKI_TOML_MAX_DEPTH, whose strings
 *    are NUL-terminated at their length, whose tables have no duplicate
 *    keys (pki_toml_find() finds each key at its own entry) and whose
 *    values have valid types and positions.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <spork/toml.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_table(const struct pki_toml_table *t, unsigned depth);

static void
check_value(const struct pki_toml_value *v, unsigned depth)
{
	size_t i;

	if (v->line == 0 || v->column == 0 || v->type >= PKI_TOML__MAX)
		abort();
	switch (v->type) {
	case PKI_TOML_STRING:
		if (v->u.s.ptr == NULL || v->u.s.ptr[v->u.s.len] != '\0')
			abort();
		break;
	case PKI_TOML_ARRAY:
		if (depth > PKI_TOML_MAX_DEPTH)
			abort();
		for (i = 0; i < v->u.arr->n; i++)
			check_value(&v->u.arr->items[i], depth + 1);
		break;
	case PKI_TOML_TABLE:
		if (depth > PKI_TOML_MAX_DEPTH)
			abort();
		check_table(v->u.tab, depth);
		break;
	case PKI_TOML_DATETIME:
	case PKI_TOML_DATETIME_LOCAL:
	case PKI_TOML_DATE_LOCAL:
	case PKI_TOML_TIME_LOCAL:
		if (v->u.dt.nanosecond < 0 || v->u.dt.nanosecond > 999999999 ||
		    v->u.dt.second > 60 || v->u.dt.minute > 59 ||
		    v->u.dt.hour > 23)
			abort();
		break;
	default:
		break;
	}
}

static void
check_table(const struct pki_toml_table *t, unsigned depth)
{
	const struct pki_toml_keyval *kv;
	const char *s;
	size_t i;

	for (i = 0; i < t->n; i++) {
		kv = &t->items[i];
		if (kv->key == NULL || kv->key[kv->keylen] != '\0' ||
		    kv->line == 0 || kv->column == 0)
			abort();
		if (memchr(kv->key, '\0', kv->keylen) == NULL &&
		    pki_toml_find(t, kv->key) != kv)
			abort();
		check_value(&kv->val, depth + 1);
		if (kv->val.type == PKI_TOML_STRING &&
		    memchr(kv->key, '\0', kv->keylen) == NULL &&
		    pki_toml_get_string(t, kv->key, &s, NULL) == PKI_OK &&
		    s != kv->val.u.s.ptr)
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pki_toml_table *t = (struct pki_toml_table *)&t;
	struct pki_error err;
	int rc;

	pki_error_clear(&err);
	rc = pki_toml_parse((const char *)data, size, &t, &err);
	if (rc != PKI_OK) {
		if (t != NULL || err.code != rc || err.msg[0] == '\0' ||
		    (rc == PKI_E_PARSE && (err.line == 0 || err.column == 0)))
			abort();
		return 0;
	}
	if (t == NULL)
		abort();
	check_table(t, 0);
	pki_toml_free(t);
	return 0;
}
