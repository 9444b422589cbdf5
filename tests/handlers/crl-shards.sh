#!/bin/sh
# spork-serve and CRL shards: each shard's CRL at /crl/<slug>-<n>.crl and
# at the path of its URL (crl_urls with -<n> before .crl), the whole CRL
# where it was; a shard the CA does not have is not found.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
. "$top_srcdir/tests/handlers/lib-handler.sh"
need openssl

C="$SPORK_STATE_DIR/ca"
U=http://pki.example.internal/crl
cat > "$T/h.toml" <<EOT
[root]
common_name = "Shard Root CA"
key = "offline"
crl_urls = ["$U/root.crl"]

[[issuing_cas]]
common_name = "Shard Issuing CA"
name = "issuing"
key = "online"
crl_urls = ["http://pki.example.internal/pub/tls.crl"]
crl_shards = 3
EOT
run "$SPORK" pki build $PASSOPT "$T/h.toml"
[ "$rc" = 0 ] || { not_ok "pki build"; cat "$T/err"; finish; }
"$SPORK" crl generate -q --ca issuing || not_ok "issuing CRLs"

start_handler spork-serve accept --state-dir "$SPORK_STATE_DIR" || finish
B="http://127.0.0.1:$PORT"
get() {  # get PATH: body in $T/body, headers in $T/hdr, code in $T/out
	rm -f "$T/body"
	run curl -sS -D "$T/hdr" -o "$T/body" -w '%{http_code}' "$B$1"
}
for k in 1 2 3; do
	get "/crl/issuing-$k.crl"
	grep_out "/crl/issuing-$k.crl: 200" "^200$"
	cmp -s "$T/body" "$C/issuing-$k.crl" && ok "/crl/issuing-$k.crl: shard $k" ||
		not_ok "/crl/issuing-$k.crl: shard $k"
	get "/pub/tls-$k.crl"
	grep_out "/pub/tls-$k.crl (the shard URL's path): 200" "^200$"
	grep_out "shard $k: application/pkix-crl" "^Content-Type: application/pkix-crl" "$T/hdr"
	cmp -s "$T/body" "$C/issuing-$k.crl" && ok "shard $k: the CRL generated" ||
		not_ok "shard $k: the CRL generated"
	openssl crl -inform der -in "$T/body" -noout -text > "$T/crl.txt" 2>&1
	grep_out "shard $k served with its IDP" "URI:http://pki.example.internal/pub/tls-$k.crl" "$T/crl.txt"
done
get /pub/tls.crl
grep_out "the whole CRL at its crl_urls path" "^200$"
cmp -s "$T/body" "$C/issuing.crl" && ok "the whole CRL" || not_ok "the whole CRL"
get /crl/issuing-4.crl
grep_out "no shard 4: 404" "^404$"
get /crl/issuing-0.crl
grep_out "no shard 0: 404" "^404$"
get /pub/tls-4.crl
grep_out "no shard 4 at the URL path either: 404" "^404$"
get /crl/root-1.crl
grep_out "an unsharded CA has no shard paths" "^404$"
finish
