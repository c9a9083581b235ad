// An architecture (a subnet of the supernet) as plain data, its canonical text form and its id.
//
// Text form: the layers in order, joined by ','. A layer is "h<heads>-f<ffn>-s<sparsity %>-<precision>", with
// a fifth field "-k<keep %>" when the layer keeps fewer than all tokens (token elimination), e.g.
// "h4-f1024-s0-fp32" or "h2-f512-s50-int8-k50", or "skip" for a layer with no attention and no FFN (elastic
// depth):
//   "h4-f1024-s0-fp32,h2-f512-s50-int8-k50,skip,h0-f256-s90-bf16-k25"
// A keep of 100 is never written, so archs without token elimination keep the strings and ids they always had.
// Parsing normalizes: a skipped layer reads back as h0-f0-s0-fp32 with the keep of the layer before it (it
// passes the tokens on unchanged). to_string writes the canonical form, so parse_arch(to_string(a)) ==
// normalized(a), and the id of an arch is stable_hash(to_string(a)).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "space/precision.h"

namespace qtnas {

struct LayerArch {
  int heads = 0;         // attention heads used (the first `heads` of the supernet's); 0 = no attention
  int ffn = 0;           // FFN width (the first `ffn` neurons); 0 = no FFN
  int sparsity_pct = 0;  // fraction of each weight row pruned by magnitude, in percent [0, 100)
  Precision precision = Precision::FP32;  // of this layer's linear weights and matmuls
  // Token elimination: the layer passes on ceil(keep_pct / 100 * n) of the example's n unpadded tokens, those
  // that received the most attention in it ([CLS] always kept). Never above the previous layer's keep: a
  // dropped token stays dropped. 100 = every token.
  int keep_pct = 100;

  bool skipped() const { return heads == 0 && ffn == 0; }
  bool operator==(const LayerArch& o) const {
    return heads == o.heads && ffn == o.ffn && sparsity_pct == o.sparsity_pct && precision == o.precision &&
           keep_pct == o.keep_pct;
  }
  bool operator!=(const LayerArch& o) const { return !(*this == o); }
};

struct Arch {
  std::vector<LayerArch> layers;  // one entry per supernet layer, skipped ones included

  int active_layers() const;
  bool operator==(const Arch& o) const { return layers == o.layers; }
  bool operator!=(const Arch& o) const { return !(*this == o); }
};

// The canonical text form (see above).
std::string to_string(const LayerArch& layer);
std::string to_string(const Arch& arch);

// Parses the text form; whitespace around layers is ignored. Throws qtnas::Error naming the layer and the
// offending token. It checks syntax only: SearchSpace::validate checks the values against a space.
Arch parse_arch(std::string_view text);

// The same arch with skipped layers reset to sparsity 0 and fp32 (genes that have no effect), and to the keep of
// the layer before them (100 for the first).
Arch normalized(Arch arch);

// Stable 64-bit id: stable_hash(to_string(arch)). Equal for archs with equal canonical strings.
uint64_t arch_id(const Arch& arch);

}  // namespace qtnas
