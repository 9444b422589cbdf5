#!/bin/sh
# CRL shards (crl_shards in hierarchy.toml): certificates name their
# shard's CRL by serial, each shard CRL carries only its shard's
# revocations under a critical IssuingDistributionPoint, the whole CRL
# still covers everything; checked with openssl verify -crl_check and
# certtool.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
need certtool openssl sqlite3
C="$SPORK_STATE_DIR/ca"
DB="$SPORK_STATE_DIR/spork.db"
U=http://pki.example.internal/crl

# ---- validation: each problem with its line
hier() {  # hier FILE ISSUING-EXTRA: a 2-tier hierarchy, extra keys last
	printf '[root]\ncommon_name = "Shard Root CA"\nkey = "offline"\n' > "$1"
	printf 'crl_urls = ["%s/root.crl"]\ncrl_shards = 2\n\n' "$U" >> "$1"
	printf '[[issuing_cas]]\ncommon_name = "Shard Issuing CA"\n' >> "$1"
	printf 'name = "issuing"\nkey = "online"\n%b' "$2" >> "$1"
}
hier "$T/h1.toml" 'crl_urls = ["'$U'/issuing.crl"]\ncrl_shards = 1\n'
expect 7 "crl_shards = 1 refused" "$SPORK" pki validate "$T/h1.toml"
grep_out "out of range, with file:line" "h1.toml:12:[0-9]+: .*crl_shards = 1 is out of range; write 2 to 256" "$T/err"
hier "$T/h2.toml" 'crl_urls = ["'$U'/issuing.crl"]\ncrl_shards = 257\n'
expect 7 "crl_shards = 257 refused" "$SPORK" pki validate "$T/h2.toml"
hier "$T/h3.toml" 'crl_shards = "4"\ncrl_urls = ["'$U'/issuing.crl"]\n'
expect 7 "crl_shards as a string refused" "$SPORK" pki validate "$T/h3.toml"
grep_out "must be an integer" "h3.toml:11:[0-9]+: .*crl_shards must be an integer" "$T/err"
hier "$T/h4.toml" 'crl_shards = 4\n'
expect 7 "crl_shards without crl_urls refused" "$SPORK" pki validate "$T/h4.toml"
grep_out "needs crl_urls" "h4.toml:11:[0-9]+: .*crl_shards needs crl_urls" "$T/err"
hier "$T/h5.toml" 'crl_urls = ["'$U'/issuing.crl"]\ndelta_crl_urls = ["'$U'/issuing-delta.crl"]\ncrl_shards = 4\n'
expect 7 "crl_shards with delta_crl_urls refused" "$SPORK" pki validate "$T/h5.toml"
grep_out "no deltas of shards, at the delta_crl_urls line" "h5.toml:12:[0-9]+: .*delta_crl_urls and crl_shards do not go together" "$T/err"
hier "$T/h6.toml" 'crl_urls = ["ldap://ldap.example.internal/cn=ca"]\ncrl_shards = 4\n'
expect 7 "crl_shards with a URL not ending in .crl refused" "$SPORK" pki validate "$T/h6.toml"
grep_out "says what a shardable URL is" "cannot name CRL shards; .*ending in \".crl\"" "$T/err"
printf '[root]\ncommon_name = "R"\ncrl_urls = ["%s/x.crl"]\ncrl_shards = 2\n\n[[issuing_cas]]\ncommon_name = "R-2"\n' "$U" > "$T/h7.toml"
expect 7 "a CA named like another's shard file refused" "$SPORK" pki validate "$T/h7.toml"
grep_out "shard file collision" "would share files under ca/ \(a CRL shard's\)" "$T/err"

