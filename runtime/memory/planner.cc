// runtime/memory/planner.cc: inference plans.
#include "runtime/memory/planner.h"

#include <cstdio>
#include <nlohmann/json.hpp>

namespace edgert {
namespace {

// Heap per tokenizer entry (vocab or merge): the string, its hash-map node
// and the metadata copy. Measured on the Qwen2.5 tokenizer (see design.md).
constexpr uint64_t kHeapPerTokenizerEntry = 220;

std::string Mib(uint64_t b) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.1f MiB", static_cast<double>(b) / (1024.0 * 1024.0));
  return buf;
}

}  // namespace

Result<InferencePlan> PlanInference(const ModelConfig& c, const InferenceRequest& r) {
  InferencePlan plan;
  plan.budget_bytes = r.budget_bytes;
  const uint64_t heap = r.tokenizer_entries * kHeapPerTokenizerEntry;
  const uint64_t fixed = heap + kFixedOverheadBytes + r.weight_bytes;
  auto arena_for = [&](int64_t ctx) { return SessionArenaBytes(c, {ctx, r.max_batch}); };

  int64_t ctx = r.context_length > 0 ? r.context_length : c.max_position_embeddings;
  if (ctx > c.max_position_embeddings) {
    return InvalidArgument("context " + std::to_string(ctx) + " exceeds the model's " +
                           std::to_string(c.max_position_embeddings) + " positions");
  }
  if (r.budget_bytes > 0) {
    const uint64_t at_min = fixed + arena_for(r.min_context_length);
    if (at_min > r.budget_bytes) {
      return ResourceExhausted("budget " + Mib(r.budget_bytes) + " is too small: weights " + Mib(r.weight_bytes) +
                               " + runtime " + Mib(at_min - r.weight_bytes) + " need at least " + Mib(at_min) +
                               " (streaming weights smaller than the model is not implemented yet); use --budget " +
                               std::to_string((at_min + (1 << 20) - 1) >> 20) + "M or more");
    }
    if (fixed + arena_for(ctx) > r.budget_bytes) {
      if (r.context_length > 0) {
        return ResourceExhausted("context " + std::to_string(ctx) + " needs " + Mib(fixed + arena_for(ctx)) +
                                 ", over the budget of " + Mib(r.budget_bytes) + "; lower --context or raise --budget");
      }
      // The arena grows linearly with the context: binary search the largest that fits.
      int64_t lo = r.min_context_length, hi = ctx;
      while (lo < hi) {
        const int64_t mid = lo + (hi - lo + 1) / 2;
        if (fixed + arena_for(mid) <= r.budget_bytes) lo = mid; else hi = mid - 1;
      }
      ctx = lo;
    }
  }
  plan.session = {ctx, std::min<int64_t>(r.max_batch, ctx)};
  const uint64_t arena = arena_for(ctx);
  const uint64_t kv = 2ull * static_cast<uint64_t>(c.num_hidden_layers * ctx * c.kv_dim()) * sizeof(float);
  plan.lines = {
      {"weights (mapped, clean file pages)", r.weight_bytes, "resident while used; never copied"},
      {"KV cache", kv, std::to_string(ctx) + " positions, f32"},
      {"activations and scratch", arena - kv, "batch of " + std::to_string(plan.session.max_batch) + " tokens"},
      {"tokenizer and metadata (heap)", heap, ""},
      {"process overhead", kFixedOverheadBytes, "code, libraries, stacks"},
  };
  for (const PlanLine& l : plan.lines) plan.predicted_peak_bytes += l.bytes;
  return plan;
}

std::string FormatPlan(const InferencePlan& p) {
  std::string s;
  char buf[256];
  for (const PlanLine& l : p.lines) {
    std::snprintf(buf, sizeof(buf), "%-36s %12s  %s\n", l.what.c_str(), Mib(l.bytes).c_str(), l.note.c_str());
    s += buf;
  }
  std::snprintf(buf, sizeof(buf), "%-36s %12s  %s\n", "predicted peak", Mib(p.predicted_peak_bytes).c_str(),
                p.budget_bytes ? ("budget " + Mib(p.budget_bytes)).c_str() : "no budget given");
  s += buf;
  return s;
}

std::string PlanJson(const InferencePlan& p) {
  nlohmann::ordered_json j;
  j["context_length"] = p.session.context_length;
  j["max_batch"] = p.session.max_batch;
  j["budget_bytes"] = p.budget_bytes;
  j["predicted_peak_bytes"] = p.predicted_peak_bytes;
  for (const PlanLine& l : p.lines) j["buffers"].push_back({{"what", l.what}, {"bytes", l.bytes}});
  return j.dump();
}

}  // namespace edgert
