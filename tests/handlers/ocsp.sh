#!/bin/sh
# spork-ocsp and spork-serve started as systemd starts them
# (systemd-socket-activate --accept, fd 3; and --inetd, fd 0/1) on a
# 3-tier CA, asked by real clients: openssl ocsp (good, revoked with its
# reason, unknown, nonce), ocsptool --ask, curl for GET-encoded requests;
# every response verified against the issuing CA.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
. "$top_srcdir/tests/handlers/lib-handler.sh"
need openssl

ISS="SPORK TLS Web Server Issuing CA"
three_tier_ca
expect 0 "revoke one (keyCompromise)" "$SPORK" cert revoke --reason keyCompromise "$RSERIAL"
ISSUER="$CADIR/spork-tls-web-server-issuing-ca.pem"
ROOT="$CADIR/spork-root-ca.pem"

start_handler spork-ocsp accept --state-dir "$SPORK_STATE_DIR" || finish
URL="http://127.0.0.1:$PORT/"

# ---- openssl ocsp (POST, with a nonce)
ask() {  # ask NAME [extra openssl args]: status lines in $T/out
	_n=$1; shift
	run openssl ocsp -url "$URL" -issuer "$ISSUER" -cert "$T/$_n.pem" \
		-CAfile "$ROOT" -verify_other "$CADIR/spork-tls-web-server-issuing-ca-chain.pem" "$@"
}
ask good
grep_out "openssl ocsp: good" "good.pem: good"
grep_out "openssl ocsp: the response verifies" "Response verify OK" "$T/err"
if grep -q "WARNING: no nonce" "$T/out" "$T/err"; then not_ok "nonce echoed"; else ok "nonce echoed"; fi
grep_out "nextUpdate an hour on" "Next Update"
ask revoked
grep_out "openssl ocsp: revoked" "revoked.pem: revoked"
grep_out "openssl ocsp: its reason" "Reason: keyCompromise"
ask good -no_nonce
grep_out "openssl ocsp without a nonce: good" "good.pem: good"
# a serial the CA never issued
run openssl ocsp -url "$URL" -issuer "$ISSUER" -serial 0x0123456789abcdef \
	-CAfile "$ROOT" -verify_other "$CADIR/spork-tls-web-server-issuing-ca-chain.pem"
grep_out "openssl ocsp: a serial never issued is unknown" "0x0123456789[aA][bB][cC][dD][eE][fF]: unknown"
# an issuer the store does not hold
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout "$T/other.key" -subj "/CN=Other CA" -days 2 -out "$T/other.pem" 2>/dev/null
run openssl ocsp -url "$URL" -issuer "$T/other.pem" -serial 0x01 -noverify
grep_out "an issuer spork does not hold: unauthorized" "unauthorized"

# ---- ocsptool (GnuTLS)
if command -v ocsptool >/dev/null 2>&1; then
	run ocsptool --ask="$URL" --load-issuer "$ISSUER" --load-cert "$T/good.pem" \
		--load-signer "$ISSUER"
	grep_out "ocsptool --ask: good" "Certificate Status: good"
	grep_out "ocsptool verifies the signature" "Verifying OCSP Response: Success"
	run ocsptool --ask="$URL" --load-issuer "$ISSUER" --load-cert "$T/revoked.pem" \
		--load-signer "$ISSUER"
	grep_out "ocsptool --ask: revoked" "Certificate Status: revoked"
else
	ok "# SKIP ocsptool not installed"
fi

# ---- GET (RFC 6960 A.1): base64 in the path, percent-encoded or not
openssl ocsp -issuer "$ISSUER" -cert "$T/revoked.pem" -no_nonce -reqout "$T/req.der" >/dev/null 2>&1
B64=$(openssl base64 -A < "$T/req.der")
ENC=$(printf '%s' "$B64" | sed 's/+/%2B/g; s|/|%2F|g; s/=/%3D/g')
for form in "$ENC" "$B64"; do
	run curl -sS -D "$T/hdr" -o "$T/resp.der" "${URL}$form"
	run openssl ocsp -respin "$T/resp.der" -issuer "$ISSUER" -cert "$T/revoked.pem" \
		-CAfile "$ROOT" -verify_other "$CADIR/spork-tls-web-server-issuing-ca-chain.pem"
	grep_out "GET ($(printf '%s' "$form" | cut -c1-12)...): revoked, verified" "revoked.pem: revoked"
