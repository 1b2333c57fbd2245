// runtime/train/train_planner.h: the memory plan of a LoRA fine-tuning job,
// decided before the data is read, and whether it fits the budget.
//
// A job's peak is the larger of two phases:
//   setup: the tokenizer and the data files being parsed;
//   training: the weights (resident, or the streaming window), the training
//     graph's arena (LoraGraph::Bytes: the saved layer inputs, one layer's
//     recomputed activations and gradients, attention scratch, the
//     LM-head loss chunk), the adapter with its gradients and AdamW moments,
//     the transient copies a checkpoint write makes, the tokenized data.
//     A checkpoint is written between steps: with streamed weights only the
//     LM head's pages are resident then, so the window and the write's
//     copies count as the larger of (window, resident part + copies).
// Both carry the fixed process overhead. Micro-batches do not change the
// memory: sequences run one at a time through one graph.
//
// Then, with what the budget leaves, it keeps some layers' activations from
// the forward pass (LoraGraphOptions::saved_layers: faster, bit-identical).
// A budget the user named is a promise the plan may spend entirely on speed;
// without one (no budget, or the default share of available memory, which
// nobody chose), kept activations stay under half the weights' bytes, so the
// job stays near the size of its model on a machine others use too.
//
// What the planner may change to fit, cheapest first: the kept activations
// (none are kept before anything below changes), the loss chunk (rows of
// [rows x vocab] logits; results change only by float rounding, ~1e-6
// relative), streaming the weights by layer (slower, bit-identical results),
// and, only when --max-seq-len was not given, the maximum sequence length
// (longer examples are truncated, and reported).
#pragma once

#include <cstdint>

#include "base/status.h"
#include "runtime/memory/planner.h"
#include "runtime/train/lora_graph.h"

namespace edgert {

struct TrainingRequest {
  uint64_t budget_bytes = 0;         // 0: no budget (plan what was asked)
  bool budget_named = false;         // the user gave the budget: kept layers may fill it
  uint64_t weight_bytes = 0;         // all tensors of the model file
  uint64_t stream_window_bytes = 0;  // WeightStream::WindowBytes; 0: never stream
  uint64_t stream_resident_bytes = 0;  // WeightStream::ResidentBytes: streamed weights between passes
  uint64_t tokenizer_entries = 0;    // vocab + merges
  uint64_t data_bytes = 0;           // sum of the data files' sizes (train, validation, replay)
  int64_t lora_parameters = 0;       // the adapter's trainable parameters
  int32_t rank = 8;
  bool dropout = false;              // LoRA dropout > 0: the graph holds a masked input and its gradient
  int64_t max_seq_len = 1024;        // the longest sequence trained on
  bool fixed_max_seq_len = false;    // given by the user: never lowered
  int64_t min_seq_len = 64;          // the planner lowers max_seq_len no further
};

struct TrainingPlan : MemoryPlan {
  LoraGraphOptions graph;  // max_tokens = the chosen max_seq_len
};

// Loss chunks tried, largest (fastest) first.
inline constexpr int64_t kLossRowChoices[] = {128, 64, 32, 16};

Result<TrainingPlan> PlanTraining(const ModelConfig& config, const TrainingRequest& request);

// Bytes of the setup phase and of the training phase for `graph` (the
// planner's arithmetic, for tests and reports).
struct TrainingPhases {
  uint64_t setup = 0, training = 0;
};
TrainingPhases TrainingPeak(const ModelConfig& config, const TrainingRequest& request, const LoraGraphOptions& graph);

}  // namespace edgert
