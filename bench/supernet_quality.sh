#!/usr/bin/env bash
# Measures the trained default supernet on the WordNet test split, as issue 3 asks:
#  1. the largest arch in fp32, the smallest, and 10 random archs (precisions and sparsities mixed);
#  2. the largest arch in int8 and at sparsity 0.5 against fp32;
#  3. weight-sharing quality: a middle and a small subnet trained alone from scratch with the same recipe and
#     budget (steps, batch, learning rate), against their accuracy inherited from the supernet.
# Usage: bench/supernet_quality.sh [SUPERNET (default qtnas_work/supernet.pt)]
# Standalone checkpoints go beside the supernet and are reused when present.
set -euo pipefail
cd "$(dirname "$0")/.."
export GLOG_minloglevel=2
qtnas=${QTNAS_BUILD_DIR:-build}/cli/qtnas
supernet=${1:-qtnas_work/supernet.pt}
workdir=$(dirname "$supernet")
[ -f "$supernet" ] || { echo "no supernet at $supernet: run 'qtnas train' first" >&2; exit 2; }

repeat6() { echo "$1,$1,$1,$1,$1,$1"; }
largest=$(repeat6 h4-f1024-s0-fp32)
middle=$(repeat6 h2-f512-s0-fp32)
small="h1-f256-s0-fp32,h1-f256-s0-fp32,skip,skip,skip,skip"

evaluate() {  # arch -> "accuracy_percent"
  "$qtnas" eval --supernet "$2" --arch "$1" --split test --workdir "$workdir" --json |
    python3 -c 'import json,sys; print("%.2f" % (100*json.load(sys.stdin)["accuracy"]))'
}

echo "| arch | test accuracy (%) |"
echo "|---|---|"
for arch in "$largest" "$(repeat6 h4-f1024-s0-int8)" "$(repeat6 h4-f1024-s50-fp32)" "$(repeat6 h4-f1024-s0-bf16)" smallest; do
  echo "| $arch | $(evaluate "$arch" "$supernet") |"
done
"$qtnas" arch --random 10 --seed 2026 --json | python3 -c 'import json,sys; [print(a["arch"]) for a in json.load(sys.stdin)["archs"]]' |
  while read -r arch; do echo "| $arch | $(evaluate "$arch" "$supernet") |"; done

echo
echo "| subnet | inherited (%) | standalone (%) | standalone training |"
echo "|---|---|---|---|"
for name in middle small; do
  arch=${!name}
  alone=$workdir/standalone_$name.pt
  start=$(date +%s)
  if [ ! -f "$alone" ]; then
    "$qtnas" train --fixed-arch "$arch" --workdir "$workdir" --out "$alone" --eval-limit 2000 >/dev/null
  fi
  echo "| $name $arch | $(evaluate "$arch" "$supernet") | $(evaluate "$arch" "$alone") | $(( $(date +%s) - start )) s |"
done
