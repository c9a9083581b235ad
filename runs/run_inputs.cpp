#include "runs/run_inputs.h"

#include <filesystem>

#include "space/error.h"
#include "space/hash.h"

namespace qtnas {

RunInputs reload_run_inputs(const std::string& run_path, const RunInfo& info, bool same_model) {
  QTNAS_CHECK(std::filesystem::exists(info.supernet_path) && file_hash(info.supernet_path) == info.supernet_hash,
              "supernet '{}' is gone or changed since run '{}' started: its candidates' weights are gone",
              info.supernet_path, run_path);
  QTNAS_CHECK(std::filesystem::exists(info.predictor_path), "latency model '{}' of run '{}' is gone",
              info.predictor_path, run_path);
  QTNAS_CHECK(!same_model || file_hash(info.predictor_path) == info.predictor_hash,
              "latency model '{}' changed since run '{}' started", info.predictor_path, run_path);
  RunInputs inputs{load_supernet_task(info.supernet_path, info.config.at("task")),
                   load_latency_model(info.predictor_path)};
  QTNAS_CHECK(inputs.task.checkpoint.net->space().hash_hex() == info.space_hash,
              "run '{}' searched another space than supernet '{}' has", run_path, info.supernet_path);
  return inputs;
}

}  // namespace qtnas
