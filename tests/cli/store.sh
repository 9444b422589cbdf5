#!/bin/sh
# spork.db alone holds the CA (after every command, also while another
# process holds the database open); spork store backup and check; and a
# copy of the state with one 4 KiB page overwritten, on which issuing and
# CRL generation refuse to sign.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
need sqlite3 dd
export TZ=UTC
S="$SPORK_STATE_DIR"
DB="$S/spork.db"
HEX64='[0-9a-f]{64}'
ICA="Lab Issuing CA"

# n SQL [DB]: one number from the database
n() { sqlite3 "${2:-$DB}" "$1" 2>/dev/null || echo error; }

export SPORK_NOW=2026-01-10T08:00:00Z
check "build 2-tier" build_2tier
cat > "$S/domain-policy.toml" <<'EOF'
[[allow]]
pattern = "*.lab.example"
EOF
for h in a b c d e f; do
	expect 0 "issue $h" "$SPORK" cert issue --cn $h.lab.example \
		--key-out "$T/$h.key" --out "$T/$h.pem" -q
done
A=$(n "SELECT object FROM audit WHERE action = 'cert.issue' ORDER BY id LIMIT 1")
expect 0 "revoke a" "$SPORK" cert revoke "$A" --reason keyCompromise -q
expect 0 "a CRL" "$SPORK" crl generate --ca "$ICA" -q

# ---- spork.db alone holds the CA: copy nothing but spork.db
mkdir "$T/alone"
cp "$DB" "$T/alone/spork.db"
got=$(n "SELECT count(*) FROM certificates" "$T/alone/spork.db")
[ "$got" = 8 ] && ok "spork.db alone holds every certificate" ||
	not_ok "spork.db alone holds every certificate ($got of 8)"
got=$(n "SELECT count(*) FROM revocations" "$T/alone/spork.db")
[ "$got" = 1 ] && ok "and the revocation" || not_ok "and the revocation ($got)"
[ ! -s "$DB-wal" ] && ok "the WAL is empty once no process holds it" ||
	not_ok "the WAL is empty once no process holds it ($(wc -c < "$DB-wal") bytes)"

# another process holds the database open (a reader that never closes):
# a commit still reaches spork.db
mkfifo "$T/fifo"
sqlite3 "$DB" < "$T/fifo" > "$T/reader.out" 2>&1 &
reader=$!
exec 3> "$T/fifo"
echo "SELECT count(*) FROM cas;" >&3
sleep 1
expect 0 "issue while another process holds the database" \
	"$SPORK" cert issue --cn g.lab.example --key-out "$T/g.key" \
	--out "$T/g.pem" -q
cp "$DB" "$T/alone/held.db"
got=$(n "SELECT count(*) FROM certificates" "$T/alone/held.db")
[ "$got" = 9 ] && ok "the new certificate is in spork.db at once" ||
	not_ok "the new certificate is in spork.db at once ($got of 9)"
exec 3>&-
wait "$reader"

# ---- check
expect 0 "check an intact database" "$SPORK" store check
grep_out "says so, with the head" \
	"^database intact: every page readable, audit log intact \(11 rows, head $HEX64\), data and log agree\$"
expect 0 "check --json" "$SPORK" store check --json
tr -d '\n' < "$T/out" | sed 's/  */ /g' > "$T/json"
grep_out "check --json shape" \
	'"audit_rows": 11, "damaged": false, "head": "[0-9a-f]{64}", "ok": true, "problem_count": 0, "problems": \[\]' "$T/json"
expect 2 "check takes no arguments" "$SPORK" store check x
expect 2 "no command" "$SPORK" store
expect 2 "unknown command" "$SPORK" store frobnicate

# ---- backup
HEAD=$(n "SELECT hash FROM audit_head")
expect 0 "backup" "$SPORK" store backup "$T/b.db"
grep_out "written and verified, with the head" \
	"^backup written to $T/b.db and verified: 11 audit rows, head $HEAD\$"
[ -f "$T/b.db" ] && [ ! -e "$T/b.db-wal" ] && [ ! -e "$T/b.db-journal" ] &&
	ok "one self-contained file" || not_ok "one self-contained file"
[ "$(stat -c %a "$T/b.db")" = 600 ] && ok "mode 600" ||
	not_ok "mode 600 ($(stat -c %a "$T/b.db"))"
[ -z "$(ls "$T" | grep '^b\.db\.')" ] && ok "no temporary file left" ||
	not_ok "no temporary file left: $(ls "$T" | grep '^b\.db\.')"
expect 6 "backup over an existing file" "$SPORK" store backup "$T/b.db"
grep_out "says it exists" "b.db exists already" "$T/err"
expect 2 "backup needs a FILE" "$SPORK" store backup
expect 0 "backup --json" "$SPORK" store backup "$T/b2.db" --json
grep_out "backup --json" '"verified": true' "$T/out"

# a backup while other commands write: one consistent snapshot
for h in p q r; do
	"$SPORK" cert issue --cn $h.lab.example --key-out "$T/$h.key" \
		--out "$T/$h.pem" -q &
