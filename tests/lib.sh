# Sourced by tests/cli/*.sh and tests/interop/*.sh.
# Gives: $SPORK (the built binary), a private temp dir $T removed on exit,
# a state dir $SPORK_STATE_DIR, a passphrase file $T/pass, cheap Argon2,
# and small assertion helpers that count failures.
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
SPORK="$top_builddir/cli/spork"
HIER="$top_srcdir/hierarchy"
export SPORK_ARGON2_MEMORY_KIB=8192 SPORK_ARGON2_PASSES=1
export SPORK_ACTOR=test
T=$(mktemp -d "${TMPDIR:-/tmp}/spork-test.XXXXXX") || exit 99
trap 'rm -rf "$T"' EXIT
export SPORK_STATE_DIR="$T/state"
printf 'correct horse battery staple\n' > "$T/pass"
chmod 600 "$T/pass"
PASSOPT="--passphrase-file=$T/pass"
_fails=0
_count=0

ok() { _count=$((_count + 1)); echo "ok $_count - $*"; }
not_ok() {
	_count=$((_count + 1)); _fails=$((_fails + 1))
	echo "not ok $_count - $*"
}

# run CMD...: runs it, stdout in $T/out, stderr in $T/err, status in $rc
run() { "$@" >"$T/out" 2>"$T/err"; rc=$?; }

# expect WANT_RC DESC CMD...: run CMD and check its exit status
expect() {
	_want=$1 _desc=$2; shift 2
	run "$@"
	if [ "$rc" = "$_want" ]; then ok "$_desc"; else
		not_ok "$_desc (exit $rc, want $_want)"
		sed 's/^/#   /' "$T/err" | head -n 20
		sed 's/^/#   out: /' "$T/out" | head -n 10
	fi
}

# check DESC CMD...: CMD must succeed
check() {
	_desc=$1; shift
	if "$@" >"$T/check.out" 2>&1; then ok "$_desc"; else
		not_ok "$_desc"; sed 's/^/#   /' "$T/check.out" | head -n 20
	fi
}

# grep_out DESC PATTERN [FILE]: PATTERN (ERE) must occur in FILE ($T/out)
grep_out() {
	if grep -Eq -- "$2" "${3:-$T/out}"; then ok "$1"; else
		not_ok "$1: /$2/ not in ${3:-stdout}"
		sed 's/^/#   /' "${3:-$T/out}" | head -n 20
	fi
}

need() {
	for _t in "$@"; do
		command -v "$_t" >/dev/null 2>&1 || { echo "SKIP: $_t not installed"; exit 77; }
	done
}

finish() {
	echo "1..$_count"
	[ "$_fails" -eq 0 ] || { echo "# $_fails of $_count failed"; exit 1; }
	exit 0
}

# Build a 2-tier hierarchy (root offline, issuing online) into the state dir.
build_2tier() {
	"$SPORK" pki build "$HIER/2-tier.toml" $PASSOPT -q
}
