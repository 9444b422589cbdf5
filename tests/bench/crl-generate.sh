#!/bin/sh
# Benchmark: `spork crl generate` for a CA with N revoked certificates in
# the store (default 100000 and 1000000), against `openssl ca -gencrl` on
# an index.txt with the same number of revoked entries, in the same run.
# Prints the median wall time and peak RSS of RUNS runs per tool and size,
# and the ratios.  Not a test: exits 0 whatever the figures.
#
#   tests/bench/crl-generate.sh [RUNS] [N...]      (default 3 100000 1000000)
set -u
RUNS=${1:-3}
[ $# -gt 0 ] && shift
SIZES=${*:-100000 1000000}
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
SPORK="$top_builddir/cli/spork"
for t in sqlite3 openssl /usr/bin/time; do
	command -v "$t" >/dev/null 2>&1 || { echo "crl bench: $t not found"; exit 77; }
done
B=$(mktemp -d "${BENCH_DIR:-${TMPDIR:-/tmp}}/spork-crlbench.XXXXXX") || exit 1
trap 'rm -rf "$B"' EXIT
export SPORK_STATE_DIR="$B/state" SPORK_ACTOR=bench
export SPORK_ARGON2_MEMORY_KIB=8192 SPORK_ARGON2_PASSES=1
(umask 077 && printf 'bench passphrase 1\n' > "$B/pass")
"$SPORK" pki build "$top_srcdir/hierarchy/2-tier.toml" --passphrase-file "$B/pass" -q || exit 1
DB="$SPORK_STATE_DIR/spork.db"
CA="Lab Issuing CA"
CAID=$(sqlite3 "$DB" "select id from cas where name='$CA'")
CAPEM="$SPORK_STATE_DIR/ca/lab-issuing-ca.pem"

# openssl's CA: its own P-256 key and certificate, same key type as spork's.
O="$B/openssl"
mkdir -p "$O"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$O/ca.key" \
	-out "$O/ca.pem" -subj "/CN=openssl bench CA" -days 365 2>/dev/null
cat > "$O/ca.cnf" <<EOT
[ ca ]
default_ca = bench
[ bench ]
database = $O/index.txt
crlnumber = $O/crlnumber
certificate = $O/ca.pem
private_key = $O/ca.key
default_md = sha256
default_crl_days = 7
EOT

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# populate N: make the store and index.txt hold exactly N revocations
populate() {
	n=$1 now=$(date +%s)
	sqlite3 "$DB" <<EOT
PRAGMA foreign_keys = OFF;
BEGIN;
DELETE FROM revocations WHERE issuer_ca_id = $CAID;
DELETE FROM revocation_events WHERE issuer_ca_id = $CAID;
DELETE FROM certificates WHERE issuer_ca_id = $CAID AND ca_id IS NULL;
WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < $n)
INSERT INTO certificates (issuer_ca_id, serial, subject, sans, profile, not_before,
	not_after, der, sha256, source, requester, created_at)
SELECT $CAID, printf('%032X', i + 4096), 'CN=h' || i, 'dns:h' || i, 'tls-server',
	$now, $now + 86400 * 90, x'00', printf('%064x', i), 'bench', 'bench', $now FROM s;
INSERT INTO revocation_events (cert_id, issuer_ca_id, event, event_time, reason, recorded_at)
SELECT id, $CAID, 'revoke', $now, 1, $now FROM certificates
	WHERE issuer_ca_id = $CAID AND ca_id IS NULL;
INSERT INTO revocations (cert_id, issuer_ca_id, serial, revoked_at, reason, recorded_at, event_id)
SELECT e.cert_id, $CAID, c.serial, $now, 1, $now, e.id
	FROM revocation_events e JOIN certificates c ON c.id = e.cert_id
	WHERE e.issuer_ca_id = $CAID;
COMMIT;
EOT
	awk -v n="$n" 'BEGIN { for (i = 1; i <= n; i++)
		printf "R\t301231000000Z\t261122000000Z,keyCompromise\t%032X\tunknown\t/CN=h%d\n", i + 4096, i }' \
		> "$O/index.txt"
	echo 1000 > "$O/crlnumber"
}

echo "crl-generate benchmark: $RUNS runs per size, ECDSA P-256 issuers, state in $B"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) CPUs"
printf '%-9s %-9s %12s %12s\n' entries tool median_s peak_MB
for n in $SIZES; do
	populate "$n"
	: > "$B/spork.t"; : > "$B/openssl.t"
	r=0
	while [ $r -lt "$RUNS" ]; do
		/usr/bin/time -f "%e %M" -o "$B/t" "$SPORK" crl generate --ca "$CA" -q || exit 1
		cat "$B/t" >> "$B/spork.t"
		/usr/bin/time -f "%e %M" -o "$B/t" openssl ca -config "$O/ca.cnf" -gencrl \
			-out "$O/crl.pem" 2>/dev/null || exit 1
		cat "$B/t" >> "$B/openssl.t"
		r=$((r + 1))
	done
	got=$("$SPORK" crl show --ca "$CA" --no-entries | sed -n 's/^  entries *//p')
	[ "$got" = "$n" ] || echo "warning: spork's CRL has $got entries, not $n"
	for tool in spork openssl; do
		t=$(cut -d' ' -f1 "$B/$tool.t" | median)
		m=$(cut -d' ' -f2 "$B/$tool.t" | median)
		printf '%-9s %-9s %12s %12.1f\n' "$n" "$tool" "$t" "$(awk "BEGIN { print $m / 1024 }")"
		eval "${tool}_t=$t ${tool}_m=$m"
	done
	printf '%-9s ratio openssl/spork: time %.1fx, memory %.1fx\n' "$n" \
		"$(awk "BEGIN { print $openssl_t / $spork_t }")" \
		"$(awk "BEGIN { print $openssl_m / $spork_m }")"
done
