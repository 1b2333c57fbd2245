// runtime/generate/score.h: how likely a model finds a text (the C API's
// edgert_score; also what ranking candidates or perplexity needs).
#pragma once

#include <cstdint>
#include <span>

#include "base/status.h"
#include "runtime/model/session.h"

namespace edgert {

struct ScoreResult {
  double log_likelihood = 0;  // natural log, summed over the counted tokens
  int64_t tokens = 0;         // tokens counted
};

// Σ log p(ids[i] | ids[0..i)) for i >= max(first, 1), in a fresh
// conversation (the session is rewound to 0 first). Log-softmax in double
// over f32 logits. Runs the ids in chunks so only a chunk's logits
// ([chunk][vocab]) are ever held.
Result<ScoreResult> ScoreTokens(Session& session, std::span<const int32_t> ids, size_t first);

}  // namespace edgert
