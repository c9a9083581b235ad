#include "space/arch.h"

#include <cctype>
#include <charconv>

#include "space/error.h"
#include "space/hash.h"

namespace qtnas {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  for (size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || s[i] == sep) {
      parts.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  return parts;
}

// Reads "<prefix><non-negative integer>", e.g. "h4"; returns false when the token has another shape.
bool read_field(std::string_view token, char prefix, int* value) {
  if (token.size() < 2 || token[0] != prefix) return false;
  const char* first = token.data() + 1;
  const char* last = token.data() + token.size();
  auto [ptr, ec] = std::from_chars(first, last, *value);
  return ec == std::errc() && ptr == last && *value >= 0;
}

constexpr const char* kLayerSyntax = "h<heads>-f<ffn>-s<sparsity %>-<fp32|bf16|int8>[-k<keep %>] or 'skip'";

LayerArch parse_layer(std::string_view text, size_t index, std::string_view whole) {
  if (text == "skip") return LayerArch{};
  const auto fields = split(text, '-');
  QTNAS_CHECK(fields.size() == 4 || fields.size() == 5, "arch '{}': layer {} '{}' has {} fields; expected {}",
              whole, index, text, fields.size(), kLayerSyntax);
  LayerArch layer;
  QTNAS_CHECK(read_field(fields[0], 'h', &layer.heads), "arch '{}': layer {}: '{}' is not h<heads> (e.g. h4)",
              whole, index, fields[0]);
  QTNAS_CHECK(read_field(fields[1], 'f', &layer.ffn), "arch '{}': layer {}: '{}' is not f<ffn width> (e.g. f512)",
              whole, index, fields[1]);
  QTNAS_CHECK(read_field(fields[2], 's', &layer.sparsity_pct),
              "arch '{}': layer {}: '{}' is not s<sparsity percent> (e.g. s50)", whole, index, fields[2]);
  QTNAS_CHECK(layer.sparsity_pct < 100, "arch '{}': layer {}: sparsity {}% must be below 100", whole, index,
              layer.sparsity_pct);
  try {
    layer.precision = parse_precision(fields[3]);
  } catch (const Error&) {
    QTNAS_FAIL("arch '{}': layer {}: unknown precision '{}' (allowed: fp32, bf16, int8)", whole, index, fields[3]);
  }
  if (fields.size() == 5) {
    QTNAS_CHECK(read_field(fields[4], 'k', &layer.keep_pct),
                "arch '{}': layer {}: '{}' is not k<keep percent> (e.g. k50)", whole, index, fields[4]);
    QTNAS_CHECK(layer.keep_pct >= 1 && layer.keep_pct <= 100, "arch '{}': layer {}: keep {}% is outside 1..100",
                whole, index, layer.keep_pct);
  }
  return layer;
}

}  // namespace

int Arch::active_layers() const {
  int n = 0;
  for (const auto& layer : layers) n += layer.skipped() ? 0 : 1;
  return n;
}

std::string to_string(const LayerArch& layer) {
  if (layer.skipped()) return "skip";
  std::string text =
      fmt::format("h{}-f{}-s{}-{}", layer.heads, layer.ffn, layer.sparsity_pct, to_string(layer.precision));
  if (layer.keep_pct != 100) text += fmt::format("-k{}", layer.keep_pct);
  return text;
}

std::string to_string(const Arch& arch) {
  std::string out;
  for (size_t i = 0; i < arch.layers.size(); ++i) {
    if (i) out += ',';
    out += to_string(arch.layers[i]);
  }
  return out;
}

Arch parse_arch(std::string_view text) {
  const std::string_view whole = trim(text);
  QTNAS_CHECK(!whole.empty(), "empty arch string; expected layers like {} joined by ','", kLayerSyntax);
  Arch arch;
  const auto parts = split(whole, ',');
  for (size_t i = 0; i < parts.size(); ++i) {
    const std::string_view part = trim(parts[i]);
    QTNAS_CHECK(!part.empty(), "arch '{}': layer {} is empty", whole, i);
    arch.layers.push_back(parse_layer(part, i, whole));
  }
  return normalized(std::move(arch));
}

Arch normalized(Arch arch) {
  int keep = 100;
  for (auto& layer : arch.layers) {
    if (layer.skipped()) {
      layer = LayerArch{};
      layer.keep_pct = keep;
    }
    keep = layer.keep_pct;
  }
  return arch;
}

uint64_t arch_id(const Arch& arch) { return stable_hash(to_string(arch)); }

}  // namespace qtnas
