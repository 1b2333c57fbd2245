// runtime/memory/planner.h: what a job will hold in memory, decided before it
// starts, and whether that fits the user's budget.
//
// Peak resident memory = mapped weights that are resident (all of them, or
// the streaming window) + the arena (KV cache, activations) + the heap
// (tokenizer tables, metadata) + a fixed process overhead (code, libraries,
// stacks). The planner picks the largest settings that fit and refuses,
// naming the minimum and the setting to change, when nothing does. The
// training planner (runtime/train/train_planner.h) builds on the same types.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"
#include "formats/model_config.h"
#include "runtime/model/session.h"

namespace edgert {

struct PlanLine {
  std::string what;
  uint64_t bytes;
  std::string note;
};

// A plan as the user sees it: buffers, the settings chosen, the peak.
struct MemoryPlan {
  std::vector<PlanLine> lines;                            // for --plan: the main phase's buffers
  std::vector<std::pair<std::string, int64_t>> settings;  // chosen settings, by name (JSON keys)
  bool stream_weights = false;                            // weights streamed by layer (budget below them)
  std::vector<std::string> notes;                         // what was changed to fit, and why
  uint64_t setup_bytes = 0;             // a phase before the main one (training: tokenizer, data parsing); 0: none
  uint64_t predicted_peak_bytes = 0;    // max(main phase, setup_bytes); at most the sum of lines (buffers
                                        // that are never live together count once: see the notes)
  uint64_t budget_bytes = 0;            // 0: none given
};

struct InferenceRequest {
  uint64_t budget_bytes = 0;          // 0: no budget (plan for what was asked)
  uint64_t weight_bytes = 0;          // bytes of all tensors in the model file
  uint64_t stream_window_bytes = 0;   // weights resident while streaming (WeightStream::WindowBytes); 0: never stream
  uint64_t tokenizer_entries = 0;     // vocab + merges: sizes the tokenizer's heap
  int64_t context_length = 0;         // wanted; 0: as much as fits, up to context_cap
  int64_t context_cap = 0;            // 0: the model's maximum
  int64_t min_context_length = 1;     // below this the job is pointless (prompt + generation)
  int64_t max_batch = 256;
};

struct InferencePlan : MemoryPlan {
  SessionOptions session;
};

// Process overhead measured on Linux x86-64 (code, libraries, stacks, the
// allocator's own state, the model file's metadata): see docs/design.md, "Memory".
inline constexpr uint64_t kFixedOverheadBytes = 24ull << 20;

// Heap of the tokenizer (vocabulary and merge tables) per entry: edge-run on
// the Qwen2.5 tokenizer (303k entries) measured ~21 MiB above the mapped
// weights, the arena and the fixed overhead, ~72 bytes an entry; rounded up.
inline constexpr uint64_t kHeapPerTokenizerEntry = 96;

Result<InferencePlan> PlanInference(const ModelConfig& config, const InferenceRequest& request);

// The plan as an aligned table; and as one JSON object.
std::string FormatPlan(const MemoryPlan& plan);
std::string PlanJson(const MemoryPlan& plan);

// "123.4 MiB"; and the size rounded up to whole MiB as a --budget argument ("124MiB").
std::string Mib(uint64_t bytes);
std::string BudgetArgument(uint64_t bytes);

}  // namespace edgert
