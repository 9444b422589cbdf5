#!/bin/sh
# spork crl generate | show: full and delta CRLs from the store, checked
# with openssl crl, certtool --crl-info and openssl verify -crl_check.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
need certtool openssl sqlite3
C="$SPORK_STATE_DIR/ca"
ICA="SPORK TLS Web Server Issuing CA"
ISL=spork-tls-web-server-issuing-ca

expect 0 "build 3-tier" "$SPORK" pki build "$HIER/3-tier.toml" "$PASSOPT"
printf '[[allow]]\npattern = "*.example.internal"\n' > "$SPORK_STATE_DIR/domain-policy.toml"
for n in a b c d; do
	expect 0 "issue $n" "$SPORK" cert issue --cn "$n.example.internal" \
		--san "dns:$n.example.internal" --key-out "$T/$n.key" --out "$T/$n.pem" -q
done
serial() { openssl x509 -in "$T/$1.pem" -noout -serial | cut -d= -f2; }
A=$(serial a) B=$(serial b) CC=$(serial c) D=$(serial d)
cat "$C/spork-tls-policy-ca.pem" "$C/$ISL.pem" > "$T/untrusted.pem"

# ---- usage and errors
expect 2 "generate needs --ca" "$SPORK" crl generate
expect 2 "bad --next-update" "$SPORK" crl generate --ca "$ICA" --next-update soon
expect 3 "unknown CA" "$SPORK" crl generate --ca "No Such CA"
expect 3 "delta before any full CRL" "$SPORK" crl generate --ca "$ICA" --delta
grep_out "says to make a full CRL first" "has no full CRL for a delta to build on" "$T/err"
expect 3 "show before any CRL" "$SPORK" crl show --ca "$ICA"

# ---- an empty full CRL
expect 0 "empty CRL" "$SPORK" crl generate --ca "$ICA"
grep_out "number 1, no entries" "Full CRL #1 of '$ICA': 0 entries" "$T/out"
check "openssl reads the empty CRL" openssl crl -in "$C/$ISL.crl.pem" -noout -CAfile "$C/$ISL-chain.pem"
check "good cert verifies with -crl_check" openssl verify -x509_strict -crl_check \
	-CAfile "$C/spork-root-ca.pem" -untrusted "$T/untrusted.pem" -CRLfile "$C/$ISL.crl.pem" "$T/a.pem"

# ---- revocations, full CRL #2
expect 0 "revoke a (keyCompromise, invalidity date)" "$SPORK" cert revoke "$A" \
	--reason keyCompromise --invalidity-date 2026-01-02T03:04:05Z
expect 0 "revoke b (certificateHold)" "$SPORK" cert revoke "$B" --reason certificateHold
expect 0 "full CRL" "$SPORK" crl generate --ca "$ICA" --json
grep_out "json: number 2" '"crl_number": 2' "$T/out"
grep_out "json: 2 entries" '"entries": 2' "$T/out"
openssl crl -in "$C/$ISL.crl" -inform DER -noout -text > "$T/crl.txt"
grep_out "cRLNumber 2" "X509v3 CRL Number: *$" "$T/crl.txt"
grep_out "reason keyCompromise" "Key Compromise" "$T/crl.txt"
grep_out "reason certificateHold" "Certificate Hold" "$T/crl.txt"
grep_out "invalidity date" "Jan  2 03:04:05 2026 GMT" "$T/crl.txt"
# An unsharded full CRL covers everything the CA issued: no IDP, which a
# self-signed or imported CA's certificate could not match (RFC 5280 5.2.5).
if grep -q "Issuing Distribution Point" "$T/crl.txt"; then
	not_ok "full CRL carries an IssuingDistributionPoint"
else ok "full CRL has no IssuingDistributionPoint"; fi
grep_out "json: where it is published" '"url": "http://pki.example.internal/crl/tls-issuing.crl"' "$T/out"
grep_out "AKI" "Authority Key Identifier" "$T/crl.txt"
grep_out "freshestCRL" "Freshest CRL" "$T/crl.txt"
check "openssl crl verifies the signature" openssl crl -in "$C/$ISL.crl.pem" -noout -CAfile "$C/$ISL-chain.pem"
check "certtool --crl-info" certtool --crl-info --infile "$C/$ISL.crl.pem"
check "certtool --verify-crl" certtool --verify-crl --load-ca-certificate "$C/$ISL.pem" --infile "$C/$ISL.crl.pem"
expect 2 "openssl verify -crl_check rejects the revoked cert" openssl verify -x509_strict -crl_check \
	-CAfile "$C/spork-root-ca.pem" -untrusted "$T/untrusted.pem" -CRLfile "$C/$ISL.crl.pem" "$T/a.pem"
cat "$T/out" "$T/err" > "$T/both"
grep_out "openssl says revoked" "certificate revoked" "$T/both"
expect 2 "and the held cert" openssl verify -x509_strict -crl_check \
	-CAfile "$C/spork-root-ca.pem" -untrusted "$T/untrusted.pem" -CRLfile "$C/$ISL.crl.pem" "$T/b.pem"
