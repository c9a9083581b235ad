// A small deterministic random generator (xoshiro256**) whose whole state is four integers, so a search can
// store it in its database and resume bit-exactly. The draws do not depend on the standard library's
// distributions, which differ between implementations. Not thread-safe: one Rng per thread.
#pragma once

#include <array>
#include <cstdint>
#include <string>

namespace qtnas {

class Rng {
 public:
  explicit Rng(uint64_t seed = 0);

  uint64_t next_u64();
  // Uniform integer in [0, n); n > 0. Unbiased (rejection sampling).
  uint64_t uniform(uint64_t n);
  // Uniform double in [0, 1).
  double uniform01();
  bool bernoulli(double p) { return uniform01() < p; }

  // The full state as text ("s0 s1 s2 s3" in hex) and back; set_state throws qtnas::Error on bad text.
  std::string state() const;
  void set_state(const std::string& text);

  bool operator==(const Rng& other) const { return s_ == other.s_; }

 private:
  std::array<uint64_t, 4> s_;
};

}  // namespace qtnas
