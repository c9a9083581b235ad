// Text -> token ids: a SentencePiece unigram model trained on the task's texts, with fixed special ids
// (0 pad, 1 unk, 2 [CLS], 3 eos). The model is stored as SentencePiece's serialized model proto.
// A sentence pair is one sequence, [CLS] a [SEP] b, with eos as [SEP] and no segment embedding: the separator
// and the positions tell the two texts apart, as in RoBERTa, so that a pair task needs no other model.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "data/dataset.h"

namespace qtnas {

class SentencePieceModel;

// Copies share one immutable processor; every const method is safe to call from several threads at once.
class Tokenizer {
 public:
  // Trains a unigram model on `texts` and `extra_texts` in memory and writes it to `model_path` (serialized model
  // proto) plus a sidecar `model_path + ".json"`: {"vocab_size_requested": N, "fingerprint": "<16 hex digits>",
  // "extra_texts": M}. The fingerprint covers `texts` only: the task's labelled training texts name the
  // tokenizer, while unlabelled texts (self-pretraining) only widen what it learns from, so that a later
  // `train` without them reuses the very tokenizer its `--init` checkpoint was pretrained with.
  // The vocabulary may come out smaller than `vocab_size` on a small corpus (never an error on that account).
  // Throws Error when training fails (e.g. no texts, vocab_size < 8) or a file cannot be written.
  static Tokenizer train(const std::vector<std::string>& texts, int vocab_size, const std::string& model_path,
                         const std::vector<std::string>& extra_texts = {});

  // Throws Error naming `model_path` when it is missing, not a SentencePiece model, or has other special ids.
  static Tokenizer load(const std::string& model_path);

  // Loads `model_path` if it exists and its sidecar fingerprint matches (texts, vocab_size); trains it if it
  // does not exist. Throws Error if it exists with another (or no readable) fingerprint, so that nothing stored
  // is silently overwritten. `*reused` (if given) is set to true when loaded, false when trained.
  // `extra_texts` are learnt from only when it is trained (see train()).
  static Tokenizer train_or_load(const std::vector<std::string>& texts, int vocab_size, const std::string& model_path,
                                 bool* reused = nullptr, const std::vector<std::string>& extra_texts = {});

  // The sidecar's fingerprint of (texts, vocab_size): 16 hex digits of stable_hash.
  static std::string fingerprint(const std::vector<std::string>& texts, int vocab_size);

  // Rebuilds a tokenizer from serialized() bytes; throws Error if they are not a valid qtnas model.
  static Tokenizer from_serialized(const std::string& bytes);

  int vocab_size() const;  // the real size, special ids included
  int pad_id() const { return 0; }
  int unk_id() const { return 1; }
  int cls_id() const { return 2; }
  int eos_id() const { return 3; }

  // [CLS] followed by the pieces' ids, truncated to at most max_len ids in total (max_len >= 1, else Error).
  // No padding.
  std::vector<int> encode(std::string_view text, int max_len) const;

  // [CLS] a [SEP] b, cut to at most max_len ids (max_len >= 3, else Error) by assemble_pair's rule.
  std::vector<int> encode_pair(std::string_view a, std::string_view b, int max_len) const;

  // encode(text) or, for a pair task's example, encode_pair(text, text_pair).
  std::vector<int> encode(const Example& example, int max_len) const;

  // Number of ids encode() would give without truncation ([CLS] included).
  int length(std::string_view text) const;
  int length(const Example& example) const;

  // The truncation rule of a pair, on the pieces of each text: longest first. While the pair is too long for
  // max_len - 2 pieces, the longer text loses its last piece (on a tie, b does). So a short text is kept whole,
  // and two long ones share the budget, a getting the odd piece. Exported modules apply the same rule
  // (export/subnet_module.h); a test holds the two together.
  static std::vector<int> assemble_pair(const std::vector<int>& a, const std::vector<int>& b, int max_len);

  // The SentencePiece ids of a text, without [CLS] or any cut: what an exported module's classify methods take.
  std::vector<int> pieces(std::string_view text) const;

  // The piece of an id (e.g. "▁the"), for debugging and tests.
  std::string piece(int id) const;

  // The model proto bytes (saved inside exported models).
  std::string serialized() const;

 private:
  explicit Tokenizer(std::shared_ptr<const SentencePieceModel> processor);

  std::shared_ptr<const SentencePieceModel> processor_;
};

}  // namespace qtnas
