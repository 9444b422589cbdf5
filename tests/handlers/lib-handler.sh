# Sourced by tests/handlers/*.sh after tests/lib.sh: start a handler the
# way systemd does and talk raw HTTP to it.
#
# start_handler NAME MODE [ARGS...]: run handlers/NAME under
#   systemd-socket-activate (MODE "accept": fd 3; "inetd": fd 0/1) on a
#   free loopback port; sets $PORT and $HLOG (its stderr); stopped on exit.
# raw REQUEST-TEXT [WAIT]: send the bytes (printf escapes) on a new
#   connection, response in $T/raw (bash /dev/tcp, no other tool needed).
need systemd-socket-activate curl
HPIDS=""
stop_handlers() {
	for _p in $HPIDS; do kill "$_p" 2>/dev/null; done
	for _p in $HPIDS; do wait "$_p" 2>/dev/null; done
	HPIDS=""
}
trap 'stop_handlers; rm -rf "$T"' EXIT

start_handler() {
	_name=$1 _mode=$2; shift 2
	HLOG="$T/$_name.$_mode.log"
	for _try in 1 2 3 4 5 6 7 8; do
		PORT=$((20000 + $(od -An -N2 -tu2 /dev/urandom) % 30000))
		if [ "$_mode" = inetd ]; then
			systemd-socket-activate --accept --inetd \
				-l "127.0.0.1:$PORT" \
				"$top_builddir/handlers/$_name" "$@" 2>"$HLOG" &
		else
			systemd-socket-activate --accept -l "127.0.0.1:$PORT" \
				"$top_builddir/handlers/$_name" "$@" 2>"$HLOG" &
		fi
		_pid=$!
		# up to 10 s: a loaded machine is slow to start anything
		_w=0
		while [ $_w -lt 100 ]; do
			grep -q "^Listening on" "$HLOG" 2>/dev/null && break
			kill -0 "$_pid" 2>/dev/null || break
			sleep 0.1
			_w=$((_w + 1))
		done
		if kill -0 "$_pid" 2>/dev/null && grep -q "^Listening on" "$HLOG"; then
			HPIDS="$HPIDS $_pid"
			return 0
		fi
		# not listening (the port was taken, or too slow): stop it
		# before waiting for it
		kill "$_pid" 2>/dev/null
		wait "$_pid" 2>/dev/null
	done
	echo "# could not start $_name"; cat "$HLOG"
	return 1
}

raw() {
	bash -c 'exec 5<>/dev/tcp/127.0.0.1/'"$PORT"' || exit 1
		printf "$1" >&5
		[ -n "$2" ] && sleep "$2"
		timeout 15 cat <&5' raw "$1" "${2:-}" > "$T/raw" 2>/dev/null
}

# status_of FILE: the status code of the first response in FILE
status_of() { head -n 1 "${1:-$T/raw}" | cut -d' ' -f2; }

# three_tier_ca: the 3-tier example hierarchy in $SPORK_STATE_DIR, a domain
# policy allowing *.example.internal, and two tls-server certificates,
# $T/good.pem and $T/revoked.pem (keys beside them); $RSERIAL is the
# serial of the second, for the caller to revoke.  Ends the test when the
# build fails.
three_tier_ca() {
	CADIR="$SPORK_STATE_DIR/ca"
	run "$SPORK" pki build $PASSOPT "$HIER/3-tier.toml"
	[ "$rc" = 0 ] || { not_ok "pki build"; cat "$T/err"; finish; }
	printf '[[allow]]\npattern = "*.example.internal"\n' \
		> "$SPORK_STATE_DIR/domain-policy.toml"
	for _n in good revoked; do
		"$SPORK" cert issue -q --profile tls-server \
			--cn $_n.example.internal --key-type ecdsa-p256 \
			--key-out "$T/$_n.key" --out "$T/$_n.pem" ||
			not_ok "issue $_n"
	done
	RSERIAL=$(openssl x509 -in "$T/revoked.pem" -noout -serial | cut -d= -f2)
}
