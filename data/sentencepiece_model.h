// A SentencePiece model reached through the libqtnas_sentencepiece.so module (see data/sentencepiece_shim.h).
// The module is found at $QTNAS_SENTENCEPIECE_SHIM, else where the build put it. Thread-safe: a loaded model
// is immutable.
#pragma once

#include <array>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace qtnas {

class SentencePieceModel {
 public:
  // Trains on `texts` with SentencePiece trainer arguments; the serialized model on success, else false and
  // the trainer's message in *error.
  static bool train(const std::vector<std::string>& texts, const std::unordered_map<std::string, std::string>& args,
                    std::string* model, std::string* error);
  // Null and the reason in *error when the bytes are not a SentencePiece model.
  static std::shared_ptr<const SentencePieceModel> load(const std::string& bytes, std::string* error);

  ~SentencePieceModel();
  SentencePieceModel(const SentencePieceModel&) = delete;
  SentencePieceModel& operator=(const SentencePieceModel&) = delete;

  int piece_size() const;
  std::array<int, 4> special_ids() const;  // pad, unk, bos, eos
  std::vector<int> encode(std::string_view text) const;  // throws qtnas::Error on an internal failure
  std::string id_to_piece(int id) const;
  std::string serialized() const;

 private:
  explicit SentencePieceModel(void* handle) : handle_(handle) {}
  void* handle_;
};

}  // namespace qtnas