# ---- build; issue until two shards hold two certificates each
hier "$T/h.toml" 'crl_urls = ["'$U'/issuing.crl"]\ncrl_shards = 4\n'
expect 0 "validate" "$SPORK" pki validate "$T/h.toml"
expect 0 "build" "$SPORK" pki build "$T/h.toml" "$PASSOPT"
printf '[[allow]]\npattern = "*.example.internal"\n' > "$SPORK_STATE_DIR/domain-policy.toml"
cdp() { openssl x509 -in "$1" -noout -ext crlDistributionPoints | sed -n 's/^ *URI://p'; }
cdp "$C/issuing.pem" > "$T/ca-cdp"
grep_out "a CA certificate names its issuer's whole CRL, not a shard" "^$U/root.crl$" "$T/ca-cdp"
serial() { openssl x509 -in "$1" -noout -serial | cut -d= -f2; }
i=0 bad=0
while [ $i -lt 40 ]; do
	i=$((i + 1))
	"$SPORK" cert issue -q --cn "c$i.example.internal" --san "dns:c$i.example.internal" \
		--key-out "$T/c$i.key" --out "$T/c$i.pem" || { bad=1; break; }
	u=$(cdp "$T/c$i.pem") s=$(serial "$T/c$i.pem")
	# shard = serial mod 4 + 1: the last octet decides, 256 being a multiple of 4
	want=$(( $(printf '%d' "0x$(printf '%s' "$s" | tail -c 2)") % 4 + 1 ))
	[ "$u" = "$U/issuing-$want.crl" ] || { bad=2; echo "# c$i: serial $s, CDP $u, want shard $want"; break; }
	echo "$want c$i" >> "$T/shards"
	# stop when two shards have two certificates each
	[ "$(sort -n "$T/shards" | cut -d' ' -f1 | uniq -c | awk '$1 >= 2' | wc -l)" -ge 2 ] && break
done
[ $bad = 0 ] && ok "$i certificates, each naming shard (serial mod 4) + 1" || not_ok "certificates and shards ($bad)"
X=$(sort -n "$T/shards" | cut -d' ' -f1 | uniq -c | awk '$1 >= 2 {print $2}' | head -n 1)
Y=$(sort -n "$T/shards" | cut -d' ' -f1 | uniq -c | awk '$1 >= 2 {print $2}' | sed -n 2p)
XR=$(awk -v s="$X" '$1 == s {print $2}' "$T/shards" | sed -n 1p)
XG=$(awk -v s="$X" '$1 == s {print $2}' "$T/shards" | sed -n 2p)
YR=$(awk -v s="$Y" '$1 == s {print $2}' "$T/shards" | sed -n 1p)
YG=$(awk -v s="$Y" '$1 == s {print $2}' "$T/shards" | sed -n 2p)
echo "# shard $X: revoked $XR, good $XG; shard $Y: revoked $YR, good $YG"
expect 0 "revoke $XR (shard $X)" "$SPORK" cert revoke "$(serial "$T/$XR.pem")" --reason keyCompromise
expect 0 "revoke $YR (shard $Y)" "$SPORK" cert revoke "$(serial "$T/$YR.pem")" --reason superseded

# ---- generate: the whole CRL, then each shard's, one number sequence
expect 0 "generate the CA's CRLs" "$SPORK" crl generate --ca issuing
grep_out "the whole CRL first, with both revocations" "^Full CRL #1 of 'issuing': 2 entries" "$T/out"
grep_out "shard $X: one entry" "^Shard $X CRL #$((X + 1)): 1 entry" "$T/out"
grep_out "shard $Y: one entry" "^Shard $Y CRL #$((Y + 1)): 1 entry" "$T/out"
grep_out "shard 4 last, CRL #5" "^Shard 4 CRL #5: " "$T/out"
grep_out "published at the shard URL" "published   $U/issuing-$X.crl" "$T/out"
for k in 1 2 3 4; do
	[ -f "$C/issuing-$k.crl" ] && [ -f "$C/issuing-$k.crl.pem" ] &&
		ok "shard $k's files" || not_ok "shard $k's files"
done
openssl crl -in "$C/issuing-$X.crl" -inform DER -noout -text > "$T/x.txt"
grep_out "shard CRL: critical IDP" "Issuing Distribution Point: critical" "$T/x.txt"
grep_out "IDP names exactly the shard's URL" "^ *URI:$U/issuing-$X.crl$" "$T/x.txt"
[ "$(grep -c 'URI:' "$T/x.txt")" = 1 ] && ok "one URI in the IDP" || not_ok "one URI in the IDP"
grep_out "shard $X lists $XR" "Serial Number: $(serial "$T/$XR.pem")" "$T/x.txt"
grep -q "Serial Number: $(serial "$T/$YR.pem")" "$T/x.txt" &&
	not_ok "shard $X lists shard $Y's $YR" || ok "shard $X does not list shard $Y's $YR"
