/*
 * toml: a strict TOML 1.0.0 parser into a small typed tree (see toml.h).
 *
 * Security notes:
 *  - The input is bounded (PKI_TOML_MAX_SIZE bytes) and validated as UTF-8
 *    before anything else looks at it, so the rest of the parser may treat
 *    every byte >= 0x80 as part of a well-formed character.
 *  - Nesting is bounded (PKI_TOML_MAX_DEPTH containers from the root,
 *    counting arrays, inline tables, tables made by headers and by dotted
 *    keys).  The only recursion (values inside arrays and inline tables,
 *    and freeing) is bounded by that depth: under 100 KiB of stack.
 *  - Key lookups during the parse go through a hash index (seeded from
 *    addresses, so it varies between runs), so a document with many keys
 *    costs linear time; pki_toml_find() afterwards is a linear scan.
 *  - Nothing is repaired: any deviation from the TOML 1.0.0 grammar or its
 *    redefinition rules rejects the whole document.
 */
#include <config.h>

#include <errno.h>
#include <limits.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <spork/toml.h>
#include "util.h"

/* Table flags (struct pki_toml_table.flags). */
#define TF_IMPLICIT 0x01u /* created as the parent of a [header] */
#define TF_DEFINED 0x02u  /* defined by its own [header] */
#define TF_DOTTED 0x04u   /* created or extended by dotted keys */
#define TF_INLINE 0x08u   /* an inline table: sealed once written */
#define TF_AOT 0x10u      /* an element of an array of tables */

#define KEY_MAX_PARTS (PKI_TOML_MAX_DEPTH + 1)

struct toml_slot {
	const struct pki_toml_table *t; /* NULL: empty slot */
	size_t idx;
	uint64_t hash;
};

struct key_part {
	char *s;
	size_t len;
	unsigned line, col;
};

/* A dotted key; parts are on the heap so that nested inline tables do not
 * stack up kilobytes per level. */
struct key_path {
	size_t n, cap;
	struct key_part *parts;
};

struct sbuf {
	char *p;
	size_t n, cap;
};

struct parser {
	const unsigned char *buf;
	size_t len, pos;
	unsigned line, col;
	struct pki_error *err;
	struct toml_slot *slots;
	size_t nslots, used;
	uint64_t seed;
	locale_t cloc;
	struct sbuf sb;
};

static void table_free(struct pki_toml_table *t);

/* ------------------------------------------------------------ errors */

static int PKI_PRINTF(4, 5)
fail_at(struct parser *p, unsigned line, unsigned col, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	pki_error_setv(p->err, PKI_E_PARSE, fmt, ap);
	va_end(ap);
	if (p->err != NULL) {
		p->err->line = line;
		p->err->column = col;
	}
	return PKI_E_PARSE;
}

static int
nomem(struct parser *p)
{
	return pki_error_at(p->err, PKI_E_NOMEM, p->line, p->col,
			    "out of memory while parsing TOML");
}

/* A printable rendering of the byte at the cursor, for messages. */
static const char *
describe(struct parser *p, char *buf, size_t size)
{
	int c;

	if (p->pos >= p->len)
		return "end of input";
	c = p->buf[p->pos];
	if (c == '\n' || (c == '\r' && p->pos + 1 < p->len &&
			  p->buf[p->pos + 1] == '\n'))
		return "end of line";
	if (c > 0x20 && c < 0x7f)
		snprintf(buf, size, "'%c'", c);
	else if (c < 0x80)
		snprintf(buf, size, "character U+%04X", (unsigned)c);
	else
		snprintf(buf, size, "a non-ASCII character");
	return buf;
}

static int
fail_unexpected(struct parser *p, const char *what)
{
	char b[32];

	return fail_at(p, p->line, p->col, "unexpected %s, expected %s",
		       describe(p, b, sizeof(b)), what);
}

/* ------------------------------------------------------------ cursor */

static int
peek(const struct parser *p)
{
	return p->pos < p->len ? p->buf[p->pos] : -1;
}

static int
peek_at(const struct parser *p, size_t off)
{
	return p->len - p->pos > off ? p->buf[p->pos + off] : -1;
}

/* Consume one byte, keeping line and column (counted in characters). */
static void
adv(struct parser *p)
{
	unsigned char c = p->buf[p->pos++];

	if (c == '\n') {
		p->line++;
		p->col = 1;
	} else if ((c & 0xc0) != 0x80) {
		p->col++;
	}
}

static void
adv_n(struct parser *p, size_t n)
{
	while (n-- > 0)
		adv(p);
}

static void
skip_ws(struct parser *p)
{
	int c;

	while ((c = peek(p)) == ' ' || c == '\t')
		adv(p);
}

/* At a newline (LF or CRLF)?  Returns its length, or 0. */
static size_t
at_newline(const struct parser *p)
{
	int c = peek(p);

	if (c == '\n')
		return 1;
	if (c == '\r' && peek_at(p, 1) == '\n')
		return 2;
	return 0;
}

/* Characters allowed in comments and literal strings besides ASCII text. */
static int
is_control(int c)
{
	return (c >= 0 && c < 0x20 && c != '\t') || c == 0x7f;
}

/* '#' to the end of the line (the newline itself is not consumed). */
static int
skip_comment(struct parser *p)
{
	int c;

	adv(p);
	while ((c = peek(p)) >= 0 && !at_newline(p)) {
		if (is_control(c))
			return fail_at(p, p->line, p->col,
				       "control character U+%04X in comment",
				       (unsigned)c);
		adv(p);
	}
	return 0;
}

/* Whitespace, comments and newlines, as allowed inside arrays. */
static int
skip_ws_nl(struct parser *p)
{
	size_t nl;
	int rc;

	for (;;) {
		skip_ws(p);
		if (peek(p) == '#') {
			if ((rc = skip_comment(p)) != 0)
				return rc;
		} else if ((nl = at_newline(p)) > 0) {
			adv_n(p, nl);
		} else {
			return 0;
		}
	}
}

/* ------------------------------------------------------------ UTF-8 */

/* Length of the well-formed UTF-8 sequence at s (RFC 3629: no overlong
 * forms, no surrogates, nothing above U+10FFFF), or 0. */
static size_t
utf8_seq(const unsigned char *s, size_t avail)
{
	unsigned c = s[0];

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		return avail >= 2 && (s[1] & 0xc0) == 0x80 ? 2 : 0;
	if (c >= 0xe0 && c <= 0xef) {
		unsigned lo = c == 0xe0 ? 0xa0 : 0x80;
		unsigned hi = c == 0xed ? 0x9f : 0xbf;

		return avail >= 3 && s[1] >= lo && s[1] <= hi &&
		       (s[2] & 0xc0) == 0x80 ? 3 : 0;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		unsigned lo = c == 0xf0 ? 0x90 : 0x80;
		unsigned hi = c == 0xf4 ? 0x8f : 0xbf;

		return avail >= 4 && s[1] >= lo && s[1] <= hi &&
		       (s[2] & 0xc0) == 0x80 && (s[3] & 0xc0) == 0x80 ? 4 : 0;
	}
	return 0;
}

