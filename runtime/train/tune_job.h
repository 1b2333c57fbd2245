// runtime/train/tune_job.h: a LoRA fine-tuning job as edge-tune and the C API
// describe it (edge-tune's options), and the setup both share: data files
// tokenized and split, replay mixed in, the starting adapter made or loaded.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "runtime/memory/system_budget.h"
#include "runtime/model/session.h"
#include "runtime/train/dataset.h"
#include "runtime/train/json_records.h"
#include "runtime/train/lora.h"
#include "runtime/train/train_planner.h"
#include "runtime/train/trainer.h"

namespace edgert {

struct TuneOptions {
  std::string model, data, val, out, replay, resume, init_adapter, export_peft, json_log, system, budget;
  std::string checkpoint;  // default: OUT.ckpt
  double val_split = 0, replay_ratio = 0.3;
  int32_t lora_r = 8;
  float lora_alpha = 16, lora_dropout = 0.05f;
  bool rslora = false;
  std::string targets = "all";
  std::string schedule = "linear";
  int64_t max_seq_len = 1024;
  int threads = 0;
  bool train_on_prompt = false, skip_bad_lines = false, no_shuffle = false, have_system = false;
  bool explicit_rank = false, explicit_alpha = false, explicit_targets = false, explicit_dropout = false;
  bool explicit_max_seq_len = false;
  TrainerOptions trainer;
  // Examples given in memory instead of the `data` file (the C API's); not
  // owned, must outlive LoadTuneData. `data` then only names them in messages.
  const JsonRecords* data_records = nullptr;
};

struct TuneData {
  std::vector<TrainExample> train, val;
  std::string report;  // what became of each file, for the user once setup has succeeded
};

// The job's memory plan for `budget` (bytes 0: none), from the model, the
// options, the starting adapter and the data files' sizes, before any data is
// read. An impossible budget is an error naming the minimum.
Result<TrainingPlan> PlanTuneJob(const Model& model, const TuneOptions& options, const LoraAdapter& start,
                                 const BudgetChoice& budget);

// The plan's choices into the options: max_seq_len, the loss chunk, streaming, kept layers.
void UsePlan(const TrainingPlan& plan, TuneOptions& options);

// Reads and tokenizes the training data (and --val / --val-split, --replay).
Result<TuneData> LoadTuneData(const Model& model, const TuneOptions& options);

// The starting adapter: new, or --init-adapter (a PEFT folder or an .eta
// bound to this model), whose rank, alpha and targets then rule; a
// conflicting explicit setting is refused.
Result<LoraAdapter> StartingAdapter(const Model& model, const TuneOptions& options);

}  // namespace edgert
