#!/bin/sh
# TLS client certificates in the handlers (spork.toml [tls]
# client_certificates, client_ca): "request" lets a client without a
# certificate in and verifies the one a client sends (its subject is in
# the request's log line, "cert=..."), refusing a certificate of another
# CA, a revoked one and one not meant for TLS clients; "require" fails
# the handshake without one; client_ca as a PEM file.  curl and
# gnutls-cli against spork-serve --tls.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
. "$top_srcdir/tests/handlers/lib-handler.sh"
need openssl gnutls-cli

CADIR="$SPORK_STATE_DIR/ca"
ROOT="$CADIR/spork-root-ca.pem"
ISS="SPORK TLS Web Server Issuing CA"
run "$SPORK" pki build $PASSOPT "$HIER/3-tier.toml"
[ "$rc" = 0 ] || { not_ok "pki build"; cat "$T/err"; finish; }
printf '[[allow]]\npattern = "*.example.internal"\n' > "$SPORK_STATE_DIR/domain-policy.toml"
expect 0 "spork tls issue" "$SPORK" tls issue --name dns:pki.example.internal
for n in alice revoked; do
	expect 0 "a tls-client certificate for $n" "$SPORK" cert issue -q --profile tls-client \
		--cn $n.example.internal --key-type ecdsa-p256 --key-out "$T/$n.key" --out "$T/$n.pem"
done
expect 0 "a tls-server certificate" "$SPORK" cert issue -q --profile tls-server \
	--cn server.example.internal --key-type ecdsa-p256 --key-out "$T/server.key" --out "$T/server.pem"
"$SPORK" cert revoke -q --reason keyCompromise \
	"$(openssl x509 -in "$T/revoked.pem" -noout -serial | cut -d= -f2)" || not_ok "revoke"
# another CA, with a client certificate of the same name as alice's
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/fca.key" \
	-subj "/CN=Foreign CA" -days 30 -out "$T/fca.pem" \
	-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign 2>/dev/null
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/foreign.key" \
	-subj "/CN=alice.example.internal" -out "$T/foreign.csr" 2>/dev/null
printf 'extendedKeyUsage=clientAuth\n' > "$T/ext"
openssl x509 -req -in "$T/foreign.csr" -CA "$T/fca.pem" -CAkey "$T/fca.key" -days 5 \
	-extfile "$T/ext" -out "$T/foreign.pem" 2>/dev/null || not_ok "foreign certificate"

C="$SPORK_STATE_DIR/spork.toml"
H=pki.example.internal
# get NAME [CERT]: curl GET /health/NAME over TLS, with CERT's key pair
get() {
	_n=$1 _c=${2:-}
	if [ -n "$_c" ]; then
		run curl -sS --resolve "$H:$PORT:127.0.0.1" --cacert "$ROOT" -o /dev/null \
			--cert "$T/$_c.pem" --key "$T/$_c.key" -w '%{http_code}' "https://$H:$PORT/health/$_n"
	else
		run curl -sS --resolve "$H:$PORT:127.0.0.1" --cacert "$ROOT" -o /dev/null \
			-w '%{http_code}' "https://$H:$PORT/health/$_n"
	fi
	sleep 0.1
}

printf '[tls]\nclient_certificates = "request"\nclient_ca = "%s"\n' "$ISS" > "$C"
start_handler spork-serve accept --tls --state-dir "$SPORK_STATE_DIR" || finish
get nocert
grep_out "request, no certificate: served" '^(200|503|404)$'
grep_out "... logged without a certificate" '^<6>127\.0\.0\.1 GET /health/nocert [0-9]+ [^ ]+ [^ ]+ [^ ]+ [^ ]+$' "$HLOG"
get alice alice
grep_out "request, a certificate of the CA: served" '^(200|503|404)$'
grep_out "... its verified subject is in the log line" \
	'^<6>127\.0\.0\.1 GET /health/alice .* cert=CN=alice\.example\.internal' "$HLOG"
