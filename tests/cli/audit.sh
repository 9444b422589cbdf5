#!/bin/sh
# spork audit list | verify: a hierarchy and certificate changes at fixed
# times give rows of several kinds; the list filters; verify on an intact
# log; then rows altered, deleted, inserted and truncated with the
# sqlite3 tool, each named by verify, the database restored in between.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
need sqlite3
export TZ=UTC
S="$SPORK_STATE_DIR"
DB="$S/spork.db"
HEX64='[0-9a-f]{64}'
ME=$(id -u)

# ---- before anything exists
expect 3 "list: no state directory" "$SPORK" audit list
grep_out "says to build first" "does not exist; build a hierarchy first" "$T/err"
expect 3 "verify: no state directory" "$SPORK" audit verify

# ---- history at fixed times: build, issue two, revoke one, renew one
export SPORK_NOW=2026-01-10T08:00:00Z
check "build 2-tier" build_2tier
cat > "$S/domain-policy.toml" <<'EOF'
[[allow]]
pattern = "*.lab.example"
EOF
SPORK_NOW=2026-02-01T09:00:00Z
expect 0 "issue www" "$SPORK" cert issue --cn www.lab.example \
	--key-out "$T/www.key" --out "$T/www.pem"
SPORK_NOW=2026-02-01T10:00:00Z
expect 0 "issue db" "$SPORK" cert issue --cn db.lab.example \
	--key-out "$T/db.key" --out "$T/db.pem"
WWW=$(openssl x509 -in "$T/www.pem" -noout -serial 2>/dev/null | cut -d= -f2)
DBS=$(openssl x509 -in "$T/db.pem" -noout -serial 2>/dev/null | cut -d= -f2)
[ -n "$WWW" ] || WWW=$(sqlite3 "$DB" "SELECT object FROM audit WHERE id = 3")
[ -n "$DBS" ] || DBS=$(sqlite3 "$DB" "SELECT object FROM audit WHERE id = 4")
SPORK_NOW=2026-03-01T11:00:00Z
expect 0 "revoke www" "$SPORK" cert revoke "$WWW" --reason keyCompromise
SPORK_NOW=2026-03-05T12:00:00Z
expect 0 "renew db" "$SPORK" cert renew "$DBS" --out "$T/db2.pem"
NROWS=$(sqlite3 "$DB" "SELECT count(*) FROM audit")
[ "$NROWS" = 6 ] && ok "six rows written" || not_ok "six rows written ($NROWS)"

# ---- list: the whole log
expect 0 "list" "$SPORK" audit list
grep_out "header" '^ID +TIME +ACTOR +UID +ACTION +OBJECT +DETAIL$'
grep_out "row 1: the root CA built, with the real uid" \
	"^ *1  2026-01-10T08:00:00Z  test +$ME +pki\\.build\\.ca +Lab Root CA +\\{.*\"role\":\"root\""
grep_out "row 2: the issuing CA built" \
	"^ *2  2026-01-10T08:00:00Z  test +$ME +pki\\.build\\.ca +Lab Issuing CA +\\{"
grep_out "row 3: www issued" \
	"^ *3  2026-02-01T09:00:00Z  test +$ME +cert\\.issue +$WWW +\\{.*www\\.lab\\.example"
grep_out "row 5: www revoked" \
	"^ *5  2026-03-01T11:00:00Z  test +$ME +cert\\.revoke +$WWW "
grep_out "row 6: db renewed" "^ *6  2026-03-05T12:00:00Z  test +$ME +cert\\.renew "
[ "$(wc -l < "$T/out")" = 7 ] && ok "header and six rows" ||
	not_ok "header and six rows ($(wc -l < "$T/out") lines)"

