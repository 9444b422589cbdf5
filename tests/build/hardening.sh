#!/bin/sh
# The built spork and libpki.so carry the hardening configure chose: full
# RELRO (a GNU_RELRO segment and BIND_NOW), and, from the compiler flags,
# stack protector calls and FORTIFY_SOURCE's checked functions.  A flag
# configure found unsupported (see HARDEN_CFLAGS and HARDEN_LDFLAGS in the
# Makefile) skips its check instead of failing.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
need readelf

# The configure results, as the Makefile was generated with them.
harden_cflags=$(sed -n 's/^HARDEN_CFLAGS = //p' "$top_builddir/Makefile")
harden_ldflags=$(sed -n 's/^HARDEN_LDFLAGS = //p' "$top_builddir/Makefile")

# has_flag FLAG FLAGS: FLAG is one of the words of FLAGS
has_flag() {
	case " $2 " in *" $1 "*) return 0 ;; esac
	return 1
}

# elf_of FILE: FILE itself when it is an ELF object, else the binary a
# libtool wrapper script runs; empty when there is neither.
elf_of() {
	if readelf -h "$1" >/dev/null 2>&1; then
		echo "$1"
	elif readelf -h "$(dirname "$1")/.libs/$(basename "$1")" \
	     >/dev/null 2>&1; then
		echo "$(dirname "$1")/.libs/$(basename "$1")"
	fi
}

# check_object NAME FILE: the hardening checks on one ELF object
check_object() {
	_name=$1 _f=$2
	readelf -lW "$_f" >"$T/phdrs" 2>&1
	readelf -dW "$_f" >"$T/dynamic" 2>&1
	readelf -sW "$_f" >"$T/syms" 2>&1

	if has_flag -Wl,-z,relro "$harden_ldflags"; then
		grep_out "$_name: GNU_RELRO segment" 'GNU_RELRO' "$T/phdrs"
	else
		ok "$_name: GNU_RELRO segment # SKIP linker refused -z relro"
	fi
	if has_flag -Wl,-z,now "$harden_ldflags"; then
		grep_out "$_name: BIND_NOW" \
			'\(BIND_NOW\)|\(FLAGS\).*BIND_NOW|\(FLAGS_1\).* NOW( |$)' \
			"$T/dynamic"
	else
		ok "$_name: BIND_NOW # SKIP linker refused -z now"
	fi
	if has_flag -fstack-protector-strong "$harden_cflags"; then
		grep_out "$_name: stack protector" '__stack_chk_fail' "$T/syms"
	else
		ok "$_name: stack protector # SKIP compiler refused it"
	fi
	if has_flag -D_FORTIFY_SOURCE=2 "$harden_cflags"; then
		grep -v '__stack_chk_fail' "$T/syms" >"$T/syms-nostack"
		grep_out "$_name: FORTIFY_SOURCE checked calls" \
			'__[a-z0-9_]+_chk(@|$| )' "$T/syms-nostack"
	else
		ok "$_name: FORTIFY_SOURCE # SKIP compiler refused it"
	fi
}

spork=$(elf_of "$SPORK")
if [ -n "$spork" ]; then
	check_object "cli/spork" "$spork"
else
	not_ok "cli/spork: no ELF binary at $SPORK"
fi

lib=$(elf_of "$top_builddir/libpki/.libs/libpki.so")
if [ -n "$lib" ]; then
	check_object "libpki.so" "$lib"
else
	ok "libpki.so # SKIP not built (--disable-shared)"
fi

finish
