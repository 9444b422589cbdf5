#!/bin/sh
# The environment spork reads for its key store (libpki reads none):
# SPORK_ARGON2_MEMORY_KIB / SPORK_ARGON2_PASSES (plain decimal numbers
# within lockbox.h's bounds), CREDENTIALS_DIRECTORY (online.kek) and
# SPORK_PKCS11_MODULE.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
need sqlite3 od
B="$SPORK pki build $HIER/2-tier.toml $PASSOPT"

# no_ca DIR DESC: nothing was built in state directory DIR
no_ca() {
	n=$(sqlite3 "$1/spork.db" "select count(*) from cas" 2>/dev/null || echo 0)
	[ "$n" = 0 ] && ok "$2: no CA recorded" || not_ok "$2: $n CAs recorded"
}

# ---- Argon2id costs: refused unless plain decimal within the bounds
i=0
for v in 4096 abc 8192x -1 " 8192" 99999999999999999999 4194305 4194304 1048577; do
	i=$((i + 1))
	export SPORK_STATE_DIR="$T/mem$i"
	expect 7 "SPORK_ARGON2_MEMORY_KIB='$v' refused" env SPORK_ARGON2_MEMORY_KIB="$v" $B
	grep_out "says which variable and what it takes ('$v')" \
		"SPORK_ARGON2_MEMORY_KIB=$v: expected a number from 8192 to 1048576" "$T/err"
	no_ca "$SPORK_STATE_DIR" "SPORK_ARGON2_MEMORY_KIB='$v'"
done
for v in 0 11 101 x; do
	export SPORK_STATE_DIR="$T/passes$v"
	expect 7 "SPORK_ARGON2_PASSES='$v' refused" env SPORK_ARGON2_PASSES="$v" $B
	grep_out "says which variable and what it takes ('$v')" \
		"SPORK_ARGON2_PASSES=$v: expected a number from 1 to 10" "$T/err"
	no_ca "$SPORK_STATE_DIR" "SPORK_ARGON2_PASSES='$v'"
done

# The values given are the ones keys are sealed with: t_cost and m_cost
# are bytes 9..16 of a sealed file (lockbox.h), big-endian.
export SPORK_STATE_DIR="$T/costs"
expect 0 "build with SPORK_ARGON2_MEMORY_KIB=9216 SPORK_ARGON2_PASSES=2" \
	env SPORK_ARGON2_MEMORY_KIB=9216 SPORK_ARGON2_PASSES=2 $B
f=$(find "$SPORK_STATE_DIR/lockbox/offline" -type f | head -n 1)
h=$(od -An -tx1 -j9 -N8 "$f" | tr -d ' \n')
[ "$h" = 0000000200002400 ] && ok "the root key is sealed with 2 passes, 9216 KiB" ||
	not_ok "sealed with t_cost/m_cost $h"

# ---- CREDENTIALS_DIRECTORY: online.kek there is used, none is created
# in the state directory.
export SPORK_STATE_DIR="$T/cred"
mkdir -p "$T/kcreds"
head -c 32 /dev/urandom > "$T/kcreds/online.kek"
chmod 400 "$T/kcreds/online.kek"
expect 0 "build with online.kek in \$CREDENTIALS_DIRECTORY" \
	env CREDENTIALS_DIRECTORY="$T/kcreds" $B
[ ! -e "$SPORK_STATE_DIR/online.kek" ] && ok "no online.kek in the state directory" ||
	not_ok "online.kek created in the state directory"
[ "$(find "$SPORK_STATE_DIR/lockbox/online" -type f | wc -l)" = 1 ] &&
	ok "the issuing CA's key is sealed under it" || not_ok "no online key sealed"
# One that is there but unusable is an error, not a reason to fall back.
export SPORK_STATE_DIR="$T/badcred"
mkdir -p "$T/bcreds/online.kek"
expect 7 "an unusable \$CREDENTIALS_DIRECTORY/online.kek refused" \
	env CREDENTIALS_DIRECTORY="$T/bcreds" $B
grep_out "names it" "$T/bcreds/online.kek is not a regular file" "$T/err"
[ ! -e "$SPORK_STATE_DIR/online.kek" ] && ok "and no online.kek made instead" ||
	not_ok "online.kek created in the state directory"

# ---- SPORK_PKCS11_MODULE: the module loaded for token keys
export SPORK_STATE_DIR="$T/p11"
run env SPORK_PKCS11_MODULE="$T/no-such-module.so" "$SPORK" pki build \
	"$top_srcdir/tests/data/hier/pkcs11.toml"
[ "$rc" != 0 ] && ok "a missing SPORK_PKCS11_MODULE fails (exit $rc)" || not_ok "built without the module"
grep_out "names the module" "loading PKCS#11 module $T/no-such-module.so" "$T/err"
finish
