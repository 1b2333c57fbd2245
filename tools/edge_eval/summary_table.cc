#include "tools/edge_eval/summary_table.h"

#include <cstdio>

namespace edgert::eval {
namespace {

template <typename... Args>
std::string Format(const char* format, Args... args) {
  char buffer[256];
  std::snprintf(buffer, sizeof buffer, format, args...);
  return buffer;
}

constexpr int kLabelWidth = 18;
constexpr int kColumnWidth = 20;

std::string Row(const std::string& label, const std::vector<std::string>& cells) {
  std::string line = Format("%-*s", kLabelWidth, label.c_str());
  for (const std::string& c : cells) line += Format("%*s", kColumnWidth, c.c_str());
  while (!line.empty() && line.back() == ' ') line.pop_back();
  return line + "\n";
}

}  // namespace

std::string Percent(size_t count, size_t total) {
  return total == 0 ? "-" : Format("%.1f%%", 100.0 * static_cast<double>(count) / static_cast<double>(total));
}

std::string PValue(double p) { return p < 1e-6 ? "< 1e-6" : Format("%.4g", p); }

std::string SummaryTable(const Evaluation& e) {
  const size_t n = e.prompts.size();
  const bool compare = e.runs.size() == 2;
  std::vector<std::string> header;
  for (const Run& r : e.runs) header.push_back(r.name);
  if (compare) header.push_back("difference");
  std::string out = Format("%zu prompts, %s%s, %s\n", n, diagram::DiagramFormatName(e.settings.format),
                           e.settings.grammar ? " with --grammar" : "", e.settings.prompts_file.c_str());
  out += "checker: " + (e.settings.checker == "grammar" ? std::string("the built-in ") + diagram::DiagramFormatName(e.settings.format) + " checker"
                                                       : e.settings.checker + " (mermaid's parser under node)") + "\n";
  out += Row("", header);
  for (int k = 0; k < diagram::kOutputClassCount; ++k) {
    const auto kind = static_cast<diagram::OutputClass>(k);
    std::vector<std::string> cells;
    for (const Run& r : e.runs) {
      cells.push_back(Format("%zu/%zu  %s", r.counts[static_cast<size_t>(k)], n, Percent(r.counts[static_cast<size_t>(k)], n).c_str()));
    }
    if (compare) {
      const double diff = n == 0 ? 0.0 : 100.0 * (static_cast<double>(e.runs[1].counts[static_cast<size_t>(k)]) -
                                                  static_cast<double>(e.runs[0].counts[static_cast<size_t>(k)])) /
                                             static_cast<double>(n);
      cells.push_back(Format("%+.1f pts", diff));
    }
    out += Row(diagram::OutputClassLabel(kind), cells);
    if (kind == diagram::OutputClass::kValid) {
      std::vector<std::string> ci;
      for (const Run& r : e.runs) {
        const Interval w = WilsonInterval(r.valid(), n);
        ci.push_back(Format("[%.1f%%, %.1f%%]", 100 * w.low, 100 * w.high));
      }
      out += Row("  95% interval", ci);
    }
  }
  if (!e.runs.empty() && !e.runs[0].outcomes.empty() && e.runs[0].outcomes[0].grammar_kind) {
    std::vector<std::string> grammar_valid, same;
    for (const Run& r : e.runs) {
      size_t valid = 0, agree = 0;
      for (const Outcome& o : r.outcomes) {
        valid += o.grammar_kind == diagram::OutputClass::kValid;
        agree += (o.grammar_kind == diagram::OutputClass::kValid) == (o.result.kind == diagram::OutputClass::kValid);
      }
      grammar_valid.push_back(Format("%zu/%zu  %s", valid, n, Percent(valid, n).c_str()));
      same.push_back(Format("%zu/%zu", agree, n));
    }
    out += Row("grammar: valid", grammar_valid);
    out += Row("  same verdict", same);
  }
  if (const auto c = e.Compare()) {
    out += Format("two-proportion z = %.2f, p = %s (tuned against base, %zu prompts each)\n", c->z.z,
                  PValue(c->z.p_value).c_str(), n);
    out += Format("McNemar (%s) p = %s: valid only with base %zu, only tuned %zu\n",
                  c->paired.exact ? "exact" : "chi-square", PValue(c->paired.p_value).c_str(), c->paired.only_base,
                  c->paired.only_tuned);
  }
  return out;
}

}  // namespace edgert::eval
