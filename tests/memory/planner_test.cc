// The inference planner and the default budget: arithmetic only (measured
// peaks are bench/memory_budget.sh's).
#include "runtime/memory/planner.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "formats/model_config.h"
#include "runtime/memory/arena.h"
#include "runtime/memory/system_budget.h"

namespace edgert {
namespace {

using ::testing::HasSubstr;
constexpr uint64_t kMiB = 1ull << 20;

InferenceRequest Request05B(uint64_t budget) {
  InferenceRequest r;
  r.budget_bytes = budget;
  r.weight_bytes = 525120000;
  r.stream_window_bytes = 176500000;
  r.tokenizer_entries = 303000;
  r.context_cap = 4096;
  r.min_context_length = 256;
  return r;
}

ModelConfig Config05B() { return *PresetConfig("qwen2.5-0.5b"); }

TEST(InferencePlanner, ResidentThenStreamedThenShorter) {
  const ModelConfig c = Config05B();
  auto big = PlanInference(c, Request05B(1024 * kMiB));
  ASSERT_TRUE(big.ok());
  EXPECT_FALSE(big->stream_weights);
  EXPECT_EQ(big->session.context_length, 4096);
  EXPECT_LE(big->predicted_peak_bytes, 1024 * kMiB);

  auto streamed = PlanInference(c, Request05B(400 * kMiB));
  ASSERT_TRUE(streamed.ok()) << streamed.status().message();
  EXPECT_TRUE(streamed->stream_weights);
  EXPECT_TRUE(streamed->session.stream_weights);
  EXPECT_LE(streamed->predicted_peak_bytes, 400 * kMiB);

  auto shorter = PlanInference(c, Request05B(300 * kMiB));
  ASSERT_TRUE(shorter.ok()) << shorter.status().message();
  EXPECT_TRUE(shorter->stream_weights);
  EXPECT_LT(shorter->session.context_length, 4096);
  EXPECT_GE(shorter->session.context_length, 256);
  EXPECT_LE(shorter->predicted_peak_bytes, 300 * kMiB);
}

TEST(InferencePlanner, RefusalNamesAMinimumThatPlans) {
  const ModelConfig c = Config05B();
  auto refused = PlanInference(c, Request05B(100 * kMiB));
  ASSERT_FALSE(refused.ok());
  const std::string& m = refused.status().message();
  EXPECT_THAT(m, HasSubstr("budget 100.0 MiB is too small"));
  const size_t at = m.find("use --budget ");
  ASSERT_NE(at, std::string::npos) << m;
  auto minimum = ParseByteSize(m.substr(at + 13, m.find("MiB", at) - at - 13) + "M");
  ASSERT_TRUE(minimum.ok()) << m;
  auto planned = PlanInference(c, Request05B(*minimum));
  ASSERT_TRUE(planned.ok()) << planned.status().message();
  EXPECT_GE(planned->session.context_length, 256);
  EXPECT_FALSE(PlanInference(c, Request05B(*minimum - kMiB)).ok());
}

TEST(InferencePlanner, AnExplicitContextIsKeptOrRefused) {
  InferenceRequest r = Request05B(300 * kMiB);
  r.context_length = 32768;
  auto refused = PlanInference(Config05B(), r);
  ASSERT_FALSE(refused.ok());
  EXPECT_THAT(refused.status().message(), HasSubstr("lower --context"));
}

TEST(DefaultBudget, ShareOfAvailableOrTheCgroupLimit) {
  ports::SystemMemory s;
  s.available_bytes = 10000 * kMiB;
  BudgetChoice b = DefaultBudget(s);
  EXPECT_EQ(b.bytes, 8000 * kMiB);
  EXPECT_THAT(b.source, HasSubstr("80% of MemAvailable"));
  EXPECT_TRUE(b.warnings.empty());

  s.cgroup_limit_bytes = 1000 * kMiB;
  b = DefaultBudget(s);
  EXPECT_EQ(b.bytes, 800 * kMiB);
  EXPECT_THAT(b.source, HasSubstr("cgroup"));

  s.pressure_some_avg10 = 25;
  s.swap_total_bytes = 2048 * kMiB;
  s.swap_free_bytes = 1024 * kMiB;
  b = DefaultBudget(s);
  EXPECT_EQ(b.bytes, 400 * kMiB);
  ASSERT_EQ(b.warnings.size(), 2u);
  EXPECT_THAT(b.warnings[0], HasSubstr("1024.0 MiB used"));
  EXPECT_THAT(b.warnings[1], HasSubstr("pressure"));

  EXPECT_EQ(DefaultBudget(ports::SystemMemory{}).bytes, 0u);  // nothing known: no budget
}

}  // namespace
}  // namespace edgert
