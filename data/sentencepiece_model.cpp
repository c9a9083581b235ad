#include "data/sentencepiece_model.h"

#include <dlfcn.h>

#include <cstdlib>

#include "data/sentencepiece_shim.h"
#include "space/error.h"

namespace qtnas {
namespace {

struct Shim {
  QtnasSpmTrainFn train;
  QtnasSpmLoadFn load;
  QtnasSpmFreeFn free;
  QtnasSpmEncodeFn encode;
  QtnasSpmInfoFn info;
  QtnasSpmPieceFn piece;
  QtnasSpmSerializedFn serialized;
};

template <typename Fn>
Fn symbol(void* library, const char* name, const std::string& path) {
  void* address = dlsym(library, name);
  QTNAS_CHECK(address != nullptr, "SentencePiece module '{}' lacks {}", path, name);
  return reinterpret_cast<Fn>(address);
}

const Shim& shim() {
  static const Shim loaded = [] {
    const char* env = std::getenv("QTNAS_SENTENCEPIECE_SHIM");
    const std::string path = env && *env ? env : QTNAS_SENTENCEPIECE_SHIM;
    // RTLD_DEEPBIND: the module and SentencePiece resolve their symbols in their own scope first, so they use
    // SentencePiece's bundled protobuf and not the one LibTorch loaded.
    void* library = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND);
    QTNAS_CHECK(library != nullptr, "cannot load the SentencePiece module: {} (set QTNAS_SENTENCEPIECE_SHIM)",
                dlerror());
    return Shim{symbol<QtnasSpmTrainFn>(library, "qtnas_spm_train", path),
                symbol<QtnasSpmLoadFn>(library, "qtnas_spm_load", path),
                symbol<QtnasSpmFreeFn>(library, "qtnas_spm_free", path),
                symbol<QtnasSpmEncodeFn>(library, "qtnas_spm_encode", path),
                symbol<QtnasSpmInfoFn>(library, "qtnas_spm_info", path),
                symbol<QtnasSpmPieceFn>(library, "qtnas_spm_piece", path),
                symbol<QtnasSpmSerializedFn>(library, "qtnas_spm_serialized", path)};
  }();
  return loaded;
}

// Takes ownership of a buffer the module malloc'ed.
std::string take(QtnasSpmBuffer& buffer) {
  std::string text(buffer.data ? buffer.data : "", buffer.size);
  std::free(buffer.data);
  buffer = {nullptr, 0};
  return text;
}

}  // namespace

bool SentencePieceModel::train(const std::vector<std::string>& texts,
                               const std::unordered_map<std::string, std::string>& args, std::string* model,
                               std::string* error) {
  std::vector<const char*> text_ptrs, keys, values;
  std::vector<size_t> lengths;
  for (const auto& t : texts) {
    text_ptrs.push_back(t.data());
    lengths.push_back(t.size());
  }
  for (const auto& [k, v] : args) {
    keys.push_back(k.c_str());
    values.push_back(v.c_str());
  }
  QtnasSpmBuffer out{nullptr, 0}, err{nullptr, 0};
  const int rc = shim().train(text_ptrs.data(), lengths.data(), texts.size(), keys.data(), values.data(),
                              keys.size(), &out, &err);
  if (rc != 0) {
    *error = take(err);
    return false;
  }
  *model = take(out);
  return true;
}

std::shared_ptr<const SentencePieceModel> SentencePieceModel::load(const std::string& bytes, std::string* error) {
  void* handle = nullptr;
  QtnasSpmBuffer err{nullptr, 0};
  if (shim().load(bytes.data(), bytes.size(), &handle, &err) != 0) {
    *error = take(err);
    return nullptr;
  }
  return std::shared_ptr<const SentencePieceModel>(new SentencePieceModel(handle));
}

SentencePieceModel::~SentencePieceModel() { shim().free(handle_); }

int SentencePieceModel::piece_size() const {
  int special[4];
  return shim().info(handle_, special);
}

std::array<int, 4> SentencePieceModel::special_ids() const {
  std::array<int, 4> special{};
  shim().info(handle_, special.data());
  return special;
}

std::vector<int> SentencePieceModel::encode(std::string_view text) const {
  int* ids = nullptr;
  size_t count = 0;
  QtnasSpmBuffer err{nullptr, 0};
  QTNAS_CHECK(shim().encode(handle_, text.data(), text.size(), &ids, &count, &err) == 0,
              "tokenizer failed to encode text: {}", take(err));
  std::vector<int> out(ids, ids + count);
  std::free(ids);
  return out;
}

std::string SentencePieceModel::id_to_piece(int id) const {
  QtnasSpmBuffer piece{nullptr, 0};
  shim().piece(handle_, id, &piece);
  return take(piece);
}

std::string SentencePieceModel::serialized() const {
  QtnasSpmBuffer bytes{nullptr, 0};
  shim().serialized(handle_, &bytes);
  return take(bytes);
}

}  // namespace qtnas
