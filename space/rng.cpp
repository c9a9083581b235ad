#include "space/rng.h"

#include <sstream>

#include "space/error.h"

namespace qtnas {
namespace {

uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t splitmix64(uint64_t& x) {
  uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

}  // namespace

Rng::Rng(uint64_t seed) {
  // Seeding through splitmix64 never yields the all-zero state xoshiro cannot leave.
  for (auto& word : s_) word = splitmix64(seed);
}

uint64_t Rng::next_u64() {
  const uint64_t result = rotl(s_[1] * 5, 7) * 9;
  const uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = rotl(s_[3], 45);
  return result;
}

uint64_t Rng::uniform(uint64_t n) {
  QTNAS_ASSERT(n > 0, "Rng::uniform needs n > 0");
  const uint64_t limit = UINT64_MAX - UINT64_MAX % n;
  uint64_t x;
  do {
    x = next_u64();
  } while (x >= limit);
  return x % n;
}

double Rng::uniform01() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }

std::string Rng::state() const {
  return fmt::format("{:016x} {:016x} {:016x} {:016x}", s_[0], s_[1], s_[2], s_[3]);
}

void Rng::set_state(const std::string& text) {
  std::istringstream in(text);
  std::array<uint64_t, 4> s{};
  for (auto& word : s) {
    QTNAS_CHECK(static_cast<bool>(in >> std::hex >> word), "bad random generator state '{}'", text);
  }
  std::string rest;
  QTNAS_CHECK(!(in >> rest), "bad random generator state '{}': trailing '{}'", text, rest);
  QTNAS_CHECK((s != std::array<uint64_t, 4>{}), "bad random generator state '{}': all zero", text);
  s_ = s;
}

}  // namespace qtnas