check "and accepts a good one" openssl verify -x509_strict -crl_check \
	-CAfile "$C/spork-root-ca.pem" -untrusted "$T/untrusted.pem" -CRLfile "$C/$ISL.crl.pem" "$T/c.pem"

# ---- delta CRL #3: hold lifted, another revocation
expect 0 "lift the hold on b" "$SPORK" cert unhold "$B"
expect 0 "revoke c (superseded)" "$SPORK" cert revoke "$CC" --reason superseded
expect 0 "delta CRL" "$SPORK" crl generate --ca "$ICA" --delta
grep_out "delta on #2" "Delta CRL #3 of '$ICA': 2 entries since CRL #2" "$T/out"
openssl crl -in "$C/$ISL-delta.crl" -inform DER -noout -text > "$T/delta.txt"
grep_out "deltaCRLIndicator" "Delta CRL Indicator: critical" "$T/delta.txt"
grep_out "removeFromCRL for the lifted hold" "Remove From CRL" "$T/delta.txt"
grep_out "superseded" "Superseded" "$T/delta.txt"
if grep -q "Issuing Distribution Point" "$T/delta.txt"; then
	not_ok "delta CRL carries an IDP its base has not (scopes differ)"
else ok "delta CRL has no IDP: the same scope as its base"; fi
check "certtool reads the delta" certtool --crl-info --infile "$C/$ISL-delta.crl.pem"
DV="openssl verify -x509_strict -crl_check -extended_crl -use_deltas -CAfile $C/spork-root-ca.pem -untrusted $T/untrusted.pem -CRLfile $C/$ISL.crl.pem -CRLfile $C/$ISL-delta.crl.pem"
expect 2 "with deltas: revoked in the base" $DV "$T/a.pem"
expect 2 "with deltas: revoked in the delta" $DV "$T/c.pem"
check "with deltas: hold lifted in the delta" $DV "$T/b.pem"
check "with deltas: never revoked" $DV "$T/d.pem"

# ---- numbers keep increasing, the new full CRL has a and c only
expect 0 "next full CRL" "$SPORK" crl generate --ca "$ICA"
grep_out "number 4, 2 entries" "Full CRL #4 of '$ICA': 2 entries" "$T/out"
expect 0 "show from the store" "$SPORK" crl show --ca "$ICA"
grep_out "show: verified" "signature +ECDSA-SHA256, verified" "$T/out"
grep_out "show: entry a" "$A .*keyCompromise +invalid since 2026-01-02T03:04:05Z" "$T/out"
if grep -q "$B" "$T/out"; then not_ok "lifted hold still listed"; else ok "lifted hold not listed"; fi
expect 0 "show an older CRL by number" "$SPORK" crl show --ca "$ICA" --number 2 --json
grep_out "json show: number 2" '"crl_number": 2' "$T/out"
grep_out "json show: verified_by" '"verified_by": "SPORK TLS Web Server Issuing CA"' "$T/out"
expect 0 "show the delta" "$SPORK" crl show --ca "$ICA" --delta
grep_out "delta header" "Delta CRL #3 \(on full CRL #2\)" "$T/out"
expect 0 "show a file" "$SPORK" crl show "$C/$ISL.crl"
grep_out "file: verified" "issued by +CA '$ICA'" "$T/out"

# ---- reason unspecified is not encoded (RFC 5280 5.3.1)
expect 0 "issue e" "$SPORK" cert issue --cn e.example.internal \
	--san dns:e.example.internal --key-out "$T/e.key" --out "$T/e.pem" -q
E=$(serial e)
expect 0 "revoke e (unspecified)" "$SPORK" cert revoke "$E" --reason unspecified
expect 0 "full CRL with e" "$SPORK" crl generate --ca "$ICA"
openssl crl -in "$C/$ISL.crl" -inform DER -noout -text > "$T/crl5.txt"
awk -v s="Serial Number: $E" '$0 ~ s { f = 1; next } /Serial Number:/ { f = 0 } f' \
	"$T/crl5.txt" > "$T/e-entry.txt"
grep_out "e is listed" "Revocation Date" "$T/e-entry.txt"
if grep -q "Reason Code" "$T/e-entry.txt"; then not_ok "reasonCode unspecified encoded"
else ok "no reasonCode extension for unspecified"; fi
grep_out "other reasons still encoded" "Key Compromise" "$T/crl5.txt"

