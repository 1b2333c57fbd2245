// runtime/memory/planner.cc: inference plans, and how any plan is shown.
#include "runtime/memory/planner.h"

#include <cstdio>
#include <nlohmann/json.hpp>

namespace edgert {

std::string Mib(uint64_t b) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.1f MiB", static_cast<double>(b) / (1024.0 * 1024.0));
  return buf;
}

std::string BudgetArgument(uint64_t b) { return std::to_string((b + (1 << 20) - 1) >> 20) + "MiB"; }

Result<InferencePlan> PlanInference(const ModelConfig& c, const InferenceRequest& r) {
  InferencePlan plan;
  plan.budget_bytes = r.budget_bytes;
  const uint64_t heap = r.tokenizer_entries * kHeapPerTokenizerEntry;
  auto arena_for = [&](int64_t ctx) { return SessionArenaBytes(c, {ctx, std::min(r.max_batch, ctx)}); };
  auto peak = [&](int64_t ctx, bool stream) {
    return heap + kFixedOverheadBytes + (stream ? r.stream_window_bytes : r.weight_bytes) + arena_for(ctx);
  };
  const int64_t cap = r.context_cap > 0 ? std::min(r.context_cap, c.max_position_embeddings) : c.max_position_embeddings;
  int64_t ctx = r.context_length > 0 ? r.context_length : cap;
  if (ctx > c.max_position_embeddings) {
    return InvalidArgument("context " + std::to_string(ctx) + " exceeds the model's " +
                           std::to_string(c.max_position_embeddings) + " positions");
  }
  const int64_t min_ctx = r.context_length > 0 ? r.context_length : std::min(r.min_context_length, ctx);
  bool stream = false;
  if (r.budget_bytes > 0) {
    const bool can_stream = r.stream_window_bytes > 0 && r.stream_window_bytes < r.weight_bytes;
    // Resident weights first (streaming costs time), the wanted context before a smaller one.
    if (peak(min_ctx, false) > r.budget_bytes) {
      if (!can_stream || peak(min_ctx, true) > r.budget_bytes) {
        const uint64_t need = peak(min_ctx, can_stream);
        return ResourceExhausted("budget " + Mib(r.budget_bytes) + " is too small: " +
                                 (can_stream ? "weights streamed by layer (" + Mib(r.stream_window_bytes) + " resident)"
                                             : "weights " + Mib(r.weight_bytes)) +
                                 " + runtime at a context of " + std::to_string(min_ctx) + " need " + Mib(need) +
                                 "; use --budget " + BudgetArgument(need) + " or more" +
                                 (r.context_length > 0 ? " or lower --context" : ""));
      }
      stream = true;
      plan.notes.push_back("weights streamed by layer: resident they would need " + Mib(peak(min_ctx, false)) +
                           ", over the budget");
    }
    if (peak(ctx, stream) > r.budget_bytes) {
      if (r.context_length > 0) {
        return ResourceExhausted("context " + std::to_string(ctx) + " needs " + Mib(peak(ctx, stream)) +
                                 ", over the budget of " + Mib(r.budget_bytes) + "; use --budget " +
                                 BudgetArgument(peak(ctx, stream)) + " or lower --context");
      }
      // The arena grows linearly with the context: binary search the largest that fits.
      int64_t lo = min_ctx, hi = ctx;
      while (lo < hi) {
        const int64_t mid = lo + (hi - lo + 1) / 2;
        if (peak(mid, stream) <= r.budget_bytes) lo = mid; else hi = mid - 1;
      }
      plan.notes.push_back("context lowered from " + std::to_string(ctx) + " to " + std::to_string(lo) +
                           " positions to fit the budget");
      ctx = lo;
    }
  }
  plan.stream_weights = stream;
  plan.session = {ctx, std::min<int64_t>(r.max_batch, ctx), stream};
  const uint64_t arena = arena_for(ctx);
  const uint64_t kv = 2ull * static_cast<uint64_t>(c.num_hidden_layers * ctx * c.kv_dim()) * sizeof(float);
  plan.lines = {
      stream ? PlanLine{"weights (streamed by layer)", r.stream_window_bytes,
                        "LM head + 2 layers of " + Mib(r.weight_bytes) + "; clean file pages"}
             : PlanLine{"weights (mapped, clean file pages)", r.weight_bytes, "resident while used; never copied"},
      {"KV cache", kv, std::to_string(ctx) + " positions, f32"},
      {"activations and scratch", arena - kv, "batch of " + std::to_string(plan.session.max_batch) + " tokens"},
      {"tokenizer and metadata (heap)", heap, ""},
      {"process overhead", kFixedOverheadBytes, "code, libraries, stacks"},
  };
  plan.settings = {{"context_length", ctx}, {"max_batch", plan.session.max_batch}};
  for (const PlanLine& l : plan.lines) plan.predicted_peak_bytes += l.bytes;
  return plan;
}

std::string FormatPlan(const MemoryPlan& p) {
  std::string s;
  char buf[512];
  for (const auto& [name, value] : p.settings) {
    std::snprintf(buf, sizeof(buf), "%-36s %12lld\n", name.c_str(), static_cast<long long>(value));
    s += buf;
  }
  std::snprintf(buf, sizeof(buf), "%-36s %12s\n", "weights", p.stream_weights ? "streamed" : "resident");
  s += buf;
  for (const PlanLine& l : p.lines) {
    std::snprintf(buf, sizeof(buf), "%-36s %12s  %s\n", l.what.c_str(), Mib(l.bytes).c_str(), l.note.c_str());
    s += buf;
  }
  if (p.setup_bytes > 0) {
    std::snprintf(buf, sizeof(buf), "%-36s %12s  %s\n", "(setup phase, before the above)", Mib(p.setup_bytes).c_str(),
                  "tokenizer, data parsing");
    s += buf;
  }
  std::snprintf(buf, sizeof(buf), "%-36s %12s  %s\n", "predicted peak", Mib(p.predicted_peak_bytes).c_str(),
                p.budget_bytes ? ("budget " + Mib(p.budget_bytes)).c_str() : "no budget given");
  s += buf;
  for (const std::string& n : p.notes) s += "note: " + n + "\n";
  return s;
}

std::string PlanJson(const MemoryPlan& p) {
  nlohmann::ordered_json j;
  for (const auto& [name, value] : p.settings) j[name] = value;
  j["stream_weights"] = p.stream_weights;
  j["budget_bytes"] = p.budget_bytes;
  if (p.setup_bytes > 0) j["setup_bytes"] = p.setup_bytes;
  j["predicted_peak_bytes"] = p.predicted_peak_bytes;
  for (const PlanLine& l : p.lines) j["buffers"].push_back({{"what", l.what}, {"bytes", l.bytes}});
  j["notes"] = p.notes;
  return j.dump();
}

}  // namespace edgert
