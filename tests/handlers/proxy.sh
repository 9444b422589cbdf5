#!/bin/sh
# Plain HTTP behind a trusted proxy: with spork.toml [http]
# trusted_proxies, a request from one of them is logged with the client
# address of its Forwarded (else X-Forwarded-For) header, the right-most
# entry that is not itself a trusted proxy, and "via=<proxy>"; from any
# other peer, and for a malformed value, the headers are ignored and
# never logged.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
. "$top_srcdir/tests/handlers/lib-handler.sh"

run "$SPORK" pki build $PASSOPT "$HIER/3-tier.toml"
[ "$rc" = 0 ] || { not_ok "pki build"; cat "$T/err"; finish; }
C="$SPORK_STATE_DIR/spork.toml"
printf '[http]\ntrusted_proxies = ["127.0.0.1", "10.0.0.0/8", "::1"]\n' > "$C"
expect 0 "the settings check" "$SPORK" config check "$C"

start_handler spork-serve accept --state-dir "$SPORK_STATE_DIR" || finish
B="http://127.0.0.1:$PORT"
# hit NAME HEADER...: GET /health/NAME with the headers; the log line
hit() {
	_n=$1; shift
	: > "$T/hdrs"
	for _h in "$@"; do printf '%s\n' "$_h" >> "$T/hdrs"; done
	curl -sS -o /dev/null -H @"$T/hdrs" "$B/health/$_n" >/dev/null 2>&1
	sleep 0.1
	grep " /health/$_n " "$HLOG" | tail -n 1 > "$T/line"
}
hit fwd "Forwarded: for=203.0.113.5;proto=http"
grep_out "Forwarded from a trusted proxy: the client is logged" \
	'^<6>203\.0\.113\.5 GET /health/fwd [0-9]+ .* via=127\.0\.0\.1$' "$T/line"
hit v6 'Forwarded: for="[2001:db8::7]:4711"'
grep_out "an IPv6 client, port dropped" '^<6>2001:db8::7 GET ' "$T/line"
hit chain "Forwarded: for=198.51.100.1, for=203.0.113.6, for=10.0.0.9"
grep_out "the right-most entry that is not a trusted proxy" '^<6>203\.0\.113\.6 GET ' "$T/line"
hit xff "X-Forwarded-For: 198.51.100.2, 203.0.113.7"
grep_out "X-Forwarded-For when there is no Forwarded" '^<6>203\.0\.113\.7 GET .* via=127\.0\.0\.1$' "$T/line"
hit both "X-Forwarded-For: 198.51.100.3" "Forwarded: for=203.0.113.8"
grep_out "Forwarded wins" '^<6>203\.0\.113\.8 GET ' "$T/line"
hit bad "Forwarded: for=203.0.113.9;for=EVILMARKER" "X-Forwarded-For: 198.51.100.4"
grep_out "a malformed Forwarded: the peer" '^<6>127\.0\.0\.1 GET /health/bad [0-9]+ .*[^=]$' "$T/line"
grep -q EVILMARKER "$HLOG" && not_ok "a malformed value is not logged" ||
	ok "a malformed value is not logged"
hit unknown "Forwarded: for=203.0.113.10, for=unknown"
grep_out "for=unknown: the last address vouched for (the peer)" '^<6>127\.0\.0\.1 GET /health/unknown ' "$T/line"
# keep-alive: each request has its own client
curl -sS -o /dev/null -o /dev/null -H "X-Forwarded-For: 203.0.113.11" \
	"$B/health/ka1" "$B/health/ka2" >/dev/null 2>&1
sleep 0.1
[ "$(grep -c '^<6>203\.0\.113\.11 GET /health/ka[12] ' "$HLOG")" = 2 ] &&
	ok "two requests on one connection, each logged with the client" ||
	not_ok "keep-alive requests with the client"
stop_handlers

# From a peer that is not trusted, the headers are ignored.
printf '[http]\ntrusted_proxies = ["10.0.0.0/8"]\n' > "$C"
start_handler spork-serve accept --state-dir "$SPORK_STATE_DIR" || finish
B="http://127.0.0.1:$PORT"
hit untrusted "Forwarded: for=203.0.113.12" "X-Forwarded-For: OTHERMARKER"
grep_out "an untrusted peer's Forwarded is ignored" '^<6>127\.0\.0\.1 GET /health/untrusted [0-9]+ [^ ]+ [^ ]+ [^ ]+ [^ ]+$' "$T/line"
grep -q 'OTHERMARKER\|203\.0\.113\.12' "$HLOG" && not_ok "... and not logged" ||
	ok "... and not logged"
stop_handlers

# Without the setting, nothing changes; a bad setting stops the handler.
rm -f "$C"
start_handler spork-serve accept --state-dir "$SPORK_STATE_DIR" || finish
B="http://127.0.0.1:$PORT"
hit none "Forwarded: for=203.0.113.13"
grep_out "no trusted_proxies: the peer" '^<6>127\.0\.0\.1 GET /health/none ' "$T/line"
stop_handlers
printf '[http]\ntrusted_proxies = ["10.0.0.1/8"]\n' > "$C"
start_handler spork-serve accept --state-dir "$SPORK_STATE_DIR" || finish
run curl -sS -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/health"
grep_out "a bad trusted_proxies: 503" '^503$'
sleep 0.1
grep_out "... and the handler names the file and line" \
	'^<3>spork-serve: .*spork.toml:2:20: trusted_proxies: .*write 10\.0\.0\.0/8' "$HLOG"
finish
