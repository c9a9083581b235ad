#!/usr/bin/env bash
# The main job on the embedded default task (WordNet glosses -> 45 lexicographer classes), end to end: set-up and
# build, the task, a supernet (the quick preset on a smaller space than the default: 4 layers of hidden 128, up
# to 2 heads, FFN up to 512, sparsity 0 or 50%, fp32 or int8), latency measurements and predictor at batch 1, a
# search under a budget of a quarter of the largest FP32 subnet's latency, the export of the best subnet, and
# predictions.
# Everything is written to $QTNAS_WORKDIR (default qtnas_work/); rerunning reuses the tokenizer, supernet and
# measurements, and starts a new search run.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
bash scripts/build.sh qtnas  # the demo needs the command only (the tests are built by scripts/test.sh)
export GLOG_minloglevel=2
workdir=${QTNAS_WORKDIR:-qtnas_work}
qtnas=${QTNAS_BUILD_DIR:-build}/cli/qtnas
supernet=$workdir/supernet_demo.pt
latency_db=$workdir/latency_demo.sqlite
latency_model=$workdir/latency_demo.b1.json
run=$workdir/run_demo.sqlite
model=$workdir/model_demo.pt
# The demo's space, smaller than the default (README, "Training recipe"): every later step reads it from the
# supernet checkpoint.
space=(--layers 4 --hidden 128 --heads 2 --head-dim 64 --ffn-choices 0,128,256,512 --sparsity-choices 0,0.5
       --precisions fp32,int8)

echo "== 1. the task: WordNet glosses, 80/10/10 split, SentencePiece tokenizer"
"$qtnas" data --task wordnet --workdir "$workdir"

echo "== 2. the search space: its largest and smallest archs"
"$qtnas" arch --largest "${space[@]}"
"$qtnas" arch --smallest --precision int8 "${space[@]}"

echo "== 3. train the weight-sharing supernet (quick preset, 1.5 epochs, on the demo's smaller space; 'qtnas train'"
echo "      alone runs the default recipe on the default space)"
"$qtnas" train --preset quick --workdir "$workdir" --out "$supernet" --eval-limit 2000 "${space[@]}"

echo "== 4. measure deployable subnets at batch 1 on this machine and fit the latency predictor"
if [ ! -f "$latency_model" ]; then
  "$qtnas" profile --supernet "$supernet" --db "$latency_db" --batch 1 --samples 30 --out "$latency_model"
else
  "$qtnas" profile --supernet "$supernet" --db "$latency_db" --batch 1 --refit --out "$latency_model"
fi

echo "== 5. search under a budget of 1/4 of the largest FP32 subnet's predicted latency"
rm -f "$run" "$run-wal" "$run-shm"
"$qtnas" search --supernet "$supernet" --latency-model "$latency_model" --latency-budget-fraction 0.25 \
  --population 16 --generations 6 --val-subset 500 --seed 1 --db "$run"
"$qtnas" front --db "$run"
"$qtnas" plot --db "$run" --out "$workdir/front_demo.svg"

echo "== 6. export the best subnet within the budget: re-measured and re-evaluated from the saved file"
"$qtnas" export --db "$run" --best --out "$model"
"$qtnas" eval --supernet "$supernet" --arch largest --split test

echo "== 7. label texts with the exported model"
"$qtnas" predict --model "$model" "a domesticated carnivorous mammal that barks" \
  "move fast by using one's feet" "a sweet edible fruit with red or yellow skin"

echo "demo: done in $(( $(date +%s) - start )) s. Written to $workdir/: supernet $supernet, latency" \
     "measurements $latency_db and predictor $latency_model, search run $run (picture front_demo.svg)," \
     "exported model $model"
