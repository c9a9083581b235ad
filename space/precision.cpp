#include "space/precision.h"

#include <algorithm>
#include <cctype>

#include "space/error.h"

namespace qtnas {

Precision parse_precision(std::string_view name) {
  std::string lower(name);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  for (Precision p : kAllPrecisions) {
    if (lower == to_string(p)) return p;
  }
  QTNAS_FAIL("unknown precision '{}' (allowed: fp32, bf16, int8)", name);
}

const char* to_string(Precision p) {
  switch (p) {
    case Precision::FP32: return "fp32";
    case Precision::BF16: return "bf16";
    case Precision::INT8: return "int8";
  }
  return "?";
}

int bytes_per_weight(Precision p) {
  switch (p) {
    case Precision::FP32: return 4;
    case Precision::BF16: return 2;
    case Precision::INT8: return 1;
  }
  return 4;
}

}  // namespace qtnas
