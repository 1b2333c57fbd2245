#include "tools/edge_eval/json_report.h"

#include <nlohmann/json.hpp>

namespace edgert::eval {
namespace {

using nlohmann::ordered_json;

ordered_json OutcomeJson(const Outcome& o) {
  const diagram::Classification& c = o.result;
  ordered_json j = {{"verdict", diagram::OutputClassName(c.kind)}, {"output", o.output}};
  if (c.diagram.found) {
    j["diagram"] = c.diagram.source;
    j["fenced"] = c.diagram.fenced;
    j["diagram_offset"] = c.diagram.offset;  // byte offset of "diagram" in "output"
  }
  if (c.diagram.found && !c.verdict.valid) {
    // line: 1-based within "diagram" (0 when the parser gives none).
    j["error"] = {{"message", c.verdict.message}, {"line", c.verdict.line}, {"at_end", c.verdict.at_end}};
  }
  if (o.grammar_kind) j["grammar_verdict"] = diagram::OutputClassName(*o.grammar_kind);
  if (!o.stop.empty()) {
    j["tokens"] = o.tokens;
    j["stop"] = o.stop;
  }
  return j;
}

}  // namespace

std::string JsonReport(const Evaluation& e) {
  const EvalSettings& s = e.settings;
  ordered_json j;
  j["format"] = diagram::DiagramFormatName(s.format);
  j["prompts_file"] = s.prompts_file;
  j["checker"] = s.checker;
  if (!s.model.empty()) {
    j["model"] = s.model;
    j["adapters"] = s.adapters;
    j["grammar"] = s.grammar;
    j["max_tokens"] = s.max_tokens;
    j["temperature"] = s.temperature;
    j["seed"] = s.seed;
  }
  ordered_json runs = ordered_json::array();
  for (const Run& r : e.runs) {
    ordered_json counts;
    for (int k = 0; k < diagram::kOutputClassCount; ++k) {
      counts[diagram::OutputClassName(static_cast<diagram::OutputClass>(k))] = r.counts[static_cast<size_t>(k)];
    }
    const Interval w = WilsonInterval(r.valid(), e.prompts.size());
    runs.push_back({{"name", r.name}, {"prompts", e.prompts.size()}, {"counts", counts},
                    {"valid_rate", e.prompts.empty() ? 0.0 : static_cast<double>(r.valid()) / static_cast<double>(e.prompts.size())},
                    {"valid_rate_95", {w.low, w.high}}});
  }
  j["runs"] = runs;
  if (const auto c = e.Compare()) {
    j["comparison"] = {{"z", c->z.z},
                       {"p_value", c->z.p_value},
                       {"mcnemar", {{"only_base", c->paired.only_base},
                                    {"only_tuned", c->paired.only_tuned},
                                    {"exact", c->paired.exact},
                                    {"p_value", c->paired.p_value}}}};
  }
  ordered_json items = ordered_json::array();
  for (size_t i = 0; i < e.prompts.size(); ++i) {
    ordered_json item = {{"index", i + 1}, {"prompt", e.prompts[i].prompt}};
    if (!e.prompts[i].reference.empty()) item["reference"] = e.prompts[i].reference;
    for (const Run& r : e.runs) item[r.name] = OutcomeJson(r.outcomes[i]);
    items.push_back(std::move(item));
  }
  j["items"] = std::move(items);
  return j.dump(2, ' ', false, ordered_json::error_handler_t::replace) + "\n";  // a cut token can leave broken UTF-8
}

}  // namespace edgert::eval
