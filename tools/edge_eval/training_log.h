// tools/edge_eval/training_log.h: edge-tune's --json-log (one JSON object per
// step: "step", "loss", and "eval_loss" on evaluation steps) read for the
// report's loss curve.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/status.h"

namespace edgert::eval {

struct LossPoint {
  double step = 0;
  double loss = 0;
  std::optional<double> eval_loss;
};

// Errors name the file and line and what was expected. An empty log is refused.
Result<std::vector<LossPoint>> ReadTrainingLog(const std::string& path);

}  // namespace edgert::eval
