#!/usr/bin/env bash
# Set-up (missing Debian packages, CMake configure) and a Release build in build/: of everything, or only of the
# targets named (bench/run.sh builds the command and the benchmarks, not the tests).
#   bash scripts/build.sh [TARGET ...]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cmake --build "${QTNAS_BUILD_DIR:-build}" -j"$(nproc)" ${1:+--target "$@"}
