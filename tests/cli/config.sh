#!/bin/sh
# spork config check and where spork.toml is read from: every problem at
# once with file:line:col, --json, --config / $SPORK_CONFIG /
# <state>/spork.toml, state_dir from an explicit config, [crl] and
# [keys] settings taking effect.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
S="$SPORK_STATE_DIR"
C="$T/spork.toml"

cat > "$C" <<'EOT'
state_dir = "/var/lib/spork"
[keys]
argon2_memory_kib = 8192
argon2_passes = 1
[crl]
next_update = "14d"
delta_next_update = "12h"
EOT
expect 0 "a valid file" "$SPORK" config check "$C"
grep_out "says OK" "^$C: OK$"
expect 0 "--json" "$SPORK" config check --json "$C"
grep_out "valid true" '"valid": true'

cat > "$T/bad.toml" <<'EOT'
state_dir = "relative/path"
stat_dir = 1
[keys]
argon2_passes = 11
argon2_memory_kib = "lots"
pkcs11_modul = "/x.so"
[crl]
next_update = "7 days"
delta_next_update = "0s"
[acme]
EOT
expect 7 "every problem at once: exit 7" "$SPORK" config check "$T/bad.toml"
grep_out "relative state_dir, with its position" \
	"^$T/bad.toml:1:13: error: state_dir must be an absolute path" "$T/err"
grep_out "typo at the top level" \
	"bad.toml:2:1: error: unknown key 'stat_dir'.*did you mean 'state_dir'" "$T/err"
grep_out "passes out of range" \
	"bad.toml:4:17: error: argon2_passes must be between 1 and 10, not 11" "$T/err"
grep_out "wrong type" "bad.toml:5:21: error: argon2_memory_kib must be an integer, not string" "$T/err"
grep_out "typo in [keys]" "unknown key 'pkcs11_modul' in \[keys\]; did you mean 'pkcs11_module'" "$T/err"
grep_out "bad duration" "bad.toml:8:15: error: next_update: '7 days' is not a duration" "$T/err"
grep_out "zero duration" "delta_next_update must be longer than zero" "$T/err"
grep_out "unknown table" "unknown key 'acme' in the top level; see spork.toml\(5\)" "$T/err"
n=$(grep -c ': error: ' "$T/err")
[ "$n" = 8 ] && ok "eight problems, eight lines" || not_ok "eight problems: got $n lines"
expect 7 "--json lists them" "$SPORK" config check --json "$T/bad.toml"
grep_out "valid false" '"valid": false'
n=$(grep -c '"message"' "$T/out")
[ "$n" = 8 ] && ok "eight errors in JSON" || not_ok "eight errors in JSON: got $n"

printf 'state_dir = \n' > "$T/syntax.toml"
expect 7 "not TOML: position and exit 7" "$SPORK" config check "$T/syntax.toml"
grep_out "TOML syntax error with line" "^$T/syntax.toml:1:" "$T/err"
expect 3 "a missing file named on the command line" "$SPORK" config check "$T/nope.toml"
grep_out "says it does not exist" "nope.toml does not exist" "$T/err"
expect 2 "two files: usage" "$SPORK" config check a b

# ---- where the file is found
mkdir -p "$S"
expect 3 "no file in the state directory: check says so" "$SPORK" config check
grep_out "names <state>/spork.toml" "$S/spork.toml does not exist" "$T/err"
cp "$C" "$S/spork.toml"
expect 0 "<state>/spork.toml by default" "$SPORK" config check
grep_out "checks the state directory's file" "^$S/spork.toml: OK"
expect 0 "--config before the command" "$SPORK" config check --config "$T/bad.toml" "$C"
expect 7 "\$SPORK_CONFIG is read" env SPORK_CONFIG="$T/bad.toml" "$SPORK" config check
expect 0 "--config wins over \$SPORK_CONFIG" \
	env SPORK_CONFIG="$T/bad.toml" "$SPORK" config check --config "$S/spork.toml"
rm -f "$S/spork.toml"

# A broken configuration stops every command that reads it.
cp "$T/bad.toml" "$S/spork.toml"
expect 7 "a bad <state>/spork.toml stops pki status" "$SPORK" pki status
grep_out "and names the file and line" "spork.toml:1:13: error:" "$T/err"
rm -f "$S/spork.toml"
expect 3 "--config naming a missing file stops a command" \
	"$SPORK" pki status --config "$T/nope.toml"
# The same when the file is also where the state directory would come from.
expect 7 "a bad --config stops a command that takes its state_dir from it" \
	env -u SPORK_STATE_DIR "$SPORK" pki status --config "$T/bad.toml"
grep_out "with the file's problems" "bad.toml:1:13: error:" "$T/err"
expect 3 "a missing --config, no state directory given" \
	env -u SPORK_STATE_DIR "$SPORK" pki status --config "$T/nope.toml"