static int
check_utf8(struct parser *p)
{
	size_t i = 0, n, line_start = 0;
	unsigned line = 1, col;

	while (i < p->len) {
		if ((n = utf8_seq(p->buf + i, p->len - i)) == 0)
			break;
		if (p->buf[i] == '\n') {
			line++;
			line_start = i + 1;
		}
		i += n;
	}
	if (i == p->len)
		return 0;
	col = 1;
	for (n = line_start; n < i; n++)
		if ((p->buf[n] & 0xc0) != 0x80)
			col++;
	return fail_at(p, line, col, "invalid UTF-8 byte 0x%02X",
		       (unsigned)p->buf[i]);
}

/* ------------------------------------------------------------ buffers */

static int
sb_reserve(struct parser *p, size_t more)
{
	struct sbuf *b = &p->sb;
	size_t ncap;
	char *np;

	if (b->cap - b->n > more)
		return 0;
	ncap = b->cap ? b->cap : 64;
	while (ncap - b->n <= more)
		ncap *= 2;
	if ((np = realloc(b->p, ncap)) == NULL)
		return nomem(p);
	b->p = np;
	b->cap = ncap;
	return 0;
}

static int
sb_put(struct parser *p, const void *data, size_t len)
{
	int rc;

	if ((rc = sb_reserve(p, len)) != 0)
		return rc;
	memcpy(p->sb.p + p->sb.n, data, len);
	p->sb.n += len;
	return 0;
}

static int
sb_putc(struct parser *p, int c)
{
	char ch = (char)c;

	return sb_put(p, &ch, 1);
}

