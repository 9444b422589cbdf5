#!/bin/sh
# spork cert issue | list | show | export | renew | revoke | unhold on a
# 2-tier hierarchy: CSRs from openssl and certtool, keys generated here,
# every profile, every certificate verified by openssl and certtool,
# PKCS#12 read by both, bad input, the domain policy, a fixed clock.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
need certtool openssl sqlite3 faketime
export TZ=UTC
S="$SPORK_STATE_DIR"
C="$S/ca"
ROOT="$C/lab-root-ca.pem"
ICA="$C/lab-issuing-ca.pem"
printf 'pkcs12 password 1\n' > "$T/p12pass"
chmod 600 "$T/p12pass"

# verify DESC CERT: openssl (strict) and certtool both accept the chain
verify() {
	check "$1: openssl verify -x509_strict" openssl verify -x509_strict \
		-CAfile "$ROOT" -untrusted "$ICA" "$2"
	cat "$2" "$ICA" "$ROOT" > "$T/chain.pem"
	check "$1: certtool --verify-chain" certtool --verify-chain \
		--infile "$T/chain.pem"
}
serial_of() { openssl x509 -in "$1" -noout -serial | cut -d= -f2; }
audit_count() {
	sqlite3 "$S/spork.db" "SELECT count(*) FROM audit WHERE action = '$1'"
}
cert_count() { sqlite3 "$S/spork.db" "SELECT count(*) FROM certificates"; }
# json_field NAME: the string value of "NAME" in $T/out
json_field() {
	sed -n "s/^  \"$1\": \"\\(.*\\)\",\{0,1\}\$/\\1/p" "$T/out" | head -n 1
}

# ---- a hierarchy, and no domain policy yet
check "build 2-tier" build_2tier
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout "$T/www.key" -subj "/CN=www.lab.example/O=Example Lab" \
	-addext "subjectAltName=DNS:www.lab.example,IP:10.0.0.5" \
	-out "$T/www.csr" 2>/dev/null
expect 4 "no domain policy: every name denied" \
	"$SPORK" cert issue --csr "$T/www.csr" --out "$T/www.pem"
grep_out "says where the policy goes" \
	"'www.lab.example' is denied: there is no domain policy.*$S/domain-policy.toml" "$T/err"
[ "$(audit_count cert.issue)" = 0 ] && ok "nothing issued without a policy" ||
	not_ok "a certificate was issued without a policy"

cat > "$S/domain-policy.toml" <<'EOF'
[[allow]]
pattern = "*.lab.example"
comment = "the lab"
[[allow]]
pattern = "lab.example"
comment = "the lab's email domain"
[[allow]]
pattern = "10.0.0.0/8"
[[deny]]
pattern = "*.secret.lab.example"
comment = "never certified"
EOF

# ---- a generated key's PKCS#12 password is had before anything is issued
before=$(sqlite3 "$S/spork.db" "select count(*) from certificates")
expect 7 "--pkcs12 with no password source and no terminal" setsid -w \
	"$SPORK" cert issue --cn nopw.lab.example --san dns:nopw.lab.example --pkcs12 "$T/nopw.p12"
grep_out "names the PKCS#12 option" "give --pkcs12-passphrase-file FILE" "$T/err"
expect 3 "--pkcs12-passphrase-file that does not exist" "$SPORK" cert issue \
	--cn nopw.lab.example --san dns:nopw.lab.example --pkcs12 "$T/nopw.p12" \
	--pkcs12-passphrase-file "$T/no-such-file"
mkdir -p "$T/creds"; printf 'ca passphrase\n' > "$T/creds/spork-passphrase"
chmod 600 "$T/creds/spork-passphrase"
expect 7 "the CA passphrase credential is never a PKCS#12 password" env \
	CREDENTIALS_DIRECTORY="$T/creds" setsid -w "$SPORK" cert issue --cn nopw.lab.example \
	--san dns:nopw.lab.example --pkcs12 "$T/nopw.p12" "$PASSOPT"
after=$(sqlite3 "$S/spork.db" "select count(*) from certificates")
[ "$before" = "$after" ] && ok "no certificate recorded without its key's protection" ||
	not_ok "certificates went from $before to $after"
[ ! -e "$T/nopw.p12" ] && ok "no PKCS#12 file written" || not_ok "PKCS#12 file written"

# ---- --out never names the key's file: the certificate would overwrite it
before=$(cert_count)
expect 2 "--key-out k.pem --out ./k.pem refused" sh -c 'cd "$1" && exec "$2" cert issue \
	--cn same.lab.example --san dns:same.lab.example --key-out k.pem --out ./k.pem' \
	sh "$T" "$SPORK"
grep_out "says the two name one file" "--out and --key-out name the same file" "$T/err"
mkdir -p "$T/sub"
expect 2 "--pkcs12 DIR/../k.p12 --out k.p12 refused" "$SPORK" cert issue \
	--cn same.lab.example --san dns:same.lab.example --pkcs12 "$T/sub/../k.p12" \
	--out "$T/k.p12" --pkcs12-passphrase-file "$T/p12pass"
