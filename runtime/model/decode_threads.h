// runtime/model/decode_threads.h: whether a decode step (one token) runs on
// all of the session's threads or on the calling thread alone, chosen by what
// the last steps took.
//
// A decode step is ~150 short fork-joins (one per operator). pthreadpool's
// join waits until every worker has checked in, even one that found no work
// left: when other programs keep the cores busy, a worker is often not
// running, and every join waits for the scheduler to bring it back. Measured
// on 2 vCPUs at load 7-9 (0.5B Q8_0, edge-run --bench): 2 threads 1.2-1.8
// tokens/s, 1 thread 13.6. On a quiet machine the threads win (~1.8x). The
// products are split so that the result does not depend on the thread count,
// so switching between steps changes the speed only, never the bits.
//
// The choice: keep a moving average of the current mode's step time; run the
// other mode for one step now and then (after kFirstProbe steps, then 4x
// further apart up to kMaxProbe while it keeps losing: a quiet machine runs 3
// of a 128-token answer's steps and then ~1/256 of them at the slower mode,
// ~2% and ~0.3% of the time); switch when the other mode is clearly faster.
#pragma once

#include <cstdint>

namespace edgert {

class DecodeThreadChoice {
 public:
  static constexpr uint32_t kFirstProbe = 4, kMaxProbe = 256;
  // The other mode must be this much faster (ratio of averages) to switch.
  static constexpr double kSwitchRatio = 0.8;

  // Whether the next step runs on all threads.
  bool NextUsesAllThreads();
  // The step that NextUsesAllThreads() was asked for took `nanoseconds`.
  void Record(uint64_t nanoseconds);

  bool all_threads() const { return all_; }
  uint64_t single_thread_steps() const { return single_steps_; }

 private:
  double average_[2] = {0, 0};  // [single thread, all threads]; 0 = not measured
  bool all_ = true;             // the current mode
  bool step_all_ = true;        // the mode of the step in flight
  uint32_t since_probe_ = 0, probe_every_ = kFirstProbe;
  uint64_t single_steps_ = 0;
};

}  // namespace edgert
