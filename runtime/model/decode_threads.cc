// runtime/model/decode_threads.cc
#include "runtime/model/decode_threads.h"

#include <algorithm>

namespace edgert {

bool DecodeThreadChoice::NextUsesAllThreads() {
  step_all_ = all_;
  if (++since_probe_ >= probe_every_) {
    since_probe_ = 0;
    step_all_ = !all_;
  }
  return step_all_;
}

void DecodeThreadChoice::Record(uint64_t nanoseconds) {
  const auto t = static_cast<double>(nanoseconds);
  double& avg = average_[step_all_ ? 1 : 0];
  // The current mode runs every step: a slow average (one preempted step moves
  // it little). The probed mode runs rarely, seconds apart: its latest step
  // is what it is worth now (a wrong switch is undone at the next probe).
  avg = avg == 0 || step_all_ != all_ ? t : avg + 0.125 * (t - avg);
  if (!step_all_) ++single_steps_;
  if (step_all_ == all_) return;
  const double current = average_[all_ ? 1 : 0], other = average_[step_all_ ? 1 : 0];
  if (current > 0 && other < kSwitchRatio * current) {
    all_ = step_all_;
    probe_every_ = kFirstProbe;  // the machine changed: look back sooner
  } else {
    probe_every_ = std::min(probe_every_ * 4, kMaxProbe);
  }
}

}  // namespace edgert