grep_out "names --pkcs12" "--out and --pkcs12 name the same file" "$T/err"
after=$(cert_count)
[ "$before" = "$after" ] && ok "same file for key and certificate: nothing issued" ||
	not_ok "certificates went from $before to $after"
[ ! -e "$T/k.pem" ] && [ ! -e "$T/k.p12" ] && ok "no key file written" ||
	not_ok "a key file was written"

# ---- issue from an openssl CSR
expect 0 "issue from an openssl CSR" \
	"$SPORK" cert issue --csr "$T/www.csr" --out "$T/www.pem"
grep_out "reports serial and validity" "issued [0-9A-F]+ for www.lab.example \(tls-server, CA 'Lab Issuing CA'\), valid until" "$T/err"
verify "openssl CSR" "$T/www.pem"
openssl x509 -in "$T/www.pem" -noout -text > "$T/www.txt"
grep_out "SANs from the CSR" "DNS:www.lab.example, IP Address:10.0.0.5" "$T/www.txt"
grep_out "subject CN from the CSR" "Subject: .*CN ?= ?www.lab.example" "$T/www.txt"
grep_out "subject O from the CSR" "Subject: .*O ?= ?Example Lab" "$T/www.txt"
grep_out "CRL URL of the issuing CA" "URI:http://pki.lab.internal/crl/issuing.crl" "$T/www.txt"
grep_out "OCSP URL of the issuing CA" "OCSP - URI:http://pki.lab.internal/ocsp" "$T/www.txt"
grep_out "serverAuth" "TLS Web Server Authentication" "$T/www.txt"
WWW=$(serial_of "$T/www.pem")
[ "$(audit_count cert.issue)" = 1 ] && ok "issue wrote one audit row" ||
	not_ok "audit rows for cert.issue: $(audit_count cert.issue)"
openssl x509 -in "$T/www.pem" -noout -pubkey > "$T/a.pub"
openssl pkey -in "$T/www.key" -pubout > "$T/b.pub"
cmp -s "$T/a.pub" "$T/b.pub" && ok "certifies the CSR's key" || not_ok "wrong key certified"

# default validity: the profile's 398 days
expect 0 "show --json" "$SPORK" cert show "$WWW" --json
nb=$(date -d "$(json_field not_before)" +%s)
na=$(date -d "$(json_field not_after)" +%s)
[ $((na - nb + 1)) = $((398 * 86400)) ] && ok "default validity 398 days" ||
	not_ok "validity $((na - nb + 1)) s"

# from standard input, with the chain
expect 0 "issue --csr - --chain" sh -c "\"$SPORK\" cert issue --csr - --chain -q < \"$T/www.csr\""
[ "$(grep -c 'BEGIN CERTIFICATE' "$T/out")" = 2 ] && ok "--chain appends the issuing CA" ||
	not_ok "--chain: $(grep -c 'BEGIN CERTIFICATE' "$T/out") certificates"
openssl x509 -in "$T/out" -noout -serial > /dev/null 2>&1 && ok "stdout is PEM" || not_ok "stdout is not PEM"

# DER CSR from certtool
certtool --generate-privkey --key-type=ecdsa --curve=secp384r1 \
	--outfile "$T/ct.key" >/dev/null 2>&1
cat > "$T/ct.tmpl" <<'EOF'
cn = "ct.lab.example"
dns_name = "ct.lab.example"
dns_name = "alt.lab.example"
ip_address = "10.9.9.9"
EOF
certtool --generate-request --load-privkey "$T/ct.key" --template "$T/ct.tmpl" \
	--outder --outfile "$T/ct.csr" >/dev/null 2>&1
expect 0 "issue from a certtool CSR (DER, P-384)" \
	"$SPORK" cert issue --csr "$T/ct.csr" --out "$T/ct.pem" --days 90
verify "certtool CSR" "$T/ct.pem"
openssl x509 -in "$T/ct.pem" -noout -text > "$T/ct.txt"
grep_out "certtool CSR names" "DNS:ct.lab.example, DNS:alt.lab.example, IP Address:10.9.9.9" "$T/ct.txt"

# ---- keys generated here, every profile
expect 2 "a generated key must go somewhere" \
	"$SPORK" cert issue --cn k.lab.example
grep_out "says --key-out or --pkcs12" "--key-out FILE .* or --pkcs12 FILE" "$T/err"
expect 0 "tls-server with a generated key" "$SPORK" cert issue \
	--cn api.lab.example --san dns:api.lab.example,ip:10.1.2.3 \
	--key-out "$T/api.key" --out "$T/api.pem"
verify "generated tls-server" "$T/api.pem"
[ "$(stat -c %a "$T/api.key")" = 600 ] && ok "key file mode 0600" ||
	not_ok "key file mode $(stat -c %a "$T/api.key")"
