// Example 3: a C++ program that classifies texts with a model `qtnas export` wrote.
//
//   build/examples/classify MODEL.pt "a text" ["another text" ...]
//   build/examples/classify PAIR_MODEL.pt "first text" "second text" [...]   (two by two)
//
// What it depends on:
//   - LibTorch (Debian's libtorch-dev): torch::jit::load runs the module, INT8 layers on the oneDNN engine;
//   - nlohmann-json: the model's metadata (label names, whether it classifies pairs);
//   - qtnas_data, for its Tokenizer only: SentencePiece through qtnas's small dlopen shim, because Debian's
//     libsentencepiece bundles a protobuf that crashes beside LibTorch's in one process (data/sentencepiece_shim.h).
// The module does the rest: classify / classify_pairs take SentencePiece ids and add [CLS], [SEP], the cut and
// the padding as training did. Prints one line per input: label, probability, text. Exit code 2 on bad input.
#include <torch/script.h>

#include <iostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "data/tokenizer.h"

namespace {

c10::List<int64_t> piece_ids(const qtnas::Tokenizer& tokenizer, const std::string& text) {
  const std::vector<int> ids = tokenizer.pieces(text);
  return c10::List<int64_t>(std::vector<int64_t>(ids.begin(), ids.end()));
}

int classify(const std::string& path, const std::vector<std::string>& texts) {
  torch::jit::ExtraFilesMap extra = {{"qtnas_meta.json", ""}, {"tokenizer.model", ""}};
  torch::jit::Module module = torch::jit::load(path, c10::nullopt, extra);
  const nlohmann::json meta = nlohmann::json::parse(extra["qtnas_meta.json"]);
  const auto labels = meta.at("label_names").get<std::vector<std::string>>();
  const bool pairs = meta.value("pairs", false);
  const qtnas::Tokenizer tokenizer = qtnas::Tokenizer::from_serialized(extra["tokenizer.model"]);
  if (pairs && texts.size() % 2 != 0) {
    std::cerr << "classify: this model classifies pairs of texts: give texts two by two\n";
    return 2;
  }
  const size_t step = pairs ? 2 : 1;
  c10::List<c10::List<int64_t>> first, second;
  for (size_t i = 0; i < texts.size(); i += step) {
    first.push_back(piece_ids(tokenizer, texts[i]));
    if (pairs) second.push_back(piece_ids(tokenizer, texts[i + 1]));
  }
  torch::InferenceMode inference;
  const at::Tensor logits = pairs ? module.run_method("classify_pairs", first, second).toTensor()
                                  : module.run_method("classify", first).toTensor();
  const at::Tensor probabilities = torch::softmax(logits, -1);
  for (int64_t row = 0; row < probabilities.size(0); ++row) {
    const int64_t best = probabilities[row].argmax().item<int64_t>();
    std::cout << labels.at(static_cast<size_t>(best)) << '\t' << std::fixed;
    std::cout.precision(3);
    std::cout << probabilities[row][best].item<double>() << '\t' << texts[size_t(row) * step];
    if (pairs) std::cout << '\t' << texts[size_t(row) * step + 1];
    std::cout << '\n';
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: classify MODEL.pt TEXT [TEXT...]\n";
    return 2;
  }
  // INT8 layers run on oneDNN, where qtnas measured them.
  at::globalContext().setQEngine(at::QEngine::ONEDNN);
  try {
    return classify(argv[1], std::vector<std::string>(argv + 2, argv + argc));
  } catch (const c10::Error& e) {
    std::cerr << "classify: cannot run '" << argv[1] << "': " << e.what_without_backtrace() << '\n';
  } catch (const std::exception& e) {
    std::cerr << "classify: " << e.what() << '\n';
  }
  return 2;
}
