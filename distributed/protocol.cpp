#include "distributed/protocol.h"

#include "space/error.h"

namespace qtnas {

nlohmann::json to_json(const WorkerConfig& c) {
  return {{"supernet_path", c.supernet_path},
          {"supernet_hash", c.supernet_hash},
          {"space_hash", c.space_hash},
          {"task", c.task},
          {"val_subset", c.val_subset},
          {"threads_per_candidate", c.threads_per_candidate}};
}

WorkerConfig worker_config_from_json(const nlohmann::json& j) {
  try {
    WorkerConfig c;
    c.supernet_path = j.at("supernet_path").get<std::string>();
    c.supernet_hash = j.at("supernet_hash").get<std::string>();
    c.space_hash = j.at("space_hash").get<std::string>();
    c.task = j.at("task");
    c.val_subset = j.at("val_subset").get<size_t>();
    c.threads_per_candidate = j.at("threads_per_candidate").get<int>();
    return c;
  } catch (const nlohmann::json::exception& e) {
    QTNAS_FAIL("rank 0's evaluation settings are malformed: {}", e.what());
  }
}

nlohmann::json to_json(const EvaluationJob& job) {
  return {{"fidelity", to_string(job.fidelity)}, {"arch", to_string(job.arch)}};
}

EvaluationJob evaluation_job_from_json(const nlohmann::json& j) {
  try {
    return {fidelity_from_string(j.at("fidelity").get<std::string>()), parse_arch(j.at("arch").get<std::string>())};
  } catch (const nlohmann::json::exception& e) {
    QTNAS_FAIL("malformed evaluation job: {}", e.what());
  }
}

nlohmann::json to_json(const WorkerReady& r) { return {{"rank", r.rank}, {"host", r.host}, {"pid", r.pid}}; }

WorkerReady worker_ready_from_json(const nlohmann::json& j) {
  QTNAS_CHECK(j.is_object(), "a worker's ready message is not a JSON object");
  try {
    WorkerReady r;
    r.rank = j.value("rank", r.rank);
    r.host = j.value("host", r.host);
    r.pid = j.value("pid", r.pid);
    return r;
  } catch (const nlohmann::json::exception& e) {
    QTNAS_FAIL("malformed ready message of a worker: {}", e.what());
  }
}

}  // namespace qtnas
