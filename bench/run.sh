#!/usr/bin/env bash
# Every benchmark of qtnas on this machine in one run, side by side, written to bench/REPORT.md (the summary the
# README quotes) and bench/report.json (every number). Ratios compare things measured in the same run.
#   bash bench/run.sh [--quick]        (15.5 minutes on the 2-core machine here with trained inputs, under 30 on a
#                                      fresh clone that builds, trains and profiles first; --quick about 8)
# Inputs (trained once, reused): the supernet $QTNAS_SUPERNET (default qtnas_work/supernet.pt, from `qtnas train`;
# the default space is trained briefly if it is missing) and the latency database $QTNAS_LATENCY_DB (default
# qtnas_work/latency.sqlite, from `qtnas profile`; profiled here if it lacks batch 1 or 32). Scratch files go to
# bench/results/ (not committed).
set -euo pipefail
cd "$(dirname "$0")/.."
quick=0
[ "${1:-}" = "--quick" ] && quick=1
start=$(date +%s)
bash scripts/build.sh qtnas bench_train_step bench_predictor bench_run_store bench_proxy_eval bench_peak \
  bench_search_quality  # not the tests: a fresh clone's build is a third of the 30 minutes
export GLOG_minloglevel=2
build=${QTNAS_BUILD_DIR:-build}
qtnas=$build/cli/qtnas
py=/usr/bin/python3  # Debian's python3-torch and python3-optuna
workdir=${QTNAS_WORKDIR:-qtnas_work}
supernet=${QTNAS_SUPERNET:-$workdir/supernet.pt}
latency_db=${QTNAS_LATENCY_DB:-$workdir/latency.sqlite}
out=bench/results
rm -rf "$out"
mkdir -p "$out"
stage() { echo "== $1 ($(( $(date +%s) - start )) s)"; }
json_get() { $py -c "import json,sys; print(json.load(open(sys.argv[1]))$2)" "$1"; }

if [ ! -f "$supernet" ]; then
  # Latency and throughput need trained weights of the default space, not accurate ones: 0.05 epochs.
  supernet=$workdir/supernet_brief.pt
  stage "no trained supernet: training the default space briefly (0.05 epochs) to $supernet"
  [ -f "$supernet" ] || "$qtnas" train --preset quick --epochs 0.05 --workdir "$workdir" --out "$supernet" \
    --eval-limit 2000
fi

stage "5. latency predictor at batch 1 and 32 (refit from $latency_db; profiled when it has no measurements)"
for batch in 1 32; do
  model=$out/latency.b$batch.json
  if ! "$qtnas" profile --supernet "$supernet" --db "$latency_db" --batch $batch --threads 2 --refit --json \
       --out "$model" > "$out/profile_b$batch.json" 2> "$out/profile_b$batch.err"; then
    # a fresh clone profiles here: 24 subnets at batch 1 (2 min), 12 at batch 32 with 3 to 9 rounds a module
    # (7 min; its bf16 modules take seconds a forward); `qtnas profile` adds more to the database at any time
    samples=$(( batch == 1 ? 24 : (quick ? 8 : 12) ))
    rounds=$(( batch == 1 ? 31 : 9 )) min_rounds=$(( batch == 1 ? 5 : 3 ))
    "$qtnas" profile --supernet "$supernet" --db "$latency_db" --batch $batch --threads 2 --samples $samples \
      --rounds $rounds --min-rounds $min_rounds --json --out "$model" > "$out/profile_b$batch.json"
  fi
done

stage "3. engine: the default search (budget 1/4 of the largest FP32 subnet) and its export"
population=16 generations=6
[ $quick = 1 ] && population=8 generations=3
search_start=$(date +%s.%N)
"$qtnas" search --supernet "$supernet" --latency-model "$out/latency.b1.json" --latency-budget-fraction 0.25 \
  --population $population --generations $generations --val-subset 500 --seed 1 --threads 2 --db "$out/run.sqlite"
$py -c "import sys; print('{\"seconds\": %.1f, \"population\": $population, \"generations\": $generations}' \
  % (float(sys.argv[2]) - float(sys.argv[1])))" "$search_start" "$(date +%s.%N)" > "$out/search_time.json"
"$qtnas" export --db "$out/run.sqlite" --best --out "$out/chosen.pt" --threads 2 --json > "$out/export.json"
chosen=$(json_get "$out/export.json" "['arch']")

stage "1. inference: exported subnets against PyTorch eager (FP32, and INT8 by quantize_dynamic)"
largest=$("$qtnas" arch --largest --json | $py -c "import json,sys; print(json.load(sys.stdin)['archs'][0]['arch'])")
repeats=3
[ $quick = 1 ] && repeats=2
for name in chosen largest; do
  arch=${!name}
  for p in fp32 int8; do
    "$qtnas" export --supernet "$supernet" --arch "$(echo "$arch" | sed -E "s/-(fp32|bf16|int8)/-$p/g")" \
      --out "$out/${name}_$p.pt" --threads 2 --no-evaluate --json > "$out/export_${name}_$p.json"
  done
  $py bench/inference_compare.py "$out/${name}_fp32.pt" "$out/${name}_int8.pt" --batch 1 32 --threads 2 \
    --repeats $repeats --json "$out/inference_$name.json"
done

stage "6. distance to the machine's limit: GOP/s at batch 32 against one large matmul"
"$build/bench/bench_peak" --supernet "$supernet" --arch "$chosen" --batch 32 --threads 2 --json > "$out/peak_chosen.json"
[ $quick = 1 ] || "$build/bench/bench_peak" --supernet "$supernet" --arch "$(echo "$largest" | sed 's/-fp32/-int8/g')" \
  --batch 32 --threads 2 --json > "$out/peak_largest.json"

stage "3. engine: predictor calls, candidates persisted and proxy evaluations per second"
"$build/bench/bench_predictor" "$out/latency.b1.json" --seconds 2 --json > "$out/predictor.json"
"$build/bench/bench_run_store" > "$out/run_store.json"
"$build/bench/bench_proxy_eval" --subset 1000 --candidates $(( quick ? 4 : 8 )) > "$out/proxy_eval.json"

stage "4. training: supernet step FP32 against BF16 autocast, at the training batch (32)"
"$build/bench/bench_train_step" --batch 32 --reps 2 --threads 2 --json > "$out/train_step.json"

stage "2. search quality: NSGA-II against random search and Optuna's NSGA-II"
QTNAS_SUPERNET=$supernet QTNAS_LATENCY_MODEL=$out/latency.b1.json \
  bash bench/search_quality.sh $([ $quick = 1 ] && echo --quick) --out "$out"

stage "report"
$py bench/report.py "$out" --quick $quick --seconds $(( $(date +%s) - start )) \
  --markdown bench/REPORT.md --json bench/report.json
cat bench/REPORT.md
echo "bench/run.sh: done in $(( $(date +%s) - start )) s; bench/REPORT.md and bench/report.json written"
