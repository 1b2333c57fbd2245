// capi/session_api.cc: edgert_session_*, generation, scoring, adapters.
#include <cmath>
#include <cstring>

#include "capi/c_status.h"
#include "capi/edgert.h"
#include "capi/handles.h"
#include "capi/objects.h"
#include "runtime/generate/chat.h"
#include "runtime/generate/grammar_vocabulary.h"
#include "runtime/grammar/grammar.h"
#include "runtime/generate/score.h"
#include "runtime/memory/planner.h"
#include "runtime/model/weight_stream.h"
#include "runtime/thread_count.h"
#include "runtime/train/adapter_io.h"
#include "runtime/train/lora_delta.h"

using namespace edgert;
using namespace edgert::capi;

namespace {

// Below this many positions a session is pointless (a prompt and an answer).
constexpr int64_t kMinUsefulContext = 128;
constexpr int64_t kDefaultContext = 4096;
constexpr int64_t kMaxBatch = 256;

// The session's shape: what was asked, checked against the budget by the
// planner (which also picks the context when none was asked).
Result<SessionOptions> PlanSession(const ModelObject& m, const edgert_session_options& o) {
  const ModelConfig& c = m.model->config();
  if (o.context_length < 0) return InvalidArgument("context_length " + std::to_string(o.context_length) + " is negative");
  const int64_t fallback = std::min(kDefaultContext, c.max_position_embeddings);
  if (o.budget_bytes == 0) {
    const int64_t ctx = o.context_length > 0 ? o.context_length : fallback;
    if (ctx > c.max_position_embeddings) {
      return InvalidArgument("context_length " + std::to_string(ctx) + " exceeds the model's " +
                             std::to_string(c.max_position_embeddings) + " positions");
    }
    return SessionOptions{ctx, std::min(kMaxBatch, ctx)};
  }
  const TokenizerSpec& spec = m.model->file().metadata().tokenizer;
  InferenceRequest request;
  request.budget_bytes = o.budget_bytes;
  request.weight_bytes = m.model->weights().bytes;
  request.stream_window_bytes = WeightStream::WindowBytes(m.model->weights());
  request.context_cap = o.context_length == 0 ? fallback : 0;
  request.tokenizer_entries = spec.vocab.size() + spec.merges.size();
  request.context_length = o.context_length;
  request.min_context_length = std::min(kMinUsefulContext, c.max_position_embeddings);
  request.max_batch = kMaxBatch;
  auto plan = PlanInference(c, request);
  if (!plan.ok()) return plan.status().WithContext("session budget_bytes");
  SessionOptions so = plan->session;
  if (o.context_length == 0) so.context_length = std::min(so.context_length, fallback);
  so.max_batch = std::min(so.max_batch, so.context_length);
  return so;
}

// A grammar's text (it defines a rule: has "::="), else a built-in name or a .gbnf path.
Result<std::shared_ptr<const Grammar>> GrammarOption(std::string_view option) {
  if (option.find("::=") != std::string_view::npos) return CompileGrammar(option, "session grammar");
  return LoadGrammar(option);
}

Status CheckSampling(const edgert_session_options& o, SamplingOptions* out) {
  out->temperature = o.temperature;
  out->top_k = o.top_k;
  out->top_p = o.top_p;
  out->min_p = o.min_p;
  out->repetition_penalty = o.repetition_penalty;
  out->seed = o.seed;
  return out->Validate();
}

edgert_status Generate(SessionObject& s, const std::string& text, edgert_text_callback callback, void* user_data,
                       edgert_generation_stats* stats) {
  if (Status st = s.session.Rewind(0); !st.ok()) return FromStatus(st);
  const std::vector<int32_t> ids = s.model->tokenizer.Encode(text);
  Sampler sampler(s.generate.sampling);  // fresh per call: the same seed gives the same text
  std::function<bool(std::string_view)> on_text;
  if (callback != nullptr) {
    on_text = [&](std::string_view piece) { return callback(piece.data(), piece.size(), user_data) == 0; };
  }
  auto r = edgert::Generate(s.session, s.model->tokenizer, ids, s.generate, sampler, on_text);
  if (!r.ok()) return FromStatus(r.status());
  if (stats != nullptr) {
    stats->prompt_tokens = r->prompt_tokens;
    stats->generated_tokens = static_cast<int64_t>(r->ids.size());
    stats->stop_reason = static_cast<edgert_stop_reason>(r->reason);
    stats->prefill_seconds = r->prefill_seconds;
    stats->decode_seconds = r->decode_seconds;
  }
  if (r->reason == StopReason::kCancelled) return Fail(EDGERT_CANCELLED, "generation cancelled by the callback");
  return EDGERT_OK;
}

static_assert(static_cast<int>(StopReason::kEndToken) == EDGERT_STOP_END_TOKEN &&
              static_cast<int>(StopReason::kStopString) == EDGERT_STOP_STOP_STRING &&
              static_cast<int>(StopReason::kMaxTokens) == EDGERT_STOP_MAX_TOKENS &&
              static_cast<int>(StopReason::kContextFull) == EDGERT_STOP_CONTEXT_FULL &&
              static_cast<int>(StopReason::kCancelled) == EDGERT_STOP_CANCELLED);

// An adapter is bound to the base it was loaded for (the file's fingerprint).
edgert_status CheckAttachable(const SessionObject& s, const AdapterObject& a, float scale) {
  if (!std::isfinite(scale)) return Fail(EDGERT_ERR_INVALID_ARGUMENT, "adapter scale is not a finite number");
  if (a.model->model->file().fingerprint() != s.model->model->file().fingerprint()) {
    return Fail(EDGERT_ERR_INVALID_ARGUMENT, "the adapter was loaded for " + a.model->model->file().path() +
                                                 ", another base model than the session's " +
                                                 s.model->model->file().path());
  }
  return EDGERT_OK;
}

// The session's adapters as one delta (null: the base model alone).
void ApplyAdapters(SessionObject& s) {
  if (s.adapters.empty()) {
    s.session.SetProjectionDelta(nullptr);
    return;
  }
  auto delta = std::make_shared<LoraDelta>();
  for (const auto& [adapter, scale] : s.adapters) delta->Push(adapter->adapter, scale);
  s.session.SetProjectionDelta(std::move(delta));
}

// Looks up a session and claims it for this call.
#define EDGERT_C_CLAIM_SESSION(session, s, guard, what)                  \
  std::shared_ptr<SessionObject> s;                                      \
  EDGERT_C_RETURN_IF_ERROR(Get(session, Kind::kSession, &s));            \
  BusyGuard guard(s->busy);                                              \
  EDGERT_C_RETURN_IF_ERROR(guard.status(what))

}  // namespace

