#!/usr/bin/env bash
# The test command: set-up, build, then the whole GoogleTest suite under ctest. On a CPU with native bf16
# (avx512_bf16 or amx_bf16), the tests labelled bf16 (those that train) run a second time with
# QTNAS_NO_NATIVE_BF16=1, as they would on a CPU without it: both arithmetics are tested on one machine.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
bash scripts/build.sh
build=${QTNAS_BUILD_DIR:-build}
echo "scripts/test.sh: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(nproc) cores," \
     "flags: $(grep -m1 '^flags' /proc/cpuinfo | tr ' ' '\n' | grep -E '^(avx2|avx512f|avx512_vnni|avx512_bf16|amx_bf16|amx_int8)$' | tr '\n' ' ')"
ctest --test-dir "$build" --output-on-failure -j"$(nproc)" "$@"
if grep -m1 '^flags' /proc/cpuinfo | grep -qwE 'avx512_bf16|amx_bf16' && [ -z "${QTNAS_NO_NATIVE_BF16:-}" ]; then
  echo "scripts/test.sh: native bf16 here; the bf16-labelled tests again with QTNAS_NO_NATIVE_BF16=1 (fp32 training)"
  QTNAS_NO_NATIVE_BF16=1 ctest --test-dir "$build" --output-on-failure -j"$(nproc)" -L bf16 "$@"
fi
echo "scripts/test.sh: done in $(( $(date +%s) - start )) s"
