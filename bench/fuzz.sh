#!/usr/bin/env bash
# Fuzzes the arch-string parser (bench/fuzz_arch.cpp) with libFuzzer under ASan and UBSan.
# Usage: bench/fuzz.sh [SECONDS (default 60)]
# Builds with clang++ straight from the sources (no CMake), into build/fuzz/; the corpus in build/fuzz/corpus
# grows from run to run. Exits 1 when the fuzzer finds a crash (the input is saved as build/fuzz/crash-*).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
[[ "$seconds" =~ ^[1-9][0-9]*$ ]] || { echo "usage: $0 [SECONDS]: '$seconds' is not a positive integer" >&2; exit 2; }

if ! command -v clang++ >/dev/null; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  echo "installing clang..."
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y clang ||
    { $sudo apt-get update && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y clang; }
fi

out=build/fuzz
mkdir -p "$out/corpus" "$out/seeds"
sources=(bench/fuzz_arch.cpp space/arch.cpp space/hash.cpp space/precision.cpp space/rng.cpp
         space/search_space.cpp)
binary=$out/fuzz_arch
stale=0
[ -x "$binary" ] || stale=1
for f in "${sources[@]}" space/*.h; do [ "$f" -nt "$binary" ] && stale=1; done
if [ "$stale" -eq 1 ]; then
  echo "building $binary..."
  clang++ -std=c++17 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -I. \
    "${sources[@]}" -lfmt -o "$binary"
fi

# Seeds: valid archs (spacing and case variants included) and near misses of each kind of error.
seeds=(
  "h4-f1024-s50-int8,h2-f512-s0-fp32,skip"
  "h4-f1024-s0-fp32,h4-f1024-s0-fp32,h4-f1024-s0-fp32,h4-f1024-s0-fp32,h4-f1024-s0-fp32,h4-f1024-s0-fp32"
  "h1-f256-s0-fp32,skip,skip,skip,skip,skip"
  " h4-f1024-s0-fp32, h2-f512-s50-int8 ,skip,h0-f256-s90-BF16 "
  "h0-f0-s75-int8,h1-f0-s0-fp32"
  "h4-f1024-s0"
  "h4-f1024-s0-fp32,,skip"
  "h4-f10-s100-fp32"
  "h4-f10-s-1-fp32"
  "h4-f10-s0-fp16"
  "h99999999999-f1-s1-int8"
)
for i in "${!seeds[@]}"; do printf '%s' "${seeds[$i]}" >"$out/seeds/seed$i"; done
cat >"$out/arch.dict" <<'EOF'
"skip"
"fp32"
"bf16"
"int8"
"h4-"
"-f512-"
"-s50-"
","
EOF

log=$out/fuzz.log
echo "fuzzing parse_arch for ${seconds}s (log: $log)..."
status=0
"$binary" "$out/corpus" "$out/seeds" -dict="$out/arch.dict" -max_total_time="$seconds" -max_len=512 \
  -print_final_stats=1 -artifact_prefix="$out/" >"$log" 2>&1 || status=$?

# The last coverage line ("#N DONE cov: ...") and libFuzzer's final counters.
grep -E '^#[0-9]+' "$log" | tail -n 1 || true
grep -E '^(Done |stat::number_of_executed_units|stat::average_exec_per_sec|stat::peak_rss_mb)' "$log" || true
if [ "$status" -ne 0 ]; then
  echo "fuzzer exited with status $status: crash found" >&2
  grep -E -A 30 '^(==[0-9]+==ERROR|fuzz_arch:|.*runtime error:|parse_arch threw|problems\(\) threw)' "$log" |
    head -n 60 >&2 || true
  ls "$out"/crash-* "$out"/leak-* "$out"/timeout-* "$out"/oom-* 2>/dev/null >&2 || true
  exit 1
fi
echo "no crash"
