#!/bin/sh
# The command line as spork(1) describes it: global options before the
# group, between group and command and after the command (both --opt=V
# and --opt V, -- ending them); one exit code for a bad option value (2)
# everywhere, a malformed serial included; --limit keeping the newest N
# with --sort/--reverse; help for a group both ways; the nearest group,
# command or option suggested for a typo.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
S="$SPORK_STATE_DIR"
check "build 2-tier" build_2tier
cat > "$S/domain-policy.toml" <<'EOT'
[[allow]]
pattern = "*.lab.example"
EOT
i=1
for n in one two three four; do
	SPORK_NOW="2030-01-0${i}T00:00:00Z" "$SPORK" cert issue --cn "$n.lab.example" \
		--san "dns:$n.lab.example" --key-out "$T/$n.key" \
		--days $((50 - 10 * i)) -o "$T/$n.pem" -q || not_ok "issue $n"
	i=$((i + 1))
done
unset SPORK_STATE_DIR
D="$T/state"

# ---- 1. global options anywhere
expect 0 "--state-dir before the group" "$SPORK" --state-dir "$D" pki status
grep_out "lists the CAs" "Lab Issuing CA \[issuing\]"
expect 0 "--state-dir=DIR before the group" "$SPORK" --state-dir="$D" pki status
expect 0 "-d DIR before the group" "$SPORK" -d "$D" cert list
grep_out "lists certificates" "four.lab.example"
expect 0 "-dDIR before the group" "$SPORK" -d"$D" cert list
expect 0 "--json before the group" "$SPORK" --json -d "$D" pki status
grep_out "JSON" '"state_dir": '
expect 0 "--state-dir between group and command" "$SPORK" pki --state-dir "$D" status
expect 0 "--json -q between group and command" "$SPORK" cert --json -q -d "$D" list
grep_out "JSON from between" '"count": 6'
expect 0 "after the command, as before" "$SPORK" pki status --state-dir "$D"
expect 0 "-q before the group" "$SPORK" -q -d "$D" pki status
[ -s "$T/out" ] && not_ok "-q printed: $(head -n 1 "$T/out")" || ok "-q prints nothing"
: > "$T/empty.toml"
expect 0 "--config before the group" "$SPORK" --config "$T/empty.toml" -d "$D" config check
grep_out "checks that file" "empty.toml: OK"
expect 3 "... and it is used" "$SPORK" --config="$T/none.toml" -d "$D" pki status
expect 0 "-- ends the global options" "$SPORK" -d "$D" -- pki status
expect 2 "--state-dir without a value" "$SPORK" --state-dir
grep_out "says it needs a value" "needs a value|requires an argument" "$T/err"
expect 2 "an unknown option before the group" "$SPORK" --jsn pki status
grep_out "suggests --json" "did you mean '--json'" "$T/err"
expect 0 "--passphrase-file before the group" "$SPORK" --passphrase-file "$T/pass" -d "$D" pki status
expect 2 "a command option between group and command" "$SPORK" cert --status valid list
grep_out "says where it goes" "after the command" "$T/err"

export SPORK_STATE_DIR="$D"
# ---- 9. a bad option value: 2
expect 2 "--key-type rsa: 2" "$SPORK" cert issue --cn x.lab.example --key-type rsa --key-out "$T/x.key"
grep_out "names the key types" "ecdsa-p256" "$T/err"
SERIAL=$("$SPORK" cert list --name one.lab.example --json | sed -n 's/.*"serial": "\(.*\)".*/\1/p')
expect 2 "revoke -r hold: 2" "$SPORK" cert revoke "$SERIAL" -r hold
grep_out "suggests certificateHold" "did you mean 'certificateHold'|certificateHold" "$T/err"
expect 2 "--status bogus: 2" "$SPORK" cert list --status bogus
expect 2 "a malformed serial in revoke: 2" "$SPORK" cert revoke zz -r superseded
expect 2 "a malformed serial in show: 2" "$SPORK" cert show zz
expect 2 "a malformed serial in export: 2" "$SPORK" cert export zz
expect 2 "a malformed serial in renew: 2" "$SPORK" cert renew zz
expect 2 "a malformed serial in unhold: 2" "$SPORK" cert unhold zz
expect 3 "a well-formed unknown serial: 3" "$SPORK" cert show 0A0B0C
expect 3 "a missing certificate file: 3" "$SPORK" cert show "$T/nope.pem"

# ---- 9. --limit: the newest N; --sort, --reverse
names() { awk 'NR > 1 { print $NF }' "$T/out" | sed 's/^dns://' | tr '\n' ' ' | sed 's/ $//'; }
expect 0 "cert list --limit 2" "$SPORK" cert list --limit 2
[ "$(names)" = "three.lab.example four.lab.example" ] &&
	ok "--limit 2: the newest two, oldest first" || not_ok "--limit 2 gave: $(names)"
expect 0 "cert list --limit 2 --reverse" "$SPORK" cert list --limit 2 --reverse
[ "$(names)" = "four.lab.example three.lab.example" ] &&
	ok "--reverse: newest first" || not_ok "--reverse gave: $(names)"