# lines LIST DESC: the ids printed (first column), space separated
ids() { awk 'NR > 1 { printf "%s%s", sep, $1; sep = " " }' "$T/out"; }
# listed DESC WANT ARGS...: list with ARGS must print exactly the ids WANT
listed() {
	_d=$1 _w=$2; shift 2
	run "$SPORK" audit list "$@"
	if [ "$rc" = 0 ] && [ "$(ids)" = "$_w" ]; then ok "$_d"; else
		not_ok "$_d: exit $rc, ids '$(ids)', want '$_w'"
		sed 's/^/#   /' "$T/err" | head -n 5
	fi
}
listed "--action cert. (prefix)" "3 4 5 6" --action cert.
listed "--action cert.revoke" "5" --action cert.revoke
listed "--action pki" "1 2" --action pki
listed "--object a serial: its issue and its revocation" "3 5" --object "$WWW"
LOWER=$(printf '%s' "$WWW" | tr 'A-F' 'a-f')
listed "--object a serial in lower case" "3 5" --object "$LOWER"
listed "--object a CA name" "2" --object "Lab Issuing CA"
listed "--since a time" "4 5 6" --since 2026-02-01T10:00:00Z
listed "--since a date: from its first second" "3 4 5 6" --since 2026-02-01
listed "--until a date: to its last second" "1 2 3 4" --until 2026-02-01
listed "--until a time" "1 2 3" --until 2026-02-01T09:00:00Z
listed "--since and --until" "3 4 5" --since 2026-02-01 --until 2026-03-01
listed "--since a duration before SPORK_NOW" "5 6" --since 7d
listed "--since @seconds" "6" --since @1772712000
listed "--limit: the newest N, oldest first" "5 6" --limit 2
listed "--limit with a filter" "4 5 6" --action cert. --limit 3
listed "filters combine" "5" --action cert. --object "$WWW" --since 2026-03-01
expect 0 "no row matches: still exit 0" "$SPORK" audit list --action crl.
grep_out "says so on stderr" "no audit rows match" "$T/err"
[ ! -s "$T/out" ] && ok "and prints no table" || not_ok "and prints no table"
expect 0 "-q prints nothing" "$SPORK" audit list -q
[ ! -s "$T/out" ] && ok "-q: empty stdout" || not_ok "-q: empty stdout"

# ---- list: bad command lines
expect 2 "--since yesterday" "$SPORK" audit list --since yesterday
grep_out "says what a TIME is" "--since takes 2026-01-02T03:04:05Z" "$T/err"
expect 2 "--since a bare number is ambiguous" "$SPORK" audit list --since 7
expect 2 "--until a bad date" "$SPORK" audit list --until 2026-13-01
expect 2 "--since after --until" "$SPORK" audit list --since 2026-03-01 \
	--until 2026-02-01
expect 2 "--limit 0" "$SPORK" audit list --limit 0
expect 2 "--limit -3" "$SPORK" audit list --limit -3
expect 2 "--limit x" "$SPORK" audit list --limit x
expect 2 "a positional argument" "$SPORK" audit list cert.issue
expect 2 "unknown option" "$SPORK" audit list --bogus
expect 2 "no command" "$SPORK" audit
expect 2 "unknown command" "$SPORK" audit frobnicate
expect 0 "--help" "$SPORK" audit list --help
grep_out "help lists --since" "--since=TIME"

# ---- list --json
expect 0 "list --json" "$SPORK" audit list --json --object "$WWW"
tr -d '\n' < "$T/out" | sed 's/  */ /g' > "$T/json"
grep_out "count" '^\{ "count": 2, "rows": \[' "$T/json"
grep_out "a row with its fields and hashes" \
	"\{ \"action\": \"cert.revoke\", \"actor\": \"test\", \"detail\": \{[^}]*\}, \"hash\": \"$HEX64\", \"id\": 5, \"object\": \"$WWW\", \"prev_hash\": \"$HEX64\", \"time\": \"2026-03-01T11:00:00Z\", \"ts\": 1772362800, \"uid\": $ME \}" "$T/json"
grep_out "detail is a JSON object, not a string" '"detail": \{ "ca": "Lab Issuing CA"' "$T/json"
expect 0 "list --json with no match" "$SPORK" audit list --json --action nothing.
tr -d '\n' < "$T/out" | sed 's/  */ /g' > "$T/json"
grep_out "an empty array" '^\{ "count": 0, "rows": \[\] ?\}$' "$T/json"

