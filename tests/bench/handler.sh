#!/bin/sh
# Benchmark: what one connection to a spork handler costs, against the
# floor of a process per connection measured in the same run.
#
#   tests/bench/handler.sh [RUNS]          (default 200; make bench first)
#
# A CA with BENCH_CERTS issued certificates (default 10000; one revoked
# in ten) is built in a temporary state directory.  tests/bench/conn-cost
# then starts each program once per connection on a socketpair (inetd
# style, no client process in the way) and measures fork to exit:
#   true          /bin/true: a process start
#   floor         a program that links GnuTLS, calls gnutls_check_version,
#                 reads one request and writes a canned answer
#   ocsp          spork-ocsp answering one OCSP POST (signed on request)
#   crl           spork-serve answering GET /crl/<ca>.crl
#   ocsp x100     spork-ocsp answering 100 pipelined requests on one
#                 connection (keep-alive), per request
# Prints medians (min, p90) in microseconds, the ratios to the floor, and
# the load average.  Not a test: it exits 0 whatever the figures.
set -u
RUNS=${1:-200}
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
COST="$top_builddir/tests/bench/conn-cost"
BENCH_NEED="$COST $top_builddir/tests/bench/conn-floor $top_builddir/handlers/spork-ocsp"
. "${top_srcdir:-$(dirname "$0")/../..}/tests/bench/lib-bench.sh"
{ printf 'POST / HTTP/1.1\r\nHost: b\r\nContent-Type: application/ocsp-request\r\nContent-Length: %s\r\nConnection: close\r\n\r\n' \
	"$(wc -c < "$B/ocsp.der")"; cat "$B/ocsp.der"; } > "$B/req-ocsp"
printf 'GET /crl/bench-issuing-ca.crl HTTP/1.1\r\nHost: b\r\nConnection: close\r\n\r\n' > "$B/req-crl"
j=1
: > "$B/req-100"
while [ $j -le 100 ]; do
	printf 'POST / HTTP/1.1\r\nHost: b\r\nContent-Type: application/ocsp-request\r\nContent-Length: %s\r\n\r\n' \
		"$(wc -c < "$B/ocsp.der")" >> "$B/req-100"
	cat "$B/ocsp.der" >> "$B/req-100"
	j=$((j + 1))
done

exec 3>&2 2>"$B/handler.log"   # the handlers' request lines
measure() {  # measure NAME REQUEST PROGRAM...: median min p90 status
	_n=$1 _r=$2; shift 2
	"$COST" "$RUNS" "$_r" "$@" > "$B/$_n.out" || { echo "$_n: failed"; exit 1; }
	printf '%-10s %s\n' "$_n" "$(cat "$B/$_n.out")"
}
echo "per connection, microseconds: median min p90 first-status ($RUNS runs, load $(cut -d' ' -f1-3 /proc/loadavg))"
measure true "$B/req-crl" /bin/true
measure floor "$B/req-ocsp" "$top_builddir/tests/bench/conn-floor"
measure ocsp "$B/req-ocsp" "$top_builddir/handlers/spork-ocsp" --state-dir "$SPORK_STATE_DIR"
measure crl "$B/req-crl" "$top_builddir/handlers/spork-serve" --state-dir "$SPORK_STATE_DIR"
RUNS100=$((RUNS / 10 > 5 ? RUNS / 10 : 5))
"$COST" "$RUNS100" "$B/req-100" "$top_builddir/handlers/spork-ocsp" --state-dir "$SPORK_STATE_DIR" > "$B/x100.out"
printf '%-10s %s (100 requests per connection)\n' "ocsp x100" "$(cat "$B/x100.out")"
med() { cut -d' ' -f1 "$B/$1.out"; }
awk -v t="$(med true)" -v f="$(med floor)" -v o="$(med ocsp)" -v c="$(med crl)" \
    -v k="$(cut -d' ' -f1 "$B/x100.out")" 'BEGIN {
	printf "floor - true: %.2f ms (dynamic linking of GnuTLS and a read/write)\n", (f - t) / 1000
	printf "ocsp / floor: %.2f   crl / floor: %.2f\n", o / f, c / f
	printf "ocsp, keep-alive: %.0f us per request, %.0f requests/s on one core\n", k / 100, 1e6 / (k / 100)
	printf "ocsp, a connection each: %.0f requests/s on one core\n", 1e6 / o
}'
exit 0
