// runtime/model/weight_stream.h: weights streamed by layer, for budgets below
// the model's size.
//
// The weights stay clean pages of the file mapping; streaming only advises the
// OS: read the next layer ahead (MADV_WILLNEED) and drop a finished layer's
// pages from our resident set (MADV_DONTNEED on a read-only file mapping
// unmaps them; nothing is written or swapped, and they come back from the
// page cache or the file on next use). The LM head (and the tied embedding)
// is used on every token and every step, so it stays resident. Nothing here
// allocates; it may not touch anything but the mapping's advice.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "runtime/model/weights.h"

namespace edgert {

class WeightStream {
 public:
  explicit WeightStream(const ModelWeights& weights);

  // Start reading layer `layer` (ignored outside 0..layers-1).
  void Prefetch(int64_t layer) const;
  // Drop layer `layer`'s pages from the resident set.
  void Release(int64_t layer) const;
  // Drop the embedding when it is not the LM head (used only to gather rows).
  void ReleaseEmbedding() const;

  // Bytes resident at most while streaming: the LM head and final norm, two
  // layers (the one in use and the next being read), and the embedding's
  // page-rounded tensors; the planner's figure for streamed weights.
  static uint64_t WindowBytes(const ModelWeights& weights);
  // Of which the part that stays resident between passes (LM head, final
  // norm, an untied embedding's share): what is left once every layer is released.
  static uint64_t ResidentBytes(const ModelWeights& weights);

 private:
  using Range = std::pair<const std::byte*, uint64_t>;
  std::vector<std::vector<Range>> layers_;  // [layers][tensors of the layer]
  Range embed_{nullptr, 0};                 // empty when tied to the LM head
};

}  // namespace edgert
