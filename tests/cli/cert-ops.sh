#!/bin/sh
# spork cert as an operator reaches for it (issue 8): a certificate named
# by serial, file (PEM or DER) or --name; renewals a cron job can trust
# (renewed_by, --include-renewed, --force, --revoke-old, --exit-status,
# --expiring-within 0); validity as durations and dates; subject fields
# for generated keys; the NAMES column of cert list.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
need openssl perl
export TZ=UTC
S="$SPORK_STATE_DIR"
serial_of() { openssl x509 -in "$1" -noout -serial | cut -d= -f2; }
json_field() {
	sed -n "s/^  \"$1\": \"\\(.*\\)\",\{0,1\}\$/\\1/p" "$T/out" | head -n 1
}
# lifetime FILE: notAfter - notBefore + 1 in seconds
lifetime() {
	nb=$(date -d "$(openssl x509 -in "$1" -noout -startdate | cut -d= -f2)" +%s)
	na=$(date -d "$(openssl x509 -in "$1" -noout -enddate | cut -d= -f2)" +%s)
	echo $((na - nb + 1))
}
n=0
# issue NAME [OPTIONS]: a generated key for NAME, certificate in $T/NAME.pem
issue() {
	_name=$1; shift
	n=$((n + 1))
	"$SPORK" cert issue --cn "$_name" --key-out "$T/k$n.pem" \
		--out "$T/$_name.pem" -q "$@"
}

# A hierarchy whose issuing CA's name is not ASCII, so that the CA
# column is wider in bytes than on the screen.
sed 's/Lab Issuing CA/Läb Issuing CA/' "$HIER/2-tier.toml" > "$T/h.toml"
check "build" "$SPORK" pki build "$T/h.toml" $PASSOPT -q
cat > "$S/domain-policy.toml" <<'EOF'
[[allow]]
pattern = "*.lab.example"
[[allow]]
pattern = "lab.example"
EOF

# ---- 2: a certificate named by serial, file or --name
check "issue web" issue web.lab.example
check "issue a" issue a.lab.example --san dns:a.lab.example,dns:shared.lab.example
check "issue b" issue b.lab.example --san dns:b.lab.example,dns:shared.lab.example
WEB=$(serial_of "$T/web.lab.example.pem")
A=$(serial_of "$T/a.lab.example.pem")
B=$(serial_of "$T/b.lab.example.pem")
for c in show export renew revoke; do
	expect 0 "cert $c --help" "$SPORK" cert "$c" --help
	grep_out "cert $c --help names FILE" "SERIAL\\|FILE" "$T/out"
	grep_out "cert $c --help names --name" "--name" "$T/out"
done
expect 0 "show --name" "$SPORK" cert show --name web.lab.example
grep_out "found by name" "^serial +$WEB" "$T/out"
expect 0 "export --name" "$SPORK" cert export --name web.lab.example --out "$T/e.pem"
cmp -s "$T/e.pem" "$T/web.lab.example.pem" && ok "export --name is the certificate" ||
	not_ok "export --name differs"
expect 6 "--name matching two valid certificates" "$SPORK" cert show --name shared.lab.example
grep_out "lists the candidates" "$A.*$B|$B.*$A" "$T/err"
expect 3 "--name matching nothing" "$SPORK" cert show --name nothing.lab.example
expect 2 "a serial and --name" "$SPORK" cert show "$WEB" --name web.lab.example
openssl x509 -in "$T/b.lab.example.pem" -outform DER -out "$T/b.der"
expect 0 "revoke a DER file" "$SPORK" cert revoke "$T/b.der" --reason cessationOfOperation
grep_out "revoked the file's certificate" "revoked $B" "$T/out"
expect 0 "one valid match left" "$SPORK" cert show --name shared.lab.example
grep_out "the revoked one is no candidate" "^serial +$A" "$T/out"

# ---- 5: renewal a cron job can trust
expect 0 "renew a PEM file" "$SPORK" cert renew "$T/web.lab.example.pem" --out "$T/web2.pem"
WEB2=$(serial_of "$T/web2.pem")
expect 0 "show the renewed one --json" "$SPORK" cert show "$WEB" --json
grep_out "renewed_by in JSON" "\"renewed_by\": \"$WEB2\"" "$T/out"
expect 0 "show the renewed one" "$SPORK" cert show "$WEB"
grep_out "renewed by in show" "^renewed by +$WEB2" "$T/out"
expect 0 "list" "$SPORK" cert list
grep_out "superseded in list" "^$WEB +superseded " "$T/out"
expect 6 "renewing it again" "$SPORK" cert renew "$WEB" --out "$T/web3.pem"
grep_out "says what replaced it" "renewed.*$WEB2" "$T/err"
grep_out "says --force" "--force" "$T/err"
expect 0 "--name picks the renewal" "$SPORK" cert show --name web.lab.example
grep_out "the valid successor" "^serial +$WEB2" "$T/out"
expect 0 "expiring: renewed ones left out" "$SPORK" cert list --expiring-within 800d
! grep -q "^$WEB " "$T/out" && grep -q "^$WEB2 " "$T/out" &&
	ok "only the successor" || not_ok "--expiring-within: $(cat "$T/out")"
expect 0 "--include-renewed" "$SPORK" cert list --expiring-within 800d --include-renewed
grep -q "^$WEB " "$T/out" && ok "--include-renewed lists it" ||
	not_ok "--include-renewed: $(cat "$T/out")"
expect 0 "renew --force" "$SPORK" cert renew "$WEB" --force --out "$T/web3.pem"
expect 0 "nothing expires now" "$SPORK" cert list --expiring-within 0 --exit-status
grep -q "^[0-9A-F]" "$T/out" && not_ok "--expiring-within 0 listed: $(cat "$T/out")" ||
	ok "--expiring-within 0 is not 'no filter'"
