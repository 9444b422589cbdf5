#!/bin/sh
# spork crl generate --all, as spork-crl.timer runs it: only the CRLs
# that are due (none yet, or less than a quarter of the validity left),
# the delta when it builds on an older full CRL, offline-key CAs
# reported and not failed, one failing CA not stopping the others.
# The clock is moved with SPORK_NOW.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
need sqlite3 openssl
C="$SPORK_STATE_DIR/ca"
ICA="SPORK TLS Web Server Issuing CA"
ISL=spork-tls-web-server-issuing-ca
DB="$SPORK_STATE_DIR/spork.db"

# at OFFSET: SPORK_NOW that far after the build (GNU date offsets)
t0=$(date -u +%s)
at() { date -u -d "@$((t0 + $1))" +%Y-%m-%dT%H:%M:%SZ; }
H=3600 D=86400
crls() { sqlite3 "$DB" "select count(*) from crls"; }

expect 0 "build 3-tier" "$SPORK" pki build "$HIER/3-tier.toml" "$PASSOPT"

# ---- usage
expect 2 "--all and --ca exclude each other" "$SPORK" crl generate --all --ca "$ICA"
expect 2 "--force needs --all" "$SPORK" crl generate --ca "$ICA" --force
expect 2 "--all takes no --delta" "$SPORK" crl generate --all --delta
expect 2 "--all takes no --next-update" "$SPORK" crl generate --all --next-update 1d

# ---- first run, unattended, with the offline lockbox out of reach (the
# timer's unit makes it inaccessible; here an empty file stands in its
# place, so that any look inside fails): online CAs published, offline
# ones reported, exit 0
mv "$SPORK_STATE_DIR/lockbox/offline" "$T/offline.away"
: > "$SPORK_STATE_DIR/lockbox/offline"
chmod 000 "$SPORK_STATE_DIR/lockbox/offline"
expect 0 "first run" env SPORK_NOW="$(at $H)" "$SPORK" crl generate --all
rm -f "$SPORK_STATE_DIR/lockbox/offline"
mv "$T/offline.away" "$SPORK_STATE_DIR/lockbox/offline"
grep_out "issuing CA: full CRL published" "^$ICA: full CRL #1 published \(none yet\), 0 entries" "$T/out"
grep_out "issuing CA: delta CRL on it" "^$ICA: delta CRL #2 published \(none yet\)" "$T/out"
grep_out "root needs its offline key" "^SPORK Root CA: full CRL due \(none yet\), needs its offline key: spork crl generate --ca 'SPORK Root CA'" "$T/out"
grep_out "policy CA too" "^SPORK TLS Policy CA: full CRL due .*needs its offline key" "$T/out"
[ -s "$T/err" ] && not_ok "nothing on stderr" || ok "nothing on stderr"
check "the published CRL is the issuing CA's" openssl crl -in "$C/$ISL.crl.pem" -noout -CAfile "$C/$ISL-chain.pem"
[ -f "$C/spork-root-ca.crl" ] && not_ok "no root CRL without its key" || ok "no root CRL without its key"

# ---- nothing due: nothing signed
n=$(crls)
expect 0 "second run at the same time" env SPORK_NOW="$(at $H)" "$SPORK" crl generate --all
grep_out "full CRL fresh, with its due time" "^$ICA: full CRL #1 is fresh; due at $(at $((H + 5 * D + 6 * H))), nextUpdate $(at $((H + 7 * D)))" "$T/out"
grep_out "delta fresh" "^$ICA: delta CRL #2 is fresh; due at $(at $((H + 18 * H)))" "$T/out"
[ "$(crls)" = "$n" ] && ok "no CRL signed" || not_ok "CRLs: $n before, $(crls) after"

# ---- 19 hours on: the 1-day delta has less than 6 hours left, the
# 7-day full CRL 5 days
expect 0 "19 h later" env SPORK_NOW="$(at $((H + 19 * H)))" "$SPORK" crl generate --all --json
# one object per line, keys sorted: {"ca":...,"crl_number":...,"delta":...}
tr -d '\n\t ' < "$T/out" | sed 's/},{/}\n{/g' > "$T/objs"
grep_out "json: full CRL fresh" '"crl_number":1,"delta":false,"due":null,"due_at":"[^"]+","error":null,[^}]*"status":"fresh"' "$T/objs"
grep_out "json: delta renewed, expiring" '"crl_number":3,"delta":true,"der":"[^"]+","due":"expiring",[^}]*"status":"generated"' "$T/objs"
grep_out "json: root needs its offline key" '"ca":"SPORKRootCA","delta":false,"due":"missing",[^}]*"status":"needs_offline_key"' "$T/objs"
grep_out "json: nothing failed" '"failed":0}$' "$T/objs"

