// runtime/train/checkpoint.h: a training run's whole state in one .eta file
// (the adapter plus formats/adapter.fbs's `training` table), so a resumed run
// follows the same trajectory: AdamW moments and step, the position in the
// data order, the loss history and the validation history early stopping
// decides on. Bound to the base model (fingerprint) and to the run's
// settings and data (run_id).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "formats/etm/etm_reader.h"
#include "runtime/train/lora.h"

namespace edgert {

struct TrainingCheckpoint {
  LoraAdapter adapter, m, v;
  int64_t step = 0;    // optimizer steps taken
  int64_t epoch = 0;   // current epoch (0-based)
  int64_t cursor = 0;  // examples of the current epoch's order consumed
  uint64_t run_id = 0;
  std::vector<uint64_t> rng_state;
  std::vector<float> losses;  // training loss of every step
  std::vector<int64_t> eval_steps;
  std::vector<float> eval_losses;
};

// What SaveCheckpoint writes, by reference: a running trainer's state is not
// copied to be saved (the adapter and its moments are the largest transient
// of a training job; see runtime/train/train_planner.h).
struct TrainingCheckpointView {
  const LoraAdapter* adapter = nullptr;
  const LoraAdapter* m = nullptr;
  const LoraAdapter* v = nullptr;
  int64_t step = 0, epoch = 0, cursor = 0;
  uint64_t run_id = 0;
  const std::vector<uint64_t>* rng_state = nullptr;
  const std::vector<float>* losses = nullptr;
  const std::vector<int64_t>* eval_steps = nullptr;
  const std::vector<float>* eval_losses = nullptr;
};

Status SaveCheckpoint(const std::string& path, const TrainingCheckpointView& checkpoint, const ModelFile& base);
// Refuses a file for another base model, and a plain adapter (no training state).
Result<TrainingCheckpoint> LoadCheckpoint(const std::string& path, const ModelFile& base);

}  // namespace edgert
