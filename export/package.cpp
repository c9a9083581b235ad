#include "export/package.h"

#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "space/error.h"
#include "space/hash.h"
#include "space/json_text.h"
#include "space/space_json.h"
#include "supernet/batches.h"

namespace qtnas {

void save_model(const std::string& path, torch::jit::Module& module, const ModelMeta& meta,
                const std::string& tokenizer_bytes) {
  const SearchSpace space(meta.space);
  const nlohmann::json j = {{"format", "qtnas-model"},
                            {"version", kModelFormatVersion},
                            {"arch", to_string(meta.arch)},
                            {"arch_id", hash_hex(arch_id(meta.arch))},
                            {"space_hash", space.hash_hex()},
                            {"space", to_json(meta.space)},
                            {"label_names", meta.label_names},
                            {"pairs", meta.pairs},
                            {"provenance", meta.provenance}};
  torch::jit::ExtraFilesMap extra = {{"qtnas_meta.json", j.dump(2)}, {"tokenizer.model", tokenizer_bytes}};
  const std::string tmp = path + ".tmp";
  try {
    module.save(tmp, extra);
  } catch (const c10::Error& e) {
    QTNAS_FAIL("cannot write model '{}': {}", path, e.what_without_backtrace());
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  QTNAS_CHECK(!ec, "cannot write model '{}': {}", path, ec.message());
}

LoadedModel load_model(const std::string& path) {
  QTNAS_CHECK(std::filesystem::is_regular_file(path), "model '{}' does not exist", path);
  torch::jit::ExtraFilesMap extra = {{"qtnas_meta.json", ""}, {"tokenizer.model", ""}};
  torch::jit::Module module;
  try {
    module = torch::jit::load(path, c10::nullopt, extra);
  } catch (const c10::Error& e) {
    QTNAS_FAIL("model '{}' is not a readable TorchScript file (truncated or corrupt?)", path);
  }
  QTNAS_CHECK(!extra["qtnas_meta.json"].empty(), "'{}' is a TorchScript file but not a qtnas model", path);
  try {
    const nlohmann::json j =
        parse_json_text(extra["qtnas_meta.json"], fmt::format("the qtnas_meta.json of model '{}'", path));
    QTNAS_CHECK(j.at("format") == "qtnas-model", "'{}' is not a qtnas model", path);
    const int version = j.at("version").get<int>();
    QTNAS_CHECK(version <= kModelFormatVersion, "model '{}' has format version {}, newer than this qtnas ({})", path,
                version, kModelFormatVersion);
    ModelMeta meta{parse_arch(j.at("arch").get<std::string>()), space_config_from_json(j.at("space")),
                   j.at("label_names").get<std::vector<std::string>>(), j.at("provenance"), j.value("pairs", false)};
    QTNAS_CHECK(SearchSpace(meta.space).hash_hex() == j.at("space_hash").get<std::string>(),
                "model '{}': its space does not match its space hash", path);
    module.eval();
    return {std::move(module), std::move(meta), Tokenizer::from_serialized(extra["tokenizer.model"])};
  } catch (const nlohmann::json::exception& e) {
    QTNAS_FAIL("model '{}' has malformed metadata: {}", path, e.what());
  }
}

torch::Tensor logits(LoadedModel& model, const std::vector<Example>& inputs, int batch_size) {
  EncodedSplit split;
  for (const Example& input : inputs) {
    QTNAS_CHECK(model.meta.pairs == !input.text_pair.empty(),
                model.meta.pairs ? "this model classifies pairs of texts: give each input as two texts"
                                 : "this model classifies single texts, not pairs");
    split.ids.push_back(model.tokenizer.encode(input, model.meta.space.max_seq_len));
    split.labels.push_back(0);
  }
  torch::InferenceMode inference;
  std::vector<torch::Tensor> rows(inputs.size());
  for (size_t begin = 0; begin < inputs.size(); begin += size_t(batch_size)) {
    std::vector<size_t> indices;
    for (size_t i = begin; i < std::min(inputs.size(), begin + size_t(batch_size)); ++i) indices.push_back(i);
    const Batch b = make_batch(split, indices);
    const torch::Tensor out = model.module.forward({b.ids, b.pad}).toTensor();
    for (size_t k = 0; k < indices.size(); ++k) rows[indices[k]] = out[int64_t(k)];
  }
  return inputs.empty() ? torch::empty({0, int64_t(model.meta.label_names.size())}) : torch::stack(rows);
}

namespace {

std::vector<Example> as_inputs(const std::vector<std::string>& texts) {
  std::vector<Example> inputs;
  inputs.reserve(texts.size());
  for (const auto& t : texts) inputs.push_back({t, 0, ""});
  return inputs;
}

}  // namespace

torch::Tensor logits(LoadedModel& model, const std::vector<std::string>& texts, int batch_size) {
  return logits(model, as_inputs(texts), batch_size);
}

std::vector<Example> prediction_inputs(const std::vector<std::string>& texts, const std::string& path, bool pairs) {
  QTNAS_CHECK(!pairs || texts.size() % 2 == 0, "this model classifies pairs of texts: give texts two by two, got {}",
              texts.size());
  std::vector<Example> inputs;
  for (size_t i = 0; i < texts.size(); i += pairs ? 2 : 1) inputs.push_back({texts[i], 0, pairs ? texts[i + 1] : ""});
  if (!path.empty()) {
    std::ifstream in(path);
    QTNAS_CHECK(in && !std::filesystem::is_directory(path), "input file '{}' cannot be read", path);
    int line_no = 0;
    for (std::string line; std::getline(in, line);) {
      ++line_no;
      if (line.empty()) continue;
      if (!pairs) {
        inputs.push_back({line, 0, ""});
        continue;
      }
      const size_t tab = line.find('\t');
      QTNAS_CHECK(tab != std::string::npos && tab > 0 && tab + 1 < line.size(),
                  "{}:{}: this model classifies pairs of texts: expected 'first<TAB>second'", path, line_no);
      inputs.push_back({line.substr(0, tab), 0, line.substr(tab + 1)});
    }
  }
  QTNAS_CHECK(!inputs.empty(), "nothing to predict: give texts as arguments or --input FILE (one text per line)");
  return inputs;
}

std::vector<Prediction> predict(LoadedModel& model, const std::vector<Example>& inputs, int batch_size) {
  const torch::Tensor probs = torch::softmax(logits(model, inputs, batch_size), 1);
  std::vector<Prediction> out;
  for (int64_t i = 0; i < probs.size(0); ++i) {
    const int64_t k = probs[i].argmax().item<int64_t>();
    out.push_back({model.meta.label_names.at(size_t(k)), probs[i][k].item<double>()});
  }
  return out;
}

std::vector<Prediction> predict(LoadedModel& model, const std::vector<std::string>& texts, int batch_size) {
  return predict(model, as_inputs(texts), batch_size);
}

nlohmann::json to_json(const std::vector<Example>& inputs, const std::vector<Prediction>& predictions, bool pairs) {
  nlohmann::json out = nlohmann::json::array();
  for (size_t i = 0; i < inputs.size(); ++i) {
    nlohmann::json row = {{"text", inputs[i].text}, {"label", predictions[i].label}, {"score", predictions[i].score}};
    if (pairs) row["text_pair"] = inputs[i].text_pair;
    out.push_back(std::move(row));
  }
  return out;
}

std::string to_lines(const std::vector<Example>& inputs, const std::vector<Prediction>& predictions, bool pairs) {
  std::string out;
  for (size_t i = 0; i < inputs.size(); ++i) {
    out += fmt::format("{}\t{:.3f}\t{}{}\n", predictions[i].label, predictions[i].score, inputs[i].text,
                       pairs ? "\t" + inputs[i].text_pair : "");
  }
  return out;
}

}  // namespace qtnas