# ---- every CA's CRL at once: openssl verify -crl_check_all (root, policy
# and issuing CA), which checks the CRL scope of each certificate
expect 0 "root CRL" "$SPORK" crl generate --ca "SPORK Root CA" "$PASSOPT"
expect 0 "policy CA CRL" "$SPORK" crl generate --ca "SPORK TLS Policy CA" "$PASSOPT"
cat "$C/spork-root-ca.crl.pem" "$C/spork-tls-policy-ca.crl.pem" "$C/$ISL.crl.pem" > "$T/all.crl.pem"
ALL="openssl verify -x509_strict -crl_check_all -CAfile $C/spork-root-ca.pem -untrusted $T/untrusted.pem -CRLfile $T/all.crl.pem"
check "crl_check_all: a good leaf verifies with all three CRLs" $ALL "$T/d.pem"
expect 2 "crl_check_all: the revoked leaf is rejected" $ALL "$T/a.pem"
cat "$T/out" "$T/err" > "$T/both"
grep_out "crl_check_all says revoked" "certificate revoked" "$T/both"
check "crl_check_all with the delta CRL too" openssl verify -x509_strict -crl_check_all \
	-extended_crl -use_deltas -CAfile "$C/spork-root-ca.pem" -untrusted "$T/untrusted.pem" \
	-CRLfile "$T/all.crl.pem" -CRLfile "$C/$ISL-delta.crl.pem" "$T/d.pem"

# ---- concurrent runs: the published file is always the newest CRL
for i in 1 2 3 4; do "$SPORK" crl generate --ca "$ICA" -q & done; wait
pub=$(openssl crl -in "$C/$ISL.crl" -inform DER -noout -crlnumber | cut -d= -f2 | sed 's/^0x//')
latest=$(sqlite3 "$SPORK_STATE_DIR/spork.db" "select printf('%02X', max(crl_number)) from crls c join cas a on a.id = c.ca_id where a.name = '$ICA' and is_delta = 0")
[ "$pub" = "$latest" ] && ok "after 4 concurrent runs the published CRL is the newest (#$pub)" ||
	not_ok "published CRL #$pub, newest #$latest"

# ---- hostile files
printf 'not a crl' > "$T/junk.crl"
expect 7 "show rejects junk" "$SPORK" crl show "$T/junk.crl"
cp "$C/$ISL.crl" "$T/bad.crl"
sz=$(stat -c %s "$T/bad.crl")
printf '\001' | dd of="$T/bad.crl" bs=1 seek=$((sz - 3)) conv=notrunc 2>/dev/null
expect 7 "show rejects a bad signature" "$SPORK" crl show "$T/bad.crl"
grep_out "names the CA" "names CA '$ICA' as its issuer but its signature does not verify" "$T/err"

# ---- fixed clock: thisUpdate/nextUpdate follow SPORK_NOW and --next-update
expect 0 "fixed clock" env SPORK_NOW=2026-12-01T00:00:00Z "$SPORK" crl generate --ca "$ICA" --next-update 36h
grep_out "thisUpdate at the fixed time" "thisUpdate +2026-12-01T00:00:00Z" "$T/out"
grep_out "nextUpdate 36 h later" "nextUpdate +2026-12-02T12:00:00Z" "$T/out"

# ---- a revoked CA certificate goes into its parent's CRL (offline key)
ISERIAL=$(openssl x509 -in "$C/$ISL.pem" -noout -serial | cut -d= -f2)
printf 'wrong\n' > "$T/wrong"
expect 5 "revoking a CA cert with the wrong parent passphrase" "$SPORK" cert revoke "$ISERIAL" \
	--reason cessationOfOperation --passphrase-file "$T/wrong"
expect 0 "revoke the issuing CA's certificate" "$SPORK" cert revoke "$ISERIAL" \
	--reason cessationOfOperation "$PASSOPT"
expect 5 "policy CA CRL needs its passphrase" "$SPORK" crl generate --ca "SPORK TLS Policy CA" --passphrase-file "$T/wrong"
expect 0 "policy CA CRL" "$SPORK" crl generate --ca "SPORK TLS Policy CA" "$PASSOPT"
openssl crl -in "$C/spork-tls-policy-ca.crl.pem" -noout -text > "$T/pcrl.txt"
grep_out "issuing CA serial in the policy CA's CRL" "Serial Number: $ISERIAL" "$T/pcrl.txt"
grep_out "cessationOfOperation" "Cessation Of Operation" "$T/pcrl.txt"
expect 7 "a revoked CA publishes no more CRLs" "$SPORK" crl generate --ca "$ICA"
grep_out "says why" "is revoked; only an active CA \(or one on hold\) publishes CRLs" "$T/err"

# ---- every CRL is in the audit log, and numbers were never reused
n=$(sqlite3 "$SPORK_STATE_DIR/spork.db" "select count(*) from audit where action='crl.generate'")
[ "$n" = 13 ] && ok "13 crl.generate audit rows" || not_ok "crl.generate rows: $n"
d=$(sqlite3 "$SPORK_STATE_DIR/spork.db" "select count(*) - count(distinct ca_id || '/' || crl_number) from crls")
[ "$d" = 0 ] && ok "no CRL number reused" || not_ok "reused CRL numbers: $d"
expect 0 "audit chain still intact" "$SPORK" audit verify
finish
