// runtime/train/trainer.h: the LoRA training loop, as Hugging Face's Trainer
// with PEFT runs it, so the same settings give the same trajectory.
//
// An optimizer step takes the next batch·grad_accum examples of the epoch's
// order (fewer at the end of an epoch: the last step of an epoch is short,
// as HF's). Its loss is the mean over the counted tokens of all of them (HF's
// num_items_in_batch), so micro-batches and accumulation give the same
// gradient as one large batch. Then: global-norm clipping, the schedule's
// learning rate for this step, AdamW.
//
// The epoch's order is the file order, or a permutation drawn from
// (seed, epoch), so a run can resume at (epoch, cursor) with nothing else
// saved. Sequences run one at a time through LoraGraph (no padding needed).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "runtime/model/session.h"
#include "runtime/train/checkpoint.h"
#include "runtime/train/dataset.h"
#include "runtime/train/lora.h"
#include "runtime/train/lora_graph.h"
#include "runtime/train/optimizer.h"

namespace edgert {

struct TrainerOptions {
  int64_t epochs = 1;
  int64_t max_steps = 0;  // > 0: this many optimizer steps, epochs ignored
  int64_t batch = 1;      // sequences per micro-batch
  int64_t grad_accum = 1;
  float lr = 2e-4f;
  Schedule schedule = Schedule::kLinear;  // HF's default
  double warmup_ratio = 0.0;
  int64_t warmup_steps = -1;  // >= 0: used instead of the ratio
  float weight_decay = 0.0f;
  double max_grad_norm = 1.0;  // <= 0: no clipping
  uint64_t seed = 42;
  bool shuffle = true;
  int64_t eval_every = 0;           // steps; 0: only at the end
  int64_t early_stop_patience = 0;  // evaluations without improvement; 0: never stop early
  int64_t save_every = 0;           // steps; 0: only at the end
  std::string checkpoint_path;      // empty: no checkpoints
  // Memory settings from the training plan (runtime/train/train_planner.h);
  // they change speed and memory, never the results, so runs differing only
  // here resume each other's checkpoints.
  int64_t loss_rows = 128;      // LM-head loss chunk
  bool stream_weights = false;  // weights streamed by layer
  int64_t saved_layers = 0;     // layers whose forward activations are kept (fewer if the model has fewer)
};

struct StepReport {
  int64_t step = 0;  // 1-based, after the update
  int64_t total_steps = 0;
  double epoch = 0;  // fractional: epochs completed
  double loss = 0;   // mean over the step's counted tokens
  int64_t counted_tokens = 0;
  int64_t tokens = 0;  // every token run (prompt included)
  float lr = 0;
  double grad_norm = 0;  // before clipping
  std::optional<double> eval_loss;  // when an evaluation ran after this step
  double seconds = 0;       // wall time of this step's training
  double eval_seconds = 0;  // and of its evaluation
};

struct TrainSummary {
  int64_t steps = 0;  // optimizer steps taken, resumed ones included
  int64_t steps_this_run = 0;
  bool stopped_early = false;
  bool interrupted = false;  // stop requested: the checkpoint holds the last whole step
  std::optional<double> first_loss, last_loss;
  std::optional<double> first_eval, best_eval, last_eval;
  int64_t tokens_this_run = 0;
  double seconds_this_run = 0;
};

class Trainer {
 public:
  // `adapter` is the starting point (new or --init-adapter); `val` may be empty.
  static Result<Trainer> Create(std::shared_ptr<const Model> model, LoraAdapter adapter,
                                std::vector<TrainExample> train, std::vector<TrainExample> val,
                                const TrainerOptions& options);
  Trainer(Trainer&&) noexcept;
  Trainer& operator=(Trainer&&) noexcept;
  ~Trainer();

  // Continues from a checkpoint written by a run with the same settings, data
  // and starting adapter (else an error naming the file).
  Status Resume(const std::string& checkpoint_path);

  // Trains to the end (or early stop, or until `stop` returns true, checked
  // between sequences: the unfinished step is dropped). Saves checkpoints as
  // configured, and one at the end or on interruption.
  Result<TrainSummary> Run(pthreadpool_t pool, const std::function<void(const StepReport&)>& on_step,
                           const std::function<bool()>& stop);

  // Mean loss over the validation set's counted tokens.
  Result<double> EvalLoss(pthreadpool_t pool);

  // Pins the training graph's arena in RAM (mlock); an error with the OS's
  // reason when refused (the run goes on unpinned).
  Status LockMemory();
  // The graph's arena: capacity and bytes handed out.
  uint64_t arena_bytes() const;

  const LoraAdapter& adapter() const;
  int64_t total_steps() const;
  int64_t warmup_steps() const;
  int64_t step() const;
  uint64_t run_id() const;

 private:
  struct State;
  explicit Trainer(std::unique_ptr<State> s);
  std::unique_ptr<State> s_;
};

}  // namespace edgert
