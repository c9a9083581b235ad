#include "distributed/remote_evaluation.h"

#include <torch/csrc/distributed/c10d/Store.hpp>

#include <deque>
#include <optional>
#include <thread>

#include "distributed/protocol.h"
#include "space/error.h"

namespace qtnas {

namespace keys = eval_keys;
using Clock = std::chrono::steady_clock;

nlohmann::json RemoteEvaluationStats::to_json() const {
  return {{"jobs", jobs},
          {"reassigned", reassigned},
          {"local", local},
          {"eval_seconds", eval_seconds},
          {"round_trip_seconds", round_trip_seconds},
          {"overhead_ms_per_job", jobs ? 1e3 * (round_trip_seconds - eval_seconds) / jobs : 0.0},
          {"workers_joined", workers_joined},
          {"workers_lost", workers_lost}};
}

struct RemoteEvaluation::Worker {
  int slot = 0;
  std::string name;         // "rank R on HOST (pid P)", for notes
  int64_t next_job = 0;     // number of its next job
  std::optional<size_t> job;  // index in the current batch of the job it holds
  Clock::time_point sent;
  int64_t beats = -1;
  Clock::time_point beat_seen;
  bool alive = true;
};

RemoteEvaluation::RemoteEvaluation(const DistributedOptions& options, const WorkerConfig& worker_config,
                                   CandidateEvaluation* local, RemoteEvaluationOptions remote,
                                   std::function<void(const std::string&)> on_note)
    : local_(local), remote_(remote), on_note_(on_note ? std::move(on_note) : [](const std::string&) {}) {
  QTNAS_CHECK(options.rank == 0, "distributed search runs on rank 0, not rank {}", options.rank);
  store_ = connect_store(options);
  store_->set(keys::config(), keys::bytes(to_json(worker_config).dump()));
  const int want = std::max(1, remote_.expected_workers);
  on_note_(fmt::format("serving {}:{}; waiting for {} worker{} (qtnas worker --master-addr {} --master-port {})",
                       options.master_addr, options.master_port, want, want > 1 ? "s" : "", options.master_addr,
                       options.master_port));
  const auto deadline = Clock::now() + remote_.join_timeout;
  while (live_workers() < want && Clock::now() < deadline) {
    discover_workers();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  QTNAS_CHECK(live_workers() > 0, "no worker joined rank 0 on port {} within {} s", options.master_port,
              remote_.join_timeout.count() / 1000);
}

RemoteEvaluation::~RemoteEvaluation() {
  try {
    store_->set(keys::stop(), keys::bytes("1"));
    // The store lives in this process: give live workers a moment to read `stop` before it goes.
    const auto deadline = Clock::now() + std::chrono::seconds(2);
    while (store_->add(keys::left(), 0) < live_workers() && Clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  } catch (const std::exception&) {
    // workers then see rank 0 gone, which ends them too
  }
}

RemoteEvaluationStats RemoteEvaluation::stats() const {
  RemoteEvaluationStats s = stats_;
  s.workers_joined = int(workers_.size());
  s.workers_lost = s.workers_joined - live_workers();
  return s;
}

int RemoteEvaluation::live_workers() const {
  int n = 0;
  for (const auto& [slot, w] : workers_) n += w->alive;
  return n;
}

void RemoteEvaluation::discover_workers() {
  const int64_t joined = store_->add(keys::workers(), 0);
  for (int slot = 0; slot < joined; ++slot) {
    if (workers_.count(slot) || !store_->check({keys::ready(slot)})) continue;
    auto w = std::make_unique<Worker>();
    w->slot = slot;
    try {
      const WorkerReady ready =
          worker_ready_from_json(nlohmann::json::parse(keys::text(store_->get(keys::ready(slot))), nullptr, false));
      w->name = fmt::format("rank {} on {} (pid {})", ready.rank, ready.host, ready.pid);
    } catch (const Error&) {
      w->name = fmt::format("worker {}", slot);
    }
    w->beats = store_->add(keys::alive(slot), 0);
    w->beat_seen = Clock::now();
    on_note_(fmt::format("worker {} joined", w->name));
    workers_[slot] = std::move(w);
  }
}

// Answers first: a worker that answered is not lost, however late its last beat.
size_t RemoteEvaluation::collect_answers(std::vector<Evaluation>& results) {
  size_t collected = 0;
  for (auto& [slot, w] : workers_) {
    if (!w->alive || !w->job) continue;
    const std::string key = keys::result(slot, w->next_job - 1);
    if (!store_->check({key})) continue;
    const auto answer = nlohmann::json::parse(keys::text(store_->get(key)), nullptr, false);
    Evaluation e;
    try {
      e = keys::evaluation_from_json(answer);
    } catch (const nlohmann::json::exception& ex) {
      e.ok = false;
      e.error = fmt::format("malformed answer from worker {}: {}", w->name, ex.what());
    }
    results[*w->job] = e;
    ++collected;
    ++stats_.jobs;
    stats_.eval_seconds += e.seconds;
    stats_.round_trip_seconds += std::chrono::duration<double>(Clock::now() - w->sent).count();
    store_->deleteKey(key);
    store_->deleteKey(keys::job(slot, w->next_job - 1));
    w->job.reset();
  }
  return collected;
}

// A worker silent for worker_timeout is lost, and its job goes back to the front of the queue.
void RemoteEvaluation::check_heartbeats(std::deque<size_t>& queue, const std::vector<Arch>& archs) {
  const Clock::time_point now = Clock::now();
  for (auto& [slot, w] : workers_) {
    if (!w->alive) continue;
    const int64_t beats = store_->add(keys::alive(slot), 0);
    if (beats != w->beats) {
      w->beats = beats;
      w->beat_seen = now;
      continue;
    }
    if (now - w->beat_seen <= remote_.worker_timeout) continue;
    w->alive = false;
    store_->set(keys::retired(slot), keys::bytes("1"));
    std::string what = fmt::format("worker {} lost (no heartbeat for {} s)", w->name,
                                   remote_.worker_timeout.count() / 1000.0);
    if (w->job) {
      queue.push_front(*w->job);
      ++stats_.reassigned;
      what += fmt::format("; its candidate {} goes to another worker", to_string(archs[*w->job]));
      w->job.reset();
    }
    on_note_(what);
  }
}

size_t RemoteEvaluation::hand_out_jobs(std::deque<size_t>& queue, const std::vector<Arch>& archs, Fidelity fidelity) {
  size_t sent = 0;
  for (auto& [slot, w] : workers_) {
    if (queue.empty()) break;
    if (!w->alive || w->job) continue;
    const size_t i = queue.front();
    queue.pop_front();
    store_->set(keys::job(slot, w->next_job++), keys::bytes(to_json(EvaluationJob{fidelity, archs[i]}).dump()));
    w->job = i;
    w->sent = Clock::now();
    ++sent;
  }
  return sent;
}

// Every worker lost: rank 0 evaluates what is left itself, if it has an evaluator.
size_t RemoteEvaluation::evaluate_locally(std::deque<size_t>& queue, const std::vector<Arch>& archs,
                                          Fidelity fidelity, std::vector<Evaluation>& results) {
  QTNAS_CHECK(local_, "every worker was lost and rank 0 has no evaluator of its own");
  on_note_(fmt::format("no live worker: rank 0 evaluates the {} remaining candidates itself", queue.size()));
  std::vector<Arch> rest;
  for (size_t i : queue) rest.push_back(archs[i]);
  const std::vector<Evaluation> mine = local_->evaluate(rest, fidelity);
  for (size_t k = 0; k < rest.size(); ++k) results[queue[k]] = mine[k];
  stats_.local += int64_t(rest.size());
  queue.clear();
  return rest.size();
}

std::vector<Evaluation> RemoteEvaluation::evaluate(const std::vector<Arch>& archs, Fidelity fidelity) {
  std::vector<Evaluation> results(archs.size());
  std::deque<size_t> queue;
  for (size_t i = 0; i < archs.size(); ++i) queue.push_back(i);
  size_t done = 0;
  Clock::time_point beats_checked{};
  int idle_ms = 1;
  while (done < archs.size()) {
    discover_workers();
    const size_t answered = collect_answers(results);
    done += answered;
    if (Clock::now() - beats_checked > std::chrono::milliseconds(250)) {  // four times a second
      beats_checked = Clock::now();
      check_heartbeats(queue, archs);
    }
    const size_t sent = hand_out_jobs(queue, archs, fidelity);
    size_t local = 0;
    if (live_workers() == 0 && !queue.empty()) local = evaluate_locally(queue, archs, fidelity, results);
    done += local;
    // Polling costs CPU that the workers may need (they can share this host): back off while nothing happens.
    const bool progressed = answered + sent + local > 0;
    idle_ms = progressed ? 1 : std::min(idle_ms * 2, 8);
    if (!progressed) std::this_thread::sleep_for(std::chrono::milliseconds(idle_ms));
  }
  return results;
}

}  // namespace qtnas