get foreign foreign
[ "$rc" != 0 ] && ok "a certificate of another CA is refused" ||
	not_ok "a certificate of another CA is refused ($(cat "$T/out"))"
grep -q 'GET /health/foreign' "$HLOG" && not_ok "... and nothing is served" || ok "... and nothing is served"
get revoked revoked
[ "$rc" != 0 ] && ok "a revoked certificate of the CA is refused" ||
	not_ok "a revoked certificate is refused"
get server server
[ "$rc" != 0 ] && ok "a certificate not meant for TLS clients is refused" ||
	not_ok "a tls-server certificate is refused"
grep_out "refused handshakes are logged" '^<6>127\.0\.0\.1 - - 0 0 [0-9]+ms tls ' "$HLOG"
run gnutls-cli --x509cafile "$ROOT" --verify-hostname "$H" -p "$PORT" \
	--x509certfile "$T/alice.pem" --x509keyfile "$T/alice.key" 127.0.0.1 </dev/null
grep_out "gnutls-cli with a certificate: handshake" "Handshake was completed"
run gnutls-cli --x509cafile "$ROOT" --verify-hostname "$H" -p "$PORT" 127.0.0.1 </dev/null
grep_out "gnutls-cli without one: handshake" "Handshake was completed"
stop_handlers

printf '[tls]\nclient_certificates = "require"\nclient_ca = "%s"\n' "$ISS" > "$C"
start_handler spork-serve accept --tls --state-dir "$SPORK_STATE_DIR" || finish
get req-nocert
[ "$rc" != 0 ] && ok "require, no certificate: refused" || not_ok "require, no certificate: refused"
run gnutls-cli --x509cafile "$ROOT" --verify-hostname "$H" -p "$PORT" 127.0.0.1 </dev/null
# under TLS 1.3 the client may finish its side before the server's alert
# arrives (and exit 0 on an empty stdin): the server's log says it
sleep 0.2
[ "$(grep -c '^<6>127\.0\.0\.1 - - 0 0 [0-9]*ms tls ' "$HLOG")" -ge 2 ] &&
	ok "... gnutls-cli too (the handshake is refused)" || not_ok "... gnutls-cli too"
get req-alice alice
grep_out "require, a certificate of the CA: served" '^(200|503|404)$'
grep_out "... with its subject logged" '^<6>127\.0\.0\.1 GET /health/req-alice .* cert=CN=alice' "$HLOG"
get req-foreign foreign
[ "$rc" != 0 ] && ok "require, another CA: refused" || not_ok "require, another CA: refused"
stop_handlers

# client_ca as a PEM file: the foreign CA's certificates are the ones accepted
printf '[tls]\nclient_certificates = "request"\nclient_ca = "%s"\n' "$T/fca.pem" > "$C"
start_handler spork-serve accept --tls --state-dir "$SPORK_STATE_DIR" || finish
get file-foreign foreign
grep_out "client_ca file: its certificate is accepted" '^(200|503|404)$'
grep_out "... and logged" 'GET /health/file-foreign .* cert=CN=alice\.example\.internal' "$HLOG"
get file-alice alice
[ "$rc" != 0 ] && ok "client_ca file: spork's own is refused" || not_ok "client_ca file: spork's own is refused"
stop_handlers

# a client_ca that names no CA stops the handler with a reason
printf '[tls]\nclient_certificates = "request"\nclient_ca = "No Such CA"\n' > "$C"
start_handler spork-serve accept --tls --state-dir "$SPORK_STATE_DIR" || finish
get noca
[ "$rc" != 0 ] && ok "an unknown client_ca: no TLS" || not_ok "an unknown client_ca: no TLS"
sleep 0.1
grep_out "... and the reason is logged" "^<3>spork-serve: client_ca: no CA named 'No Such CA'" "$HLOG"
finish
