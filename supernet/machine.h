// What this CPU can do fast, read once from /proc/cpuinfo (Linux). Used to resolve requested precisions.
#pragma once

#include <string>

namespace qtnas {

std::string cpu_model_name();
bool cpu_has_flag(const std::string& flag);  // e.g. "amx_int8", "avx512_bf16"
// True where bf16 matmuls run natively (AVX512-BF16 or AMX-BF16); elsewhere bf16 autocast would be slower.
bool cpu_has_fast_bf16();

// Gives OpenBLAS (LibTorch's fp32 matmuls, when Debian's BLAS is OpenBLAS) a single thread of its own; LibTorch's
// OpenMP threads do the intra-op parallelism. Its pthread pool and OpenMP's pool spin against each other on few
// cores: measured here, the largest fp32 subnet took 164 ms instead of 15 ms at batch 1 when modules alternated.
// Returns false where the BLAS is not OpenBLAS (nothing to do).
bool set_openblas_single_threaded();

// Makes glibc keep freed memory for reuse instead of handing large blocks back to the kernel (M_MMAP_THRESHOLD
// and M_TRIM_THRESHOLD at 1 GiB). Otherwise a process that has built many modules gets each large activation
// as fresh pages, page-faulted on every forward: measured here on the largest FP32 subnet at batch 32 in a
// Python process, 290 ms per forward instead of 210 ms. Called first thing by the qtnas executable.
void keep_freed_memory_for_reuse();

}  // namespace qtnas
