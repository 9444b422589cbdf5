#!/bin/sh
# The kill -9 loops of tests/cli/kill9.sh, many more rounds (not run by
# make check): SPORK_KILL9_ROUNDS, default 200 (some minutes).
#   top_builddir=. tests/bench/kill9-long.sh
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
export top_srcdir
SPORK_KILL9_ROUNDS=${SPORK_KILL9_ROUNDS:-200} exec sh "$top_srcdir/tests/cli/kill9.sh"
