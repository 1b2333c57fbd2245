// The training planner's arithmetic on Qwen2.5-0.5B's shapes: what it picks
// at a budget, that a refusal's minimum is a budget that then plans, and that
// the graph it sizes is the arena LoraGraph reserves. (Measured peaks against
// the plan are bench/memory_budget.sh's job: no memory figure of a process is
// asserted here.)
#include <gtest/gtest.h>

#include <string>

#include "formats/model_config.h"
#include "runtime/memory/arena.h"
#include "runtime/train/train_planner.h"
#include "tests/train/micro_model.h"

namespace edgert {
namespace {

constexpr uint64_t kMiB = 1ull << 20;

TrainingRequest Request05B(uint64_t budget) {
  TrainingRequest r;
  r.budget_bytes = budget;
  r.weight_bytes = 525120000;         // the Q8_0 file's tensors
  r.stream_window_bytes = 176500000;  // LM head + two layers
  r.stream_resident_bytes = 145300000;  // the LM head (= the tied embedding)
  r.tokenizer_entries = 303000;
  r.data_bytes = 1 << 20;
  r.lora_parameters = 4399104;        // r = 8, all seven targets
  r.rank = 8;
  r.max_seq_len = 512;
  return r;
}

ModelConfig Config05B() {
  auto c = PresetConfig("qwen2.5-0.5b");
  EXPECT_TRUE(c.ok());
  return *c;
}

// The budget a refusal names ("use --budget 561MiB or more"), in bytes.
uint64_t NamedMinimum(const std::string& message) {
  const size_t at = message.find("use --budget ");
  EXPECT_NE(at, std::string::npos) << message;
  auto bytes = ParseByteSize(message.substr(at + 13, message.find("MiB", at) - at - 13) + "M");
  EXPECT_TRUE(bytes.ok()) << message;
  return *bytes;
}

TEST(TrainPlanner, NoBudgetPlansWhatWasAsked) {
  auto plan = PlanTraining(Config05B(), Request05B(0));
  ASSERT_TRUE(plan.ok()) << plan.status().message();
  EXPECT_EQ(plan->graph.max_tokens, 512);
  EXPECT_EQ(plan->graph.loss_rows, 128);
  EXPECT_FALSE(plan->graph.stream_weights);
  EXPECT_TRUE(plan->notes.empty());
  uint64_t sum = 0;
  for (const PlanLine& l : plan->lines) sum += l.bytes;
  EXPECT_EQ(plan->predicted_peak_bytes, std::max(sum, plan->setup_bytes));  // resident: everything at once
}

TEST(TrainPlanner, PeakEqualsTheLargestPlanThatFits) {
  const ModelConfig c = Config05B();
  auto unbounded = PlanTraining(c, Request05B(0));
  ASSERT_TRUE(unbounded.ok());
  auto exact = PlanTraining(c, Request05B(unbounded->predicted_peak_bytes));
  ASSERT_TRUE(exact.ok());
  EXPECT_EQ(exact->graph.saved_layers, unbounded->graph.saved_layers);
  EXPECT_EQ(exact->predicted_peak_bytes, unbounded->predicted_peak_bytes);
  // One byte less: one layer fewer is kept (same results, slower).
  auto one_less = PlanTraining(c, Request05B(unbounded->predicted_peak_bytes - 1));
  ASSERT_TRUE(one_less.ok());
  EXPECT_EQ(one_less->graph.saved_layers, unbounded->graph.saved_layers - 1);
  EXPECT_EQ(one_less->graph.loss_rows, 128);
  // With no layer kept, one byte less: the loss chunk shrinks first (same results, no streaming).
  LoraGraphOptions none = unbounded->graph;
  none.saved_layers = 0;
  const TrainingPhases p = TrainingPeak(c, Request05B(0), none);
  const uint64_t full = std::max(p.setup, p.training);
  auto exact_none = PlanTraining(c, Request05B(full));
  ASSERT_TRUE(exact_none.ok());
  EXPECT_EQ(exact_none->graph.saved_layers, 0);
  EXPECT_EQ(exact_none->graph.loss_rows, 128);
  EXPECT_EQ(exact_none->predicted_peak_bytes, full);
  auto less = PlanTraining(c, Request05B(full - 1));
  ASSERT_TRUE(less.ok());
  EXPECT_EQ(less->graph.loss_rows, 64);
  EXPECT_FALSE(less->graph.stream_weights);
  EXPECT_LE(less->predicted_peak_bytes, full - 1);
}

// Without a named budget, kept activations stay within half the weights, so
// a job with room to spare keeps issue 3's peaks: 1.5 GB for 0.5B Q8_0 at 512
// tokens, 3.5 GB for 1.5B.
TEST(TrainPlanner, KeptLayersStayWithinHalfTheWeights) {
  auto plan = PlanTraining(Config05B(), Request05B(0));
  ASSERT_TRUE(plan.ok());
  const LoraGraphBytes g = LoraGraph::Bytes(Config05B(), plan->graph);
  EXPECT_GT(plan->graph.saved_layers, 0);
  EXPECT_LE(g.kept_activations, Request05B(0).weight_bytes / 2);
  LoraGraphOptions more = plan->graph;
  ++more.saved_layers;
  EXPECT_GT(LoraGraph::Bytes(Config05B(), more).kept_activations, Request05B(0).weight_bytes / 2);
  EXPECT_LE(plan->predicted_peak_bytes, 1500000000u);
  auto big = PlanTraining(Config05B(), Request05B(64ull << 30));  // a large default budget changes nothing
  ASSERT_TRUE(big.ok());
  EXPECT_EQ(big->graph.saved_layers, plan->graph.saved_layers);

  auto c15 = PresetConfig("qwen2.5-1.5b");
  ASSERT_TRUE(c15.ok());
  TrainingRequest r = Request05B(0);
  r.weight_bytes = 1641000000;     // the 1.5B Q8_0 file's tensors (1565 MiB)
  r.lora_parameters = 9232384;     // r = 8, all seven targets
  auto plan15 = PlanTraining(*c15, r);
  ASSERT_TRUE(plan15.ok());
  EXPECT_GT(plan15->graph.saved_layers, 0);
  EXPECT_LE(plan15->predicted_peak_bytes, 3500000000u);
}

// A budget the user named may be spent on speed: as many kept layers as fit,
// past the half-the-weights cap (issue 3's jobs: --budget 1.5GB for 0.5B,
// --budget 3.5GB for 1.5B).
TEST(TrainPlanner, ANamedBudgetKeepsAsManyLayersAsFit) {
  const ModelConfig c = Config05B();
  auto capped = PlanTraining(c, Request05B(1500000000));
  ASSERT_TRUE(capped.ok());
  TrainingRequest named = Request05B(1500000000);
  named.budget_named = true;
  auto plan = PlanTraining(c, named);
  ASSERT_TRUE(plan.ok()) << plan.status().message();
  EXPECT_GT(plan->graph.saved_layers, capped->graph.saved_layers);
  EXPECT_LE(plan->predicted_peak_bytes, 1500000000u);
  LoraGraphOptions more = plan->graph;
  ++more.saved_layers;
  if (more.saved_layers < c.num_hidden_layers) {  // one more would not fit
    const TrainingPhases p = TrainingPeak(c, named, more);
    EXPECT_GT(std::max(p.setup, p.training), 1500000000u);
  }
  named.budget_bytes = 64ull << 30;  // room for everything: every layer but the last is kept
  auto all = PlanTraining(c, named);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->graph.saved_layers, c.num_hidden_layers - 1);

