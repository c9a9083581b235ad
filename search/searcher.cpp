#include "search/searcher.h"

#include "search/nsga2.h"
#include "search/random_search.h"
#include "space/error.h"

namespace qtnas {

const char* to_string(SearcherKind kind) { return kind == SearcherKind::Nsga2 ? "nsga2" : "random"; }

SearcherKind searcher_kind_from_string(const std::string& name) {
  for (SearcherKind kind : {SearcherKind::Nsga2, SearcherKind::Random}) {
    if (name == to_string(kind)) return kind;
  }
  QTNAS_FAIL("unknown searcher '{}': nsga2 or random", name);
}

std::unique_ptr<Searcher> make_searcher(SearcherKind kind, const GeneOps& genes, int population, uint64_t seed) {
  if (kind == SearcherKind::Nsga2) {
    Nsga2Config c;
    c.population = population;
    c.seed = seed;
    return std::make_unique<Nsga2>(genes, c);
  }
  RandomSearchConfig c;
  c.population = population;
  c.seed = seed;
  return std::make_unique<RandomSearch>(genes, c);
}

}  // namespace qtnas
