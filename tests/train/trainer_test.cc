// The training loop: the step's loss is the mean over all its counted tokens,
// micro-batches and accumulation give the same step, a resumed run repeats
// the uninterrupted one exactly (same thread count), checkpoints from other
// runs or bases are refused, early stopping, and learning at all.
#include "runtime/train/trainer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "runtime/train/adapter_io.h"
#include "tests/common/temp_dir.h"
#include "tests/train/micro_model.h"

namespace edgert {
namespace {

using ::testing::HasSubstr;
using testing::MicroModel;

// Sequences over the micro vocabulary (64), a prompt part masked with -100.
std::vector<TrainExample> Examples(int n, int32_t offset) {
  std::vector<TrainExample> v;
  for (int i = 0; i < n; ++i) {
    TrainExample ex;
    const int len = 6 + i % 5;
    for (int t = 0; t < len; ++t) {
      const auto id = static_cast<int32_t>((offset + i * 7 + t * 3) % 64);
      ex.ids.push_back(id);
      ex.labels.push_back(t < 2 ? -100 : id);
    }
    v.push_back(std::move(ex));
  }
  return v;
}

LoraAdapter NewAdapter(const Model& model, float dropout = 0) {
  LoraConfig c;
  c.rank = 4;
  c.alpha = 8;
  c.dropout = dropout;
  auto a = LoraAdapter::Create(model.config(), c, 11);
  EXPECT_TRUE(a.ok());
  return *a;
}

TrainerOptions Options(const std::string& checkpoint) {
  TrainerOptions o;
  o.epochs = 3;
  o.batch = 2;
  o.grad_accum = 2;
  o.lr = 1e-2f;
  o.schedule = Schedule::kCosine;
  o.warmup_steps = 1;
  o.checkpoint_path = checkpoint;
  return o;
}

struct Recorded {
  std::vector<StepReport> steps;
  TrainSummary summary;
};

Recorded Train(Trainer& t, int64_t stop_after = -1) {
  Recorded r;
  int64_t done = 0;
  auto s = t.Run(
      nullptr, [&](const StepReport& step) { r.steps.push_back(step), ++done; },
      [&] { return stop_after >= 0 && done >= stop_after; });
  EXPECT_TRUE(s.ok()) << s.status().message();
  if (s.ok()) r.summary = *s;
  return r;
}

TEST(Trainer, StepLossIsTheMeanOverTheStepsTokens) {
  auto model = MicroModel(DType::kF32);
  const auto train = Examples(4, 0);  // one step: 2 x 2 sequences
  TrainerOptions o = Options("");
  o.epochs = 1;
  o.shuffle = false;
  auto t = Trainer::Create(model, NewAdapter(*model), train, {}, o);
  ASSERT_TRUE(t.ok()) << t.status().message();
  ASSERT_EQ(t->total_steps(), 1);
  auto graph = LoraGraph::Create(model, 16, 4);
  double loss = 0;
  int64_t tokens = 0;
  for (const TrainExample& ex : train) {
    auto l = graph->Loss(NewAdapter(*model), ex.ids, ex.labels, nullptr);
    loss += l->loss;
    tokens += l->tokens;
  }
  const Recorded r = Train(*t);
  ASSERT_EQ(r.steps.size(), 1u);
  EXPECT_EQ(r.steps[0].counted_tokens, tokens);
  // Same per-sequence sums, only added in another order: float rounding.
  EXPECT_NEAR(r.steps[0].loss, loss / static_cast<double>(tokens), 1e-9);
  EXPECT_EQ(r.steps[0].lr, 0.0f);  // warm-up starts at 0, as HF's
}

TEST(Trainer, MicroBatchesAndAccumulationGiveTheSameSteps) {
  auto model = MicroModel(DType::kF32);
  TrainerOptions a = Options(""), b = Options("");
  a.batch = 4, a.grad_accum = 1;
  b.batch = 1, b.grad_accum = 4;
  auto ta = Trainer::Create(model, NewAdapter(*model), Examples(10, 0), {}, a);
  auto tb = Trainer::Create(model, NewAdapter(*model), Examples(10, 0), {}, b);
  ASSERT_TRUE(ta.ok() && tb.ok());
  EXPECT_EQ(ta->total_steps(), 9);  // ceil(10 / 4) per epoch, the last step short
  const Recorded ra = Train(*ta), rb = Train(*tb);
  ASSERT_EQ(ra.steps.size(), rb.steps.size());
  for (size_t i = 0; i < ra.steps.size(); ++i) EXPECT_EQ(ra.steps[i].loss, rb.steps[i].loss) << i;
}

// The plan's kept layers (TrainerOptions::saved_layers, from PlanTuneJob via
// UsePlan) reach the graph and change nothing but speed: the same losses and
// adapter, bit for bit. More than the model has is all it has.
TEST(Trainer, KeptLayersGiveTheSameTrajectory) {
  auto model = MicroModel(DType::kF32);
  TrainerOptions none = Options(""), all = Options("");
  all.saved_layers = 1000;
  auto ta = Trainer::Create(model, NewAdapter(*model), Examples(8, 0), {}, none);
  auto tb = Trainer::Create(model, NewAdapter(*model), Examples(8, 0), {}, all);
  ASSERT_TRUE(ta.ok() && tb.ok());
  EXPECT_GT(tb->arena_bytes(), ta->arena_bytes());  // the kept activations are there
  const Recorded ra = Train(*ta), rb = Train(*tb);
  ASSERT_EQ(ra.steps.size(), rb.steps.size());
  for (size_t i = 0; i < ra.steps.size(); ++i) EXPECT_EQ(ra.steps[i].loss, rb.steps[i].loss) << i;
  for (size_t l = 0; l < ta->adapter().layers.size(); ++l) {
    for (size_t t = 0; t < ta->adapter().layers[l].size(); ++t) {
      EXPECT_EQ(ta->adapter().layers[l][t].b, tb->adapter().layers[l][t].b) << l << " " << t;
    }
  }
}

TEST(Trainer, DropoutChangesTheTrajectoryDeterministically) {
  auto model = MicroModel(DType::kF32);
  TrainerOptions o = Options("");
  auto plain = Trainer::Create(model, NewAdapter(*model), Examples(8, 0), {}, o);
  auto a = Trainer::Create(model, NewAdapter(*model, 0.2f), Examples(8, 0), {}, o);
  auto b = Trainer::Create(model, NewAdapter(*model, 0.2f), Examples(8, 0), {}, o);
  ASSERT_TRUE(plain.ok() && a.ok() && b.ok());
  const Recorded rp = Train(*plain), ra = Train(*a), rb = Train(*b);
  ASSERT_EQ(ra.steps.size(), rp.steps.size());
  ASSERT_GE(ra.steps.size(), 2u);
  for (size_t i = 0; i < ra.steps.size(); ++i) EXPECT_EQ(ra.steps[i].loss, rb.steps[i].loss) << i;
  // Step 1's loss is before any update: B starts at zero, so the LoRA branch
  // (and its dropout) contributes nothing yet; after that, the masks show.
  EXPECT_EQ(ra.steps[0].loss, rp.steps[0].loss);
  EXPECT_NE(ra.steps.back().loss, rp.steps.back().loss);
}

TEST(Trainer, LearnsAndResumesOnTheSameTrajectory) {
  const testing::TempDir temp("trainer_test");
  auto model = MicroModel(DType::kQ8_0);
  const std::string ckpt = (temp.path() / "run.ckpt").string();
  const auto train = Examples(12, 0), val = Examples(3, 5);
  // With dropout: its masks derive from (seed, step, sequence), so a resumed
  // run draws the masks the uninterrupted one drew.
  constexpr float kDropout = 0.1f;
  TrainerOptions o = Options(ckpt);
  o.eval_every = 3;
  auto whole = Trainer::Create(model, NewAdapter(*model, kDropout), train, val, o);
  ASSERT_TRUE(whole.ok()) << whole.status().message();
  const Recorded full = Train(*whole);
  ASSERT_EQ(full.steps.size(), 9u);
  EXPECT_LT(full.steps.back().loss, full.steps.front().loss);
  ASSERT_TRUE(full.summary.first_eval && full.summary.last_eval);
  EXPECT_LT(*full.summary.last_eval, *full.summary.first_eval);

  auto first = Trainer::Create(model, NewAdapter(*model, kDropout), train, val, o);
  const Recorded part = Train(*first, 4);
  EXPECT_TRUE(part.summary.interrupted);
  EXPECT_EQ(part.summary.steps, 4);
  auto second = Trainer::Create(model, NewAdapter(*model, kDropout), train, val, o);
  ASSERT_TRUE(second->Resume(ckpt).ok());
  EXPECT_EQ(second->step(), 4);
  const Recorded rest = Train(*second);
  ASSERT_EQ(part.steps.size() + rest.steps.size(), full.steps.size());
  for (size_t i = 0; i < rest.steps.size(); ++i) {
    EXPECT_EQ(rest.steps[i].loss, full.steps[4 + i].loss) << "step " << 5 + i;
    EXPECT_EQ(rest.steps[i].eval_loss, full.steps[4 + i].eval_loss) << "step " << 5 + i;
  }
  EXPECT_EQ(second->adapter().layers[1][6].b, whole->adapter().layers[1][6].b);
}

TEST(Trainer, RefusesCheckpointsOfOtherRunsAndPlainAdapters) {
  const testing::TempDir temp("trainer_test");
  auto model = MicroModel(DType::kQ8_0);
  const std::string ckpt = (temp.path() / "run.ckpt").string();
  auto t = Trainer::Create(model, NewAdapter(*model), Examples(4, 0), {}, Options(ckpt));
  Train(*t, 1);
  TrainerOptions other = Options(ckpt);
  other.lr = 2e-2f;
  auto u = Trainer::Create(model, NewAdapter(*model), Examples(4, 0), {}, other);
  EXPECT_THAT(u->Resume(ckpt).message(), HasSubstr("checkpoint comes from another run"));
  auto w = Trainer::Create(model, NewAdapter(*model), Examples(4, 1), {}, Options(ckpt));
  EXPECT_THAT(w->Resume(ckpt).message(), HasSubstr("another run"));
  const std::string plain = (temp.path() / "plain.eta").string();
  ASSERT_TRUE(SaveAdapter(plain, NewAdapter(*model), model->file()).ok());
  EXPECT_THAT(t->Resume(plain).message(), HasSubstr("not a checkpoint"));
  auto f32 = MicroModel(DType::kF32);
  auto x = Trainer::Create(f32, NewAdapter(*f32), Examples(4, 0), {}, Options(ckpt));
  EXPECT_THAT(x->Resume(ckpt).message(), HasSubstr("another base model"));
}

TEST(Trainer, StopsEarlyWhenValidationLossStopsFalling) {
  auto model = MicroModel(DType::kF32);
  // Train: after 5 comes 7. Validation: after 5 comes 9. Learning one
  // unlearns the other, so validation loss rises from the first step.
  std::vector<TrainExample> train(4, TrainExample{{5, 7, 5, 7}, {5, 7, 5, 7}});
  std::vector<TrainExample> val(1, TrainExample{{5, 9, 5, 9}, {5, 9, 5, 9}});
  TrainerOptions o = Options("");
  o.epochs = 20;
  o.batch = 1, o.grad_accum = 1;
  o.eval_every = 1;
  o.early_stop_patience = 2;
  auto t = Trainer::Create(model, NewAdapter(*model), train, val, o);
  ASSERT_TRUE(t.ok());
  const Recorded r = Train(*t);
  EXPECT_TRUE(r.summary.stopped_early);
  EXPECT_LT(r.summary.steps, 80);
  o.early_stop_patience = 1;
  EXPECT_THAT(Trainer::Create(model, NewAdapter(*model), train, {}, o).status().message(),
              HasSubstr("needs a validation set"));
}

}  // namespace
}  // namespace edgert
