// libFuzzer target for the arch text form (space/arch.h): any bytes either parse or throw qtnas::Error, and what
// parses keeps the documented contract. Built and run by bench/fuzz.sh; a violation aborts with the reason.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <string_view>

#include "space/arch.h"
#include "space/error.h"
#include "space/hash.h"
#include "space/search_space.h"

namespace {

// Layer counts up to this get a space of their own, so that problems() checks every layer and not only the count.
constexpr size_t kMaxMatchedLayers = 64;

[[noreturn]] void violated(const char* what, std::string_view input) {
  std::fprintf(stderr, "fuzz_arch: %s\ninput (%zu bytes): '%.*s'\n", what, input.size(),
               static_cast<int>(input.size()), input.data());
  std::abort();
}

void check_problems_never_throw(const qtnas::Arch& arch, std::string_view input) {
  static const qtnas::SearchSpace default_space{qtnas::SpaceConfig{}};
  try {
    default_space.problems(arch);
    if (!arch.layers.empty() && arch.layers.size() <= kMaxMatchedLayers) {
      qtnas::SpaceConfig config;
      config.layers = static_cast<int>(arch.layers.size());
      qtnas::SearchSpace(config).problems(arch);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "problems() threw: %s\n", e.what());
    violated("SearchSpace::problems threw on a parsed arch", input);
  } catch (...) {
    violated("SearchSpace::problems threw a non-std exception on a parsed arch", input);
  }
}

void check_parsed(const qtnas::Arch& arch, std::string_view input) {
  if (arch.layers.empty()) violated("parse_arch returned an arch without layers", input);
  if (arch != qtnas::normalized(arch)) violated("parse_arch returned an arch that is not normalized", input);

  const std::string text = qtnas::to_string(arch);
  qtnas::Arch back;
  try {
    back = qtnas::parse_arch(text);
  } catch (const qtnas::Error& e) {
    std::fprintf(stderr, "canonical form '%s' failed to parse: %s\n", text.c_str(), e.what());
    violated("to_string(parse_arch(s)) does not parse", input);
  } catch (...) {
    violated("parsing the canonical form threw something other than qtnas::Error", input);
  }
  if (back != arch) violated("parse_arch(to_string(a)) != a", input);
  if (qtnas::to_string(back) != text) violated("the canonical form is not a fixed point", input);

  const uint64_t id = qtnas::arch_id(arch);
  if (qtnas::arch_id(arch) != id) violated("arch_id differs between two calls", input);
  if (qtnas::arch_id(back) != id) violated("arch_id differs after a round trip", input);
  if (qtnas::stable_hash(text) != id) violated("arch_id is not stable_hash(to_string(a))", input);

  check_problems_never_throw(arch, input);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  qtnas::Arch arch;
  try {
    arch = qtnas::parse_arch(input);
  } catch (const qtnas::Error&) {
    return 0;  // bad input, reported the documented way
  } catch (const std::exception& e) {
    std::fprintf(stderr, "parse_arch threw a non-qtnas exception: %s\n", e.what());
    violated("parse_arch threw something other than qtnas::Error", input);
  } catch (...) {
    violated("parse_arch threw a non-std exception", input);
  }
  check_parsed(arch, input);
  return 0;
}