grep_out "key is PKCS#8" "BEGIN PRIVATE KEY" "$T/api.key"
openssl x509 -in "$T/api.pem" -noout -pubkey > "$T/a.pub"
openssl pkey -in "$T/api.key" -pubout > "$T/b.pub"
cmp -s "$T/a.pub" "$T/b.pub" && ok "generated key matches" || not_ok "generated key mismatch"
expect 6 "an existing key file is not overwritten" "$SPORK" cert issue \
	--cn api.lab.example --key-out "$T/api.key"

expect 0 "tls-client, RSA, PKCS#12" "$SPORK" cert issue --profile tls-client \
	--cn alice --san email:alice@lab.example --key-type rsa-2048 \
	--pkcs12 "$T/alice.p12" --pkcs12-passphrase-file "$T/p12pass" \
	--out "$T/alice.pem"
verify "tls-client" "$T/alice.pem"
check "openssl pkcs12 -info reads it" openssl pkcs12 -info -nokeys \
	-in "$T/alice.p12" -passin "file:$T/p12pass"
openssl pkcs12 -info -nokeys -in "$T/alice.p12" -passin "file:$T/p12pass" \
	> "$T/p12.txt" 2>&1
grep_out "PBES2 AES-256" "PBES2, PBKDF2, AES-256-CBC" "$T/p12.txt"
grep_out "SHA-256 MAC" "MAC: sha256" "$T/p12.txt"
grep_out "chain in the PKCS#12" "subject=.*Lab Issuing CA" "$T/p12.txt"
check "certtool --p12-info reads it" certtool --p12-info --inder \
	--infile "$T/alice.p12" --password "pkcs12 password 1"
openssl pkcs12 -in "$T/alice.p12" -passin "file:$T/p12pass" -nocerts -nodes \
	2>/dev/null | openssl pkey -pubout > "$T/a.pub"
openssl x509 -in "$T/alice.pem" -noout -pubkey > "$T/b.pub"
cmp -s "$T/a.pub" "$T/b.pub" && ok "PKCS#12 key matches the certificate" ||
	not_ok "PKCS#12 key does not match"
[ "$(stat -c %a "$T/alice.p12")" = 600 ] && ok "PKCS#12 mode 0600" ||
	not_ok "PKCS#12 mode $(stat -c %a "$T/alice.p12")"
if openssl pkcs12 -info -nokeys -in "$T/alice.p12" -passin pass:wrong \
	>/dev/null 2>&1; then
	not_ok "PKCS#12 opens with a wrong password"
else
	ok "PKCS#12 refuses a wrong password"
fi

expect 0 "code-signing" "$SPORK" cert issue --profile code-signing \
	--cn "Build Robot" --san uri:https://build.lab.example/robot \
	--key-out "$T/code.key" --out "$T/code.pem"
verify "code-signing" "$T/code.pem"
grep_out "codeSigning EKU" "Code Signing" "$(openssl x509 -in "$T/code.pem" -noout -text > "$T/x.txt"; echo "$T/x.txt")"
expect 0 "email" "$SPORK" cert issue --profile email --cn "Bob" \
	--san email:bob@lab.example --key-type ecdsa-p384 \
	--key-out "$T/mail.key" --out "$T/mail.pem"
verify "email" "$T/mail.pem"
check "openssl: usable for S/MIME" openssl verify -purpose smimesign \
	-CAfile "$ROOT" -untrusted "$ICA" "$T/mail.pem"
expect 0 "ocsp-signing" "$SPORK" cert issue --profile ocsp-signing \
	--cn "Lab OCSP Responder" --key-out "$T/ocsp.key" --out "$T/ocsp.pem" --days 30
verify "ocsp-signing" "$T/ocsp.pem"
expect 0 "ed25519 key" "$SPORK" cert issue --cn ed.lab.example \
	--key-type ed25519 --key-out "$T/ed.key" --out "$T/ed.pem"
verify "ed25519" "$T/ed.pem"
expect 7 "email profile needs an email address" "$SPORK" cert issue \
	--profile email --cn Bob --key-out "$T/x1.key"
expect 7 "tls-server does not carry email names" "$SPORK" cert issue \
	--cn x.lab.example --san email:a@lab.example --key-out "$T/x2.key"
grep_out "names the profile rule" "tls-server profile does not allow email addresses" "$T/err"
expect 2 "unknown key type" "$SPORK" cert issue --cn x.lab.example \
	--key-type dsa-1024 --key-out "$T/x3.key"
expect 3 "unknown profile" "$SPORK" cert issue --csr "$T/www.csr" --profile web

# ---- bad requests
printf 'this is not a request\n' > "$T/junk.csr"
expect 7 "malformed CSR" "$SPORK" cert issue --csr "$T/junk.csr"
grep_out "malformed CSR message" "." "$T/err"
head -c 100 "$T/ct.csr" > "$T/trunc.csr"
expect 7 "truncated DER CSR" "$SPORK" cert issue --csr "$T/trunc.csr"
openssl req -new -newkey rsa:2048 -nodes -keyout "$T/rsa.key" \
	-subj /CN=sig.lab.example -outform DER -out "$T/sig.csr" 2>/dev/null
