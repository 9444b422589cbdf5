#!/bin/sh
# Where offline-key passphrases come from: the terminal (asked twice for a
# new key, never echoed), --passphrase-file, $CREDENTIALS_DIRECTORY; and
# never from nowhere.  script(1) gives spork a real terminal.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
need script setsid sqlite3 timeout

# tty CMD ANSWER...: run CMD on a pseudo-terminal, typing each ANSWER
# after a pause; output (what the terminal showed) in $T/out.
tty() {
	_cmd=$1; shift
	{ for a in "$@"; do sleep 1; printf '%s\n' "$a"; done; sleep 2; } |
		script -qec "$_cmd" /dev/null > "$T/out" 2>&1
	rc=$?
}
B="$SPORK pki build $HIER/2-tier.toml"

export SPORK_STATE_DIR="$T/mismatch"
tty "$B" "first passphrase" "second passphrase"
[ "$rc" = 7 ] && ok "mismatched passphrases refused (exit 7)" || not_ok "mismatch: exit $rc"
grep_out "says they differ" "the passphrases do not match; nothing was created"
n=$(sqlite3 "$T/mismatch/spork.db" "select count(*) from cas" 2>/dev/null || echo 0)
[ "$n" = 0 ] && ok "mismatch: no CA recorded" || not_ok "mismatch: $n CAs recorded"

export SPORK_STATE_DIR="$T/short"
tty "$B" "short" "short"
[ "$rc" = 7 ] && ok "short passphrase refused" || not_ok "short: exit $rc"
grep_out "says why" "shorter than 8 characters"
if grep -q "Repeat it" "$T/out"; then not_ok "a short passphrase asked twice"
else ok "a short passphrase is refused before asking twice"; fi

export SPORK_STATE_DIR="$T/tty"
tty "$B" "terminal passphrase" "terminal passphrase"
[ "$rc" = 0 ] && ok "terminal passphrase asked twice, build ok" || { not_ok "tty build: exit $rc"; cat "$T/out"; }
grep_out "asked for a new passphrase" "New passphrase for Lab Root CA: "
grep_out "asked to repeat it" "Repeat it: "
if grep -q "terminal passphrase" "$T/out"; then not_ok "passphrase echoed"; else ok "passphrase not echoed"; fi

# Unsealing: one question; a wrong answer changes nothing.
cp "$HIER/2-tier.toml" "$T/grow.toml"
printf '\n[[issuing_cas]]\ncommon_name = "Second Issuing CA"\nvalidity_years = 2\n' >> "$T/grow.toml"
tty "$SPORK pki build $T/grow.toml" "not the passphrase"
[ "$rc" = 5 ] && ok "wrong terminal passphrase: exit 5" || not_ok "wrong tty passphrase: exit $rc"
grep_out "asked once, as an existing key" "Enter passphrase for Lab Root CA: "
tty "$SPORK pki build $T/grow.toml" "terminal passphrase"
[ "$rc" = 0 ] && ok "right terminal passphrase unseals the root" || not_ok "unseal: exit $rc"

# A line longer than the 1023 bytes a passphrase holds is refused, not cut.
long=$(head -c 1100 /dev/zero | tr '\0' x)
export SPORK_STATE_DIR="$T/long"
tty "$B" "$long" "$long"
[ "$rc" = 7 ] && ok "tty: passphrase over 1023 bytes refused (exit 7)" || not_ok "long: exit $rc"
grep_out "tty: says it is too long" "passphrase longer than 1023 bytes"
n=$(sqlite3 "$T/long/spork.db" "select count(*) from cas" 2>/dev/null || echo 0)
[ "$n" = 0 ] && ok "tty long: no CA recorded" || not_ok "tty long: $n CAs recorded"

# Input that ends (stdin closed: script(1) sends ^D) before Enter is not
# a passphrase.
export SPORK_STATE_DIR="$T/eof"
{ sleep 1; printf 'never finished'; sleep 2; } |
	timeout 60 script -qec "$B" /dev/null > "$T/out" 2>&1
rc=$?
[ "$rc" != 0 ] && ok "tty: end of input before Enter refused (exit $rc)" || not_ok "eof: exit 0"
grep_out "tty eof: says the input ended" "input ended before Enter"
n=$(sqlite3 "$T/eof/spork.db" "select count(*) from cas" 2>/dev/null || echo 0)
[ "$n" = 0 ] && ok "tty eof: no CA recorded" || not_ok "tty eof: $n CAs recorded"

