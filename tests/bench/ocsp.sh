#!/bin/sh
# Benchmark: OCSP responses per second from spork-ocsp (a process per
# connection under systemd-socket-activate, as under systemd's
# Accept=yes socket), against `openssl ocsp -port` in the same run.
#
#   tests/bench/ocsp.sh [RUNS] [REQUESTS]   (default 5 runs of 1000;
#                                            make && make bench first)
#
# The bench CA (tests/bench/lib-bench.sh: BENCH_CERTS certificates,
# default 10000, one in ten revoked) answers from its store, signing each
# response on request with its online ECDSA P-256 key.  OpenSSL's
# responder cannot use spork's sealed key, so it gets a separate CA of
# the same type (ECDSA P-256, signing its responses itself), with an
# index.txt of the same serials and statuses, and the same request (for
# certificate 0's serial) with its own issuer hashes.  It runs with
# -multi 4 (four worker processes): a single one serves one kept
# connection at a time and starves the others (ab -c 4 -k times out).  Measured with
# `ab` (apache2-utils), one client (-c 1) and four (-c 4):
#   keep-alive   ab -k: every request on open connections (spork's
#                [http] max_requests raised to 10000 for it)
#   new conn     a connection per request
# Prints the median of RUNS runs of requests per second and the ratio
# spork/openssl, with the load average.  Not a test: it exits 0.
set -u
RUNS=${1:-5}
REQS=${2:-1000}
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
command -v ab >/dev/null || { echo "ocsp bench: ab needed (apt-get install apache2-utils)"; exit 77; }
command -v systemd-socket-activate >/dev/null || { echo "ocsp bench: systemd-socket-activate needed"; exit 77; }
BENCH_NEED="$top_builddir/handlers/spork-ocsp"
. "$top_srcdir/tests/bench/lib-bench.sh"
PIDS=""
# openssl ocsp -multi's workers are ended too (its parent may outlive a
# TERM while they serve)
trap 'for p in $PIDS; do pkill -P "$p" 2>/dev/null; kill "$p" 2>/dev/null; done
	sleep 0.5; for p in $PIDS; do kill -9 "$p" 2>/dev/null; done; rm -rf "$B"' EXIT

# the peer: a CA of the same type, the same serials and statuses
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$B/oca.key" \
	-subj "/CN=OpenSSL Bench CA" -days 30 -out "$B/oca.pem" \
	-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign,digitalSignature \
	2>/dev/null || exit 1
SERIAL=$(openssl x509 -in "$B/first.pem" -noout -serial | cut -d= -f2)
openssl ocsp -issuer "$B/oca.pem" -serial "0x$SERIAL" -reqout "$B/ocsp-openssl.der" >/dev/null 2>&1
printf '[http]\nmax_requests = 10000\n' > "$SPORK_STATE_DIR/spork.toml"

port() { echo $((20000 + $(od -An -N2 -tu2 /dev/urandom) % 30000)); }
SPORT=$(port)
systemd-socket-activate --accept -l "127.0.0.1:$SPORT" \
	"$top_builddir/handlers/spork-ocsp" --state-dir "$SPORK_STATE_DIR" 2>"$B/spork.log" &
PIDS="$PIDS $!"
OPORT=$(port)
openssl ocsp -port "$OPORT" -index "$B/index.txt" -CA "$B/oca.pem" \
	-rsigner "$B/oca.pem" -rkey "$B/oca.key" -nmin 60 -ignore_err -multi 4 >"$B/openssl.log" 2>&1 &
PIDS="$PIDS $!"
sleep 1
# a sanity check: both answer good for certificate 0
openssl ocsp -issuer "$ISS" -cert "$B/first.pem" -url "http://127.0.0.1:$SPORT/" \
	-CAfile "$SPORK_STATE_DIR/ca/bench-root-ca.pem" 2>&1 | grep -q ': good' ||
	{ echo "spork-ocsp does not answer good"; cat "$B/spork.log"; exit 1; }
openssl ocsp -issuer "$B/oca.pem" -serial "0x$SERIAL" -url "http://127.0.0.1:$OPORT/" \
	-CAfile "$B/oca.pem" 2>&1 | grep -q ': good' ||
	{ echo "openssl ocsp does not answer good"; cat "$B/openssl.log"; exit 1; }

# ab_rps PORT REQUEST C [-k]: requests per second of one run (failed
# requests make it 0)
ab_rps() {
	ab -q ${4:-} -n "$REQS" -c "$3" -p "$2" -T application/ocsp-request \
		"http://127.0.0.1:$1/" > "$B/ab.out" 2>&1
	# an ECDSA signature's length varies by a byte: ab's "Length"
	# failures are not failures
	awk '/^Failed requests:/ { f += $3 }
	     /^   \(Connect:/ { sub(/,/, "", $6); f -= $6 }
	     /^Non-2xx responses:/ { f += $3 }
	     /^Requests per second:/ { r = $4 }
	     END { print (f > 0 || r == "") ? 0 : r }' "$B/ab.out" > "$B/rps"
	[ "$(cat "$B/rps")" = 0 ] && cp "$B/ab.out" "$B/ab.failed.$1"
	cat "$B/rps"
}
median() { tr ' ' '\n' | grep . | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

echo "OCSP requests per second, median of $RUNS runs of $REQS ($N certificates; load $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores)"
printf '%-22s %10s %10s %8s\n' "" spork-ocsp openssl spork/openssl
for c in 1 4; do
	for k in -k ""; do
		s="" o=""
		i=0
		while [ $i -lt "$RUNS" ]; do
			s="$s $(ab_rps "$SPORT" "$B/ocsp.der" $c $k)"
			o="$o $(ab_rps "$OPORT" "$B/ocsp-openssl.der" $c $k)"
			i=$((i + 1))
		done
		ms=$(echo "$s" | median) mo=$(echo "$o" | median)
		printf '%-22s %10s %10s %8s\n' \
			"$( [ -n "$k" ] && echo keep-alive || echo "new conn") -c $c" "$ms" "$mo" \
			"$(awk -v a="$ms" -v b="$mo" 'BEGIN { if (b > 0) printf "%.2f", a / b; else printf "-" }')"
	done
done
echo "(load after: $(cut -d' ' -f1-3 /proc/loadavg))"
for f in "$B"/ab.failed.*; do [ -f "$f" ] && { echo "== a failed run: $f"; head -n 30 "$f"; }; done
exit 0