done
expect 0 "backup while three issues run" "$SPORK" store backup "$T/b3.db"
wait
got=$(n "SELECT count(*) FROM certificates" "$T/b3.db")
[ "$got" -ge 9 ] && [ "$got" -le 12 ] && ok "the copy holds a whole snapshot ($got)" ||
	not_ok "the copy holds a whole snapshot ($got)"

# restore: the backup as spork.db of a state directory with the keys
mkdir "$T/restored"
cp -a "$S/lockbox" "$S/online.kek" "$S/domain-policy.toml" "$T/restored/"
cp "$T/b.db" "$T/restored/spork.db"
expect 0 "the restored copy verifies" env SPORK_STATE_DIR="$T/restored" "$SPORK" audit verify
grep_out "with the head the backup printed" "^audit log intact: 11 rows, head $HEAD\$"
expect 0 "and issues" env SPORK_STATE_DIR="$T/restored" "$SPORK" cert issue \
	--cn h.lab.example --key-out "$T/h.key" --out "$T/h.pem" -q

# a damaged database is not copied as a backup
sqlite3 "$DB" ".backup '$T/good.db'"
restore() { rm -f "$DB-wal" "$DB-shm"; cp "$T/good.db" "$DB"; }
sqlite3 "$DB" "DELETE FROM revocations"
expect 5 "backup of a tampered database: refused" "$SPORK" store backup "$T/b4.db"
grep_out "names the deleted revocation" "the revocation was deleted" "$T/err"
[ ! -e "$T/b4.db" ] && ok "no backup file written" || not_ok "no backup file written"
restore

# ---- one 4 KiB page overwritten (in a copy of the state directory)
# damage TABLE [TYPE [ORDER]]: copy the state to $T/dmg and overwrite a
# page of TABLE (the first of pagetype TYPE in b-tree order, ORDER=DESC:
# the last) with 4096 bytes of 'U'
damage() {
	rm -rf "$T/dmg"
	cp -a "$S" "$T/dmg"
	p=$(sqlite3 "$T/dmg/spork.db" "SELECT pageno FROM dbstat WHERE
		name = '$1' ${2:+AND pagetype = '$2'} ORDER BY path ${3:-}
		LIMIT 1")
	if [ -z "$p" ]; then
		not_ok "no page of $1 found"; return
	fi
	head -c 4096 /dev/zero | tr '\0' U |
		dd of="$T/dmg/spork.db" bs=4096 seek=$((p - 1)) count=1 \
		conv=notrunc 2>/dev/null
}
if ! sqlite3 "$DB" "SELECT count(*) FROM dbstat" >/dev/null 2>&1; then
	echo "# sqlite3 has no dbstat: the damage tests are skipped"
	finish
fi
D="$T/dmg"

damage sqlite_autoindex_revocations_1
expect 1 "an index of revocations damaged: issue refuses" \
	env SPORK_STATE_DIR="$D" "$SPORK" cert issue --cn x.lab.example --key-out "$D/x.key" \
	--out "$D/x.pem"
grep_out "says the database is damaged" "^spork: the database .*/dmg/spork.db is damaged \(.*\); issuing is refused until it is restored from a backup" "$T/err"
[ ! -e "$D/x.pem" ] && ok "no certificate written" || not_ok "no certificate written"
expect 1 "crl generate refuses" env SPORK_STATE_DIR="$D" "$SPORK" crl generate --ca "$ICA"
grep_out "says the database is damaged" "is damaged \(.*\); signing a CRL is refused" "$T/err"
expect 1 "store check: damaged" env SPORK_STATE_DIR="$D" "$SPORK" store check
grep_out "a DAMAGED line" "^DAMAGED +" "$T/out"
grep_out "summary" "^spork: the database .* is damaged: [0-9]+ problems?, first: " "$T/err"

damage certificates leaf
expect 1 "a page of certificates damaged: crl generate refuses" \
	env SPORK_STATE_DIR="$D" "$SPORK" crl generate --ca "$ICA"
expect 1 "store check: damaged" env SPORK_STATE_DIR="$D" "$SPORK" store check
expect 1 "backup of a damaged database: refused" \
	env SPORK_STATE_DIR="$D" "$SPORK" store backup "$T/b5.db"
[ ! -e "$T/b5.db" ] && ok "no backup file written" || not_ok "no backup file written"

damage audit leaf DESC
expect 1 "the last page of the audit log damaged: issue refuses" \
	env SPORK_STATE_DIR="$D" "$SPORK" cert issue --cn x.lab.example --key-out "$D/x2.key" \
	--out "$D/x2.pem"
expect 1 "crl generate refuses" env SPORK_STATE_DIR="$D" "$SPORK" crl generate --ca "$ICA"

# the intact original still works
expect 0 "the original still issues" "$SPORK" cert issue --cn z.lab.example \
	--key-out "$T/z.key" --out "$T/z.pem" -q
expect 0 "and generates a CRL" "$SPORK" crl generate --ca "$ICA" -q

finish
