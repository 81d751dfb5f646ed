#!/bin/bash
# SPDX-License-Identifier: ISC
# Replays every seed and regression input in tests/fuzz/NAME/ through its
# libFuzzer target (built with clang, ASan and UBSan); no fuzzing here,
# `make fuzz` does that.
cd "$(dirname "$0")/.." || exit 1
. tests/lib/testlib.sh
t_init fuzz-corpus
command -v clang >/dev/null 2>&1 || t_skip_all "clang is not installed"
targets=$(ls tests/fuzz/fuzz_*.c | sed 's#tests/fuzz/fuzz_\(.*\)\.c#\1#')
t_ok "fuzz targets build" make -s fuzz-build
for t in $targets; do
	n=$(ls tests/fuzz/$t 2>/dev/null | wc -l)
	t_ok "fuzz/$t has a seed corpus ($n inputs)" test "$n" -gt 0
	t_ok "fuzz/$t replays its corpus cleanly" \
	    sh -c "fuzz/out/fuzz_$t -runs=0 tests/fuzz/$t >$T/$t.log 2>&1 || { cat $T/$t.log; exit 1; }"
done
t_done
