#!/bin/sh
# spork pki validate | preview | build | status on good and bad files,
# with every chain verified by certtool and openssl.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
need certtool openssl sqlite3
D="$top_srcdir/tests/data/hier"

# ---- validate
for f in 2-tier 3-tier subordinate import; do
	expect 0 "validate $f.toml" "$SPORK" pki validate "$HIER/$f.toml"
done
grep_out "validate names the shape" 'valid \(local hierarchy: 3 CAs: 1 root, 1 policy, 1 issuing\)' \
	"$(run "$SPORK" pki validate "$HIER/3-tier.toml"; echo "$T/out")"

expect 7 "validate reports a bad file" "$SPORK" pki validate "$D/bad-many.toml"
E="$T/err"
grep_out "unknown key with position and suggestion" "bad-many.toml:3:1: error: unknown key 'algoritm' in \[root\]; did you mean 'algorithm'\?" "$E"
grep_out "wrong type" "bad-many.toml:4:18: error: validity_years must be an integer, not string" "$E"
grep_out "unsupported algorithm" "bad-many.toml:9:13: error: .*dsa-1024" "$E"
grep_out "child outlives parent" "bad-many.toml:12:1: error: 'Issuing A' would outlive its parent 'Policy A'" "$E"
grep_out "duplicate name" "bad-many.toml:16:1: error: duplicate CA name 'Policy A'" "$E"
grep_out "path length cannot hold" "bad-many.toml:1:1: error: path_len = 0 on 'Bad Root' cannot hold the 2 levels" "$E"
grep_out "country" "bad-many.toml:18:11: error: country = \"Germany\"" "$E"
grep_out "URL scheme" "bad-many.toml:19:13: error: crl_urls: 'ftp://" "$E"
grep_out "CIDR host bits" "bad-many.toml:20:17: error: permitted_ip: '10.0.0.1/8'" "$E"
grep_out "OID" "bad-many.toml:21:16: error: policy_oids: 'not-an-oid'" "$E"
grep_out "CA CN under DNS constraints" "bad-many.toml:28:1: error: .Unnamed Issuing. sits below .Constrained Policy., whose permitted_dns" "$E"
grep_out "all problems at once" "bad-many.toml: 11 problems; nothing was done" "$E"

expect 7 "TOML syntax error" "$SPORK" pki validate "$D/bad-syntax.toml"
grep_out "syntax error has line and column" "bad-syntax.toml:3:[0-9]+: error: " "$T/err"
expect 7 "no top table" "$SPORK" pki validate "$D/bad-notop.toml"
grep_out "says what to add" "no \[root\], \[external\] or \[import\]" "$T/err"
expect 3 "missing file" "$SPORK" pki validate "$T/nope.toml"
expect 2 "usage" "$SPORK" pki validate
expect 7 "--json problems" "$SPORK" pki validate --json "$D/bad-many.toml"
grep_out "json has problems with positions" '"line": 3' "$T/out"

# ---- preview on an empty state directory
expect 0 "preview" "$SPORK" pki preview "$HIER/3-tier.toml"
grep_out "preview shows subject" "subject +CN=SPORK Root CA,O=SPORK Example,C=DE" "$T/out"
grep_out "preview shows validity" "validity +20[0-9-]+T[0-9:]+Z \.\. 20[0-9-]+T[0-9:]+Z \(25 years\)" "$T/out"
grep_out "preview shows constraints" "permitted dns +example.internal, example.com" "$T/out"
grep_out "preview shows key location" "key +lockbox, offline \(passphrase\)" "$T/out"
grep_out "preview shows basicConstraints" "constraints +CA, path_len 2 \(basicConstraints, critical\)" "$T/out"
grep_out "preview shows keyUsage" "key usage +keyCertSign, cRLSign \(critical\)" "$T/out"
grep_out "preview shows the URLs a CA puts in what it issues" "delta crl +http://pki.example.internal/crl/tls-issuing-delta.crl" "$T/out"
grep_out "preview summary" "build would create 3 CAs; 0 unchanged" "$T/out"
[ ! -e "$SPORK_STATE_DIR/spork.db" ] && ok "preview creates nothing" || not_ok "preview created a database"

# ---- build
expect 0 "build 3-tier" "$SPORK" pki build "$HIER/3-tier.toml" "$PASSOPT"
grep_out "build prints where the files are" "certificate $SPORK_STATE_DIR/ca/spork-tls-web-server-issuing-ca.pem" "$T/out"
C="$SPORK_STATE_DIR/ca"
check "certtool --verify-chain 3-tier" certtool --verify-chain --infile "$C/spork-tls-web-server-issuing-ca-chain.pem"
check "openssl verify -x509_strict 3-tier" openssl verify -x509_strict -CAfile "$C/spork-root-ca.pem" \
	-untrusted "$C/spork-tls-policy-ca.pem" "$C/spork-tls-web-server-issuing-ca.pem"
