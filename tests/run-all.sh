#!/bin/sh
# The README's test command: on a fresh Debian 12 machine (as root)
# install what the build and the tests need, build, run the whole suite,
# and end with one line "N passed, N failed, N skipped".
# Exits non-zero when anything failed.
set -u
cd "$(dirname "$0")/.." || exit 1

PKGS="build-essential autoconf automake libtool pkg-config
 libgnutls28-dev nettle-dev libsqlite3-dev libargon2-dev libjansson-dev
 libpopt-dev libxml2-dev libtasn1-6-dev libtasn1-bin libcmocka-dev
 gnutls-bin openssl softhsm2 p11-kit sqlite3 faketime groff-base man-db
 ca-certificates systemd curl prometheus python3 zsh apache2-utils"

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >/dev/null &&
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $PKGS >/dev/null ||
		{ echo "apt-get install failed"; echo "0 passed, 1 failed"; exit 1; }
fi

jobs=$(nproc 2>/dev/null || echo 2)
if ! { autoreconf -fi && ./configure -q && make -j"$jobs"; }; then
	echo "build failed"
	echo "0 passed, 1 failed"
	exit 1
fi
make -j"$jobs" check
rc=$?
for f in tests/*.log tests/*/*.log; do
	[ -f "$f" ] || continue
	case $f in test-suite.log) continue ;; esac
	if grep -q '^:test-result: FAIL\|^:test-result: ERROR' "${f%.log}.trs" 2>/dev/null; then
		echo "==== $f"; tail -n 40 "$f"
	fi
done
make -s check-summary
exit $rc
