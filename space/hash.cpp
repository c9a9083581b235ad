#include "space/hash.h"

#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "space/error.h"

namespace qtnas {

uint64_t stable_hash(std::string_view bytes) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  h += 0x9e3779b97f4a7c15ULL;
  h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ULL;
  h = (h ^ (h >> 27)) * 0x94d049bb133111ebULL;
  return h ^ (h >> 31);
}

std::string hash_hex(uint64_t hash) { return fmt::format("{:016x}", hash); }

std::string file_hash(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  QTNAS_CHECK(in, "cannot read '{}'", path);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return hash_hex(stable_hash(bytes.str()));
}

}  // namespace qtnas
