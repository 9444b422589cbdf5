#!/bin/sh
# A spork process keeps its keys to itself from the start of main() on:
# it writes no core dump (core size limit 0, soft and hard) and is not
# dumpable, so that processes of the same user can neither ptrace it nor
# read /proc/PID/mem.  Checked on a live spork blocked reading a policy
# from a pipe.  The kernel shows non-dumpability through /proc/PID/status
# belonging to root instead of the process's user, so spork runs as a
# user other than root: itself when the test is not root, else nobody
# (setpriv).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
[ -r /proc/self/limits ] || { echo "SKIP: no /proc"; exit 77; }

as=
if [ "$(id -u)" = 0 ]; then
	if command -v setpriv >/dev/null 2>&1 &&
	   setpriv --reuid=65534 --regid=65534 --clear-groups "$SPORK" \
		--version >/dev/null 2>&1; then
		as="setpriv --reuid=65534 --regid=65534 --clear-groups"
	fi
fi
mkfifo "$T/fifo"
# No state directory is needed: the policy comes from the pipe.
SPORK_STATE_DIR=/nonexistent/spork $as "$SPORK" policy check --policy - \
	example.com < "$T/fifo" > "$T/out" 2>&1 &
pid=$!
exec 3> "$T/fifo"
# The shell forks, opens the FIFO, then execs (setpriv and) spork, which
# then blocks reading the pipe: poll (5 s at most) until what is checked
# holds, so that a process caught before main() does not count.
want_owner=0
if [ "$(id -u)" = 0 ] && [ -z "$as" ]; then
	want_owner=
	echo "# as root without setpriv (or nobody cannot run spork), non-dumpability cannot be seen: not checked"
fi
name= core= owner= i=0
while [ $i -lt 50 ]; do
	name=$(sed -n 's/^Name:[[:space:]]*//p' "/proc/$pid/status" 2>/dev/null)
	case $name in *spork*)
		core=$(awk '/^Max core file size/ { print $5 " " $6 }' "/proc/$pid/limits")
		owner=$(stat -c %u "/proc/$pid/status")
		[ "$core" = "0 0" ] && [ "$owner" = "${want_owner:-$owner}" ] && break ;;
	esac
	sleep 0.1
	i=$((i + 1))
done
case $name in *spork*) ok "spork runs (pid $pid)" ;;
*) not_ok "spork runs (pid $pid is '$name')" ;; esac
[ "$core" = "0 0" ] && ok "its core size limit is 0, soft and hard" ||
	not_ok "its core size limit is 0 (soft hard: ${core:-?})"
if [ -n "$want_owner" ]; then
	[ "$owner" = 0 ] && ok "it is not dumpable (/proc/PID/status belongs to root)" ||
		not_ok "it is not dumpable (/proc/PID/status belongs to uid $owner)"
fi
exec 3>&-
wait "$pid"
rc=$?
[ "$rc" = 4 ] && ok "an empty policy from the pipe denies the name (exit 4)" ||
	not_ok "an empty policy from the pipe: exit $rc, want 4"
finish
