#include "distributed/process_group.h"

#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include <cstdlib>
#include <map>

#include "space/error.h"

namespace qtnas {
namespace {

int env_int(const char* name, int fallback) {
  const char* v = std::getenv(name);
  if (!v || !*v) return fallback;
  char* end = nullptr;
  const long x = std::strtol(v, &end, 10);
  QTNAS_CHECK(end && *end == '\0', "environment variable {}='{}' is not an integer", name, v);
  return int(x);
}

bool is_loopback(const std::string& addr) {
  return addr == "localhost" || addr.rfind("127.", 0) == 0 || addr == "::1";
}

// Which network interface Gloo uses: GLOO_SOCKET_IFNAME when set (as in PyTorch), loopback for a local group,
// else the address this host's name resolves to.
std::shared_ptr<::gloo::transport::Device> gloo_device(const DistributedOptions& o) {
  if (const char* ifname = std::getenv("GLOO_SOCKET_IFNAME"); ifname && *ifname) {
    return c10d::ProcessGroupGloo::createDeviceForInterface(ifname);
  }
  if (is_loopback(o.master_addr)) return c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1");
  return c10d::ProcessGroupGloo::createDefaultDevice();
}

// Runs a collective; a failure (a rank died, or the timeout passed) becomes one line naming this rank.
template <typename F>
void collective(const DistributedOptions& o, const char* what, F&& run) {
  try {
    run();
  } catch (const std::exception& e) {
    const std::string msg = e.what();
    QTNAS_FAIL("rank {}: {} across {} ranks failed (did another rank stop? timeout {} s): {}", o.rank, what,
               o.world_size, o.timeout.count() / 1000, msg.substr(0, msg.find('\n')));
  }
}

}  // namespace

DistributedOptions resolve_distributed_options(int world_size, int rank, const std::string& master_addr,
                                               int master_port) {
  DistributedOptions o;
  o.world_size = world_size > 0 ? world_size : env_int("WORLD_SIZE", 1);
  o.rank = rank >= 0 ? rank : env_int("RANK", 0);
  const char* addr = std::getenv("MASTER_ADDR");
  o.master_addr = !master_addr.empty() ? master_addr : (addr && *addr ? addr : "127.0.0.1");
  o.master_port = master_port > 0 ? master_port : env_int("MASTER_PORT", 29500);
  QTNAS_CHECK(o.world_size >= 1, "the world size must be at least 1, got {}", o.world_size);
  QTNAS_CHECK(o.rank >= 0 && o.rank < o.world_size, "rank {} is outside a world of {} (ranks 0..{})", o.rank,
              o.world_size, o.world_size - 1);
  QTNAS_CHECK(o.master_port > 0 && o.master_port < 65536, "master port {} is not a TCP port", o.master_port);
  return o;
}

c10::intrusive_ptr<c10d::Store> connect_store(const DistributedOptions& o) {
  c10d::TCPStoreOptions so;
  so.port = static_cast<uint16_t>(o.master_port);
  so.isServer = o.rank == 0;
  so.waitWorkers = false;
  so.timeout = o.timeout;
  try {
    return c10::make_intrusive<c10d::TCPStore>(o.master_addr, so);
  } catch (const std::exception& e) {
    std::string what = e.what();
    what = what.substr(0, what.find('\n'));
    if (o.rank == 0) QTNAS_FAIL("rank 0 cannot serve the TCPStore on port {}: {}", o.master_port, what);
    QTNAS_FAIL("rank {} cannot reach rank 0's TCPStore at {}:{} within {} s: {}", o.rank, o.master_addr,
               o.master_port, o.timeout.count() / 1000, what);
  }
}

DataParallelGroup::DataParallelGroup(const DistributedOptions& options) : options_(options) {
  store_ = connect_store(options_);
  auto gloo = c10d::ProcessGroupGloo::Options::create(options_.timeout);
  gloo->devices.push_back(gloo_device(options_));
  gloo->threads = 1;
  try {
    group_ = c10::make_intrusive<c10d::ProcessGroupGloo>(c10::make_intrusive<c10d::PrefixStore>("gloo", store_),
                                                         options_.rank, options_.world_size, gloo);
  } catch (const std::exception& e) {
    std::string what = e.what();
    QTNAS_FAIL("rank {}: the {} ranks did not all join the Gloo group within {} s: {}", options_.rank,
               options_.world_size, options_.timeout.count() / 1000, what.substr(0, what.find('\n')));
  }
}

DataParallelGroup::~DataParallelGroup() = default;

void DataParallelGroup::all_reduce_sum(std::vector<torch::Tensor>& tensors) {
  if (tensors.empty()) return;
  std::map<c10::ScalarType, std::vector<size_t>> by_type;
  for (size_t i = 0; i < tensors.size(); ++i) by_type[tensors[i].scalar_type()].push_back(i);
  for (const auto& [type, indices] : by_type) {
    std::vector<torch::Tensor> flat;
    for (size_t i : indices) flat.push_back(tensors[i].reshape({-1}));
    std::vector<torch::Tensor> buffer = {torch::cat(flat)};
    collective(options_, "gradient all-reduce", [&] { group_->allreduce(buffer)->wait(options_.timeout); });
    int64_t offset = 0;
    for (size_t i : indices) {
      const int64_t n = tensors[i].numel();
      tensors[i].copy_(buffer[0].slice(0, offset, offset + n).view_as(tensors[i]));
      offset += n;
    }
  }
}

void DataParallelGroup::broadcast(std::vector<torch::Tensor>& tensors) {
  for (auto& t : tensors) {
    std::vector<torch::Tensor> one = {t.is_contiguous() ? t : t.contiguous()};
    collective(options_, "broadcast", [&] { group_->broadcast(one)->wait(options_.timeout); });
    if (!t.is_same(one[0])) t.copy_(one[0]);
  }
}

std::string DataParallelGroup::share(const std::string& key, const std::string& value) {
  const std::string k = "shared/" + key;
  if (options_.rank == 0) {
    store_->set(k, std::vector<uint8_t>(value.begin(), value.end()));
    return value;
  }
  std::vector<uint8_t> v;
  collective(options_, "reading rank 0's settings", [&] { v = store_->get(k); });  // waits up to the timeout
  return {v.begin(), v.end()};
}

RankGroup rank_group(DataParallelGroup& group) {
  DataParallelGroup* g = &group;
  RankGroup ranks;
  ranks.collectives = {g->rank(), g->world_size(), [g](std::vector<torch::Tensor>& t) { g->all_reduce_sum(t); },
                       [g](std::vector<torch::Tensor>& t) { g->broadcast(t); }};
  ranks.share = [g](const std::string& key, const std::string& value) { return g->share(key, value); };
  return ranks;
}

}  // namespace qtnas
