// runtime/model/session.cc: the Qwen2 forward pass (Hugging Face semantics).
//
// Per layer, for a chunk of m tokens at positions p..p+m-1:
//   xn = rmsnorm(x) · w_in                     (f32)
//   q, k, v = xn·Wqᵀ + bq, xn·Wkᵀ + bk, xn·Wvᵀ + bv
//   rope(q), rope(k)  (rotate_half layout); k, v appended to the cache
//   x += attention(q, cache)·Woᵀ               (causal, GQA)
//   xn = rmsnorm(x) · w_post
//   x += (silu(xn·Wgᵀ) * (xn·Wuᵀ))·Wdᵀ
// then logits = rmsnorm(x) · w_final · Eᵀ (E the embedding when tied).
#include "runtime/model/session.h"

#include <pthreadpool.h>

#include <algorithm>
#include <cmath>
#include <optional>

#include "kernels/rowops/rowops.h"
#include "ports/clock.h"
#include "runtime/model/decode_threads.h"
#include "runtime/model/ops.h"
#include "runtime/model/weight_stream.h"

namespace edgert {

Result<std::shared_ptr<const Model>> Model::Open(const std::string& path) {
  EDGERT_ASSIGN_OR_RETURN(ModelFile file, ModelFile::Open(path));
  std::shared_ptr<Model> model(new Model(std::move(file)));
  EDGERT_ASSIGN_OR_RETURN(model->weights_, BindWeights(model->file_));
  return std::shared_ptr<const Model>(std::move(model));
}

namespace {

// Every buffer of a session, in arena order. One place computes the sizes so
// the planner and Create() can never disagree.
struct Layout {
  uint64_t kv;          // [layers][ctx][kv_dim] floats, for K and again for V
  uint64_t rope;        // [ctx][head_dim/2] floats, cos and again sin
  uint64_t x, xn;       // [batch][hidden]
  uint64_t q, attn;     // [batch][q_dim]
  uint64_t k, v;        // [batch][kv_dim]
  uint64_t gate, up;    // [batch][ffn]
  uint64_t scores;      // attention scratch (scores per head), in floats
  uint64_t logits;      // [vocab]: last-token logits when the caller gives none
  uint64_t linear;      // activation scratch of the linear operator

  Layout(const ModelConfig& c, const SessionOptions& o) {
    const auto ctx = static_cast<uint64_t>(o.context_length), b = static_cast<uint64_t>(o.max_batch);
    kv = static_cast<uint64_t>(c.num_hidden_layers) * ctx * static_cast<uint64_t>(c.kv_dim());
    rope = ctx * static_cast<uint64_t>(c.head_dim / 2);
    x = xn = b * static_cast<uint64_t>(c.hidden_size);
    q = attn = b * static_cast<uint64_t>(c.q_dim());
    k = v = b * static_cast<uint64_t>(c.kv_dim());
    gate = up = b * static_cast<uint64_t>(c.intermediate_size);
    scores = ops::AttentionScratchBytes({c.num_attention_heads, c.num_key_value_heads, c.head_dim}, o.context_length) /
                 sizeof(float) + 1;
    logits = static_cast<uint64_t>(c.vocab_size);
    const int64_t widest = std::max({c.hidden_size, c.q_dim(), c.intermediate_size});
    linear = ops::LinearScratchBytesAnyType(widest, o.max_batch);
  }

