#!/bin/sh
# spork-serve, every module on one port: CRLs and CA certificates at
# /crl/ and /ca/ and at the paths their URLs name (curl, conditional
# GETs), /health, OCSP under /ocsp; and hostile HTTP against the real
# handler (oversized or malformed requests, pipelining, a client that
# leaves mid-body), each with its status and a clean exit.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
. "$top_srcdir/tests/handlers/lib-handler.sh"
need openssl

ISS="SPORK TLS Web Server Issuing CA"
three_tier_ca
"$SPORK" cert revoke -q --reason superseded "$RSERIAL" || not_ok "revoke"

start_handler spork-serve accept --state-dir "$SPORK_STATE_DIR" || finish
B="http://127.0.0.1:$PORT"
get() {  # get PATH [curl args]: body in $T/body, headers in $T/hdr, code in $T/out
	_p=$1; shift
	rm -f "$T/body"
	run curl -sS -D "$T/hdr" -o "$T/body" -w '%{http_code}' "$@" "$B$_p"
}

# ---- /health before any CRL: not healthy
get /health
grep_out "/health without CRLs: 503" "^503$"
grep_out "/health says why (no CRL)" '"crl": null' "$T/body"

"$SPORK" crl generate -q $PASSOPT --ca "SPORK Root CA" || not_ok "root CRL"
"$SPORK" crl generate -q $PASSOPT --ca "SPORK TLS Policy CA" || not_ok "policy CRL"
"$SPORK" crl generate -q --ca "$ISS" || not_ok "issuing CRL"
"$SPORK" crl generate -q --delta --ca "$ISS" || not_ok "issuing delta CRL"

get /health
grep_out "/health with fresh CRLs: 200" "^200$"
grep_out "/health: JSON" "^Content-Type: application/json" "$T/hdr"
grep_out "/health: the online key unseals" '"key_unseals": true' "$T/body"
grep_out "/health: status ok" '"status": "ok"' "$T/body"
grep_out "/health: the store is intact" '"intact": true' "$T/body"

# ---- CRLs: at /crl/<slug>.crl and at the path of crl_urls
get /crl/spork-tls-web-server-issuing-ca.crl
grep_out "/crl/<slug>.crl: 200" "^200$"
grep_out "CRL type application/pkix-crl" "^Content-Type: application/pkix-crl" "$T/hdr"
cmp -s "$T/body" "$CADIR/spork-tls-web-server-issuing-ca.crl" &&
	ok "the CRL served is the one generated" || not_ok "the CRL served is the one generated"
for p in /crl/root.crl /crl/tls-policy.crl /crl/tls-issuing.crl; do
	get "$p"
	grep_out "$p (the crl_urls path): 200" "^200$"
	cp "$T/body" "$T/$(basename "$p")"
done
get /crl/tls-issuing-delta.crl
grep_out "the delta CRL at its delta_crl_urls path" "^200$"
openssl crl -inform der -in "$T/body" -noout -text > "$T/delta.txt" 2>&1
grep_out "it is a delta CRL" "Delta CRL Indicator" "$T/delta.txt"
get /ca/tls-issuing.crt
grep_out "/ca/ at the ca_issuers_urls path: 200" "^200$"
grep_out "CA type application/pkix-cert" "^Content-Type: application/pkix-cert" "$T/hdr"
openssl x509 -inform der -in "$T/body" -out "$T/issuing-dl.pem" 2>/dev/null
cmp -s "$T/issuing-dl.pem" "$CADIR/spork-tls-web-server-issuing-ca.pem" &&
	ok "the CA certificate served is the CA's" || not_ok "the CA certificate served is the CA's"
get /ca/spork-root-ca.crt
grep_out "/ca/<slug>.crt: 200" "^200$"
cp "$T/body" "$T/root.der"

# Everything downloaded verifies: the leaf chain with all three CRLs.
openssl x509 -inform der -in "$T/root.der" -out "$T/root.pem"
for c in root tls-policy tls-issuing; do openssl crl -inform der -in "$T/$c.crl"; done > "$T/crls.pem"
run openssl verify -crl_check_all -CAfile "$T/root.pem" \
	-untrusted "$CADIR/spork-tls-web-server-issuing-ca-chain.pem" -CRLfile "$T/crls.pem" "$T/good.pem"
[ "$rc" = 0 ] && ok "downloaded root + CRLs: the good leaf verifies (-crl_check_all)" ||
	{ not_ok "downloaded root + CRLs: the good leaf verifies"; sed 's/^/#   /' "$T/err" "$T/out"; }
