#!/bin/sh
# Every name a relying party may check: the subjectAltNames, a common
# name that looks like a host name or an IP address, the subject
# emailAddress.  Whatever spork issues under name constraints verifies
# with openssl and certtool; what they would reject, and what the domain
# policy does not allow, is refused (exit 7 or 4).  Then the checks of a
# request's subject and structure: escaped and control characters,
# duplicates, weak RSA exponents, the real reason for each refusal.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
need certtool openssl
export TZ=UTC

# verify_chain DIR ISSUING-NAME POLICY-NAME CERT: 0 when both tools accept
verify_chain() {
	_c=$1/ca
	openssl verify -x509_strict -CAfile "$_c/$4-root-ca.pem" \
		-untrusted "$_c/$3.pem" -untrusted "$_c/$2.pem" "$5" \
		> "$T/ossl.out" 2>&1 || return 1
	cat "$5" "$_c/$2-chain.pem" > "$T/full.pem"
	certtool --verify-chain --infile "$T/full.pem" > "$T/ct.out" 2>&1
}

openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
	-out "$T/k.pem" 2>/dev/null
# csr FILE SUBJ [SAN]: a request for the shared key
csr() {
	if [ -n "${3:-}" ]; then
		openssl req -new -key "$T/k.pem" -subj "$2" \
			-addext "subjectAltName=$3" -out "$1" 2>/dev/null
	else
		openssl req -new -key "$T/k.pem" -subj "$2" -out "$1" 2>/dev/null
	fi
}

policy='[[allow]]
pattern = "*.example.internal"
[[allow]]
pattern = "example.internal"
[[allow]]
pattern = "*.other.test"
[[allow]]
pattern = "other.test"
[[allow]]
pattern = "10.0.0.0/8"
[[allow]]
pattern = "192.168.0.0/16"'

# A: the example 3-tier hierarchy; the issuing CA permits the DNS names
# example.internal and example.com and the addresses 10/8 and fd00::/8.
A="$T/a"
check "build the 3-tier example" "$SPORK" pki build "$HIER/3-tier.toml" \
	--state-dir "$A" "$PASSOPT" -q
printf '%s\n' "$policy" > "$A/domain-policy.toml"
# B: the constraints one CA higher (the policy CA), on email addresses
# and excluded DNS names; the issuing CA has none.
B="$T/b"
cat > "$T/b.toml" <<'EOF'
[root]
common_name = "B Root CA"
algorithm = "ecdsa-p256"
validity_years = 10
key = "offline"
[[policy_cas]]
common_name = "B Policy CA"
algorithm = "ecdsa-p256"
validity_years = 5
key = "offline"
permitted_email = ["example.internal"]
excluded_dns = ["secret.example.internal"]
excluded_ip = ["10.66.0.0/16"]
[[policy_cas.issuing_cas]]
common_name = "B Issuing CA"
algorithm = "ecdsa-p256"
validity_years = 2
key = "online"
EOF
check "build B (constraints on the policy CA)" "$SPORK" pki build "$T/b.toml" \
	--state-dir "$B" "$PASSOPT" -q
printf '%s\n' "$policy" > "$B/domain-policy.toml"

# allows PROFILE TYPE: whether the profile carries SANs of TYPE
allows() {
	case "$1:$2" in
	tls-server:dns | tls-server:ip | tls-client:* | code-signing:email | \
	code-signing:uri | email:email) return 0 ;;
	esac
	return 1
}

# One case: HIER PROFILE KIND WANT ARGS...; WANT is ok (must issue and
# verify), no (must be refused with 4 or 7) or any (whatever spork does,
# what it issues verifies).  Without --csr a key is generated.
n=0
one() {
	_h=$1 _p=$2 _kind=$3 _want=$4; shift 4
	n=$((n + 1))
	if [ "$_h" = a ]; then
		_dir=$A _ica=spork-tls-web-server-issuing-ca
		_pca=spork-tls-policy-ca _root=spork
	else
		_dir=$B _ica=b-issuing-ca _pca=b-policy-ca _root=b
	fi
	case " $* " in
	*" --csr "*) set -- "$@" ;;
	*) set -- "$@" --key-type ecdsa-p256 --key-out "$T/key.$n" ;;
	esac
	run "$SPORK" cert issue --state-dir "$_dir" --profile "$_p" \
		--out "$T/c$n.pem" "$@"
	_d="$_h/$_p/$_kind"
	case $rc in
	0)
		if verify_chain "$_dir" "$_ica" "$_pca" "$_root" "$T/c$n.pem"
		then
			[ "$_want" = no ] && not_ok "$_d: issued, want refused" ||
				ok "$_d: issued and verified by openssl and certtool"
		else
			not_ok "$_d: spork issued what a verifier rejects"
			sed 's/^/#   /' "$T/ossl.out" "$T/ct.out" | head -n 8
		fi ;;
	4 | 7)
		if [ "$_want" = ok ]; then
			not_ok "$_d: refused (exit $rc), want issued"
			sed 's/^/#   /' "$T/err"
		else
			ok "$_d: refused (exit $rc)"
		fi ;;
	*)
		not_ok "$_d: exit $rc"; sed 's/^/#   /' "$T/err" ;;
	esac
}

