// runtime/train/trainer.cc
#include "runtime/train/trainer.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <numeric>

#include "base/splitmix.h"
#include "runtime/train/dropout.h"

namespace edgert {
namespace {

Status NonFiniteStep(int64_t step, const char* what) {
  return InvalidArgument("step " + std::to_string(step) + ": the " + what +
                         " is not a finite number, so training stopped (the adapter and the last checkpoint are "
                         "left as they were): lower --lr, or set --max-grad-norm");
}

// FNV-1a, 64-bit: the run id only has to tell runs apart, not resist anyone.
class RunHash {
 public:
  void Bytes(const void* p, size_t n) {
    const auto* b = static_cast<const unsigned char*>(p);
    for (size_t i = 0; i < n; ++i) h_ = (h_ ^ b[i]) * 0x100000001b3ull;
  }
  template <typename T>
  void Value(const T& v) {
    Bytes(&v, sizeof v);
  }
  template <typename T>
  void Vector(const std::vector<T>& v) {
    Value(v.size());
    Bytes(v.data(), v.size() * sizeof(T));
  }
  uint64_t value() const { return h_; }

 private:
  uint64_t h_ = 0xcbf29ce484222325ull;
};

void ZeroFill(LoraAdapter& a) {
  for (auto& layer : a.layers) {
    for (LoraPair& p : layer) {
      std::fill(p.a.begin(), p.a.end(), 0.0f);
      std::fill(p.b.begin(), p.b.end(), 0.0f);
    }
  }
}

int64_t CountedTokens(const TrainExample& ex) { return LoraGraph::CountedTokens(ex.labels); }

}  // namespace

struct Trainer::State {
  State(std::shared_ptr<const Model> m, const TrainerOptions& options, std::vector<TrainExample> t,
        std::vector<TrainExample> v, LoraGraph g, LoraAdapter start)
      : model(std::move(m)),
        o(options),
        train(std::move(t)),
        val(std::move(v)),
        graph(std::move(g)),
        adapter(std::move(start)),
        grads(adapter.ZerosLike()),
        optimizer(adapter, AdamWOptions{0.9f, 0.999f, 1e-8f, options.weight_decay}) {}

  std::shared_ptr<const Model> model;
  TrainerOptions o;
  std::vector<TrainExample> train, val;
  LoraGraph graph;
  LoraAdapter adapter, grads;
  AdamW optimizer;
  int64_t total_steps = 0, warmup = 0;
  uint64_t run_id = 0;
  // Position in the data: the epoch's order and how much of it is used.
  int64_t epoch = 0, cursor = 0;
  std::vector<size_t> order;
  std::vector<float> losses;
  std::vector<int64_t> eval_steps;
  std::vector<float> eval_losses;

  void MakeOrder() {
    order.resize(train.size());
    std::iota(order.begin(), order.end(), size_t{0});
    if (!o.shuffle) return;
    uint64_t state = o.seed * 0x9E3779B97F4A7C15ull + static_cast<uint64_t>(epoch);
    for (size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[SplitMix64(state) % i]);
  }

  Status Save() const {
    if (o.checkpoint_path.empty()) return OkStatus();
    const std::vector<uint64_t> rng_state = {o.seed};  // every draw derives from (seed, epoch): nothing else to keep
    TrainingCheckpointView c;
    c.adapter = &adapter;
    c.m = &optimizer.m();
    c.v = &optimizer.v();
    c.step = optimizer.step();
    c.epoch = epoch;
    c.cursor = cursor;
    c.run_id = run_id;
    c.rng_state = &rng_state;
    c.losses = &losses;
    c.eval_steps = &eval_steps;
    c.eval_losses = &eval_losses;
    return SaveCheckpoint(o.checkpoint_path, c, model->file());
  }

