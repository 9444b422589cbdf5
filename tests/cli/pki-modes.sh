#!/bin/sh
# Subordinate (external CA signs the CSR), PKCS#12 import and PKCS#11
# (SoftHSM2) hierarchies, verified with certtool and openssl.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
need certtool openssl sqlite3
D="$top_srcdir/tests/data/hier"

# An "external" enterprise root made with certtool.
cat > "$T/ext.tmpl" <<'EOT'
cn = "Corp Enterprise Root CA"
ca
cert_signing_key
crl_signing_key
expiration_days = 3650
EOT
certtool --generate-privkey --key-type ecdsa --curve secp384r1 --outfile "$T/ext.key" 2>/dev/null
certtool --generate-self-signed --load-privkey "$T/ext.key" --template "$T/ext.tmpl" \
	--outfile "$T/external-root.pem" 2>/dev/null
cp "$HIER/subordinate.toml" "$T/sub.toml"

# ---- subordinate, step 1: CSR
export SPORK_STATE_DIR="$T/sub"
expect 0 "subordinate build writes a CSR" "$SPORK" pki build "$T/sub.toml" "$PASSOPT"
grep_out "tells the next command" "spork pki import-cert .* --ca 'Corp Issuing CA' --cert SIGNED.pem" "$T/out"
CSR="$T/sub/ca/corp-issuing-ca.csr"
check "CSR verifies" openssl req -in "$CSR" -noout -verify
expect 0 "status shows pending" "$SPORK" pki status
grep_out "pending" "Corp Issuing CA \[issuing\] pending" "$T/out"
expect 0 "building again waits" "$SPORK" pki build "$T/sub.toml" "$PASSOPT"
grep_out "waiting" "Corp Issuing CA \[issuing\] waiting" "$T/out"
grep_out "says what it waits for" "Nothing to do until Corp Enterprise Root CA signs the pending request; 1 CA is waiting" "$T/out"

# The external CA signs it.
cat > "$T/sub.tmpl" <<'EOT'
ca
cert_signing_key
crl_signing_key
path_len = 0
expiration_days = 1000
honor_crq_extensions
EOT
certtool --generate-certificate --load-request "$CSR" --load-ca-certificate "$T/external-root.pem" \
	--load-ca-privkey "$T/ext.key" --template "$T/sub.tmpl" --outfile "$T/signed.pem" 2>/dev/null

# A certificate for another key must be refused.
certtool --generate-privkey --key-type ecdsa --outfile "$T/other.key" 2>/dev/null
certtool --generate-request --load-privkey "$T/other.key" --template "$T/sub.tmpl" \
	--outfile "$T/other.csr" 2>/dev/null <<'EOT'
EOT
certtool --generate-certificate --load-request "$T/other.csr" --load-ca-certificate "$T/external-root.pem" \
	--load-ca-privkey "$T/ext.key" --template "$T/sub.tmpl" --outfile "$T/other.pem" 2>/dev/null
expect 7 "certificate for another key refused" "$SPORK" pki import-cert "$T/sub.toml" \
	--ca "Corp Issuing CA" --cert "$T/other.pem"
grep_out "says why" "does not certify the key of the request" "$T/err"
expect 3 "unknown CA name" "$SPORK" pki import-cert "$T/sub.toml" --ca "Nope" --cert "$T/signed.pem"

# ---- subordinate, step 2
expect 0 "import-cert finishes" "$SPORK" pki import-cert "$T/sub.toml" --ca "Corp Issuing CA" --cert "$T/signed.pem"
check "chain to the external root (openssl)" openssl verify -x509_strict -CAfile "$T/external-root.pem" \
	"$T/sub/ca/corp-issuing-ca.pem"
check "chain file verifies (certtool)" certtool --verify-chain --infile "$T/sub/ca/corp-issuing-ca-chain.pem"
expect 6 "import twice refused" "$SPORK" pki import-cert "$T/sub.toml" --ca "Corp Issuing CA" --cert "$T/signed.pem"
expect 0 "status shows active" "$SPORK" pki status
grep_out "active" "Corp Issuing CA \[issuing\] active" "$T/out"

