#!/bin/sh
# TLS in the handlers: spork tls issue makes the handlers' certificate
# (key sealed under online.kek, never in the clear), spork-serve --tls
# serves it under systemd-socket-activate; curl, openssl s_client and
# gnutls-cli connect with TLS 1.3 and 1.2 and ALPN http/1.1, a second
# connection (a new process) resumes the session, TLS 1.1 and plain HTTP
# are refused; spork tls renew replaces it when due.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
. "$top_srcdir/tests/handlers/lib-handler.sh"
need openssl gnutls-cli

CADIR="$SPORK_STATE_DIR/ca"
ROOT="$CADIR/spork-root-ca.pem"
run "$SPORK" pki build $PASSOPT "$HIER/3-tier.toml"
[ "$rc" = 0 ] || { not_ok "pki build"; cat "$T/err"; finish; }
printf '[[allow]]\npattern = "*.example.internal"\n[[allow]]\npattern = "127.0.0.0/8"\n' \
	> "$SPORK_STATE_DIR/domain-policy.toml"

expect 3 "status before any certificate: not found" "$SPORK" tls status
expect 2 "issue without names: usage" "$SPORK" tls issue
nkeys=$(ls "$SPORK_STATE_DIR/lockbox/online" | wc -l)
expect 7 "a name outside the CA's name constraints is refused" \
	"$SPORK" tls issue --name dns:pki.example.internal,ip:127.0.0.1
[ "$(ls "$SPORK_STATE_DIR/lockbox/online" | wc -l)" = "$nkeys" ] &&
	ok "the refused issue leaves no key behind" || not_ok "the refused issue leaves no key behind"
expect 0 "spork tls issue" "$SPORK" tls issue --name dns:pki.example.internal
grep_out "it says where it wrote" "tls/server.pem"
S="$SPORK_STATE_DIR/tls/server.pem"
grep -q "PRIVATE KEY" "$S" && not_ok "server.pem holds no private key" || ok "server.pem holds no private key"
grep_out "server.pem names its sealed online key" "^# key lockbox:[0-9a-f]{64};kek=online$" "$S"
[ "$(stat -c %a "$SPORK_STATE_DIR/tls/ticket.key")" = 400 ] &&
	ok "ticket.key is sealed and 0400" || not_ok "ticket.key mode"
head -c 8 "$SPORK_STATE_DIR/tls/ticket.key" | grep -q SPORKLB1 &&
	ok "ticket.key is a lockbox file" || not_ok "ticket.key is a lockbox file"
openssl x509 -in "$S" -noout -ext subjectAltName,extendedKeyUsage > "$T/x" 2>&1
grep_out "its SAN" "DNS:pki.example.internal" "$T/x"
grep_out "a TLS server certificate" "TLS Web Server Authentication" "$T/x"
awk '/BEGIN CERT/,/END CERT/' "$S" > "$T/chain.pem"
run openssl verify -CAfile "$ROOT" -untrusted "$T/chain.pem" "$T/chain.pem"
[ "$rc" = 0 ] && ok "the certificate verifies to the root" || not_ok "the certificate verifies to the root"
expect 0 "spork tls status" "$SPORK" tls status --json
grep_out "status names the names" '"names": "dns:pki.example.internal"'

start_handler spork-serve accept --tls --state-dir "$SPORK_STATE_DIR" || finish
H=pki.example.internal
run curl -sS --resolve "$H:$PORT:127.0.0.1" --cacert "$ROOT" -o "$T/crt" \
	-w '%{http_code} %{http_version}' "https://$H:$PORT/ca/tls-issuing.crt"
grep_out "curl over TLS, verified: 200" "^200 1.1$"
run openssl s_client -connect "127.0.0.1:$PORT" -servername "$H" -CAfile "$ROOT" \
	-verify_hostname "$H" -alpn http/1.1 </dev/null
grep_out "openssl s_client: verified" "Verify return code: 0 \(ok\)"
grep_out "openssl s_client: ALPN http/1.1" "ALPN protocol: http/1.1"
grep_out "openssl s_client: TLS 1.3" "New, TLSv1.3, Cipher is"
for v in 1.3 1.2; do
	run gnutls-cli --resume --priority "NORMAL:-VERS-ALL:+VERS-TLS$v" \
		--x509cafile "$ROOT" --verify-hostname "$H" -p "$PORT" 127.0.0.1 </dev/null
	grep_out "gnutls-cli TLS $v: handshake" "Description: \(TLS$v-X.509\)"
	grep_out "gnutls-cli TLS $v: the second connection (a new process) resumes" \
		"This is a resumed session"
