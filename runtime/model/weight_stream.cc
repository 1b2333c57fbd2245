// runtime/model/weight_stream.cc: per-layer advice over the weight mapping.
#include "runtime/model/weight_stream.h"

#include <algorithm>

#include "ports/mapped_file.h"
#include "ports/memory.h"

namespace edgert {
namespace {

uint64_t Bytes(const WeightView& w) { return w.data == nullptr ? 0 : static_cast<uint64_t>(w.rows) * w.row_bytes(); }

// Every tensor of a layer; a tensor's advice is widened to whole pages, so
// each may hold one page more at either end.
std::vector<std::pair<const std::byte*, uint64_t>> LayerRanges(const LayerWeights& l) {
  std::vector<std::pair<const std::byte*, uint64_t>> r;
  for (const WeightView* w : {&l.input_norm, &l.q, &l.k, &l.v, &l.o, &l.q_bias, &l.k_bias, &l.v_bias, &l.post_norm,
                              &l.gate, &l.up, &l.down}) {
    if (w->data != nullptr) r.emplace_back(w->data, Bytes(*w));
  }
  return r;
}

uint64_t PagedBytes(const std::vector<std::pair<const std::byte*, uint64_t>>& ranges) {
  const uint64_t page = ports::PageSize();
  uint64_t b = 0;
  for (const auto& [p, n] : ranges) b += (n + 2 * page - 1) / page * page;
  return b;
}

}  // namespace

WeightStream::WeightStream(const ModelWeights& w) {
  for (const LayerWeights& l : w.layers) layers_.push_back(LayerRanges(l));
  if (w.embed.data != w.lm_head.data) embed_ = {w.embed.data, Bytes(w.embed)};
}

void WeightStream::Prefetch(int64_t layer) const {
  if (layer < 0 || layer >= static_cast<int64_t>(layers_.size())) return;
  for (const auto& [p, n] : layers_[static_cast<size_t>(layer)]) ports::AdviseRange(p, n, ports::AccessHint::kWillNeed);
}

void WeightStream::Release(int64_t layer) const {
  if (layer < 0 || layer >= static_cast<int64_t>(layers_.size())) return;
  for (const auto& [p, n] : layers_[static_cast<size_t>(layer)]) ports::AdviseRange(p, n, ports::AccessHint::kDontNeed);
}

void WeightStream::ReleaseEmbedding() const {
  if (embed_.first != nullptr) ports::AdviseRange(embed_.first, embed_.second, ports::AccessHint::kDontNeed);
}

namespace {

uint64_t WidestLayer(const ModelWeights& w) {
  uint64_t widest = 0;
  for (const LayerWeights& l : w.layers) widest = std::max(widest, PagedBytes(LayerRanges(l)));
  return widest;
}

}  // namespace

uint64_t WeightStream::ResidentBytes(const ModelWeights& w) {
  uint64_t head = PagedBytes({{w.lm_head.data, Bytes(w.lm_head)}, {w.final_norm.data, Bytes(w.final_norm)}});
  // An untied embedding is touched one row per token, then released: a
  // prompt's rows at most; count a layer's worth for it.
  if (w.embed.data != w.lm_head.data) head += WidestLayer(w);
  return head;
}

uint64_t WeightStream::WindowBytes(const ModelWeights& w) { return ResidentBytes(w) + 2 * WidestLayer(w); }

}  // namespace edgert
