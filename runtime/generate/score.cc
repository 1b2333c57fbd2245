// runtime/generate/score.cc
#include "runtime/generate/score.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace edgert {
namespace {

constexpr size_t kChunk = 64;  // tokens per forward call: 64 x vocab f32 logits (39 MB at 151,936)

double LogSoftmaxAt(std::span<const float> row, int32_t id) {
  const float mx = *std::max_element(row.begin(), row.end());
  double z = 0;
  for (float v : row) z += std::exp(static_cast<double>(v) - mx);
  return static_cast<double>(row[static_cast<size_t>(id)]) - mx - std::log(z);
}

}  // namespace

Result<ScoreResult> ScoreTokens(Session& session, std::span<const int32_t> ids, size_t first) {
  const auto vocab = static_cast<size_t>(session.model().config().vocab_size);
  if (static_cast<int64_t>(ids.size()) > session.context_length()) {
    return OutOfRange(std::to_string(ids.size()) + " tokens do not fit the session's context of " +
                      std::to_string(session.context_length()));
  }
  for (int32_t id : ids) {
    if (id < 0 || static_cast<size_t>(id) >= vocab) return OutOfRange("token id " + std::to_string(id) + " is not in the vocabulary");
  }
  EDGERT_RETURN_IF_ERROR(session.Rewind(0));
  ScoreResult r;
  first = std::max<size_t>(first, 1);
  // Position i's logits predict ids[i + 1]: only positions >= first - 1 matter.
  const size_t skip = std::min(first - 1, ids.size());
  if (skip > 0) EDGERT_RETURN_IF_ERROR(session.Forward(ids.subspan(0, skip), {}));
  std::vector<float> logits(kChunk * vocab);
  for (size_t at = skip; at + 1 < ids.size(); at += kChunk) {
    const size_t n = std::min(kChunk, ids.size() - 1 - at);
    EDGERT_RETURN_IF_ERROR(session.Forward(ids.subspan(at, n), {}, std::span(logits).first(n * vocab)));
    for (size_t j = 0; j < n; ++j) {
      r.log_likelihood += LogSoftmaxAt(std::span<const float>(logits).subspan(j * vocab, vocab), ids[at + j + 1]);
      ++r.tokens;
    }
  }
  return r;
}

}  // namespace edgert