# want PROFILE TYPE: ok when the profile carries names of TYPE, else no
want() { if allows "$1" "$2"; then echo ok; else echo no; fi; }

csr "$T/e1.csr" "/CN=Bob/emailAddress=bob@example.internal" \
	"email:bob@example.internal"
csr "$T/e2.csr" "/CN=Bob/emailAddress=bob@other.test" "email:bob@other.test"
csr "$T/e3.csr" "/CN=Bob/emailAddress=bob@example.internal" \
	"email:alice@example.internal"
for h in a b; do
	# in A the constraints permit names, in B they exclude some or
	# permit email domains
	for p in tls-server tls-client code-signing email ocsp-signing; do
		# an email certificate needs an email address to exist at all
		x=
		[ "$p" = email ] && x="--san email:bob@example.internal"
		# the common name: a host name, an address, text
		one $h $p cn-dns-in ok --cn host.example.internal $x
		[ "$h" = a ] && w=no || w=any
		one $h $p cn-dns-out "$w" --cn host.other.test $x
		one $h $p cn-dns-policy no --cn www.google.com $x
		one $h $p cn-underscore any --cn host_x.other.test $x
		one $h $p cn-ip-in any --cn 10.1.2.3 $x
		one $h $p cn-ip-out no --cn 172.16.1.1 $x
		[ "$p" = tls-server ] && w=no || w=ok
		one $h $p cn-text "$w" --cn "Bob Smith" $x
		# subjectAltNames of each type
		one $h $p san-dns-in "$(want $p dns)" --san dns:host.example.internal
		[ "$h" = a ] && w=no || w=any
		one $h $p san-dns-out "$w" --san dns:host.other.test $x
		one $h $p san-dns-excluded no \
			--san dns:x.secret.example.internal,dns:host.other.test $x
		one $h $p san-ip-in "$(want $p ip)" --san ip:10.1.2.3
		one $h $p san-ip-out no --san ip:10.66.1.1,ip:192.168.1.1 $x
		one $h $p san-email-in "$(want $p email)" --cn Bob \
			--san email:bob@example.internal
		[ "$h" = b ] && w=no || w=any
		one $h $p san-email-out "$w" --cn Bob --san email:bob@other.test
		one $h $p san-email-policy no --cn Bob --san email:bob@gmail.com
		# the subject emailAddress, from a request
		one $h $p subject-email-in "$(want $p email)" --csr "$T/e1.csr"
		one $h $p subject-email-out "$w" --csr "$T/e2.csr"
		one $h $p subject-email-not-san no --csr "$T/e3.csr"
	done
done

# ---- the messages say which name and why
run "$SPORK" cert issue --state-dir "$A" --profile tls-client \
	--cn host.other.test --key-type ecdsa-p256 --key-out "$T/m1.key"
[ "$rc" = 7 ] && ok "tls-client CN outside the constraints: exit 7" ||
	not_ok "tls-client CN outside the constraints: exit $rc"
grep_out "names the common name and the CA" \
	"'host.other.test' \(the common name.*outside the nameConstraints of the CA certificate CN=SPORK TLS Web Server Issuing CA" "$T/err"
expect 4 "tls-client --cn www.google.com: the policy" "$SPORK" cert issue \
	--state-dir "$A" --profile tls-client --cn www.google.com \
	--key-type ecdsa-p256 --key-out "$T/m2.key"
grep_out "says the CN reads as a host name" "common name \"www.google.com\".*host name.*not allowed" "$T/err"
expect 4 "an email domain outside the policy" "$SPORK" cert issue \
	--state-dir "$A" --profile email --cn Bob --san email:bob@gmail.com \
	--key-type ecdsa-p256 --key-out "$T/m3.key"
grep_out "names the email address" "email address 'bob@gmail.com'" "$T/err"
expect 7 "subject emailAddress not among the SANs" "$SPORK" cert issue \
	--state-dir "$A" --profile email --csr "$T/e3.csr"
