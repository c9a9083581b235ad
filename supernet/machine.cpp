#include "supernet/machine.h"

#include <dlfcn.h>
#include <malloc.h>

#include <ATen/Parallel.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

namespace qtnas {
namespace {

std::string cpuinfo_field(const std::string& name) {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(name, 0) == 0) {
      const auto colon = line.find(':');
      if (colon != std::string::npos) return line.substr(colon + 2);
    }
  }
  return "";
}

}  // namespace

std::string cpu_model_name() {
  const std::string name = cpuinfo_field("model name");
  return name.empty() ? "unknown CPU" : name;
}

bool cpu_has_flag(const std::string& flag) {
  static const std::string flags = " " + cpuinfo_field("flags") + " ";
  return flags.find(" " + flag + " ") != std::string::npos;
}

namespace {

bool native_bf16_switched_off() {
  const char* value = std::getenv("QTNAS_NO_NATIVE_BF16");
  return value != nullptr && *value != '\0' && std::string(value) != "0";
}

}  // namespace

bool cpu_has_fast_bf16() {
  return !native_bf16_switched_off() && (cpu_has_flag("avx512_bf16") || cpu_has_flag("amx_bf16"));
}

std::string bf16_support() {
  if (native_bf16_switched_off()) return "switched off by QTNAS_NO_NATIVE_BF16";
  if (cpu_has_flag("amx_bf16")) return "native (amx_bf16)";
  if (cpu_has_flag("avx512_bf16")) return "native (avx512_bf16)";
  return "emulated: no avx512_bf16 or amx_bf16 on this CPU";
}

bool set_openblas_threads(int threads) {
  using SetThreads = void (*)(int);
  auto set = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"));
  if (!set) return false;
  set(threads);
  return true;
}

int cores_to_use(int threads) {
  return threads > 0 ? threads : int(std::max(1u, std::thread::hardware_concurrency()));
}

bool set_openblas_single_threaded() { return set_openblas_threads(1); }

void configure_training_threads(int cores, bool bf16_autocast) {
  at::set_num_threads(bf16_autocast ? cores : 1);
  set_openblas_threads(bf16_autocast ? 1 : cores);
}

void keep_freed_memory_for_reuse() {
  constexpr int kOneGiB = 1 << 30;
  mallopt(M_MMAP_THRESHOLD, kOneGiB);
  mallopt(M_TRIM_THRESHOLD, kOneGiB);
}

}  // namespace qtnas
