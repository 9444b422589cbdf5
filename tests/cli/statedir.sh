#!/bin/sh
# The state directory as a trust boundary.
#  - Like ssh's StrictModes, commands that certify or sign refuse (exit 4)
#    a state directory, ca/, lockbox/, spork.db, domain-policy.toml or
#    spork.toml that another user can write or owns, saying how to fix
#    it; commands that only read go on with a warning.
#  - Read-only commands (cert list, cert show, audit verify, pki status)
#    work on a write-protected copy; writes there fail cleanly.
# The copy is write-protected in every way available: a read-only bind
# mount in a private mount namespace (root, where unshare and mount are
# allowed), and file modes (a-w) read by a user they bind: the test's
# own user when it is not root, else nobody (setpriv).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
S="$SPORK_STATE_DIR"
ROOT=no
[ "$(id -u)" = 0 ] && ROOT=yes

check "build 2-tier" build_2tier
cat > "$S/domain-policy.toml" <<'EOF'
[[allow]]
pattern = "*.lab.example"
EOF
chmod 644 "$S/domain-policy.toml"
expect 0 "issue www.lab.example" "$SPORK" cert issue --cn www.lab.example \
	--key-out "$T/www.key" --out "$T/www.pem" -q
serial=$("$SPORK" cert show "$T/www.pem" --json |
	sed -n 's/^  "serial": "\(.*\)",$/\1/p')
[ -n "$serial" ] && ok "its serial is $serial" || not_ok "no serial"
ncerts() { "$SPORK" cert list --json 2>/dev/null | grep -c '"serial"'; }
n0=$(ncerts)

# ---- StrictModes
# refused DESC PATH CHMOD: with chmod CHMOD on PATH, issuing is refused
# (exit 4) with a message naming PATH and the fix, nothing is issued,
# and a read-only command goes on with a warning.
refused() {
	chmod "$3" "$2"
	expect 4 "$1: cert issue refused" "$SPORK" cert issue \
		--cn x.lab.example --key-out "$T/x.key" --out "$T/x.pem" -q
	grep_out "$1: the message says how to fix it" \
		"$2 is writable by .*chmod go-w $2\$" "$T/err"
	expect 0 "$1: cert list goes on" "$SPORK" cert list
	grep_out "$1: and warns" "warning: .*chmod go-w $2 " "$T/err"
	chmod go-w "$2"
	rm -f "$T/x.key" "$T/x.pem"
}
refused "state directory o+w" "$S" o+w
refused "state directory g+w" "$S" g+w
refused "domain-policy.toml o+w" "$S/domain-policy.toml" o+w
refused "domain-policy.toml g+w" "$S/domain-policy.toml" g+w
refused "ca/ o+w" "$S/ca" o+w
refused "lockbox/ g+w" "$S/lockbox" g+w
refused "lockbox/online/ o+w" "$S/lockbox/online" o+w
refused "spork.db o+w" "$S/spork.db" o+w
# SQLite gives the -wal and -shm files the database file's mode when it
# opens them: fixing spork.db leaves them to fix too (spork names them)
chmod go-w "$S/spork.db-wal" "$S/spork.db-shm" 2>/dev/null
printf '[crl]\nnext_update = "7d"\n' > "$S/spork.toml"
refused "spork.toml o+w" "$S/spork.toml" a+w
rm -f "$S/spork.toml"
printf '[crl]\nnext_update = "7d"\n' > "$T/elsewhere.toml"
chmod 666 "$T/elsewhere.toml"
expect 4 "a --config file others can write is refused too" "$SPORK" cert issue \
	--config "$T/elsewhere.toml" --cn x.lab.example --key-out "$T/x.key" -q
grep_out "and named" "settings file $T/elsewhere.toml is writable by others" "$T/err"
chmod 777 "$S"
expect 4 "pki build refuses a world-writable state directory" \
	"$SPORK" pki build "$HIER/2-tier.toml" $PASSOPT -q
chmod 700 "$S"
chmod 666 "$S/domain-policy.toml"
run "$SPORK" policy check x.lab.example
grep_out "policy check warns about a policy others can write" \
	"warning: domain policy .* is writable by others" "$T/err"
chmod 644 "$S/domain-policy.toml"
if [ $ROOT = yes ]; then
	chown 65534 "$S/domain-policy.toml"
	expect 4 "a domain policy owned by another user is refused" \
		"$SPORK" cert issue --cn x.lab.example --key-out "$T/x.key" -q
	grep_out "and the owner named" \
		"domain policy $S/domain-policy.toml belongs to uid 65534.*chown 0 " "$T/err"
	chown 0 "$S/domain-policy.toml"
	chown 65534 "$S"
	expect 4 "a state directory owned by another user is refused" \
		"$SPORK" cert issue --cn x.lab.example --key-out "$T/x.key" -q
	chown 0 "$S"
else
	echo "# skipped: files owned by another user need root to make"
fi
[ "$(ncerts)" = "$n0" ] && ok "nothing was issued while refused" ||
	not_ok "certificates: $(ncerts), want $n0"
expect 0 "with the modes fixed, issuing works again" "$SPORK" cert issue \
	--cn y.lab.example --key-out "$T/y.key" --out "$T/y.pem" -q