expect 0 "cert list --sort expiry" "$SPORK" cert list --sort expiry --profile tls-server
[ "$(names)" = "four.lab.example three.lab.example two.lab.example one.lab.example" ] &&
	ok "--sort expiry: the soonest first" || not_ok "--sort expiry gave: $(names)"
expect 0 "cert list --sort name" "$SPORK" cert list --sort name --profile tls-server
[ "$(names)" = "four.lab.example one.lab.example three.lab.example two.lab.example" ] &&
	ok "--sort name" || not_ok "--sort name gave: $(names)"
expect 2 "--sort bogus" "$SPORK" cert list --sort bogus
expect 2 "cert list --limit 0" "$SPORK" cert list --limit 0
expect 2 "cert list --limit -1" "$SPORK" cert list --limit -1
expect 2 "audit list --limit -1" "$SPORK" audit list --limit -1
expect 2 "audit list --limit 0" "$SPORK" audit list --limit 0
expect 0 "audit list --limit 2 --reverse" "$SPORK" audit list --limit 2 --reverse --action cert.issue
[ "$(awk 'NR > 1 { print $1 }' "$T/out" | tr '\n' ' ')" = "6 5 " ] &&
	ok "audit --reverse: the newest two, newest first" ||
	not_ok "audit --reverse order: $(awk 'NR > 1 { print $1 }' "$T/out" | tr '\n' ' ')"

# ---- 9. the same passphrase rules from a file as at the prompt
printf 'abc\n' > "$T/short"; chmod 600 "$T/short"
expect 7 "a short PKCS#12 password from a file" "$SPORK" cert issue --cn five.lab.example \
	--pkcs12 "$T/five.p12" --pkcs12-passphrase-file "$T/short" -o "$T/five.pem"
grep_out "says it is short" "shorter than 8 characters" "$T/err"
[ -e "$T/five.pem" ] && not_ok "issued anyway" || ok "nothing issued"
expect 0 "--pkcs12-no-password" "$SPORK" cert issue --cn five.lab.example \
	--pkcs12 "$T/five.p12" --pkcs12-no-password -o "$T/five.pem"
if command -v openssl >/dev/null 2>&1; then
	check "openssl reads it without a password" sh -c \
		"openssl pkcs12 -in '$T/five.p12' -passin pass: -noenc -info 2>&1 | grep -q 'BEGIN PRIVATE KEY'"
fi
expect 7 "--pkcs12-no-password with a password file" "$SPORK" cert export "$SERIAL" \
	--format pkcs12 -o "$T/x.p12" --pkcs12-no-password --pkcs12-passphrase-file "$T/pass"
expect 0 "export --pkcs12-no-password" "$SPORK" cert export "$SERIAL" \
	--format pkcs12 -o "$T/x.p12" --pkcs12-no-password

# ---- 9. help both ways, and suggestions
expect 0 "spork help cert" "$SPORK" help cert
grep_out "the group's help" "usage: spork cert <command>"
expect 0 "spork cert help" "$SPORK" cert help
grep_out "the group's help, too" "usage: spork cert <command>"
expect 0 "spork help cert list" "$SPORK" help cert list
grep_out "the command's help" "--expiring-within"
expect 0 "spork audit help" "$SPORK" audit help
expect 0 "spork store help" "$SPORK" store help
expect 2 "a mistyped group" "$SPORK" crt list
grep_out "suggests the group" "did you mean 'cert'\?" "$T/err"
n=$(wc -l < "$T/err")
[ "$n" -le 3 ] && ok "no whole usage for a typo" || not_ok "$n lines for a typo"
expect 2 "a mistyped command" "$SPORK" cert lst
grep_out "suggests the command" "did you mean 'list'\?" "$T/err"
expect 2 "a mistyped option" "$SPORK" cert list --statu valid
grep_out "suggests the option" "did you mean '--status'\?" "$T/err"
n=$(wc -l < "$T/err")
[ "$n" -le 3 ] && ok "no whole usage for an option typo" || not_ok "$n lines for an option typo"
expect 2 "spork help crt" "$SPORK" help crt
grep_out "help suggests too" "did you mean 'cert'\?" "$T/err"
# ---- 11. crl generate --delta names the delta URL, says "written"
sed 's|^crl_urls = .*|&\ndelta_crl_urls = ["http://pki.lab.internal/crl/issuing-delta.crl"]|' \
	"$HIER/2-tier.toml" > "$T/delta.toml"
expect 0 "a hierarchy with delta_crl_urls" env SPORK_STATE_DIR="$T/delta" \
	"$SPORK" pki build "$T/delta.toml" $PASSOPT -q
expect 0 "full CRL" env SPORK_STATE_DIR="$T/delta" "$SPORK" crl generate --ca "Lab Issuing CA"
grep_out "the full CRL's URL" "^  url +http://pki.lab.internal/crl/issuing.crl$"
expect 0 "delta CRL" env SPORK_STATE_DIR="$T/delta" "$SPORK" crl generate --ca "Lab Issuing CA" --delta
grep_out "names the delta URL" "^  delta url +http://pki.lab.internal/crl/issuing-delta.crl$"
grep_out "says written" "^  written +.*delta.crl$"
if grep -q published "$T/out"; then not_ok "says published"; else ok "does not say published"; fi
finish
