// runtime/memory/planner.h: what a job will hold in memory, decided before it
// starts, and whether that fits the user's budget.
//
// Peak resident memory = mapped weights that are resident + the arena (KV
// cache and activations) + the heap (tokenizer tables, metadata) + a fixed
// process overhead (code, libraries, stacks). The planner picks the largest
// settings that fit and refuses, naming the minimum, when nothing does.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "formats/model_config.h"
#include "runtime/model/session.h"

namespace edgert {

struct InferenceRequest {
  uint64_t budget_bytes = 0;        // 0: no budget (plan for what was asked)
  uint64_t weight_bytes = 0;        // bytes of all tensors in the model file
  uint64_t tokenizer_entries = 0;   // vocab + merges: sizes the tokenizer's heap
  int64_t context_length = 0;       // wanted; 0: as much as fits, up to the model's maximum
  int64_t min_context_length = 1;   // below this the job is pointless (prompt + generation)
  int64_t max_batch = 256;
};

struct PlanLine {
  std::string what;
  uint64_t bytes;
  std::string note;
};

struct InferencePlan {
  SessionOptions session;
  std::vector<PlanLine> lines;  // for --plan
  uint64_t predicted_peak_bytes = 0;
  uint64_t budget_bytes = 0;
};

// Process overhead measured on Linux x86-64 (code, libraries, stacks, the
// allocator's own state): see docs/design.md, "Memory".
inline constexpr uint64_t kFixedOverheadBytes = 24ull << 20;

Result<InferencePlan> PlanInference(const ModelConfig& config, const InferenceRequest& request);

// The plan as an aligned table; and as one JSON object.
std::string FormatPlan(const InferencePlan& plan);
std::string PlanJson(const InferencePlan& plan);

}  // namespace edgert
