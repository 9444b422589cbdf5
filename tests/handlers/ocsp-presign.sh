#!/bin/sh
# spork ocsp: a delegated signer lets the root (offline key) answer OCSP,
# checked with openssl ocsp (with and without -VAfile) and ocsptool;
# pre-signed responses are served as stored (same bytes, an ETag,
# conditional GETs, caching bounded by nextUpdate), a nonce still gets a
# fresh answer and a revocation after pre-signing is not masked; an
# export is served by a plain static web server and verifies.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
. "$top_srcdir/tests/handlers/lib-handler.sh"
need openssl

ROOTCA="SPORK Root CA"
ISS="SPORK TLS Web Server Issuing CA"
CADIR="$SPORK_STATE_DIR/ca"
ROOT="$CADIR/spork-root-ca.pem"
POLICY="$CADIR/spork-tls-policy-ca.pem"
ISSUER="$CADIR/spork-tls-web-server-issuing-ca.pem"
CHAIN="$CADIR/spork-tls-web-server-issuing-ca-chain.pem"
run "$SPORK" pki build $PASSOPT "$HIER/3-tier.toml"
[ "$rc" = 0 ] || { not_ok "pki build"; cat "$T/err"; finish; }
printf '[[allow]]\npattern = "*.example.internal"\n' > "$SPORK_STATE_DIR/domain-policy.toml"
for n in good revoked later; do
	"$SPORK" cert issue -q --profile tls-server --cn $n.example.internal \
		--key-type ecdsa-p256 --key-out "$T/$n.key" --out "$T/$n.pem" ||
		not_ok "issue $n"
done
serial_of() { openssl x509 -in "$1" -noout -serial | cut -d= -f2; }
expect 0 "revoke one (keyCompromise)" "$SPORK" cert revoke --reason keyCompromise "$(serial_of "$T/revoked.pem")"

# ---- a delegated signer for the root, whose key is offline
expect 2 "signer issue without --ca: usage" "$SPORK" ocsp signer issue
expect 0 "signer issue for the root (its passphrase unseals the root key)" \
	"$SPORK" ocsp signer issue --ca "$ROOTCA" $PASSOPT
grep_out "the signer's subject" "subject +CN=OCSP Signer for SPORK Root CA"
SSERIAL=$(sed -n 's/^issued the OCSP signer \([0-9A-F]*\) .*/\1/p' "$T/out")
"$SPORK" cert export -q "$SSERIAL" --out "$T/signer.pem" || not_ok "export the signer"
run openssl x509 -in "$T/signer.pem" -noout -text -issuer
grep_out "the signer is certified by the root itself" "^issuer=.*CN ?= ?SPORK Root CA$"
grep_out "the signer: id-kp-OCSPSigning" "OCSP Signing"
grep_out "the signer: id-pkix-ocsp-nocheck" "OCSP No Check"
NB=$(date -d "$(openssl x509 -in "$T/signer.pem" -noout -startdate | cut -d= -f2)" +%s)
NA=$(date -d "$(openssl x509 -in "$T/signer.pem" -noout -enddate | cut -d= -f2)" +%s)
[ $((NA - NB)) -le $((90 * 86400)) ] && ok "the signer lives at most 90 days (the profile's)" ||
	not_ok "the signer lives at most 90 days (got $(((NA - NB) / 86400)))"
run "$SPORK" ocsp status --ca "$ROOTCA"
grep_out "status: the root's signer" "signer +CN=OCSP Signer for SPORK Root CA"
grep_out "status: the root's own key is offline" "own key offline"
expect 0 "signer renew: not due yet" "$SPORK" ocsp signer renew --ca "$ROOTCA" $PASSOPT
grep_out "signer renew says nothing to do" "nothing to do"
expect 3 "signer renew of a CA without one: not found" "$SPORK" ocsp signer renew --ca "$ISS"

