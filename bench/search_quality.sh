#!/usr/bin/env bash
# Search quality at equal numbers of evaluations: qtnas's NSGA-II vs qtnas's random search vs Optuna's NSGA-II
# (NSGAIISampler, Debian's python3-optuna), on ZDT1-3 and on the real problem (arch search on the trained
# supernet with the latency model). Writes DIR/search_quality.json and the table DIR/search_quality.md.
#   bench/search_quality.sh [--quick] [--out DIR]          (default DIR: bench_results/search_quality)
# Defaults: 10 seeds; ZDT population 40 x 15 generations (600 evaluations); real problem population 12 x 5
# generations (60 evaluations) with a 200-example validation subset and a budget of a quarter of the largest
# FP32 arch's predicted latency. --quick: 3 seeds, ZDT 20 x 10, real 8 x 3.
# Time on this 2-core machine at defaults: ZDT about 1.5 min (Optuna's Python dominates), real problem about
# 45 s a seed (qtnas NSGA-II 18 s, random 23 s, Optuna 3 s: archs over the budget are not evaluated for
# accuracy, see bench/optuna_search.py), so about 8 min for 10 seeds.
# Real-problem inputs: QTNAS_SUPERNET (default qtnas_work/supernet.pt) and QTNAS_LATENCY_MODEL (default
# qtnas_work/latency.sqlite.b1.s64.t2.json); when they are missing the real row is skipped, and said so.
# QTNAS_BUDGET_FRACTION (default 0.25) sets the real problem's latency budget.
# On a shared machine, another job may ask for quiet by creating QTNAS_QUIET_FILE (default /tmp/qtnas_quiet):
# each step waits while it exists.
set -euo pipefail
cd "$(dirname "$0")/.."

out=bench_results/search_quality
quick=0
while (($#)); do
  case $1 in
    --quick) quick=1; shift ;;
    --out) out=$2; shift 2 ;;
    *) echo "usage: bench/search_quality.sh [--quick] [--out DIR]" >&2; exit 2 ;;
  esac
done

seeds=10; zdt_pop=40; zdt_gen=15; real_pop=12; real_gen=5; val_subset=200
budget_fraction=${QTNAS_BUDGET_FRACTION:-0.25}  # of the largest FP32 arch's predicted latency
if ((quick)); then seeds=3; zdt_pop=20; zdt_gen=10; real_pop=8; real_gen=3; fi
build=${QTNAS_BUILD_DIR:-build}
bench=$build/bench/bench_search_quality
qtnas=$build/cli/qtnas
python=/usr/bin/python3  # Debian's, which has python3-optuna (not pyenv's python3 on PATH)
supernet=${QTNAS_SUPERNET:-qtnas_work/supernet.pt}
latency_model=${QTNAS_LATENCY_MODEL:-qtnas_work/latency.sqlite.b1.s64.t2.json}
quiet_file=${QTNAS_QUIET_FILE:-/tmp/qtnas_quiet}

for f in "$bench" "$qtnas"; do
  [ -x "$f" ] || { echo "search_quality: $f is missing; build it (make -C $build bench_search_quality qtnas)" >&2; exit 2; }
done
$python -c 'import optuna' 2>/dev/null ||
  { echo "search_quality: $python has no optuna; run scripts/setup.sh (python3-optuna)" >&2; exit 2; }

wait_quiet() { while [ -e "$quiet_file" ]; do sleep 15; done; }
elapsed() { echo $((SECONDS - $1)); }  # whole seconds since $1 (a value of $SECONDS)

raw=$out/raw
rm -rf "$raw"
mkdir -p "$raw"

start_zdt=$SECONDS
for problem in zdt1 zdt2 zdt3; do
  for searcher in nsga2 random; do
    wait_quiet
    "$bench" zdt --problem $problem --searcher $searcher --seeds $seeds --population $zdt_pop \
      --generations $zdt_gen --json >"$raw/zdt_${problem}_${searcher}.json"
  done
  for seed in $(seq 1 $seeds); do
    wait_quiet
    $python bench/optuna_search.py zdt --problem $problem --seed "$seed" --population $zdt_pop \
      --generations $zdt_gen --bench "$bench" >"$raw/zdt_${problem}_optuna_seed$seed.json"
  done
  echo "search_quality: $problem done ($(elapsed "$start_zdt") s so far)" >&2
done
zdt_seconds=$(elapsed "$start_zdt")

skipped=""
real_seconds=0
if [ ! -f "$supernet" ] || [ ! -f "$latency_model" ]; then
  skipped="supernet '$supernet' or latency model '$latency_model' missing (set QTNAS_SUPERNET / QTNAS_LATENCY_MODEL)"
  echo "search_quality: real problem skipped: $skipped" >&2
else
  start_real=$SECONDS
  for seed in $(seq 1 $seeds); do
    for searcher in nsga2 random; do
      db=$raw/real_${searcher}_seed$seed.sqlite
      rm -f "$db" "$db-wal" "$db-shm" "$db-writer.lock"
      wait_quiet
      "$qtnas" search --supernet "$supernet" --latency-model "$latency_model" \
        --latency-budget-fraction $budget_fraction --searcher $searcher --population $real_pop \
        --generations $real_gen --seed "$seed" --val-subset $val_subset --no-closed-loop --no-full-fidelity \
        --json --db "$db" >"$raw/real_${searcher}_seed$seed.log" 2>&1
    done
    # Optuna faces the space and budget of the qtnas run of the same seed (read from its database).
    wait_quiet
    $python bench/optuna_search.py real --run-db "$raw/real_nsga2_seed$seed.sqlite" --seed "$seed" \
      --population $real_pop --generations $real_gen --qtnas "$qtnas" --supernet "$supernet" \
      --latency-model "$latency_model" --val-subset $val_subset >"$raw/real_optuna_seed$seed.json"
    echo "search_quality: real problem seed $seed done ($(elapsed "$start_real") s so far)" >&2
  done
  real_seconds=$(elapsed "$start_real")
fi

settings=$(printf '{"quick": %s, "seeds": %s, "zdt_population": %s, "zdt_generations": %s,
  "real_population": %s, "real_generations": %s, "val_subset": %s, "latency_budget_fraction": %s,
  "supernet": "%s", "latency_model": "%s", "zdt_seconds": %s, "real_seconds": %s}' \
  "$( ((quick)) && echo true || echo false)" $seeds $zdt_pop $zdt_gen $real_pop $real_gen $val_subset \
  $budget_fraction "$supernet" "$latency_model" "$zdt_seconds" "$real_seconds")
$python bench/search_quality_report.py --raw "$raw" --out "$out" --bench "$bench" --qtnas "$qtnas" \
  --settings "$settings" --real-skipped-because "$skipped"
echo "search_quality: wrote $out/search_quality.json and $out/search_quality.md (ZDT ${zdt_seconds} s, real ${real_seconds} s)" >&2