  // Evaluations since the best one (strictly lower loss is better, as HF's
  // EarlyStoppingCallback with threshold 0).
  int64_t EvalsWithoutImprovement() const {
    int64_t since = 0;
    float best = 0;
    for (size_t i = 0; i < eval_losses.size(); ++i) {
      if (i == 0 || eval_losses[i] < best) {
        best = eval_losses[i];
        since = 0;
      } else {
        ++since;
      }
    }
    return since;
  }
};

Trainer::Trainer(std::unique_ptr<State> s) : s_(std::move(s)) {}
Trainer::Trainer(Trainer&&) noexcept = default;
Trainer& Trainer::operator=(Trainer&&) noexcept = default;
Trainer::~Trainer() = default;

const LoraAdapter& Trainer::adapter() const { return s_->adapter; }
uint64_t Trainer::arena_bytes() const { return s_->graph.arena().capacity(); }

Status Trainer::LockMemory() {
  std::string why;
  if (s_->graph.arena().Lock(&why)) return OkStatus();
  return Unsupported(why);
}
int64_t Trainer::total_steps() const { return s_->total_steps; }
int64_t Trainer::warmup_steps() const { return s_->warmup; }
int64_t Trainer::step() const { return s_->optimizer.step(); }
uint64_t Trainer::run_id() const { return s_->run_id; }

Result<Trainer> Trainer::Create(std::shared_ptr<const Model> model, LoraAdapter adapter,
                                std::vector<TrainExample> train, std::vector<TrainExample> val,
                                const TrainerOptions& o) {
  if (train.empty()) return InvalidArgument("no training examples");
  if (o.batch < 1 || o.grad_accum < 1) return InvalidArgument("--batch and --grad-accum must be at least 1");
  if (o.max_steps <= 0 && o.epochs < 1) return InvalidArgument("--epochs must be at least 1 (or give --max-steps)");
  if (!(o.lr > 0.0f && std::isfinite(o.lr))) {
    return InvalidArgument("--lr must be a positive finite number, got " + std::to_string(o.lr));
  }
  if (!(o.weight_decay >= 0.0f && std::isfinite(o.weight_decay))) {
    return InvalidArgument("--weight-decay must be a finite number, 0 or more, got " + std::to_string(o.weight_decay));
  }
  if (!std::isfinite(o.max_grad_norm)) return InvalidArgument("--max-grad-norm must be a finite number (0: no clipping)");
  if (!(o.warmup_ratio >= 0.0 && o.warmup_ratio < 1.0)) return InvalidArgument("--warmup-ratio must be in [0, 1)");
  if (o.eval_every < 0 || o.save_every < 0 || o.early_stop_patience < 0) {
    return InvalidArgument("--eval-every, --save-every and --early-stop-patience cannot be negative");
  }
  if (o.early_stop_patience > 0 && val.empty()) {
    return InvalidArgument("--early-stop-patience needs a validation set (--val or --val-split)");
  }
  int64_t longest = 0;
  for (const auto* set : {&train, &val}) {
    for (const TrainExample& ex : *set) longest = std::max<int64_t>(longest, static_cast<int64_t>(ex.ids.size()));
  }
  LoraGraphOptions graph_options{longest, adapter.config.rank, o.loss_rows, o.stream_weights,
                                  adapter.config.dropout > 0};
  graph_options.saved_layers = std::clamp<int64_t>(o.saved_layers, 0, model->config().num_hidden_layers - 1);
  EDGERT_ASSIGN_OR_RETURN(LoraGraph graph, LoraGraph::Create(model, graph_options));
  const auto per_step = o.batch * o.grad_accum;
  const auto n = static_cast<int64_t>(train.size());
  const int64_t steps_per_epoch = (n + per_step - 1) / per_step;
  const int64_t total = o.max_steps > 0 ? o.max_steps : o.epochs * steps_per_epoch;
  const int64_t warmup = o.warmup_steps >= 0 ? o.warmup_steps
                                             : static_cast<int64_t>(std::ceil(static_cast<double>(total) * o.warmup_ratio));

  // Everything that shapes the trajectory; the thread count does not (up to
  // float summation order) and is left out.
  RunHash h;
  h.Value(model->file().fingerprint());
  for (int64_t v : {o.batch, o.grad_accum, total, warmup, static_cast<int64_t>(o.schedule), static_cast<int64_t>(o.shuffle),
                    o.eval_every, o.early_stop_patience}) {
    h.Value(v);
  }
  h.Value(o.seed);
  h.Value(o.lr);
  h.Value(o.weight_decay);
  h.Value(o.max_grad_norm);
  h.Value(adapter.config.rank);
  h.Value(adapter.config.alpha);
  h.Value(adapter.config.rslora);
  h.Value(adapter.config.targets);
  for (const auto& layer : adapter.layers) {
    for (const LoraPair& p : layer) {
      h.Vector(p.a);
      h.Vector(p.b);
    }
  }
  for (const auto* set : {&train, &val}) {
    h.Value(set->size());
    for (const TrainExample& ex : *set) {
      h.Vector(ex.ids);
      h.Vector(ex.labels);
    }
  }

  auto s = std::make_unique<State>(std::move(model), o, std::move(train), std::move(val), std::move(graph),
                                   std::move(adapter));
  s->total_steps = total;
  s->warmup = warmup;
  s->run_id = h.value();
  s->MakeOrder();
  return Trainer(std::move(s));
}

Status Trainer::Resume(const std::string& path) {
  State& s = *s_;
  EDGERT_ASSIGN_OR_RETURN(TrainingCheckpoint c, LoadCheckpoint(path, s.model->file()));
  if (c.run_id != s.run_id) {
    return InvalidArgument(path + ": checkpoint comes from another run (its settings, data or starting adapter " +
                           "differ from this command's); resume with the command that wrote it");
  }
  const auto n = static_cast<int64_t>(s.train.size());
  if (c.cursor >= n || c.step > s.total_steps) return CorruptFile(path + ": data position outside this run");
  s.adapter = std::move(c.adapter);
  s.optimizer.Restore(std::move(c.m), std::move(c.v), c.step);
  s.epoch = c.epoch;
  s.cursor = c.cursor;
  s.losses = std::move(c.losses);
  s.eval_steps = std::move(c.eval_steps);
  s.eval_losses = std::move(c.eval_losses);
  s.MakeOrder();
  return OkStatus();
}

Result<double> Trainer::EvalLoss(pthreadpool_t pool) {
  State& s = *s_;
  if (s.val.empty()) return InvalidArgument("no validation set");
  double sum = 0;
  int64_t tokens = 0;
  for (const TrainExample& ex : s.val) {
    EDGERT_ASSIGN_OR_RETURN(LossSum l, s.graph.Loss(s.adapter, ex.ids, ex.labels, pool));
    sum += l.loss;
    tokens += l.tokens;
  }
  return tokens > 0 ? sum / static_cast<double>(tokens) : 0.0;
}

Result<TrainSummary> Trainer::Run(pthreadpool_t pool, const std::function<void(const StepReport&)>& on_step,
                                  const std::function<bool()>& stop) {
  using Clock = std::chrono::steady_clock;
  State& s = *s_;
  TrainSummary sum;
  const auto run_start = Clock::now();
  const auto n = static_cast<int64_t>(s.train.size());
  const int64_t per_step = s.o.batch * s.o.grad_accum;
  auto finish = [&]() -> Result<TrainSummary> {
    sum.steps = s.optimizer.step();
    if (!s.losses.empty()) sum.last_loss = s.losses.back();
    if (!s.eval_losses.empty()) {
      sum.first_eval = s.eval_losses.front();
      sum.last_eval = s.eval_losses.back();
      sum.best_eval = *std::min_element(s.eval_losses.begin(), s.eval_losses.end());
    }
    sum.seconds_this_run = std::chrono::duration<double>(Clock::now() - run_start).count();
    EDGERT_RETURN_IF_ERROR(s.Save());
    return sum;
  };
  if (!s.losses.empty()) sum.first_loss = s.losses.front();
  if (s.optimizer.step() == 0 && !s.val.empty()) {  // the base's (or initial adapter's) loss, for comparison
    EDGERT_ASSIGN_OR_RETURN(double base, EvalLoss(pool));
    s.eval_steps.push_back(0);
    s.eval_losses.push_back(static_cast<float>(base));
  }
  while (s.optimizer.step() < s.total_steps) {
    const auto step_start = Clock::now();
    const int64_t take = std::min(per_step, n - s.cursor);
    int64_t counted = 0, tokens = 0;
    for (int64_t i = 0; i < take; ++i) {
      const TrainExample& ex = s.train[s.order[static_cast<size_t>(s.cursor + i)]];
      counted += CountedTokens(ex);
      tokens += static_cast<int64_t>(ex.ids.size());
    }
    ZeroFill(s.grads);
    double loss_sum = 0;
    const float scale = counted > 0 ? 1.0f / static_cast<float>(counted) : 0.0f;
    for (int64_t i = 0; i < take; ++i) {
      if (stop && stop()) {
        sum.interrupted = true;
        return finish();
      }
      const TrainExample& ex = s.train[s.order[static_cast<size_t>(s.cursor + i)]];
      const uint64_t dropout_key = DropoutSequenceKey(s.o.seed, s.optimizer.step(), i);
      EDGERT_ASSIGN_OR_RETURN(LossSum l,
                              s.graph.AccumulateGradients(s.adapter, ex.ids, ex.labels, scale, s.grads, pool, dropout_key));
      loss_sum += l.loss;
    }
    StepReport r;
    r.grad_norm = ClipGradNorm(s.grads, s.o.max_grad_norm);
    // A non-finite loss or gradient would spread NaN through every weight and
    // the next checkpoint: stop before the update, leaving the last one.
    if (!std::isfinite(loss_sum) || !std::isfinite(r.grad_norm)) {
      return NonFiniteStep(s.optimizer.step() + 1, std::isfinite(loss_sum) ? "gradient norm" : "loss");
    }
    r.lr = LearningRate(s.o.schedule, s.o.lr, s.optimizer.step(), s.total_steps, s.warmup);
    s.optimizer.Step(s.adapter, s.grads, r.lr);
    if (!AllFinite(s.adapter)) return NonFiniteStep(s.optimizer.step(), "updated adapter");
    s.cursor += take;
    if (s.cursor == n) {
      ++s.epoch;
      s.cursor = 0;
      s.MakeOrder();
    }
    r.step = s.optimizer.step();
    r.total_steps = s.total_steps;
    r.epoch = static_cast<double>(s.epoch) + static_cast<double>(s.cursor) / static_cast<double>(n);
    r.loss = counted > 0 ? loss_sum / static_cast<double>(counted) : 0.0;
    r.counted_tokens = counted;
    r.tokens = tokens;
    s.losses.push_back(static_cast<float>(r.loss));
    if (!sum.first_loss) sum.first_loss = r.loss;
    ++sum.steps_this_run;
    sum.tokens_this_run += tokens;
    const bool last = r.step == s.total_steps;
    const bool eval_now = !s.val.empty() && (last || (s.o.eval_every > 0 && r.step % s.o.eval_every == 0));
    r.seconds = std::chrono::duration<double>(Clock::now() - step_start).count();
    if (eval_now) {
      const auto eval_start = Clock::now();
      EDGERT_ASSIGN_OR_RETURN(double e, EvalLoss(pool));
      r.eval_seconds = std::chrono::duration<double>(Clock::now() - eval_start).count();
      r.eval_loss = e;
      s.eval_steps.push_back(r.step);
      s.eval_losses.push_back(static_cast<float>(e));
    }
    if (on_step) on_step(r);
    if (eval_now && s.o.early_stop_patience > 0 && s.EvalsWithoutImprovement() >= s.o.early_stop_patience) {
      sum.stopped_early = true;
      return finish();
    }
    if (!last && s.o.save_every > 0 && r.step % s.o.save_every == 0) EDGERT_RETURN_IF_ERROR(s.Save());
  }
  return finish();
}

}  // namespace edgert