done
grep_out "GET answer: application/ocsp-response" "^Content-Type: application/ocsp-response" "$T/hdr"
grep_out "GET answer: cacheable until nextUpdate (RFC 5019)" "^Cache-Control: max-age=3600, public, no-transform, must-revalidate" "$T/hdr"
grep_out "GET answer: Expires" "^Expires: " "$T/hdr"
grep_out "GET answer: Last-Modified" "^Last-Modified: " "$T/hdr"
run curl -sS -o "$T/junk" -w '%{http_code}' "${URL}bm90LW9jc3A="
run openssl ocsp -respin "$T/junk" -noverify
grep_out "GET of garbage: malformedRequest" "malformedrequest"
run curl -sS -o /dev/null -w '%{http_code}' "${URL}%%%"
grep_out "GET of a path that is not base64: 400" "^400$"
run curl -sS -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: text/plain' --data-binary @"$T/req.der" "$URL"
grep_out "POST of another type: 415" "^415$"
run curl -sS -o /dev/null -w '%{http_code}' -X DELETE "$URL"
grep_out "DELETE: 405" "^405$"

# ---- the request log: one line per request, no request bytes
grep_out "one log line per request with a priority" '^<6>127\.0\.0\.1 POST / 200 [0-9]+ [0-9]+ms ocsp good$' "$HLOG"
grep_out "the revoked answer is logged as such" '^<6>127\.0\.0\.1 POST / 200 [0-9]+ [0-9]+ms ocsp revoked$' "$HLOG"
if grep -q "$(printf '%s' "$B64" | cut -c70-110)" "$HLOG"; then
	not_ok "a GET request's base64 is not logged whole"
else
	ok "a GET request's base64 is not logged whole"
fi
stop_handlers

# ---- inetd mode (fd 0/1)
start_handler spork-ocsp inetd --state-dir "$SPORK_STATE_DIR" || finish
URL="http://127.0.0.1:$PORT/"
ask good
grep_out "inetd mode: openssl ocsp good" "good.pem: good"
stop_handlers

# ---- an online handler never unseals an offline key: the root signs no
# OCSP answers here (its key is offline), and says internalError
start_handler spork-ocsp accept --state-dir "$SPORK_STATE_DIR" || finish
URL="http://127.0.0.1:$PORT/"
run openssl ocsp -url "$URL" -issuer "$ROOT" -cert "$CADIR/spork-tls-policy-ca.pem" -noverify
grep_out "the root's offline key: internalError" "internalerror"
grep_out "the reason goes to the log" "^<4>spork-ocsp: .*offline" "$HLOG"
stop_handlers

# ---- an issuing CA on certificateHold still answers for its certificates
ISERIAL=$(openssl x509 -in "$ISSUER" -noout -serial | cut -d= -f2)
expect 0 "the issuing CA put on hold (by its parent)" \
	"$SPORK" cert revoke $PASSOPT --reason certificateHold "$ISERIAL"
start_handler spork-ocsp accept --state-dir "$SPORK_STATE_DIR" || finish
URL="http://127.0.0.1:$PORT/"
ask good -noverify
grep_out "a CA on hold still answers: good" "good.pem: good"
ask revoked -noverify
grep_out "... and revoked" "revoked.pem: revoked"
stop_handlers

# ---- not started by systemd or inetd
run "$top_builddir/handlers/spork-ocsp" --state-dir "$SPORK_STATE_DIR" </dev/null
[ "$rc" = 2 ] && ok "without a socket: exit 2" || not_ok "without a socket: exit 2 (got $rc)"
grep_out "without a socket: says how to start it" "systemd-socket-activate --accept" "$T/err"
run "$top_builddir/handlers/spork-ocsp" --bogus
[ "$rc" = 2 ] && ok "an unknown argument: exit 2" || not_ok "an unknown argument: exit 2 (got $rc)"
finish