n=$(wc -c < "$T/sig.csr")
last=$(od -An -tu1 -j $((n - 1)) "$T/sig.csr" | tr -d ' ')
cp "$T/sig.csr" "$T/badsig.csr"
printf "\\$(printf '%03o' $(((last + 1) % 256)))" |
	dd of="$T/badsig.csr" bs=1 seek=$((n - 1)) conv=notrunc 2>/dev/null
expect 0 "the unmodified RSA CSR is fine" "$SPORK" cert issue --csr "$T/sig.csr" -q
expect 7 "CSR with a bad signature" "$SPORK" cert issue --csr "$T/badsig.csr"
grep_out "says the signature is bad" "signature" "$T/err"
openssl req -new -newkey rsa:1024 -nodes -keyout "$T/weak.key" \
	-subj /CN=weak.lab.example -out "$T/weak.csr" 2>/dev/null
expect 7 "RSA-1024 CSR refused" "$SPORK" cert issue --csr "$T/weak.csr"
grep_out "names the weak key" "1024" "$T/err"
expect 3 "missing CSR file" "$SPORK" cert issue --csr "$T/nope.csr"
before=$(cert_count)
expect 3 "an output directory that does not exist" "$SPORK" cert issue \
	--csr "$T/www.csr" --out "$T/no/such/dir/x.pem"
[ "$(cert_count)" = "$before" ] && ok "nothing issued for an unwritable output" ||
	not_ok "issued although the output could not be written"

# ---- the domain policy
before=$(cert_count)
expect 4 "denied by a deny rule" "$SPORK" cert issue --cn db.secret.lab.example \
	--key-out "$T/db.key"
grep_out "names the name and the rule" \
	"db.secret.lab.example.*denied by \[\[deny\]\] #1.*\*\.secret\.lab\.example" "$T/err"
[ ! -e "$T/db.key" ] && ok "no key written when denied" || not_ok "key written though denied"
expect 4 "denied by default" "$SPORK" cert issue --csr "$T/www.csr" \
	--san dns:www.example.org
grep_out "no rule matched" "www.example.org.*no rule" "$T/err"
expect 4 "an IP outside the allowed range" "$SPORK" cert issue --csr "$T/www.csr" \
	--san dns:www.lab.example,ip:192.168.1.1
grep_out "names the address" "192.168.1.1" "$T/err"
expect 4 "the CN is checked too" "$SPORK" cert issue --cn intranet.example.org \
	--san dns:ok.lab.example --key-out "$T/cn.key"
[ "$(cert_count)" = "$before" ] && ok "denied requests record nothing" ||
	not_ok "denied requests recorded certificates"
expect 0 "a wildcard the policy allows" "$SPORK" cert issue \
	--san 'dns:*.apps.lab.example' --key-out "$T/wild.key" --out "$T/wild.pem"
verify "wildcard" "$T/wild.pem"
printf '[[allow]]\npattern = "10.0.0.1/8"\n' > "$T/badpolicy.toml"
cp "$S/domain-policy.toml" "$T/good-policy.toml"
cp "$T/badpolicy.toml" "$S/domain-policy.toml"
expect 7 "a broken policy file is reported with its position" \
	"$SPORK" cert issue --csr "$T/www.csr"
grep_out "policy error has file:line:column" "domain-policy.toml:2:[0-9]+: error:" "$T/err"
cp "$T/good-policy.toml" "$S/domain-policy.toml"

# ---- validity
expect 7 "--days over the profile maximum" "$SPORK" cert issue \
	--csr "$T/www.csr" --days 399
grep_out "says the maximum" "399 days is more than the tls-server profile allows \(at most 398 days\)" "$T/err"
expect 7 "ocsp-signing maximum is 90 days" "$SPORK" cert issue \
	--profile ocsp-signing --cn R --days 91 --key-out "$T/o2.key"
expect 2 "--days 0 is a usage error" "$SPORK" cert issue --csr "$T/www.csr" --days 0
expect 0 "--days 30" "$SPORK" cert issue --csr "$T/www.csr" --days 30 --json
nb=$(date -d "$(json_field not_before)" +%s)
na=$(date -d "$(json_field not_after)" +%s)
[ $((na - nb + 1)) = $((30 * 86400)) ] && ok "30 days exactly" ||
	not_ok "--days 30 gave $((na - nb + 1)) s"
grep_out "--json has the PEM" '"pem": "-----BEGIN CERTIFICATE-----' "$T/out"
grep_out "--json has files" '"files": \{' "$T/out"

# ---- CA choice
expect 3 "unknown --ca" "$SPORK" cert issue --csr "$T/www.csr" --ca "No Such CA"
grep_out "lists the CAs" "no CA named 'No Such CA'; the CAs are: .*'Lab Issuing CA'" "$T/err"
expect 7 "the root does not issue end-entity certificates" \
	"$SPORK" cert issue --csr "$T/www.csr" --ca "Lab Root CA"

