#!/usr/bin/env bash
# The main job on the embedded default task (WordNet glosses -> 45 lexicographer classes): set-up, build,
# prepare the task, train the supernet (quick preset), and evaluate a few of its subnets on the test split.
# Everything is written to $QTNAS_WORKDIR (default qtnas_work/); rerunning reuses what is there.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
bash scripts/build.sh
export GLOG_minloglevel=2
workdir=${QTNAS_WORKDIR:-qtnas_work}
qtnas=${QTNAS_BUILD_DIR:-build}/cli/qtnas
supernet=$workdir/supernet_quick.pt

echo "== 1. the task: WordNet glosses, 80/10/10 split, SentencePiece tokenizer"
"$qtnas" data --task wordnet --workdir "$workdir"

echo "== 2. the search space: its largest and smallest archs, and three random ones"
"$qtnas" arch --largest
"$qtnas" arch --smallest --precision int8
"$qtnas" arch --random 3 --seed 1

echo "== 3. train the weight-sharing supernet (quick preset; 'qtnas train' alone runs the full default)"
"$qtnas" train --preset quick --workdir "$workdir" --out "$supernet" --eval-limit 2000

echo "== 4. subnets of the supernet on 2000 test examples, with their deployed numerics"
for arch in largest \
    h4-f1024-s0-int8,h4-f1024-s0-int8,h4-f1024-s0-int8,h4-f1024-s0-int8,h4-f1024-s0-int8,h4-f1024-s0-int8 \
    h4-f1024-s50-fp32,h4-f1024-s50-fp32,h4-f1024-s50-fp32,h4-f1024-s50-fp32,h4-f1024-s50-fp32,h4-f1024-s50-fp32 \
    h2-f512-s0-int8,h2-f512-s75-int8,h2-f512-s0-bf16,skip,h2-f512-s0-fp32,skip \
    smallest; do
  "$qtnas" eval --supernet "$supernet" --arch "$arch" --split test --limit 2000
done

echo "demo: done in $(( $(date +%s) - start )) s; tokenizer and supernet in $workdir/"
