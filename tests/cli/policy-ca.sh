#!/bin/sh
# spork policy check tells the whole story (issue 8, item 3): after the
# domain policy, the profile and the nameConstraints of the CA chain
# that cert issue would use (--ca, or the CA it picks), each saying
# which one decides; policy check and cert issue agree.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
S="$SPORK_STATE_DIR"
# issue ARGS...: cert issue with a generated key written to a new file
kn=0
issue() { kn=$((kn + 1)); "$SPORK" cert issue --key-out "$T/k$kn.key" "$@"; }
ICA="SPORK TLS Web Server Issuing CA"

expect 0 "build 3-tier" "$SPORK" pki build "$HIER/3-tier.toml" "$PASSOPT"
# The policy allows more than the issuing CA's permitted_dns
# (example.internal, example.com) and permitted_ip (10/8, fd00::/8).
cat > "$S/domain-policy.toml" <<'EOF'
[[allow]]
pattern = "*.example.com"
[[allow]]
pattern = "*.other.org"
[[allow]]
pattern = "192.168.0.0/16"
EOF

# ---- a name the policy allows but the CA's constraints exclude
expect 4 "outside the CA's nameConstraints: denied" \
	"$SPORK" policy check www.other.org
grep_out "names the CA constraint that decides" \
	"^www.other.org: denied by the nameConstraints of CA '$ICA'" "$T/out"
grep_out "and the rule that allowed it" 'allowed by \[\[allow\]\] #2' "$T/out"
expect 7 "cert issue refuses it too" \
	issue --cn www.other.org --out "$T/o.pem"
grep_out "for the same reason" "outside the nameConstraints" "$T/err"
expect 4 "an address outside permitted_ip" "$SPORK" policy check 192.168.1.1
grep_out "address: CA constraint" "^192.168.1.1: denied by the nameConstraints of CA '$ICA'" "$T/out"

# ---- a name all three allow
expect 0 "inside policy, profile and constraints" \
	"$SPORK" policy check www.example.com
grep_out "says what it was checked against" \
	"^www.example.com: allowed by \[\[allow\]\] #1 .*; profile tls-server, CA '$ICA': allowed" "$T/out"
expect 0 "and cert issue agrees" \
	issue --cn www.example.com --out "$T/w.pem"

# ---- the profile decides
expect 4 "a wildcard in tls-client: the profile decides" \
	"$SPORK" policy check --profile tls-client '*.example.com'
grep_out "names the profile" "^\*.example.com: denied by the tls-client profile" "$T/out"
expect 2 "an unknown profile is a usage error" \
	"$SPORK" policy check --profile nope www.example.com
expect 2 "a CA profile is no end-entity profile" \
	"$SPORK" policy check --profile root-ca www.example.com

# ---- --ca, by any of its names
expect 0 "--ca by its slug" "$SPORK" policy check \
	--ca spork-tls-web-server-issuing-ca www.example.com
expect 3 "--ca that does not exist" "$SPORK" policy check --ca nope www.example.com
grep_out "lists the CAs" "no CA named 'nope'.*$ICA" "$T/err"
expect 7 "--ca that is no issuing CA" "$SPORK" policy check --ca "SPORK Root CA" www.example.com

# ---- a policy denial still decides first
expect 4 "denied by the policy" "$SPORK" policy check www.nope.net
grep_out "policy decides" "^www.nope.net: denied" "$T/out"

# ---- --json carries the CA and the profile
expect 4 "--json" "$SPORK" policy check --json www.other.org www.example.com
grep_out "json: decided_by ca" '"decided_by": "ca"' "$T/out"
grep_out "json: ca named" "\"ca\": \"$ICA\"" "$T/out"
grep_out "json: profile" '"profile": "tls-server"' "$T/out"

# ---- --policy FILE without a state directory: the policy alone, as before
SPORK_STATE_DIR="$T/empty" expect 0 "--policy without a state: policy only" \
	"$SPORK" policy check --policy "$S/domain-policy.toml" www.other.org
finish