grep_out "says the emailAddress must be a SAN" "emailAddress \"bob@example.internal\" is not one of the email subjectAltNames" "$T/err"

# ---- RFC 4514 special characters are values, not escapes
for o in 'Example\, Inc.' 'A \+ B' 'Q\"uote' 'Back\\slash' 'Lt \< Gt \>' \
	'Semi\; colon' '\#hash' '\ lead' 'trail\ '; do
	csr "$T/o.csr" "/CN=www.example.internal/O=$o" ""
	openssl req -in "$T/o.csr" -noout -subject -nameopt multiline |
		sed -n 's/^ *organizationName *= //p' > "$T/want.o"
	run "$SPORK" cert issue --state-dir "$A" --csr "$T/o.csr" --out "$T/o.pem"
	if [ "$rc" = 0 ]; then
		openssl x509 -in "$T/o.pem" -noout -subject -nameopt multiline |
			sed -n 's/^ *organizationName *= //p' > "$T/got.o"
		cmp -s "$T/want.o" "$T/got.o" &&
			ok "O=$(cat "$T/want.o"): issued, the value unescaped" ||
			not_ok "O=$(cat "$T/want.o"): the certificate has '$(cat "$T/got.o")'"
	else
		not_ok "O=$(cat "$T/want.o"): exit $rc"; sed 's/^/#   /' "$T/err"
	fi
done

# ---- control characters: refused on every profile, never printed raw
for c in esc bel soh del csi newline; do
	case $c in
	esc) cn=$(printf 'evil\033[2Jname') ;;
	bel) cn=$(printf 'evil\007name') ;;
	soh) cn=$(printf 'evil\001name') ;;
	del) cn=$(printf 'evil\177name') ;;
	csi) cn=$(printf 'evil\302\233name') ;;
	newline) cn=$(printf 'evil\nname') ;;
	esac
	for p in tls-client code-signing email ocsp-signing; do
		run "$SPORK" cert issue --state-dir "$A" --profile "$p" --cn "$cn" \
			--san email:e@example.internal --key-type ecdsa-p256 \
			--key-out "$T/cc.key"
		rm -f "$T/cc.key"
		if [ "$rc" = 7 ] && grep -q "control character" "$T/err"; then
			ok "$p: CN with $c refused"
		else
			not_ok "$p: CN with $c: exit $rc"; sed 's/^/#   /' "$T/err"
		fi
		if LC_ALL=C grep -q "$(printf '[\001-\011\013-\037\177]')" "$T/err" ||
		   LC_ALL=C grep -q "$(printf '\302[\200-\237]')" "$T/err"; then
			not_ok "$p: the message prints the control character raw"
		fi
	done
	csr "$T/cc.csr" "/CN=$cn" ""
	if [ -s "$T/cc.csr" ]; then
		expect 7 "a request with $c in its CN" "$SPORK" cert issue \
			--state-dir "$A" --profile tls-client --csr "$T/cc.csr"
	fi
done

# ---- malformed requests are refused, not trimmed
openssl req -new -key "$T/k.pem" -subj "/CN=a.example.internal/CN=b.other.test" \
	-out "$T/two-cn.csr" 2>/dev/null
expect 7 "two common names" "$SPORK" cert issue --state-dir "$A" \
	--profile tls-client --csr "$T/two-cn.csr"
grep_out "says there are two" "more than one common name" "$T/err"
if [ -n "${top_builddir:-}" ] && [ -x "$top_builddir/tests/csr-make" ]; then
	for kind in two-san two-extreq two-values empty-san empty-dns; do
		"$top_builddir/tests/csr-make" "$kind" > "$T/$kind.csr"
		expect 7 "malformed request: $kind" "$SPORK" cert issue \
			--state-dir "$A" --profile tls-client --csr "$T/$kind.csr"
		grep_out "$kind: says what is wrong" \
			"extension twice|more than one extensionRequest|sets of extensions|holds no name|empty dNSName" "$T/err"
	done
fi

# ---- weak RSA exponents
if openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
	-pkeyopt rsa_keygen_pubexp:3 -out "$T/e3.key" 2>/dev/null; then
	openssl req -new -key "$T/e3.key" -subj /CN=e3.example.internal \
		-out "$T/e3.csr" 2>/dev/null
	expect 7 "RSA exponent 3 refused" "$SPORK" cert issue --state-dir "$A" \
		--csr "$T/e3.csr"
	grep_out "names the exponent" "public exponent is 3" "$T/err"
fi

