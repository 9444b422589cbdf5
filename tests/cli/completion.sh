#!/bin/sh
# The bash completion (completion/spork) run from a script on a real
# state directory, without the bash-completion package (its fallbacks),
# and the zsh one checked and its helpers run when zsh is installed.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
need bash
check "build 2-tier" build_2tier
S="$SPORK_STATE_DIR"
cat > "$S/domain-policy.toml" <<'EOT'
[[allow]]
pattern = "*.lab.example"
EOT
"$SPORK" cert issue --cn www.lab.example --san dns:www.lab.example \
	--key-out "$T/www.key" -o "$T/www.pem" -q || not_ok "issue www"
"$SPORK" cert issue --cn api.lab.example --san dns:api.lab.example \
	--key-out "$T/api.key" -o "$T/api.pem" -q || not_ok "issue api"
WWW=$(openssl x509 -in "$T/www.pem" -noout -serial 2>/dev/null | cut -d= -f2)
API=$("$SPORK" cert list --name api.lab.example | awk 'NR == 2 { print $1 }')
"$SPORK" cert revoke "$API" --reason superseded -q || not_ok "revoke api"
unset SPORK_STATE_DIR
# a spork on PATH that is this build (the completion runs words[0])
mkdir -p "$T/bin" && ln -s "$SPORK" "$T/bin/spork"

# comp LINE...: the words of a command line, the last one being
# completed; the replies, one per line, in $T/out
comp() {
	bash --norc --noprofile -c '
		source "$1"; shift
		COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
		COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
		_spork
		printf "%s\n" "${COMPREPLY[@]}"' bash \
		"$top_srcdir/completion/spork" "$@" >"$T/out" 2>"$T/err"
	rc=$?
}
has() { if grep -qxF -- "$2" "$T/out"; then ok "$1"; else
	not_ok "$1: '$2' not offered"; sed 's/^/#   /' "$T/out" "$T/err" | head -n 10; fi; }
hasnt() { if grep -qxF -- "$2" "$T/out"; then not_ok "$1: '$2' offered";
	else ok "$1"; fi; }

PATH="$T/bin:$PATH"; export PATH
comp spork ""
has "no bash-completion package: groups" "cert"
[ -s "$T/err" ] && not_ok "errors: $(head -n 1 "$T/err")" || ok "no errors without bash-completion"
comp spork cert is
has "a command" "issue"
comp spork -d "$S" cert li
has "a command after a global option" "list"
comp spork cert --json li
has "a command after a global option between" "list"
comp spork help c
has "help GROUP" "cert"
comp spork cert list --so
has "new options" "--sort"
comp spork cert issue -d "$S" --ca ""
has "issuing CA for cert issue, escaped" 'Lab\ Issuing\ CA'
hasnt "not the root for cert issue" 'Lab\ Root\ CA'
comp spork crl generate -d "$S" --ca ""
has "any CA for crl generate" 'Lab\ Root\ CA'
comp spork --state-dir "$S" cert issue --ca "'Lab I"
has "after an opening quote: as it is" 'Lab Issuing CA'
comp spork --state-dir "$S" cert issue --ca '"Lab'
has "after a double quote too" 'Lab Issuing CA'
comp spork cert show -d "$S" "$WWW"
has "one serial: the serial alone" "$WWW"
comp spork cert show -d "$S" ""
grep -q "^$WWW  dns:www.lab.example$" "$T/out" && ok "serials with their names" ||
	{ not_ok "serials with their names"; sed 's/^/#   /' "$T/out"; }
comp spork cert revoke -d "$S" ""
if grep -q "^$API " "$T/out"; then not_ok "revoke offers a revoked serial"; else ok "revoke offers only valid ones"; fi
comp spork cert unhold -d "$S" ""
grep -q "^$API" "$T/out" && ok "unhold offers revoked ones" || not_ok "unhold: $(cat "$T/out")"
mkdir -p "$T/dirs/sub"
comp spork -d "$T/dirs/s"
has "a directory without _filedir" "$T/dirs/sub"

if command -v zsh >/dev/null 2>&1; then
	check "zsh -n _spork" zsh -n "$top_srcdir/completion/_spork"
	# zcomp WORDS...: source _spork in zsh (outside a completion widget:
	# _describe prints its candidates and the group functions print the
	# words they were handed), then run the function set by $ZRUN.
	zcomp() {
		zsh -f -c '
			dir=$1; shift
			_describe() { print -rl -- ${(P)${@[-1]}}; }
			_call_program() { shift; "$@"; }
			_arguments() { :; }
			source "$dir/_spork" >/dev/null 2>&1
			_spork_cert() { print -r -- "words=$words CURRENT=$CURRENT"; }
			words=("$@"); CURRENT=$#
			eval "$ZRUN"' zsh "$top_srcdir/completion" "$@" >"$T/out" 2>"$T/err"
	}
	ZRUN='_spork_cas issue' zcomp spork cert issue --state-dir "$S" --ca ""
	has "zsh: issuing CAs for cert issue" "Lab Issuing CA"
	hasnt "zsh: not the root" "Lab Root CA"
	ZRUN='_spork_cas' zcomp spork crl generate -d "$S" --ca ""
	has "zsh: every CA for crl" "Lab Root CA"
	ZRUN='_spork_serials valid' zcomp spork cert revoke -d "$S" ""
	has "zsh: serials with their names" "$WWW:dns:www.lab.example"
	if grep -q "^$API" "$T/out"; then not_ok "zsh: revoke offers a revoked one"; else ok "zsh: revoke offers valid ones"; fi
	ZRUN='_spork_serials' zcomp spork -d "$S" cert show ""
	has "zsh: global option before the group read" "$WWW:dns:www.lab.example"
	ZRUN='_spork' zcomp spork -d "$S" cert --json li
	has "zsh: global options taken off before the command" "words=cert li CURRENT=2"
else
	echo "# zsh not installed: its completion not tested"
fi
finish
