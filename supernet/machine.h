// What this CPU can do fast, read once from /proc/cpuinfo (Linux). Used to resolve requested precisions.
#pragma once

#include <string>

namespace qtnas {

std::string cpu_model_name();
bool cpu_has_flag(const std::string& flag);  // e.g. "amx_int8", "avx512_bf16"
// True where bf16 matmuls run natively (AVX512-BF16 or AMX-BF16); elsewhere bf16 autocast would be slower.
// The environment variable QTNAS_NO_NATIVE_BF16 (set and not "0") makes it false on any CPU, so that qtnas
// decides as it would on a CPU without native bf16 (training in fp32; tests take their fp32 branches). It changes
// qtnas's decisions only: oneDNN still picks its bf16 kernels by the real CPU when bf16 modules run.
bool cpu_has_fast_bf16();
// Why cpu_has_fast_bf16() says what it says, in a few words for logs and skipped tests: "native (avx512_bf16)",
// "emulated: no avx512_bf16 or amx_bf16 on this CPU", or "switched off by QTNAS_NO_NATIVE_BF16".
std::string bf16_support();

// The cores a `--threads N` option asks for: N when positive, else every core of this machine (at least 1).
int cores_to_use(int threads);

// Gives OpenBLAS (LibTorch's fp32 matmuls, when Debian's BLAS is OpenBLAS) a single thread of its own; LibTorch's
// OpenMP threads do the intra-op parallelism. Its pthread pool and OpenMP's pool spin against each other on few
// cores: measured here, the largest fp32 subnet took 164 ms instead of 15 ms at batch 1 when modules alternated.
// Returns false where the BLAS is not OpenBLAS (nothing to do).
bool set_openblas_single_threaded();
bool set_openblas_threads(int threads);  // the same with `threads`

// Threads for training on `cores` cores. In fp32 the matmuls run in OpenBLAS, which gets them all, and
// LibTorch's OpenMP pool one: measured on 2 vCPUs (bench_train_step, README), the two pools spinning against each
// other made an fp32 training step 3x slower. Under bf16 autocast the matmuls run in oneDNN on OpenMP's pool,
// which then gets the cores and OpenBLAS one (otherwise a bf16 step runs on one core).
void configure_training_threads(int cores, bool bf16_autocast);

// Makes glibc keep freed memory for reuse instead of handing large blocks back to the kernel (M_MMAP_THRESHOLD
// and M_TRIM_THRESHOLD at 1 GiB). Otherwise a process that has built many modules gets each large activation
// as fresh pages, page-faulted on every forward: measured here on the largest FP32 subnet at batch 32 in a
// Python process, 290 ms per forward instead of 210 ms. Called first thing by the qtnas executable.
void keep_freed_memory_for_reuse();

}  // namespace qtnas