openssl x509 -in "$C/spork-tls-policy-ca.pem" -noout -text > "$T/policy.txt"
grep_out "policy CA pathlen 1" "CA:TRUE, pathlen:1" "$T/policy.txt"
openssl x509 -in "$C/spork-tls-web-server-issuing-ca.pem" -noout -text > "$T/issuing.txt"
grep_out "name constraints" "Permitted:" "$T/issuing.txt"
grep_out "policy OID" "Policy: 1.3.6.1.4.1.56266.1.1.1" "$T/policy.txt"
grep_out "root CRL URL in policy CA" "URI:http://pki.example.internal/crl/root.crl" "$T/policy.txt"
openssl x509 -in "$C/spork-root-ca.pem" -noout -text > "$T/root.txt"
grep_out "root pathlen 2" "CA:TRUE, pathlen:2" "$T/root.txt"
grep_out "root keyUsage" "Certificate Sign, CRL Sign" "$T/root.txt"
n=$(sqlite3 "$SPORK_STATE_DIR/spork.db" "select count(*) from audit")
[ "$n" -ge 3 ] && ok "audit rows written ($n)" || not_ok "audit rows: $n"

expect 0 "build again" "$SPORK" pki build "$HIER/3-tier.toml" "$PASSOPT"
grep_out "says nothing to do" "Nothing to do: the 3 CAs of .* are already built and unchanged" "$T/out"
n2=$(sqlite3 "$SPORK_STATE_DIR/spork.db" "select count(*) from audit")
[ "$n2" = "$n" ] && ok "rebuild changed nothing" || not_ok "rebuild wrote audit rows ($n -> $n2)"
rm "$SPORK_STATE_DIR/ca/spork-tls-policy-ca-chain.pem"
expect 0 "build again after a chain file was lost" "$SPORK" pki build "$HIER/3-tier.toml" "$PASSOPT"
check "the lost chain file is written again from the store" openssl verify -x509_strict \
	-CAfile "$SPORK_STATE_DIR/ca/spork-root-ca.pem" "$SPORK_STATE_DIR/ca/spork-tls-policy-ca-chain.pem"
expect 0 "preview -q" "$SPORK" pki preview -q "$HIER/3-tier.toml"
[ ! -s "$T/out" ] && ok "preview -q prints nothing" || not_ok "preview -q printed"
expect 0 "preview against state" "$SPORK" pki preview "$HIER/3-tier.toml"
grep_out "preview says unchanged" "build would create 0 CAs; 3 unchanged" "$T/out"

# ---- add an issuing CA: only it is built (its offline parent is unsealed)
cp "$HIER/3-tier.toml" "$T/grow.toml"
cat >> "$T/grow.toml" <<'EOT'

[[policy_cas.issuing_cas]]
common_name = "SPORK TLS Client Issuing CA"
validity_years = 3
EOT
# (sealed keys are in lockbox/offline/ and lockbox/online/)
keys=$(find "$SPORK_STATE_DIR/lockbox" -type f | wc -l)
printf 'wrong passphrase\n' > "$T/wrong"
expect 5 "wrong passphrase to unseal the parent" "$SPORK" pki build "$T/grow.toml" --passphrase-file "$T/wrong"
[ "$(find "$SPORK_STATE_DIR/lockbox" -type f | wc -l)" = "$keys" ] && ok "wrong passphrase: no key left in the lockbox" || not_ok "lockbox grew"
n3=$(sqlite3 "$SPORK_STATE_DIR/spork.db" "select count(*) from cas")
[ "$n3" = 3 ] && ok "wrong passphrase: store unchanged" || not_ok "cas: $n3"
expect 0 "build grown file" "$SPORK" pki build "$T/grow.toml" "$PASSOPT"
[ "$(grep -c ' created$' "$T/out")" = 1 ] && ok "only the new CA was created" || not_ok "created: $(grep -c ' created$' "$T/out")"
check "new CA chains" openssl verify -x509_strict -CAfile "$C/spork-root-ca.pem" \
	-untrusted "$C/spork-tls-policy-ca.pem" "$C/spork-tls-client-issuing-ca.pem"

