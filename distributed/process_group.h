// Joining a group of qtnas processes on torch.distributed's C++ engine (c10d, shipped in Debian's LibTorch):
// rank 0 serves a TCPStore that every rank connects to (rendezvous, settings shared by rank 0, the evaluation
// queue of distributed search), and data-parallel training runs its collectives on a Gloo process group.
#pragma once

#include <torch/torch.h>

#include <chrono>
#include <string>
#include <vector>

#include <c10/util/intrusive_ptr.h>

#include "supernet/training_phase.h"

namespace c10d {
class Store;
class ProcessGroup;
}  // namespace c10d

namespace qtnas {

struct DistributedOptions {
  int world_size = 1;   // processes in the group, rank 0 included
  int rank = 0;         // this process; 0 serves the store
  std::string master_addr = "127.0.0.1";
  int master_port = 29500;
  std::chrono::milliseconds timeout{std::chrono::minutes(5)};  // connecting, and each collective
};

// The options as torchrun sets them (WORLD_SIZE, RANK, MASTER_ADDR, MASTER_PORT), each overridden by the value
// given when that is set (world_size > 0, rank >= 0, non-empty addr, port > 0). Throws qtnas::Error on values
// out of range or a non-numeric variable.
DistributedOptions resolve_distributed_options(int world_size, int rank, const std::string& master_addr,
                                               int master_port);

// A TCPStore: served by this process on rank 0 (and connected to), connected to rank 0's on other ranks.
// Throws qtnas::Error when the port cannot be served or rank 0 cannot be reached within the timeout.
c10::intrusive_ptr<c10d::Store> connect_store(const DistributedOptions& options);

// Collectives for data-parallel training over Gloo. Every rank must call them in the same order.
class DataParallelGroup {
 public:
  // Rendezvous of all `world_size` ranks; throws qtnas::Error if they do not all arrive within the timeout.
  explicit DataParallelGroup(const DistributedOptions& options);
  ~DataParallelGroup();

  int rank() const { return options_.rank; }
  int world_size() const { return options_.world_size; }

  // Sums the tensors over all ranks, in place (one flat buffer per dtype: one message, not one per tensor).
  void all_reduce_sum(std::vector<torch::Tensor>& tensors);
  // Copies rank 0's values into every rank's tensors, in place.
  void broadcast(std::vector<torch::Tensor>& tensors);
  // Rank 0 shares a text with all ranks (a seed, a configuration): returns rank 0's `value` on every rank.
  std::string share(const std::string& key, const std::string& value);

 private:
  DistributedOptions options_;
  c10::intrusive_ptr<c10d::Store> store_;
  c10::intrusive_ptr<c10d::ProcessGroup> group_;
};

// `group` as the trainer's ranks see it (supernet/training_phase.h): its collectives and its share. The
// group must outlive the result.
RankGroup rank_group(DataParallelGroup& group);

}  // namespace qtnas
