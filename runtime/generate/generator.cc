// runtime/generate/generator.cc: the generation loop.
#include "runtime/generate/generator.h"

#include <algorithm>
#include <chrono>

namespace edgert {
namespace {

using Clock = std::chrono::steady_clock;

// How many trailing bytes of `text` could be the start of a stop string, and
// so must wait for the next piece before they are emitted.
size_t HeldBackBytes(std::string_view text, const std::vector<std::string>& stops) {
  size_t hold = 0;
  for (const std::string& s : stops) {
    for (size_t len = std::min(s.size() - 1, text.size()); len > hold; --len) {
      if (text.substr(text.size() - len) == std::string_view(s).substr(0, len)) {
        hold = len;
        break;
      }
    }
  }
  return hold;
}

}  // namespace

const char* StopReasonName(StopReason r) {
  switch (r) {
    case StopReason::kEndToken: return "end token";
    case StopReason::kStopString: return "stop string";
    case StopReason::kMaxTokens: return "max tokens";
    case StopReason::kContextFull: return "context full";
    case StopReason::kCancelled: return "cancelled";
  }
  return "unknown";
}

std::vector<int32_t> EndTokenIds(const Tokenizer& tokenizer, std::span<const std::string> end_tokens) {
  std::vector<int32_t> ids;
  for (const std::string& t : end_tokens) {
    if (auto id = tokenizer.FindToken(t)) ids.push_back(*id);
  }
  return ids;
}

Result<GenerateResult> Generate(Session& session, const Tokenizer& tokenizer, std::span<const int32_t> prompt_ids,
                                const GenerateOptions& options, Sampler& sampler,
                                const std::function<bool(std::string_view)>& on_text) {
  GenerateResult r;
  r.prompt_tokens = static_cast<int64_t>(prompt_ids.size());
  const ModelConfig& c = session.model().config();
  std::vector<float> logits(static_cast<size_t>(c.vocab_size));
  if (session.position() + static_cast<int64_t>(prompt_ids.size()) >= session.context_length()) {
    return OutOfRange("the prompt (" + std::to_string(prompt_ids.size()) + " tokens at position " +
                      std::to_string(session.position()) + ") does not fit the context of " +
                      std::to_string(session.context_length()) + " tokens");
  }
  // Room for every token the context can still take, so the loop below does
  // not grow them token by token.
  const auto most = static_cast<size_t>(std::clamp<int64_t>(
      options.max_tokens, 0, session.context_length() - session.position() - static_cast<int64_t>(prompt_ids.size())));
  std::vector<int32_t> history;
  history.reserve(prompt_ids.size() + most);
  history.assign(prompt_ids.begin(), prompt_ids.end());
  r.ids.reserve(most);
  const auto t0 = Clock::now();
  EDGERT_RETURN_IF_ERROR(session.Forward(prompt_ids, logits));
  const auto t1 = Clock::now();
  r.prefill_seconds = std::chrono::duration<double>(t1 - t0).count();

  StreamingDecoder decoder(tokenizer);
  std::string pending;  // decoded but not yet emitted
  auto emit = [&](size_t n) -> bool {
    if (n == 0) return true;
    const std::string_view piece(pending.data(), n);
    r.text.append(piece);
    const bool go_on = !on_text || on_text(piece);
    pending.erase(0, n);
    return go_on;
  };

  r.reason = StopReason::kMaxTokens;
  if (options.constraint != nullptr) options.constraint->Reset();
  for (int64_t step = 0; step < options.max_tokens; ++step) {
    if (options.constraint != nullptr) {
      if (options.constraint->complete()) {
        r.reason = StopReason::kEndToken;
        break;
      }
      options.constraint->Mask(logits, options.max_tokens - step);
    }
    const int32_t next = sampler.Sample(logits, history);
    if (std::find(options.end_ids.begin(), options.end_ids.end(), next) != options.end_ids.end()) {
      r.reason = StopReason::kEndToken;
      break;
    }
    if (options.constraint != nullptr) EDGERT_RETURN_IF_ERROR(options.constraint->Accept(next));
    r.ids.push_back(next);
    history.push_back(next);
    pending += decoder.Push(next);
    bool stopped = false;
    for (const std::string& s : options.stop_strings) {
      const size_t at = pending.find(s);
      if (!s.empty() && at != std::string::npos) {
        emit(at);
        r.reason = StopReason::kStopString;
        stopped = true;
        break;
      }
    }
    if (stopped) break;
    if (!emit(pending.size() - HeldBackBytes(pending, options.stop_strings))) {
      r.reason = StopReason::kCancelled;
      break;
    }
    // Every kept token enters the cache, the last one too, so a conversation
    // can go on from exactly what was said.
    if (session.position() >= session.context_length()) {
      r.reason = StopReason::kContextFull;
      break;
    }
    EDGERT_RETURN_IF_ERROR(session.Forward(std::span(&next, 1), logits));
  }
  if (r.reason != StopReason::kStopString && r.reason != StopReason::kCancelled) {
    pending += decoder.Flush();
    emit(pending.size());
  }
  r.decode_seconds = std::chrono::duration<double>(Clock::now() - t1).count();
  return r;
}

}  // namespace edgert