start_handler spork-ocsp accept --state-dir "$SPORK_STATE_DIR" || finish
URL="http://127.0.0.1:$PORT/"
run openssl ocsp -url "$URL" -issuer "$ROOT" -cert "$POLICY" -CAfile "$ROOT" -resp_text
grep_out "the root answers through its signer: good" "spork-tls-policy-ca.pem: good"
grep_out "openssl verifies it up to the root (no -VAfile)" "Response verify OK" "$T/err"
KEYID=$(openssl x509 -in "$T/signer.pem" -noout -ocspid | sed -n 's/^Public key OCSP hash: *//p')
grep_out "responderID is byKey of the signer's key" "Responder Id: $KEYID"
grep_out "the signer's certificate is in the response" "Subject: CN ?= ?OCSP Signer for SPORK Root CA"
run openssl ocsp -url "$URL" -issuer "$ROOT" -cert "$POLICY" -VAfile "$T/signer.pem"
grep_out "openssl ocsp -VAfile signer.pem: good" "spork-tls-policy-ca.pem: good"
grep_out "openssl ocsp -VAfile signer.pem verifies" "Response verify OK" "$T/err"
grep_out "the log says a delegate signed" "ocsp good/delegated$" "$HLOG"
if command -v ocsptool >/dev/null 2>&1; then
	run ocsptool --ask="$URL" --load-issuer "$ROOT" --load-cert "$POLICY" \
		--load-trust "$ROOT"
	grep_out "ocsptool: good through the signer" "Certificate Status: good"
	grep_out "ocsptool verifies it against the root" "Verifying OCSP Response: Success"
	grep_out "ocsptool sees the signer's key id" "Responder Key ID: $(printf '%s' "$KEYID" | tr 'A-F' 'a-f')"
else
	ok "# SKIP ocsptool not installed"
fi
stop_handlers

# ---- pre-signed responses (the issuing CA: no signer, its online key)
expect 0 "presign the issuing CA's certificates" "$SPORK" ocsp presign --ca "$ISS" --validity 2h
grep_out "presign: 3 responses, 1 of them revoked" "pre-signed 3 responses .*\(2 good, 1 revoked\) with its own key"
run "$SPORK" ocsp status --ca "$ISS"
grep_out "status counts them" "pre-signed +3$"
grep_out "status: the earliest nextUpdate" "earliest next +[0-9]{4}-"
run "$SPORK" ocsp status --json
grep_out "status --json: each CA" '"presigned": 3'

start_handler spork-ocsp accept --state-dir "$SPORK_STATE_DIR" || finish
URL="http://127.0.0.1:$PORT/"
get() {  # get NAME FILE [curl args]: GET the minimal request for NAME
	openssl ocsp -issuer "$ISSUER" -cert "$T/$1.pem" -no_nonce -reqout "$T/$1.req" >/dev/null 2>&1
	_b=$(openssl base64 -A < "$T/$1.req" | sed 's/+/%2B/g; s|/|%2F|g; s/=/%3D/g')
	_f=$2; shift 2
	run curl -sS -D "$T/hdr" -o "$_f" -w '%{http_code}' "$@" "${URL}$_b"
}
verify_resp() {  # verify_resp FILE NAME: openssl checks FILE about NAME
	run openssl ocsp -respin "$1" -issuer "$ISSUER" -cert "$T/$2.pem" \
		-CAfile "$ROOT" -verify_other "$CHAIN"
}
get good "$T/g1.der"
verify_resp "$T/g1.der" good
grep_out "GET of a pre-signed response: good, verified" "good.pem: good"
grep_out "the log says it was pre-signed" "GET /[^ ]+ 200 [0-9]+ [0-9]+ms ocsp good/presigned$" "$HLOG"
cp "$T/hdr" "$T/hdr1"
get good "$T/g2.der"
cmp -s "$T/g1.der" "$T/g2.der" && ok "the same bytes twice (not signed again)" ||
	not_ok "the same bytes twice (not signed again)"
grep_out "a pre-signed answer has an ETag" '^ETag: "[0-9a-f]+"' "$T/hdr"
ETAG=$(sed -n 's/^ETag: \(.*\)\r$/\1/p' "$T/hdr")
[ -n "$ETAG" ] && [ "$ETAG" = "$(sed -n 's/^ETag: \(.*\)\r$/\1/p' "$T/hdr1")" ] &&
	ok "the ETag is stable" || not_ok "the ETag is stable ($ETAG)"