done
run gnutls-cli --priority "NORMAL:-VERS-ALL:+VERS-TLS1.1" --x509cafile "$ROOT" \
	-p "$PORT" 127.0.0.1 </dev/null
[ "$rc" != 0 ] && ok "TLS 1.1 is refused" || not_ok "TLS 1.1 is refused"
raw 'GET /health HTTP/1.1\r\nHost: x\r\n\r\n'
grep -q "^HTTP/1" "$T/raw" && not_ok "plain HTTP on the TLS port gets no HTTP answer" ||
	ok "plain HTTP on the TLS port gets no HTTP answer"
grep_out "a failed handshake is one log line" '^<6>127\.0\.0\.1 - - 0 0 [0-9]+ms tls ' "$HLOG"
grep_out "requests over TLS are logged" '^<6>127\.0\.0\.1 GET /ca/tls-issuing.crt 200 ' "$HLOG"
# OCSP over HTTPS
openssl ocsp -issuer "$CADIR/spork-tls-web-server-issuing-ca.pem" -cert "$T/chain.pem" \
	-no_nonce -reqout "$T/req.der" >/dev/null 2>&1
run curl -sS --resolve "$H:$PORT:127.0.0.1" --cacert "$ROOT" -o "$T/resp.der" \
	-H 'Content-Type: application/ocsp-request' --data-binary @"$T/req.der" \
	-w '%{http_code}' "https://$H:$PORT/ocsp"
run openssl ocsp -respin "$T/resp.der" -issuer "$CADIR/spork-tls-web-server-issuing-ca.pem" \
	-cert "$T/chain.pem" -CAfile "$ROOT" -verify_other "$CADIR/spork-tls-web-server-issuing-ca-chain.pem"
grep_out "OCSP over HTTPS: the handlers' own certificate is good" "chain.pem: good"
stop_handlers

# ---- renewal
SERIAL1=$(openssl x509 -in "$S" -noout -serial)
expect 0 "renew when not due: nothing to do" "$SPORK" tls renew
grep_out "... and says so" "nothing to do"
[ "$(openssl x509 -in "$S" -noout -serial)" = "$SERIAL1" ] && ok "not due: unchanged" ||
	not_ok "not due: unchanged"
TK="$SPORK_STATE_DIR/tls/ticket.key"
cp "$TK" "$T/ticket.old"
touch -d '8 days ago' "$TK"
expect 0 "renew when not due rotates a week-old ticket key" "$SPORK" tls renew
cmp -s "$TK" "$T/ticket.old" && not_ok "the ticket key was replaced" || ok "the ticket key was replaced"
cp "$TK" "$T/ticket.new"
expect 0 "a second run leaves a fresh ticket key alone" "$SPORK" tls renew
cmp -s "$TK" "$T/ticket.new" && ok "... unchanged" || not_ok "... unchanged"
expect 0 "renew --within 400d renews" "$SPORK" tls renew --within 400d
[ "$(openssl x509 -in "$S" -noout -serial)" != "$SERIAL1" ] && ok "renewed: a new certificate" ||
	not_ok "renewed: a new certificate"
grep_out "renewed with the same names" "^# names dns:pki.example.internal$" "$S"
start_handler spork-serve accept --tls --state-dir "$SPORK_STATE_DIR" || finish
run curl -sS --resolve "$H:$PORT:127.0.0.1" --cacert "$ROOT" -o /dev/null \
	-w '%{http_code}' "https://$H:$PORT/health"
grep_out "the handler serves the renewed certificate" "^(200|503)$"
stop_handlers
# a tampered sealed key: the handler refuses, the client gets nothing
KEYID=$(sed -n 's/^# key lockbox:\([0-9a-f]*\);kek=online$/\1/p' "$S")
KF="$SPORK_STATE_DIR/lockbox/online/$KEYID.key"
chmod 600 "$KF"; printf 'x' | dd of="$KF" bs=1 seek=100 conv=notrunc 2>/dev/null
start_handler spork-serve accept --tls --state-dir "$SPORK_STATE_DIR" || finish
run curl -sS --resolve "$H:$PORT:127.0.0.1" --cacert "$ROOT" "https://$H:$PORT/health"
[ "$rc" != 0 ] && ok "a tampered TLS key: no TLS" || not_ok "a tampered TLS key: no TLS"
sleep 0.2
grep_out "... and the reason is logged" '^<3>spork-serve: .*(tamper|swapped|authenticat|decrypt)' "$HLOG"
finish
