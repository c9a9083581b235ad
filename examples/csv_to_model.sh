#!/usr/bin/env bash
# Example 1: a user's own CSV, from the file to an exported model.
#
#   examples/csv_to_model.sh [FILE.csv] [WORKDIR]
#
# The stand-in for "your CSV" is examples/data/glosses.csv: 1,000 WordNet definitions in four categories, with the
# columns word, definition, category (quoted where a definition holds commas or quotes). For your own file, change
# the column names below. Steps: statistics of the task and the TF-IDF SVM baseline; a supernet on a small space;
# latency measured on this machine; a search under half of the largest FP32 subnet's latency; the export of
# the best subnet, re-measured and re-evaluated; predictions. Needs the command built (scripts/build.sh qtnas).
# QTNAS_EXAMPLE_STEPS=N trains N steps instead of the example's epochs and shrinks every later step (the test
# of this example uses it to stay fast).
set -euo pipefail
cd "$(dirname "$0")/.."
csv=${1:-examples/data/glosses.csv}
workdir=${2:-qtnas_work/example_csv}
qtnas=${QTNAS_BIN:-${QTNAS_BUILD_DIR:-build}/cli/qtnas}
export GLOG_minloglevel=2

# Which columns hold the text and the label (--text-pair-column too for a pair task).
task=(--data "$csv" --text-column definition --label-column category --workdir "$workdir")
# A small space: 3 layers of hidden 128, up to 2 heads, FFN up to 256, dense or 50% sparse, fp32 or int8.
space=(--layers 3 --hidden 128 --heads 2 --head-dim 64 --ffn-choices 0,128,256 --sparsity-choices 0,0.5
       --precisions fp32,int8)
if [ -n "${QTNAS_EXAMPLE_STEPS:-}" ]; then
  training=(--steps "$QTNAS_EXAMPLE_STEPS" --pretrain-epochs 0 --no-baseline)
  profiling=(--samples 12 --rounds 5 --min-rounds 2) searching=(--population 6 --generations 2)
  data_flags=(--no-baseline) threads=(--threads 1)
else
  training=(--pretrain-epochs 10 --epochs 30)
  profiling=(--samples 24) searching=(--population 12 --generations 5) data_flags=() threads=()
fi

echo "== the task: statistics, and the TF-IDF SVM a user would otherwise pick"
"$qtnas" data "${task[@]}" --vocab-size 2000 "${data_flags[@]}"

echo "== a weight-sharing supernet on the task"
"$qtnas" train "${task[@]}" --vocab-size 2000 "${space[@]}" "${training[@]}" "${threads[@]}" --out "$workdir/supernet.pt"

echo "== latency of deployable subnets on this machine, and its predictor"
rm -f "$workdir/latency.sqlite"
"$qtnas" profile --supernet "$workdir/supernet.pt" --db "$workdir/latency.sqlite" "${profiling[@]}" "${threads[@]}" \
  --out "$workdir/latency.json"

echo "== search under half of the largest FP32 subnet's latency"
rm -f "$workdir/run.sqlite"
"$qtnas" search "${task[@]}" --supernet "$workdir/supernet.pt" --latency-model "$workdir/latency.json" \
  --latency-budget-fraction 0.5 "${searching[@]}" "${threads[@]}" --seed 1 --db "$workdir/run.sqlite"

echo "== export the best subnet within the budget"
"$qtnas" export --db "$workdir/run.sqlite" --best "${threads[@]}" --out "$workdir/model.pt"

echo "== label new texts"
"$qtnas" predict --model "$workdir/model.pt" "${threads[@]}" "a small furry animal with long ears that hops" \
  "a tall plant with a woody trunk and branches" "a sweet baked food made of flour and sugar"