# ---- show and export
expect 0 "show SERIAL" "$SPORK" cert show "$WWW"
grep_out "show: status" "^status +valid" "$T/out"
grep_out "show: names" "^names +dns:www.lab.example,ip:10.0.0.5" "$T/out"
grep_out "show: issuer" "^issued by +Lab Issuing CA" "$T/out"
lower=$(printf '%s' "$WWW" | tr 'A-F' 'a-f' | sed 's/\(..\)/\1:/g; s/:$//')
expect 0 "show with lower case and colons" "$SPORK" cert show "$lower"
grep_out "same certificate" "^serial +$WWW" "$T/out"
expect 0 "show FILE" "$SPORK" cert show "$T/www.pem"
grep_out "found by fingerprint" "^serial +$WWW" "$T/out"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout "$T/self.key" -subj /CN=self -out "$T/self.pem" 2>/dev/null
expect 3 "show a certificate this state directory did not issue" \
	"$SPORK" cert show "$T/self.pem"
expect 3 "show an unknown serial" "$SPORK" cert show 0123456789ABCDEF
grep_out "not found says how to list" "no certificate with serial 0123456789ABCDEF.*spork cert list" "$T/err"
expect 3 "show a missing file" "$SPORK" cert show "$T/nope.pem"
grep_out "neither serial nor file" "neither a serial number nor a certificate file" "$T/err"
expect 7 "show a file that is not a certificate" "$SPORK" cert show "$T/www.key"
grep_out "names the file" "www.key: " "$T/err"
expect 0 "export pem" "$SPORK" cert export "$WWW" --out "$T/e.pem"
cmp -s "$T/e.pem" "$T/www.pem" && ok "export pem is the issued certificate" ||
	not_ok "export pem differs"
expect 0 "export der" "$SPORK" cert export "$WWW" --format der --out "$T/e.der"
openssl x509 -inform DER -in "$T/e.der" -out "$T/e2.pem"
cmp -s "$T/e2.pem" "$T/www.pem" && ok "export der is the certificate" ||
	not_ok "export der differs"
expect 0 "export chain" "$SPORK" cert export "$WWW" --format chain --out "$T/e-chain.pem"
[ "$(grep -c 'BEGIN CERTIFICATE' "$T/e-chain.pem")" = 2 ] && ok "chain: cert and issuing CA" ||
	not_ok "chain has $(grep -c 'BEGIN CERTIFICATE' "$T/e-chain.pem") certificates"
check "exported chain verifies" openssl verify -x509_strict -CAfile "$ROOT" \
	-untrusted "$T/e-chain.pem" "$T/e.pem"
expect 0 "export pkcs12" "$SPORK" cert export "$WWW" --format pkcs12 \
	--out "$T/e.p12" --pkcs12-passphrase-file "$T/p12pass"
check "exported PKCS#12 opens (openssl)" openssl pkcs12 -info -nokeys \
	-in "$T/e.p12" -passin "file:$T/p12pass"
check "exported PKCS#12 opens (certtool)" certtool --p12-info --inder \
	--infile "$T/e.p12" --password "pkcs12 password 1"
expect 0 "export --json to a file" "$SPORK" cert export "$WWW" --format chain \
	--out "$T/e-chain2.pem" --json
grep_out "export json" '"chain_certificates": 1' "$T/out"
expect 2 "export: unknown format" "$SPORK" cert export "$WWW" --format jks
expect 3 "export: unknown serial" "$SPORK" cert export ABCDEF

# ---- renew
API=$(serial_of "$T/api.pem")
expect 0 "renew" "$SPORK" cert renew "$API" --out "$T/api2.pem"
verify "renewed" "$T/api2.pem"
openssl x509 -in "$T/api.pem" -noout -pubkey > "$T/a.pub"
openssl x509 -in "$T/api2.pem" -noout -pubkey > "$T/b.pub"
cmp -s "$T/a.pub" "$T/b.pub" && ok "renew keeps the key" || not_ok "renew changed the key"
openssl x509 -in "$T/api.pem" -noout -subject -ext subjectAltName > "$T/a.names"
openssl x509 -in "$T/api2.pem" -noout -subject -ext subjectAltName > "$T/b.names"
cmp -s "$T/a.names" "$T/b.names" && ok "renew keeps subject and names" ||
	not_ok "renew changed subject or names"
[ "$(serial_of "$T/api2.pem")" != "$API" ] && ok "renew draws a new serial" ||
	not_ok "renew reused the serial"
expect 0 "renewed certificate records what it renews" \
	"$SPORK" cert show "$(serial_of "$T/api2.pem")" --json
grep_out "renewal_of" "\"renewal_of\": \"$API\"" "$T/out"
[ "$(audit_count cert.renew)" = 1 ] && ok "renew wrote an audit row" ||
	not_ok "cert.renew audit rows: $(audit_count cert.renew)"
expect 0 "renew --rekey with a generated key" "$SPORK" cert renew "$API" \
	--force --rekey --key-out "$T/api3.key" --out "$T/api3.pem" --days 10
