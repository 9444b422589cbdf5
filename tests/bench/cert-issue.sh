#!/bin/sh
# Benchmark: the cost of one `spork cert issue --csr` invocation (online
# issuing key, certificate recorded durably with its audit row) against
# `certtool --generate-certificate` and `openssl x509 -req` signing the
# same CSR with a CA key of the same type, in the same run.
#
#   tests/bench/cert-issue.sh [RUNS]        (default 50)
#
# Environment: top_builddir / top_srcdir as for the tests (default: this
# source tree), BENCH_DIR (where the state directory goes; default
# $TMPDIR or /tmp; put it on the disk you care about, the durable commit
# costs an fsync there), SPORK_BENCH_KEY (ecdsa-p256, default, or
# rsa-2048 ...: the type of CSR key and CA keys).
# The tools run in turn, round after round.  Prints the median, minimum
# and 90th percentile per tool in milliseconds, the ratios, and the load
# average (figures from a loaded machine are not comparable).  Not a test: it exits 0 whatever the figures.
set -u
RUNS=${1:-50}
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
SPORK="$top_builddir/cli/spork"
KEY=${SPORK_BENCH_KEY:-ecdsa-p256}
for t in "$SPORK" certtool openssl; do
	command -v "$t" >/dev/null 2>&1 || [ -x "$t" ] ||
		{ echo "cert-issue bench: $t not found"; exit 77; }
done
B=$(mktemp -d "${BENCH_DIR:-${TMPDIR:-/tmp}}/spork-bench.XXXXXX") || exit 1
trap 'rm -rf "$B"' EXIT
export SPORK_STATE_DIR="$B/state" SPORK_ACTOR=bench
export SPORK_ARGON2_MEMORY_KIB=8192 SPORK_ARGON2_PASSES=1
(umask 077 && printf 'bench passphrase 1\n' > "$B/pass")

case $KEY in
ecdsa-p256) OKEY="-newkey ec -pkeyopt ec_paramgen_curve:P-256"
	CTKEY="--key-type=ecdsa --curve=secp256r1" ;;
ecdsa-p384) OKEY="-newkey ec -pkeyopt ec_paramgen_curve:P-384"
	CTKEY="--key-type=ecdsa --curve=secp384r1" ;;
rsa-*) OKEY="-newkey rsa:${KEY#rsa-}"
	CTKEY="--key-type=rsa --bits=${KEY#rsa-}" ;;
*) echo "SPORK_BENCH_KEY: ecdsa-p256, ecdsa-p384 or rsa-N"; exit 2 ;;
esac

# The hierarchy: an offline root and an online issuing CA of $KEY.
cat > "$B/h.toml" <<EOF
[root]
common_name = "Bench Root CA"
algorithm = "$KEY"
validity_years = 10
key = "offline"
[[issuing_cas]]
common_name = "Bench Issuing CA"
algorithm = "$KEY"
validity_years = 5
key = "online"
crl_urls = ["http://pki.bench.example/issuing.crl"]
ocsp_urls = ["http://pki.bench.example/ocsp"]
EOF
"$SPORK" pki build "$B/h.toml" --passphrase-file="$B/pass" -q ||
	{ echo "spork pki build failed"; exit 1; }
printf '[[allow]]\npattern = "*.bench.example"\n' > "$SPORK_STATE_DIR/domain-policy.toml"

# One CSR for everybody.
# shellcheck disable=SC2086
openssl req -new $OKEY -nodes -keyout "$B/ee.key" -subj /CN=www.bench.example \
	-addext subjectAltName=DNS:www.bench.example,DNS:api.bench.example \
	-out "$B/ee.csr" 2>/dev/null || { echo "openssl req failed"; exit 1; }