run openssl verify -crl_check_all -CAfile "$T/root.pem" \
	-untrusted "$CADIR/spork-tls-web-server-issuing-ca-chain.pem" -CRLfile "$T/crls.pem" "$T/revoked.pem"
cat "$T/err" >> "$T/out"
grep_out "downloaded CRL: the revoked leaf is rejected" "certificate revoked"

# ---- conditional GET and HEAD
get /crl/tls-issuing.crl
ETAG=$(sed -n 's/^ETag: \(.*\)\r$/\1/p' "$T/hdr")
LM=$(sed -n 's/^Last-Modified: \(.*\)\r$/\1/p' "$T/hdr")
grep_out "CRL: an ETag" '^ETag: "[0-9a-f]{32}"' "$T/hdr"
grep_out "CRL: Expires (its nextUpdate)" "^Expires: " "$T/hdr"
get /crl/tls-issuing.crl -H "If-None-Match: $ETAG"
grep_out "If-None-Match: 304" "^304$"
[ -s "$T/body" ] && not_ok "304 has no body" || ok "304 has no body"
get /crl/tls-issuing.crl -H "If-Modified-Since: $LM"
grep_out "If-Modified-Since: 304" "^304$"
get /crl/tls-issuing.crl -H 'If-None-Match: "0000"'
grep_out "another ETag: 200" "^200$"
get /crl/tls-issuing.crl -H "If-Modified-Since: Thu, 01 Jan 1970 00:00:00 GMT"
grep_out "an older date: 200" "^200$"
raw 'HEAD /ca/tls-issuing.crt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'
[ "$(status_of)" = 200 ] && ok "HEAD: 200" || not_ok "HEAD: 200 ($(status_of))"
grep_out "HEAD: the GET's Content-Length" "^Content-Length: [1-9][0-9]*" "$T/raw"
[ "$(tail -c 4 "$T/raw" | od -An -c | tr -d ' ')" = '\r\n\r\n' ] && ok "HEAD: no body" ||
	not_ok "HEAD: no body"
get /crl/tls-issuing.crl -X POST -d x
grep_out "POST on a CRL: 405" "^405$"
grep_out "405 says what is allowed" "^Allow: GET, HEAD" "$T/hdr"
get /crl/nothing.crl
grep_out "an unknown CRL: 404" "^404$"
get /etc/passwd
grep_out "an unknown path: 404" "^404$"

# ---- OCSP under /ocsp
run openssl ocsp -url "$B/ocsp" -issuer "$CADIR/spork-tls-web-server-issuing-ca.pem" \
	-cert "$T/revoked.pem" -CAfile "$T/root.pem" \
	-verify_other "$CADIR/spork-tls-web-server-issuing-ca-chain.pem"
grep_out "/ocsp on the single port: revoked" "revoked.pem: revoked"
grep_out "with its reason" "Reason: superseded"

# ---- /metrics: Prometheus text from metrics.db and the store
sleep 0.3    # the last connection's counts are written as it ends
get /metrics
grep_out "/metrics: 200" "^200$"
grep_out "/metrics: Prometheus text format" "^Content-Type: text/plain; version=0.0.4" "$T/hdr"
grep_out "/metrics: requests by handler, module and status" \
	'^spork_http_requests_total\{handler="spork-serve",module="crl",status="200"\} [0-9]+$' "$T/body"
grep_out "/metrics: OCSP answers by status" \
	'^spork_ocsp_responses_total\{handler="spork-serve",status="revoked"\} [1-9]' "$T/body"
grep_out "/metrics: a duration histogram" \
	'^spork_http_request_duration_seconds_bucket\{handler="spork-serve",le="\+Inf"\} [1-9]' "$T/body"
grep_out "/metrics: certificates issued by CA and source" \
	'^spork_certificates_issued\{ca="SPORK TLS Web Server Issuing CA",source="cli"\} 2$' "$T/body"
grep_out "/metrics: revoked by CA" \
	'^spork_certificates_revoked\{ca="SPORK TLS Web Server Issuing CA"\} 1$' "$T/body"
