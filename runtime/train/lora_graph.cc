// runtime/train/lora_graph.cc: the training forward and backward passes.
#include "runtime/train/lora_graph.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <initializer_list>
#include <optional>
#include <type_traits>

#include "runtime/model/ops.h"
#include "runtime/model/weight_stream.h"
#include "kernels/matmul/matmul_transposed.h"
#include "kernels/rowops/rowops.h"
#include "runtime/train/backward_ops.h"
#include "runtime/train/dropout.h"
#include "runtime/train/split_rows.h"

namespace edgert {
namespace {

constexpr int64_t kVocabChunk = 16384; // LM-head rows per transposed product (its dl slice: 8 MB f32, 10 MB int8 at 512 rows)
constexpr int64_t kRowBlock = 32;      // positions per task of row-wise work
static_assert(static_cast<size_t>(kVocabChunk) % kernels::kInt8ChunkRows == 0, "vocabulary chunks are whole chunks of the int8 head_dy");
constexpr int64_t kInt8Threads = 16;   // threads the int8 backward products' scratch has room for (more wait)

using Buf = std::span<float>;

// Seconds since the last lap.
class PhaseClock {
 public:
  double Lap() {
    const auto now = std::chrono::steady_clock::now();
    const double s = std::chrono::duration<double>(now - last_).count();
    last_ = now;
    return s;
  }

 private:
  std::chrono::steady_clock::time_point last_ = std::chrono::steady_clock::now();
};

// Whether a LoRA call site sends its products to the pool or runs them on
// the calling thread. Either gives the same bits (they split in fixed
// blocks); the time differs with the host: on two free cores the pool
// halves a branch, on a busy one a dispatch can wait milliseconds for a
// descheduled worker (measured at load 4-8 on 2 cores: lora_backward 0.35 s
// per step on one thread, 0.7-2.6 s split). So each site keeps a running
// mean of seconds per call either way, takes the faster, and runs every
// eighth call the other way to keep that one's mean current.
class PoolChoice {
 public:
  bool UsePool() const {
    if (calls_ < 2) return calls_ == 0;  // one call each way first
    const bool best = mean_[1] <= mean_[0];
    return calls_ % 8 == 0 ? !best : best;
  }
  void Record(bool pool, double seconds) {
    double& m = mean_[pool ? 1 : 0];
    m = m == 0 ? seconds : 0.75 * m + 0.25 * seconds;
    ++calls_;
  }

