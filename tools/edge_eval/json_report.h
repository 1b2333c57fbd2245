// tools/edge_eval/json_report.h: --json OUT: the settings, each run's counts,
// the comparison, and every prompt with each run's output, extracted diagram,
// verdict and error position.
#pragma once

#include <string>

#include "tools/edge_eval/evaluation.h"

namespace edgert::eval {

std::string JsonReport(const Evaluation& evaluation);

}  // namespace edgert::eval