verify "rekeyed" "$T/api3.pem"
openssl x509 -in "$T/api3.pem" -noout -pubkey > "$T/b.pub"
cmp -s "$T/a.pub" "$T/b.pub" && not_ok "rekey kept the key" || ok "rekey certifies a new key"
openssl pkey -in "$T/api3.key" -pubout > "$T/c.pub"
cmp -s "$T/b.pub" "$T/c.pub" && ok "rekey key file matches" || not_ok "rekey key file mismatch"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout "$T/api4.key" -subj /CN=ignored -out "$T/api4.csr" 2>/dev/null
expect 0 "renew --rekey --csr" "$SPORK" cert renew "$API" --rekey \
	--force --csr "$T/api4.csr" --out "$T/api4.pem"
openssl x509 -in "$T/api4.pem" -noout -subject -ext subjectAltName > "$T/b.names"
cmp -s "$T/a.names" "$T/b.names" && ok "rekey by CSR keeps the old names" ||
	not_ok "rekey by CSR took the CSR's names"
openssl req -new -key "$T/api.key" -subj /CN=x -out "$T/same.csr" 2>/dev/null
expect 7 "rekey with the old key is refused" "$SPORK" cert renew "$API" \
	--force --rekey --csr "$T/same.csr"
expect 2 "--csr without --rekey" "$SPORK" cert renew "$API" --csr "$T/api4.csr"
expect 3 "renew an unknown serial" "$SPORK" cert renew 0A0B0C

# ---- revoke and unhold
expect 3 "revoke an unknown serial" "$SPORK" cert revoke 0A0B0C --reason superseded
expect 2 "revoke needs a reason" "$SPORK" cert revoke "$API"
expect 2 "an unknown reason" "$SPORK" cert revoke "$API" --reason because
grep_out "lists the reasons" "keyCompromise" "$T/err"
expect 7 "an invalidity date only with keyCompromise" "$SPORK" cert revoke \
	"$API" --reason superseded --invalidity-date 2026-01-01
expect 0 "revoke keyCompromise with an invalidity date" "$SPORK" cert revoke \
	"$API" --reason key-compromise --invalidity-date 2020-01-02T03:04:05Z --json
grep_out "revocation in JSON" '"reason": "keyCompromise"' "$T/out"
grep_out "invalidity date in JSON" '"invalidity_date": "2020-01-02T03:04:05Z"' "$T/out"
expect 6 "revoking twice" "$SPORK" cert revoke "$API" --reason superseded
grep_out "says when and why" "already revoked \(keyCompromise, since" "$T/err"
expect 7 "a keyCompromise cannot be lifted" "$SPORK" cert unhold "$API"
expect 7 "a revoked certificate is not renewed" "$SPORK" cert renew "$API"
[ "$(audit_count cert.revoke)" = 1 ] && ok "one audit row for the revocation" ||
	not_ok "cert.revoke audit rows: $(audit_count cert.revoke)"
expect 0 "certificateHold" "$SPORK" cert revoke "$WWW" --reason certificateHold
expect 0 "show a held certificate" "$SPORK" cert show "$WWW"
grep_out "status revoked (hold)" "^status +revoked \(certificateHold" "$T/out"
expect 2 "removeFromCRL is not a reason" "$SPORK" cert revoke "$WWW" --reason removeFromCRL
grep_out "points to unhold" "spork cert unhold" "$T/err"
expect 0 "unhold" "$SPORK" cert unhold "$WWW"
expect 0 "show after unhold" "$SPORK" cert show "$WWW"
grep_out "valid again" "^status +valid" "$T/out"
expect 7 "unhold a certificate that is not held" "$SPORK" cert unhold "$WWW"

# revoking a CA certificate needs the parent's key
ICA_SERIAL=$(serial_of "$ICA")
revokes=$(audit_count cert.revoke)
printf 'not the passphrase\n' > "$T/wrongpass"; chmod 600 "$T/wrongpass"
expect 5 "revoking the issuing CA with a wrong root passphrase" \
	"$SPORK" cert revoke "$ICA_SERIAL" --reason cessationOfOperation \
	--passphrase-file "$T/wrongpass"
grep_out "names the parent" "needs the key of its issuer 'Lab Root CA'" "$T/err"
expect 0 "the issuing CA still issues" "$SPORK" cert issue --csr "$T/www.csr" -q
[ "$(audit_count cert.revoke)" = "$revokes" ] && ok "a refused CA revocation leaves no row" ||
	not_ok "cert.revoke audit rows: $(audit_count cert.revoke)"

# ---- list, with a fixed clock
now=$(date +%s)
expect 0 "list" "$SPORK" cert list
grep_out "list header" "^SERIAL +STATUS +NOT AFTER +PROFILE +CA +NAMES" "$T/out"
grep_out "list has the issued certificate" "^$WWW +valid " "$T/out"
expect 0 "list --json" "$SPORK" cert list --json
grep_out "list json count" '"count": [0-9]+' "$T/out"
expect 0 "list --status revoked" "$SPORK" cert list --status revoked
[ "$(grep -c ' revoked ' "$T/out")" = 1 ] && grep -q "^$API " "$T/out" &&
	ok "only the revoked one" || not_ok "--status revoked listed: $(cat "$T/out")"