extern "C" {

edgert_session_options edgert_session_options_default(void) {
  edgert_session_options o;
  std::memset(&o, 0, sizeof(o));
  o.struct_size = sizeof(o);
  o.top_p = 1.0f;
  o.repetition_penalty = 1.0f;
  o.max_tokens = 256;
  return o;
}

edgert_status edgert_session_create(edgert_model model, const edgert_session_options* options,
                                    edgert_session* out_session) {
  return Call([&] {
    if (out_session == nullptr) return Fail(EDGERT_ERR_INVALID_ARGUMENT, "edgert_session_create: out_session is NULL");
    *out_session = nullptr;
    std::shared_ptr<const ModelObject> m;
    EDGERT_C_RETURN_IF_ERROR(Get(model, Kind::kModel, &m));
    const edgert_session_options o = options ? *options : edgert_session_options_default();
    if (o.struct_size != sizeof(edgert_session_options)) {
      return Fail(EDGERT_ERR_INVALID_ARGUMENT, "edgert_session_options.struct_size is " + std::to_string(o.struct_size) +
                                                   ", expected " + std::to_string(sizeof(edgert_session_options)) +
                                                   " (fill it with edgert_session_options_default())");
    }
    if (auto threads = ThreadCount(o.threads); !threads.ok()) {
      return FromStatus(threads.status().WithContext("threads " + std::to_string(o.threads)));
    }
    if (o.max_tokens < 0) return Fail(EDGERT_ERR_INVALID_ARGUMENT, "max_tokens " + std::to_string(o.max_tokens) + " is negative");
    if (o.stop_string_count > 0 && o.stop_strings == nullptr) {
      return Fail(EDGERT_ERR_INVALID_ARGUMENT, "stop_strings is NULL with stop_string_count " + std::to_string(o.stop_string_count));
    }
    GenerateOptions generate;
    if (Status st = CheckSampling(o, &generate.sampling); !st.ok()) return FromStatus(st);
    generate.max_tokens = o.max_tokens;
    generate.end_ids = m->end_ids;
    for (size_t i = 0; i < o.stop_string_count; ++i) {
      if (o.stop_strings[i] == nullptr || o.stop_strings[i][0] == '\0') {
        return Fail(EDGERT_ERR_INVALID_ARGUMENT, "stop_strings[" + std::to_string(i) + "] is NULL or empty");
      }
      generate.stop_strings.emplace_back(o.stop_strings[i]);
    }
    std::shared_ptr<TokenConstraint> constraint;
    if (o.grammar != nullptr && o.grammar[0] != '\0') {
      auto grammar = GrammarOption(o.grammar);
      if (!grammar.ok()) return FromStatus(grammar.status().WithContext("grammar"));
      if (Status st = CheckTokenBudget(**grammar, o.max_tokens); !st.ok()) {
        return FromStatus(st.WithContext("max_tokens " + std::to_string(o.max_tokens)));
      }
      const ModelFile& file = m->model->file();
      constraint = std::make_shared<TokenConstraint>(
          std::move(*grammar), MakeGrammarVocabulary(m->tokenizer, file.metadata().tokenizer, m->model->config().vocab_size),
          m->end_ids);
      generate.constraint = constraint.get();
    }
    auto plan = PlanSession(*m, o);
    if (!plan.ok()) return FromStatus(plan.status());
    Pool pool = MakePool(o.threads);
    auto session = Session::Create(m->model, *plan, pool.get());
    if (!session.ok()) return FromStatus(session.status());
    // Brace-initialized through new: parenthesized aggregate initialization
    // (what make_shared would need) is missing from libc++ before 16.
    std::shared_ptr<SessionObject> object(new SessionObject{
        m, std::move(pool), std::move(*session), std::move(generate),
        o.system_prompt ? std::string(o.system_prompt) : m->model->file().metadata().chat.default_system_prompt,
        o.raw_prompt != 0, {}, std::move(constraint)});
    *out_session = MakeHandle<edgert_session>(Kind::kSession, std::move(object));
    return EDGERT_OK;
  });
}

edgert_status edgert_session_destroy(edgert_session session) {
  return Call([&] { return Unregister(reinterpret_cast<uintptr_t>(session), Kind::kSession); });
}

edgert_status edgert_generate(edgert_session session, const char* prompt, edgert_text_callback callback,
                              void* user_data, edgert_generation_stats* stats) {
  return Call([&] {
    EDGERT_C_CLAIM_SESSION(session, s, guard, "the session");
    if (prompt == nullptr) return Fail(EDGERT_ERR_INVALID_ARGUMENT, "edgert_generate: prompt is NULL");
    const std::vector<ChatMessage> messages = {{"user", prompt}};
    const std::string text = s->raw_prompt ? std::string(prompt) : RenderChatML(messages, s->system_prompt, true);
    return Generate(*s, text, callback, user_data, stats);
  });
}

edgert_status edgert_generate_chat(edgert_session session, const edgert_chat_message* messages, size_t count,
                                   edgert_text_callback callback, void* user_data, edgert_generation_stats* stats) {
  return Call([&] {
    EDGERT_C_CLAIM_SESSION(session, s, guard, "the session");
    if (messages == nullptr || count == 0) return Fail(EDGERT_ERR_INVALID_ARGUMENT, "edgert_generate_chat: no messages");
    std::vector<ChatMessage> chat;
    for (size_t i = 0; i < count; ++i) {
      const edgert_chat_message& m = messages[i];
      const std::string where = "edgert_generate_chat: messages[" + std::to_string(i) + "]";
      if (m.role == nullptr || m.content == nullptr) return Fail(EDGERT_ERR_INVALID_ARGUMENT, where + ": role or content is NULL");
      const std::string role = m.role;
      if (role != "system" && role != "user" && role != "assistant") {
        return Fail(EDGERT_ERR_INVALID_ARGUMENT, where + ": role '" + role + "' is not system, user or assistant");
      }
      chat.push_back({role, m.content});
    }
    return Generate(*s, RenderChatML(chat, s->system_prompt, true), callback, user_data, stats);
  });
}

edgert_status edgert_score(edgert_session session, const char* context, const char* text, double* out_log_likelihood,
                           int64_t* out_tokens) {
  return Call([&] {
    EDGERT_C_CLAIM_SESSION(session, s, guard, "the session");
    if (text == nullptr || out_log_likelihood == nullptr) {
      return Fail(EDGERT_ERR_INVALID_ARGUMENT, "edgert_score: text or out_log_likelihood is NULL");
    }
    std::vector<int32_t> ids = context ? s->model->tokenizer.Encode(context) : std::vector<int32_t>{};
    const size_t first = ids.size();
    const std::vector<int32_t> scored = s->model->tokenizer.Encode(text);
    ids.insert(ids.end(), scored.begin(), scored.end());
    auto r = ScoreTokens(s->session, ids, first);
    if (!r.ok()) return FromStatus(r.status().WithContext("edgert_score"));
    *out_log_likelihood = r->log_likelihood;
    if (out_tokens != nullptr) *out_tokens = r->tokens;
    return EDGERT_OK;
  });
}

edgert_status edgert_adapter_load(edgert_model model, const char* path, edgert_adapter* out_adapter) {
  return Call([&] {
    if (out_adapter == nullptr) return Fail(EDGERT_ERR_INVALID_ARGUMENT, "edgert_adapter_load: out_adapter is NULL");
    *out_adapter = nullptr;
    std::shared_ptr<const ModelObject> m;
    EDGERT_C_RETURN_IF_ERROR(Get(model, Kind::kModel, &m));
    if (path == nullptr) return Fail(EDGERT_ERR_INVALID_ARGUMENT, "edgert_adapter_load: path is NULL");
    auto adapter = LoadAdapter(path, m->model->file());
    if (!adapter.ok()) return FromStatus(adapter.status());
    auto object = std::make_shared<const AdapterObject>(
        AdapterObject{m, std::make_shared<const LoraAdapter>(std::move(*adapter))});
    *out_adapter = MakeHandle<edgert_adapter>(Kind::kAdapter, std::move(object));
    return EDGERT_OK;
  });
}

edgert_status edgert_adapter_destroy(edgert_adapter adapter) {
  return Call([&] { return Unregister(reinterpret_cast<uintptr_t>(adapter), Kind::kAdapter); });
}

edgert_status edgert_session_attach_adapter(edgert_session session, edgert_adapter adapter, float scale) {
  return Call([&] {
    EDGERT_C_CLAIM_SESSION(session, s, guard, "the session");
    std::shared_ptr<const AdapterObject> a;
    EDGERT_C_RETURN_IF_ERROR(Get(adapter, Kind::kAdapter, &a));
    EDGERT_C_RETURN_IF_ERROR(CheckAttachable(*s, *a, scale));
    bool found = false;
    for (auto& [attached, attached_scale] : s->adapters) {
      if (attached == a) attached_scale = scale, found = true;
    }
    if (!found) s->adapters.emplace_back(a, scale);
    ApplyAdapters(*s);
    return EDGERT_OK;
  });
}

edgert_status edgert_session_detach_adapter(edgert_session session, edgert_adapter adapter) {
  return Call([&] {
    EDGERT_C_CLAIM_SESSION(session, s, guard, "the session");
    std::shared_ptr<const AdapterObject> a;
    EDGERT_C_RETURN_IF_ERROR(Get(adapter, Kind::kAdapter, &a));
    const size_t before = s->adapters.size();
    std::erase_if(s->adapters, [&](const auto& entry) { return entry.first == a; });
    if (s->adapters.size() == before) return Fail(EDGERT_ERR_NOT_FOUND, "the adapter is not attached to this session");
    ApplyAdapters(*s);
    return EDGERT_OK;
  });
}

edgert_status edgert_session_set_adapter(edgert_session session, edgert_adapter adapter, float scale) {
  return Call([&] {
    EDGERT_C_CLAIM_SESSION(session, s, guard, "the session");
    std::shared_ptr<const AdapterObject> a;
    if (adapter != nullptr) {
      EDGERT_C_RETURN_IF_ERROR(Get(adapter, Kind::kAdapter, &a));
      EDGERT_C_RETURN_IF_ERROR(CheckAttachable(*s, *a, scale));
    }
    s->adapters.clear();
    if (a) s->adapters.emplace_back(a, scale);
    ApplyAdapters(*s);
    return EDGERT_OK;
  });
}

}  // extern "C"
