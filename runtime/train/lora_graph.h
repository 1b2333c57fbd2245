// runtime/train/lora_graph.h: loss and LoRA gradients for one sequence.
//
// Forward keeps each layer's input (per-layer gradient checkpointing), and
// the activations of the options' saved_layers layers below the last; backward
// walks the layers in reverse, recomputing one layer's activations from its
// saved input (or only the cheap ones, for a layer whose activations were
// kept), then propagating through it (the last layer's activations are still
// there from the forward pass). The LM head and the
// cross-entropy run only on the positions whose label counts, 128 at a time,
// so the [tokens x vocab] logits never exist. Products go to kernels/matmul
// (x·Wᵀ) and kernels/matmul/matmul_transposed (dy·W); see docs/design.md. Loss as Hugging Face computes it: labels shifted by one,
// -100 ignored; the caller scales (mean over the tokens of the whole batch).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "base/status.h"
#include "runtime/model/session.h"
#include "runtime/train/lora.h"

namespace edgert {

inline constexpr int32_t kIgnoreLabel = -100;

// Where a LoraGraph's time went, summed over its calls since the last reset
// (for benchmarks; timing costs a clock read per phase and layer).
struct LoraGraphPhases {
  double forward = 0;        // the first pass through the layers (saving inputs)
  double lm_head_loss = 0;   // final norm, logits of the counted positions, softmax (− onehot); int8: quantized
  double lm_head_grad = 0;   // d(hidden) = d(logits) · W
  double recompute = 0;      // a layer's forward again, in the backward pass
  double dx_frozen = 0;      // d(input) = d(output) · W through frozen weights
  double attention_backward = 0;
  double lora_backward = 0;  // dA, dB and the LoRA branches' d(input)
  double other_backward = 0; // norms, RoPE, SiLU, residuals
  double total() const {
    return forward + lm_head_loss + lm_head_grad + recompute + dx_frozen + attention_backward + lora_backward +
           other_backward;
  }
};

// A graph's shape: what sizes its arena.
struct LoraGraphOptions {
  int64_t max_tokens = 0;   // longest sequence it takes
  int32_t rank = 0;         // LoRA rank of the adapters it trains
  int64_t loss_rows = 128;  // positions whose logits over the whole vocabulary exist at once
  bool stream_weights = false;  // release each layer's weight pages after use (budget below the weights)
  bool dropout = false;         // room for LoRA dropout (a branch's masked input and its gradient)
  // d(input) and d(hidden) through Q8_0 / Q4_0 weights as int8 products (dy
  // quantized, Wᵀ requantized: kernels/README.md bounds the error); false:
  // f32 products with the weights as stored. Float weights are always f32.
  bool int8_backward = true;
  // Layers (below the last, whose activations backward starts from anyway)
  // whose activations the forward pass keeps, so backward rebuilds only their
  // cheap parts (norms, SiLU) instead of the products.
  // Bit-identical results for any count; 0 .. layers - 1.
  int64_t saved_layers = 0;
};

// A graph's arena by what it holds (the training planner's figures). Every
// piece is rounded up to the arena's 64-byte alignment, so total() is exactly
// the capacity LoraGraph::Create reserves.
struct LoraGraphBytes {
  uint64_t saved_inputs = 0;       // each layer's input, kept for backward: [layers + 1][T][hidden] f32
  uint64_t kept_activations = 0;   // saved_layers x (q, k, v, att, xmid, g, u and the LoRA A·x)
  uint64_t layer_activations = 0;  // one layer's recomputed activations and their gradients
  uint64_t attention = 0;          // the attention kernels' scratch (a [T][T] probability and gradient tile per KV head)
  uint64_t loss = 0;               // [loss_rows][vocab] logits, per-position losses; int8_backward: [T][vocab]
                                   // int8 d(logits) (kernels::TransposedInt8DyBytes)
  uint64_t scratch = 0;            // LoRA branch, quantized activations (forward and backward), RoPE tables
  uint64_t total() const { return saved_inputs + kept_activations + layer_activations + attention + loss + scratch; }
};

struct LossSum {
  double loss = 0;      // Σ cross-entropy over counted positions (natural log)
  int64_t tokens = 0;   // counted positions
};

class LoraGraph {
 public:
  // All buffers come from one arena of Bytes(config, options).total() bytes,
  // reserved here; AccumulateGradients and Loss allocate nothing.
  static Result<LoraGraph> Create(std::shared_ptr<const Model> model, const LoraGraphOptions& options);
  // Every buffer, dropout's included (tests and benchmarks).
  static Result<LoraGraph> Create(std::shared_ptr<const Model> model, int64_t max_tokens, int32_t rank) {
    return Create(std::move(model), LoraGraphOptions{max_tokens, rank, 128, false, true});
  }
  static LoraGraphBytes Bytes(const ModelConfig& config, const LoraGraphOptions& options);
  LoraGraph(LoraGraph&&) noexcept;
  LoraGraph& operator=(LoraGraph&&) noexcept;
  ~LoraGraph();

  // grads += loss_scale · ∂(Σ CE)/∂(A, B). `labels` has ids.size() entries.
  // With adapter.config.dropout > 0, each LoRA branch's input goes through a
  // dropout mask keyed by `dropout_key` (DropoutSequenceKey in dropout.h).
  Result<LossSum> AccumulateGradients(const LoraAdapter& adapter, std::span<const int32_t> ids,
                                      std::span<const int32_t> labels, float loss_scale, LoraAdapter& grads,
                                      pthreadpool_t pool, uint64_t dropout_key = 0);
  // Loss only (evaluation: no dropout, as PEFT in eval mode).
  Result<LossSum> Loss(const LoraAdapter& adapter, std::span<const int32_t> ids, std::span<const int32_t> labels,
                       pthreadpool_t pool);

  // Time per phase since creation or the last ResetPhases (added for bench/train_bench).
  const LoraGraphPhases& phases() const;
  void ResetPhases();

  // The arena (its high-water mark and capacity, for reports; Lock to pin it).
  Arena& arena();

  // Number of positions whose next-token label counts.
  static int64_t CountedTokens(std::span<const int32_t> labels);

 // Opaque; named here so lora_graph.cc's buffer layout can take it.
  struct State;

 private:
  explicit LoraGraph(std::unique_ptr<State> s);
  Result<LossSum> Run(const LoraAdapter& adapter, std::span<const int32_t> ids, std::span<const int32_t> labels,
                      float loss_scale, LoraAdapter* grads, pthreadpool_t pool, uint64_t dropout_key);
  std::unique_ptr<State> s_;
};

}  // namespace edgert