static int
sb_put_utf8(struct parser *p, unsigned long cp)
{
	unsigned char u[4];
	size_t n;

	if (cp < 0x80) {
		u[0] = (unsigned char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (unsigned char)(0xc0 | (cp >> 6));
		u[1] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (unsigned char)(0xe0 | (cp >> 12));
		u[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		u[0] = (unsigned char)(0xf0 | (cp >> 18));
		u[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
		u[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		u[3] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	return sb_put(p, u, n);
}

/* Copy the scratch buffer into a fresh NUL-terminated allocation. */
static int
sb_take(struct parser *p, char **out, size_t *outlen)
{
	char *s;

	if ((s = malloc(p->sb.n + 1)) == NULL)
		return nomem(p);
	if (p->sb.n > 0)
		memcpy(s, p->sb.p, p->sb.n);
	s[p->sb.n] = '\0';
	*out = s;
	*outlen = p->sb.n;
	p->sb.n = 0;
	return 0;
}

/* ------------------------------------------------------------ tree */

static void
value_free(struct pki_toml_value *v)
{
	size_t i;

	switch (v->type) {
	case PKI_TOML_STRING:
		free(v->u.s.ptr);
		break;
	case PKI_TOML_ARRAY:
		if (v->u.arr == NULL)
			break;
		for (i = 0; i < v->u.arr->n; i++)
			value_free(&v->u.arr->items[i]);
		free(v->u.arr->items);
		free(v->u.arr);
		break;
	case PKI_TOML_TABLE:
		table_free(v->u.tab);
		break;
	default:
		break;
	}
	v->type = PKI_TOML_BOOL;
}

static void
table_free(struct pki_toml_table *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->n; i++) {
		free(t->items[i].key);
		value_free(&t->items[i].val);
	}
	free(t->items);
	free(t);
}

void
pki_toml_free(struct pki_toml_table *t)
{
	table_free(t);
}

static struct pki_toml_table *
table_new(unsigned flags, unsigned line, unsigned col)
{
	struct pki_toml_table *t = calloc(1, sizeof(*t));

	if (t != NULL) {
		t->flags = flags;
		t->line = line;
		t->column = col;
	}
	return t;
}

/* Append v to a; the array owns v afterwards (on success only).  The
 * capacity is implied by n: 4, then the next power of two. */
static int
array_push(struct parser *p, struct pki_toml_array *a,
	   const struct pki_toml_value *v)
{
	size_t n = a->n;

	if (n == 0 || (n >= 4 && (n & (n - 1)) == 0)) {
		size_t ncap = n == 0 ? 4 : n * 2;
		struct pki_toml_value *ni;

		if (ncap > SIZE_MAX / sizeof(*ni) ||
		    (ni = realloc(a->items, ncap * sizeof(*ni))) == NULL)
			return nomem(p);
		a->items = ni;
	}
	a->items[a->n++] = *v;
	return 0;
}

static int
is_aot(const struct pki_toml_value *v)
{
	return v->type == PKI_TOML_ARRAY && v->u.arr->n > 0 &&
	       v->u.arr->items[0].type == PKI_TOML_TABLE &&
	       (v->u.arr->items[0].u.tab->flags & TF_AOT);
}

/* ------------------------------------------------------------ key index */

static uint64_t
key_hash(const struct parser *p, const struct pki_toml_table *t,
	 const char *key, size_t len)
{
	uint64_t h = p->seed ^ ((uint64_t)(uintptr_t)t * 0x9e3779b97f4a7c15ULL);
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)key[i];
		h *= 0x100000001b3ULL;
	}
	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 32;
	return h;
}

/* Index of key in t, or -1. */
static long
table_lookup(const struct parser *p, const struct pki_toml_table *t,
	     const char *key, size_t len)
{
	uint64_t h;
	size_t i, mask;
	const struct toml_slot *s;
	const struct pki_toml_keyval *kv;

	if (p->nslots == 0)
		return -1;
	h = key_hash(p, t, key, len);
	mask = p->nslots - 1;
	for (i = h & mask;; i = (i + 1) & mask) {
		s = &p->slots[i];
		if (s->t == NULL)
			return -1;
		if (s->t != t || s->hash != h)
			continue;
		kv = &t->items[s->idx];
		if (kv->keylen == len && memcmp(kv->key, key, len) == 0)
			return (long)s->idx;
	}
}

static void
slot_put(struct toml_slot *slots, size_t nslots, const struct toml_slot *in)
{
	size_t i, mask = nslots - 1;

	for (i = in->hash & mask; slots[i].t != NULL; i = (i + 1) & mask)
		;
	slots[i] = *in;
}

static int
index_add(struct parser *p, const struct pki_toml_table *t, size_t idx,
	  uint64_t h)
{
	struct toml_slot s = { t, idx, h };

	if ((p->used + 1) * 2 > p->nslots) {
		size_t nn = p->nslots ? p->nslots * 2 : 64, i;
		struct toml_slot *ns;

		if (nn > SIZE_MAX / sizeof(*ns) ||
		    (ns = calloc(nn, sizeof(*ns))) == NULL)
			return nomem(p);
		for (i = 0; i < p->nslots; i++)
			if (p->slots[i].t != NULL)
				slot_put(ns, nn, &p->slots[i]);
		free(p->slots);
		p->slots = ns;
		p->nslots = nn;
	}
	slot_put(p->slots, p->nslots, &s);
	p->used++;
	return 0;
}

/*
 * Add key to t (the caller checked it is not there) with value *v.  On
 * success t owns a copy of the key and the value.
 */
static int
table_add(struct parser *p, struct pki_toml_table *t, const char *key,
	  size_t len, unsigned line, unsigned col,
	  const struct pki_toml_value *v)
{
	struct pki_toml_keyval *kv, *ni;
	char *k = NULL;
	size_t ncap;
	int rc = PKI_E_NOMEM;

	if (t->n == t->cap) {
		ncap = t->cap ? t->cap * 2 : 4;
		if (ncap > SIZE_MAX / sizeof(*ni) ||
		    (ni = realloc(t->items, ncap * sizeof(*ni))) == NULL) {
			rc = nomem(p);
			goto out;
		}
		t->items = ni;
		t->cap = ncap;
	}
	if ((k = malloc(len + 1)) == NULL) {
		rc = nomem(p);
		goto out;
	}
	memcpy(k, key, len);
	k[len] = '\0';
	if ((rc = index_add(p, t, t->n, key_hash(p, t, key, len))) != 0)
		goto out;
	kv = &t->items[t->n++];
	kv->key = k;
	kv->keylen = len;
	kv->line = line;
	kv->column = col;
	kv->val = *v;
	k = NULL;
	rc = 0;
out:
	free(k);
	return rc;
}

/* Add a new empty table under key, positioned at line:col (the key for
 * tables made by dotted keys, the header for [tables]); *out is the new
 * table, owned by t. */
static int
table_add_table(struct parser *p, struct pki_toml_table *t,
		const struct key_part *k, unsigned flags, unsigned line,
		unsigned col, struct pki_toml_table **out)
{
	struct pki_toml_value v;
	int rc = PKI_E_NOMEM;

	memset(&v, 0, sizeof(v));
	v.type = PKI_TOML_TABLE;
	v.line = line;
	v.column = col;
	if ((v.u.tab = table_new(flags, line, col)) == NULL) {
		rc = nomem(p);
		goto out;
	}
	if ((rc = table_add(p, t, k->s, k->len, k->line, k->col, &v)) != 0)
		goto out;
	*out = v.u.tab;
	v.u.tab = NULL;
	rc = 0;
out:
	table_free(v.u.tab);
	return rc;
}

/* Append a new table to an array of tables; *out is the new table, owned
 * by a. */
static int
aot_append(struct parser *p, struct pki_toml_array *a, unsigned line,
	   unsigned col, struct pki_toml_table **out)
{
	struct pki_toml_value v;
	int rc = PKI_E_NOMEM;

	memset(&v, 0, sizeof(v));
	v.type = PKI_TOML_TABLE;
	v.line = line;
	v.column = col;
	if ((v.u.tab = table_new(TF_AOT | TF_DEFINED, line, col)) == NULL) {
		rc = nomem(p);
		goto out;
	}
	if ((rc = array_push(p, a, &v)) != 0)
		goto out;
	*out = v.u.tab;
	v.u.tab = NULL;
	rc = 0;
out:
	table_free(v.u.tab);
	return rc;
}

/* ------------------------------------------------------------ strings */

/* The cursor is on a backslash inside a basic string. */
static int
parse_escape(struct parser *p)
{
	unsigned line = p->line, col = p->col;
	unsigned long cp = 0;
	int c, i, n, h;
	char b[32];

	adv(p);
	c = peek(p);
	switch (c) {
	case 'b': adv(p); return sb_putc(p, '\b');
	case 't': adv(p); return sb_putc(p, '\t');
	case 'n': adv(p); return sb_putc(p, '\n');
	case 'f': adv(p); return sb_putc(p, '\f');
	case 'r': adv(p); return sb_putc(p, '\r');
	case '"': adv(p); return sb_putc(p, '"');
	case '\\': adv(p); return sb_putc(p, '\\');
	case 'u': n = 4; break;
	case 'U': n = 8; break;
	default:
		return fail_at(p, line, col, "invalid escape sequence: "
			       "backslash followed by %s",
			       describe(p, b, sizeof(b)));
	}
	adv(p);
	for (i = 0; i < n; i++) {
		if ((h = pki__hexval(peek(p))) < 0)
			return fail_at(p, line, col, "escape \\%c needs %d "
				       "hexadecimal digits", c, n);
		cp = cp * 16 + (unsigned long)h;
		adv(p);
	}
	if ((cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return fail_at(p, line, col, "escape \\%c%0*lX is not a "
			       "Unicode scalar value", c, n, cp);
	return sb_put_utf8(p, cp);
}

/* A run of quote characters inside a multi-line string: up to two may
 * precede the closing delimiter.  Sets *done when the string ended. */
static int
ml_quotes(struct parser *p, int q, int *done)
{
	size_t n = 0;
	unsigned line = p->line, col = p->col;

	while (peek(p) == q) {
		adv(p);
		n++;
	}
	if (n < 3) {
		while (n-- > 0)
			if (sb_putc(p, q) != 0)
				return PKI_E_NOMEM;
		return 0;
	}
	if (n > 5)
		return fail_at(p, line, col, "too many quotes at the end of "
			       "a multi-line string");
	for (n -= 3; n > 0; n--)
		if (sb_putc(p, q) != 0)
			return PKI_E_NOMEM;
	*done = 1;
	return 0;
}

/*
 * Parse any of the four string forms at the cursor into the scratch
 * buffer, then into *out and *outlen.  multiline_ok is 0 for keys.
 */
static int
parse_string(struct parser *p, int multiline_ok, char **out, size_t *outlen)
{
	unsigned line = p->line, col = p->col;
	int q = peek(p), ml = 0, done = 0, rc = 0, c;
	size_t nl;

	p->sb.n = 0;
	if (peek_at(p, 1) == q && peek_at(p, 2) == q) {
		if (!multiline_ok)
			return fail_at(p, line, col, "a multi-line string "
				       "cannot be used as a key");
		ml = 1;
		adv_n(p, 3);
		if ((nl = at_newline(p)) > 0)
			adv_n(p, nl);
	} else {
		adv(p);
	}
	while (!done) {
		c = peek(p);
		if (c < 0)
			return fail_at(p, line, col, "unterminated string");
		if (c == q) {
			if (ml) {
				rc = ml_quotes(p, q, &done);
			} else {
				adv(p);
				done = 1;
			}
		} else if (c == '\\' && q == '"') {
			size_t save = p->pos;
			unsigned sl = p->line, sc = p->col;

			if (ml) {
				/* line-ending backslash: \ ws* newline */
				adv(p);
				skip_ws(p);
				if (at_newline(p)) {
					while ((c = peek(p)) == ' ' || c == '\t' ||
					       at_newline(p))
						adv(p);
					continue;
				}
				p->pos = save;
				p->line = sl;
				p->col = sc;
			}
			rc = parse_escape(p);
		} else if (ml && (nl = at_newline(p)) > 0) {
			adv_n(p, nl);
			rc = sb_putc(p, '\n');
		} else if (c == '\n' || (c == '\r' && at_newline(p))) {
			return fail_at(p, line, col, "unterminated string "
				       "(a newline needs a multi-line string)");
		} else if (is_control(c)) {
			return fail_at(p, p->line, p->col, "control character "
				       "U+%04X in string", (unsigned)c);
		} else {
			size_t n = utf8_seq(p->buf + p->pos, p->len - p->pos);

			rc = sb_put(p, p->buf + p->pos, n);
			adv_n(p, n);
		}
		if (rc != 0)
			return rc;
	}
	return sb_take(p, out, outlen);
}

/* ------------------------------------------------------------ keys */

static int
is_bare(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '-';
}

static void
key_path_free(struct key_path *k)
{
	size_t i;

	for (i = 0; i < k->n; i++)
		free(k->parts[i].s);
	free(k->parts);
	k->parts = NULL;
	k->n = 0;
	k->cap = 0;
}

/* simple-key *( ws '.' ws simple-key ), trailing whitespace consumed. */
static int
parse_key(struct parser *p, struct key_path *k)
{
	struct key_part *kp;
	size_t start;
	int c, rc;

	for (;;) {
		if (k->n == KEY_MAX_PARTS)
			return fail_at(p, p->line, p->col, "key has more than "
				       "%d dotted parts", KEY_MAX_PARTS);
		if (k->n == k->cap) {
			size_t ncap = k->cap ? k->cap * 2 : 4;

			if (ncap > KEY_MAX_PARTS)
				ncap = KEY_MAX_PARTS;
			if ((kp = realloc(k->parts, ncap * sizeof(*kp))) == NULL)
				return nomem(p);
			k->parts = kp;
			k->cap = ncap;
		}
		kp = &k->parts[k->n];
		kp->line = p->line;
		kp->col = p->col;
		c = peek(p);
		if (c == '"' || c == '\'') {
			if ((rc = parse_string(p, 0, &kp->s, &kp->len)) != 0)
				return rc;
		} else if (is_bare(c)) {
			start = p->pos;
			while (is_bare(peek(p)))
				adv(p);
			kp->len = p->pos - start;
			if ((kp->s = malloc(kp->len + 1)) == NULL)
				return nomem(p);
			memcpy(kp->s, p->buf + start, kp->len);
			kp->s[kp->len] = '\0';
		} else {
			return fail_unexpected(p, "a key");
		}
		k->n++;
		skip_ws(p);
		if (peek(p) != '.')
			return 0;
		adv(p);
		skip_ws(p);
	}
}

/* ------------------------------------------------------------ numbers */

static int
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

/*
 * Digits of base with single underscores between digits, starting at s[*i]
 * (at least one digit).  Appends the digits to the scratch buffer when
 * keep is set.  Returns 0 or -1.
 */
static int
scan_digits(struct parser *p, const unsigned char *s, size_t n, size_t *i,
	    int base, int keep)
{
	size_t j = *i;
	int prev_digit = 0;

	for (; j < n; j++) {
		int d = s[j] == '_' ? -2 : pki__hexval(s[j]);

		if (d == -2) {
			if (!prev_digit || j + 1 >= n || pki__hexval(s[j + 1]) < 0 ||
			    pki__hexval(s[j + 1]) >= base)
				return -1;
			prev_digit = 0;
			continue;
		}
		if (d < 0 || d >= base)
			break;
		if (keep && sb_putc(p, s[j]) != 0)
			return -1; /* not reached: the caller reserved room */
		prev_digit = 1;
	}
	if (j == *i)
		return -1;
	*i = j;
	return 0;
}

static int
parse_c_double(struct parser *p, const char *s, double *out)
{
	char *end;

	if (p->cloc == (locale_t)0 &&
	    (p->cloc = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0)) ==
	    (locale_t)0)
		return -3;
	errno = 0;
	*out = strtod_l(s, &end, p->cloc);
	if (*end != '\0')
		return -1;
	if (errno == ERANGE && isinf(*out))
		return -2;
	return 0;
}

static int
parse_number(struct parser *p, struct pki_toml_value *v)
{
	const unsigned char *s = p->buf + p->pos;
	size_t n = 0, i = 0, k;
	unsigned line = p->line, col = p->col;
	int neg = 0, is_float = 0, base = 10, r;
	uint64_t acc = 0, lim;
	double d;

	while (p->pos + n < p->len &&
	       (is_bare(s[n]) || s[n] == '+' || s[n] == '.'))
		n++;
	if (n == 0)
		return fail_unexpected(p, "a value");
	/* reserve the whole token so that sb_putc below cannot fail */
	p->sb.n = 0;
	if (sb_reserve(p, n + 4) != 0)
		return PKI_E_NOMEM;
	if (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-';
		i = 1;
		(void)sb_putc(p, s[0]);
	}
	if (n - i == 3 && (memcmp(s + i, "inf", 3) == 0 ||
			   memcmp(s + i, "nan", 3) == 0)) {
		v->type = PKI_TOML_FLOAT;
		v->u.f = s[i] == 'i' ? INFINITY : NAN;
		if (neg)
			v->u.f = copysign(v->u.f, -1.0);
		goto done;
	}
	if (i == 0 && n >= 2 && s[0] == '0' &&
	    (s[1] == 'x' || s[1] == 'o' || s[1] == 'b')) {
		base = s[1] == 'x' ? 16 : s[1] == 'o' ? 8 : 2;
		i = 2;
		if (scan_digits(p, s, n, &i, base, 1) != 0 || i != n)
			goto bad;
	} else {
		k = i;
		if (scan_digits(p, s, n, &i, 10, 1) != 0)
			goto bad;
		if (s[k] == '0' && i - k > 1)
			return fail_at(p, line, col, "leading zeros are not "
				       "allowed in decimal numbers");
		if (i < n && s[i] == '.') {
			is_float = 1;
			i++;
			(void)sb_putc(p, '.');
			if (scan_digits(p, s, n, &i, 10, 1) != 0)
				goto bad;
		}
		if (i < n && (s[i] == 'e' || s[i] == 'E')) {
			is_float = 1;
			i++;
			(void)sb_putc(p, 'e');
			if (i < n && (s[i] == '+' || s[i] == '-'))
				(void)sb_putc(p, s[i++]);
			if (scan_digits(p, s, n, &i, 10, 1) != 0)
				goto bad;
		}
		if (i != n)
			goto bad;
	}
	(void)sb_putc(p, '\0');
	if (is_float) {
		if ((r = parse_c_double(p, p->sb.p, &d)) == -2)
			return fail_at(p, line, col, "float out of range");
		if (r == -3)
			return nomem(p);
		if (r != 0)
			goto bad;
		v->type = PKI_TOML_FLOAT;
		v->u.f = d;
		goto done;
	}
	lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	for (k = (s[0] == '+' || s[0] == '-'); p->sb.p[k] != '\0'; k++) {
		unsigned dv = (unsigned)pki__hexval(p->sb.p[k]);

		if (acc > (lim - dv) / (unsigned)base)
			return fail_at(p, line, col, "integer does not fit in "
				       "64 bits");
		acc = acc * (unsigned)base + dv;
	}
	v->type = PKI_TOML_INTEGER;
	if (neg)
		v->u.i = acc == (uint64_t)INT64_MAX + 1 ? INT64_MIN :
			 -(int64_t)acc;
	else
		v->u.i = (int64_t)acc;
done:
	adv_n(p, n);
	return 0;
bad:
	return fail_at(p, line, col, "invalid number '%.*s'",
		       n > 40 ? 40 : (int)n, (const char *)s);
}

/* ------------------------------------------------------------ dates */

/* n decimal digits at the cursor as an int, or -1. */
static int
take_digits(struct parser *p, int n)
{
	int v = 0, i;

	for (i = 0; i < n; i++)
		if (!is_digit(peek_at(p, (size_t)i)))
			return -1;
	for (i = 0; i < n; i++) {
		v = v * 10 + (peek(p) - '0');
		adv(p);
	}
	return v;
}

static int
take_char(struct parser *p, int c)
{
	if (peek(p) != c)
		return -1;
	adv(p);
	return 0;
}

static int
days_in_month(int y, int m)
{
	static const int dm[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
				    30, 31 };

	if (m == 2 && y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))
		return 29;
	return dm[m - 1];
}

/* HH:MM:SS[.frac] */
static int
parse_time(struct parser *p, struct pki_toml_datetime *dt, unsigned line,
	   unsigned col)
{
	unsigned long ns = 0;
	unsigned digits = 0;

	if ((dt->hour = take_digits(p, 2)) < 0 || take_char(p, ':') != 0 ||
	    (dt->minute = take_digits(p, 2)) < 0 || take_char(p, ':') != 0 ||
	    (dt->second = take_digits(p, 2)) < 0)
		return fail_at(p, line, col, "invalid time: expected HH:MM:SS");
	if (dt->hour > 23 || dt->minute > 59 || dt->second > 60)
		return fail_at(p, line, col, "invalid time %02d:%02d:%02d",
			       dt->hour, dt->minute, dt->second);
	if (peek(p) == '.') {
		adv(p);
		if (!is_digit(peek(p)))
			return fail_at(p, line, col, "invalid time: expected "
				       "digits after '.'");
		while (is_digit(peek(p))) {
			if (digits < 9)
				ns = ns * 10 + (unsigned long)(peek(p) - '0');
			if (digits < UINT_MAX)
				digits++;
			adv(p);
		}
		for (unsigned i = digits; i < 9; i++)
			ns *= 10;
	}
	dt->nanosecond = (long)ns;
	dt->frac_digits = digits;
	return 0;
}

static int
parse_datetime(struct parser *p, struct pki_toml_value *v)
{
	struct pki_toml_datetime *dt = &v->u.dt;
	unsigned line = p->line, col = p->col;
	int c, sign, oh, om, rc;

	memset(dt, 0, sizeof(*dt));
	if (peek_at(p, 2) == ':') {
		v->type = PKI_TOML_TIME_LOCAL;
		return parse_time(p, dt, line, col);
	}
	if ((dt->year = take_digits(p, 4)) < 0 || take_char(p, '-') != 0 ||
	    (dt->month = take_digits(p, 2)) < 0 || take_char(p, '-') != 0 ||
	    (dt->day = take_digits(p, 2)) < 0)
		return fail_at(p, line, col, "invalid date: expected "
			       "YYYY-MM-DD");
	if (dt->month < 1 || dt->month > 12 || dt->day < 1 ||
	    dt->day > days_in_month(dt->year, dt->month))
		return fail_at(p, line, col, "invalid date %04d-%02d-%02d",
			       dt->year, dt->month, dt->day);
	c = peek(p);
	if (!(c == 'T' || c == 't' ||
	      (c == ' ' && is_digit(peek_at(p, 1)) && is_digit(peek_at(p, 2)) &&
	       peek_at(p, 3) == ':'))) {
		v->type = PKI_TOML_DATE_LOCAL;
		return 0;
	}
	adv(p);
	if ((rc = parse_time(p, dt, line, col)) != 0)
		return rc;
	c = peek(p);
	if (c == 'Z' || c == 'z') {
		adv(p);
		dt->offset_z = 1;
		v->type = PKI_TOML_DATETIME;
		return 0;
	}
	if (c != '+' && c != '-') {
		v->type = PKI_TOML_DATETIME_LOCAL;
		return 0;
	}
	sign = c == '-' ? -1 : 1;
	adv(p);
	if ((oh = take_digits(p, 2)) < 0 || take_char(p, ':') != 0 ||
	    (om = take_digits(p, 2)) < 0)
		return fail_at(p, line, col, "invalid time offset: expected "
			       "+HH:MM or -HH:MM");
	if (oh > 23 || om > 59)
		return fail_at(p, line, col, "invalid time offset %02d:%02d",
			       oh, om);
	dt->offset_minutes = sign * (oh * 60 + om);
	v->type = PKI_TOML_DATETIME;
	return 0;
}

/* ------------------------------------------------------------ values */

static int parse_value(struct parser *p, struct pki_toml_value *v,
		       unsigned depth);
static int parse_keyval(struct parser *p, struct pki_toml_table *t,
			unsigned depth);

static int
check_depth(struct parser *p, unsigned depth, unsigned line, unsigned col)
{
	if (depth > PKI_TOML_MAX_DEPTH)
		return fail_at(p, line, col, "nesting deeper than %d levels",
			       PKI_TOML_MAX_DEPTH);
	return 0;
}

static int
parse_array(struct parser *p, struct pki_toml_value *v, unsigned depth)
{
	struct pki_toml_value item;
	int rc;

	if ((rc = check_depth(p, depth, p->line, p->col)) != 0)
		return rc;
	v->type = PKI_TOML_ARRAY;
	if ((v->u.arr = calloc(1, sizeof(*v->u.arr))) == NULL)
		return nomem(p);
	adv(p);
	for (;;) {
		if ((rc = skip_ws_nl(p)) != 0)
			return rc;
		if (peek(p) == ']')
			break;
		memset(&item, 0, sizeof(item));
		if ((rc = parse_value(p, &item, depth + 1)) != 0 ||
		    (rc = array_push(p, v->u.arr, &item)) != 0) {
			value_free(&item);
			return rc;
		}
		if ((rc = skip_ws_nl(p)) != 0)
			return rc;
		if (peek(p) == ',')
			adv(p);
		else if (peek(p) != ']')
			return fail_unexpected(p, "',' or ']' in array");
	}
	adv(p);
	return 0;
}

static int
parse_inline_table(struct parser *p, struct pki_toml_value *v,
		   unsigned depth)
{
	int rc, c;

	if ((rc = check_depth(p, depth, p->line, p->col)) != 0)
		return rc;
	v->type = PKI_TOML_TABLE;
	if ((v->u.tab = table_new(TF_INLINE, p->line, p->col)) == NULL)
		return nomem(p);
	adv(p);
	skip_ws(p);
	if (peek(p) == '}') {
		adv(p);
		return 0;
	}
	for (;;) {
		skip_ws(p);
		if (peek(p) == '}')
			return fail_at(p, p->line, p->col, "trailing comma "
				       "in inline table");
		if ((rc = parse_keyval(p, v->u.tab, depth)) != 0)
			return rc;
		skip_ws(p);
		c = peek(p);
		if (c != ',' && c != '}')
			return fail_unexpected(p, "',' or '}' in inline table "
					       "(inline tables are on one line)");
		adv(p);
		if (c == '}')
			return 0;
	}
}

static int
parse_literal(struct parser *p, const char *word, int b,
	      struct pki_toml_value *v)
{
	size_t n = strlen(word);

	if (p->len - p->pos < n || memcmp(p->buf + p->pos, word, n) != 0)
		return fail_unexpected(p, "a value");
	adv_n(p, n);
	v->type = PKI_TOML_BOOL;
	v->u.b = b;
	return 0;
}

/*
 * Parse the value at the cursor into *v (zeroed by the caller).  On failure
 * *v holds whatever was built so far, for the caller to free.  depth is the
 * nesting level a container here would have.
 */
static int
parse_value(struct parser *p, struct pki_toml_value *v, unsigned depth)
{
	int c = peek(p);

	v->line = p->line;
	v->column = p->col;
	v->type = PKI_TOML_BOOL;
	switch (c) {
	case '"':
	case '\'':
		v->type = PKI_TOML_STRING;
		return parse_string(p, 1, &v->u.s.ptr, &v->u.s.len);
	case '[':
		return parse_array(p, v, depth);
	case '{':
		return parse_inline_table(p, v, depth);
	case 't':
		return parse_literal(p, "true", 1, v);
	case 'f':
		return parse_literal(p, "false", 0, v);
	default:
		break;
	}
	if (is_digit(c) && is_digit(peek_at(p, 1)) &&
	    ((is_digit(peek_at(p, 2)) && is_digit(peek_at(p, 3)) &&
	      peek_at(p, 4) == '-') || peek_at(p, 2) == ':'))
		return parse_datetime(p, v);
	if (is_digit(c) || c == '+' || c == '-' || c == 'i' || c == 'n')
		return parse_number(p, v);
	return fail_unexpected(p, "a value");
}

/* ------------------------------------------------------------ structure */

static const char *
kind_of(const struct pki_toml_value *v)
{
	if (v->type == PKI_TOML_TABLE && (v->u.tab->flags & TF_INLINE))
		return "an inline table";
	if (v->type == PKI_TOML_TABLE && (v->u.tab->flags & TF_DOTTED))
		return "a table defined by dotted keys";
	if (v->type == PKI_TOML_TABLE)
		return "a table";
	if (is_aot(v))
		return "an array of tables";
	if (v->type == PKI_TOML_ARRAY)
		return "an array";
	if (v->type == PKI_TOML_INTEGER)
		return "an integer";
	if (v->type == PKI_TOML_STRING)
		return "a string";
	if (v->type == PKI_TOML_FLOAT)
		return "a float";
	if (v->type == PKI_TOML_BOOL)
		return "a boolean";
	return "a date/time";
}

/*
 * The first n parts of a key as written, joined by '.', for messages:
 * printable ASCII as is, other bytes as \xNN, long keys shortened, so that
 * a hostile key cannot put control characters on the user's terminal.
 */
static const char *
key_text(const struct key_path *k, size_t n, char *buf, size_t size)
{
	size_t i, j, o = 0;

	buf[0] = '\0';
	for (i = 0; i < n; i++) {
		const struct key_part *kp = &k->parts[i];

		if (i > 0 && o + 1 < size)
			buf[o++] = '.';
		for (j = 0; j < kp->len; j++) {
			unsigned char c = (unsigned char)kp->s[j];

			if (o + 8 >= size) {
				memcpy(buf + size - 4, "...", 4);
				return buf;
			}
			if (c >= 0x20 && c < 0x7f && c != '\\')
				buf[o++] = (char)c;
			else
				o += (size_t)snprintf(buf + o, size - o,
						      "\\x%02X", c);
		}
		buf[o] = '\0';
	}
	return buf;
}

/* Enter or create the tables for all but the last part of a dotted key. */
static int
dotted_descend(struct parser *p, struct pki_toml_table **tp, unsigned *depth,
	       const struct key_path *k)
{
	struct pki_toml_table *t = *tp;
	const struct key_part *kp;
	struct pki_toml_value *v;
	char name[128];
	long idx;
	size_t i;
	int rc;

	for (i = 0; i + 1 < k->n; i++) {
		kp = &k->parts[i];
		(*depth)++;
		if ((rc = check_depth(p, *depth, kp->line, kp->col)) != 0)
			return rc;
		if ((idx = table_lookup(p, t, kp->s, kp->len)) < 0) {
			if ((rc = table_add_table(p, t, kp, TF_DOTTED, kp->line,
						  kp->col, &t)) != 0)
				return rc;
			continue;
		}
		v = &t->items[idx].val;
		if (v->type != PKI_TOML_TABLE ||
		    (v->u.tab->flags & (TF_INLINE | TF_DEFINED | TF_AOT)))
			return fail_at(p, kp->line, kp->col, "cannot add keys "
				       "to '%s' with a dotted key: it is %s "
				       "(line %u)",
				       key_text(k, i + 1, name, sizeof(name)),
				       kind_of(v), v->line);
		t = v->u.tab;
		t->flags |= TF_DOTTED;
	}
	*tp = t;
	return 0;
}

/* key = value, inside table t whose nesting level is depth. */
static int
parse_keyval(struct parser *p, struct pki_toml_table *t, unsigned depth)
{
	struct key_path k = { 0, 0, NULL };
	struct pki_toml_value v;
	const struct key_part *last;
	unsigned line = p->line, col = p->col;
	char name[128];
	int rc;
	long idx;

	memset(&v, 0, sizeof(v));
	v.type = PKI_TOML_BOOL;
	if ((rc = parse_key(p, &k)) != 0)
		goto out;
	if (peek(p) != '=') {
		rc = fail_unexpected(p, "'=' after key");
		goto out;
	}
	adv(p);
	skip_ws(p);
	/* the key's tables first, so a duplicate is reported at once; only
	 * the value can add to t after this, and a value never does */
	if ((rc = dotted_descend(p, &t, &depth, &k)) != 0)
		goto out;
	last = &k.parts[k.n - 1];
	if ((idx = table_lookup(p, t, last->s, last->len)) >= 0) {
		rc = fail_at(p, last->line, last->col, "duplicate key '%s' "
			     "(first defined on line %u)",
			     key_text(&k, k.n, name, sizeof(name)),
			     t->items[idx].line);
		goto out;
	}
	if ((rc = parse_value(p, &v, depth + 1)) != 0)
		goto out;
	if ((rc = table_add(p, t, last->s, last->len, line, col, &v)) != 0)
		goto out;
	v.type = PKI_TOML_BOOL;
	rc = 0;
out:
	value_free(&v);
	key_path_free(&k);
	return rc;
}

/* A [header] or [[header]] being resolved, part by part. */
struct header {
	const struct key_path *k;
	unsigned line, col;             /* of the header */
	int aot;                        /* [[...]] */
	struct pki_toml_table *t;       /* the table reached so far */
	unsigned depth;                 /* its nesting level */
};

/* Part kp of the header names nothing yet: an implicit table on the way,
 * or the table or array of tables the header defines. */
static int
header_add(struct parser *p, struct header *h, const struct key_part *kp,
	   int final)
{
	struct pki_toml_value nv;
	int rc;

	if (!final)
		return table_add_table(p, h->t, kp, TF_IMPLICIT, kp->line,
				       kp->col, &h->t);
	if (!h->aot)
		return table_add_table(p, h->t, kp, TF_DEFINED, h->line, h->col,
				       &h->t);
	memset(&nv, 0, sizeof(nv));
	nv.type = PKI_TOML_ARRAY;
	nv.line = h->line;
	nv.column = h->col;
	if ((nv.u.arr = calloc(1, sizeof(*nv.u.arr))) == NULL)
		return nomem(p);
	if ((rc = table_add(p, h->t, kp->s, kp->len, kp->line, kp->col,
			    &nv)) != 0) {
		value_free(&nv);
		return rc;
	}
	h->depth++;
	return aot_append(p, nv.u.arr, h->line, h->col, &h->t);
}

/* Part i (not the last) of the header names v: enter it if it is a table
 * or the last table of an array of tables. */
static int
header_enter(struct parser *p, struct header *h, size_t i,
	     struct pki_toml_value *v)
{
	const struct key_part *kp = &h->k->parts[i];
	char name[128], part[128];
	int rc;

	if (v->type == PKI_TOML_TABLE && !(v->u.tab->flags & TF_INLINE)) {
		h->t = v->u.tab;
		return 0;
	}
	if (is_aot(v)) {
		h->depth++;
		if ((rc = check_depth(p, h->depth, kp->line, kp->col)) != 0)
			return rc;
		h->t = v->u.arr->items[v->u.arr->n - 1].u.tab;
		return 0;
	}
	return fail_at(p, kp->line, kp->col, "cannot define table '%s' inside "
		       "'%s': that is %s (line %u)",
		       key_text(h->k, h->k->n, name, sizeof(name)),
		       key_text(h->k, i + 1, part, sizeof(part)),
		       kind_of(v), v->line);
}

/* The last part of the header names v already: append to an array of
 * tables, or define a table so far only implied by other headers. */
static int
header_define(struct parser *p, struct header *h, struct pki_toml_value *v)
{
	char name[128];

	if (h->aot) {
		if (!is_aot(v))
			return fail_at(p, h->line, h->col, "cannot define array "
				       "of tables '%s': it is already %s "
				       "(line %u)",
				       key_text(h->k, h->k->n, name,
						sizeof(name)),
				       kind_of(v), v->line);
		h->depth++;
		return aot_append(p, v->u.arr, h->line, h->col, &h->t);
	}
	if (v->type != PKI_TOML_TABLE || (v->u.tab->flags & ~TF_IMPLICIT) != 0)
		return fail_at(p, h->line, h->col, "cannot define table '%s': "
			       "it is already %s (line %u)",
			       key_text(h->k, h->k->n, name, sizeof(name)),
			       (v->type == PKI_TOML_TABLE &&
				(v->u.tab->flags & TF_DEFINED)) ?
			       "defined" : kind_of(v), v->line);
	h->t = v->u.tab;
	h->t->flags |= TF_DEFINED;
	h->t->line = h->line;
	h->t->column = h->col;
	v->line = h->line;
	v->column = h->col;
	return 0;
}

/* [a.b.c] or [[a.b.c]]: make *cur the table that following keys go to. */
static int
parse_header(struct parser *p, struct pki_toml_table *root,
	     struct pki_toml_table **cur, unsigned *cur_depth)
{
	struct key_path k = { 0, 0, NULL };
	struct header h;
	const struct key_part *kp;
	int rc;
	size_t i;
	long idx;

	memset(&h, 0, sizeof(h));
	h.k = &k;
	h.line = p->line;
	h.col = p->col;
	h.t = root;
	adv(p);
	if (peek(p) == '[') {
		h.aot = 1;
		adv(p);
	}
	skip_ws(p);
	if ((rc = parse_key(p, &k)) != 0)
		goto out;
	if (take_char(p, ']') != 0 || (h.aot && take_char(p, ']') != 0)) {
		rc = fail_unexpected(p, h.aot ? "']]' to close the array of "
				     "tables header" : "']' to close the "
				     "table header");
		goto out;
	}
	for (i = 0; i < k.n; i++) {
		int final = i + 1 == k.n;

		kp = &k.parts[i];
		h.depth++;
		if ((rc = check_depth(p, h.depth + (unsigned)(final && h.aot),
				      kp->line, kp->col)) != 0)
			goto out;
		if ((idx = table_lookup(p, h.t, kp->s, kp->len)) < 0)
			rc = header_add(p, &h, kp, final);
		else if (!final)
			rc = header_enter(p, &h, i, &h.t->items[idx].val);
		else
			rc = header_define(p, &h, &h.t->items[idx].val);
		if (rc != 0)
			goto out;
	}
	*cur = h.t;
	*cur_depth = h.depth;
	rc = 0;
out:
	key_path_free(&k);
	return rc;
}

/* After a key/value pair or header: whitespace, a comment, a newline. */
static int
expect_eol(struct parser *p)
{
	size_t nl;
	int rc;

	skip_ws(p);
	if (peek(p) == '#' && (rc = skip_comment(p)) != 0)
		return rc;
	if (peek(p) < 0)
		return 0;
	if ((nl = at_newline(p)) == 0)
		return fail_unexpected(p, "a newline");
	adv_n(p, nl);
	return 0;
}

static int
parse_document(struct parser *p, struct pki_toml_table *root)
{
	struct pki_toml_table *cur = root;
	unsigned depth = 0;
	int c, rc;

	if (p->len >= 3 && memcmp(p->buf, "\xef\xbb\xbf", 3) == 0)
		p->pos = 3;
	for (;;) {
		skip_ws(p);
		c = peek(p);
		if (c < 0)
			return 0;
		if (c == '[')
			rc = parse_header(p, root, &cur, &depth);
		else if (c != '#' && !at_newline(p))
			rc = parse_keyval(p, cur, depth);
		else
			rc = 0;
		if (rc != 0 || (rc = expect_eol(p)) != 0)
			return rc;
	}
}

/* ------------------------------------------------------------ API */

int
pki_toml_parse(const char *buf, size_t len, struct pki_toml_table **out,
	       struct pki_error *err)
{
	struct parser p;
	struct pki_toml_table *root = NULL;
	int rc = PKI_E_PARSE;

	memset(&p, 0, sizeof(p));
	p.buf = (const unsigned char *)buf;
	p.len = len;
	p.line = 1;
	p.col = 1;
	p.err = err;
	p.seed = (uint64_t)(uintptr_t)&p ^ ((uint64_t)(uintptr_t)buf << 17) ^
		 0x243f6a8885a308d3ULL;
	*out = NULL;
	if (len > PKI_TOML_MAX_SIZE) {
		rc = pki_error_at(err, PKI_E_PARSE, 1, 1, "TOML document is "
				  "larger than %u bytes",
				  (unsigned)PKI_TOML_MAX_SIZE);
		goto out;
	}
	if (len > 0 && buf == NULL) {
		rc = pki_error_set(err, PKI_E_INVALID, "pki_toml_parse: "
				   "no buffer");
		goto out;
	}
	if ((rc = check_utf8(&p)) != 0)
		goto out;
	if ((root = table_new(TF_DEFINED, 1, 1)) == NULL) {
		rc = nomem(&p);
		goto out;
	}
	if ((rc = parse_document(&p, root)) != 0)
		goto out;
	*out = root;
	root = NULL;
	rc = PKI_OK;
out:
	table_free(root);
	free(p.slots);
	free(p.sb.p);
	if (p.cloc != (locale_t)0)
		freelocale(p.cloc);
	return rc;
}

int
pki_toml_parse_file(const char *path, struct pki_toml_table **out,
		    struct pki_error *err)
{
	gnutls_datum_t d = { NULL, 0 };
	int rc;

	*out = NULL;
	if ((rc = pki_file_read(path, PKI_TOML_MAX_SIZE, &d, err)) != 0)
		goto out;
	rc = pki_toml_parse((const char *)d.data, d.size, out, err);
out:
	gnutls_free(d.data);
	return rc;
}

const struct pki_toml_keyval *
pki_toml_find(const struct pki_toml_table *t, const char *key)
{
	size_t i, len;

	if (t == NULL || key == NULL)
		return NULL;
	len = strlen(key);
	for (i = 0; i < t->n; i++)
		if (t->items[i].keylen == len &&
		    memcmp(t->items[i].key, key, len) == 0)
			return &t->items[i];
	return NULL;
}

const char *
pki_toml_type_name(enum pki_toml_type type)
{
	static const char *const names[PKI_TOML__MAX] = {
		[PKI_TOML_STRING] = "string",
		[PKI_TOML_INTEGER] = "integer",
		[PKI_TOML_FLOAT] = "float",
		[PKI_TOML_BOOL] = "boolean",
		[PKI_TOML_DATETIME] = "datetime",
		[PKI_TOML_DATETIME_LOCAL] = "local datetime",
		[PKI_TOML_DATE_LOCAL] = "local date",
		[PKI_TOML_TIME_LOCAL] = "local time",
		[PKI_TOML_ARRAY] = "array",
		[PKI_TOML_TABLE] = "table",
	};

	if ((unsigned)type >= PKI_TOML__MAX)
		return "unknown";
	return names[type];
}

/* Find key with the given type, or fill err. */
static int
get_typed(const struct pki_toml_table *t, const char *key,
	  enum pki_toml_type type, const struct pki_toml_value **out,
	  struct pki_error *err)
{
	const struct pki_toml_keyval *kv = pki_toml_find(t, key);

	*out = NULL;
	if (kv == NULL)
		return pki_error_at(err, PKI_E_NOTFOUND, t ? t->line : 0,
				    t ? t->column : 0, "missing key '%s'",
				    key ? key : "");
	if (kv->val.type != type)
		return pki_error_at(err, PKI_E_INVALID, kv->val.line,
				    kv->val.column, "'%s' must be %s %s, not "
				    "%s %s", key,
				    type == PKI_TOML_INTEGER ? "an" : "a",
				    pki_toml_type_name(type),
				    kv->val.type == PKI_TOML_INTEGER ||
				    kv->val.type == PKI_TOML_ARRAY ||
				    kv->val.type == PKI_TOML_DATETIME ? "an" : "a",
				    pki_toml_type_name(kv->val.type));
	*out = &kv->val;
	return PKI_OK;
}

int
pki_toml_get_string(const struct pki_toml_table *t, const char *key,
		    const char **out, struct pki_error *err)
{
	const struct pki_toml_value *v;
	int rc;

	*out = NULL;
	if ((rc = get_typed(t, key, PKI_TOML_STRING, &v, err)) != 0)
		return rc;
	if (memchr(v->u.s.ptr, '\0', v->u.s.len) != NULL)
		return pki_error_at(err, PKI_E_INVALID, v->line, v->column,
				    "'%s' must not contain a NUL character",
				    key);
	*out = v->u.s.ptr;
	return PKI_OK;
}

int
pki_toml_get_int(const struct pki_toml_table *t, const char *key,
		 int64_t *out, struct pki_error *err)
{
	const struct pki_toml_value *v;
	int rc;

	if ((rc = get_typed(t, key, PKI_TOML_INTEGER, &v, err)) == 0)
		*out = v->u.i;
	return rc;
}

int
pki_toml_get_bool(const struct pki_toml_table *t, const char *key,
		  int *out, struct pki_error *err)
{
	const struct pki_toml_value *v;
	int rc;

	if ((rc = get_typed(t, key, PKI_TOML_BOOL, &v, err)) == 0)
		*out = v->u.b;
	return rc;
}

int
pki_toml_get_table(const struct pki_toml_table *t, const char *key,
		   const struct pki_toml_table **out, struct pki_error *err)
{
	const struct pki_toml_value *v;
	int rc;

	*out = NULL;
	if ((rc = get_typed(t, key, PKI_TOML_TABLE, &v, err)) == 0)
		*out = v->u.tab;
	return rc;
}

int
pki_toml_get_array(const struct pki_toml_table *t, const char *key,
		   const struct pki_toml_array **out, struct pki_error *err)
{
	const struct pki_toml_value *v;
	int rc;

	*out = NULL;
	if ((rc = get_typed(t, key, PKI_TOML_ARRAY, &v, err)) == 0)
		*out = v->u.arr;
	return rc;
}
