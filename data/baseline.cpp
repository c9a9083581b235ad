#include "data/baseline.h"

#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "space/error.h"
#include "space/hash.h"

namespace qtnas {
namespace {

namespace fs = std::filesystem;

// Debian's interpreter, where python3-sklearn installs; QTNAS_PYTHON overrides it.
std::string python() {
  const char* p = std::getenv("QTNAS_PYTHON");
  return p && *p ? p : "/usr/bin/python3";
}

// Identity of the splits and of the script: any change of a text, a label, a split or the method gives another
// key.
std::string splits_key(const Dataset& data) {
  std::ifstream script(QTNAS_BASELINE_SCRIPT, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(script)), std::istreambuf_iterator<char>());
  for (const auto* split : {&data.train, &data.val, &data.test}) {
    bytes += fmt::format("split {}\n", split->size());
    for (const Example& e : *split) {
      bytes += fmt::format("{}\t{}\n", e.label, e.text);
      if (!e.text_pair.empty()) bytes += fmt::format("\t{}\n", e.text_pair);
    }
  }
  return hash_hex(stable_hash(bytes));
}

void write_split(const fs::path& path, const std::vector<Example>& examples) {
  std::ofstream out(path);
  for (const Example& e : examples) {
    nlohmann::json row = {{"text", e.text}, {"label", e.label}};
    if (!e.text_pair.empty()) row["text_pair"] = e.text_pair;
    out << row.dump() << "\n";
  }
  QTNAS_CHECK(out.good(), "cannot write '{}' for the baseline", path.string());
}

std::string quoted(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

}  // namespace

std::optional<BaselineResult> tfidf_svm_baseline(const Dataset& data, const std::string& workdir, std::string* why) {
  const std::string key = splits_key(data);
  const fs::path cache = fs::path(workdir) / "baseline_tfidf_svm.json";
  if (std::ifstream in{cache}) {
    const nlohmann::json j = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
    if (!j.is_discarded() && j.value("splits_key", "") == key) {
      return BaselineResult{j.at("method"), j.at("val_accuracy"), j.at("test_accuracy"), j.at("C"), 0, true};
    }
  }
  if (access(python().c_str(), X_OK) != 0) {
    if (why) *why = fmt::format("{} not found (Debian: python3)", python());
    return std::nullopt;
  }
  const fs::path dir = fs::temp_directory_path() / fmt::format("qtnas_baseline_{}_{}", getpid(), key);
  fs::create_directories(dir);
  write_split(dir / "train.jsonl", data.train);
  write_split(dir / "val.jsonl", data.val);
  write_split(dir / "test.jsonl", data.test);
  const std::string command = fmt::format("{} {} {} 2>{}", quoted(python()), quoted(QTNAS_BASELINE_SCRIPT),
                                          quoted(dir.string()), quoted((dir / "stderr").string()));
  const auto start = std::chrono::steady_clock::now();
  std::string output;
  FILE* pipe = popen(command.c_str(), "r");
  QTNAS_CHECK(pipe, "cannot run the baseline script {}", QTNAS_BASELINE_SCRIPT);
  char buffer[4096];
  while (size_t n = fread(buffer, 1, sizeof buffer, pipe)) output.append(buffer, n);
  const int status = pclose(pipe);
  std::string errors;
  {
    std::ifstream err(dir / "stderr");
    std::getline(err, errors);
  }
  fs::remove_all(dir);
  const int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  if (code == 3) {  // the script's "scikit-learn is missing"
    if (why) *why = errors.empty() ? "scikit-learn is not installed (Debian: python3-sklearn)" : errors;
    return std::nullopt;
  }
  QTNAS_CHECK(code == 0, "the baseline script {} failed (exit code {}): {}", QTNAS_BASELINE_SCRIPT, code, errors);
  const nlohmann::json j = nlohmann::json::parse(output, nullptr, /*allow_exceptions=*/false);
  QTNAS_CHECK(!j.is_discarded() && j.contains("test_accuracy"), "the baseline script printed no result: '{}'",
              output.substr(0, 200));
  BaselineResult r{j.at("method"), j.at("val_accuracy"), j.at("test_accuracy"), j.at("C"),
                   std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), false};
  nlohmann::json stored = j;
  stored["splits_key"] = key;
  std::ofstream(cache) << stored.dump(2) << "\n";  // a cache: failing to keep it only costs a rerun
  return r;
}

std::string describe(const std::optional<BaselineResult>& b, const std::string& why) {
  if (!b) return "TF-IDF linear SVM baseline unavailable: " + why;
  return fmt::format("TF-IDF linear SVM baseline: val {:.2f}%, test {:.2f}% (C={:g}, chosen on val)",
                     100 * b->val_accuracy, 100 * b->test_accuracy, b->c);
}

nlohmann::json to_json(const std::optional<BaselineResult>& b, const std::string& why) {
  if (!b) return {{"method", "TF-IDF word 1-2-gram linear SVM"}, {"unavailable", why}};
  return {{"method", b->method}, {"val_accuracy", b->val_accuracy}, {"test_accuracy", b->test_accuracy},
          {"C", b->c}};
}

std::optional<BaselineResult> baseline_if_wanted(bool wanted, const Dataset& data, const std::string& workdir,
                                                 std::string* why) {
  if (wanted) return tfidf_svm_baseline(data, workdir, why);
  *why = "not computed (--no-baseline)";
  return std::nullopt;
}

}  // namespace qtnas