# ---- each refusal names its real reason
L63=$(printf 'a%.0s' $(seq 64))
expect 7 "a label over 63 characters" "$SPORK" cert issue --state-dir "$A" \
	--san "dns:$L63.example.internal" --key-out "$T/l.key"
grep_out "says the label is too long" "label is longer than 63" "$T/err"
printf 'cn = "o.example.internal"\norganization = "%s"\n' \
	"$(printf 'O%.0s' $(seq 70))" > "$T/long.tmpl"
certtool --generate-privkey --key-type ecdsa --outfile "$T/ct.key" 2>/dev/null
certtool --generate-request --load-privkey "$T/ct.key" --template "$T/long.tmpl" \
	--outfile "$T/long.csr" > /dev/null 2>&1
expect 7 "an organization over 64 characters" "$SPORK" cert issue \
	--state-dir "$A" --csr "$T/long.csr"
grep_out "says it is too long" "organization .* has 70 characters; at most 64" "$T/err"
for curve in secp256k1 brainpoolP256r1; do
	openssl req -new -newkey ec -pkeyopt "ec_paramgen_curve:$curve" -nodes \
		-keyout "$T/c.key" -subj /CN=c.example.internal \
		-out "$T/c.csr" 2>/dev/null || continue
	expect 7 "a $curve key" "$SPORK" cert issue --state-dir "$A" --csr "$T/c.csr"
	grep_out "$curve: names the curve" "key is on curve $curve" "$T/err"
done
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
	-pkeyopt ec_param_enc:explicit -nodes -keyout "$T/c.key" \
	-subj /CN=c.example.internal -out "$T/x.csr" 2>/dev/null
expect 7 "explicit curve parameters" "$SPORK" cert issue --state-dir "$A" \
	--csr "$T/x.csr"
grep_out "says explicit parameters" "explicit curve parameters" "$T/err"
# RSA-PSS with OpenSSL's default salt (as long as fits): a valid signature
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
	-out "$T/pss.key" 2>/dev/null
openssl req -new -key "$T/pss.key" -subj /CN=pss.example.internal \
	-sigopt rsa_padding_mode:pss -out "$T/pss.csr" 2>/dev/null
expect 0 "RSA-PSS request with OpenSSL's default salt length" \
	"$SPORK" cert issue --state-dir "$A" --csr "$T/pss.csr" --out "$T/pss.pem"
openssl req -in "$T/pss.csr" -outform DER -out "$T/pss.der"
sz=$(wc -c < "$T/pss.der")
last=$(od -An -tu1 -j $((sz - 1)) "$T/pss.der" | tr -d ' ')
printf "\\$(printf '%03o' $(((last + 1) % 256)))" |
	dd of="$T/pss.der" bs=1 seek=$((sz - 1)) conv=notrunc 2>/dev/null
expect 7 "an altered RSA-PSS request is refused" "$SPORK" cert issue \
	--state-dir "$A" --csr "$T/pss.der"
grep_out "says the PSS signature does not verify" "RSA-PSS signature .*salt of [0-9]+ octets.* does not verify" "$T/err"

# ---- what the CLI prints of a stored name is escaped (a record written
# by an older spork, or by hand)
if command -v sqlite3 > /dev/null 2>&1; then
	expect 0 "a certificate to show" "$SPORK" cert issue --state-dir "$A" \
		--cn show.example.internal --key-out "$T/show.key" --out "$T/show.pem"
	serial=$(openssl x509 -in "$T/show.pem" -noout -serial | cut -d= -f2)
	sqlite3 "$A/spork.db" "UPDATE certificates SET subject = 'CN=evil' ||
		char(27) || '[2J' || char(7) || char(10) || 'x', sans = 'dns:a' ||
		char(27) || ']0;t' || char(7) WHERE serial = '$serial'" 2>/dev/null ||
		sqlite3 "$A/spork.db" "UPDATE certificates SET subject = 'CN=evil' ||
		char(27) || '[2J' || char(7) || char(10) || 'x', sans = 'dns:a' ||
		char(27) || ']0;t' || char(7) WHERE serial LIKE '%$serial'"
	for cmd in "show $serial" "list"; do
		expect 0 "cert $cmd" "$SPORK" cert $cmd --state-dir "$A"
		if LC_ALL=C grep -q "$(printf '[\001-\011\013-\037\177]')" "$T/out"
		then
			not_ok "cert $cmd prints control characters raw"
		else
			ok "cert $cmd escapes control characters"
		fi
	done
	expect 0 "cert show names the escaped subject" "$SPORK" cert show \
		"$serial" --state-dir "$A"
	grep_out "the subject is shown escaped" "CN=evil.*x" "$T/out"
fi

finish