expect 0 "list --name glob over SANs" "$SPORK" cert list --name 'ct.*'
[ "$(grep -c lab.example "$T/out")" = 1 ] && ok "--name matched one" ||
	not_ok "--name 'ct.*': $(cat "$T/out")"
expect 0 "list --name ip glob" "$SPORK" cert list --name 'ip:10.9.*'
grep_out "--name matches typed SAN" "ip:10.9.9.9" "$T/out"
expect 0 "list --profile email" "$SPORK" cert list --profile email
grep_out "--profile" "email:bob@lab.example" "$T/out"
[ "$(grep -c ' email ' "$T/out")" = 1 ] && ok "only email" || not_ok "--profile email: $(cat "$T/out")"
expect 3 "list --ca unknown" "$SPORK" cert list --ca "No Such CA"
expect 2 "list --status bogus" "$SPORK" cert list --status bogus
expect 2 "list --expiring-within bogus" "$SPORK" cert list --expiring-within 3x

# Certificates issued "in the future" with SPORK_NOW: 5 and 60 days,
# starting in 10 days.
t0=$((now + 10 * 86400))
expect 0 "issue at a fixed clock (5 days)" env SPORK_NOW=$t0 "$SPORK" cert issue \
	--cn short.lab.example --key-out "$T/short.key" --out "$T/short.pem" --days 5
expect 0 "issue at a fixed clock (60 days)" env SPORK_NOW=$t0 "$SPORK" cert issue \
	--cn long.lab.example --key-out "$T/long.key" --out "$T/long.pem" --days 60
SHORT=$(serial_of "$T/short.pem")
LONG=$(serial_of "$T/long.pem")
when=$(date -u -d "@$((t0 + 3600))" '+%Y-%m-%d %H:%M:%S')
check "openssl verify at that time (faketime)" faketime "$when" \
	openssl verify -x509_strict -CAfile "$ROOT" -untrusted "$ICA" "$T/short.pem"
if openssl verify -CAfile "$ROOT" -untrusted "$ICA" "$T/short.pem" >/dev/null 2>&1; then
	not_ok "not yet valid at the real time"
else
	ok "not yet valid at the real time"
fi
expect 0 "expiring within 7d, 2 days later" env SPORK_NOW=$((t0 + 2 * 86400)) \
	"$SPORK" cert list --expiring-within 7d
grep -q "^$SHORT " "$T/out" && ! grep -q "^$LONG " "$T/out" &&
	ok "only the 5-day certificate expires within 7d" ||
	not_ok "--expiring-within 7d: $(cat "$T/out")"
expect 0 "expiring within 168h" env SPORK_NOW=$((t0 + 2 * 86400)) \
	"$SPORK" cert list --expiring-within 168h
grep -q "^$SHORT " "$T/out" && ok "hours work" || not_ok "168h"
expect 0 "10 days later, expired" env SPORK_NOW=$((t0 + 10 * 86400)) \
	"$SPORK" cert list --status expired
grep -Eq "^$SHORT +expired" "$T/out" && ! grep -q "^$LONG " "$T/out" &&
	ok "the 5-day certificate is expired" || not_ok "--status expired: $(cat "$T/out")"
expect 0 "10 days later, valid" env SPORK_NOW=$((t0 + 10 * 86400)) \
	"$SPORK" cert list --status valid --name '*.lab.example'
grep -Eq "^$LONG +valid" "$T/out" && ! grep -q "^$SHORT " "$T/out" &&
	ok "the 60-day certificate is still valid" || not_ok "--status valid: $(cat "$T/out")"
expect 0 "RFC 3339 SPORK_NOW" env SPORK_NOW="$(date -u -d "@$((t0 + 10 * 86400))" +%Y-%m-%dT%H:%M:%SZ)" \
	"$SPORK" cert list --status expired
grep -q "^$SHORT " "$T/out" && ok "SPORK_NOW as RFC 3339" || not_ok "SPORK_NOW RFC 3339"

# ---- -q and usage
expect 0 "-q prints nothing on success" "$SPORK" cert issue --csr "$T/www.csr" \
	--out "$T/q.pem" -q
[ ! -s "$T/out" ] && [ ! -s "$T/err" ] && ok "-q is quiet" || not_ok "-q printed something"
expect 2 "no command" "$SPORK" cert
expect 2 "unknown command" "$SPORK" cert frobnicate
expect 2 "issue without a request or names" "$SPORK" cert issue
expect 2 "--key-type with --csr" "$SPORK" cert issue --csr "$T/www.csr" --key-type rsa-2048
expect 0 "help" "$SPORK" cert --help
grep_out "help lists revoke" "revoke" "$T/out"