# Killed while echo is off: the terminal gets its echo back.
export SPORK_STATE_DIR="$T/killed"
cat > "$T/kill.sh" <<EOF
$B & pid=\$!
sleep 1; kill -TERM \$pid; wait \$pid
echo "status \$?"
stty -a
EOF
sleep 4 | timeout 60 script -qec "sh $T/kill.sh" /dev/null > "$T/out" 2>&1
grep_out "SIGTERM at the prompt kills spork" "status 143"
if tr ' \r' '\n\n' < "$T/out" | grep -qx -- -echo; then
	not_ok "SIGTERM at the prompt leaves echo off"
else grep_out "SIGTERM at the prompt: echo restored" "(^| )echo( |$)"; fi

# systemd credentials: $CREDENTIALS_DIRECTORY/spork-passphrase
export SPORK_STATE_DIR="$T/creds"
mkdir -p "$T/credentials"
printf 'from the credential\n' > "$T/credentials/spork-passphrase"
chmod 600 "$T/credentials/spork-passphrase"
expect 0 "passphrase from \$CREDENTIALS_DIRECTORY" env CREDENTIALS_DIRECTORY="$T/credentials" \
	setsid -w $B
expect 0 "and the same credential unseals it" env CREDENTIALS_DIRECTORY="$T/credentials" \
	setsid -w "$SPORK" pki build "$T/grow.toml"
printf 'from the credential\n' > "$T/pf"
chmod 600 "$T/pf"
cp "$T/grow.toml" "$T/grow2.toml"
printf '\n[[issuing_cas]]\ncommon_name = "Third Issuing CA"\nvalidity_years = 2\n' >> "$T/grow2.toml"
expect 0 "a file with the same passphrase unseals it too" setsid -w "$SPORK" pki build \
	"$T/grow2.toml" --passphrase-file "$T/pf"

# --passphrase-file: a regular file, its first line whole, private.
export SPORK_STATE_DIR="$T/files"
mkdir -p "$T/pdir"
expect 7 "a directory as --passphrase-file" setsid -w $B --passphrase-file "$T/pdir"
grep_out "says it is not a regular file" "passphrase file $T/pdir is not a regular file" "$T/err"
{ head -c 1024 /dev/zero | tr '\0' x; echo; } > "$T/pflong"; chmod 600 "$T/pflong"
expect 7 "a first line over 1023 bytes in --passphrase-file" setsid -w $B \
	--passphrase-file "$T/pflong"
grep_out "says the line is too long" "first line of passphrase file $T/pflong is longer than 1023 bytes" "$T/err"
n=$(sqlite3 "$T/files/spork.db" "select count(*) from cas" 2>/dev/null || echo 0)
[ "$n" = 0 ] && ok "bad passphrase files: no CA recorded" || not_ok "bad files: $n CAs"
head -c 1023 /dev/zero | tr '\0' x > "$T/pf1023"; chmod 600 "$T/pf1023"
expect 0 "a 1023-byte passphrase without a newline is whole" setsid -w $B \
	--passphrase-file "$T/pf1023"
[ ! -s "$T/err" ] && ok "a mode 0600 file: no warning" || not_ok "0600 file warned: $(cat "$T/err")"
export SPORK_STATE_DIR="$T/files644"
printf 'readable by all\n' > "$T/pf644"; chmod 644 "$T/pf644"
expect 0 "a mode 0644 passphrase file is used" setsid -w $B --passphrase-file "$T/pf644"
grep_out "but warned about" "spork: warning: $T/pf644 is readable by group/others \(mode 0644\); chmod 600 it" "$T/err"

# No terminal, no file, no credential: a clear error, nothing created.
export SPORK_STATE_DIR="$T/none"
expect 7 "no passphrase source" setsid -w $B
grep_out "says what to do" "give --passphrase-file FILE" "$T/err"
n=$(sqlite3 "$T/none/spork.db" "select count(*) from cas" 2>/dev/null || echo 0)
[ "$n" = 0 ] && ok "no source: no CA recorded" || not_ok "no source: $n CAs"

# Never from the command line.
expect 2 "no --passphrase option" "$SPORK" pki build "$HIER/2-tier.toml" --passphrase secret
finish
