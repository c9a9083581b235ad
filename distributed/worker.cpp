#include "distributed/worker.h"

#include <ATen/Parallel.h>
#include <torch/csrc/distributed/c10d/Store.hpp>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <thread>

#include "distributed/protocol.h"
#include "evaluators/proxy_evaluator.h"
#include "space/error.h"
#include "space/hash.h"
#include "supernet/task.h"

namespace qtnas {

namespace keys = eval_keys;

namespace {

// Bumps alive/<slot> twice a second on its own connection until stopped or rank 0 is gone.
class Heartbeat {
 public:
  Heartbeat(const DistributedOptions& options, int slot)
      : store_(connect_store(options)), thread_([this, slot] {
          while (!stop_) {
            try {
              store_->add(keys::alive(slot), 1);
            } catch (const std::exception&) {
              return;  // rank 0 went away; the job loop finds out too
            }
            for (int i = 0; i < 10 && !stop_; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
          }
        }) {}
  ~Heartbeat() {
    stop_ = true;
    thread_.join();
  }

 private:
  c10::intrusive_ptr<c10d::Store> store_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

std::string host_name() {
  char buf[256] = {0};
  return gethostname(buf, sizeof buf - 1) == 0 ? std::string(buf) : std::string("?");
}

}  // namespace

WorkerSummary run_worker(const DistributedOptions& options, const MakeEvaluation& make, const WorkerOptions& worker,
                         const std::function<void(const std::string&)>& on_note) {
  QTNAS_CHECK(options.rank != 0, "rank 0 runs qtnas search --distributed; a worker's rank is 1 or more");
  const auto note = on_note ? on_note : [](const std::string&) {};
  auto store = connect_store(options);
  nlohmann::json config;
  try {
    config = nlohmann::json::parse(keys::text(store->get(keys::config())));  // waits for rank 0 to publish
  } catch (const std::exception& e) {
    QTNAS_FAIL("rank {}: no evaluation settings from rank 0 at {}:{} ({})", options.rank, options.master_addr,
               options.master_port, std::string(e.what()).substr(0, std::string(e.what()).find('\n')));
  }
  const std::unique_ptr<CandidateEvaluation> evaluation = make(worker_config_from_json(config));

  const int slot = int(store->add(keys::workers(), 1) - 1);
  const WorkerReady me{options.rank, host_name(), int(getpid())};
  Heartbeat heartbeat(options, slot);
  store->set(keys::ready(slot), keys::bytes(to_json(me).dump()));
  note(fmt::format("joined rank 0 at {}:{} as worker {}", options.master_addr, options.master_port, slot));

  WorkerSummary summary;
  int idle_ms = 1;
  try {
    for (int64_t n = 0;; ++n) {
      const std::string job_key = keys::job(slot, n);
      while (!store->check({job_key})) {
        if (store->check({keys::stop()})) {
          summary.stopped_by_rank0 = true;
          store->add(keys::left(), 1);
          return summary;
        }
        if (store->check({keys::retired(slot)})) {
          summary.reason = "rank 0 stopped waiting for this worker (its heartbeat was late)";
          return summary;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(idle_ms));
        idle_ms = std::min(idle_ms * 2, 20);  // quick when jobs come back to back, light when idle
      }
      idle_ms = 1;
      if (worker.crash_after_jobs >= 0 && n >= worker.crash_after_jobs) std::raise(SIGKILL);
      const auto message = nlohmann::json::parse(keys::text(store->get(job_key)), nullptr, false);
      Evaluation e;
      try {
        const EvaluationJob job = evaluation_job_from_json(message);
        e = evaluation->evaluate({job.arch}, job.fidelity).at(0);
      } catch (const std::exception& ex) {  // a bad job is a failed candidate, as in a single process
        e.ok = false;
        e.error = ex.what();
      }
      store->set(keys::result(slot, n), keys::bytes(keys::to_json(e).dump()));
      ++summary.jobs;
    }
  } catch (const std::exception& e) {
    const std::string what = e.what();
    summary.reason = fmt::format("lost rank 0 at {}:{} ({})", options.master_addr, options.master_port,
                                 what.substr(0, what.find('\n')));
  }
  return summary;
}

MakeEvaluation proxy_evaluation_maker(const std::string& supernet_path,
                                      const std::function<void(const std::string&)>& on_note) {
  return [supernet_path, on_note](const WorkerConfig& c) -> std::unique_ptr<CandidateEvaluation> {
    const std::string supernet = supernet_path.empty() ? c.supernet_path : supernet_path;
    QTNAS_CHECK(file_hash(supernet) == c.supernet_hash,
                "supernet '{}' is not the one rank 0 searches with (its hash differs)", supernet);
    const int threads = c.threads_per_candidate;
    at::set_num_threads(threads);
    if (on_note) {
      on_note(fmt::format("loading {} ({} validation examples per candidate, {} thread{})", supernet, c.val_subset,
                          threads, threads > 1 ? "s" : ""));
    }
    const SupernetTask task = load_supernet_task(supernet, c.task);
    return std::make_unique<ProxyFidelities>(task.checkpoint.net, task.val, c.val_subset, Parallelism{1, threads});
  };
}

}  // namespace qtnas
