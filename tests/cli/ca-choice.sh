#!/bin/sh
# Choosing a CA (issue 8, items 4 and 12): --ca by name in any case or
# by file slug; an unknown or ambiguous CA lists the names; default_for
# in hierarchy.toml; spork pki rotate makes a successor that becomes
# the default while the old CA keeps publishing CRLs.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
need openssl
S="$SPORK_STATE_DIR"
# issue ARGS...: cert issue with a generated key written to a new file
kn=0
issue() { kn=$((kn + 1)); "$SPORK" cert issue --key-out "$T/k$kn.key" "$@"; }
C="$S/ca"
ICA="SPORK TLS Web Server Issuing CA"
ISL=spork-tls-web-server-issuing-ca

cat > "$T/h.toml" <<'EOF'
[root]
common_name = "Choice Root CA"
key = "offline"
validity_years = 20

[[issuing_cas]]
common_name = "Web CA"
key = "online"
validity_years = 5
default_for = ["tls-server"]

[[issuing_cas]]
common_name = "Client CA"
key = "online"
validity_years = 5
default_for = ["tls-client", "email"]
EOF
cat > "$T/bad.toml" <<'EOF'
[root]
common_name = "Bad Root CA"
key = "offline"
default_for = ["tls-server"]

[[issuing_cas]]
common_name = "A CA"
default_for = ["tls-server", "no-such-profile"]

[[issuing_cas]]
common_name = "B CA"
default_for = ["tls-server"]
EOF

# ---- default_for is validated
expect 7 "default_for problems" "$SPORK" pki validate "$T/bad.toml"
grep_out "only issuing CAs" "default_for.*(only|issuing)" "$T/err"
grep_out "a profile at most once" "tls-server.*(already|twice|once)" "$T/err"
grep_out "an unknown profile" "no-such-profile" "$T/err"
expect 0 "a valid file" "$SPORK" pki validate "$T/h.toml"

expect 0 "build" "$SPORK" pki build "$T/h.toml" "$PASSOPT"
cat > "$S/domain-policy.toml" <<'EOF'
[[allow]]
pattern = "*.example.com"
EOF

# ---- the default per profile
expect 0 "tls-server goes to its default" \
	issue --cn www.example.com --out "$T/w.pem"
check "issued by Web CA" sh -c "openssl x509 -in '$T/w.pem' -noout -issuer | grep -q 'Web CA'"
expect 0 "tls-client goes to its default" \
	issue --profile tls-client --cn c.example.com --out "$T/c.pem"
check "issued by Client CA" sh -c "openssl x509 -in '$T/c.pem' -noout -issuer | grep -q 'Client CA'"
expect 7 "code-signing has no default: ambiguous" \
	issue --profile code-signing --cn Signer --out "$T/s.pem"
grep_out "says give --ca NAME" "give --ca NAME" "$T/err"
grep_out "and lists the names" "'Web CA'.*'Client CA'|'Client CA'.*'Web CA'" "$T/err"

# ---- --ca by any case and by slug
expect 0 "--ca in another case" \
	issue --ca "web ca" --cn a.example.com --out "$T/a.pem"
expect 0 "--ca by slug" \
	issue --ca client-ca --profile tls-client --cn b.example.com --out "$T/b.pem"
check "slug chose Client CA" sh -c "openssl x509 -in '$T/b.pem' -noout -issuer | grep -q 'Client CA'"
expect 0 "crl generate --ca by slug" "$SPORK" crl generate --ca web-ca
expect 3 "no CA named X" issue --ca nope --cn n.example.com
grep_out "no CA named lists the names" "no CA named 'nope'.*Web CA.*Client CA" "$T/err"
expect 3 "crl generate: no CA named X lists them too" "$SPORK" crl generate --ca nope
grep_out "crl: lists the names" "no CA named 'nope'.*Web CA" "$T/err"

# ---- status shows the defaults
expect 0 "status" "$SPORK" pki status
grep_out "status: default for tls-server" "^    Web CA \[issuing\] active.*default for tls-server" "$T/out"

# ---- rotation
expect 2 "rotate needs --ca" "$SPORK" pki rotate
expect 7 "a root is not rotated" "$SPORK" pki rotate --ca "Choice Root CA" "$PASSOPT"
expect 0 "rotate Web CA" "$SPORK" pki rotate --ca "Web CA" "$PASSOPT"
grep_out "names the successor" "Web CA 2" "$T/out"
check "successor certificate written" test -s "$C/web-ca-2.pem"
check "successor chain written" test -s "$C/web-ca-2-chain.pem"
expect 0 "issue without --ca after rotation" \
	issue --cn new.example.com --out "$T/new.pem"
check "issued by the successor" sh -c "openssl x509 -in '$T/new.pem' -noout -issuer | grep -q 'Web CA 2'"
check "verifies against the successor chain" \
	openssl verify -CAfile "$C/choice-root-ca.pem" -untrusted "$C/web-ca-2.pem" "$T/new.pem"
SER=$(openssl x509 -in "$T/w.pem" -noout -serial | cut -d= -f2)
expect 0 "revoke under the old CA" "$SPORK" cert revoke --reason keyCompromise "$SER"
expect 0 "old CA still publishes a CRL" "$SPORK" crl generate --ca "Web CA"
expect 0 "the successor publishes its CRL" "$SPORK" crl generate --ca "Web CA 2"
check "old CRL verifies" openssl crl -in "$C/web-ca.crl" -inform DER -CAfile "$C/web-ca-chain.pem" -noout
check "new CRL verifies" openssl crl -in "$C/web-ca-2.crl" -inform DER -CAfile "$C/web-ca-2-chain.pem" -noout
check "the revocation is on the old CRL" sh -c \
	"openssl crl -in '$C/web-ca.crl' -inform DER -noout -text | grep -qi '$SER'"
check "the old cert fails crl_check" sh -c \
	"! openssl verify -crl_check -CAfile '$C/choice-root-ca.pem' -untrusted '$C/web-ca.pem' -CRLfile '$C/web-ca.crl.pem' '$T/w.pem'"
expect 0 "status after rotation" "$SPORK" pki status
grep_out "status: old CA retiring" "^    Web CA \[issuing\] active.*retiring.*Web CA 2" "$T/out"
grep_out "status: successor default" "^    Web CA 2 \[issuing\] active.*default for tls-server" "$T/out"
expect 0 "crl generate --all covers both" "$SPORK" crl generate --all --force "$PASSOPT"
grep_out "--all: old CA" "^Web CA: full CRL" "$T/out"
grep_out "--all: successor" "^Web CA 2: full CRL" "$T/out"
expect 6 "a CA is rotated once" "$SPORK" pki rotate --ca "Web CA" "$PASSOPT"

# ---- the next build does not undo it
expect 0 "build again" "$SPORK" pki build "$T/h.toml" "$PASSOPT"
expect 0 "preview is clean" "$SPORK" pki preview "$T/h.toml"
expect 0 "issue after the rebuild" \
	issue --cn again.example.com --out "$T/again.pem"
check "still the successor" sh -c "openssl x509 -in '$T/again.pem' -noout -issuer | grep -q 'Web CA 2'"

# ---- --name
expect 0 "rotate with --name" "$SPORK" pki rotate --ca "Client CA" --name "Client CA 2026" "$PASSOPT"
check "named successor" test -s "$C/client-ca-2026.pem"
finish
