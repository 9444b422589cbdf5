#!/bin/sh
# spork policy check: the example policy of domain-policy.toml(5) (apex,
# wildcard and deeper names, deny wins), IP addresses in and out of a
# CIDR range, malformed names, no policy file, --policy, --json.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
S="$SPORK_STATE_DIR"
P="$T/policy.toml"

# The seed's example, with an address range and a comment added.
cat > "$P" <<'EOF'
# domain-policy.toml
# Deny-by-default: only explicitly allowed patterns can get certificates
[[allow]]
pattern = "*.quantumnexus.com"
[[allow]]
pattern = "quantumnexus.com"
[[deny]]
pattern = "*.internal.quantumnexus.com"
comment = "never certified"
[[allow]]
pattern = "10.0.0.0/8"
[[deny]]
pattern = "10.66.0.0/16"
[[allow]]
pattern = "2001:db8::/32"
EOF

# ---- no policy file
expect 3 "no policy in the state directory: not found" \
	"$SPORK" policy check www.quantumnexus.com
grep_out "says where the policy goes" \
	"no domain policy: $S/domain-policy.toml does not exist.*domain-policy.toml\(5\)" "$T/err"
expect 3 "--policy names a missing file" \
	"$SPORK" policy check --policy "$T/nope.toml" www.quantumnexus.com
grep_out "names the missing file" "no policy file $T/nope.toml" "$T/err"

# ---- bad command lines
expect 2 "no names: usage" "$SPORK" policy check --policy "$P"
expect 2 "unknown option" "$SPORK" policy check --bogus a.example
expect 2 "no command" "$SPORK" policy
expect 2 "unknown command" "$SPORK" policy frobnicate

# ---- one name at a time (--policy)
# pc WANT_RC DESC NAME PATTERN: exit status and the decision line
pc() {
	expect "$1" "$2" "$SPORK" policy check --policy "$P" -- "$3"
	grep_out "$2: decision" "$4"
}
pc 0 "apex allowed by its own rule" quantumnexus.com \
	'^quantumnexus.com: allowed by \[\[allow\]\] #2 "quantumnexus.com" \(line 6\)$'
pc 0 "one label below: the wildcard rule" www.quantumnexus.com \
	'^www.quantumnexus.com: allowed by \[\[allow\]\] #1 "\*.quantumnexus.com" \(line 4\)$'
pc 0 "deeper names: the wildcard covers several labels" a.b.quantumnexus.com \
	'^a.b.quantumnexus.com: allowed by \[\[allow\]\] #1'
pc 0 "case and a trailing dot do not matter" WWW.QuantumNexus.COM. \
	'^www.quantumnexus.com: allowed by \[\[allow\]\] #1'
pc 0 "internal itself is not under the deny wildcard" internal.quantumnexus.com \
	'^internal.quantumnexus.com: allowed by \[\[allow\]\] #1'
pc 4 "deny wins over the allow wildcard" db.internal.quantumnexus.com \
	'^db.internal.quantumnexus.com: denied by \[\[deny\]\] #1 "\*.internal.quantumnexus.com" \(line 8\)$'
pc 0 "a requested wildcard under an allowed domain" '*.quantumnexus.com' \
	'^\*.quantumnexus.com: allowed by \[\[allow\]\] #1'
pc 4 "a requested wildcard under the denied subtree" '*.internal.quantumnexus.com' \
	'^\*.internal.quantumnexus.com: denied by \[\[deny\]\] #1'
pc 4 "another domain: denied by default" example.org \
	'^example.org: denied: no rule matched \(deny by default\)$'
pc 4 "a look-alike suffix is not the domain" evilquantumnexus.com \
	'^evilquantumnexus.com: denied: no rule matched'
pc 0 "IPv4 inside the CIDR range" 10.1.2.3 \
	'^10.1.2.3: allowed by \[\[allow\]\] #3 "10.0.0.0/8" \(line 11\)$'
pc 4 "IPv4 inside the denied range" 10.66.7.8 \
	'^10.66.7.8: denied by \[\[deny\]\] #2 "10.66.0.0/16" \(line 13\)$'
pc 4 "IPv4 outside every range" 192.0.2.1 \
	'^192.0.2.1: denied: no rule matched'
pc 0 "IPv6 inside its range, normalised" 2001:DB8:0:0::5 \
	'^2001:db8::5: allowed by \[\[allow\]\] #4 "2001:db8::/32"'
pc 4 "IPv6 outside" 2001:db9::1 '^2001:db9::1: denied: no rule matched'

# ---- malformed names: exit 7, a message, the other names still checked
for bad in 'bad..quantumnexus.com' '-x.quantumnexus.com' 10.0.0.256 \
	'*.*.quantumnexus.com' 'w*w.quantumnexus.com' '::ffff:10.0.0.1' \
	"$(printf 'a%.0s' $(seq 64)).quantumnexus.com" ''; do
	expect 7 "malformed name '$bad'" \
		"$SPORK" policy check --policy "$P" -- "$bad"
	[ -s "$T/err" ] && [ ! -s "$T/out" ] &&
		ok "'$bad': error on stderr, nothing on stdout" ||
		not_ok "'$bad': error on stderr, nothing on stdout"
done
grep_out "the message says what is wrong" "empty name|not a valid" "$T/err"
expect 7 "malformed beats denied" "$SPORK" policy check --policy "$P" \
	www.quantumnexus.com example.org 'a..b'
