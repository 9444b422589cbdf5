/*
 * toml: a strict TOML 1.0.0 parser into a small typed tree.
 *
 * The whole document is parsed at once; any error (with line and column,
 * 1-based, in err->line/err->column) rejects the document.  Tables keep
 * their keys in document order.  Strings are UTF-8, may contain NUL (hence
 * the explicit length) and are also NUL-terminated for convenience.
 */
#ifndef PKI_TOML_H
#define PKI_TOML_H

#include "pki.h"

/* Limits of pki_toml_parse(): bigger or deeper documents are rejected. */
#define PKI_TOML_MAX_SIZE (16u * 1024 * 1024)
#define PKI_TOML_MAX_DEPTH 128

enum pki_toml_type {
	PKI_TOML_STRING,
	PKI_TOML_INTEGER,
	PKI_TOML_FLOAT,
	PKI_TOML_BOOL,
	PKI_TOML_DATETIME,       /* offset date-time */
	PKI_TOML_DATETIME_LOCAL, /* local date-time */
	PKI_TOML_DATE_LOCAL,     /* local date */
	PKI_TOML_TIME_LOCAL,     /* local time */
	PKI_TOML_ARRAY,
	PKI_TOML_TABLE,
	PKI_TOML__MAX
};

struct pki_toml_datetime {
	int year, month, day;          /* valid for everything but TIME_LOCAL */
	int hour, minute, second;      /* valid for everything but DATE_LOCAL */
	long nanosecond;
	int offset_minutes;            /* DATETIME only; Z is 0 */
	int offset_z;                  /* 1 if written as Z */
	unsigned frac_digits;          /* digits of fractional seconds written */
};

struct pki_toml_table;
struct pki_toml_array;

struct pki_toml_value {
	enum pki_toml_type type;
	unsigned line, column;         /* where the value starts */
	union {
		struct { char *ptr; size_t len; } s;
		int64_t i;
		double f;
		int b;
		struct pki_toml_datetime dt;
		struct pki_toml_array *arr;
		struct pki_toml_table *tab;
	} u;
};

struct pki_toml_keyval {
	char *key;                     /* NUL-terminated; may contain NUL */
	size_t keylen;
	unsigned line, column;         /* where the key was written */
	struct pki_toml_value val;
};

struct pki_toml_array {
	size_t n;
	struct pki_toml_value *items;
};

struct pki_toml_table {
	size_t n;
	struct pki_toml_keyval *items;
	unsigned line, column;         /* header position, or 1,1 for the root */
	/* parser bookkeeping follows in the implementation; do not rely on it */
	unsigned flags;
	size_t cap;
};

/*
 * Parse len bytes of TOML.  On success *out is the root table; free it with
 * pki_toml_free().  Documents larger than 16 MiB or nested deeper than 128
 * levels are rejected.  On failure err has PKI_E_PARSE, line, column and a
 * message such as "expected '=' after key".
 */
int pki_toml_parse(const char *buf, size_t len, struct pki_toml_table **out,
		   struct pki_error *err) PKI_WUR;

/* Read and parse a file ("-" is standard input); error messages are
 * prefixed with nothing (the caller knows the path) but carry line/column.
 * A missing file gives PKI_E_NOTFOUND, one over 16 MiB PKI_E_INVALID. */
int pki_toml_parse_file(const char *path, struct pki_toml_table **out,
			struct pki_error *err) PKI_WUR;

void pki_toml_free(struct pki_toml_table *t);

/* The entry for key in t, or NULL. Borrowed pointer into t. */
const struct pki_toml_keyval *pki_toml_find(const struct pki_toml_table *t,
					    const char *key);

/* "string", "integer", "float", "boolean", "datetime", ... "table". */
const char *pki_toml_type_name(enum pki_toml_type type);

/*
 * Typed lookups for consumers of configuration files.  Each finds key in t
 * and stores a borrowed pointer (or a copy of the scalar) in *out.
 * Returns PKI_E_NOTFOUND if the key is absent (message "missing key
 * 'name'", position of the table), or PKI_E_INVALID if it has another type
 * (message "'name' must be a string, not an integer", position of the
 * value).  pki_toml_get_string() also refuses strings containing NUL, so
 * the result is safe to use as a C string.
 */
int pki_toml_get_string(const struct pki_toml_table *t, const char *key,
			const char **out, struct pki_error *err) PKI_WUR;
int pki_toml_get_int(const struct pki_toml_table *t, const char *key,
		     int64_t *out, struct pki_error *err) PKI_WUR;
int pki_toml_get_bool(const struct pki_toml_table *t, const char *key,
		      int *out, struct pki_error *err) PKI_WUR;
int pki_toml_get_table(const struct pki_toml_table *t, const char *key,
		       const struct pki_toml_table **out,
		       struct pki_error *err) PKI_WUR;
int pki_toml_get_array(const struct pki_toml_table *t, const char *key,
		       const struct pki_toml_array **out,
		       struct pki_error *err) PKI_WUR;

#endif
