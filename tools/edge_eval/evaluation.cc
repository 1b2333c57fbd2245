#include "tools/edge_eval/evaluation.h"

namespace edgert::eval {

void Run::Add(Outcome outcome) {
  ++counts[static_cast<size_t>(outcome.result.kind)];
  outcomes.push_back(std::move(outcome));
}

void Run::Recount() {
  counts = {};
  for (const Outcome& o : outcomes) ++counts[static_cast<size_t>(o.result.kind)];
}

std::optional<Comparison> Evaluation::Compare() const {
  if (runs.size() != 2) return std::nullopt;
  const Run& base = runs[0];
  const Run& tuned = runs[1];
  Comparison c;
  c.z = TwoProportionZ(base.valid(), base.outcomes.size(), tuned.valid(), tuned.outcomes.size());
  size_t only_base = 0, only_tuned = 0;
  for (size_t i = 0; i < base.outcomes.size() && i < tuned.outcomes.size(); ++i) {
    const bool b = base.outcomes[i].result.kind == diagram::OutputClass::kValid;
    const bool t = tuned.outcomes[i].result.kind == diagram::OutputClass::kValid;
    if (b && !t) ++only_base;
    if (t && !b) ++only_tuned;
  }
  c.paired = McNemar(only_base, only_tuned);
  return c;
}

}  // namespace edgert::eval