[ "$(wc -l < "$T/out")" = 2 ] && ok "the good names are still decided" ||
	not_ok "the good names are still decided"
grep_out "the malformed name is named" '"a..b" is not a valid host name' "$T/err"

# ---- several names: exit 4 when any is denied
expect 4 "one denied among allowed names" "$SPORK" policy check --policy "$P" \
	quantumnexus.com www.quantumnexus.com db.internal.quantumnexus.com
[ "$(wc -l < "$T/out")" = 3 ] && ok "one line per name" || not_ok "one line per name"
expect 0 "all allowed" "$SPORK" policy check --policy "$P" \
	quantumnexus.com www.quantumnexus.com 10.0.0.1
expect 0 "-q: nothing printed" "$SPORK" policy check --policy "$P" -q \
	quantumnexus.com
[ ! -s "$T/out" ] && ok "-q prints nothing" || not_ok "-q prints nothing"
expect 4 "-q: still exit 4 when denied" "$SPORK" policy check --policy "$P" \
	-q example.org

# ---- the state directory's policy (where issuance reads it)
mkdir -p "$S"
cp "$P" "$S/domain-policy.toml"
expect 0 "the installed policy is used" "$SPORK" policy check www.quantumnexus.com
expect 4 "the installed policy denies" "$SPORK" policy check example.org
expect 0 "--state-dir names another state directory" \
	"$SPORK" policy check --state-dir "$S" quantumnexus.com
printf '[[allow]]\npattern = "*.other.example"\n' > "$T/other.toml"
expect 0 "--policy overrides the installed file" \
	"$SPORK" policy check --policy "$T/other.toml" a.other.example
grep_out "line of the --policy file" 'a.other.example: allowed by \[\[allow\]\] #1 "\*.other.example" \(line 2\)'
expect 4 "the overriding file is the only one consulted" \
	"$SPORK" policy check --policy "$T/other.toml" www.quantumnexus.com
printf '[[allow]]\npattern = "*.stdin.example"\n' |
	{ run "$SPORK" policy check --policy - a.stdin.example; echo "$rc" > "$T/rc"; }
[ "$(cat "$T/rc")" = 0 ] && ok "--policy - reads standard input" ||
	not_ok "--policy - reads standard input (exit $(cat "$T/rc"))"

# ---- a broken policy: file:line:column, exit 7
printf '[[allow]]\npatern = "*.example"\n' > "$T/bad.toml"
expect 7 "a policy with an unknown key" \
	"$SPORK" policy check --policy "$T/bad.toml" a.example
grep_out "file:line:column of the error" "^$T/bad.toml:2:1: error: unknown key \"patern\"" "$T/err"
printf '[[allow]]\npattern = "10.0.0.1/8"\n' > "$S/domain-policy.toml"
expect 7 "an installed policy with a bad range" "$SPORK" policy check 10.0.0.1
grep_out "names the installed file" "^$S/domain-policy.toml:2:11: error: .*10.0.0.0/8" "$T/err"
cp "$P" "$S/domain-policy.toml"

# ---- --json
expect 4 "--json" "$SPORK" policy check --policy "$P" --json \
	db.internal.quantumnexus.com WWW.quantumnexus.com 192.0.2.1 10.1.1.1
check "--json output is one JSON array" sh -c \
	"tr -d ' \n' < '$T/out' | grep -q '^\[{.*}\]\$'"
tr -d ' \n' < "$T/out" > "$T/json"
grep_out "denied by a rule: kind, pattern, rule, line, comment" \
	'\{"allowed":false,"comment":"nevercertified","error":null,"kind":"deny","line":8,"name":"db.internal.quantumnexus.com","normalized":"db.internal.quantumnexus.com","pattern":"\*.internal.quantumnexus.com","rule":1,"type":"dns"\}' "$T/json"
grep_out "allowed: the name as given and normalised" \
	'\{"allowed":true,"comment":null,"error":null,"kind":"allow","line":4,"name":"WWW.quantumnexus.com","normalized":"www.quantumnexus.com","pattern":"\*.quantumnexus.com","rule":1,"type":"dns"\}' "$T/json"
grep_out "denied by default: null rule" \
	'\{"allowed":false,"comment":null,"error":null,"kind":null,"line":null,"name":"192.0.2.1","normalized":"192.0.2.1","pattern":null,"rule":null,"type":"ip"\}' "$T/json"
grep_out "an IP allowed by a range" \
	'"kind":"allow","line":11,"name":"10.1.1.1","normalized":"10.1.1.1","pattern":"10.0.0.0/8","rule":3,"type":"ip"' "$T/json"
expect 0 "--json: a wildcard" "$SPORK" policy check --policy "$P" --json \
	'*.quantumnexus.com'
grep_out "type wildcard" '"type": "wildcard"'
expect 7 "--json with a malformed name" "$SPORK" policy check --policy "$P" \
	--json 'a..b' quantumnexus.com
tr -d '\n' < "$T/out" | sed 's/  */ /g' > "$T/json"
grep_out "the malformed name has an error and no rule" \
	'"allowed": false, "comment": null, "error": ".*a\.\.b.* is not a valid host name.*", "kind": null, "line": null, "name": "a..b", "normalized": null, "pattern": null, "rule": null, "type": null' "$T/json"
grep_out "the other name is still in the array" '"name": "quantumnexus.com"' "$T/json"

finish
