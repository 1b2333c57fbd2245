// tools/edge_tune/progress.h: the live progress line, the per-step JSON log
// and the summary at the end.
#pragma once

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>

#include "base/status.h"
#include "runtime/train/trainer.h"

namespace edgert {

class Progress {
 public:
  // `json_log` empty: no log. `append`: a resumed run continues the log.
  static Result<Progress> Create(const std::string& json_log, bool append, uint64_t budget_bytes);
  Progress(Progress&&) noexcept;
  Progress& operator=(Progress&&) noexcept;
  ~Progress();

  void OnStep(const StepReport& step);
  // Ends the live line; prints the summary.
  void Finish(const TrainSummary& summary, const std::string& out_path);

 private:
  Progress() = default;
  std::FILE* log_ = nullptr;
  bool live_ = false;      // stderr is a terminal: redraw one line
  bool drawn_ = false;     // a live line is on screen
  uint64_t budget_ = 0;
  int64_t tokens_ = 0;
  double train_seconds_ = 0, all_seconds_ = 0;
  int64_t steps_ = 0;
  std::optional<double> eval_;
};

}  // namespace edgert