# ---- a 3-tier hierarchy: longer chain, name constraints, policies,
# delta CRL and caIssuers URLs
S3="$T/state3"
check "build 3-tier" "$SPORK" pki build "$HIER/3-tier.toml" --state-dir "$S3" "$PASSOPT" -q
C3="$S3/ca"
printf '[[allow]]\npattern = "*.example.internal"\n[[allow]]\npattern = "*.example.org"\n' \
	> "$S3/domain-policy.toml"
expect 0 "3-tier: issue" "$SPORK" cert issue --state-dir "$S3" \
	--cn www.example.internal --key-out "$T/t3.key" --out "$T/t3.pem"
check "3-tier: openssl verify -x509_strict" openssl verify -x509_strict \
	-CAfile "$C3/spork-root-ca.pem" -untrusted "$C3/spork-tls-policy-ca.pem" \
	-untrusted "$C3/spork-tls-web-server-issuing-ca.pem" "$T/t3.pem"
cat "$T/t3.pem" "$C3/spork-tls-web-server-issuing-ca-chain.pem" > "$T/t3-full.pem"
check "3-tier: certtool --verify-chain" certtool --verify-chain --infile "$T/t3-full.pem"
openssl x509 -in "$T/t3.pem" -noout -text > "$T/t3.txt"
grep_out "3-tier: freshestCRL from delta_crl_urls" "Freshest CRL" "$T/t3.txt"
grep_out "3-tier: delta CRL URL" "URI:http://pki.example.internal/crl/tls-issuing-delta.crl" "$T/t3.txt"
grep_out "3-tier: caIssuers" "CA Issuers - URI:http://pki.example.internal/ca/tls-issuing.crt" "$T/t3.txt"
grep_out "3-tier: the CA's policy OID" "Policy: 1.3.6.1.4.1.56266.1.1.1" "$T/t3.txt"
expect 0 "3-tier: export chain" "$SPORK" cert export --state-dir "$S3" \
	"$(serial_of "$T/t3.pem")" --format chain
[ "$(grep -c 'BEGIN CERTIFICATE' "$T/out")" = 3 ] && ok "3-tier chain: leaf, issuing, policy CA" ||
	not_ok "3-tier chain has $(grep -c 'BEGIN CERTIFICATE' "$T/out") certificates"
expect 7 "3-tier: a name outside the CA's name constraints" "$SPORK" cert issue \
	--state-dir "$S3" --cn www.example.org --key-out "$T/t3b.key"
grep_out "names the constraint" "'www.example.org' is outside the nameConstraints of the CA certificate CN=SPORK TLS Web Server Issuing CA" "$T/err"
[ ! -e "$T/t3b.key" ] && ok "nothing written" || not_ok "key written for a refused name"

# ---- two issuing CAs: --ca chooses
S4="$T/state4"
cat > "$T/two.toml" <<'EOF'
[root]
common_name = "Two Root"
algorithm = "ecdsa-p256"
validity_years = 10
key = "offline"
[[issuing_cas]]
common_name = "Web CA"
algorithm = "ecdsa-p256"
validity_years = 2
key = "online"
[[issuing_cas]]
common_name = "Client CA"
algorithm = "ecdsa-p256"
validity_years = 2
key = "online"
EOF
check "build two issuing CAs" "$SPORK" pki build "$T/two.toml" --state-dir "$S4" "$PASSOPT" -q
printf '[[allow]]\npattern = "*.lab.example"\n[[allow]]\npattern = "10.0.0.0/8"\n' \
	> "$S4/domain-policy.toml"
expect 7 "several issuing CAs and no --ca" "$SPORK" cert issue --state-dir "$S4" \
	--csr "$T/www.csr"
grep_out "lists the choices" "2 issuing CAs \('Web CA', 'Client CA'\)" "$T/err"
expect 0 "--ca picks one" "$SPORK" cert issue --state-dir "$S4" --csr "$T/www.csr" \
	--ca "Client CA" --json
grep_out "issued by the chosen CA" '"ca": "Client CA"' "$T/out"
expect 0 "list --ca" "$SPORK" cert list --state-dir "$S4" --ca "Web CA" --profile tls-server
[ "$(wc -l < "$T/out")" = 0 ] && ok "Web CA issued no tls-server certificate" ||
	not_ok "list --ca 'Web CA': $(cat "$T/out")"

# ---- last: revoke the issuing CA itself (with the root's passphrase)
expect 0 "revoke the issuing CA's certificate" "$SPORK" cert revoke \
	"$ICA_SERIAL" --reason cessationOfOperation "$PASSOPT"
expect 6 "revoking it again" "$SPORK" cert revoke "$ICA_SERIAL" \
	--reason superseded "$PASSOPT"
expect 3 "a revoked CA is no longer a default issuing CA" \
	"$SPORK" cert issue --csr "$T/www.csr"
expect 7 "a revoked CA issues nothing" "$SPORK" cert issue --csr "$T/www.csr" \
	--ca "Lab Issuing CA"
grep_out "says the CA is revoked" "CA 'Lab Issuing CA' is revoked" "$T/err"

finish