# ---- verify: intact
HEAD=$(sqlite3 "$DB" "SELECT hash FROM audit WHERE id = 6")
expect 0 "verify an intact log" "$SPORK" audit verify
grep_out "intact, with the row count and the head" \
	"^audit log intact: 6 rows, head $HEAD\$"
expect 0 "verify --json" "$SPORK" audit verify --json
tr -d '\n' < "$T/out" | sed 's/  */ /g' > "$T/json"
grep_out "verify --json shape" \
	"^\{ \"head\": \"$HEAD\", \"intact\": true, \"last_id\": 6, \"problems\": \[\], \"rows\": 6 ?\}\$" "$T/json"
expect 2 "verify takes no arguments" "$SPORK" audit verify 3

# ---- tampering with the sqlite3 tool; the database restored in between
sqlite3 "$DB" ".backup '$T/good.db'"
restore() { rm -f "$DB-wal" "$DB-shm"; cp "$T/good.db" "$DB"; }
# tamper DESC SQL: apply SQL to a fresh copy of the good database and run
# verify, which must exit 5
tamper() {
	restore
	if ! sqlite3 "$DB" "$2" 2>"$T/sql.err"; then
		not_ok "$1: sqlite3 failed: $(cat "$T/sql.err")"
		return
	fi
	expect 5 "$1: verify exits 5" "$SPORK" audit verify
	grep_out "$1: summary on stderr" \
		"^spork: the audit log was tampered with: [0-9]+ problems?, first: " "$T/err"
}

tamper "row 2 altered" "UPDATE audit SET actor = 'mallory' WHERE id = 2"
grep_out "names row 2 as altered" \
	'^ALTERED +row 2 was altered: its hash does not match its contents$'
[ "$(wc -l < "$T/out")" = 1 ] && ok "one problem, one line" ||
	not_ok "one problem, one line ($(wc -l < "$T/out"))"
expect 5 "row 2 altered: --json" "$SPORK" audit verify --json
tr -d '\n' < "$T/out" | sed 's/  */ /g' > "$T/json"
grep_out "--json: intact false and the problem" \
	'"intact": false, "last_id": 6, "problems": \[ \{ "id": 2, "kind": "altered", "last_id": 2, "message": "row 2 was altered: its hash does not match its contents" \} \], "rows": 6' "$T/json"
expect 0 "list still shows the altered row" "$SPORK" audit list --object "Lab Issuing CA"
grep_out "with the forged actor" "^ *2 .* mallory +$ME +pki\\.build\\.ca"
expect 5 "-q: nothing on stdout, exit 5" "$SPORK" audit verify -q
[ ! -s "$T/out" ] && grep -q tampered "$T/err" &&
	ok "-q: only the summary on stderr" || not_ok "-q: only the summary on stderr"

tamper "an escape sequence written into a row" \
	"UPDATE audit SET actor = 'evil' || char(27) || '[2J' || char(155) WHERE id = 2"
grep_out "names row 2" '^ALTERED +row 2 was altered'
expect 0 "list a row with control characters" "$SPORK" audit list
grep_out "control characters shown as ?" "^ *2 .* evil\\?\\[2J\\? +$ME +pki\\.build\\.ca"
ESC=$(printf '\033')
! grep -q "$ESC" "$T/out" && ok "no escape character reaches the terminal" ||
	not_ok "no escape character reaches the terminal"

tamper "a detail altered" \
	"UPDATE audit SET detail = '{\"reason\":\"superseded\"}' WHERE id = 5"
grep_out "names row 5" '^ALTERED +row 5 was altered'

tamper "a time altered" "UPDATE audit SET ts = ts - 86400 WHERE id = 3"
grep_out "names row 3" '^ALTERED +row 3 was altered'

tamper "two rows altered" \
	"UPDATE audit SET object = 'X' WHERE id = 3; UPDATE audit SET action = 'cert.issue' WHERE id = 5"
grep_out "names row 3" '^ALTERED +row 3 was altered'
grep_out "and row 5" '^ALTERED +row 5 was altered'
grep_out "the summary counts both" "2 problems, first: row 3" "$T/err"

tamper "row 2 deleted" "DELETE FROM audit WHERE id = 2"
grep_out "names row 2 as deleted" '^DELETED +row 2 was deleted$'