AGE=$(sed -n 's/^Cache-Control: max-age=\([0-9]*\),.*/\1/p' "$T/hdr")
[ -n "$AGE" ] && [ "$AGE" -le 7200 ] && [ "$AGE" -gt 7000 ] &&
	ok "max-age is bounded by nextUpdate (2h)" || not_ok "max-age is bounded by nextUpdate (got '$AGE')"
grep_out "Expires is there" "^Expires: " "$T/hdr"
grep_out "Last-Modified is thisUpdate" "^Last-Modified: " "$T/hdr"
get good "$T/g3.der" -H "If-None-Match: $ETAG"
grep_out "a conditional GET with the ETag: 304" "^304$"
LM=$(sed -n 's/^Last-Modified: \(.*\)\r$/\1/p' "$T/hdr1")
get good "$T/g3.der" -H "If-Modified-Since: $LM"
grep_out "a conditional GET with If-Modified-Since: 304" "^304$"

# a nonce always gets a fresh answer, signed now
run openssl ocsp -url "$URL" -issuer "$ISSUER" -cert "$T/good.pem" -CAfile "$ROOT" -verify_other "$CHAIN"
grep_out "POST with a nonce: good" "good.pem: good"
if grep -q "WARNING: no nonce" "$T/out" "$T/err"; then not_ok "POST with a nonce: it is echoed"; else ok "POST with a nonce: it is echoed"; fi
grep_out "the nonce answer is signed now (not pre-signed)" "POST / 200 [0-9]+ [0-9]+ms ocsp good$" "$HLOG"

# a revocation after pre-signing is not masked
get later "$T/l1.der"
verify_resp "$T/l1.der" later
grep_out "before the revocation: good (pre-signed)" "later.pem: good"
expect 0 "revoke a certificate after pre-signing" "$SPORK" cert revoke --reason superseded "$(serial_of "$T/later.pem")"
get later "$T/l2.der"
verify_resp "$T/l2.der" later
grep_out "after the revocation: revoked, not the stale good" "later.pem: revoked"
grep_out "... with its reason" "Reason: superseded"
if tail -n 1 "$HLOG" | grep -q presigned; then
	not_ok "the stale pre-signed response is not served"
else
	ok "the stale pre-signed response is not served"
fi
get revoked "$T/r1.der"
verify_resp "$T/r1.der" revoked
grep_out "a certificate revoked before pre-signing: revoked (pre-signed)" "revoked.pem: revoked"
stop_handlers

# ---- export, served by a plain static web server
expect 0 "presign --export" "$SPORK" ocsp presign --ca "$ISS" --export "$T/export"
grep_out "presign --export says how many files" "exported +3 files"
openssl ocsp -issuer "$ISSUER" -cert "$T/good.pem" -no_nonce -reqout "$T/good.req" >/dev/null 2>&1
B64=$(openssl base64 -A < "$T/good.req")
[ -f "$T/export/$(printf '%s' "$B64" | tr -s /)" ] &&
	ok "the file is at the base64 of openssl's -no_nonce request" ||
	not_ok "the file is at the base64 of openssl's -no_nonce request"
if command -v python3 >/dev/null 2>&1; then
	SPORT=$((20000 + $(od -An -N2 -tu2 /dev/urandom) % 30000))
	python3 -m http.server "$SPORT" --bind 127.0.0.1 --directory "$T/export" \
		>"$T/http.log" 2>&1 &
	HPIDS="$HPIDS $!"
	for _w in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
		curl -s -o /dev/null "http://127.0.0.1:$SPORT/" && break
		sleep 0.2
	done
	URL="http://127.0.0.1:$SPORT/"
	for n in good revoked later; do
		get $n "$T/s-$n.der"
		grep_out "static server GET $n: 200" "^200$"
		verify_resp "$T/s-$n.der" $n
		[ $n = good ] && want=good || want=revoked
		grep_out "static server: $n is $want, and it verifies" "$n.pem: $want"
		grep_out "static server: $n verifies" "Response verify OK" "$T/err"
	done
	stop_handlers
else
	ok "# SKIP python3 not installed (no static web server)"
fi
finish