# ---- subordinate with a policy CA under the external CA: the external
# CA's certificate must leave room for the issuing CA below it
cat > "$T/sub3.toml" <<'EOT'
[external]
name = "Corp Enterprise Root CA"
certificate = "external-root.pem"
[[policy_cas]]
common_name = "Corp Policy CA"
validity_years = 3
[[policy_cas.issuing_cas]]
common_name = "Corp Issuing Two"
validity_years = 2
EOT
export SPORK_STATE_DIR="$T/sub3"
expect 0 "subordinate preview" "$SPORK" pki preview "$T/sub3.toml"
grep_out "preview says which become requests" "build would create 2 CAs \(1 of them as a request for Corp Enterprise Root CA to sign\)" "$T/out"
expect 0 "subordinate policy CA: CSR" "$SPORK" pki build "$T/sub3.toml" "$PASSOPT"
certtool --generate-certificate --load-request "$T/sub3/ca/corp-policy-ca.csr" \
	--load-ca-certificate "$T/external-root.pem" --load-ca-privkey "$T/ext.key" \
	--template "$T/sub.tmpl" --outfile "$T/p0.pem" 2>/dev/null
expect 7 "pathLen 0 cannot hold the issuing CA below" "$SPORK" pki import-cert "$T/sub3.toml" \
	--ca "Corp Policy CA" --cert "$T/p0.pem" "$PASSOPT"
grep_out "says why" "has pathLenConstraint 0; the 1 level of CA below it" "$T/err"
expect 0 "still pending" "$SPORK" pki status
grep_out "pending" "Corp Policy CA \[policy\] pending" "$T/out"
sed 's/path_len = 0/path_len = 1/' "$T/sub.tmpl" > "$T/sub-p1.tmpl"
certtool --generate-certificate --load-request "$T/sub3/ca/corp-policy-ca.csr" \
	--load-ca-certificate "$T/external-root.pem" --load-ca-privkey "$T/ext.key" \
	--template "$T/sub-p1.tmpl" --outfile "$T/p1.pem" 2>/dev/null
expect 0 "a certificate with room is imported, and the rest built" "$SPORK" pki import-cert \
	"$T/sub3.toml" --ca "Corp Policy CA" --cert "$T/p1.pem" "$PASSOPT"
check "issuing CA chains to the external root" openssl verify -x509_strict \
	-CAfile "$T/external-root.pem" -untrusted "$T/sub3/ca/corp-policy-ca.pem" \
	"$T/sub3/ca/corp-issuing-two.pem"

# ---- PKCS#12 import
cat > "$T/mig.tmpl" <<'EOT'
cn = "Migrated Issuing CA"
ca
cert_signing_key
crl_signing_key
expiration_days = 1000
EOT
certtool --generate-privkey --key-type ecdsa --outfile "$T/mig.key" 2>/dev/null
certtool --generate-self-signed --load-privkey "$T/mig.key" --template "$T/mig.tmpl" \
	--outfile "$T/mig.pem" 2>/dev/null
printf 'p12-secret\n' > "$T/p12.pass"
openssl pkcs12 -export -inkey "$T/mig.key" -in "$T/mig.pem" -passout pass:p12-secret \
	-out "$T/existing-ca.p12" 2>/dev/null
cp "$HIER/import.toml" "$T/import.toml"
export SPORK_STATE_DIR="$T/imp"
printf 'nope\n' > "$T/p12.wrong"
expect 5 "wrong PKCS#12 password" "$SPORK" pki build "$T/import.toml" --pkcs12-passphrase-file "$T/p12.wrong"
expect 0 "import builds" "$SPORK" pki build "$T/import.toml" --pkcs12-passphrase-file "$T/p12.pass"
grep_out "imported" "Migrated Issuing CA \[issuing\] imported" "$T/out"
cmp -s "$T/imp/ca/migrated-issuing-ca.pem" "$T/mig.pem" && ok "certificate kept as is" || not_ok "certificate differs"
expect 0 "import again is a no-op" "$SPORK" pki build "$T/import.toml" --pkcs12-passphrase-file "$T/p12.pass"
grep_out "nothing to do" "Nothing to do" "$T/out"
if grep -rq "PRIVATE KEY" "$T/imp"; then not_ok "imported key in plaintext"; else ok "imported key sealed"; fi
# The raw private scalar and the PKCS#8 DER of the imported key appear in
# no file of the state directory.
scalar=$(openssl ec -in "$T/mig.key" -text -noout 2>/dev/null |
	sed -n '/^priv:/,/^pub:/p' | sed '1d;$d' | tr -d ' :\n')
