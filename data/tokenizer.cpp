#include "data/tokenizer.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <unordered_map>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "data/dataset.h"
#include "data/sentencepiece_model.h"
#include "space/error.h"
#include "space/hash.h"
#include "space/json_text.h"

namespace qtnas {
namespace {

std::string read_all(const std::string& path) {
  std::ifstream in = open_input_file(path);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  QTNAS_CHECK(!in.bad(), "'{}': read error", path);
  return bytes;
}

// Writes to a temporary name first and renames, so an interrupted run never leaves a half-written model
// that a later train_or_load would take for a finished one.
void write_all(const std::string& path, const std::string& bytes) {
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  std::error_code ec;
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  const std::string tmp = path + ".tmp";
  {
    errno = 0;
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    QTNAS_CHECK(out, "cannot write '{}': {}", tmp, errno != 0 ? std::strerror(errno) : "unwritable");
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    out.close();
    QTNAS_CHECK(out, "cannot write '{}': write failed", tmp);
  }
  std::filesystem::rename(tmp, path, ec);
  QTNAS_CHECK(!ec, "cannot write '{}': {}", path, ec.message());
}

std::string sidecar_path(const std::string& model_path) { return model_path + ".json"; }

// `what` names the source in error messages: "'path'" or "the serialized tokenizer".
std::shared_ptr<const SentencePieceModel> processor_from_bytes(const std::string& bytes, const std::string& what) {
  std::string error;
  auto processor = SentencePieceModel::load(bytes, &error);
  QTNAS_CHECK(processor != nullptr, "tokenizer {} is not a valid SentencePiece model: {}", what, error);
  const auto special = processor->special_ids();
  QTNAS_CHECK(special == (std::array<int, 4>{0, 1, 2, 3}),
              "tokenizer {} was not made by qtnas: special ids are pad {} unk {} bos {} eos {} (expected 0 1 2 3)",
              what, special[0], special[1], special[2], special[3]);
  return processor;
}

}  // namespace

Tokenizer::Tokenizer(std::shared_ptr<const SentencePieceModel> processor)
    : processor_(std::move(processor)) {}

std::string Tokenizer::fingerprint(const std::vector<std::string>& texts, int vocab_size) {
  // Length-prefixed so that ["ab", "c"] and ["a", "bc"] differ.
  std::string bytes = fmt::format("qtnas-tokenizer-v1 vocab_size={}\n", vocab_size);
  for (const std::string& text : texts) {
    bytes += std::to_string(text.size());
    bytes += ':';
    bytes += text;
  }
  return hash_hex(stable_hash(bytes));
}

Tokenizer Tokenizer::train(const std::vector<std::string>& texts, int vocab_size, const std::string& model_path,
                           const std::vector<std::string>& extra_texts) {
  QTNAS_CHECK(!texts.empty(), "cannot train tokenizer '{}': no texts", model_path);
  QTNAS_CHECK(vocab_size >= 8, "cannot train tokenizer '{}': vocab_size {} is too small (at least 8)", model_path,
              vocab_size);
  // bos (id 2) doubles as [CLS]. hard_vocab_limit=false lets a small corpus give a smaller vocabulary instead
  // of failing. The module fixes SentencePiece's random seed, so training is repeatable. The map
  // overload is used because the string one echoes the command line at INFO level before minloglevel applies.
  const std::unordered_map<std::string, std::string> args = {
      {"model_type", "unigram"},         {"vocab_size", std::to_string(vocab_size)},
      {"pad_id", "0"},                   {"unk_id", "1"},
      {"bos_id", "2"},                   {"eos_id", "3"},
      {"character_coverage", "1.0"},     {"hard_vocab_limit", "false"},
      {"num_threads", "2"},              {"minloglevel", "2"},
      {"shuffle_input_sentence", "false"}};
  std::vector<std::string> corpus;
  const std::vector<std::string>* all = &texts;
  if (!extra_texts.empty()) {
    corpus.reserve(texts.size() + extra_texts.size());
    corpus.insert(corpus.end(), texts.begin(), texts.end());
    corpus.insert(corpus.end(), extra_texts.begin(), extra_texts.end());
    all = &corpus;
  }
  std::string model, error;
  QTNAS_CHECK(SentencePieceModel::train(*all, args, &model, &error), "cannot train tokenizer '{}': {}", model_path,
              error);
  Tokenizer tokenizer(processor_from_bytes(model, "'" + model_path + "'"));

  const nlohmann::json sidecar = {{"vocab_size_requested", vocab_size},
                                  {"fingerprint", fingerprint(texts, vocab_size)},
                                  {"extra_texts", extra_texts.size()}};
  write_all(model_path, model);
  write_all(sidecar_path(model_path), sidecar.dump(2) + "\n");
  return tokenizer;
}

Tokenizer Tokenizer::load(const std::string& model_path) {
  return Tokenizer(processor_from_bytes(read_all(model_path), "'" + model_path + "'"));
}

Tokenizer Tokenizer::from_serialized(const std::string& bytes) {
  return Tokenizer(processor_from_bytes(bytes, "(serialized)"));
}

Tokenizer Tokenizer::train_or_load(const std::vector<std::string>& texts, int vocab_size,
                                   const std::string& model_path, bool* reused,
                                   const std::vector<std::string>& extra_texts) {
  std::error_code ec;
  if (!std::filesystem::exists(model_path, ec)) {
    if (reused) *reused = false;
    return train(texts, vocab_size, model_path, extra_texts);
  }
  const std::string refuse = fmt::format(
      "tokenizer '{}' was trained on other data or another vocabulary size; use another work directory or "
      "delete it",
      model_path);
  const std::string sidecar_file = sidecar_path(model_path);
  const std::string no_fingerprint = fmt::format(
      "tokenizer '{}' has no readable fingerprint file '{}'; use another work directory or delete it", model_path,
      sidecar_file);
  QTNAS_CHECK(std::filesystem::is_regular_file(sidecar_file, ec), "{}", no_fingerprint);
  const nlohmann::json sidecar = parse_json_file(sidecar_file, "tokenizer fingerprint file");
  QTNAS_CHECK(sidecar.is_object() && sidecar.contains("fingerprint") && sidecar.at("fingerprint").is_string(), "{}",
              no_fingerprint);
  QTNAS_CHECK(sidecar.at("fingerprint").get<std::string>() == fingerprint(texts, vocab_size), "{}", refuse);
  Tokenizer tokenizer = load(model_path);
  if (reused) *reused = true;
  return tokenizer;
}

int Tokenizer::vocab_size() const { return processor_->piece_size(); }

std::vector<int> Tokenizer::pieces(std::string_view text) const {
  return processor_->encode(text);
}

std::vector<int> Tokenizer::encode(std::string_view text, int max_len) const {
  QTNAS_CHECK(max_len >= 1, "max_len must be at least 1, got {}", max_len);
  const std::vector<int> ids = pieces(text);
  std::vector<int> out;
  const size_t n = std::min(ids.size() + 1, static_cast<size_t>(max_len));
  out.reserve(n);
  out.push_back(cls_id());
  out.insert(out.end(), ids.begin(), ids.begin() + static_cast<std::ptrdiff_t>(n - 1));
  return out;
}

std::vector<int> Tokenizer::assemble_pair(const std::vector<int>& a, const std::vector<int>& b, int max_len) {
  QTNAS_CHECK(max_len >= 3, "a sentence pair needs max_len of at least 3, got {}", max_len);
  const size_t budget = static_cast<size_t>(max_len) - 2;
  const size_t half_a = (budget + 1) / 2;
  const size_t keep_a = std::min(a.size(), std::max(half_a, budget - std::min(budget, b.size())));
  const size_t keep_b = std::min(b.size(), budget - keep_a);
  std::vector<int> out;
  out.reserve(keep_a + keep_b + 2);
  out.push_back(2);  // cls_id()
  out.insert(out.end(), a.begin(), a.begin() + static_cast<std::ptrdiff_t>(keep_a));
  out.push_back(3);  // eos_id(), the separator
  out.insert(out.end(), b.begin(), b.begin() + static_cast<std::ptrdiff_t>(keep_b));
  return out;
}

std::vector<int> Tokenizer::encode_pair(std::string_view a, std::string_view b, int max_len) const {
  return assemble_pair(pieces(a), pieces(b), max_len);
}

std::vector<int> Tokenizer::encode(const Example& example, int max_len) const {
  return example.text_pair.empty() ? encode(example.text, max_len)
                                   : encode_pair(example.text, example.text_pair, max_len);
}

int Tokenizer::length(std::string_view text) const { return static_cast<int>(pieces(text).size()) + 1; }

int Tokenizer::length(const Example& example) const {
  return example.text_pair.empty() ? length(example.text)
                                   : static_cast<int>(pieces(example.text).size() + pieces(example.text_pair).size()) + 2;
}

std::string Tokenizer::piece(int id) const {
  QTNAS_CHECK(id >= 0 && id < vocab_size(), "token id {} out of range [0, {})", id, vocab_size());
  return processor_->id_to_piece(id);
}

std::string Tokenizer::serialized() const { return processor_->serialized(); }

}  // namespace qtnas
