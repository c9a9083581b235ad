#include "latency_models/environment.h"

#include <torch/torch.h>

#include "space/error.h"
#include "supernet/machine.h"

namespace qtnas {

Environment current_environment(int batch, int seq) {
  Environment env;
  env.cpu = cpu_model_name();
  for (const char* flag : {"avx2", "fma", "avx512f", "avx512_vnni", "avx512_bf16", "amx_int8", "amx_bf16"}) {
    if (cpu_has_flag(flag)) env.isa += (env.isa.empty() ? "" : " ") + std::string(flag);
  }
  env.torch_version = TORCH_VERSION;
  env.threads = at::get_num_threads();
  env.batch = batch;
  env.seq = seq;
  return env;
}

bool measurable_statistic(const std::string& statistic) {
  return statistic == Environment::kRoundReferenced || statistic == "p10-ref" || statistic == "p10";
}

std::string differences(const Environment& a, const Environment& b) {
  std::string out;
  auto add = [&](const char* what, const std::string& x, const std::string& y) {
    if (x != y) out += fmt::format("{}{} {} vs {}", out.empty() ? "" : "; ", what, x, y);
  };
  add("cpu", a.cpu, b.cpu);
  add("isa", a.isa, b.isa);
  add("torch", a.torch_version, b.torch_version);
  add("threads", std::to_string(a.threads), std::to_string(b.threads));
  add("batch", std::to_string(a.batch), std::to_string(b.batch));
  add("seq", std::to_string(a.seq), std::to_string(b.seq));
  add("latency statistic", a.statistic, b.statistic);
  return out;
}

nlohmann::json to_json(const Environment& e) {
  return {{"cpu", e.cpu}, {"isa", e.isa}, {"torch_version", e.torch_version},
          {"threads", e.threads}, {"batch", e.batch}, {"seq", e.seq}, {"statistic", e.statistic}};
}

Environment environment_from_json(const nlohmann::json& j) {
  Environment e;
  try {
    e.cpu = j.at("cpu").get<std::string>();
    e.isa = j.at("isa").get<std::string>();
    e.torch_version = j.at("torch_version").get<std::string>();
    e.threads = j.at("threads").get<int>();
    e.batch = j.at("batch").get<int>();
    e.seq = j.at("seq").get<int>();
    e.statistic = j.value("statistic", std::string("median"));
  } catch (const nlohmann::json::exception& ex) {
    QTNAS_FAIL("bad environment description: {}", ex.what());
  }
  return e;
}

}  // namespace qtnas
