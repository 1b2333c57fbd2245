// runtime/train/train_planner.cc: PlanTraining.
#include "runtime/train/train_planner.h"

#include <algorithm>
#include <limits>

namespace edgert {
namespace {

// The adapter, its gradients and AdamW's two moments: four f32 copies.
constexpr uint64_t kAdapterCopies = 4;
// A checkpoint write holds one more set of (adapter, m, v): the file image
// being built (sized once, never doubled; the tensors go in as views).
constexpr uint64_t kCheckpointCopies = 3;
// Tokenized examples keep ids and labels (int32 each) per token, and a token
// covers at least one byte of its file: an upper bound from the file sizes.
constexpr uint64_t kTrainBytesPerDataByte = 8;
// Parsing a JSON / JSONL file holds the text and its parsed records (nlohmann
// values: a node per field, each string copied) while tokenizing.
constexpr uint64_t kSetupBytesPerDataByte = 12;
// Without a budget the user named, kept layer activations stay within the
// weights' bytes over this: memory for speed only while the job stays near the
// size of its model (0.5B Q8_0 at 512 tokens: 10 of 23 layers, peak ~1.2 GB;
// 1.5B: 17 of 27, ~3.2 GB). A named budget lifts the cap.
constexpr uint64_t kWeightsPerKeptByte = 2;

uint64_t GraphBytes(const ModelConfig& c, const LoraGraphOptions& g) { return LoraGraph::Bytes(c, g).total(); }

}  // namespace

TrainingPhases TrainingPeak(const ModelConfig& c, const TrainingRequest& r, const LoraGraphOptions& g) {
  const auto adapter = static_cast<uint64_t>(r.lora_parameters) * sizeof(float);
  TrainingPhases p;
  p.setup = kFixedOverheadBytes + r.tokenizer_entries * kHeapPerTokenizerEntry + r.data_bytes * kSetupBytesPerDataByte +
            adapter;
  const uint64_t save = kCheckpointCopies * adapter;
  const uint64_t weights_and_save = g.stream_weights
                                        ? std::max(r.stream_window_bytes, r.stream_resident_bytes + save)
                                        : r.weight_bytes + save;
  p.training = kFixedOverheadBytes + weights_and_save + GraphBytes(c, g) + kAdapterCopies * adapter +
               r.data_bytes * kTrainBytesPerDataByte;
  return p;
}

Result<TrainingPlan> PlanTraining(const ModelConfig& c, const TrainingRequest& r) {
  if (r.max_seq_len <= 0 || r.max_seq_len > c.max_position_embeddings) {
    return InvalidArgument("--max-seq-len " + std::to_string(r.max_seq_len) + " outside 1.." +
                           std::to_string(c.max_position_embeddings));
  }
  auto options = [&](int64_t seq, int64_t loss_rows, bool stream) {
    return LoraGraphOptions{seq, r.rank, loss_rows, stream, r.dropout};
  };
  auto peak = [&](const LoraGraphOptions& g) {
    const TrainingPhases p = TrainingPeak(c, r, g);
    return std::max(p.setup, p.training);
  };
  const bool can_stream = r.stream_window_bytes > 0 && r.stream_window_bytes < r.weight_bytes;
  const int64_t smallest_rows = kLossRowChoices[std::size(kLossRowChoices) - 1];

  LoraGraphOptions chosen = options(r.max_seq_len, kLossRowChoices[0], false);
  std::vector<std::string> notes;
  if (r.budget_bytes > 0 && peak(chosen) > r.budget_bytes) {
    // Cheapest change first: a smaller loss chunk, then streaming, each at the wanted length.
    bool found = false;
    for (bool stream : {false, true}) {
      if (stream && !can_stream) continue;
      for (int64_t rows : kLossRowChoices) {
        if (!found && peak(options(r.max_seq_len, rows, stream)) <= r.budget_bytes) {
          chosen = options(r.max_seq_len, rows, stream);
          found = true;
        }
      }
    }
    const LoraGraphOptions leanest = options(r.max_seq_len, smallest_rows, can_stream);
    if (!found && !r.fixed_max_seq_len) {
      // Then shorter sequences: the memory grows with the length (quadratically
      // in the attention scratch), so binary search the longest that fits.
      const int64_t floor = std::min(r.min_seq_len, r.max_seq_len);
      if (peak(options(floor, smallest_rows, can_stream)) <= r.budget_bytes) {
        int64_t lo = floor, hi = r.max_seq_len;
        while (lo < hi) {
          const int64_t mid = lo + (hi - lo + 1) / 2;
          if (peak(options(mid, smallest_rows, can_stream)) <= r.budget_bytes) lo = mid; else hi = mid - 1;
        }
        chosen = options(lo, smallest_rows, can_stream);
        found = true;
        notes.push_back("--max-seq-len lowered from " + std::to_string(r.max_seq_len) + " to " + std::to_string(lo) +
                        " tokens to fit the budget (longer examples are truncated; at " +
                        std::to_string(r.max_seq_len) + " the job needs --budget " + BudgetArgument(peak(leanest)) + ")");
      }
    }
    if (!found) {
      const int64_t at = r.fixed_max_seq_len ? r.max_seq_len : std::min(r.min_seq_len, r.max_seq_len);
      const uint64_t need = peak(options(at, smallest_rows, can_stream));
      std::string msg = "budget " + Mib(r.budget_bytes) + " is too small for this training job: its smallest plan (" +
                        (can_stream ? std::string("weights streamed by layer") : std::string("weights resident")) +
                        ", a " + std::to_string(smallest_rows) + "-row loss chunk, --max-seq-len " +
                        std::to_string(at) + ") needs " + Mib(need) + "; use --budget " + BudgetArgument(need) +
                        " or more";
      if (r.fixed_max_seq_len && r.max_seq_len > r.min_seq_len) {
        const uint64_t shorter = peak(options(r.min_seq_len, smallest_rows, can_stream));
        if (shorter <= r.budget_bytes) {
          int64_t lo = r.min_seq_len, hi = r.max_seq_len;
          while (lo < hi) {
            const int64_t mid = lo + (hi - lo + 1) / 2;
            if (peak(options(mid, smallest_rows, can_stream)) <= r.budget_bytes) lo = mid; else hi = mid - 1;
          }
          msg += ", or lower --max-seq-len to " + std::to_string(lo);
        } else {
          msg += " (at --max-seq-len " + std::to_string(r.min_seq_len) + " it would still need " + Mib(shorter) + ")";
        }
      } else if (r.lora_parameters > 0) {
        msg += " (a smaller --lora-r or fewer --targets shrink the adapter's share, " +
               Mib((kAdapterCopies + kCheckpointCopies) * static_cast<uint64_t>(r.lora_parameters) * sizeof(float)) + ")";
      }
      return ResourceExhausted(msg);
    }
    if (chosen.loss_rows != kLossRowChoices[0]) {
      notes.insert(notes.begin(), "loss chunk lowered from " + std::to_string(kLossRowChoices[0]) + " to " +
                                      std::to_string(chosen.loss_rows) + " rows to fit the budget (same results up to float rounding)");
    }
    if (chosen.stream_weights) {
      notes.insert(notes.begin(), "weights streamed by layer: resident, the smallest plan would need " +
                                      Mib(peak(options(chosen.max_tokens, smallest_rows, false))) +
                                      ", over the budget (slower, same results)");
    }
  }

  // Then memory for speed: keep layers' activations from the forward pass,
  // as many as the budget (and without a named one, the cap above) allows;
  // bit-identical results.
  const int64_t layers = std::max<int64_t>(c.num_hidden_layers - 1, 0);
  const uint64_t kept_cap = r.budget_named && r.budget_bytes > 0 ? std::numeric_limits<uint64_t>::max()
                                                                  : r.weight_bytes / kWeightsPerKeptByte;
  for (int64_t n = 1; n <= layers; ++n) {
    LoraGraphOptions more = chosen;
    more.saved_layers = n;
    if (LoraGraph::Bytes(c, more).kept_activations > kept_cap) break;
    if (r.budget_bytes > 0 && peak(more) > r.budget_bytes) break;
    chosen = more;
  }

  TrainingPlan plan;
  plan.graph = chosen;
  plan.budget_bytes = r.budget_bytes;
  plan.stream_weights = chosen.stream_weights;
  plan.notes = std::move(notes);
  const LoraGraphBytes g = LoraGraph::Bytes(c, chosen);
  const auto adapter = static_cast<uint64_t>(r.lora_parameters) * sizeof(float);
  const std::string T = std::to_string(chosen.max_tokens) + " tokens";
  plan.lines = {
      chosen.stream_weights ? PlanLine{"weights (streamed by layer)", r.stream_window_bytes,
                                       "LM head + 2 layers of " + Mib(r.weight_bytes) + "; clean file pages"}
                            : PlanLine{"weights (mapped, clean file pages)", r.weight_bytes, "resident; never copied"},
      {"saved layer inputs", g.saved_inputs, "checkpoint per layer, " + T},
      {"kept layer activations", g.kept_activations,
       std::to_string(chosen.saved_layers) + " of " + std::to_string(layers) + " layers not recomputed"},
      {"one layer's activations and grads", g.layer_activations, "recomputed in backward"},
      {"attention scratch", g.attention, "[T][T] x2 per KV head"},
      {"LM-head loss chunk", g.loss,
       std::to_string(std::min(chosen.loss_rows, chosen.max_tokens)) + " rows x vocab" +
           (chosen.int8_backward ? ", int8 d(logits) of " + T : std::string())},
      {"LoRA, RoPE and matmul scratch", g.scratch, ""},
      {"LoRA params, grads, AdamW m and v", kAdapterCopies * adapter,
       std::to_string(r.lora_parameters) + " parameters, f32"},
      {"checkpoint write (transient)", kCheckpointCopies * adapter,
       chosen.stream_weights ? "between steps, layers released: overlaps the window" : "copies while saving"},
      {"tokenized data (heap)", kTrainBytesPerDataByte * r.data_bytes, "bound from the files' sizes"},
      {"process overhead", kFixedOverheadBytes, "code, libraries, stacks, metadata"},
  };
  const TrainingPhases phases = TrainingPeak(c, r, chosen);
  plan.setup_bytes = phases.setup;
  plan.predicted_peak_bytes = std::max(phases.setup, phases.training);
  plan.settings = {{"max_seq_len", chosen.max_tokens},
                   {"loss_rows", chosen.loss_rows},
                   {"checkpoint_every_layers", 1},
                   {"saved_layers", chosen.saved_layers},
                   {"sequences_in_memory", 1}};
  return plan;
}

}  // namespace edgert