  uint64_t TotalBytes() const {
    const uint64_t floats = 2 * kv + 2 * rope + x + xn + q + attn + k + v + gate + up + scores + logits;
    return floats * sizeof(float) + linear + 16 * Arena::kAlignment;  // alignment slack
  }
};

}  // namespace

uint64_t SessionArenaBytes(const ModelConfig& config, const SessionOptions& options) {
  return Layout(config, options).TotalBytes();
}

struct Session::State {
  std::shared_ptr<const Model> model;
  SessionOptions options;
  pthreadpool_t pool = nullptr;
  Arena arena;
  int64_t position = 0;
  float *k_cache, *v_cache, *cos, *sin;
  float *x, *xn, *q, *attn, *k, *v, *gate, *up, *scores, *logits;
  void* linear_scratch;
  std::shared_ptr<const ProjectionDelta> delta;  // adapters beside the frozen weights, or null
  std::optional<WeightStream> stream;            // set when weights are streamed by layer
  DecodeThreadChoice decode_threads;
};

Session::Session(std::unique_ptr<State> state) : s_(std::move(state)) {}
Session::Session(Session&&) noexcept = default;
Session& Session::operator=(Session&&) noexcept = default;
Session::~Session() = default;

int64_t Session::position() const { return s_->position; }
int64_t Session::context_length() const { return s_->options.context_length; }
const Model& Session::model() const { return *s_->model; }
const Arena& Session::arena() const { return s_->arena; }
void Session::SetProjectionDelta(std::shared_ptr<const ProjectionDelta> delta) { s_->delta = std::move(delta); }

Status Session::Rewind(int64_t position) {
  if (position < 0 || position > s_->position) {
    return OutOfRange("cannot rewind to position " + std::to_string(position) + " (at " + std::to_string(s_->position) + ")");
  }
  s_->position = position;
  return OkStatus();
}

Result<Session> Session::Create(std::shared_ptr<const Model> model, const SessionOptions& options, pthreadpool_t pool) {
  const ModelConfig& c = model->config();
  if (options.context_length <= 0 || options.context_length > c.max_position_embeddings) {
    return InvalidArgument("context length " + std::to_string(options.context_length) + " outside 1.." +
                           std::to_string(c.max_position_embeddings) + " (the model's max_position_embeddings)");
  }
  if (options.max_batch <= 0) return InvalidArgument("max_batch must be positive");
  auto s = std::make_unique<State>();
  s->model = std::move(model);
  s->options = options;
  s->pool = pool;
  const Layout l(c, options);
  EDGERT_ASSIGN_OR_RETURN(s->arena, Arena::Create(l.TotalBytes()));
  if (options.lock_arena) (void)s->arena.Lock(nullptr);
  if (options.stream_weights) s->stream.emplace(s->model->weights());
  Arena& a = s->arena;
  auto take = [&](uint64_t n, const char* what) -> Result<float*> {
    EDGERT_ASSIGN_OR_RETURN(std::span<float> span, a.Allocate<float>(n, what));
    return span.data();
  };
  EDGERT_ASSIGN_OR_RETURN(s->k_cache, take(l.kv, "key cache"));
  EDGERT_ASSIGN_OR_RETURN(s->v_cache, take(l.kv, "value cache"));
  EDGERT_ASSIGN_OR_RETURN(s->cos, take(l.rope, "rope cos"));
  EDGERT_ASSIGN_OR_RETURN(s->sin, take(l.rope, "rope sin"));
  EDGERT_ASSIGN_OR_RETURN(s->x, take(l.x, "hidden state"));
  EDGERT_ASSIGN_OR_RETURN(s->xn, take(l.xn, "normed hidden state"));
  EDGERT_ASSIGN_OR_RETURN(s->q, take(l.q, "queries"));
  EDGERT_ASSIGN_OR_RETURN(s->attn, take(l.attn, "attention output"));
  EDGERT_ASSIGN_OR_RETURN(s->k, take(l.k, "keys"));
  EDGERT_ASSIGN_OR_RETURN(s->v, take(l.v, "values"));
  EDGERT_ASSIGN_OR_RETURN(s->gate, take(l.gate, "mlp gate"));
  EDGERT_ASSIGN_OR_RETURN(s->up, take(l.up, "mlp up"));
  EDGERT_ASSIGN_OR_RETURN(s->scores, take(l.scores, "attention scores"));
  EDGERT_ASSIGN_OR_RETURN(s->logits, take(l.logits, "logits"));
  EDGERT_ASSIGN_OR_RETURN(auto scratch, a.AllocateBytes(l.linear, "linear scratch"));
  s->linear_scratch = scratch.data();

  kernels::RopeTable(static_cast<size_t>(c.head_dim), c.rope_theta, 0, static_cast<size_t>(options.context_length), s->cos,
                     s->sin);
  return Session(std::move(s));
}

Status Session::Forward(std::span<const int32_t> ids, std::span<float> last_logits, std::span<float> all_logits) {
  const ModelConfig& c = s_->model->config();
  const auto vocab = static_cast<size_t>(c.vocab_size);
  if (ids.empty()) return InvalidArgument("no tokens to run");
  if (s_->position + static_cast<int64_t>(ids.size()) > s_->options.context_length) {
    return OutOfRange(std::to_string(ids.size()) + " tokens at position " + std::to_string(s_->position) +
                      " exceed the context of " + std::to_string(s_->options.context_length) + " positions");
  }
  for (size_t i = 0; i < ids.size(); ++i) {
    if (ids[i] < 0 || ids[i] >= c.vocab_size) {
      return OutOfRange("token id " + std::to_string(ids[i]) + " at index " + std::to_string(i) +
                        " is outside the vocabulary (0.." + std::to_string(c.vocab_size - 1) + ")");
    }
  }
  if (!last_logits.empty() && last_logits.size() != vocab) return InvalidArgument("last_logits must hold vocab_size floats");
  if (!all_logits.empty() && all_logits.size() != ids.size() * vocab) {
    return InvalidArgument("all_logits must hold tokens x vocab_size floats");
  }
  const auto batch = static_cast<size_t>(s_->options.max_batch);
  for (size_t done = 0; done < ids.size(); done += batch) {
    const size_t n = std::min(batch, ids.size() - done);
    const bool last_chunk = done + n == ids.size();
    float* all = all_logits.empty() ? nullptr : all_logits.data() + done * vocab;
    EDGERT_RETURN_IF_ERROR(ForwardChunk(ids.subspan(done, n), last_chunk ? last_logits : std::span<float>{}, all));
  }
  return OkStatus();
}

Status Session::ForwardChunk(std::span<const int32_t> ids, std::span<float> last_logits, float* all_logits) {
  State& s = *s_;
  const ModelConfig& c = s.model->config();
  const ModelWeights& w = s.model->weights();
  const auto m = static_cast<int64_t>(ids.size());
  const int64_t h = c.hidden_size, qd = c.q_dim(), kvd = c.kv_dim(), ff = c.intermediate_size;
  const int64_t half = c.head_dim / 2, p0 = s.position;
  // A decode step runs on all threads or on this one, by what the last steps
  // took (decode_threads.h); the bits are the same either way.
  const bool adaptive = m == 1 && s.pool != nullptr && pthreadpool_get_threads_count(s.pool) > 1;
  pthreadpool_t pool = !adaptive || s.decode_threads.NextUsesAllThreads() ? s.pool : nullptr;
  const uint64_t started = adaptive ? ports::MonotonicNanoseconds() : 0;

  for (int64_t i = 0; i < m; ++i) ops::GatherRow(w.embed, ids[static_cast<size_t>(i)], s.x + i * h);
  // Streaming (budget below the weights): read the next layer ahead, drop the
  // one just used; after the last layer, layer 0 for the next chunk.
  const WeightStream* stream = s.stream ? &*s.stream : nullptr;
  const auto n_layers = static_cast<int64_t>(w.layers.size());
  if (stream) stream->ReleaseEmbedding();

  const ops::AttentionShape shape{c.num_attention_heads, c.num_key_value_heads, c.head_dim};
  for (size_t li = 0; li < w.layers.size(); ++li) {
    const LayerWeights& l = w.layers[li];
    if (stream) stream->Prefetch((static_cast<int64_t>(li) + 1) % n_layers);
    float* k_cache = s.k_cache + static_cast<int64_t>(li) * s.options.context_length * kvd;
    float* v_cache = s.v_cache + static_cast<int64_t>(li) * s.options.context_length * kvd;

    ops::RmsNorm(s.x, l.input_norm.f32(), c.rms_norm_eps, m, h, s.xn);
    // One call for q, k and v (one quantization of xn, one dispatch); K and V
    // go straight into the cache rows of their positions.
    const ops::LinearOut qkv[] = {{&l.q, l.q_bias.data ? l.q_bias.f32() : nullptr, s.q},
                                  {&l.k, l.k_bias.data ? l.k_bias.f32() : nullptr, k_cache + p0 * kvd},
                                  {&l.v, l.v_bias.data ? l.v_bias.f32() : nullptr, v_cache + p0 * kvd}};
    ops::Linears(qkv, s.xn, m, s.linear_scratch, pool);
    if (s.delta) {
      s.delta->Add(li, Projection::kQ, s.xn, m, s.q);
      s.delta->Add(li, Projection::kK, s.xn, m, k_cache + p0 * kvd);
      s.delta->Add(li, Projection::kV, s.xn, m, v_cache + p0 * kvd);
    }
    for (int64_t i = 0; i < m; ++i) {
      const float* cos = s.cos + (p0 + i) * half;
      const float* sin = s.sin + (p0 + i) * half;
      ops::Rope(s.q + i * qd, c.num_attention_heads, c.head_dim, cos, sin);
      ops::Rope(k_cache + (p0 + i) * kvd, c.num_key_value_heads, c.head_dim, cos, sin);
    }
    ops::Attention(shape, s.q, m, p0, k_cache, v_cache, s.attn, s.scores, s.options.context_length, pool);
    ops::Linear(l.o, nullptr, s.attn, m, s.xn, s.linear_scratch, pool);
    if (s.delta) s.delta->Add(li, Projection::kO, s.attn, m, s.xn);
    for (int64_t i = 0; i < m * h; ++i) s.x[i] += s.xn[i];

    ops::RmsNorm(s.x, l.post_norm.f32(), c.rms_norm_eps, m, h, s.xn);
    const ops::LinearOut gate_up[] = {{&l.gate, nullptr, s.gate}, {&l.up, nullptr, s.up}};
    ops::Linears(gate_up, s.xn, m, s.linear_scratch, pool);
    if (s.delta) {
      s.delta->Add(li, Projection::kGate, s.xn, m, s.gate);
      s.delta->Add(li, Projection::kUp, s.xn, m, s.up);
    }
    ops::SiluMul(s.gate, s.up, m * ff, s.gate);
    ops::Linear(l.down, nullptr, s.gate, m, s.xn, s.linear_scratch, pool);
    if (s.delta) s.delta->Add(li, Projection::kDown, s.gate, m, s.xn);
    for (int64_t i = 0; i < m * h; ++i) s.x[i] += s.xn[i];
    if (stream) stream->Release(static_cast<int64_t>(li));
  }
  s.position += m;

  // Logits: of every row when asked, else of the last row only (decode and
  // prefill need no more: the vocabulary projection is the largest matmul).
  if (all_logits != nullptr) {
    ops::RmsNorm(s.x, w.final_norm.f32(), c.rms_norm_eps, m, h, s.xn);
    ops::Linear(w.lm_head, nullptr, s.xn, m, all_logits, s.linear_scratch, pool);
    if (!last_logits.empty()) std::copy_n(all_logits + (m - 1) * c.vocab_size, c.vocab_size, last_logits.data());
  } else if (!last_logits.empty()) {
    ops::RmsNorm(s.x + (m - 1) * h, w.final_norm.f32(), c.rms_norm_eps, 1, h, s.xn);
    ops::Linear(w.lm_head, nullptr, s.xn, 1, last_logits.data(), s.linear_scratch, pool);
  }
  if (adaptive) s.decode_threads.Record(ports::MonotonicNanoseconds() - started);
  return OkStatus();
}

}  // namespace edgert