later=$(( $(date +%s) + 500 * 86400 ))
expect 1 "--exit-status when something matches" env SPORK_NOW=$later \
	"$SPORK" cert list --expiring-within 0 --exit-status
grep_out "expired and not renewed: listed" "^$A " "$T/out"
expect 0 "renew --revoke-old" "$SPORK" cert renew "$A" --revoke-old --out "$T/a2.pem"
expect 0 "the old one" "$SPORK" cert show "$A"
grep_out "revoked as superseded" "^status +revoked \(superseded" "$T/out"
grep_out "and renewed by" "^renewed by +$(serial_of "$T/a2.pem")" "$T/out"

# ---- 6: validity as durations and dates
check "--valid-for 24h" issue h24.lab.example --valid-for 24h
[ "$(lifetime "$T/h24.lab.example.pem")" = 86400 ] && ok "24 hours" ||
	not_ok "24h gave $(lifetime "$T/h24.lab.example.pem")"
check "--valid-for 90d" issue d90.lab.example --valid-for 90d
[ "$(lifetime "$T/d90.lab.example.pem")" = $((90 * 86400)) ] && ok "90 days" ||
	not_ok "90d gave $(lifetime "$T/d90.lab.example.pem")"
check "--days still works" issue d5.lab.example --days 5
[ "$(lifetime "$T/d5.lab.example.pem")" = $((5 * 86400)) ] && ok "5 days" ||
	not_ok "--days 5 gave $(lifetime "$T/d5.lab.example.pem")"
expect 7 "--valid-for over the profile" "$SPORK" cert issue --cn x.lab.example \
	--key-out "$T/x1.key" --valid-for 400d
expect 2 "--valid-for bogus" "$SPORK" cert issue --cn x.lab.example \
	--key-out "$T/x2.key" --valid-for soon
expect 2 "--valid-for and --days" "$SPORK" cert issue --cn x.lab.example \
	--key-out "$T/x3.key" --valid-for 1d --days 1
nb=$(date -u -d "@$(( $(date +%s) + 10 * 86400 ))" +%Y-%m-%dT%H:%M:%SZ)
na=$(date -u -d "@$(( $(date +%s) + 40 * 86400 ))" +%Y-%m-%dT%H:%M:%SZ)
check "--not-before/--not-after" issue dated.lab.example --not-before "$nb" --not-after "$na"
expect 0 "show dated" "$SPORK" cert show "$(serial_of "$T/dated.lab.example.pem")"
grep_out "not before as asked" "^not before +$nb" "$T/out"
grep_out "not after as asked" "^not after +$na" "$T/out"
expect 7 "--not-after after the CA's" "$SPORK" cert issue --cn x.lab.example \
	--key-out "$T/x4.key" --not-after 2199-01-01T00:00:00Z
expect 2 "--not-after before --not-before" "$SPORK" cert issue --cn x.lab.example \
	--key-out "$T/x5.key" --not-before "$na" --not-after "$nb"
expect 2 "--not-after not RFC 3339" "$SPORK" cert issue --cn x.lab.example \
	--key-out "$T/x6.key" --not-after tomorrow
expect 0 "renew --valid-for" "$SPORK" cert renew "$T/h24.lab.example.pem" \
	--valid-for 12h --out "$T/h12.pem"
[ "$(lifetime "$T/h12.pem")" = 43200 ] && ok "renewed for 12 hours" ||
	not_ok "renew 12h gave $(lifetime "$T/h12.pem")"

# ---- 7: subject fields for keys spork generates
expect 0 "--subject RFC 4514" "$SPORK" cert issue --subject \
	'CN=sub.lab.example,O=Example\, Inc.,C=DE' --key-out "$T/s1.key" --out "$T/s1.pem"
openssl x509 -in "$T/s1.pem" -noout -subject -nameopt RFC2253 > "$T/out"
grep_out "O as given" "O=Example\\\\, Inc\\.(,|$)" "$T/out"
grep_out "C as given" "C=DE(,|$)" "$T/out"
expect 0 "--org --ou --country" "$SPORK" cert issue --cn f.lab.example \
	--org "Example Lab" --ou Ops --country DE --key-out "$T/s2.key" --out "$T/s2.pem"
openssl x509 -in "$T/s2.pem" -noout -subject -nameopt RFC2253 > "$T/out"
grep_out "individual fields" "C=DE,O=Example Lab,OU=Ops,CN=f.lab.example|OU=Ops" "$T/out"
expect 7 "--country checked" "$SPORK" cert issue --cn g.lab.example \
	--country Germany --key-out "$T/s3.key"
expect 7 "--subject with an attribute spork does not carry" "$SPORK" cert issue \
	--subject 'CN=h.lab.example,DC=example' --key-out "$T/s4.key"
grep_out "names the attribute" "DC" "$T/err"
openssl req -new -key "$T/k1.pem" -subj "/DC=internal/DC=example/CN=dc.lab.example" \
	-out "$T/dc.csr" 2>/dev/null
expect 7 "a request with DC is refused, not silently cut" "$SPORK" cert issue \
	--csr "$T/dc.csr" --out "$T/dc.pem"
grep_out "says DC" "DC" "$T/err"

# ---- 11: the NAMES column lines up
expect 0 "list for the columns" "$SPORK" cert list
perl -CSD -ne 'chomp; if ($. == 1) { $p = index($_, "NAMES"); next }
	print "$.: $_\n" if substr($_, $p - 1, 1) ne " " ||
		substr($_, $p, 1) eq " "' \
	"$T/out" > "$T/bad"
[ ! -s "$T/bad" ] && ok "NAMES starts in one column" ||
	not_ok "misaligned: $(cat "$T/bad")"

finish
