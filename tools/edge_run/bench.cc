// tools/edge_run/bench.cc: the end-to-end speed figures, and logits dumps.
#include "tools/edge_run/bench.h"

#include <pthreadpool.h>

#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "formats/npy/npy.h"
#include "kernels/isa.h"
#include "kernels/xnnpack/xnn_fc.h"
#include "ports/process_stats.h"
#include "tools/common/cli.h"

namespace edgert {
namespace {

// Who multiplies float weights in prefill: XNNPACK (kernels/xnnpack) or ours.
const char* FloatEngine() { return kernels::XnnFcEnabled() ? "xnnpack" : "ours"; }

using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double>(b - a).count(); }

}  // namespace

int RunBench(std::shared_ptr<const Model> model, const RunOptions& o, pthreadpool_t pool) {
  const ModelConfig& c = model->config();
  if (o.prompt_tokens <= 0 || o.gen_tokens < 0) return cli::Fail(InvalidArgument("--prompt-tokens must be > 0, --gen-tokens >= 0"));
  const SessionOptions so = o.session;  // planned: context prompt + generated tokens, batch up to 512
  const auto t_load = Clock::now();
  auto session = Session::Create(model, so, pool);
  if (!session.ok()) return cli::Fail(session.status());
  session->SetProjectionDelta(o.adapters);
  // Deterministic ids spread over the real vocabulary (ordinary text tokens).
  std::vector<int32_t> ids(static_cast<size_t>(o.prompt_tokens));
  uint64_t x = 12345;
  for (auto& id : ids) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    id = static_cast<int32_t>((x >> 33) % static_cast<uint64_t>(std::min<int64_t>(c.vocab_size, 150000)));
  }
  std::vector<float> logits(static_cast<size_t>(c.vocab_size));
  const auto t0 = Clock::now();
  if (Status st = session->Forward(ids, logits); !st.ok()) return cli::Fail(st);
  const auto t1 = Clock::now();
  Sampler greedy({});
  int32_t next = greedy.Sample(logits, {});
  for (int64_t i = 0; i < o.gen_tokens; ++i) {
    if (Status st = session->Forward(std::span(&next, 1), logits); !st.ok()) return cli::Fail(st);
    next = greedy.Sample(logits, {});
  }
  const auto t2 = Clock::now();
  const ports::MemoryStats mem = ports::ReadMemoryStats();
  const double prefill_tps = static_cast<double>(o.prompt_tokens) / Seconds(t0, t1);
  const double decode_tps = o.gen_tokens > 0 ? static_cast<double>(o.gen_tokens) / Seconds(t1, t2) : 0.0;
  const double ttft_ms = 1000.0 * Seconds(t_load, t1);
  const size_t threads = pool ? pthreadpool_get_threads_count(pool) : 1;
  if (o.json) {
    nlohmann::ordered_json j = {{"model", o.model},
                                {"threads", threads},
                                {"prompt_tokens", o.prompt_tokens},
                                {"gen_tokens", o.gen_tokens},
                                {"prefill_tokens_per_s", prefill_tps},
                                {"decode_tokens_per_s", decode_tps},
                                {"time_to_first_token_ms", ttft_ms},
                                {"peak_rss_bytes", mem.peak_resident_bytes},
                                {"model_file_bytes", model->file().file_size()},
                                {"arena_bytes", session->arena().capacity()},
                                {"major_faults", mem.major_faults},
                                {"minor_faults", mem.minor_faults},
                                {"weights_streamed", so.stream_weights},
                                {"arena_locked", session->arena().locked()},
                                {"kernels", kernels::IsaName(kernels::BestIsa())},
                                {"float_products", FloatEngine()},
                                {"heap", cli::HeapAllocatorName()}};
    std::printf("%s\n", j.dump().c_str());
  } else {
    std::printf("model            %s (%s)\n", o.model.c_str(), cli::HumanBytes(model->file().file_size()).c_str());
    std::printf("threads          %zu\n", threads);
    std::printf("kernels          %s (float products of %zu+ rows: %s); heap %s\n", kernels::IsaName(kernels::BestIsa()),
                kernels::kXnnFcMinRows, FloatEngine(), cli::HeapAllocatorName());
    std::printf("prefill          %lld tokens, %.1f tokens/s\n", static_cast<long long>(o.prompt_tokens), prefill_tps);
    std::printf("decode           %lld tokens, %.1f tokens/s\n", static_cast<long long>(o.gen_tokens), decode_tps);
    std::printf("time to first    %.1f ms\n", ttft_ms);
    std::printf("peak RSS         %s (arena %s%s; weights %s)\n", cli::HumanBytes(mem.peak_resident_bytes).c_str(),
                cli::HumanBytes(session->arena().capacity()).c_str(), session->arena().locked() ? ", locked" : "",
                so.stream_weights ? "streamed by layer" : "resident");
    std::printf("page faults      %llu major, %llu minor\n", static_cast<unsigned long long>(mem.major_faults),
                static_cast<unsigned long long>(mem.minor_faults));
  }
  return 0;
}

int RunLogits(std::shared_ptr<const Model> model, const RunOptions& o, pthreadpool_t pool) {
  std::vector<int32_t> ids;
  size_t pos = 0;
  while (pos <= o.tokens.size()) {
    const size_t comma = std::min(o.tokens.find(',', pos), o.tokens.size());
    const std::string item = o.tokens.substr(pos, comma - pos);
    try {
      size_t used = 0;
      const long long v = std::stoll(item, &used);
      if (used != item.size() || v < INT32_MIN || v > INT32_MAX) throw std::invalid_argument(item);
      ids.push_back(static_cast<int32_t>(v));
    } catch (const std::exception&) {
      return cli::Fail(InvalidArgument("--tokens: '" + item + "' at item " + std::to_string(ids.size() + 1) +
                                       " is not a token id (expected comma-separated integers)"));
    }
    pos = comma + 1;
  }
  SessionOptions so;
  so.context_length = std::min<int64_t>(std::max<int64_t>(static_cast<int64_t>(ids.size()), 1),
                                        model->config().max_position_embeddings);
  so.max_batch = std::min<int64_t>(so.context_length, 256);
  so.lock_arena = true;
  if (static_cast<int64_t>(ids.size()) > model->config().max_position_embeddings) {
    return cli::Fail(OutOfRange("--tokens: " + std::to_string(ids.size()) + " ids exceed the model's context of " +
                                std::to_string(model->config().max_position_embeddings)));
  }
  auto session = Session::Create(model, so, pool);
  if (!session.ok()) return cli::Fail(session.status());
  session->SetProjectionDelta(o.adapters);
  const auto vocab = static_cast<size_t>(model->config().vocab_size);
  std::vector<float> logits(ids.size() * vocab);
  if (Status st = session->Forward(ids, {}, logits); !st.ok()) return cli::Fail(st.WithContext("--tokens"));
  const std::vector<int64_t> shape = {static_cast<int64_t>(ids.size()), static_cast<int64_t>(vocab)};
  if (Status st = WriteNpyF32(o.logits_out, logits, shape); !st.ok()) return cli::Fail(st);
  return 0;
}

}  // namespace edgert