# ---- a changed definition is refused
expect 6 "changed definition refused" "$SPORK" pki build "$D/changed-3tier.toml" "$PASSOPT"
grep_out "names the changed field" "CA 'SPORK Root CA' was built from a different definition \(changed: algorithm, path_len\)" "$T/err"
expect 6 "preview shows the change" "$SPORK" pki preview "$D/changed-3tier.toml"
grep_out "preview marks it" "SPORK Root CA \[root\] changed \(algorithm, path_len differ" "$T/out"

# ---- status
expect 0 "status" "$SPORK" pki status
grep_out "status lists the issuing CA" "SPORK TLS Web Server Issuing CA \[issuing\] active" "$T/out"
grep_out "status shows online key" "lockbox \(online\); online: yes" "$T/out"
grep_out "status shows offline key" "lockbox \(offline\); online: no" "$T/out"
expect 0 "status --json" "$SPORK" pki status --json
grep_out "status json" '"algorithm": "ecdsa-p384"' "$T/out"
expect 3 "status without state" "$SPORK" pki status --state-dir "$T/none"

# ---- a CA from another file may not take over an existing CA's files
cat > "$T/clash.toml" <<'EOT'
[root]
common_name = "Other Root"
[[issuing_cas]]
common_name = "spork-tls-policy-ca"
EOT
expect 7 "file names clashing with a built CA refused" "$SPORK" pki build "$T/clash.toml" "$PASSOPT"
grep_out "names both CAs" "'spork-tls-policy-ca' would share files under ca/ with CA 'SPORK TLS Policy CA'" "$T/err"
[ "$(sqlite3 "$SPORK_STATE_DIR/spork.db" "select count(*) from cas where name = 'Other Root'")" = 0 ] &&
	ok "clash: nothing built" || not_ok "clash: the root was built"

# ---- no private key in plaintext anywhere in the state directory
bad=0
for f in $(find "$SPORK_STATE_DIR" -type f); do
	if grep -q "PRIVATE KEY" "$f" ||
	   openssl pkey -in "$f" -noout 2>/dev/null ||
	   openssl pkey -inform DER -in "$f" -noout 2>/dev/null; then
		echo "# plaintext key in $f"; bad=1
	fi
done
[ $bad = 0 ] && ok "no plaintext private key in the state directory" || not_ok "plaintext key found"
for f in $(find "$SPORK_STATE_DIR/lockbox" -type f); do
	[ "$(head -c 8 "$f")" = SPORKLB1 ] || { bad=1; echo "# $f not sealed"; }
done
[ $bad = 0 ] && ok "every lockbox file is sealed" || not_ok "unsealed lockbox file"
# Offline keys (root, policy CAs) and online ones (issuing CAs) apart,
# so that offline/ can be made inaccessible to the handlers.
off=$(sqlite3 "$SPORK_STATE_DIR/spork.db" "select count(*) from cas where key_uri like 'lockbox:%' and key_uri not like '%;kek=online'")
on=$(sqlite3 "$SPORK_STATE_DIR/spork.db" "select count(*) from cas where key_uri like 'lockbox:%;kek=online'")
[ "$off" -gt 0 ] && [ "$on" -gt 0 ] &&
[ "$(find "$SPORK_STATE_DIR/lockbox/offline" -type f | wc -l)" = "$off" ] &&
[ "$(find "$SPORK_STATE_DIR/lockbox/online" -type f | wc -l)" = "$on" ] &&
[ -z "$(find "$SPORK_STATE_DIR/lockbox" -maxdepth 1 -type f)" ] &&
	ok "offline keys in lockbox/offline, online keys in lockbox/online" ||
	not_ok "lockbox layout: $(cd "$SPORK_STATE_DIR/lockbox" && find . -type f)"
[ "$(stat -c %a "$SPORK_STATE_DIR/lockbox/offline")" = 700 ] &&
[ "$(stat -c %a "$SPORK_STATE_DIR/lockbox/online")" = 700 ] &&
	ok "lockbox/offline and lockbox/online are 0700" || not_ok "lockbox dir modes"
[ "$(stat -c %a "$SPORK_STATE_DIR/online.kek")" = 400 ] && ok "online.kek is 0400" || not_ok "online.kek mode"

# ---- a hostile file: 100000 unknown keys give a bounded report, not
# 100000 lines (the first problems, then how many more)
awk 'BEGIN { print "[root]"; print "common_name = \"R\""
	for (i = 0; i < 100000; i++) printf "k%d=1\n", i }' > "$T/many.toml"