# ---- read-only copies
# Ways to write-protect a copy: "mount" (a read-only bind mount, root),
# "modes" (chmod -R a-w, checked by a user other than root).
methods=
if [ $ROOT = yes ]; then
	if command -v unshare >/dev/null 2>&1 &&
	   unshare -m sh -c 'mount --bind -o ro "$0" "$0" && ! touch "$0/x"' \
		"$T" 2>/dev/null; then
		methods=mount
	else
		echo "# no read-only bind mount here (unshare/mount refused)"
	fi
	AS="setpriv --reuid=65534 --regid=65534 --clear-groups"
	if command -v setpriv >/dev/null 2>&1 &&
	   $AS "$SPORK" --version >/dev/null 2>&1; then
		methods="$methods modes"
		chmod 711 "$T"   # nobody passes through to the copies
	else
		echo "# no setpriv, or nobody cannot run $SPORK: modes (which do not bind root) not checked"
	fi
else
	methods=modes AS=
fi
[ -n "$methods" ] || { echo "# no way to write-protect a copy: read-only part skipped"; finish; }

# protect METHOD DIR / unprotect METHOD DIR
protect() { [ "$1" = modes ] && chmod -R a+rX,a-w "$2"; :; }
unprotect() { chmod -R u+w "$2"; }
# ro_run METHOD DIR CMD...: run CMD on DIR as write-protected by METHOD
ro_run() {
	_m=$1 _d=$2; shift 2
	case $_m in
	mount) run env SPORK_STATE_DIR="$_d" unshare -m sh -c \
		'mount --bind -o ro "$0" "$0" && exec "$@"' "$_d" "$@" ;;
	modes) run env SPORK_STATE_DIR="$_d" $AS "$@" ;;
	esac
}
# ro_expect WANT DESC METHOD DIR CMD...
ro_expect() {
	_want=$1 _desc=$2; shift 2
	ro_run "$@"
	if [ "$rc" = "$_want" ]; then ok "$_desc"; else
		not_ok "$_desc (exit $rc, want $_want)"
		sed 's/^/#   /' "$T/err" | head -n 10
	fi
}
# ro_reads METHOD DIR LABEL: the read-only commands work on DIR
ro_reads() {
	ro_expect 0 "$3: cert list" "$1" "$2" "$SPORK" cert list --json
	n=$(grep -c '"serial"' "$T/out")
	[ "$n" = "$((n0 + 1))" ] && ok "$3: cert list shows all $n" ||
		not_ok "$3: cert list shows $n, want $((n0 + 1))"
	ro_expect 0 "$3: cert show" "$1" "$2" "$SPORK" cert show "$serial"
	grep_out "$3: cert show shows it" "www.lab.example"
	ro_expect 0 "$3: audit verify" "$1" "$2" "$SPORK" audit verify
	grep_out "$3: the audit log is intact" "audit log intact"
	ro_expect 0 "$3: pki status" "$1" "$2" "$SPORK" pki status
	grep_out "$3: pki status lists the CAs" "Lab Issuing CA"
}
# keys that should not be written go where any user could write them
mkdir "$T/w" && chmod 1777 "$T/w"
have_sqlite3=no
command -v sqlite3 >/dev/null 2>&1 && have_sqlite3=yes
for m in $methods; do
	# as spork leaves it: spork.db with its -wal and -shm files
	cp -a "$S" "$T/ro-$m"
	protect $m "$T/ro-$m"
	ro_reads $m "$T/ro-$m" "$m, as left"
	ro_expect 1 "$m: cert issue fails on the copy" $m "$T/ro-$m" \
		"$SPORK" cert issue --cn z.lab.example --key-out "$T/w/z.key" -q
	grep_out "$m: saying the database cannot be written" \
		"spork.db cannot be written" "$T/err"
	[ ! -e "$T/w/z.key" ] && ok "$m: and no key was written" ||
		not_ok "$m: a key was written"
	unprotect $m "$T/ro-$m"
	# no -shm and changes in the -wal: refused, not read stale.  spork
	# checkpoints every commit and empties the WAL on close, so the
	# changes are put there by sqlite3 without a checkpoint.
	cp -a "$S" "$T/ro2-$m"
	if [ "$have_sqlite3" = no ]; then
		ok "# SKIP $m: a -wal with changes needs sqlite3"
		ok "# SKIP $m: sqlite3 not installed"
		continue
	fi
	sqlite3 "$T/ro2-$m/spork.db" ".dbconfig no_ckpt_on_close on" \
		"PRAGMA wal_autocheckpoint = 0" \
		"INSERT INTO refusals (ts, uid, actor, action, object, error, message) VALUES (1, 0, 't', 't', 't', 't', 't')" >/dev/null
	rm -f "$T/ro2-$m/spork.db-shm"
	protect $m "$T/ro2-$m"
	ro_expect 1 "$m: no -shm but a -wal with changes: refused" $m \
		"$T/ro2-$m" "$SPORK" cert list
	grep_out "$m: saying what is missing" "holds changes.*spork.db-shm" "$T/err"
	unprotect $m "$T/ro2-$m"
	# checkpointed, only spork.db: read immutable
	if [ $have_sqlite3 = yes ]; then
		cp -a "$S" "$T/ro3-$m"
		sqlite3 "$T/ro3-$m/spork.db" "PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null
		rm -f "$T/ro3-$m/spork.db-wal" "$T/ro3-$m/spork.db-shm"
		protect $m "$T/ro3-$m"
		ro_reads $m "$T/ro3-$m" "$m, spork.db alone"
		unprotect $m "$T/ro3-$m"
	else
		echo "# no sqlite3: the copy of spork.db alone is not checked"
	fi
done
finish