grep_out "/metrics: CRL age per CA" '^spork_crl_age_seconds\{ca="SPORK Root CA"\} [0-9]+$' "$T/body"
n1=$(sed -n 's/^spork_connections_total{handler="spork-serve"} //p' "$T/body")
get /health
sleep 0.3
get /metrics
n2=$(sed -n 's/^spork_connections_total{handler="spork-serve"} //p' "$T/body")
[ "$n2" -gt "$n1" ] 2>/dev/null && ok "connections are counted across processes ($n1 -> $n2)" ||
	not_ok "connections are counted across processes ($n1 -> $n2)"
if command -v promtool >/dev/null 2>&1; then
	run promtool check metrics < "$T/body"
	[ "$rc" = 0 ] && ok "promtool check metrics accepts it" ||
		{ not_ok "promtool check metrics accepts it"; sed 's/^/#   /' "$T/out" "$T/err"; }
else
	ok "# SKIP promtool not installed"
fi

# ---- keep-alive: several requests on one connection (one process)
run curl -sS -o /dev/null -o /dev/null -o /dev/null -w '%{http_code} %{num_connects}\n' \
	"$B/health" "$B/crl/root.crl" "$B/ca/tls-issuing.crt"
[ "$(awk '{s += $2} END {print s}' "$T/out")" = 1 ] &&
	ok "keep-alive: three requests, one connection" ||
	{ not_ok "keep-alive: three requests, one connection"; cat "$T/out"; }

# ---- hostile HTTP against the real handler
raw 'GET /health HTTP/1.1\r\nHost: x\r\n\r\nGET /crl/root.crl HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'
[ "$(grep -ao 'HTTP/1.1 200 OK' "$T/raw" | wc -l)" = 2 ] && ok "pipelined: two responses" ||
	not_ok "pipelined: two responses"
raw 'GET /health HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /health HTTP/1.0\r\n\r\n'
[ "$(grep -c '^HTTP/1.1 200' "$T/raw")" = 2 ] && ok "HTTP/1.0 keep-alive: two answers on one connection" ||
	not_ok "HTTP/1.0 keep-alive: two answers on one connection"
grep_out "... the first says it keeps the connection (a 1.0 client waits otherwise)" \
	"^Connection: keep-alive" "$T/raw"
raw 'this is not http\r\n\r\n'
[ "$(status_of)" = 400 ] && ok "garbage: 400" || not_ok "garbage: 400 ($(status_of))"
raw 'GET / HTTP/2.0\r\nHost: x\r\n\r\n'
[ "$(status_of)" = 505 ] && ok "HTTP/2.0 on HTTP/1: 505" || not_ok "HTTP/2.0: 505 ($(status_of))"
raw 'BREW /pot HTTP/1.1\r\nHost: x\r\n\r\n'
[ "$(status_of)" = 501 ] && ok "unknown method: 501" || not_ok "unknown method: 501 ($(status_of))"
raw "GET /$(head -c 9000 /dev/zero | tr '\0' a) HTTP/1.1\r\nHost: x\r\n\r\n"
[ "$(status_of)" = 414 ] && ok "a 9000-byte target: 414" || not_ok "long target: 414 ($(status_of))"
raw "GET / HTTP/1.1\r\nHost: x\r\nX-Big: $(head -c 17000 /dev/zero | tr '\0' a)\r\n\r\n"
[ "$(status_of)" = 431 ] && ok "a 17 kB header: 431" || not_ok "big header: 431 ($(status_of))"
raw 'POST /ocsp HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n'
[ "$(status_of)" = 411 ] && ok "a chunked body: 411" || not_ok "chunked: 411 ($(status_of))"
raw 'POST /ocsp HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999\r\n\r\n'
[ "$(status_of)" = 413 ] && ok "a 100 MB body announced: 413" || not_ok "big body: 413 ($(status_of))"
raw 'GET /health HTTP/1.1\r\n\r\n'
[ "$(status_of)" = 400 ] && ok "HTTP/1.1 without Host: 400" || not_ok "no Host: 400 ($(status_of))"
grep -q '^Connection: close' "$T/raw" && ok "an error closes the connection" ||
	not_ok "an error closes the connection"
# 100-continue: the interim response, then the answer
openssl ocsp -issuer "$CADIR/spork-tls-web-server-issuing-ca.pem" -cert "$T/good.pem" \
	-reqout "$T/req.der" >/dev/null 2>&1
run curl -sS -o "$T/resp.der" -w '%{http_code}' -H 'Expect: 100-continue' \
	-H 'Content-Type: application/ocsp-request' --data-binary @"$T/req.der" "$B/ocsp"
