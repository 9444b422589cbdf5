#!/bin/sh
# Replay every built fuzz target over its seed corpus: tests/fuzz/fuzz-NAME
# runs each file below tests/fuzz/corpus/NAME/ once.  With the plain driver
# (tests/fuzz/replay.c) this is what make check does; a libFuzzer binary
# (--enable-fuzzers) gets "-runs=0", which replays the corpus the same way.
# A crash, sanitizer report or hang (5 minutes per target) fails the test.
set -u

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
bindir=$top_builddir/tests/fuzz
corpora=$top_srcdir/tests/fuzz/corpus

tmo=
if command -v timeout > /dev/null 2>&1; then
	tmo="timeout 300"
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/fuzz-replay.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM

ran=0 failed=0
for bin in "$bindir"/fuzz-*; do
	case $bin in
	*.o | *.c | *.log | *.trs) continue ;;
	esac
	[ -f "$bin" ] && [ -x "$bin" ] || continue
	prog=${bin##*/}
	name=${prog#fuzz-}
	corpus=$corpora/$name
	if [ ! -d "$corpus" ]; then
		echo "WARN: $prog has no corpus (tests/fuzz/corpus/$name/):" \
		     "replaying the empty input only"
		corpus=
	fi
	ran=$((ran + 1))
	if $tmo "$bin" -runs=0 ${corpus:+"$corpus"} > "$tmp/out" 2>&1
	then
		echo "PASS: $prog: $(tail -n 1 "$tmp/out")"
	else
		failed=$((failed + 1))
		echo "FAIL: $prog over ${corpus:-the empty input}:"
		tail -n 30 "$tmp/out"
	fi
done

if [ "$ran" -eq 0 ]; then
	echo "SKIP: no fuzz target is built in $bindir"
	exit 77
fi
echo "fuzz replay: $((ran - failed)) of $ran targets passed"
[ "$failed" -eq 0 ]
