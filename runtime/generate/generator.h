// runtime/generate/generator.h: the generation loop: prefill, then sample,
// decode and stream text until an end token, a stop string, the token limit or
// the end of the context.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "runtime/generate/sampler.h"
#include "runtime/grammar/token_constraint.h"
#include "runtime/model/session.h"
#include "runtime/tokenizer/tokenizer.h"

namespace edgert {

enum class StopReason { kEndToken, kStopString, kMaxTokens, kContextFull, kCancelled };
const char* StopReasonName(StopReason r);

struct GenerateOptions {
  SamplingOptions sampling;
  int64_t max_tokens = 256;
  std::vector<std::string> stop_strings;  // generation ends before the first one; it is not emitted
  std::vector<int32_t> end_ids;           // e.g. <|im_end|>, <|endoftext|>; not emitted
  // Grammar-constrained decoding when set (not owned; it must outlive the
  // call, and is Reset() at the start): only tokens the grammar allows are
  // sampled, end tokens only where the text is accepted, and the text is
  // brought to an accepted end within max_tokens. Its own end_ids should be
  // these. Generation ends (reason kEndToken) once nothing may follow.
  TokenConstraint* constraint = nullptr;
};

struct GenerateResult {
  std::vector<int32_t> ids;  // generated, without the end token
  std::string text;          // everything emitted through on_text
  StopReason reason = StopReason::kMaxTokens;
  int64_t prompt_tokens = 0;
  double prefill_seconds = 0, decode_seconds = 0;
};

// Appends `prompt_ids` to the session (which may already hold a conversation)
// and generates. `on_text` receives complete UTF-8 pieces as they are final
// (text that might begin a stop string is held back); returning false cancels.
// The sampler is given the session's history for the repetition penalty.
Result<GenerateResult> Generate(Session& session, const Tokenizer& tokenizer, std::span<const int32_t> prompt_ids,
                                const GenerateOptions& options, Sampler& sampler,
                                const std::function<bool(std::string_view)>& on_text);

// The end-token ids named by the model's chat defaults that the tokenizer knows.
std::vector<int32_t> EndTokenIds(const Tokenizer& tokenizer, std::span<const std::string> end_tokens);

}  // namespace edgert
