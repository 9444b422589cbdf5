#!/bin/sh
# CRL nextUpdate per CA (issue 8, item 8) and a CA on certificateHold
# (item 11): an offline CA's CRL lasts months by default, hierarchy.toml
# sets crl_next_update per CA, --next-update overrides both; a CA on
# hold still publishes CRLs and pki status shows it "on hold".
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
need openssl
S="$SPORK_STATE_DIR"
# issue ARGS...: cert issue with a generated key written to a new file
kn=0
issue() { kn=$((kn + 1)); "$SPORK" cert issue --key-out "$T/k$kn.key" "$@"; }
C="$S/ca"
D=86400
# days between thisUpdate and nextUpdate of the last crl generate --json
days() {
	python3 - "$T/out" <<'EOF'
import json, sys, datetime
o = json.load(open(sys.argv[1]))
f = lambda s: datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ")
print((f(o["next_update"]) - f(o["this_update"])).days)
EOF
}
need python3

cat > "$T/h.toml" <<'EOF'
[root]
common_name = "Offline Root CA"
key = "offline"
validity_years = 20

[[policy_cas]]
common_name = "Policy CA"
key = "offline"
validity_years = 10
crl_next_update = "30d"

[[policy_cas.issuing_cas]]
common_name = "Online CA"
key = "online"
validity_years = 5
delta_crl_next_update = "12h"
delta_crl_urls = ["http://pki.example/online-delta.crl"]

[[policy_cas.issuing_cas]]
common_name = "Short CA"
key = "online"
validity_years = 5
crl_next_update = "2d"
EOF
cat > "$T/bad.toml" <<'EOF'
[root]
common_name = "Bad Root CA"
crl_next_update = "soon"
delta_crl_next_update = 5
EOF
expect 7 "bad durations" "$SPORK" pki validate "$T/bad.toml"
grep_out "crl_next_update: not a duration" "crl_next_update.*not a duration" "$T/err"
grep_out "delta_crl_next_update: a string" "delta_crl_next_update must be a string" "$T/err"

expect 0 "build" "$SPORK" pki build "$T/h.toml" "$PASSOPT"

expect 0 "offline root: default" "$SPORK" crl generate --json --ca "Offline Root CA" "$PASSOPT"
[ "$(days)" = 182 ] && ok "offline root CRL lasts 26 weeks" || not_ok "offline root CRL: $(days) days"
expect 0 "policy CA: crl_next_update" "$SPORK" crl generate --json --ca "Policy CA" "$PASSOPT"
[ "$(days)" = 30 ] && ok "crl_next_update = 30d" || not_ok "policy CA CRL: $(days) days"
expect 0 "online CA: 7 days" "$SPORK" crl generate --json --ca "Online CA"
[ "$(days)" = 7 ] && ok "online default 7 days" || not_ok "online CRL: $(days) days"
expect 0 "short CA: crl_next_update" "$SPORK" crl generate --json --ca "Short CA"
[ "$(days)" = 2 ] && ok "crl_next_update = 2d" || not_ok "short CA CRL: $(days) days"
expect 0 "--next-update wins" "$SPORK" crl generate --json --ca "Policy CA" --next-update 3d "$PASSOPT"
[ "$(days)" = 3 ] && ok "--next-update 3d" || not_ok "--next-update: $(days) days"

# spork.toml's [crl] next_update: the default of online CAs only
cat > "$T/spork.toml" <<EOF
[crl]
next_update = "10d"
EOF
expect 0 "spork.toml: online CA" env SPORK_CONFIG="$T/spork.toml" "$SPORK" crl generate --json --ca "Online CA"
[ "$(days)" = 10 ] && ok "[crl] next_update for an online CA" || not_ok "online with spork.toml: $(days) days"
expect 0 "spork.toml: the per-CA value wins" env SPORK_CONFIG="$T/spork.toml" "$SPORK" crl generate --json --ca "Short CA"
[ "$(days)" = 2 ] && ok "crl_next_update over [crl] next_update" || not_ok "short with spork.toml: $(days) days"
expect 0 "spork.toml: not for an offline CA" env SPORK_CONFIG="$T/spork.toml" "$SPORK" crl generate --json --ca "Offline Root CA" "$PASSOPT"
[ "$(days)" = 182 ] && ok "offline root keeps its default" || not_ok "offline with spork.toml: $(days) days"
rm -f "$T/spork.toml"

# delta_crl_next_update
expect 0 "full CRL for the delta" "$SPORK" crl generate --ca "Online CA"
expect 0 "delta" "$SPORK" crl generate --json --ca "Online CA" --delta
python3 - "$T/out" <<'EOF' && ok "delta_crl_next_update = 12h" || not_ok "delta validity"
import json, sys, datetime
o = json.load(open(sys.argv[1]))
f = lambda s: datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ")
sys.exit(0 if (f(o["next_update"]) - f(o["this_update"])).total_seconds() == 43200 else 1)
EOF

# ---- the setting follows hierarchy.toml on the next build
sed -i 's/crl_next_update = "2d"/crl_next_update = "4d"/' "$T/h.toml"
expect 0 "rebuild after changing crl_next_update: no drift" "$SPORK" pki build "$T/h.toml" "$PASSOPT"
expect 0 "short CA: the new value" "$SPORK" crl generate --json --ca "Short CA"
[ "$(days)" = 4 ] && ok "changed crl_next_update applies" || not_ok "after change: $(days) days"

# ---- a CA on hold (item 11)
ISER=$(openssl x509 -in "$C/online-ca.pem" -noout -serial | cut -d= -f2)
expect 0 "put the online CA on hold" "$SPORK" cert revoke $PASSOPT --reason certificateHold "$ISER"
expect 0 "status" "$SPORK" pki status
grep_out "status shows on hold" "Online CA \[issuing\] on hold" "$T/out"
expect 0 "status --json" "$SPORK" pki status --json
grep_out "json status on-hold" '"status": "on-hold"' "$T/out"
expect 0 "a CA on hold still publishes its CRL" "$SPORK" crl generate --ca "Online CA"
check "its CRL verifies" openssl crl -in "$C/online-ca.crl" -inform DER -CAfile "$C/online-ca-chain.pem" -noout
expect 0 "--all covers it" "$SPORK" crl generate --all --force "$PASSOPT"
grep_out "--all: the CA on hold published" "^Online CA: full CRL #[0-9]+ published" "$T/out"
printf '[[allow]]\npattern = "*.example.com"\n' > "$S/domain-policy.toml"
expect 7 "but issues nothing" issue --ca "Online CA" --cn x.example.com
expect 0 "lift the hold" "$SPORK" cert unhold $PASSOPT "$ISER"
expect 0 "status after unhold" "$SPORK" pki status
grep_out "active again" "Online CA \[issuing\] active" "$T/out"
finish