openssl crl -in "$C/issuing.crl" -inform DER -noout -text > "$T/whole.txt"
grep -q "Issuing Distribution Point" "$T/whole.txt" &&
	not_ok "the whole CRL carries an IDP" || ok "the whole CRL has no IDP"
[ "$(grep -c 'Serial Number:' "$T/whole.txt")" = 2 ] &&
	ok "the whole CRL lists every revocation" || not_ok "the whole CRL lists every revocation"
check "certtool --verify-crl, shard $X" certtool --verify-crl \
	--load-ca-certificate "$C/issuing.pem" --infile "$C/issuing-$X.crl.pem"
check "certtool --crl-info, shard $Y" certtool --crl-info --infile "$C/issuing-$Y.crl.pem"
[ "$(sqlite3 "$DB" 'select group_concat(shard) from crls order by crl_number')" = "0,1,2,3,4" ] &&
	ok "the store records each CRL's shard" || not_ok "the store records each CRL's shard"

# ---- openssl verify with a shard's CRL
V="openssl verify -x509_strict -crl_check -CAfile $C/shard-root-ca.pem -untrusted $C/issuing.pem"
expect 0 "shard $X's CRL: good $XG accepted" $V -CRLfile "$C/issuing-$X.crl.pem" "$T/$XG.pem"
expect 2 "shard $X's CRL: revoked $XR rejected" $V -CRLfile "$C/issuing-$X.crl.pem" "$T/$XR.pem"
grep_out "error 23, certificate revoked" "error 23 at 0 depth lookup: certificate revoked" "$T/err"
expect 2 "shard $X's CRL does not vouch for shard $Y's good $YG" $V -CRLfile "$C/issuing-$X.crl.pem" "$T/$YG.pem"
grep_out "error 44: different CRL scope (IDP mismatch)" "error 44 at 0 depth lookup: different CRL scope" "$T/err"
expect 2 "nor for shard $Y's revoked $YR" $V -CRLfile "$C/issuing-$X.crl.pem" "$T/$YR.pem"
grep_out "error 44 again, not 'OK'" "error 44 at 0 depth lookup: different CRL scope" "$T/err"
expect 0 "shard $Y's CRL: good $YG accepted" $V -CRLfile "$C/issuing-$Y.crl.pem" "$T/$YG.pem"
expect 2 "shard $Y's CRL: revoked $YR rejected" $V -CRLfile "$C/issuing-$Y.crl.pem" "$T/$YR.pem"
expect 2 "the whole CRL covers shard $X's revoked $XR" $V -CRLfile "$C/issuing.crl.pem" "$T/$XR.pem"
grep_out "revoked by the whole CRL" "error 23 at 0 depth lookup: certificate revoked" "$T/err"
expect 0 "the whole CRL accepts good $YG" $V -CRLfile "$C/issuing.crl.pem" "$T/$YG.pem"
# the root is sharded too: the issuing CA's certificate names the root's
# whole CRL, which covers it under -crl_check_all
expect 0 "root CRLs" "$SPORK" crl generate --ca "Shard Root CA" "$PASSOPT"
grep_out "root: two shard CRLs besides the whole one" "^Shard 2 CRL #3: 0 entries" "$T/out"
cat "$C/shard-root-ca.crl.pem" "$C/issuing-$X.crl.pem" > "$T/chain-crls.pem"
expect 0 "-crl_check_all: the root's whole CRL covers the CA certificate" \
	openssl verify -x509_strict -crl_check_all -CAfile "$C/shard-root-ca.pem" \
	-untrusted "$C/issuing.pem" -CRLfile "$T/chain-crls.pem" "$T/$XG.pem"