 private:
  double mean_[2] = {0, 0};  // [calling thread, pool]
  int64_t calls_ = 0;
};

// A layer's activations that backward reads and that cost a product to make
// (xn1, xn2 and hact are rebuilt from these, the attention probabilities in
// the attention backward itself).
struct LayerActs {
  Buf q, k, v, att, xmid, g, u;
  std::array<Buf, kLoraTargetCount> ax;  // [T][rank] per target: the LoRA branch's A·x
};

}  // namespace

struct LoraGraph::State {
  LoraGraphPhases phases;
  std::array<PoolChoice, 2 * kLoraTargetCount> lora_pool;  // per LoRA call site: forward, backward by first target
  std::shared_ptr<const Model> model;
  int64_t max_tokens = 0;
  int32_t rank = 0;
  int64_t loss_rows = 0;
  std::optional<WeightStream> stream;  // set when weights are streamed by layer
  Arena arena;  // every buffer below
  Buf cos, sin;
  // Saved per layer: the input of each layer, and the final hidden state.
  std::vector<Buf> layer_in;  // [layers + 1][T][hidden]
  // One layer's recomputed activations (and the last layer's, from forward).
  LayerActs work;
  Buf xn1, xn2, hact;
  // The activations of layers first_kept .. layers - 2, kept from forward.
  std::vector<LayerActs> kept;
  int64_t first_kept = 0;
  // Gradients flowing back.
  Buf dx, dxmid, dxn, dq, dk, dv, datt, dg, du, dh, lora_scratch, attn_scratch;
  // LoRA dropout: one branch's masked input, and its gradient before the mask
  // ([T][widest LoRA input]; empty unless the graph was made with room for dropout).
  Buf dropped, dropped_grad;
  // Loss.
  Buf logits;                         // [loss_rows][vocab]: logits, then d(loss)/d(logits)
  std::span<std::byte> head_dy;       // int8 backward: every counted row's d(loss)/d(logits), quantized
  std::span<int64_t> counted;         // [T] positions whose label counts
  std::span<double> row_loss;         // [T] their cross-entropy
  Buf linear_scratch;  // the linear operator's quantized activations
  Buf transposed_scratch;  // the int8 dy·W products' (empty: f32 products)
};

namespace {

enum class Holds { kSavedInputs, kKept, kLayer, kAttention, kLoss, kScratch };

// Every buffer of a graph, in arena order: `take(holds, span, count)` is
// called once per buffer. Sizing (Bytes) and allocation (Create) both run
// this, so the planner's figure is the arena's capacity by construction.
template <typename Take>
void EachBuffer(const ModelConfig& c, const LoraGraphOptions& o, LoraGraph::State& s, Take&& take) {
  const auto T = static_cast<uint64_t>(o.max_tokens);
  const auto h = static_cast<uint64_t>(c.hidden_size), qd = static_cast<uint64_t>(c.q_dim()),
             kvd = static_cast<uint64_t>(c.kv_dim()), ff = static_cast<uint64_t>(c.intermediate_size);
  const int64_t widest = std::max({c.hidden_size, c.q_dim(), c.intermediate_size});
  s.layer_in.resize(static_cast<size_t>(c.num_hidden_layers) + 1);
  for (Buf& b : s.layer_in) take(Holds::kSavedInputs, b, T * h);
  auto acts = [&](Holds holds, LayerActs& a) {
    for (Buf* b : {&a.q, &a.att}) take(holds, *b, T * qd);
    for (Buf* b : {&a.k, &a.v}) take(holds, *b, T * kvd);
    take(holds, a.xmid, T * h);
    for (Buf* b : {&a.g, &a.u}) take(holds, *b, T * ff);
    for (Buf& b : a.ax) take(holds, b, T * static_cast<uint64_t>(o.rank));
  };
  s.kept.resize(static_cast<size_t>(std::max<int64_t>(o.saved_layers, 0)));
  for (LayerActs& a : s.kept) acts(Holds::kKept, a);
  acts(Holds::kLayer, s.work);
  for (Buf* b : {&s.xn1, &s.xn2, &s.dx, &s.dxmid, &s.dxn}) take(Holds::kLayer, *b, T * h);
  for (Buf* b : {&s.dq, &s.datt}) take(Holds::kLayer, *b, T * qd);
  for (Buf* b : {&s.dk, &s.dv}) take(Holds::kLayer, *b, T * kvd);
  for (Buf* b : {&s.hact, &s.dg, &s.du, &s.dh}) take(Holds::kLayer, *b, T * ff);
  if (o.dropout) {
    for (Buf* b : {&s.dropped, &s.dropped_grad}) take(Holds::kLayer, *b, T * static_cast<uint64_t>(widest));
  }
  take(Holds::kAttention, s.attn_scratch,
       static_cast<uint64_t>(grad::AttentionScratchFloats(
           grad::AttentionShape{c.num_attention_heads, c.num_key_value_heads, c.head_dim}, o.max_tokens)));
  take(Holds::kLoss, s.logits, static_cast<uint64_t>(std::min(o.loss_rows, o.max_tokens) * c.vocab_size));
  if (o.int8_backward) {
    take(Holds::kLoss, s.head_dy,
         kernels::TransposedInt8DyBytes(kernels::BestIsa(), T, static_cast<size_t>(c.vocab_size)));
  }
  take(Holds::kLoss, s.counted, T);
  take(Holds::kLoss, s.row_loss, T);
  take(Holds::kScratch, s.cos, T * static_cast<uint64_t>(c.head_dim / 2));
  take(Holds::kScratch, s.sin, T * static_cast<uint64_t>(c.head_dim / 2));
  take(Holds::kScratch, s.lora_scratch, static_cast<uint64_t>(grad::LoraScratchFloats(o.max_tokens, o.rank, widest)));
  take(Holds::kScratch, s.linear_scratch,
       ops::LinearScratchBytesAnyType(widest, o.max_tokens) / sizeof(float) + 1);
  if (o.int8_backward) {  // dy is [T][widest] in the layers; at the LM head, quantized ahead (head_dy)
    const uint64_t lm_bytes = kernels::MatmulTransposedInt8PrequantizedScratchBytes(
        T, static_cast<size_t>(std::min(kVocabChunk, c.vocab_size)), kInt8Threads);
    take(Holds::kScratch, s.transposed_scratch,
         std::max(static_cast<uint64_t>(grad::LinearInputScratchFloats(o.max_tokens, widest, kInt8Threads)),
                  (lm_bytes + sizeof(float) - 1) / sizeof(float)));
  }
}

uint64_t Aligned(uint64_t bytes) { return (bytes + Arena::kAlignment - 1) / Arena::kAlignment * Arena::kAlignment; }

}  // namespace

LoraGraphBytes LoraGraph::Bytes(const ModelConfig& c, const LoraGraphOptions& o) {
  LoraGraphBytes b;
  State scratch;
  EachBuffer(c, o, scratch, [&](Holds holds, auto& span, uint64_t count) {
    const uint64_t bytes = Aligned(count * sizeof(span[0]));
    switch (holds) {
      case Holds::kSavedInputs: b.saved_inputs += bytes; break;
      case Holds::kKept: b.kept_activations += bytes; break;
      case Holds::kLayer: b.layer_activations += bytes; break;
      case Holds::kAttention: b.attention += bytes; break;
      case Holds::kLoss: b.loss += bytes; break;
      case Holds::kScratch: b.scratch += bytes; break;
    }
  });
  return b;
}

LoraGraph::LoraGraph(std::unique_ptr<State> s) : s_(std::move(s)) {}
LoraGraph::LoraGraph(LoraGraph&&) noexcept = default;
LoraGraph& LoraGraph::operator=(LoraGraph&&) noexcept = default;
LoraGraph::~LoraGraph() = default;

Result<LoraGraph> LoraGraph::Create(std::shared_ptr<const Model> model, const LoraGraphOptions& o) {
  const ModelConfig& c = model->config();
  if (o.max_tokens <= 0 || o.max_tokens > c.max_position_embeddings) {
    return InvalidArgument("training sequence length " + std::to_string(o.max_tokens) + " outside 1.." +
                           std::to_string(c.max_position_embeddings));
  }
  if (o.rank <= 0 || o.loss_rows <= 0) return InvalidArgument("LoRA rank and loss rows must be positive");
  if (o.saved_layers < 0 || o.saved_layers >= std::max<int64_t>(c.num_hidden_layers, 1)) {
    return InvalidArgument("saved layers " + std::to_string(o.saved_layers) + " outside 0.." +
                           std::to_string(c.num_hidden_layers - 1));
  }
  auto s = std::make_unique<State>();
  EDGERT_ASSIGN_OR_RETURN(s->arena, Arena::Create(Bytes(c, o).total()));
  Status failed = OkStatus();
  EachBuffer(c, o, *s, [&](Holds, auto& span, uint64_t count) {
    using T = std::remove_reference_t<decltype(span[0])>;
    auto got = s->arena.Allocate<T>(count, "training graph");
    if (!got.ok()) {
      failed = got.status();
      return;
    }
    span = *got;
  });
  EDGERT_RETURN_IF_ERROR(failed);
  s->model = std::move(model);
  s->max_tokens = o.max_tokens;
  s->rank = o.rank;
  s->loss_rows = o.loss_rows;
  s->first_kept = c.num_hidden_layers - 1 - o.saved_layers;
  if (o.stream_weights) s->stream.emplace(s->model->weights());
  kernels::RopeTable(static_cast<size_t>(c.head_dim), c.rope_theta, 0, static_cast<size_t>(o.max_tokens),
                     s->cos.data(), s->sin.data());
  return LoraGraph(std::move(s));
}

Arena& LoraGraph::arena() { return s_->arena; }

const LoraGraphPhases& LoraGraph::phases() const { return s_->phases; }
void LoraGraph::ResetPhases() { s_->phases = {}; }

int64_t LoraGraph::CountedTokens(std::span<const int32_t> labels) {
  int64_t n = 0;
  for (size_t t = 1; t < labels.size(); ++t) n += labels[t] != kIgnoreLabel;
  return n;
}

Result<LossSum> LoraGraph::AccumulateGradients(const LoraAdapter& adapter, std::span<const int32_t> ids,
                                               std::span<const int32_t> labels, float loss_scale, LoraAdapter& grads,
                                               pthreadpool_t pool, uint64_t dropout_key) {
  return Run(adapter, ids, labels, loss_scale, &grads, pool, dropout_key);
}

Result<LossSum> LoraGraph::Loss(const LoraAdapter& adapter, std::span<const int32_t> ids,
                                std::span<const int32_t> labels, pthreadpool_t pool) {
  return Run(adapter, ids, labels, 0.0f, nullptr, pool, 0);
}

Result<LossSum> LoraGraph::Run(const LoraAdapter& adapter, std::span<const int32_t> ids,
                               std::span<const int32_t> labels, float loss_scale, LoraAdapter* grads,
                               pthreadpool_t pool, uint64_t dropout_key) {
  State& s = *s_;
  const ModelConfig& c = s.model->config();
  const ModelWeights& w = s.model->weights();
  const auto T = static_cast<int64_t>(ids.size());
  if (T == 0 || T > s.max_tokens) {
    return InvalidArgument("sequence of " + std::to_string(T) + " tokens; this graph takes 1.." + std::to_string(s.max_tokens));
  }
  if (labels.size() != ids.size()) return InvalidArgument("labels and ids differ in length");
  if (adapter.layers.size() != w.layers.size() || adapter.config.rank != s.rank) {
    return InvalidArgument("adapter does not match the model (layers or rank)");
  }
  for (int64_t t = 0; t < T; ++t) {
    const int32_t id = ids[static_cast<size_t>(t)], label = labels[static_cast<size_t>(t)];
    if (id < 0 || id >= c.vocab_size) return OutOfRange("token id " + std::to_string(id) + " at position " + std::to_string(t) + " is outside the vocabulary");
    if (label != kIgnoreLabel && (label < 0 || label >= c.vocab_size)) {
      return OutOfRange("label " + std::to_string(label) + " at position " + std::to_string(t) + " is outside the vocabulary");
    }
  }
  const int64_t h = c.hidden_size, qd = c.q_dim(), kvd = c.kv_dim(), ff = c.intermediate_size;
  const int64_t half = c.head_dim / 2;
  const int32_t r = s.rank;
  const float scale = adapter.config.scale();
  const grad::AttentionShape shape{c.num_attention_heads, c.num_key_value_heads, c.head_dim};
  const kernels::RowOpsUkernels& rowops = kernels::GetRowOpsUkernels();

  auto lora = [&](size_t li, LoraTarget t) -> const LoraPair& { return adapter.layers[li][static_cast<size_t>(t)]; };
  const auto n_layers = static_cast<int64_t>(w.layers.size());
  auto kept = [&](size_t li) { return static_cast<int64_t>(li) >= s.first_kept && static_cast<int64_t>(li) + 1 < n_layers; };
  // Where layer li's activations live: its own kept set, or the working one.
  auto acts = [&](size_t li) -> LayerActs& {
    return kept(li) ? s.kept[static_cast<size_t>(static_cast<int64_t>(li) - s.first_kept)] : s.work;
  };
  auto ax = [&](size_t li, LoraTarget t) { return acts(li).ax[static_cast<size_t>(t)].data(); };
  // Dropout only while training; the mask is redrawn from its key wherever
  // the branch's input is needed (forward, recompute, backward).
  const float drop = grads != nullptr ? adapter.config.dropout : 0.0f;
  if (drop > 0 && s.dropped.empty()) {
    return InvalidArgument("LoRA dropout " + std::to_string(drop) + " on a training graph made without room for it");
  }
  auto mask_key = [&](size_t li, LoraTarget t) {
    return DropoutTargetKey(dropout_key, static_cast<int64_t>(li), static_cast<int32_t>(t));
  };
  // Masks a [T][in] tensor, on the calling thread: a pool dispatch per mask
  // cost more than the mask on the busy 2-core machine (measured:
  // lora_backward 2.0 s/step split vs 0.5 s here).
  auto dropout = [&](size_t li, LoraTarget t, const float* x, float* y) {
    ApplyDropout(x, 0, T * lora(li, t).in, mask_key(li, t), drop, y);
  };
  auto lora_input = [&](size_t li, LoraTarget t, const float* x) {
    if (drop == 0) return x;
    dropout(li, t, x, s.dropped.data());
    return static_cast<const float*>(s.dropped.data());
  };
  // The LoRA branches of targets sharing the input x: one call for the group
  // (its products split over the pool), or with dropout one per target, as
  // each masks x into the one `dropped` buffer.
  struct Use {
    LoraTarget t;
    float* y;         // forward: the projection's output (null: ax only)
    const float* dy;  // backward: its gradient
  };
  auto branch = [&](size_t li, const Use& u) {
    return grad::LoraBranch{&lora(li, u.t), ax(li, u.t), u.y, u.dy,
                            grads != nullptr ? &grads->layers[li][static_cast<size_t>(u.t)] : nullptr};
  };
  // Runs call(pool or null) as the site's PoolChoice says, timing it.
  auto on_pool_or_here = [&](size_t site, auto&& call) {
    PoolChoice& choice = s.lora_pool[site];
    const bool use = pool != nullptr && choice.UsePool();
    const auto t0 = std::chrono::steady_clock::now();
    call(use ? pool : nullptr);
    if (pool != nullptr) choice.Record(use, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  };
  // Row-wise work with exponentials, split over the pool.
  auto rows = [&](int64_t n, auto&& fn) { grad::SplitRows(pool, n, kRowBlock, fn); };
  // then(r0, n): row work that needs the group's outputs (RoPE after q/k/v,
  // SwiGLU after gate/up), run in the group's own tasks while those rows are
  // in cache, or over the pool after it when the group is not one call.
  // The enabled branches of `uses` into group (they share their input); with
  // dropout each has its own masked input, so each goes to alone(u, branch).
  auto group_of = [&](size_t li, std::initializer_list<Use> uses, grad::LoraBranch* group, auto&& alone) {
    size_t n = 0;
    for (const Use& u : uses) {
      if (!lora(li, u.t).enabled()) continue;
      if (drop == 0) {
        group[n++] = branch(li, u);
      } else {
        alone(u, branch(li, u));
      }
    }
    return n;
  };
  auto lora_forward = [&](size_t li, std::initializer_list<Use> uses, const float* x, auto&& then) {
    grad::LoraBranch group[grad::kMaxLoraGroup];
    const size_t n = group_of(li, uses, group, [&](const Use& u, const grad::LoraBranch& one) {
      grad::LoraForward(std::span(&one, 1), r, scale, lora_input(li, u.t, x), T, s.lora_scratch.data(), pool);
    });
    using Then = std::remove_reference_t<decltype(then)>;
    constexpr bool kThen = !std::is_same_v<std::remove_const_t<Then>, std::nullptr_t>;
    if (n == 0) {
      if constexpr (kThen) rows(T, then);
      return;
    }
    grad::RowsDone done;
    if constexpr (kThen) done = {[](void* f, int64_t r0, int64_t rn) { (*static_cast<Then*>(f))(r0, rn); }, &then};
    on_pool_or_here(static_cast<size_t>(uses.begin()->t), [&](pthreadpool_t p) {
      grad::LoraForward(std::span(group, n), r, scale, x, T, s.lora_scratch.data(), p, done);
    });
  };
  // Cheap row work stays on this thread: on a busy machine a dispatch to the
  // pool costs more than a norm over 512 rows.
  auto rms_norm = [&](const float* x, const WeightView& wt, float* y) { ops::RmsNorm(x, wt.f32(), c.rms_norm_eps, T, h, y); };
  auto add = [&](const float* x, float* y) {  // y += x over [T][h]
    for (int64_t i = 0; i < T * h; ++i) y[i] += x[i];
  };

  // Products sharing an input: one quantization and dispatch for quantized weights.
  auto linears = [&](std::span<const ops::LinearOut> outs, const float* x) {
    if (outs[0].w->dtype == DType::kQ8_0 || outs[0].w->dtype == DType::kQ4_0) {
      ops::Linears(outs, x, T, s.linear_scratch.data(), pool);
    } else {
      for (const ops::LinearOut& o : outs) grad::Project(*o.w, o.bias, x, T, o.y, s.linear_scratch.data(), pool);
    }
  };

  // hact = silu(g)·u of a layer's activations, by rows; swiglu splits it over the pool.
  auto swiglu_rows = [&](const LayerActs& a) {
    return [g = a.g.data(), u = a.u.data(), hact = s.hact.data(), ff](int64_t r0, int64_t n) {
      ops::SiluMul(g + r0 * ff, u + r0 * ff, n * ff, hact + r0 * ff);
    };
  };
  auto swiglu = [&](const LayerActs& a) { rows(T, swiglu_rows(a)); };
  // Runs layer li from its saved input; fills its activation buffers.
  auto layer_forward = [&](size_t li, float* out) {
    const LayerWeights& l = w.layers[li];
    LayerActs& a = acts(li);
    const float* x = s.layer_in[li].data();
    rms_norm(x, l.input_norm, s.xn1.data());
    const ops::LinearOut qkv[] = {{&l.q, l.q_bias.data ? l.q_bias.f32() : nullptr, a.q.data()},
                                  {&l.k, l.k_bias.data ? l.k_bias.f32() : nullptr, a.k.data()},
                                  {&l.v, l.v_bias.data ? l.v_bias.f32() : nullptr, a.v.data()}};
    linears(qkv, s.xn1.data());
    auto rope_rows = [&](int64_t r0, int64_t n) {
      for (int64_t t = r0; t < r0 + n; ++t) {
        ops::Rope(a.q.data() + t * qd, c.num_attention_heads, c.head_dim, s.cos.data() + t * half, s.sin.data() + t * half);
        ops::Rope(a.k.data() + t * kvd, c.num_key_value_heads, c.head_dim, s.cos.data() + t * half, s.sin.data() + t * half);
      }
    };
    lora_forward(li, {{LoraTarget::kQ, a.q.data(), nullptr}, {LoraTarget::kK, a.k.data(), nullptr},
                      {LoraTarget::kV, a.v.data(), nullptr}}, s.xn1.data(), rope_rows);
    // No probabilities kept: the backward pass recomputes each head's in cache.
    grad::AttentionForward(shape, a.q.data(), a.k.data(), a.v.data(), T, nullptr, a.att.data(), s.attn_scratch.data(),
                           pool);
    grad::Project(l.o, nullptr, a.att.data(), T, a.xmid.data(), s.linear_scratch.data(), pool);
    lora_forward(li, {{LoraTarget::kO, a.xmid.data(), nullptr}}, a.att.data(), nullptr);
    add(x, a.xmid.data());
    rms_norm(a.xmid.data(), l.post_norm, s.xn2.data());
    const ops::LinearOut gate_up[] = {{&l.gate, nullptr, a.g.data()}, {&l.up, nullptr, a.u.data()}};
    linears(gate_up, s.xn2.data());
    lora_forward(li, {{LoraTarget::kGate, a.g.data(), nullptr}, {LoraTarget::kUp, a.u.data(), nullptr}}, s.xn2.data(),
                 swiglu_rows(a));
    if (out != nullptr) {
      grad::Project(l.down, nullptr, s.hact.data(), T, out, s.linear_scratch.data(), pool);
      lora_forward(li, {{LoraTarget::kDown, out, nullptr}}, s.hact.data(), nullptr);
      add(a.xmid.data(), out);
    } else {
      // Backward needs only down's LoRA input (ax of hact), not its output.
      lora_forward(li, {{LoraTarget::kDown, nullptr, nullptr}}, s.hact.data(), nullptr);
    }
  };
  // For a kept layer: the activations backward reads that were not kept, each
  // made by the same operation on the same input as in forward (bit-identical).
  auto layer_rebuild = [&](size_t li) {
    const LayerWeights& l = w.layers[li];
    const LayerActs& a = acts(li);
    rms_norm(s.layer_in[li].data(), l.input_norm, s.xn1.data());
    rms_norm(a.xmid.data(), l.post_norm, s.xn2.data());
    swiglu(a);
  };

  LoraGraphPhases& ph = s.phases;
  PhaseClock clock;
  // Forward, saving each layer's input.
  // Streaming (s.stream set): read the next layer ahead, drop the one just
  // used; backward walks the other way, so the last layer is read again.
  const WeightStream* stream = s.stream ? &*s.stream : nullptr;
  for (int64_t t = 0; t < T; ++t) ops::GatherRow(w.embed, ids[static_cast<size_t>(t)], s.layer_in[0].data() + t * h);
  if (stream) stream->ReleaseEmbedding();
  for (size_t li = 0; li < w.layers.size(); ++li) {
    if (stream) stream->Prefetch(static_cast<int64_t>(li) + 1);
    layer_forward(li, s.layer_in[li + 1].data());
    if (stream) stream->Release(static_cast<int64_t>(li));
  }
  if (stream && grads != nullptr) stream->Prefetch(n_layers - 1);
  ph.forward += clock.Lap();

  // Final norm, LM head and cross-entropy on the counted positions only
  // (position t predicts labels[t + 1]), in blocks of s.loss_rows rows: a
  // block's logits over the whole vocabulary are computed once and turned in
  // place into d(loss)/d(logits) = scale · (softmax − onehot), then
  // d(hidden) = that · W. [T x vocab] f32 logits never exist. On the int8
  // path each block's d(logits) is quantized into head_dy and one product
  // over all counted rows follows the last block: Wᵀ is packed once per step,
  // not once per block (the same bits: rows do not interact).
  // The last layer's activations stay as the forward pass left them (the
  // backward pass starts from them), so this uses buffers of its own.
  const float* x_last = s.layer_in.back().data();
  float* xf = s.dxn.data();
  float* xc = s.dx.data();  // the counted rows of xf
  ops::RmsNorm(x_last, w.final_norm.f32(), c.rms_norm_eps, T, h, xf);
  auto target = [&](int64_t t) { return t + 1 < T ? labels[static_cast<size_t>(t + 1)] : kIgnoreLabel; };
  int64_t nc = 0;
  for (int64_t t = 0; t < T; ++t) {
    if (target(t) == kIgnoreLabel) continue;
    s.counted[static_cast<size_t>(nc)] = t;
    std::copy_n(xf + t * h, h, xc + nc * h);
    ++nc;
  }
  float* dxc = s.dxmid.data();  // d(loss)/d(xf) of the counted rows
  if (grads != nullptr) std::fill_n(dxc, nc * h, 0.0f);
  const int64_t V = c.vocab_size;
  const bool int8_head = grads != nullptr && !s.head_dy.empty() && nc >= static_cast<int64_t>(kernels::kInt8MinRows) &&
                         (w.lm_head.dtype == DType::kQ8_0 || w.lm_head.dtype == DType::kQ4_0);
  const kernels::TransposedInt8Dy head_dy{kernels::BestIsa(), s.head_dy.data(), s.head_dy.size(), static_cast<size_t>(nc),
                                          static_cast<size_t>(V)};
  auto vocab_chunk = [&](int64_t v0) {
    return kernels::MatmulWeights{w.lm_head.dtype, w.lm_head.data + static_cast<uint64_t>(v0) * w.lm_head.row_bytes(),
                                  static_cast<size_t>(std::min(kVocabChunk, V - v0)), static_cast<size_t>(h), 0};
  };
  for (int64_t b0 = 0; b0 < nc; b0 += s.loss_rows) {
    const int64_t nb = std::min(s.loss_rows, nc - b0);
    grad::Project(w.lm_head, nullptr, xc + b0 * h, nb, s.logits.data(), s.linear_scratch.data(), pool);
    std::atomic<bool> quantized{true};
    rows(nb, [&](int64_t r0, int64_t n) {
      for (int64_t i = r0; i < r0 + n; ++i) {
        float* row = s.logits.data() + i * V;
        const int32_t y = target(s.counted[static_cast<size_t>(b0 + i)]);
        const float label_logit = row[y];
        const kernels::ExpSum e = rowops.exp_sum(static_cast<size_t>(V), row);
        s.row_loss[static_cast<size_t>(b0 + i)] = static_cast<double>(e.max) + std::log(e.sum) - label_logit;
        if (grads == nullptr) continue;
        rowops.scale(static_cast<size_t>(V), static_cast<float>(loss_scale / e.sum), row);
        row[y] -= loss_scale;
        // Quantized while the row is still in cache.
        if (int8_head &&
            !kernels::QuantizeTransposedInt8Dy(row, 1, 0, static_cast<size_t>(b0 + i), head_dy, nullptr).ok()) {
          quantized = false;
        }
      }
    });
    ph.lm_head_loss += clock.Lap();
    if (!quantized) return Internal("LM head: d(logits) did not fit the int8 buffer");
    if (int8_head) continue;
    // d(hidden) = dl · W by vocabulary chunks, so the chunk of dl that every
    // column panel of W re-reads stays in cache.
    for (int64_t v0 = 0; grads != nullptr && v0 < V; v0 += kVocabChunk) {
      const Status st = kernels::MatmulTransposedAccumulate(
          vocab_chunk(v0), s.logits.data() + v0, static_cast<size_t>(nb), dxc + b0 * h, pool, static_cast<size_t>(V),
          s.transposed_scratch.empty() ? kernels::TransposedPrecision::kF32 : kernels::TransposedPrecision::kInt8,
          s.transposed_scratch.data(), s.transposed_scratch.size_bytes());
      if (!st.ok()) return st;
    }
    ph.lm_head_grad += clock.Lap();
  }
  // The int8 path's one product, by the same vocabulary chunks (the chunk of
  // head_dy every column panel re-reads stays in cache).
  for (int64_t v0 = 0; int8_head && v0 < V; v0 += kVocabChunk) {
    EDGERT_RETURN_IF_ERROR(kernels::MatmulTransposedInt8Prequantized(
        vocab_chunk(v0), head_dy, static_cast<size_t>(v0), dxc, s.transposed_scratch.data(),
        s.transposed_scratch.size_bytes(), pool));
  }
  if (int8_head) ph.lm_head_grad += clock.Lap();
  LossSum result;
  for (int64_t i = 0; i < nc; ++i) result.loss += s.row_loss[static_cast<size_t>(i)];
  result.tokens = nc;
  if (grads == nullptr) return result;
  std::fill(s.dxn.begin(), s.dxn.begin() + T * h, 0.0f);
  for (int64_t i = 0; i < nc; ++i) std::copy_n(dxc + i * h, h, s.dxn.data() + s.counted[static_cast<size_t>(i)] * h);
  grad::RmsNorm(x_last, w.final_norm.f32(), c.rms_norm_eps, s.dxn.data(), nullptr, T, h, s.dx.data());
  ph.lm_head_grad += clock.Lap();

  // Layers in reverse. s.dx holds d(loss)/d(layer output) on entry, d/d(input) on exit.
  auto lora_back = [&](size_t li, std::initializer_list<Use> uses, const float* x, float* dx) {
    grad::LoraBranch group[grad::kMaxLoraGroup];
    const size_t n = group_of(li, uses, group, [&](const Use& u, const grad::LoraBranch& one) {
      const float* xin = lora_input(li, u.t, x);
      if (dx == nullptr) {
        grad::LoraBackward(std::span(&one, 1), r, scale, xin, T, nullptr, s.lora_scratch.data(), pool);
        return;
      }
      // d(input) through the mask: the branch's gradient w.r.t. its masked
      // input, masked again with the same key, added to dx.
      const int64_t count = T * one.p->in;
      std::fill_n(s.dropped_grad.data(), count, 0.0f);
      grad::LoraBackward(std::span(&one, 1), r, scale, xin, T, s.dropped_grad.data(), s.lora_scratch.data(), pool);
      dropout(li, u.t, s.dropped_grad.data(), s.dropped_grad.data());
      for (int64_t i = 0; i < count; ++i) dx[i] += s.dropped_grad[static_cast<size_t>(i)];
    });
    if (n == 0) return;
    on_pool_or_here(kLoraTargetCount + static_cast<size_t>(uses.begin()->t), [&](pthreadpool_t p) {
      grad::LoraBackward(std::span(group, n), r, scale, x, T, dx, s.lora_scratch.data(), p);
    });
  };
  for (size_t li = w.layers.size(); li-- > 0;) {
    const LayerWeights& l = w.layers[li];
    if (stream) stream->Prefetch(static_cast<int64_t>(li) - 1);
    const LayerActs& a = acts(li);
    if (kept(li)) {
      layer_rebuild(li);
    } else if (li + 1 < w.layers.size()) {
      layer_forward(li, nullptr);  // the last layer's are still there
    }
    ph.recompute += clock.Lap();
    const float* dy = s.dx.data();
    // MLP: out = xmid + down(hact)
    std::fill(s.dh.begin(), s.dh.begin() + T * ff, 0.0f);
    ph.other_backward += clock.Lap();
    grad::LinearInput(l.down, dy, T, s.dh.data(), pool, s.transposed_scratch);
    ph.dx_frozen += clock.Lap();
    lora_back(li, {{LoraTarget::kDown, nullptr, dy}}, s.hact.data(), s.dh.data());
    ph.lora_backward += clock.Lap();
    rows(T, [&](int64_t r0, int64_t n) {
      const int64_t o = r0 * ff;
      rowops.silu_mul_backward(static_cast<size_t>(n * ff), a.g.data() + o, a.u.data() + o, s.dh.data() + o,
                               s.dg.data() + o, s.du.data() + o);
    });
    std::fill(s.dxn.begin(), s.dxn.begin() + T * h, 0.0f);
    ph.other_backward += clock.Lap();
    grad::LinearInput(l.gate, s.dg.data(), T, s.dxn.data(), pool, s.transposed_scratch);
    grad::LinearInput(l.up, s.du.data(), T, s.dxn.data(), pool, s.transposed_scratch);
    ph.dx_frozen += clock.Lap();
    lora_back(li, {{LoraTarget::kGate, nullptr, s.dg.data()}, {LoraTarget::kUp, nullptr, s.du.data()}}, s.xn2.data(),
              s.dxn.data());
    ph.lora_backward += clock.Lap();
    // d(xmid) = d(out) (the residual) + the post-norm's gradient.
    grad::RmsNorm(a.xmid.data(), l.post_norm.f32(), c.rms_norm_eps, s.dxn.data(), dy, T, h, s.dxmid.data());
    // Attention: xmid = x + o(att)
    std::fill(s.datt.begin(), s.datt.begin() + T * qd, 0.0f);
    ph.other_backward += clock.Lap();
    grad::LinearInput(l.o, s.dxmid.data(), T, s.datt.data(), pool, s.transposed_scratch);
    ph.dx_frozen += clock.Lap();
    lora_back(li, {{LoraTarget::kO, nullptr, s.dxmid.data()}}, a.att.data(), s.datt.data());
    ph.lora_backward += clock.Lap();
    grad::AttentionBackward(shape, a.q.data(), a.k.data(), a.v.data(), nullptr, s.datt.data(), T, s.dq.data(),
                            s.dk.data(), s.dv.data(), s.attn_scratch.data(), pool);
    ph.attention_backward += clock.Lap();
    for (int64_t t = 0; t < T; ++t) {
      grad::Rope(s.dq.data() + t * qd, c.num_attention_heads, c.head_dim, s.cos.data() + t * half, s.sin.data() + t * half);
      grad::Rope(s.dk.data() + t * kvd, c.num_key_value_heads, c.head_dim, s.cos.data() + t * half, s.sin.data() + t * half);
    }
    ph.other_backward += clock.Lap();
    const std::initializer_list<Use> qkv_grads = {
        {LoraTarget::kQ, nullptr, s.dq.data()}, {LoraTarget::kK, nullptr, s.dk.data()}, {LoraTarget::kV, nullptr, s.dv.data()}};
    if (li == 0) {  // the embedding is frozen: layer 0's input needs no gradient
      lora_back(li, qkv_grads, s.xn1.data(), nullptr);
      ph.lora_backward += clock.Lap();
      if (stream) stream->Release(0);
      break;
    }
    std::fill(s.dxn.begin(), s.dxn.begin() + T * h, 0.0f);
    grad::LinearInput(l.q, s.dq.data(), T, s.dxn.data(), pool, s.transposed_scratch);
    grad::LinearInput(l.k, s.dk.data(), T, s.dxn.data(), pool, s.transposed_scratch);
    grad::LinearInput(l.v, s.dv.data(), T, s.dxn.data(), pool, s.transposed_scratch);
    ph.dx_frozen += clock.Lap();
    lora_back(li, qkv_grads, s.xn1.data(), s.dxn.data());
    ph.lora_backward += clock.Lap();
    // d(input) = d(xmid) + rmsnorm backward
    grad::RmsNorm(s.layer_in[li].data(), l.input_norm.f32(), c.rms_norm_eps, s.dxn.data(), s.dxmid.data(), T, h,
                  s.dx.data());
    if (stream) stream->Release(static_cast<int64_t>(li));
    ph.other_backward += clock.Lap();
  }
  return result;
}

}  // namespace edgert