# ---- settings take effect
# state_dir from an explicit file, when no --state-dir / $SPORK_STATE_DIR.
printf 'state_dir = "%s"\n' "$T/fromconfig" > "$T/sd.toml"
(unset SPORK_STATE_DIR; "$SPORK" pki build "$HIER/2-tier.toml" $PASSOPT -q \
	--config "$T/sd.toml") >"$T/out" 2>"$T/err"
[ -f "$T/fromconfig/spork.db" ] && ok "state_dir of --config is used" ||
	{ not_ok "state_dir of --config is used"; cat "$T/err"; }
# --state-dir wins over the file's state_dir.
expect 3 "--state-dir wins over state_dir (nothing was built there)" \
	"$SPORK" pki status --config "$T/sd.toml" --state-dir "$S"
grep_out "names the --state-dir directory" "$S has no spork.db" "$T/err"
expect 0 "the state_dir of --config has the CAs" env -u SPORK_STATE_DIR "$SPORK" pki status \
	--config "$T/sd.toml" --json
grep_out "status of the configured directory" "\"state_dir\": \"$T/fromconfig\"" 

# [crl] next_update sets the CRL validity.
S2="$T/fromconfig"
printf '[crl]\nnext_update = "3d"\n' > "$S2/spork.toml"
expect 0 "crl generate with next_update = 3d" "$SPORK" crl generate \
	--state-dir "$S2" --json --ca "Lab Issuing CA"
tu=$(sed -n 's/.*"this_update": "\(.*\)".*/\1/p' "$T/out")
nu=$(sed -n 's/.*"next_update": "\(.*\)".*/\1/p' "$T/out")
d=$(( $(date -d "$nu" +%s) - $(date -d "$tu" +%s) ))
[ "$d" = 259200 ] && ok "nextUpdate - thisUpdate is 3 days" ||
	not_ok "nextUpdate - thisUpdate is $d s, want 259200 ($tu .. $nu)"
expect 0 "--next-update wins over the file" "$SPORK" crl generate \
	--state-dir "$S2" --json --ca "Lab Issuing CA" --next-update 1d
tu=$(sed -n 's/.*"this_update": "\(.*\)".*/\1/p' "$T/out")
nu=$(sed -n 's/.*"next_update": "\(.*\)".*/\1/p' "$T/out")
d=$(( $(date -d "$nu" +%s) - $(date -d "$tu" +%s) ))
[ "$d" = 86400 ] && ok "--next-update 1d" || not_ok "--next-update: $d s"

# ---- [http] trusted_proxies and [tls]: checked with their positions
cat > "$T/proxy.toml" <<'EOT'
[http]
trusted_proxies = ["127.0.0.1", "10.0.0.0/8", "::1", "fd00::/8"]
[tls]
client_certificates = "request"
client_ca = "Lab Issuing CA"
EOT
expect 0 "trusted proxies and a client CA" "$SPORK" config check "$T/proxy.toml"
cat > "$T/proxy-bad.toml" <<'EOT'
[http]
trusted_proxies = ["127.0.0.1", "10.0.0.1/8",
	"proxy.example", 7]
[tls]
client_certificates = "optional"
clientca = "x"
EOT
expect 7 "bad proxies and [tls]" "$SPORK" config check "$T/proxy-bad.toml"
grep_out "host bits, at the entry's position" \
	"proxy-bad.toml:2:33: error: trusted_proxies: .*10.0.0.1/8.* write 10.0.0.0/8" "$T/err"
grep_out "a name is not an address" "proxy-bad.toml:3:2: error: trusted_proxies: .*proxy.example" "$T/err"
grep_out "not a string" "proxy-bad.toml:3:19: error: trusted_proxies: each entry must be a string" "$T/err"
grep_out "an unknown mode" 'proxy-bad.toml:5:23: error: client_certificates must be one of "none", "request" or "require"' "$T/err"
grep_out "a typo in [tls]" "unknown key 'clientca' in \[tls\]; did you mean 'client_ca'" "$T/err"
printf '[http]\ntrusted_proxies = "10.0.0.0/8"\n[tls]\nclient_certificates = "require"\n' > "$T/p2.toml"
expect 7 "a string for the list, require without a CA" "$SPORK" config check "$T/p2.toml"
grep_out "trusted_proxies must be an array" "p2.toml:2:19: error: trusted_proxies must be an array" "$T/err"
grep_out "require needs client_ca" "p2.toml:4:23: error: client_certificates = \"require\" needs client_ca" "$T/err"

# ---- a hostile settings file: the report stops after 50 problems
awk 'BEGIN { for (i = 0; i < 100000; i++) printf "k%d = 1\n", i }' > "$T/many.toml"
expect 7 "config check a file with 100000 unknown keys" "$SPORK" config check "$T/many.toml"
n=$(wc -l < "$T/err")
[ "$n" -le 60 ] && ok "its report is bounded ($n lines)" || not_ok "its report has $n lines"
grep_out "the rest are counted" "many.toml: and 99950 more problems not shown" "$T/err"

finish
