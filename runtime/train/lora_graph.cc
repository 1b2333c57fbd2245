// runtime/train/lora_graph.cc: the training forward and backward passes.
#include "runtime/train/lora_graph.h"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "runtime/model/ops.h"
#include "kernels/rowops/rowops.h"
#include "runtime/train/backward_ops.h"

namespace edgert {
namespace {

constexpr int64_t kVocabChunk = 4096;  // rows of the LM head per step of the loss

using Buf = std::vector<float>;

// Rows [r0, r0 + n) of a weight matrix, as a view of their own.
WeightView RowSlice(const WeightView& w, int64_t r0, int64_t n) {
  WeightView v = w;
  v.data = w.data + static_cast<uint64_t>(r0) * w.row_bytes();
  v.rows = n;
  return v;
}

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

}  // namespace

struct LoraGraph::State {
  LoraGraphPhases phases;
  std::shared_ptr<const Model> model;
  int64_t max_tokens = 0;
  int32_t rank = 0;
  Buf cos, sin;
  // Saved per layer: the input of each layer, and the final hidden state.
  std::vector<Buf> layer_in;  // [layers + 1][T][hidden]
  // One layer's recomputed activations.
  Buf xn1, q, k, v, probs, att, xmid, xn2, g, u, hact;
  std::array<Buf, kLoraTargetCount> ax;  // [T][rank] per target
  // Gradients flowing back.
  Buf dx, dxmid, dxn, dq, dk, dv, datt, dg, du, dh, lora_scratch, attn_scratch;
  // Loss.
  Buf logits, lse, label_logit, dl;
  Buf linear_scratch;  // the linear operator's quantized activations
};

LoraGraph::LoraGraph(std::unique_ptr<State> s) : s_(std::move(s)) {}
LoraGraph::LoraGraph(LoraGraph&&) noexcept = default;
LoraGraph& LoraGraph::operator=(LoraGraph&&) noexcept = default;
LoraGraph::~LoraGraph() = default;

Result<LoraGraph> LoraGraph::Create(std::shared_ptr<const Model> model, int64_t max_tokens, int32_t rank) {
  const ModelConfig& c = model->config();
  if (max_tokens <= 0 || max_tokens > c.max_position_embeddings) {
    return InvalidArgument("training sequence length " + std::to_string(max_tokens) + " outside 1.." +
                           std::to_string(c.max_position_embeddings));
  }
  auto s = std::make_unique<State>();
  s->model = std::move(model);
  s->max_tokens = max_tokens;
  s->rank = rank;
  const auto T = static_cast<size_t>(max_tokens);
  const auto h = static_cast<size_t>(c.hidden_size), qd = static_cast<size_t>(c.q_dim()),
             kvd = static_cast<size_t>(c.kv_dim()), ff = static_cast<size_t>(c.intermediate_size),
             heads = static_cast<size_t>(c.num_attention_heads);
  s->cos.resize(T * static_cast<size_t>(c.head_dim / 2));
  s->sin.resize(s->cos.size());
  kernels::RopeTable(static_cast<size_t>(c.head_dim), c.rope_theta, 0, static_cast<size_t>(max_tokens), s->cos.data(),
                     s->sin.data());
  s->layer_in.assign(static_cast<size_t>(c.num_hidden_layers) + 1, Buf(T * h));
  for (Buf* b : {&s->xn1, &s->xmid, &s->xn2, &s->dx, &s->dxmid, &s->dxn}) b->resize(T * h);
  for (Buf* b : {&s->q, &s->att, &s->dq, &s->datt}) b->resize(T * qd);
  for (Buf* b : {&s->k, &s->v, &s->dk, &s->dv}) b->resize(T * kvd);
  for (Buf* b : {&s->g, &s->u, &s->hact, &s->dg, &s->du, &s->dh}) b->resize(T * ff);
  s->probs.resize(heads * T * T);
  for (Buf& b : s->ax) b.resize(T * static_cast<size_t>(rank));
  s->lora_scratch.resize(T * static_cast<size_t>(rank));
  s->attn_scratch.resize(T);
  s->logits.resize(T * static_cast<size_t>(kVocabChunk));
  s->dl.resize(s->logits.size());
  s->lse.resize(T);
  const int64_t widest = std::max({c.hidden_size, c.q_dim(), c.intermediate_size});
  s->linear_scratch.resize(ops::LinearScratchBytes(WeightView{nullptr, DType::kQ8_0, 1, widest}, max_tokens) / sizeof(float) + 1);
  s->label_logit.resize(T);
  return LoraGraph(std::move(s));
}

const LoraGraphPhases& LoraGraph::phases() const { return s_->phases; }
void LoraGraph::ResetPhases() { s_->phases = {}; }

int64_t LoraGraph::CountedTokens(std::span<const int32_t> labels) {
  int64_t n = 0;
  for (size_t t = 1; t < labels.size(); ++t) n += labels[t] != kIgnoreLabel;
  return n;
}

Result<LossSum> LoraGraph::AccumulateGradients(const LoraAdapter& adapter, std::span<const int32_t> ids,
                                               std::span<const int32_t> labels, float loss_scale, LoraAdapter& grads,
                                               pthreadpool_t pool) {
  return Run(adapter, ids, labels, loss_scale, &grads, pool);
}

Result<LossSum> LoraGraph::Loss(const LoraAdapter& adapter, std::span<const int32_t> ids,
                                std::span<const int32_t> labels, pthreadpool_t pool) {
  return Run(adapter, ids, labels, 0.0f, nullptr, pool);
}

Result<LossSum> LoraGraph::Run(const LoraAdapter& adapter, std::span<const int32_t> ids,
                               std::span<const int32_t> labels, float loss_scale, LoraAdapter* grads,
                               pthreadpool_t pool) {
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

  auto linear = [&](const WeightView& wt, const WeightView& bias, const float* x, float* y, const LoraPair& p,
                    float* ax) {
    ops::Linear(wt, bias.data ? bias.f32() : nullptr, x, T, y, s.linear_scratch.data(), pool);
    if (p.enabled()) grad::LoraForward(p, r, scale, x, T, ax, y);
  };
  auto lora = [&](size_t li, LoraTarget t) -> const LoraPair& { return adapter.layers[li][static_cast<size_t>(t)]; };
  auto ax = [&](LoraTarget t) { return s.ax[static_cast<size_t>(t)].data(); };

  // Recomputes layer li from its saved input; fills the activation buffers.
  auto layer_forward = [&](size_t li, float* out) {
    const LayerWeights& l = w.layers[li];
    const float* x = s.layer_in[li].data();
    ops::RmsNorm(x, l.input_norm.f32(), c.rms_norm_eps, T, h, s.xn1.data());
    linear(l.q, l.q_bias, s.xn1.data(), s.q.data(), lora(li, LoraTarget::kQ), ax(LoraTarget::kQ));
    linear(l.k, l.k_bias, s.xn1.data(), s.k.data(), lora(li, LoraTarget::kK), ax(LoraTarget::kK));
    linear(l.v, l.v_bias, s.xn1.data(), s.v.data(), lora(li, LoraTarget::kV), ax(LoraTarget::kV));
    for (int64_t t = 0; t < T; ++t) {
      ops::Rope(s.q.data() + t * qd, c.num_attention_heads, c.head_dim, s.cos.data() + t * half, s.sin.data() + t * half);
      ops::Rope(s.k.data() + t * kvd, c.num_key_value_heads, c.head_dim, s.cos.data() + t * half, s.sin.data() + t * half);
    }
    grad::AttentionForward(shape, s.q.data(), s.k.data(), s.v.data(), T, s.probs.data(), s.att.data(), pool);
    std::copy_n(x, T * h, s.xmid.data());
    linear(l.o, WeightView{}, s.att.data(), s.dxn.data(), lora(li, LoraTarget::kO), ax(LoraTarget::kO));
    for (int64_t i = 0; i < T * h; ++i) s.xmid[static_cast<size_t>(i)] += s.dxn[static_cast<size_t>(i)];
    ops::RmsNorm(s.xmid.data(), l.post_norm.f32(), c.rms_norm_eps, T, h, s.xn2.data());
    linear(l.gate, WeightView{}, s.xn2.data(), s.g.data(), lora(li, LoraTarget::kGate), ax(LoraTarget::kGate));
    linear(l.up, WeightView{}, s.xn2.data(), s.u.data(), lora(li, LoraTarget::kUp), ax(LoraTarget::kUp));
    ops::SiluMul(s.g.data(), s.u.data(), T * ff, s.hact.data());
    if (out != nullptr) {
      linear(l.down, WeightView{}, s.hact.data(), out, lora(li, LoraTarget::kDown), ax(LoraTarget::kDown));
      for (int64_t i = 0; i < T * h; ++i) out[i] += s.xmid[static_cast<size_t>(i)];
    } else {
      // Backward needs only down's LoRA input (ax of hact), not its output.
      const LoraPair& p = lora(li, LoraTarget::kDown);
      if (p.enabled()) {
        std::fill(s.dxn.begin(), s.dxn.begin() + T * h, 0.0f);
        grad::LoraForward(p, r, scale, s.hact.data(), T, ax(LoraTarget::kDown), s.dxn.data());
      }
    }
  };

  LoraGraphPhases& ph = s.phases;
  PhaseClock clock;
  // Forward, saving each layer's input.
  for (int64_t t = 0; t < T; ++t) ops::GatherRow(w.embed, ids[static_cast<size_t>(t)], s.layer_in[0].data() + t * h);
  for (size_t li = 0; li < w.layers.size(); ++li) layer_forward(li, s.layer_in[li + 1].data());
  ph.forward += clock.Lap();

  // Final norm and chunked cross-entropy. Position t predicts labels[t + 1].
  const float* x_last = s.layer_in.back().data();
  float* xf = s.xn1.data();
  ops::RmsNorm(x_last, w.final_norm.f32(), c.rms_norm_eps, T, h, xf);
  std::vector<float> running_max(static_cast<size_t>(T), -INFINITY), running_sum(static_cast<size_t>(T), 0.0f);
  auto target = [&](int64_t t) { return t + 1 < T ? labels[static_cast<size_t>(t + 1)] : kIgnoreLabel; };
  for (int64_t v0 = 0; v0 < c.vocab_size; v0 += kVocabChunk) {
    const int64_t n = std::min(kVocabChunk, c.vocab_size - v0);
    ops::Linear(RowSlice(w.lm_head, v0, n), nullptr, xf, T, s.logits.data(), s.linear_scratch.data(), pool);
    for (int64_t t = 0; t < T; ++t) {
      const float* lt = s.logits.data() + t * n;
      const float mx = *std::max_element(lt, lt + n);
      float& m = running_max[static_cast<size_t>(t)];
      float& sum = running_sum[static_cast<size_t>(t)];
      if (mx > m) {
        sum *= std::exp(m - mx);
        m = mx;
      }
      for (int64_t j = 0; j < n; ++j) sum += std::exp(lt[j] - m);
      const int32_t y = target(t);
      if (y >= v0 && y < v0 + n) s.label_logit[static_cast<size_t>(t)] = lt[y - v0];
    }
  }
  LossSum result;
  for (int64_t t = 0; t < T; ++t) {
    s.lse[static_cast<size_t>(t)] = running_max[static_cast<size_t>(t)] + std::log(running_sum[static_cast<size_t>(t)]);
    if (target(t) == kIgnoreLabel) continue;
    result.loss += static_cast<double>(s.lse[static_cast<size_t>(t)] - s.label_logit[static_cast<size_t>(t)]);
    ++result.tokens;
  }
  ph.lm_head_loss += clock.Lap();
  if (grads == nullptr) return result;

  // d(loss)/d(xf), chunk by chunk: dl = scale · (softmax − onehot) on counted rows.
  std::fill(s.dxn.begin(), s.dxn.begin() + T * h, 0.0f);
  for (int64_t v0 = 0; v0 < c.vocab_size; v0 += kVocabChunk) {
    const int64_t n = std::min(kVocabChunk, c.vocab_size - v0);
    const WeightView slice = RowSlice(w.lm_head, v0, n);
    ops::Linear(slice, nullptr, xf, T, s.logits.data(), s.linear_scratch.data(), pool);
    for (int64_t t = 0; t < T; ++t) {
      float* dl = s.dl.data() + t * n;
      const int32_t y = target(t);
      if (y == kIgnoreLabel) {
        std::fill_n(dl, n, 0.0f);
        continue;
      }
      const float* lt = s.logits.data() + t * n;
      for (int64_t j = 0; j < n; ++j) dl[j] = std::exp(lt[j] - s.lse[static_cast<size_t>(t)]) * loss_scale;
      if (y >= v0 && y < v0 + n) dl[y - v0] -= loss_scale;
    }
    grad::LinearInput(slice, s.dl.data(), T, s.dxn.data(), pool);
  }
  std::fill(s.dx.begin(), s.dx.begin() + T * h, 0.0f);
  grad::RmsNorm(x_last, w.final_norm.f32(), c.rms_norm_eps, s.dxn.data(), T, h, s.dx.data());
  ph.lm_head_grad += clock.Lap();

  // Layers in reverse. s.dx holds d(loss)/d(layer output) on entry, d/d(input) on exit.
  auto lora_back = [&](size_t li, LoraTarget t, const float* x, const float* dy, float* dx) {
    const LoraPair& p = lora(li, t);
    if (!p.enabled()) return;
    grad::LoraBackward(p, r, scale, x, ax(t), dy, T, grads->layers[li][static_cast<size_t>(t)], dx, s.lora_scratch.data());
  };
  for (size_t li = w.layers.size(); li-- > 0;) {
    const LayerWeights& l = w.layers[li];
    layer_forward(li, nullptr);
    ph.recompute += clock.Lap();
    const float* dy = s.dx.data();
    // MLP: out = xmid + down(hact)
    std::copy_n(dy, T * h, s.dxmid.data());
    std::fill(s.dh.begin(), s.dh.begin() + T * ff, 0.0f);
    ph.other_backward += clock.Lap();
    grad::LinearInput(l.down, dy, T, s.dh.data(), pool);
    ph.dx_frozen += clock.Lap();
    lora_back(li, LoraTarget::kDown, s.hact.data(), dy, s.dh.data());
    ph.lora_backward += clock.Lap();
    grad::SiluMul(s.g.data(), s.u.data(), s.dh.data(), T * ff, s.dg.data(), s.du.data());
    std::fill(s.dxn.begin(), s.dxn.begin() + T * h, 0.0f);
    ph.other_backward += clock.Lap();
    grad::LinearInput(l.gate, s.dg.data(), T, s.dxn.data(), pool);
    grad::LinearInput(l.up, s.du.data(), T, s.dxn.data(), pool);
    ph.dx_frozen += clock.Lap();
    lora_back(li, LoraTarget::kGate, s.xn2.data(), s.dg.data(), s.dxn.data());
    lora_back(li, LoraTarget::kUp, s.xn2.data(), s.du.data(), s.dxn.data());
    ph.lora_backward += clock.Lap();
    grad::RmsNorm(s.xmid.data(), l.post_norm.f32(), c.rms_norm_eps, s.dxn.data(), T, h, s.dxmid.data());
    // Attention: xmid = x + o(att)
    std::fill(s.datt.begin(), s.datt.begin() + T * qd, 0.0f);
    ph.other_backward += clock.Lap();
    grad::LinearInput(l.o, s.dxmid.data(), T, s.datt.data(), pool);
    ph.dx_frozen += clock.Lap();
    lora_back(li, LoraTarget::kO, s.att.data(), s.dxmid.data(), s.datt.data());
    ph.lora_backward += clock.Lap();
    grad::AttentionBackward(shape, s.q.data(), s.k.data(), s.v.data(), s.probs.data(), s.datt.data(), T, s.dq.data(),
                            s.dk.data(), s.dv.data(), s.attn_scratch.data());
    ph.attention_backward += clock.Lap();
    for (int64_t t = 0; t < T; ++t) {
      grad::Rope(s.dq.data() + t * qd, c.num_attention_heads, c.head_dim, s.cos.data() + t * half, s.sin.data() + t * half);
      grad::Rope(s.dk.data() + t * kvd, c.num_key_value_heads, c.head_dim, s.cos.data() + t * half, s.sin.data() + t * half);
    }
    std::fill(s.dxn.begin(), s.dxn.begin() + T * h, 0.0f);
    ph.other_backward += clock.Lap();
    grad::LinearInput(l.q, s.dq.data(), T, s.dxn.data(), pool);
    grad::LinearInput(l.k, s.dk.data(), T, s.dxn.data(), pool);
    grad::LinearInput(l.v, s.dv.data(), T, s.dxn.data(), pool);
    ph.dx_frozen += clock.Lap();
    lora_back(li, LoraTarget::kQ, s.xn1.data(), s.dq.data(), s.dxn.data());
    lora_back(li, LoraTarget::kK, s.xn1.data(), s.dk.data(), s.dxn.data());
    lora_back(li, LoraTarget::kV, s.xn1.data(), s.dv.data(), s.dxn.data());
    ph.lora_backward += clock.Lap();
    // d(input) = d(xmid) + rmsnorm backward
    std::copy_n(s.dxmid.data(), T * h, s.dx.data());
    grad::RmsNorm(s.layer_in[li].data(), l.input_norm.f32(), c.rms_norm_eps, s.dxn.data(), T, h, s.dx.data());
    ph.other_backward += clock.Lap();
  }
  return result;
}

}  // namespace edgert
