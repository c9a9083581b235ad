#!/usr/bin/env bash
# The main job on the embedded default task (WordNet glosses -> 45 lexicographer classes): set-up, build, then
# prepare the task (splits, tokenizer) and print its statistics. Everything is written to $QTNAS_WORKDIR.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
workdir=${QTNAS_WORKDIR:-qtnas_work}
qtnas=${QTNAS_BUILD_DIR:-build}/cli/qtnas

echo "== 1. the task: WordNet glosses, 80/10/10 split, SentencePiece tokenizer"
"$qtnas" data --task wordnet --workdir "$workdir"

echo "== 2. the search space: its largest and smallest archs, and three random ones"
"$qtnas" arch --largest
"$qtnas" arch --smallest --precision int8
"$qtnas" arch --random 3 --seed 1

echo "demo: tokenizer written to $workdir/tokenizer.model"