cat "$C/shard-root-ca-1.crl.pem" "$C/shard-root-ca-2.crl.pem" "$C/issuing-$X.crl.pem" > "$T/chain-crls.pem"
expect 2 "-crl_check_all with only the root's shard CRLs: no CRL in scope for the CA certificate" \
	openssl verify -x509_strict -crl_check_all -CAfile "$C/shard-root-ca.pem" \
	-untrusted "$C/issuing.pem" -CRLfile "$T/chain-crls.pem" "$T/$XG.pem"
grep_out "error 3 (unable to get CRL) or 44" "error (3|44) at 1 depth lookup" "$T/err"

# ---- certtool --verify with a shard's CRL.  GnuTLS does not check a
# CRL's scope: a certificate of another shard is not on the list and
# passes; relying parties fetch the CRL the certificate names.
cat "$C/issuing.pem" "$C/shard-root-ca.pem" > "$T/cas.pem"
certtool --verify --load-ca-certificate "$T/cas.pem" --load-crl "$C/issuing-$X.crl.pem" \
	--infile "$T/$XR.pem" > "$T/out" 2>&1
grep_out "certtool: revoked $XR rejected with shard $X's CRL" "NOT trusted.*revoked" "$T/out"
certtool --verify --load-ca-certificate "$T/cas.pem" --load-crl "$C/issuing-$X.crl.pem" \
	--infile "$T/$XG.pem" > "$T/out" 2>&1
grep_out "certtool: good $XG accepted" "Chain verification output: Verified" "$T/out"
certtool --verify --load-ca-certificate "$T/cas.pem" --load-crl "$C/issuing-$X.crl.pem" \
	--infile "$T/$YR.pem" > "$T/out" 2>&1
grep_out "certtool ignores IDP scope: shard $Y's revoked $YR passes with shard $X's CRL (known)" \
	"Chain verification output: Verified" "$T/out"
certtool --verify --load-ca-certificate "$T/cas.pem" --load-crl "$C/issuing-$Y.crl.pem" \
	--infile "$T/$YR.pem" > "$T/out" 2>&1
grep_out "certtool: with its own shard's CRL $YR is rejected" "NOT trusted.*revoked" "$T/out"

# ---- JSON, --delta, crl generate --all
expect 0 "generate --json" "$SPORK" crl generate --ca issuing --json
tr -d '\n\t ' < "$T/out" > "$T/j"
grep_out "json: shards array, shard 1 first" '"shards":\[\{"crl_number":[0-9]+,"der":"[^"]+issuing-1.crl","entries":[0-9],"idp_url":"'$U'/issuing-1.crl"' "$T/j"
grep_out "json: whole CRL has no idp_url" '"idp_url":null' "$T/j"
t0=$(date -u +%s)
expect 0 "--all, 6 days on: every CRL of the CA due" env SPORK_NOW="$(date -u -d "@$((t0 + 6 * 86400))" +%Y-%m-%dT%H:%M:%SZ)" "$SPORK" crl generate --all "$PASSOPT"
grep_out "--all: the whole CRL" "^issuing: full CRL #[0-9]+ published \(nextUpdate near\)" "$T/out"
for k in 1 2 3 4; do
	grep_out "--all: shard $k" "^issuing: shard $k CRL #[0-9]+ published \(nextUpdate near\), [0-9]+ entr" "$T/out"
done
# the root's key is offline: its CRLs (whole and shards) last 26 weeks
# (hierarchy.toml(5), crl_next_update), so 6 days on they are fresh
grep_out "--all: the root's shards are fresh (an offline CA's CRLs last 26 weeks)" \
	"^Shard Root CA: shard 2 CRL #[0-9]+ is fresh" "$T/out"
expect 0 "--all again: fresh" env SPORK_NOW="$(date -u -d "@$((t0 + 6 * 86400))" +%Y-%m-%dT%H:%M:%SZ)" "$SPORK" crl generate --all
grep_out "--all: shard fresh" "^issuing: shard 3 CRL #[0-9]+ is fresh" "$T/out"
expect 0 "audit verify: the shard CRLs' rows" "$SPORK" audit verify
finish