tamper "rows 3 and 4 deleted" "DELETE FROM audit WHERE id IN (3, 4)"
grep_out "names rows 3 to 4" '^DELETED +rows 3 to 4 were deleted$'

tamper "the last row deleted" "DELETE FROM audit WHERE id = 6"
grep_out "names row 6 as truncated" '^TRUNCATED +row 6 was deleted from the end of the log$'

tamper "a forged row appended" \
	"INSERT INTO audit (id, ts, actor, action, object, detail, prev_hash, hash)
	 SELECT 7, ts + 60, 'mallory', 'cert.issue', 'DEADBEEF', NULL, hash,
	        '$(printf '%064d' 0 | tr 0 a)' FROM audit WHERE id = 6"
grep_out "names row 7 as inserted" '^INSERTED +row 7 was inserted'

tamper "a forged row with a copied hash appended" \
	"INSERT INTO audit (id, ts, actor, action, object, detail, prev_hash, hash)
	 SELECT 7, ts, actor, action, object, detail, prev_hash, hash
	 FROM audit WHERE id = 6"
grep_out "names row 7 as inserted" '^INSERTED +row 7 was inserted'

tamper "row 4 replaced by a forged one" \
	"DELETE FROM audit WHERE id = 4;
	 INSERT INTO audit (id, ts, actor, action, object, detail, prev_hash, hash)
	 SELECT 4, ts, 'mallory', 'cert.issue', 'DEADBEEF', NULL, hash,
	        '$(printf '%064d' 0 | tr 0 b)' FROM audit WHERE id = 3"
grep_out "names row 4" '^[A-Z]+ +row 4 '

tamper "the head record removed" "DELETE FROM audit_head"
grep_out "names the head" '^HEAD +the record of the last row written'

tamper "detail made invalid JSON" "UPDATE audit SET detail = 'not json' WHERE id = 4"
grep_out "names row 4" '^ALTERED +row 4 was altered'
expect 0 "list --json shows a bad detail as a string" \
	"$SPORK" audit list --json --limit 3
grep_out "detail as written" '"detail": "not json"'

# ---- the tables against the log (what the chain cannot see)
restore
sqlite3 "$DB" "DELETE FROM revocations WHERE serial = '$WWW'"
expect 0 "with the revocation deleted, www looks valid" "$SPORK" cert list \
	--status valid
grep_out "in the valid list" "^$WWW " "$T/out"
expect 5 "a revocation deleted with sqlite3: verify exits 5" \
	"$SPORK" audit verify
grep_out "names the audit row and the certificate" \
	"^ORPHAN +row 5 revoked certificate $WWW of CA 'Lab Issuing CA', but the database holds no revocation of it: the revocation was deleted\$"
grep_out "summary: the data and the log disagree" \
	"^spork: the database and its audit log disagree: 1 problem, first: row 5 " "$T/err"
expect 5 "--json: intact false" "$SPORK" audit verify --json
grep_out "--json: the orphan" '"kind": "orphan"'
expect 5 "no CRL is signed over it" "$SPORK" crl generate --ca "Lab Issuing CA"
grep_out "names the counts" "has 0 revocations recorded but its revocation events account for 1" "$T/err"

restore
sqlite3 "$DB" "DELETE FROM certificates WHERE serial = '$DBS'"
expect 5 "a certificate deleted: verify exits 5" "$SPORK" audit verify
grep_out "names its issue row" "^ORPHAN +row 4 \(cert\.issue of $DBS, CA 'Lab Issuing CA'\) names a certificate the database does not hold"

restore
sqlite3 "$DB" "INSERT INTO certificates (issuer_ca_id, serial, subject, profile,
	not_before, not_after, der, sha256, source, requester, created_at)
	SELECT issuer_ca_id, 'DEADBEEF', subject, profile, not_before, not_after,
	der, 'x', source, 'mallory', created_at FROM certificates
	WHERE serial = '$DBS'"
expect 5 "a certificate added: verify exits 5" "$SPORK" audit verify
grep_out "names it" "^UNLOGGED +certificate DEADBEEF of CA 'Lab Issuing CA' has no audit row"

