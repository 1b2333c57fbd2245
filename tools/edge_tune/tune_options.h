// tools/edge_tune/tune_options.h: what edge-tune was asked to do.
#pragma once

#include <cstdint>
#include <string>

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
};

}  // namespace edgert
