#!/usr/bin/env bash
# Installs the Debian packages qtnas needs (only those missing) and configures a Release build in build/.
# Safe to run again: a no-op when everything is present and the build is configured.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  build-essential cmake pkg-config
  libtorch-dev libopenblas0-pthread   # LibTorch 1.13; without OpenBLAS it falls back to reference BLAS (30x slower)
  libblas-dev                         # cblas.h and the link to that BLAS (attention's small matmuls)
  libtbb-dev libboost-program-options-dev libsqlite3-dev libfmt-dev
  googletest libgtest-dev
  libsentencepiece-dev nlohmann-json3-dev
  libcsv-dev                          # a user's CSV files (RFC 4180 quoting)
  libgloo-dev                         # the Gloo headers of LibTorch's c10d (distributed training and search)
  wordnet-base                        # the default task's data
  python3-torch                       # tests load exported models with plain PyTorch (torch.jit.load)
  python3-sentencepiece               # examples/: the exported model in Python, tokenised as shipped
  python3-sklearn                     # the TF-IDF linear SVM baseline beside every accuracy (data/tfidf_svm.py)
  python3-optuna                      # bench/: Optuna's NSGA-II as the search-quality baseline
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo_cmd apt-get update -qq
  $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

build_dir=${QTNAS_BUILD_DIR:-build}
if [ ! -f "$build_dir/CMakeCache.txt" ]; then
  cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=Release
fi
