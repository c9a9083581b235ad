#!/usr/bin/env bash
# The test command: set-up, build, then the whole GoogleTest suite under ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
bash scripts/build.sh
ctest --test-dir "${QTNAS_BUILD_DIR:-build}" --output-on-failure -j"$(nproc)" "$@"
echo "scripts/test.sh: done in $(( $(date +%s) - start )) s"
