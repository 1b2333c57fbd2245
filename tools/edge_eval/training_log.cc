#include "tools/edge_eval/training_log.h"

#include <cmath>
#include <fstream>

#include <nlohmann/json.hpp>

#include "formats/regular_file.h"

namespace edgert::eval {

Result<std::vector<LossPoint>> ReadTrainingLog(const std::string& path) {
  EDGERT_RETURN_IF_ERROR(RefuseSpecialFile(path));
  std::ifstream in(path, std::ios::binary);
  if (!in) return IoError(path + ": cannot open the training log");
  std::vector<LossPoint> points;
  std::string line;
  for (size_t n = 1; std::getline(in, line); ++n) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const std::string where = path + ": line " + std::to_string(n) + ": ";
    const nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) return InvalidArgument(where + "not valid JSON (expected one edge-tune --json-log object)");
    if (!j.is_object() || !j.contains("step") || !j["step"].is_number() || !j.contains("loss") || !j["loss"].is_number()) {
      return InvalidArgument(where + "expected an object with numbers 'step' and 'loss'");
    }
    LossPoint p;
    p.step = j["step"].get<double>();
    p.loss = j["loss"].get<double>();
    if (!std::isfinite(p.step) || !std::isfinite(p.loss)) return InvalidArgument(where + "'step' and 'loss' must be finite");
    if (const auto e = j.find("eval_loss"); e != j.end()) {
      if (!e->is_number() || !std::isfinite(e->get<double>())) return InvalidArgument(where + "'eval_loss' must be a finite number");
      p.eval_loss = e->get<double>();
    }
    points.push_back(p);
  }
  if (points.empty()) return InvalidArgument(path + ": no steps in the training log");
  return points;
}

}  // namespace edgert::eval
