// The ask/tell interface of every search strategy: propose a batch of keys, observe their results. The
// evaluation loop, its parallelism and the run database stay outside; a synthetic problem can drive it too.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "search/evaluated.h"
#include "search/genome.h"

namespace qtnas {

// Contract shared by all searchers:
// - propose() returns the keys of the next batch. It never returns a key already evaluated or already
//   proposed: every observed key stays in a cache, and a child that repeats one is drawn again a bounded number
//   of times (so a batch may come out smaller; an empty one means the space looks exhausted). While a batch
//   is open (proposed, not fully observed), propose() returns its keys not observed yet, and draws nothing.
// - observe() takes results of the open batch, in any order and in as many calls as wanted; a key that was
//   not proposed or is observed twice throws qtnas::Error and changes nothing. The generation ends when the
//   whole batch is observed. Failed results (ok = false) are remembered, never proposed again, never selected.
// - state() holds everything that decides future behaviour (population, Rng state, generation, cache, open
//   batch): a searcher built with the same GeneOps and config that restore()s it behaves bit-identically
//   from there on (and writes the same state). restore() takes the stored seed, and throws qtnas::Error for a
//   state of another searcher kind, another config (seed aside), or a newer format; a refused state changes
//   nothing.
// Not thread-safe: one thread drives a searcher.
class Searcher {
 public:
  virtual ~Searcher() = default;

  virtual std::vector<std::string> propose() = 0;
  virtual void observe(const std::vector<Evaluated>& results) = 0;

  // Completed batches (generation 0 is the initial batch).
  virtual int generation() const = 0;

  virtual nlohmann::json state() const = 0;
  virtual void restore(const nlohmann::json& state) = 0;

  // The candidates the searcher currently keeps (all ok).
  virtual std::vector<Evaluated> population() const = 0;
  // The feasible members of population() that no other member constrained-dominates.
  virtual std::vector<Evaluated> front() const = 0;
};

// The searchers qtnas has, by name: the one place their names are spelt (options, run configs, states).
enum class SearcherKind { Nsga2, Random };
const char* to_string(SearcherKind kind);
// "nsga2" or "random"; throws qtnas::Error naming the known kinds otherwise.
SearcherKind searcher_kind_from_string(const std::string& name);

// A searcher of `kind` with its default settings, `population` and `seed`. Keeps a reference to `genes`, which
// must outlive it. Throws qtnas::Error on a bad population.
std::unique_ptr<Searcher> make_searcher(SearcherKind kind, const GeneOps& genes, int population, uint64_t seed);

}  // namespace qtnas
