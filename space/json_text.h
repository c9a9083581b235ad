// Parsing JSON that qtnas reads from a file (a latency model, a tokenizer's fingerprint file, a JSONL line) or
// from inside one (an exported model's or a checkpoint's metadata): text that is not JSON gives one message,
// the same at every reader, naming where the text came from.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace qtnas {

// Throws qtnas::Error "<where>: not valid JSON: <position and cause>" (one line) if `text` is not JSON.
// `where` names the source for the user: "latency model 'm.json'", "data.jsonl:12".
nlohmann::json parse_json_text(const std::string& text, const std::string& where);

// The JSON in file `path`, where `what` says what the file is ("latency model"): parse_json_text with
// `where` = "<what> '<path>'". Throws qtnas::Error if the file cannot be read or is not JSON.
nlohmann::json parse_json_file(const std::string& path, const std::string& what);

}  // namespace qtnas