grep_out "Expect: 100-continue: answered" "^200$"
# A client that leaves in the middle of its body: the handler exits.
before=$(grep -c '' "$HLOG")
raw 'POST /ocsp HTTP/1.1\r\nHost: x\r\nContent-Type: application/ocsp-request\r\nContent-Length: 100\r\n\r\n0123456789'
sleep 0.3
grep_out "a client gone mid-body: logged as 400" '^<6>127\.0\.0\.1 - - 400 0 ' "$HLOG"
grep -q "died with code 0\|exited with code 0\|Child [0-9]* died with code 0" "$HLOG" &&
	ok "every handler process exits cleanly" || ok "# exit codes not reported by this systemd-socket-activate"
if grep "Child [0-9]* died with code [1-9]\|killed\|dumped" "$HLOG" >/dev/null; then
	not_ok "no handler process failed"; grep "Child" "$HLOG" | sed 's/^/#   /' | head
else
	ok "no handler process failed"
fi
# Nothing a client sends reaches the log raw (escapes, controls).
raw 'GET /\033[31mred\033[0m HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'
if grep -q "$(printf '\033')" "$HLOG"; then not_ok "no control characters in the log"
else ok "no control characters in the log"; fi
stop_handlers

# ---- the limits of spork.toml's [http] and [ocsp]
cat > "$SPORK_STATE_DIR/spork.toml" <<'TOML'
[http]
max_requests = 2
idle_timeout = "1s"
total_timeout = "3s"
max_body_kib = 1
[ocsp]
next_update = "10m"
TOML
chmod 600 "$SPORK_STATE_DIR/spork.toml"
expect 0 "spork config check accepts [http] and [ocsp]" "$SPORK" config check
start_handler spork-serve accept --state-dir "$SPORK_STATE_DIR" || finish
B="http://127.0.0.1:$PORT"
run curl -sS -o /dev/null -o /dev/null -o /dev/null -w '%{num_connects}\n' \
	"$B/health" "$B/crl/root.crl" "$B/ca/tls-issuing.crt"
[ "$(awk '{s += $1} END {print s}' "$T/out")" = 2 ] &&
	ok "max_requests = 2: the third request takes a new connection" ||
	{ not_ok "max_requests = 2"; cat "$T/out"; }
t0=$(date +%s)
raw 'GET /health HTTP/1.1\r\nHost: x\r\n'
t1=$(date +%s)
[ "$(status_of)" = 408 ] && ok "slowloris (half a head, then nothing): 408" ||
	not_ok "slowloris: 408 ($(status_of))"
[ $((t1 - t0)) -le 3 ] && ok "... after the 1 s idle timeout" || not_ok "idle timeout took $((t1 - t0)) s"
# a client that sends a header line every half second is never idle, but
# the connection ends at total_timeout
t0=$(date +%s)
bash -c 'exec 5<>/dev/tcp/127.0.0.1/'"$PORT"'
	timeout 8 cat <&5 & r=$!
	printf "GET /health HTTP/1.1\r\nHost: x\r\n" >&5
	for i in 1 2 3 4 5 6 7 8 9 10 11 12; do
		printf "X-Drip: %s\r\n" $i >&5 2>/dev/null || break
		sleep 0.5
	done
	wait $r' > "$T/raw" 2>/dev/null
t1=$(date +%s)
[ "$(status_of)" = 408 ] && ok "a dripping client: 408 at total_timeout" ||
	not_ok "dripping client: 408 ($(status_of))"
[ $((t1 - t0)) -le 7 ] && ok "... within the total time" || not_ok "total timeout took $((t1 - t0)) s"
raw 'POST /ocsp HTTP/1.1\r\nHost: x\r\nContent-Type: application/ocsp-request\r\nContent-Length: 2048\r\n\r\n'
[ "$(status_of)" = 413 ] && ok "max_body_kib = 1: a 2 KiB body is 413" ||
	not_ok "max_body_kib: 413 ($(status_of))"
openssl ocsp -issuer "$CADIR/spork-tls-web-server-issuing-ca.pem" -cert "$T/good.pem" \
	-no_nonce -reqout "$T/req.der" >/dev/null 2>&1
run curl -sS -D "$T/hdr" -o /dev/null "$B/ocsp/$(openssl base64 -A < "$T/req.der" | sed 's/+/%2B/g; s|/|%2F|g; s/=/%3D/g')"
grep_out "[ocsp] next_update = 10m: max-age=600" "^Cache-Control: max-age=600," "$T/hdr"
finish
