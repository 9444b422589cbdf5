#!/bin/sh
# The systemd units make builds from handlers/systemd/*.in: every path was
# substituted, each service protects the state directory it passes to
# --state-dir (writable, offline lockbox hidden, online.kek as a
# credential), "systemd-analyze verify" accepts them without a word, and
# "systemd-analyze security --offline=true" rates every service at an
# exposure of 2.0 or lower.  Both work without systemd running (CI is a
# container); neither needs the spork user to exist.  The units are
# checked with ExecStart= pointing at the programs of this build, so the
# handlers (handlers/spork-ocsp, handlers/spork-serve) and their man
# pages must have been built and written.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
need systemd-analyze
U="$top_builddir/handlers/systemd"
MAX_EXPOSURE=2.0
UNITS="spork-crl.service spork-crl.timer spork-ocsp.socket spork-ocsp@.service
 spork-serve.socket spork-serve@.service spork-serve-tls.socket
 spork-serve-tls@.service spork-tls-renew.service spork-tls-renew.timer"
mkdir -p "$T/units"

# built_program NAME: where this build puts the program a unit runs
built_program() {
	case $1 in
	spork) echo "$top_builddir/cli/spork" ;;
	*) echo "$top_builddir/handlers/$1" ;;
	esac
}

# man_page NAME(SECTION): the page in the source or build tree, or nothing
man_page() {
	_n=${1%%(*} _s=${1#*(}; _s=${_s%)}
	for _d in "$top_srcdir/man" "$top_builddir/man"; do
		[ -f "$_d/$_n.$_s" ] && { echo "$_d/$_n.$_s"; return; }
	done
}

for u in $UNITS; do
	f="$U/$u"
	if [ ! -f "$f" ]; then
		not_ok "$u was not built (make builds it from $u.in)"
		continue
	fi
	if grep -Eq '@[a-z_]+@' "$f"; then
		not_ok "$u: a path was left unsubstituted"
		grep -En '@[a-z_]+@' "$f" | sed 's/^/#   /'
	else
		ok "$u: every path substituted"
	fi
	for m in $(sed -n 's/^Documentation=//p' "$f"); do
		case $m in man:*) ;; *) continue ;; esac
		if [ -n "$(man_page "${m#man:}")" ]; then
			ok "$u: its manual ${m#man:} is in man/"
		else
			not_ok "$u: Documentation= names ${m#man:}, which is not in man/"
		fi
	done
	# ExecStart= runs the program of this build (the same arguments).
	exe=$(sed -n 's/^ExecStart=\([^ ]*\).*/\1/p' "$f")
	if [ -n "$exe" ]; then
		prog=$(built_program "$(basename "$exe")")
		if [ ! -x "$prog" ]; then
			not_ok "$u runs $(basename "$exe"), not built at $prog (the handlers land with issue 9)"
		fi
		sed "s|^ExecStart=$exe|ExecStart=$prog|" "$f" > "$T/units/$u"
	else
		cp "$f" "$T/units/$u"
	fi
done

# ---- what each service must hold for the state directory it is given
for u in $UNITS; do
	case $u in *.service) ;; *) continue ;; esac
	f="$U/$u"
	[ -f "$f" ] || continue
	sd=$(sed -n 's/^ExecStart=.* --state-dir \([^ ]*\).*/\1/p' "$f")
	if [ -z "$sd" ]; then
		not_ok "$u: ExecStart= names no --state-dir"
		continue
	fi
	grep_out "$u: runs as the spork user" '^User=spork$' "$f"
	grep_out "$u: $sd is its one writable path" "^ReadWritePaths=$sd\$" "$f"
	grep_out "$u: the offline lockbox is inaccessible" \
		"^InaccessiblePaths=-?$sd/lockbox/offline\$" "$f"
	grep_out "$u: online.kek arrives as a credential" \
		"^LoadCredential=online.kek:$sd/online.kek\$" "$f"
	grep_out "$u: no capabilities" '^CapabilityBoundingSet=$' "$f"
done

# ---- systemd-analyze verify: silent and successful for each unit.  The
# man pages were checked above against the tree (verify would ask man(1),
# which knows only installed pages).
cd "$T/units" || exit 99
for u in $UNITS; do
	[ -f "$u" ] || continue
	systemd-analyze verify --man=no "./$u" >"$T/verify" 2>&1
	rc=$?
	if [ "$rc" = 0 ] && [ ! -s "$T/verify" ]; then
		ok "systemd-analyze verify $u"
	else
		not_ok "systemd-analyze verify $u (exit $rc)"
		sed 's/^/#   /' "$T/verify" | head -n 20
	fi
done

# ---- systemd-analyze security: exposure of each service
for u in $UNITS; do
	case $u in *.service) ;; *) continue ;; esac
	[ -f "$u" ] || continue
	systemd-analyze security --offline=true --no-pager "./$u" \
		>"$T/security" 2>&1
	e=$(sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p' \
		"$T/security")
	if [ -z "$e" ]; then
		not_ok "systemd-analyze security $u printed no exposure level"
		sed 's/^/#   /' "$T/security" | head -n 20
	elif awk -v e="$e" -v m="$MAX_EXPOSURE" 'BEGIN { exit !(e <= m) }'; then
		ok "$u: exposure $e <= $MAX_EXPOSURE"
	else
		not_ok "$u: exposure $e > $MAX_EXPOSURE"
		grep '✗' "$T/security" | sed 's/^/#   /'
	fi
done
cd - >/dev/null || exit 99

# ---- the sysusers.d file makes the spork user and group
if command -v systemd-sysusers >/dev/null 2>&1; then
	mkdir -p "$T/root/etc"
	check "systemd-sysusers reads spork.sysusers.conf" systemd-sysusers \
		--root="$T/root" "$top_srcdir/handlers/systemd/spork.sysusers.conf"
	grep_out "it makes the user spork" '^spork:x:[0-9]+:[0-9]+:' "$T/root/etc/passwd"
	grep_out "and the group spork" '^spork:x:[0-9]+:' "$T/root/etc/group"
fi
finish
