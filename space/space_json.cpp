#include "space/space_json.h"

#include <fmt/format.h>

#include "space/error.h"
#include "space/hash.h"
#include "space/rng.h"

namespace qtnas {

nlohmann::json to_json(const SpaceConfig& c) {
  std::vector<std::string> precisions;
  for (Precision p : c.precisions) precisions.push_back(to_string(p));
  nlohmann::json j = {{"layers", c.layers},
                      {"hidden", c.hidden},
                      {"max_heads", c.max_heads},
                      {"head_dim", c.head_dim},
                      {"ffn_choices", c.ffn_choices},
                      {"sparsity_pct_choices", c.sparsity_pct_choices},
                      {"precisions", precisions},
                      {"min_active_layers", c.min_active_layers},
                      {"skip_probability", c.skip_probability},
                      {"vocab_size", c.vocab_size},
                      {"max_seq_len", c.max_seq_len},
                      {"num_classes", c.num_classes}};
  // Written only for a space with token elimination: older files, which lack it, mean {100}.
  if (c.keep_pct_choices != std::vector<int>{100}) j["keep_pct_choices"] = c.keep_pct_choices;
  if (c.pooling != Pooling::Cls) j["pooling"] = to_string(c.pooling);  // likewise: absent means cls
  return j;
}

SpaceConfig space_config_from_json(const nlohmann::json& j) {
  SpaceConfig c;
  try {
    c.layers = j.at("layers").get<int>();
    c.hidden = j.at("hidden").get<int>();
    c.max_heads = j.at("max_heads").get<int>();
    c.head_dim = j.at("head_dim").get<int>();
    c.ffn_choices = j.at("ffn_choices").get<std::vector<int>>();
    c.sparsity_pct_choices = j.at("sparsity_pct_choices").get<std::vector<int>>();
    c.precisions.clear();
    for (const auto& p : j.at("precisions")) c.precisions.push_back(parse_precision(p.get<std::string>()));
    c.min_active_layers = j.at("min_active_layers").get<int>();
    c.skip_probability = j.at("skip_probability").get<double>();
    c.vocab_size = j.at("vocab_size").get<int>();
    c.max_seq_len = j.at("max_seq_len").get<int>();
    c.num_classes = j.at("num_classes").get<int>();
    if (j.contains("keep_pct_choices")) c.keep_pct_choices = j.at("keep_pct_choices").get<std::vector<int>>();
    if (j.contains("pooling")) c.pooling = parse_pooling(j.at("pooling").get<std::string>());
  } catch (const nlohmann::json::exception& e) {
    QTNAS_FAIL("bad search space description: {}", e.what());
  }
  validate(c);
  return c;
}

nlohmann::json arch_row(const SearchSpace& space, const Arch& arch) {
  const ArchSize size = space.size(arch);
  return {{"id", hash_hex(arch_id(arch))}, {"arch", to_string(arch)},   {"active_layers", arch.active_layers()},
          {"params", size.params},         {"nonzeros", size.nonzeros}, {"size_bytes", size.size_bytes}};
}

std::vector<nlohmann::json> arch_rows(const SearchSpace& space, const ArchQuery& q) {
  QTNAS_CHECK(q.random.has_value() + q.check.has_value() + q.largest + q.smallest == 1,
              "qtnas arch needs exactly one of --random N, --check STR, --largest, --smallest");
  std::vector<nlohmann::json> rows;
  if (q.random) {
    QTNAS_CHECK(*q.random >= 1, "--random must be at least 1, got {}", *q.random);
    Rng rng(q.seed);
    for (int i = 0; i < *q.random; ++i) rows.push_back(arch_row(space, space.sample(rng)));
  } else if (q.check) {
    const Arch arch = parse_arch(*q.check);
    space.validate(arch);
    rows.push_back(arch_row(space, arch));
  } else {
    rows.push_back(arch_row(space, q.largest ? space.largest(q.precision) : space.smallest(q.precision)));
  }
  return rows;
}

std::string arch_table(const std::vector<nlohmann::json>& rows) {
  std::string out = fmt::format("{:<16}  {:>6}  {:>9}  {:>10}  {}\n", "id", "layers", "params", "size_bytes", "arch");
  for (const auto& r : rows) {
    out += fmt::format("{:<16}  {:>6}  {:>9}  {:>10}  {}\n", r["id"].get<std::string>(), r["active_layers"].get<int>(),
                       r["params"].get<int64_t>(), r["size_bytes"].get<int64_t>(), r["arch"].get<std::string>());
  }
  return out;
}

}  // namespace qtnas
