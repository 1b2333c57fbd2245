// DecodeThreadChoice on made-up step times: it keeps the faster mode, finds
// the other one when the machine changes, and probes ever less while the
// current mode keeps winning.
#include "runtime/model/decode_threads.h"

#include <gtest/gtest.h>

namespace edgert {
namespace {

// Runs `steps` steps whose time is `all_ns` on all threads and `one_ns` on one;
// returns how many ran on one thread.
uint64_t RunSteps(DecodeThreadChoice& c, int steps, uint64_t all_ns, uint64_t one_ns) {
  const uint64_t before = c.single_thread_steps();
  for (int i = 0; i < steps; ++i) c.Record(c.NextUsesAllThreads() ? all_ns : one_ns);
  return c.single_thread_steps() - before;
}

TEST(DecodeThreadChoice, AQuietMachineKeepsAllThreadsAndProbesRarely) {
  DecodeThreadChoice c;
  const uint64_t probes = RunSteps(c, 4096, 20'000'000, 36'000'000);  // threads 1.8x faster
  EXPECT_TRUE(c.all_threads());
  // Probes after 4, 16, 64 and 256 more steps, then every 256: about 18 of 4096.
  EXPECT_LE(probes, 24u);
  EXPECT_GE(probes, 4u);
}

TEST(DecodeThreadChoice, ABusyMachineMovesToOneThreadAndBack) {
  DecodeThreadChoice c;
  RunSteps(c, 64, 20'000'000, 36'000'000);
  ASSERT_TRUE(c.all_threads());
  // Other programs take the cores: a join now waits on descheduled workers.
  RunSteps(c, 600, 500'000'000, 70'000'000);
  EXPECT_FALSE(c.all_threads());
  // They stop: the threads win again at the next probes.
  RunSteps(c, 600, 20'000'000, 36'000'000);
  EXPECT_TRUE(c.all_threads());
}

TEST(DecodeThreadChoice, SmallDifferencesDoNotFlip) {
  DecodeThreadChoice c;
  RunSteps(c, 2048, 20'000'000, 18'000'000);  // one thread 10% faster: under the switch ratio
  EXPECT_TRUE(c.all_threads());
}

}  // namespace
}  // namespace edgert
