#include "supernet/checkpoint.h"

#include <filesystem>

#include "space/error.h"
#include "space/json_text.h"
#include "space/space_json.h"

namespace qtnas {
namespace {

constexpr const char* kFormat = "qtnas-supernet";

// The first line of a LibTorch error, without its C++ backtrace.
std::string first_line(const c10::Error& e) {
  const std::string text = e.what_without_backtrace();
  return text.substr(0, text.find('\n'));
}

}  // namespace

void save_checkpoint(const std::string& path, Supernet& net, const CheckpointMeta& meta,
                     torch::optim::AdamW* optimizer,
                     const std::vector<std::pair<std::string, torch::nn::Module*>>& extra) {
  const nlohmann::json j = {{"format", kFormat},
                            {"version", kCheckpointVersion},
                            {"space", to_json(meta.space)},
                            {"dropout", meta.dropout},
                            {"label_names", meta.label_names},
                            {"tokenizer_fingerprint", meta.tokenizer_fingerprint},
                            {"has_optimizer", optimizer != nullptr},
                            {"training", meta.training},
                            {"pairs", meta.pairs}};
  const std::string tmp = path + ".tmp";
  try {
    torch::serialize::OutputArchive archive;
    archive.write("qtnas_meta", c10::IValue(j.dump()));
    net->save(archive);
    for (const auto& [key, module] : extra) {
      torch::serialize::OutputArchive module_archive;
      module->save(module_archive);
      archive.write(key, module_archive);
    }
    if (optimizer) {
      torch::serialize::OutputArchive opt_archive;
      optimizer->save(opt_archive);
      archive.write("optimizer", opt_archive);
      archive.write("torch_rng", at::detail::getDefaultCPUGenerator().get_state());
    }
    const auto parent = std::filesystem::path(path).parent_path();
    if (!parent.empty()) std::filesystem::create_directories(parent);
    archive.save_to(tmp);
    std::filesystem::rename(tmp, path);
  } catch (const c10::Error& e) {
    QTNAS_FAIL("cannot write checkpoint '{}': {}", path, first_line(e));
  } catch (const std::filesystem::filesystem_error& e) {
    QTNAS_FAIL("cannot write checkpoint '{}': {}", path, e.code().message());
  }
}

LoadedCheckpoint load_checkpoint(const std::string& path) {
  QTNAS_CHECK(std::filesystem::is_regular_file(path), "checkpoint '{}' not found", path);
  LoadedCheckpoint out;
  out.archive = std::make_shared<torch::serialize::InputArchive>();
  nlohmann::json j;
  try {
    out.archive->load_from(path);
  } catch (const c10::Error& e) {
    QTNAS_FAIL("checkpoint '{}' is truncated or corrupt: {}", path, first_line(e));
  }
  try {
    c10::IValue meta;
    QTNAS_CHECK(out.archive->try_read("qtnas_meta", meta) && meta.isString(),
                "'{}' is not a qtnas supernet checkpoint (no qtnas_meta)", path);
    j = parse_json_text(meta.toStringRef(), fmt::format("the qtnas_meta of checkpoint '{}'", path));
    QTNAS_CHECK(j.value("format", "") == kFormat, "'{}' is not a qtnas supernet checkpoint", path);
    const int version = j.at("version").get<int>();
    QTNAS_CHECK(version <= kCheckpointVersion,
                "checkpoint '{}' has format version {}, newer than this qtnas reads ({}); update qtnas", path,
                version, kCheckpointVersion);
    out.meta.space = space_config_from_json(j.at("space"));
    out.meta.dropout = j.at("dropout").get<double>();
    out.meta.label_names = j.at("label_names").get<std::vector<std::string>>();
    out.meta.tokenizer_fingerprint = j.at("tokenizer_fingerprint").get<std::string>();
    out.meta.training = j.at("training");
    out.meta.pairs = j.value("pairs", false);
    out.has_optimizer = j.at("has_optimizer").get<bool>();
    out.net = Supernet(out.meta.space, out.meta.dropout);
    out.net->load(*out.archive);
  } catch (const nlohmann::json::exception& e) {
    QTNAS_FAIL("checkpoint '{}' has bad metadata: {}", path, e.what());
  } catch (const c10::Error& e) {
    QTNAS_FAIL("checkpoint '{}' is truncated or corrupt: {}", path, first_line(e));
  }
  return out;
}

void restore_module(const LoadedCheckpoint& checkpoint, const std::string& key, torch::nn::Module& module) {
  try {
    torch::serialize::InputArchive module_archive;
    QTNAS_CHECK(checkpoint.archive->try_read(key, module_archive), "the checkpoint has no '{}' to resume from", key);
    module.load(module_archive);
  } catch (const c10::Error& e) {
    QTNAS_FAIL("checkpoint's '{}' is corrupt: {}", key, first_line(e));
  }
}

void restore_optimizer(const LoadedCheckpoint& checkpoint, torch::optim::AdamW& optimizer) {
  QTNAS_CHECK(checkpoint.has_optimizer, "the checkpoint has no optimizer state to resume from");
  try {
    torch::serialize::InputArchive opt_archive;
    checkpoint.archive->read("optimizer", opt_archive);
    optimizer.load(opt_archive);
  } catch (const c10::Error& e) {
    QTNAS_FAIL("checkpoint optimizer state is corrupt: {}", first_line(e));
  }
}

void restore_torch_rng(const LoadedCheckpoint& checkpoint) {
  torch::Tensor state;
  try {
    checkpoint.archive->read("torch_rng", state);
  } catch (const c10::Error& e) {
    QTNAS_FAIL("checkpoint random state is corrupt: {}", first_line(e));
  }
  auto gen = at::detail::getDefaultCPUGenerator();
  std::lock_guard<std::mutex> lock(gen.mutex());
  gen.set_state(state);
}

}  // namespace qtnas
