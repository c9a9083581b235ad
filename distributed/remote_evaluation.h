// Distributed candidate evaluation. Rank 0 runs the searcher and is the only writer of the run database; the
// candidates of each generation go to worker processes (`qtnas worker`, distributed/worker.h) through the
// c10d TCPStore that rank 0 serves. Keys, under "qtnas/eval/" (messages are JSON, each specified with its struct
// in distributed/protocol.h):
//   config            rank 0's evaluation settings (WorkerConfig): supernet identity, task, subset size, threads
//   workers           counter: a joining worker takes the next slot number
//   ready/<slot>      the worker's rank, host and pid (WorkerReady), once it can evaluate
//   alive/<slot>      counter the worker's heartbeat thread bumps twice a second
//   job/<slot>/<n>    the worker's n-th job (EvaluationJob); one job per worker at a time
//   result/<slot>/<n> its answer (an Evaluation)
//   retired/<slot>    set by rank 0 when it stops waiting for that worker; the worker then exits
//   stop              set by rank 0 when the search ends; workers count themselves out in `left` and exit
// The store, not Gloo collectives, carries the jobs: a collective stalls the whole group when one member dies,
// while a job whose worker stops beating is simply given to another worker. A worker's answer does not depend
// on which worker computed it (same weights, data and threads per candidate), so the final front equals a
// single-process run's. With no live worker left, rank 0 evaluates the rest itself.
#pragma once

#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "distributed/process_group.h"
#include "distributed/protocol.h"
#include "evaluators/parallel.h"

namespace qtnas {

struct RemoteEvaluationOptions {
  std::chrono::milliseconds worker_timeout{std::chrono::seconds(30)};  // heartbeat silence before reassigning
  std::chrono::milliseconds join_timeout{std::chrono::minutes(2)};     // for the first worker to be ready
  int expected_workers = 0;  // wait (up to join_timeout) for this many before the first batch
};

struct RemoteEvaluationStats {
  int64_t jobs = 0;             // answered by workers
  int64_t reassigned = 0;       // jobs given again after their worker stopped beating
  int64_t local = 0;            // evaluated on rank 0 for lack of live workers
  double eval_seconds = 0;      // workers' own evaluation time, summed
  double round_trip_seconds = 0;  // from handing a job out to reading its answer, summed
  int workers_joined = 0, workers_lost = 0;  // counted from the workers when stats() is asked for
  nlohmann::json to_json() const;
};

class RemoteEvaluation : public CandidateEvaluation {
 public:
  // Serves the store on options.master_port (rank 0), publishes `worker_config` for workers to check and use,
  // and waits for workers to join. `local` evaluates when no worker is alive (may be null: then that is an
  // error). `on_note` hears of workers joining and being lost. Throws qtnas::Error if the port cannot be served
  // or no worker is ready within join_timeout.
  RemoteEvaluation(const DistributedOptions& options, const WorkerConfig& worker_config,
                   CandidateEvaluation* local, RemoteEvaluationOptions remote = {},
                   std::function<void(const std::string&)> on_note = {});
  ~RemoteEvaluation() override;  // tells the workers to stop

  std::vector<Evaluation> evaluate(const std::vector<Arch>& archs, Fidelity fidelity) override;
  bool has_full() const override { return true; }
  RemoteEvaluationStats stats() const;

 private:
  struct Worker;
  void discover_workers();
  int live_workers() const;
  // The steps of one round of evaluate(): each returns how many candidates it finished or handed out.
  size_t collect_answers(std::vector<Evaluation>& results);
  void check_heartbeats(std::deque<size_t>& queue, const std::vector<Arch>& archs);
  size_t hand_out_jobs(std::deque<size_t>& queue, const std::vector<Arch>& archs, Fidelity fidelity);
  size_t evaluate_locally(std::deque<size_t>& queue, const std::vector<Arch>& archs, Fidelity fidelity,
                          std::vector<Evaluation>& results);

  c10::intrusive_ptr<c10d::Store> store_;
  CandidateEvaluation* local_;
  RemoteEvaluationOptions remote_;
  std::function<void(const std::string&)> on_note_;
  std::map<int, std::unique_ptr<Worker>> workers_;  // by slot
  RemoteEvaluationStats stats_;
};

}  // namespace qtnas