expect 7 "validate a file with 100000 unknown keys" "$SPORK" pki validate "$T/many.toml"
n=$(wc -l < "$T/err")
[ "$n" -le 60 ] && ok "its report is bounded ($n lines)" || not_ok "its report has $n lines"
grep_out "the first problem is shown" "many.toml:3:1: error: unknown key 'k0' in \[root\]" "$T/err"
grep_out "the rest are counted" "many.toml: and 99950 more problems not shown" "$T/err"
grep_out "the total is right" "many.toml: 100000 problems; nothing was done" "$T/err"
expect 7 "validate --json the same file" "$SPORK" pki validate --json "$T/many.toml"
n=$(grep -c '"message"' "$T/out")
[ "$n" = 51 ] && ok "JSON holds 50 problems and a count" || not_ok "JSON holds $n messages"

# ---- 2-tier, and every algorithm
export SPORK_STATE_DIR="$T/two"
expect 0 "build 2-tier" "$SPORK" pki build "$HIER/2-tier.toml" "$PASSOPT"
check "2-tier certtool" certtool --verify-chain --infile "$T/two/ca/lab-issuing-ca-chain.pem"
check "2-tier openssl" openssl verify -x509_strict -CAfile "$T/two/ca/lab-root-ca.pem" "$T/two/ca/lab-issuing-ca.pem"
# ---- any tampering with a sealed key file is exit 5 (spork(1) EXIT STATUS)
OFFKEY=$(find "$T/two/lockbox/offline" -name '*.key' | head -n 1)
ONKEY=$(find "$T/two/lockbox/online" -name '*.key' | head -n 1)
# tamper DESC FILE OFFSET OCTAL-BYTE|cut:N: change one byte of FILE (or cut
# it to N bytes), expect exit 5 from a CRL signed with that key, restore
tamper() {
	cp -p "$2" "$T/key.orig"; chmod u+w "$2"
	case $4 in
	cut:*) head -c "${4#cut:}" "$T/key.orig" > "$2" ;;
	*) printf "\\$4" | dd of="$2" bs=1 seek="$3" conv=notrunc 2>/dev/null ;;
	esac
	if [ "$2" = "$OFFKEY" ]; then
		expect 5 "$1" "$SPORK" crl generate --ca "Lab Root CA" "$PASSOPT"
	else
		expect 5 "$1" "$SPORK" crl generate --ca "Lab Issuing CA"
	fi
	grep_out "$1: says tampered" "tampered|damaged" "$T/err"
	mv -f "$T/key.orig" "$2"
}
tamper "offline key: kind byte 1 -> 2" "$OFFKEY" 8 002
tamper "online key: kind byte 2 -> 1" "$ONKEY" 8 001
tamper "offline key: unknown kind" "$OFFKEY" 8 003
tamper "offline key: Argon2 memory out of range" "$OFFKEY" 13 177
tamper "online key: Argon2 field set" "$ONKEY" 14 001
tamper "online key: magic" "$ONKEY" 0 130
tamper "online key: key id length" "$ONKEY" 49 377
tamper "online key: truncated header" "$ONKEY" 0 cut:30
tamper "online key: tag" "$ONKEY" $(($(stat -c %s "$ONKEY") - 1)) 000
expect 0 "restored keys work" "$SPORK" crl generate --ca "Lab Root CA" "$PASSOPT"

export SPORK_STATE_DIR="$T/algs"
expect 0 "build every algorithm" "$SPORK" pki build "$D/all-algs.toml" "$PASSOPT"
for c in alg-issuing-p521 alg-issuing-ed448 alg-issuing-rsa4096 alg-issuing-p384; do
	check "certtool chain $c" certtool --verify-chain --infile "$T/algs/ca/$c-chain.pem"
	check "openssl chain $c" openssl verify -x509_strict -CAfile "$T/algs/ca/alg-root.pem" \
		-untrusted "$T/algs/ca/$c-chain.pem" "$T/algs/ca/$c.pem"
done

# ---- preview shows the dates a changed validity would give
mkdir -p "$T/pv"
sed '0,/validity_years = [0-9]*/s//validity_years = 12/' "$HIER/2-tier.toml" > "$T/pv/h.toml"
run "$SPORK" pki build $PASSOPT -q --state-dir "$T/pv/state" "$HIER/2-tier.toml"
expect 6 "preview of a changed validity (exit 6: build would refuse)" "$SPORK" pki preview --state-dir "$T/pv/state" "$T/pv/h.toml"
grep_out "preview: the validity as built" "validity +[0-9T:Z-]+ \.\. [0-9T:Z-]+ \(as built\)"
y=$(date -u +%Y)
grep_out "preview: the dates the file asks for (12 years)" \
	"file asks +$y-[0-9T:Z-]+ \.\. $((y + 12))-[0-9T:Z-]+ \(12 years\)"
finish