restore
sqlite3 "$DB" "INSERT INTO cas (name, role, mode, algorithm, key_uri, subject,
	status, created_at) VALUES ('Evil CA', 'issuing', 'local', 'ecdsa-p256',
	'lockbox:x', 'CN=Evil', 'active', 0)"
expect 5 "a CA added: verify exits 5" "$SPORK" audit verify
grep_out "names it" "^UNLOGGED +CA 'Evil CA' has no audit row"

# ---- restored: intact again, and the chain goes on
restore
expect 0 "restored: intact" "$SPORK" audit verify
grep_out "the same head as before" "^audit log intact: 6 rows, head $HEAD\$"
SPORK_NOW=2026-03-06T12:00:00Z
expect 0 "issue after the restore" "$SPORK" cert issue --cn api.lab.example \
	--key-out "$T/api.key" --out "$T/api.pem"
expect 0 "still intact after a new row" "$SPORK" audit verify
grep_out "seven rows now" "^audit log intact: 7 rows, head $HEX64\$"
expect 4 "a refused issue writes no row" "$SPORK" cert issue \
	--cn www.other.example --key-out "$T/x.key" --out "$T/x.pem"
expect 0 "the log did not grow" "$SPORK" audit verify
grep_out "still seven rows" "^audit log intact: 7 rows"

# ---- refusals: recorded apart from the chain, with the real uid
expect 0 "list --refusals" "$SPORK" audit list --refusals
grep_out "header" '^ID +TIME +ACTOR +UID +ACTION +OBJECT +REFUSED$'
grep_out "the policy denial, with actor and uid" \
	"^ *1  2026-03-06T12:00:00Z  test +$ME +cert\\.issue +www\\.other\\.example +denied: www\\.other\\.example is not allowed"
printf 'not the passphrase\n' > "$T/wrong"
chmod 600 "$T/wrong"
expect 5 "a wrong passphrase" "$SPORK" crl generate --ca "Lab Root CA" \
	--passphrase-file="$T/wrong"
KEY=$(ls "$S"/lockbox/online/*.key | head -n 1)
cp "$KEY" "$T/key.orig"
chmod u+w "$KEY"
# flip the last byte of the sealed key (its tag)
size=$(wc -c < "$KEY")
printf '\377' | dd of="$KEY" bs=1 seek=$((size - 1)) conv=notrunc 2>/dev/null
cmp -s "$KEY" "$T/key.orig" && printf '\000' |
	dd of="$KEY" bs=1 seek=$((size - 1)) conv=notrunc 2>/dev/null
expect 5 "a tampered sealed key, by an actor who names someone else" \
	env SPORK_ACTOR=alice "$SPORK" cert issue --cn api2.lab.example \
	--key-out "$T/api2.key" --out "$T/api2.pem"
cp "$T/key.orig" "$KEY"
expect 0 "list --refusals --json" "$SPORK" audit list --refusals --json
tr -d '\n' < "$T/out" | sed 's/  */ /g' > "$T/json"
grep_out "three refusals" '^\{ "count": 3, ' "$T/json"
grep_out "the wrong passphrase: auth, on the root CA" \
	"\"action\": \"crl.generate\", \"actor\": \"test\", \"detail\": \\{ \"error\": \"auth\", \"message\": \"unsealing the key of 'Lab Root CA': [^\"]*wrong passphrase[^\"]*\" \\}, \"id\": 2, \"object\": \"Lab Root CA\"" "$T/json"
grep_out "the tampered key: the claimed actor and the real uid" \
	"\"action\": \"cert.issue\", \"actor\": \"alice\", \"detail\": \\{ \"error\": \"auth\", [^}]*\\}, \"id\": 3, \"object\": \"api2.lab.example\", \"time\": \"[^\"]*\", \"ts\": [0-9]+, \"uid\": $ME \\}" "$T/json"
! grep -q '"hash"' "$T/json" && ok "refusals carry no hashes" ||
	not_ok "refusals carry no hashes"
listed "--refusals filters by action" "1 3" --refusals --action cert.
expect 0 "refusals leave the chain as it was" "$SPORK" audit verify
grep_out "still seven rows" "^audit log intact: 7 rows"

finish
