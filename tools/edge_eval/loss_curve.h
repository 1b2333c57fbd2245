// tools/edge_eval/loss_curve.h: a training log drawn as an inline SVG: training
// loss per step as a line, evaluation loss as dots joined by a dashed line,
// axes with round-number ticks. No script, no external font or style.
#pragma once

#include <string>
#include <vector>

#include "tools/edge_eval/training_log.h"

namespace edgert::eval {

std::string LossCurveSvg(const std::vector<LossPoint>& points);

}  // namespace edgert::eval
