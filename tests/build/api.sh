#!/bin/sh
# libpki's surface is closed: libpki.so exports exactly the functions its
# public headers (libpki/include/spork/) declare, and nothing named pki__;
# each public header compiles on its own from the public include directory;
# cli/ compiles against that directory alone; and the library keeps its
# contracts: no getenv, printf or exit, SQL only in the store files, no
# command or option of the CLI in a message.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
need nm cc
INC="$top_srcdir/libpki/include"
SYM="$top_builddir/libpki/libpki.sym"
SO=$(ls "$top_builddir"/libpki/.libs/libpki.so.*.*.* 2>/dev/null | head -n 1)

# ---- exports
if [ -z "$SO" ] || [ ! -f "$SYM" ]; then
	not_ok "built libpki.so and libpki.sym"
	finish
fi
# What the headers declare, independently of the build's list.
sed -n 's/^[a-z][^(]*[ *]\(pki_[a-z0-9_]*\)(.*/\1/p' "$INC"/spork/*.h |
	LC_ALL=C sort -u > "$T/declared"
LC_ALL=C sort -u "$SYM" > "$T/sym"
if cmp -s "$T/declared" "$T/sym"; then ok "libpki.sym lists the public declarations"
else not_ok "libpki.sym differs from the headers"; diff "$T/declared" "$T/sym" | head; fi
nm -D --defined-only "$SO" | awk '$2 == "T" { print $3 }' | LC_ALL=C sort -u > "$T/exported"
if cmp -s "$T/declared" "$T/exported"; then
	ok "libpki.so exports exactly the $(wc -l < "$T/declared") declared functions"
else
	not_ok "exports differ from the public declarations"
	diff "$T/declared" "$T/exported" | sed 's/^/#   /' | head -n 20
fi
n=$(grep -c '^pki__' "$T/exported")
[ "$n" = 0 ] && ok "no pki__ (internal) symbol exported" || not_ok "$n pki__ symbols exported"
n=$(nm -D --defined-only "$SO" | awk '$2 ~ /[TDBR]/ && $3 !~ /^pki_/' | grep -vc '^$')
[ "$n" = 0 ] && ok "no other symbol exported" ||
	not_ok "$n symbols besides pki_* exported: $(nm -D --defined-only "$SO" | awk '$2 ~ /[TDBR]/ && $3 !~ /^pki_/ {print $3}' | head -n 5 | tr '\n' ' ')"

# ---- public headers: self-contained, public includes only
CFLAGS_PUB=$(sed -n 's/^GNUTLS_CFLAGS = //p' "$top_builddir/Makefile")
for h in "$INC"/spork/*.h; do
	b=$(basename "$h")
	printf '#include <spork/%s>\n' "$b" > "$T/h.c"
	if cc -fsyntax-only -Wall -Werror -I"$INC" $CFLAGS_PUB "$T/h.c" >"$T/cc" 2>&1; then
		ok "<spork/$b> compiles on its own"
	else
		not_ok "<spork/$b> compiles on its own"; sed 's/^/#   /' "$T/cc" | head
	fi
	if grep -q '#include "[a-z-]*-int.h"\|#include "\(util\|issue\|lockbox\|keystore\|store-write\)\.h"' "$h"; then
		not_ok "<spork/$b> includes an internal header"
	else
		ok "<spork/$b> includes only public headers"
	fi
done

# ---- the CLI sees the public directory alone
CLI_FLAGS="-I$top_builddir -I$INC $CFLAGS_PUB $(sed -n 's/^JANSSON_CFLAGS = //p; s/^POPT_CFLAGS = //p' "$top_builddir/Makefile")"
for c in "$top_srcdir"/cli/*.c; do
	if cc -fsyntax-only -I"$top_srcdir/cli" $CLI_FLAGS "$c" >"$T/cc" 2>&1; then
		ok "cli/$(basename "$c") compiles with only libpki/include"
	else
		not_ok "cli/$(basename "$c") compiles with only libpki/include"
		sed 's/^/#   /' "$T/cc" | head
	fi
done
grep_out "the Makefile gives the CLI only the public directory" \
	'^cli_spork_CPPFLAGS = \$\(PUBLIC_CPPFLAGS\)$' "$top_srcdir/Makefile.am"

# ---- library contracts (STYLE.md 2, DESIGN.md)
L="$top_srcdir/libpki"
if grep -nE '\b(getenv|secure_getenv|exit|_exit|abort|printf|puts|perror)[[:space:]]*\(' "$L"/*.c |
   grep -vE 'snprintf|vsnprintf|asprintf|fprintf\(f,|^[^:]*:[0-9]+:[[:space:]]*(/\*|\*)' > "$T/g"; then
	not_ok "libpki reads the environment, prints or exits"; sed 's/^/#   /' "$T/g" | head
else
	ok "no getenv, printf or exit in libpki"
fi
if grep -l 'sqlite3_' "$L"/*.c "$L"/*.h | grep -v '/store[^/]*\.[ch]$' > "$T/g"; then
	not_ok "sqlite3_ outside the store: $(cat "$T/g")"
else
	ok "sqlite3_ only in libpki/store*.c"
fi
# Option names (--ca, --passphrase-file ...) or CLI commands in message text.
if grep -nE '"[^"]*(--[a-z][a-z-]+|spork (pki|cert|crl|policy|audit|config|ocsp|acme) [a-z])' \
   "$L"/*.c | grep -vE 'xn--|-----' > "$T/g"; then
	not_ok "a libpki message names a CLI option or command"; sed 's/^/#   /' "$T/g" | head
else
	ok "no CLI option or command in libpki messages"
fi

finish