  auto c15 = PresetConfig("qwen2.5-1.5b");
  ASSERT_TRUE(c15.ok());
  TrainingRequest r = Request05B(3500000000);
  r.budget_named = true;
  r.weight_bytes = 1641000000;
  r.lora_parameters = 9232384;
  auto plan15 = PlanTraining(*c15, r);
  ASSERT_TRUE(plan15.ok()) << plan15.status().message();
  EXPECT_LE(plan15->predicted_peak_bytes, 3500000000u);
  EXPECT_FALSE(plan15->graph.stream_weights);
}

TEST(TrainPlanner, StreamsBelowTheWeights) {
  auto plan = PlanTraining(Config05B(), Request05B(560 * kMiB));
  ASSERT_TRUE(plan.ok()) << plan.status().message();
  EXPECT_TRUE(plan->graph.stream_weights);
  EXPECT_EQ(plan->graph.max_tokens, 512);
  EXPECT_LE(plan->predicted_peak_bytes, 560 * kMiB);
  EXPECT_EQ(plan->lines[0].bytes, Request05B(0).stream_window_bytes);
}

TEST(TrainPlanner, LowersTheSequenceOnlyWhenNotGiven) {
  TrainingRequest r = Request05B(420 * kMiB);
  auto plan = PlanTraining(Config05B(), r);
  ASSERT_TRUE(plan.ok()) << plan.status().message();
  EXPECT_LT(plan->graph.max_tokens, 512);
  EXPECT_GE(plan->graph.max_tokens, r.min_seq_len);
  EXPECT_LE(plan->predicted_peak_bytes, r.budget_bytes);
  // One token more would not fit.
  LoraGraphOptions longer = plan->graph;
  ++longer.max_tokens;
  const TrainingPhases p = TrainingPeak(Config05B(), r, longer);
  EXPECT_GT(std::max(p.setup, p.training), r.budget_bytes);

  r.fixed_max_seq_len = true;
  auto refused = PlanTraining(Config05B(), r);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kResourceExhausted);
  EXPECT_NE(refused.status().message().find("lower --max-seq-len to " + std::to_string(plan->graph.max_tokens)),
            std::string::npos)
      << refused.status().message();
}

