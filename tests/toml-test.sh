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

# Valid files are decoded one process each, as toml-test runs a decoder;
# their outputs are then compared in one toml-json-cmp process.
vdecoded=0 vtotal=0 ipass=0 itotal=0
tab=$(printf '\t')
: > "$tmp/failures"
: > "$tmp/pairs"
while IFS= read -r f; do
	case $f in
	valid/*)
		vtotal=$((vtotal + 1))
		out=$tmp/$vtotal.json
		if ! "$dec" < "$dir/$f" > "$out" 2> "$tmp/err"; then
			echo "valid $f: rejected: $(head -n 1 "$tmp/err")" \
				>> "$tmp/failures"
		else
			vdecoded=$((vdecoded + 1))
			echo "$dir/${f%.toml}.json$tab$out" >> "$tmp/pairs"
		fi
		;;
	invalid/*)
		itotal=$((itotal + 1))
		"$dec" < "$dir/$f" > /dev/null 2> "$tmp/err"
		st=$?
		if [ "$st" -eq 1 ] && [ -s "$tmp/err" ]; then
			ipass=$((ipass + 1))
		elif [ "$st" -eq 0 ]; then
			echo "invalid $f: accepted" >> "$tmp/failures"
		else
			echo "invalid $f: decoder exited $st: " \
				"$(head -n 1 "$tmp/err")" >> "$tmp/failures"
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

echo "toml-test corpus: $dir"
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
