// The numeric precision of a layer's weights and matmuls. One enum, one parse function, one name function.
// Whether this machine runs a precision fast is decided where kernels are chosen (supernet/, export/).
#pragma once

#include <string>
#include <string_view>

namespace qtnas {

enum class Precision { FP32, BF16, INT8 };

inline constexpr Precision kAllPrecisions[] = {Precision::FP32, Precision::BF16, Precision::INT8};

// "fp32", "bf16", "int8" (case-insensitive); anything else throws qtnas::Error listing the allowed names.
Precision parse_precision(std::string_view name);
// The lowercase canonical name: "fp32", "bf16" or "int8".
const char* to_string(Precision p);
// Bytes per stored weight: 4, 2 or 1.
int bytes_per_weight(Precision p);

}  // namespace qtnas
