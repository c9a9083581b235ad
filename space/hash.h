// Stable 64-bit hashes for ids (arch ids, space hashes) and deterministic data splits.
// Stable means: the same bytes give the same value on every machine and in every version of qtnas.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace qtnas {

// FNV-1a over the bytes, followed by the splitmix64 finalizer so that every bit is well mixed
// (plain FNV-1a has weak low bits for short, similar keys such as synset offsets).
uint64_t stable_hash(std::string_view bytes);

// The hash as 16 lowercase hex digits.
std::string hash_hex(uint64_t hash);

// hash_hex of the stable hash of a file's bytes: the identity of a checkpoint or a latency model in a run.
// Throws qtnas::Error when the file cannot be read.
std::string file_hash(const std::string& path);

}  // namespace qtnas
