#include "tools/edge_eval/html_report.h"

#include <cstdio>
#include <random>

#include "runtime/diagram/dot_render.h"
#include "tools/edge_eval/html_text.h"
#include "tools/edge_eval/loss_curve.h"
#include "tools/edge_eval/mermaid_bundle.h"
#include "tools/edge_eval/summary_table.h"

namespace edgert::eval {
namespace {

using diagram::OutputClass;

constexpr const char* kStyle = R"(
body { font-family: system-ui, sans-serif; margin: 2em; color: #1f2328; max-width: 1400px; }
table.summary { border-collapse: collapse; margin: 1em 0; }
table.summary th, table.summary td { border: 1px solid #d0d7de; padding: 4px 10px; text-align: right; }
table.summary th:first-child, table.summary td:first-child { text-align: left; }
.settings { color: #57606a; }
.notice { background: #fff8c5; padding: 6px 10px; border: 1px solid #d4a72c; }
section.case { border-top: 1px solid #d0d7de; padding: 0.5em 0 1em; }
section.case h3 { font-size: 1em; white-space: pre-wrap; }
.runs { display: flex; gap: 1em; flex-wrap: wrap; }
.run { flex: 1 1 400px; min-width: 0; border: 1px solid #d0d7de; border-radius: 6px; padding: 0.5em; overflow: auto; }
.run h4 { margin: 0 0 0.5em; }
.verdict { display: inline-block; padding: 1px 8px; border-radius: 10px; color: #fff; font-size: 0.85em; }
.verdict.valid { background: #1a7f37; } .verdict.syntax_error { background: #cf222e; }
.verdict.incomplete { background: #bc4c00; } .verdict.no_diagram { background: #6e7781; }
pre { background: #f6f8fa; padding: 0.5em; overflow: auto; font-size: 0.85em; }
pre.source { counter-reset: line; }
pre.source span.line { display: block; counter-increment: line; }
pre.source span.line::before { content: counter(line); display: inline-block; width: 3em; color: #8c959f; }
pre.source span.line.error { background: #ffebe9; }
.error-message { color: #cf222e; white-space: pre-wrap; font-family: monospace; font-size: 0.85em; }
.diagram svg { max-width: 100%; height: auto; }
details summary { cursor: pointer; color: #57606a; font-size: 0.85em; }
)";

std::string Printf(const char* format, double a) {
  char b[64];
  std::snprintf(b, sizeof b, format, a);
  return b;
}

// A fresh nonce per report: only scripts carrying it may run.
std::string Nonce() {
  std::random_device device;
  char b[40];
  std::snprintf(b, sizeof b, "%08x%08x%08x%08x", device(), device(), device(), device());
  return b;
}

std::string SummaryHtml(const Evaluation& e) {
  const size_t n = e.prompts.size();
  std::string h = "<table class=\"summary\"><tr><th></th>";
  for (const Run& r : e.runs) h += "<th>" + EscapeHtml(r.name) + "</th>";
  const bool compare = e.runs.size() == 2;
  if (compare) h += "<th>difference</th>";
  h += "</tr>\n";
  for (int k = 0; k < diagram::kOutputClassCount; ++k) {
    const auto kind = static_cast<OutputClass>(k);
    h += std::string("<tr class=\"") + diagram::OutputClassName(kind) + "\"><td>" + diagram::OutputClassLabel(kind) + "</td>";
    for (const Run& r : e.runs) {
      const size_t c = r.counts[static_cast<size_t>(k)];
      h += "<td>" + std::to_string(c) + "/" + std::to_string(n) + " (" + Percent(c, n) + ")</td>";
    }
    if (compare) {
      const double diff = n == 0 ? 0 : 100.0 * (static_cast<double>(e.runs[1].counts[static_cast<size_t>(k)]) -
                                                static_cast<double>(e.runs[0].counts[static_cast<size_t>(k)])) /
                                           static_cast<double>(n);
      h += "<td>" + Printf("%+.1f pts", diff) + "</td>";
    }
    h += "</tr>\n";
    if (kind == OutputClass::kValid) {
      h += "<tr><td>valid, 95% interval</td>";
      for (const Run& r : e.runs) {
        const Interval w = WilsonInterval(r.valid(), n);
        h += "<td>" + Printf("%.1f%%", 100 * w.low) + " to " + Printf("%.1f%%", 100 * w.high) + "</td>";
      }
      if (compare) h += "<td></td>";
      h += "</tr>\n";
    }
  }
  h += "</table>\n";
  if (const auto c = e.Compare()) {
    h += "<p>Two-proportion z = " + Printf("%.2f", c->z.z) + ", p = " + EscapeHtml(PValue(c->z.p_value)) +
         " (tuned against base). McNemar (" + (c->paired.exact ? "exact" : "chi-square") + ") p = " +
         EscapeHtml(PValue(c->paired.p_value)) + ": valid only with base " + std::to_string(c->paired.only_base) +
         ", only tuned " + std::to_string(c->paired.only_tuned) + ".</p>\n";
  }
  return h;
}

std::string SettingsHtml(const EvalSettings& s) {
  std::string h = "<p class=\"settings\">";
  if (!s.model.empty()) {
    h += "model <code>" + EscapeHtml(s.model) + "</code>";
    for (const std::string& a : s.adapters) h += ", adapter <code>" + EscapeHtml(a) + "</code>";
    h += "; " + std::to_string(s.max_tokens) + " tokens at most, " +
         (s.temperature > 0 ? Printf("temperature %g", static_cast<double>(s.temperature)) + ", seed " + std::to_string(s.seed)
                            : std::string("greedy")) +
         (s.grammar ? ", grammar-constrained" : ", unconstrained") + "; ";
  } else {
    h += "the prompt file's own responses; ";
  }
  h += "prompts <code>" + EscapeHtml(s.prompts_file) + "</code>; format " + diagram::DiagramFormatName(s.format) +
       "; verdicts by " + (s.checker == "grammar" ? std::string("the built-in checker") : EscapeHtml(s.checker)) + "</p>\n";
  return h;
}

// The source with every line numbered and the error's line marked.
std::string SourceHtml(const std::string& source, int error_line) {
  std::string h = "<pre class=\"source\">";
  size_t start = 0;
  for (int line = 1; start <= source.size(); ++line) {
    size_t end = source.find('\n', start);
    if (end == std::string::npos) end = source.size();
    h += std::string("<span class=\"line") + (line == error_line ? " error" : "") + "\">" +
         EscapeHtml(std::string_view(source).substr(start, end - start)) + "</span>";
    start = end + 1;
  }
  return h + "</pre>";
}

Result<std::string> DiagramHtml(const Outcome& o, diagram::DiagramFormat format, bool mermaid_available) {
  const diagram::Classification& c = o.result;
  if (c.kind == OutputClass::kNoDiagram) return "<pre class=\"output\">" + EscapeHtml(o.output) + "</pre>";
  if (c.kind != OutputClass::kValid) {
    std::string where = c.verdict.line > 0 ? "line " + std::to_string(c.verdict.line) + ": " : "";
    return "<div class=\"error-message\">" + EscapeHtml(where + c.verdict.message) + "</div>" +
           SourceHtml(c.diagram.source, c.verdict.line);
  }
  if (format == diagram::DiagramFormat::kMermaid) {
    if (!mermaid_available) return SourceHtml(c.diagram.source, 0);
    // mermaid.run reads the element's text: escaped here, decoded by the browser.
    return "<pre class=\"mermaid diagram\">" + EscapeHtml(c.diagram.source) + "</pre>";
  }
  auto svg = diagram::RenderDotSvg(c.diagram.source);
  if (!svg.ok()) {
    return "<div class=\"error-message\">" + EscapeHtml("Graphviz could not draw it: " + svg.status().message()) +
           "</div>" + SourceHtml(c.diagram.source, 0);
  }
  // Graphviz escapes the graph's text in its SVG; links it may emit (URL/href
  // attributes) are inert under the page's Content-Security-Policy.
  return "<div class=\"dot-svg diagram\">" + *svg + "</div>";
}

}  // namespace

Result<std::string> HtmlReport(const Evaluation& e, const std::vector<LossPoint>& losses) {
  const std::string_view mermaid = MermaidBundle();
  const bool is_mermaid = e.settings.format == diagram::DiagramFormat::kMermaid;
  const bool mermaid_available = !mermaid.empty();
  const std::string nonce = Nonce();
  std::string h = "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  h += "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; script-src 'nonce-" + nonce +
       "'; style-src 'unsafe-inline'; img-src data:; font-src data:\">\n";
  h += "<title>edge-eval: " + EscapeHtml(e.settings.prompts_file) + "</title>\n<style>" + kStyle + "</style>\n</head>\n<body>\n";
  h += "<h1>edge-eval report</h1>\n" + SettingsHtml(e.settings);
  if (is_mermaid && !mermaid_available) {
    h += "<p class=\"notice\">This edge-eval was built without mermaid.js (run <code>npm ci --prefix "
         "tools/edge_eval/web</code> and rebuild): valid Mermaid diagrams are shown as source.</p>\n";
  }
  h += "<h2>Summary</h2>\n" + SummaryHtml(e);
  if (!losses.empty()) h += "<h2>Training loss</h2>\n" + LossCurveSvg(losses);
  h += "<h2>Prompts</h2>\n";
  for (size_t i = 0; i < e.prompts.size(); ++i) {
    h += "<section class=\"case\" id=\"case-" + std::to_string(i + 1) + "\">\n<h3>" + std::to_string(i + 1) + ". " +
         EscapeHtml(e.prompts[i].prompt) + "</h3>\n<div class=\"runs\">\n";
    for (const Run& r : e.runs) {
      const Outcome& o = r.outcomes[i];
      const char* kind = diagram::OutputClassName(o.result.kind);
      h += std::string("<div class=\"run\" data-run=\"") + EscapeHtml(r.name) + "\" data-verdict=\"" + kind + "\">\n<h4>" +
           EscapeHtml(r.name) + " <span class=\"verdict " + kind + "\">" + diagram::OutputClassLabel(o.result.kind) +
           "</span></h4>\n";
      EDGERT_ASSIGN_OR_RETURN(std::string body, DiagramHtml(o, e.settings.format, mermaid_available));
      h += body + "\n";
      if (o.result.kind != OutputClass::kNoDiagram) {
        h += "<details><summary>the whole output";
        if (!o.stop.empty()) h += " (" + std::to_string(o.tokens) + " tokens, " + EscapeHtml(o.stop) + ")";
        h += "</summary><pre class=\"output\">" + EscapeHtml(o.output) + "</pre></details>\n";
      }
      h += "</div>\n";
    }
    h += "</div>\n</section>\n";
  }
  if (is_mermaid && mermaid_available) {
    h += "<script nonce=\"" + nonce + "\">\n" + EscapeInlineScript(mermaid) + "\n</script>\n";
    // body[data-mermaid] says how drawing ended ("done", or "failed: ...") for
    // whoever inspects the page; errors also go to the console.
    h += "<script nonce=\"" + nonce + R"(">
mermaid.initialize({ startOnLoad: false, securityLevel: 'strict' });
mermaid.run({ querySelector: 'pre.mermaid' }).then(
  () => { document.body.dataset.mermaid = 'done'; },
  (e) => { document.body.dataset.mermaid = 'failed: ' + e; console.error('mermaid:', e); });
</script>
)";
  }
  h += "</body>\n</html>\n";
  return h;
}

}  // namespace edgert::eval