# ---- 5 days 7 hours on: the full CRL is within its 42-hour margin; the
# delta follows it onto the new base
expect 0 "5 d 7 h later" env SPORK_NOW="$(at $((H + 5 * D + 7 * H)))" "$SPORK" crl generate --all
grep_out "full CRL renewed before its nextUpdate" "^$ICA: full CRL #4 published \(nextUpdate near\)" "$T/out"
grep_out "delta moved to the new base" "^$ICA: delta CRL #5 published \(newer full CRL\)" "$T/out"
base=$(sqlite3 "$DB" "select base_crl_number from crls where is_delta = 1 order by crl_number desc limit 1")
[ "$base" = 4 ] && ok "the delta builds on CRL #4" || not_ok "delta base $base"

# ---- a passphrase source signs the offline CAs too; --force signs all
expect 0 "with the passphrase file" env SPORK_NOW="$(at $((H + 5 * D + 7 * H)))" \
	"$SPORK" crl generate --all "$PASSOPT"
grep_out "root CRL signed" "^SPORK Root CA: full CRL #1 published \(none yet\)" "$T/out"
grep_out "policy CA CRL signed" "^SPORK TLS Policy CA: full CRL #1 published" "$T/out"
grep_out "issuing CA untouched" "^$ICA: full CRL #4 is fresh" "$T/out"
check "openssl reads the root CRL" openssl crl -in "$C/spork-root-ca.crl.pem" -noout -CAfile "$C/spork-root-ca.pem"
expect 0 "--force" env SPORK_NOW="$(at $((H + 5 * D + 7 * H)))" "$SPORK" crl generate --all --force
grep_out "forced full CRL" "^$ICA: full CRL #6 published \(forced\)" "$T/out"
grep_out "forced delta" "^$ICA: delta CRL #7 published \(forced\)" "$T/out"
grep_out "forced, offline still needs its key" "^SPORK Root CA: full CRL due \(forced\), needs its offline key" "$T/out"

# ---- one CA failing does not stop the others; the exit status says so
printf 'wrong\n' > "$T/wrong"
chmod 600 "$T/wrong"
expect 1 "wrong passphrase: exit 1" env SPORK_NOW="$(at $((H + 5 * D + 7 * H)))" \
	"$SPORK" crl generate --all --force --passphrase-file "$T/wrong"
grep_out "root's failure on stderr" "^spork: CA 'SPORK Root CA', full CRL: " "$T/err"
grep_out "and the policy CA's" "^spork: CA 'SPORK TLS Policy CA', full CRL: " "$T/err"
grep_out "the issuing CA still published" "^$ICA: full CRL #8 published \(forced\)" "$T/out"
grep_out "failures listed on stdout too" "^SPORK Root CA: full CRL failed" "$T/out"
expect 1 "json says how many failed" env SPORK_NOW="$(at $((H + 5 * D + 7 * H)))" \
	"$SPORK" crl generate --all --force --passphrase-file "$T/wrong" --json
grep_out "json: failed 2" '"failed": 2' "$T/out"
grep_out "json: the error" '"error": ".+"' "$T/out"

# ---- CAs past their expiry publish nothing, and that is no failure
expect 0 "after every CA expired" env SPORK_NOW=2199-01-01T00:00:00Z "$SPORK" crl generate --all
grep_out "expired CA reported" "^$ICA: expired, publishes no CRL" "$T/out"

# ---- every CRL signed has its audit row; the chain holds
n=$(sqlite3 "$DB" "select count(*) from audit where action = 'crl.generate'")
[ "$n" = "$(crls)" ] && ok "one crl.generate audit row per CRL ($n)" ||
	not_ok "audit rows $n, CRLs $(crls)"
expect 0 "audit chain intact" "$SPORK" audit verify
finish