# A CA of the same key type for certtool and openssl.
# shellcheck disable=SC2086
certtool --generate-privkey $CTKEY --outfile "$B/ca.key" >/dev/null 2>&1
cat > "$B/ca.tmpl" <<'EOF'
cn = "Peer Bench CA"
ca
cert_signing_key
crl_signing_key
expiration_days = 1000
EOF
certtool --generate-self-signed --load-privkey "$B/ca.key" \
	--template "$B/ca.tmpl" --outfile "$B/ca.pem" >/dev/null 2>&1 ||
	{ echo "certtool CA failed"; exit 1; }
cat > "$B/ee.tmpl" <<'EOF'
expiration_days = 90
tls_www_server
signing_key
honor_crq_extensions
crl_dist_points = "http://pki.bench.example/issuing.crl"
ocsp_uri = "http://pki.bench.example/ocsp"
EOF
cat > "$B/ee.ext" <<'EOF'
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
crlDistributionPoints = URI:http://pki.bench.example/issuing.crl
authorityInfoAccess = OCSP;URI:http://pki.bench.example/ocsp
EOF

now_ns() { date +%s%N; }

# time_one NAME CMD...: run CMD once, append its wall time (µs) to NAME.t
time_one() {
	_name=$1; shift
	_t0=$(now_ns)
	"$@" >/dev/null 2>"$B/$_name.err" ||
		{ echo "$_name failed:"; cat "$B/$_name.err"; exit 1; }
	_t1=$(now_ns)
	echo $(((_t1 - _t0) / 1000)) >> "$B/$_name.t"
}
# pct NAME P: the P-th percentile (µs)
pct() {
	_n=$(wc -l < "$B/$1.s")
	_k=$(((_n * $2 + 99) / 100))
	[ "$_k" -lt 1 ] && _k=1
	sed -n "${_k}p" "$B/$1.s"
}
ms() { awk -v u="$1" 'BEGIN { printf "%.2f", u / 1000 }'; }

# Warm the page cache, then run the three tools in turn, RUNS rounds,
# so that a change in machine load hits them alike.
"$SPORK" cert issue --csr "$B/ee.csr" --days 90 -q >/dev/null
: > "$B/spork.t"; : > "$B/certtool.t"; : > "$B/openssl.t"
i=0
while [ "$i" -lt "$RUNS" ]; do
	time_one spork "$SPORK" cert issue --csr "$B/ee.csr" --days 90 -q
	time_one certtool certtool --generate-certificate \
		--load-request "$B/ee.csr" --load-ca-certificate "$B/ca.pem" \
		--load-ca-privkey "$B/ca.key" --template "$B/ee.tmpl" \
		--outfile "$B/ct.pem"
	time_one openssl openssl x509 -req -in "$B/ee.csr" -CA "$B/ca.pem" \
		-CAkey "$B/ca.key" -CAcreateserial -days 90 \
		-copy_extensions copy -extfile "$B/ee.ext" -out "$B/os.pem"
	i=$((i + 1))
done
for t in spork certtool openssl; do sort -n "$B/$t.t" > "$B/$t.s"; done

fs=$(stat -f -c %T "$B" 2>/dev/null || echo "?")
echo "cert-issue benchmark: $RUNS runs each, key $KEY, state on $fs ($B)"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null), $(nproc 2>/dev/null || echo '?') CPUs"
printf '%-10s %10s %10s %10s\n' tool median_ms min_ms p90_ms
for t in spork certtool openssl; do
	printf '%-10s %10s %10s %10s\n' "$t" "$(ms "$(pct $t 50)")" \
		"$(ms "$(pct $t 1)")" "$(ms "$(pct $t 90)")"
done
awk -v s="$(pct spork 50)" -v c="$(pct certtool 50)" -v o="$(pct openssl 50)" \
	'BEGIN { printf "ratio spork/certtool %.2f (target <= 2.00), spork/openssl %.2f\n", s / c, s / o }'
n=$(sqlite3 "$SPORK_STATE_DIR/spork.db" "SELECT count(*) FROM certificates" 2>/dev/null || echo "?")
echo "certificates recorded: $n (2 CA + $((RUNS + 1)) issued)"
exit 0
