// What this CPU can do fast, read once from /proc/cpuinfo (Linux). Used to resolve requested precisions.
#pragma once

#include <string>

namespace qtnas {

std::string cpu_model_name();
bool cpu_has_flag(const std::string& flag);  // e.g. "amx_int8", "avx512_bf16"
// True where bf16 matmuls run natively (AVX512-BF16 or AMX-BF16); elsewhere bf16 autocast would be slower.
bool cpu_has_fast_bf16();

}  // namespace qtnas
