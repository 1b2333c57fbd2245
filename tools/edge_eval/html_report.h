// tools/edge_eval/html_report.h: --report OUT.html: one self-contained page,
// usable offline: the summary table, the loss curve when a training log is
// given, and every prompt with each run's verdict beside its diagram: valid DOT
// drawn to SVG by Graphviz now, valid Mermaid drawn in the browser by the
// bundled mermaid.js, anything invalid shown as source with the error line
// marked. Every piece of text from the model or the files is escaped, and a
// Content-Security-Policy lets only the page's own two scripts run.
#pragma once

#include <string>
#include <vector>

#include "base/status.h"
#include "tools/edge_eval/evaluation.h"
#include "tools/edge_eval/training_log.h"

namespace edgert::eval {

// `losses` empty: no loss curve.
Result<std::string> HtmlReport(const Evaluation& evaluation, const std::vector<LossPoint>& losses);

}  // namespace edgert::eval
