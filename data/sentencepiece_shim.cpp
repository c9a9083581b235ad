// libqtnas_sentencepiece.so: see data/sentencepiece_shim.h for why this module exists.
#include "data/sentencepiece_shim.h"

#include <sentencepiece_processor.h>
#include <sentencepiece_trainer.h>

#include <cstdlib>
#include <cstring>
#include <string>
#include <unordered_map>
#include <vector>

namespace {

void put(QtnasSpmBuffer* buffer, const std::string& text) {
  buffer->data = static_cast<char*>(std::malloc(text.size() + 1));
  std::memcpy(buffer->data, text.data(), text.size());
  buffer->data[text.size()] = '\0';
  buffer->size = text.size();
}

// Feeds texts to the trainer straight from memory: no temporary corpus file.
class TextIterator : public sentencepiece::SentenceIterator {
 public:
  TextIterator(const char* const* texts, const size_t* lengths, size_t count)
      : texts_(texts), lengths_(lengths), count_(count) {
    load();
  }
  bool done() const override { return next_ >= count_; }
  void Next() override {
    ++next_;
    load();
  }
  const std::string& value() const override { return current_; }
  sentencepiece::util::Status status() const override { return {}; }

 private:
  void load() {
    if (next_ < count_) current_.assign(texts_[next_], lengths_[next_]);
  }
  const char* const* texts_;
  const size_t* lengths_;
  size_t count_, next_ = 0;
  std::string current_;
};

const sentencepiece::SentencePieceProcessor& processor(const void* handle) {
  return *static_cast<const sentencepiece::SentencePieceProcessor*>(handle);
}

}  // namespace

extern "C" {

__attribute__((visibility("default"))) int qtnas_spm_train(const char* const* texts, const size_t* lengths,
                                                           size_t count, const char* const* keys,
                                                           const char* const* values, size_t nargs,
                                                           QtnasSpmBuffer* model, QtnasSpmBuffer* error) {
  std::unordered_map<std::string, std::string> args;
  for (size_t i = 0; i < nargs; ++i) args[keys[i]] = values[i];
  // The seed only matters where SentencePiece samples; fixing it keeps training repeatable.
  sentencepiece::SetRandomGeneratorSeed(20240611);
  TextIterator iterator(texts, lengths, count);
  std::string bytes;
  const auto status = sentencepiece::SentencePieceTrainer::Train(args, &iterator, &bytes);
  if (!status.ok()) {
    put(error, status.ToString());
    return 1;
  }
  put(model, bytes);
  return 0;
}

__attribute__((visibility("default"))) int qtnas_spm_load(const char* bytes, size_t size, void** handle,
                                                          QtnasSpmBuffer* error) {
  auto* p = new sentencepiece::SentencePieceProcessor();
  const auto status = p->LoadFromSerializedProto(std::string(bytes, size));
  if (!status.ok()) {
    delete p;
    put(error, status.ToString());
    return 1;
  }
  *handle = p;
  return 0;
}

__attribute__((visibility("default"))) void qtnas_spm_free(void* handle) {
  delete static_cast<sentencepiece::SentencePieceProcessor*>(handle);
}

__attribute__((visibility("default"))) int qtnas_spm_encode(const void* handle, const char* text, size_t size,
                                                            int** ids_out, size_t* count, QtnasSpmBuffer* error) {
  std::vector<int> ids;
  const auto status = processor(handle).Encode(std::string(text, size), &ids);
  if (!status.ok()) {
    put(error, status.ToString());
    return 1;
  }
  *ids_out = static_cast<int*>(std::malloc(sizeof(int) * (ids.size() + 1)));
  std::memcpy(*ids_out, ids.data(), sizeof(int) * ids.size());
  *count = ids.size();
  return 0;
}

__attribute__((visibility("default"))) int qtnas_spm_info(const void* handle, int special[4]) {
  const auto& p = processor(handle);
  special[0] = p.pad_id();
  special[1] = p.unk_id();
  special[2] = p.bos_id();
  special[3] = p.eos_id();
  return p.GetPieceSize();
}

__attribute__((visibility("default"))) int qtnas_spm_piece(const void* handle, int id, QtnasSpmBuffer* piece) {
  put(piece, processor(handle).IdToPiece(id));
  return 0;
}

__attribute__((visibility("default"))) int qtnas_spm_serialized(const void* handle, QtnasSpmBuffer* bytes) {
  put(bytes, processor(handle).serialized_model_proto());
  return 0;
}

}  // extern "C"