pk8=$(openssl pkcs8 -topk8 -nocrypt -in "$T/mig.key" -outform DER | od -An -v -tx1 | tr -d ' \n')
found=0
for f in $(find "$T/imp" -type f); do
	h=$(od -An -v -tx1 "$f" | tr -d ' \n')
	case $h in *"$scalar"*|*"$pk8"*) found=1; echo "# key bytes in $f" ;; esac
done
[ ${#scalar} -ge 60 ] && [ $found = 0 ] && ok "no raw key bytes (scalar, PKCS#8 DER) in the state directory" ||
	not_ok "raw key bytes found (scalar length ${#scalar})"

# An imported CA can grow: CAs added below it are built alone.
cp "$T/import.toml" "$T/import-grow.toml"
printf '\n[[issuing_cas]]\ncommon_name = "Under Migrated CA"\nvalidity_days = 300\n' >> "$T/import-grow.toml"
expect 0 "add an issuing CA under the imported CA" "$SPORK" pki build "$T/import-grow.toml" \
	--pkcs12-passphrase-file "$T/p12.pass" "$PASSOPT"
[ "$(grep -c ' created$' "$T/out")" = 1 ] && ok "only the new CA was built" || not_ok "created: $(grep -c ' created$' "$T/out")"
check "it chains to the imported CA" openssl verify -x509_strict -CAfile "$T/mig.pem" \
	"$T/imp/ca/under-migrated-ca.pem"
printf '\n[[issuing_cas]]\ncommon_name = "Too Long Under Migrated"\nvalidity_years = 9\n' >> "$T/import-grow.toml"
expect 7 "a CA outliving the imported one is refused" "$SPORK" pki build "$T/import-grow.toml" \
	--pkcs12-passphrase-file "$T/p12.pass" "$PASSOPT"
grep_out "names both" "'Too Long Under Migrated' would outlive its parent 'Migrated Issuing CA'" "$T/err"

# A PKCS#12 whose certificate is not a CA is refused.
cat > "$T/leaf.tmpl" <<'EOT'
cn = "not a ca"
tls_www_server
dns_name = "x.example.com"
EOT
certtool --generate-self-signed --load-privkey "$T/mig.key" --template "$T/leaf.tmpl" --outfile "$T/leaf.pem" 2>/dev/null
openssl pkcs12 -export -inkey "$T/mig.key" -in "$T/leaf.pem" -passout pass:p12-secret \
	-out "$T/existing-ca.p12" 2>/dev/null
export SPORK_STATE_DIR="$T/imp2"
expect 7 "non-CA PKCS#12 refused" "$SPORK" pki build "$T/import.toml" --pkcs12-passphrase-file "$T/p12.pass"
grep_out "says not a CA" "not a CA certificate" "$T/err"

# ---- CA certificates from outside that verifiers may refuse: refused
# unless --force, which the audit row records
cat > "$T/nc.cnf" <<'EOT'
basicConstraints = CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EOT
export SPORK_STATE_DIR="$T/subnc"
expect 0 "subordinate CSR (for a non-critical basicConstraints)" "$SPORK" pki build "$T/sub.toml" "$PASSOPT"
openssl x509 -req -in "$T/subnc/ca/corp-issuing-ca.csr" -CA "$T/external-root.pem" -CAkey "$T/ext.key" \
	-CAcreateserial -days 1000 -extfile "$T/nc.cnf" -out "$T/nc.pem" 2>/dev/null
expect 7 "import-cert: basicConstraints not critical refused" "$SPORK" pki import-cert "$T/sub.toml" \
	--ca "Corp Issuing CA" --cert "$T/nc.pem"
grep_out "says why" "basicConstraints extension is not critical" "$T/err"
grep_out "names --force" "give --force to accept it anyway" "$T/err"
expect 0 "import-cert --force accepts it" "$SPORK" pki import-cert "$T/sub.toml" \
	--ca "Corp Issuing CA" --cert "$T/nc.pem" --force
grep_out "and warns" "warning: imported the certificate of 'Corp Issuing CA' with --force: its basicConstraints" "$T/err"
sqlite3 "$T/subnc/spork.db" "select detail from audit where action = 'pki.import.cert'" > "$T/detail"
grep_out "audit row records what was forced" '"forced":\["its basicConstraints extension is not critical' "$T/detail"
expect 0 "audit chain intact" "$SPORK" audit verify

export SPORK_STATE_DIR="$T/sublong"
expect 0 "subordinate CSR (for a certificate outliving its issuer)" "$SPORK" pki build "$T/sub.toml" "$PASSOPT"
sed 's/expiration_days = 1000/expiration_days = 5000/' "$T/sub.tmpl" > "$T/long.tmpl"
certtool --generate-certificate --load-request "$T/sublong/ca/corp-issuing-ca.csr" \
	--load-ca-certificate "$T/external-root.pem" --load-ca-privkey "$T/ext.key" \
	--template "$T/long.tmpl" --outfile "$T/long.pem" 2>/dev/null
expect 7 "import-cert: a certificate outliving the external CA refused" "$SPORK" pki import-cert \
	"$T/sub.toml" --ca "Corp Issuing CA" --cert "$T/long.pem"
grep_out "says why" "it expires .*, after its issuer" "$T/err"
expect 0 "still pending" "$SPORK" pki status
grep_out "pending" "Corp Issuing CA \[issuing\] pending" "$T/out"

# PKCS#12: a self-signed CA certificate with a non-critical basicConstraints
sed '/authorityKeyIdentifier/d; s/, pathlen:0//' "$T/nc.cnf" > "$T/ncself.cnf"
openssl req -new -key "$T/mig.key" -subj "/CN=Migrated Issuing CA" -out "$T/mig.csr" 2>/dev/null
openssl x509 -req -in "$T/mig.csr" -signkey "$T/mig.key" -days 1000 -extfile "$T/ncself.cnf" \
	-out "$T/migself.pem" 2>/dev/null
openssl pkcs12 -export -inkey "$T/mig.key" -in "$T/migself.pem" -passout pass:p12-secret \
	-out "$T/existing-ca.p12" 2>/dev/null
export SPORK_STATE_DIR="$T/impnc"
expect 7 "PKCS#12: basicConstraints not critical refused" "$SPORK" pki build "$T/import.toml" \
	--pkcs12-passphrase-file "$T/p12.pass"
grep_out "says why" "basicConstraints extension is not critical" "$T/err"
n=$(sqlite3 "$T/impnc/spork.db" "select count(*) from cas" 2>/dev/null || echo 0)
[ "$n" = 0 ] && ok "refused: no CA recorded" || not_ok "refused import recorded $n CAs"
[ -z "$(find "$T/impnc/lockbox" -type f 2>/dev/null)" ] && ok "refused: no key sealed" || not_ok "refused import left a key"

# PKCS#12: an intermediate that outlives the root in the same file
sed -i 's/^basicConstraints = /basicConstraints = critical, /' "$T/nc.cnf"
openssl x509 -req -in "$T/mig.csr" -CA "$T/external-root.pem" -CAkey "$T/ext.key" -CAcreateserial \
	-days 5000 -extfile "$T/nc.cnf" -out "$T/miglong.pem" 2>/dev/null
openssl pkcs12 -export -inkey "$T/mig.key" -in "$T/miglong.pem" -certfile "$T/external-root.pem" \
	-passout pass:p12-secret -out "$T/existing-ca.p12" 2>/dev/null
export SPORK_STATE_DIR="$T/implong"
expect 7 "PKCS#12: a CA certificate outliving its issuer refused" "$SPORK" pki build "$T/import.toml" \
	--pkcs12-passphrase-file "$T/p12.pass"
grep_out "says why" "it expires .*, after its issuer" "$T/err"
expect 0 "PKCS#12 --force imports it" "$SPORK" pki build "$T/import.toml" \
	--pkcs12-passphrase-file "$T/p12.pass" --force
grep_out "and warns" "warning: imported 'Migrated Issuing CA' with --force: it expires" "$T/err"
sqlite3 "$T/implong/spork.db" "select detail from audit where action = 'pki.build.import'" > "$T/detail"
grep_out "audit row records what was forced" '"forced":\["it expires' "$T/detail"

# ---- PKCS#11 (SoftHSM2)
if command -v softhsm2-util >/dev/null 2>&1 && [ -f /usr/lib/softhsm/libsofthsm2.so ]; then
	mkdir -p "$T/tokens"
	printf 'directories.tokendir = %s\nobjectstore.backend = file\n' "$T/tokens" > "$T/softhsm2.conf"
	export SOFTHSM2_CONF="$T/softhsm2.conf"
	export SPORK_PKCS11_MODULE=/usr/lib/softhsm/libsofthsm2.so
	softhsm2-util --init-token --free --label spork --pin 1234 --so-pin 5678 >/dev/null
	export SPORK_STATE_DIR="$T/hsm"
	expect 0 "build with keys in SoftHSM2" "$SPORK" pki build "$D/pkcs11.toml"
	check "HSM chain (openssl)" openssl verify -x509_strict -CAfile "$T/hsm/ca/hsm-root-ca.pem" "$T/hsm/ca/hsm-issuing-ca.pem"
	check "HSM chain (certtool)" certtool --verify-chain --infile "$T/hsm/ca/hsm-issuing-ca-chain.pem"
	[ -z "$(ls -A "$T/hsm/lockbox" 2>/dev/null)" ] && ok "no lockbox file for token keys" || not_ok "lockbox used"
	expect 0 "status shows pkcs11" "$SPORK" pki status
	grep_out "pkcs11 key" "key +pkcs11; online: no" "$T/out"
	n=$(sqlite3 "$T/hsm/spork.db" "select (select count(*) from cas where key_uri like '%pin-value%'
		or config_json like '%pin-value%') + (select count(*) from audit where detail like '%pin-value%')")
	[ "$n" = 0 ] && ok "the PIN is in no CA row, definition or audit row" || not_ok "PIN stored in $n rows"
	expect 0 "status --json" "$SPORK" pki status --json
	if grep -q 1234 "$T/out"; then not_ok "status shows the PIN"; else ok "status does not show the PIN"; fi
	expect 0 "preview shows no PIN" "$SPORK" pki preview "$D/pkcs11.toml"
	if grep -q 'pin-value' "$T/out"; then not_ok "preview shows the PIN"; else ok "preview hides the PIN"; fi
	grep_out "and nothing changed by hiding it" "build would create 0 CAs; 2 unchanged" "$T/out"
	# Later uses take the PIN from the passphrase sources.
	sed 's/;pin-value=1234//' "$D/pkcs11.toml" > "$T/hsm-grow.toml"
	printf '\n[[issuing_cas]]\ncommon_name = "HSM Issuing Two"\nvalidity_years = 1\nkey = "online"\n' >> "$T/hsm-grow.toml"
	printf '1234\n' > "$T/pin"; chmod 600 "$T/pin"
	expect 0 "grow the token hierarchy, PIN from --passphrase-file" "$SPORK" pki build \
		"$T/hsm-grow.toml" --passphrase-file "$T/pin"
	check "new CA chains to the token root" openssl verify -x509_strict \
		-CAfile "$T/hsm/ca/hsm-root-ca.pem" "$T/hsm/ca/hsm-issuing-two.pem"
else
	not_ok "softhsm2 not installed (the README's test command installs it)"
fi
finish
