# Sourced by tests/bench/*.sh: a bench CA with BENCH_CERTS issued
# certificates (default 10000; one in ten revoked) in a temporary state
# directory $B/state, through tests/bench/bench-issue (libpki's enroll
# path, without a process per certificate).  Sets B, SPORK, ISS (the
# issuing CA's PEM), and writes $B/first.pem (certificate 0), $B/index.txt
# (the same certificates as OpenSSL's CA database) and $B/ocsp.der (an
# OCSP request for certificate 0).  BENCH_NEED: more programs that must
# be built.
N=${BENCH_CERTS:-10000}
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
SPORK="$top_builddir/cli/spork"
for t in "$SPORK" "$top_builddir/tests/bench/bench-issue" ${BENCH_NEED:-}; do
	[ -x "$t" ] || { echo "bench: $t not built (make && make bench)"; exit 77; }
done
command -v openssl >/dev/null || { echo "bench: openssl needed"; exit 77; }
B=$(mktemp -d "${BENCH_DIR:-${TMPDIR:-/tmp}}/spork-bench.XXXXXX") || exit 1
trap 'rm -rf "$B"' EXIT
export SPORK_STATE_DIR="$B/state" SPORK_ACTOR=bench
export SPORK_ARGON2_MEMORY_KIB=8192 SPORK_ARGON2_PASSES=1
(umask 077 && printf 'bench passphrase 1\n' > "$B/pass")
cat > "$B/h.toml" <<EOT
[root]
common_name = "Bench Root CA"
algorithm = "ecdsa-p256"
validity_years = 10
key = "offline"
[[issuing_cas]]
common_name = "Bench Issuing CA"
algorithm = "ecdsa-p256"
validity_years = 5
key = "online"
crl_urls = ["http://pki.bench.example/issuing.crl"]
ocsp_urls = ["http://pki.bench.example/ocsp"]
EOT
"$SPORK" pki build "$B/h.toml" --passphrase-file="$B/pass" -q || exit 1
printf '[[allow]]\npattern = "*.bench.example"\n' > "$SPORK_STATE_DIR/domain-policy.toml"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout "$B/k" -subj /CN=x.bench.example -out "$B/csr" 2>/dev/null
_t0=$(date +%s%N)
"$top_builddir/tests/bench/bench-issue" "$SPORK_STATE_DIR" "Bench Issuing CA" \
	"$N" "$B/csr" "$B/index.txt" "$B/first.pem" || exit 1
echo "issued $N certificates in $(( ($(date +%s%N) - _t0) / 1000000 )) ms (bench-issue)"
"$SPORK" crl generate -q --ca "Bench Issuing CA" || exit 1
ISS="$SPORK_STATE_DIR/ca/bench-issuing-ca.pem"
openssl ocsp -issuer "$ISS" -cert "$B/first.pem" -reqout "$B/ocsp.der" >/dev/null 2>&1