TEST(TrainPlanner, RefusalNamesAMinimumThatPlans) {
  for (bool fixed : {false, true}) {
    TrainingRequest r = Request05B(200 * kMiB);
    r.fixed_max_seq_len = fixed;
    auto refused = PlanTraining(Config05B(), r);
    ASSERT_FALSE(refused.ok());
    const std::string& m = refused.status().message();
    EXPECT_NE(m.find("budget 200.0 MiB is too small"), std::string::npos) << m;
    const uint64_t minimum = NamedMinimum(m);
    r.budget_bytes = minimum;
    auto at_minimum = PlanTraining(Config05B(), r);
    ASSERT_TRUE(at_minimum.ok()) << m << " / " << at_minimum.status().message();
    EXPECT_LE(at_minimum->predicted_peak_bytes, minimum);
    r.budget_bytes = minimum - 2 * kMiB;
    EXPECT_FALSE(PlanTraining(Config05B(), r).ok()) << "the named minimum is not the smallest: " << m;
  }
}

TEST(TrainPlanner, NoStreamingWithoutAWindow) {
  TrainingRequest r = Request05B(480 * kMiB);
  r.stream_window_bytes = 0;
  r.fixed_max_seq_len = true;
  auto refused = PlanTraining(Config05B(), r);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("weights resident"), std::string::npos) << refused.status().message();
}

TEST(TrainPlanner, GraphBytesAreTheArena) {
  auto model = testing::MicroModel(DType::kQ8_0);
  for (int64_t rows : {128, 4}) {
    LoraGraphOptions o{40, 4, rows, false};
    o.saved_layers = rows == 4 ? 1 : 0;  // the micro model's one layer below the last
    auto graph = LoraGraph::Create(model, o);
    ASSERT_TRUE(graph.ok()) << graph.status().message();
    EXPECT_EQ(graph->arena().capacity(), LoraGraph::Bytes(model->config(), o).total());
    EXPECT_GT(graph->arena().used() + Arena::kAlignment, graph->arena().capacity());  // all of it, but the last padding
  }
}

}  // namespace
}  // namespace edgert
