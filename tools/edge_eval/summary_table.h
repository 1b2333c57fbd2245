// tools/edge_eval/summary_table.h: the table edge-eval prints: per run, valid
// count and rate with its 95% Wilson interval and every class; with two runs
// the difference, the two-proportion z and its p-value, and McNemar's p.
#pragma once

#include <string>

#include "tools/edge_eval/evaluation.h"

namespace edgert::eval {

std::string SummaryTable(const Evaluation& evaluation);

// "12/20 (60.0%)"-style pieces the HTML report shares.
std::string Percent(size_t count, size_t total);           // "60.0%"
std::string PValue(double p);                              // "0.0032", "< 1e-6"

}  // namespace edgert::eval
