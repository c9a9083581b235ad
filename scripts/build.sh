#!/usr/bin/env bash
# Set-up (missing Debian packages, CMake configure) and a Release build of everything in build/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cmake --build "${QTNAS_BUILD_DIR:-build}" -j"$(nproc)"
