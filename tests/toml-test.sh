#!/bin/sh
# Run libpki's TOML parser over the toml-test corpus (TOML 1.0.0):
# every valid/**/*.toml must decode to the JSON beside it (compared by
# value with tests/toml-json-cmp), every invalid/**/*.toml must be
# rejected.  The corpus is looked for in $TOML_TEST_DIR, then in
# $top_srcdir/../shared/toml-test; without it the test is skipped (77).
set -u

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
dec=$top_builddir/tests/toml-decoder
cmp=$top_builddir/tests/toml-json-cmp

dir=
for d in "${TOML_TEST_DIR:-}" "$top_srcdir/../shared/toml-test"; do
	if [ -n "$d" ] && [ -d "$d/valid" ] && [ -d "$d/invalid" ]; then
		dir=$d
		break
	fi
done
if [ -z "$dir" ]; then
	echo "SKIP: toml-test corpus not found (set TOML_TEST_DIR or put it" \
	     "at $top_srcdir/../shared/toml-test)"
	exit 77
fi
for prog in "$dec" "$cmp"; do
	if [ ! -x "$prog" ]; then
		echo "FAIL: $prog is not built (make check builds it)"
		exit 1
	fi
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/toml-test.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM

# The corpus's own list of TOML 1.0.0 files when it has one (newer
# corpora also hold TOML 1.1 tests), else every .toml file.
if [ -f "$dir/files-toml-1.0.0" ]; then
	grep '\.toml$' "$dir/files-toml-1.0.0" > "$tmp/list"
else
	(cd "$dir" && find valid invalid -name '*.toml') > "$tmp/list"
fi
sort -o "$tmp/list" "$tmp/list"

# The whole corpus is decoded by one "toml-decoder --batch" process (one
# process per file costs tens of seconds on a loaded machine); every 20th
# file is also decoded through standard input, toml-test's own interface,
# which must give the same result.
mkdir "$tmp/out" || exit 1
tab=$(printf '\t')
n=0
while IFS= read -r f; do
	n=$((n + 1))
	echo "$dir/$f$tab$tmp/out/$n.json"
done < "$tmp/list" > "$tmp/batch"
if ! "$dec" --batch < "$tmp/batch" > "$tmp/rejected" 2> "$tmp/err"; then
	echo "FAIL: toml-decoder --batch failed:"
	cat "$tmp/err"
	exit 1
fi

vdecoded=0 vtotal=0 ipass=0 itotal=0 n=0 nstdin=0
: > "$tmp/failures"
: > "$tmp/pairs"
while IFS= read -r f; do
	n=$((n + 1))
	out=$tmp/out/$n.json
	if [ $((n % 20)) -eq 1 ]; then
		nstdin=$((nstdin + 1))
		if "$dec" < "$dir/$f" > "$tmp/stdin.json" 2> "$tmp/err"; then
			if [ ! -f "$out" ] || ! cmp -s "$out" "$tmp/stdin.json"
			then
				echo "$f: stdin and --batch decodings differ" \
					>> "$tmp/failures"
			fi
		elif [ -f "$out" ] || [ ! -s "$tmp/err" ]; then
			echo "$f: stdin and --batch results differ" \
				>> "$tmp/failures"
		fi
	fi
	case $f in
	valid/*)
		vtotal=$((vtotal + 1))
		if [ -f "$out" ]; then
			vdecoded=$((vdecoded + 1))
			echo "$dir/${f%.toml}.json$tab$out" >> "$tmp/pairs"
		else
			echo "$f: rejected: $(grep -F "$dir/$f: " \
				"$tmp/rejected" | head -n 1)" >> "$tmp/failures"
		fi
		;;
	invalid/*)
		itotal=$((itotal + 1))
		if [ -f "$out" ]; then
			echo "$f: accepted" >> "$tmp/failures"
		else
			ipass=$((ipass + 1))
		fi
		;;
	esac
done < "$tmp/list"

"$cmp" - < "$tmp/pairs" > "$tmp/differ" 2> "$tmp/cmp-err"
if [ $? -gt 1 ]; then
	echo "FAIL: toml-json-cmp could not compare:"
	cat "$tmp/cmp-err"
	exit 1
fi
vpass=$((vdecoded - $(wc -l < "$tmp/differ")))
if [ -s "$tmp/differ" ]; then
	echo "valid files decoded to a wrong value:" >> "$tmp/failures"
	cat "$tmp/cmp-err" >> "$tmp/failures"
fi

echo "toml-test corpus: $dir ($nstdin files also checked through stdin)"
echo "valid: $vpass/$vtotal passed, invalid: $ipass/$itotal rejected"
if [ -s "$tmp/failures" ]; then
	echo "failing files:"
	cat "$tmp/failures"
	exit 1
fi
if [ "$vtotal" -eq 0 ] || [ "$itotal" -eq 0 ]; then
	echo "FAIL: the corpus at $dir holds no tests"
	exit 1
fi
exit 0
