// runtime/grammar/token_constraint.cc: the vocabulary trie and token masks.
#include "runtime/grammar/token_constraint.h"

#include <algorithm>
#include <functional>
#include <bit>
#include <limits>
#include <numeric>

namespace edgert {
namespace {

// Past this many automaton states a new generation starts from a fresh
// automaton (each state holds a 1 KiB transition table).
constexpr size_t kMaxAutomatonStates = 200000;
constexpr size_t kMaxCachedMasks = 2048;  // ~19 KiB each for Qwen's vocabulary
constexpr size_t kMaxByNeedEntries = size_t{4} << 20;  // 32 MiB of tight-budget lists

}  // namespace

TokenVocabulary::TokenVocabulary(std::vector<std::string> token_bytes_in) : bytes_(std::move(token_bytes_in)) {
  const std::vector<std::string>& token_bytes = bytes_;
  size_ = static_cast<int32_t>(token_bytes.size());
  std::vector<int32_t> ids;
  for (int32_t i = 0; i < size_; ++i) {
    if (!token_bytes[i].empty()) ids.push_back(i);
  }
  std::stable_sort(ids.begin(), ids.end(), [&](int32_t a, int32_t b) { return token_bytes[a] < token_bytes[b]; });
  // Sorted strings give the preorder directly: each string shares its
  // longest common prefix with the one before it.
  nodes_.push_back({0, 0, 0, 0, 0});
  std::vector<uint32_t> path = {0};  // node index at each depth of the current string
  auto close_to = [&](size_t depth) {
    while (path.size() > depth + 1) {
      nodes_[path.back()].end = static_cast<uint32_t>(nodes_.size());
      path.pop_back();
    }
  };
  std::string_view prev;
  std::vector<bool> single(256, false);
  for (int32_t id : ids) {
    const std::string_view s = token_bytes[id];
    if (s.size() == 1) single[static_cast<uint8_t>(s[0])] = true;
    size_t lcp = 0;
    while (lcp < s.size() && lcp < prev.size() && s[lcp] == prev[lcp]) ++lcp;
    close_to(std::min(lcp, path.size() - 1));
    for (size_t d = path.size() - 1; d < s.size(); ++d) {
      nodes_.push_back({static_cast<uint8_t>(s[d]), static_cast<uint16_t>(std::min<size_t>(d + 1, UINT16_MAX)), 0,
                        static_cast<uint32_t>(tokens_.size()), static_cast<uint32_t>(tokens_.size())});
      path.push_back(static_cast<uint32_t>(nodes_.size() - 1));
    }
    tokens_.push_back(id);
    nodes_[path.back()].tokens_end = static_cast<uint32_t>(tokens_.size());
    max_depth_ = std::max(max_depth_, static_cast<int>(s.size()));
    prev = s;
  }
  close_to(0);
  nodes_[0].end = static_cast<uint32_t>(nodes_.size());
  has_every_byte_ = std::all_of(single.begin(), single.end(), [](bool b) { return b; });
}

TokenConstraint::TokenConstraint(std::shared_ptr<const Grammar> grammar,
                                 std::shared_ptr<const TokenVocabulary> vocabulary, std::vector<int32_t> end_ids)
    : grammar_(std::move(grammar)), vocab_(std::move(vocabulary)), end_ids_(std::move(end_ids)) {
  automaton_ = std::make_unique<GrammarAutomaton>(grammar_);
  state_ = automaton_->start();
  walk_states_.assign(static_cast<size_t>(vocab_->max_depth_) + 1, 0);
}

void TokenConstraint::Reset() {
  if (automaton_->num_states() > kMaxAutomatonStates) {
    automaton_ = std::make_unique<GrammarAutomaton>(grammar_);
    masks_.clear();
  }
  state_ = automaton_->start();
}

// Calls on_token(id, state after it) for every token the grammar allows from
// `state`, in one pass over the preorder trie.
template <typename F>
void TokenConstraint::Walk(int32_t state, F&& on_token) {
  const auto& nodes = vocab_->nodes_;
  const auto& tokens = vocab_->tokens_;
  GrammarAutomaton& a = *automaton_;
  int32_t* states = walk_states_.data();
  states[0] = state;
  const uint32_t n = static_cast<uint32_t>(nodes.size());
  for (uint32_t i = 1; i < n;) {
    const TokenVocabulary::Node& node = nodes[i];
    const int32_t s = a.Next(states[node.depth - 1], node.byte);
    if (s == GrammarAutomaton::kDead) {
      i = node.end;
      continue;
    }
    states[node.depth] = s;
    for (uint32_t t = node.tokens_begin; t < node.tokens_end; ++t) on_token(tokens[t], s);
    ++i;
  }
}

const TokenConstraint::CachedMask& TokenConstraint::MaskFor(int32_t state) {
  if (auto it = masks_.find(state); it != masks_.end()) return it->second;
  if (masks_.size() >= kMaxCachedMasks) {
    masks_.clear();
    by_need_entries_ = 0;
  }
  CachedMask m;
  m.bits.assign((static_cast<size_t>(vocab_->size()) + 63) / 64, 0);
  Walk(state, [&](int32_t id, int32_t next) {
    m.bits[static_cast<size_t>(id) >> 6] |= uint64_t{1} << (id & 63);
    const uint32_t need = automaton_->MinBytes(next);
    m.max_next_min = std::max(m.max_next_min, need);
    m.min_next_min = std::min(m.min_next_min, need);
  });
  return masks_.emplace(state, std::move(m)).first->second;
}

void TokenConstraint::ApplyBits(std::span<float> logits, const std::vector<uint64_t>& bits) const {
  constexpr float kNegInf = -std::numeric_limits<float>::infinity();
  const size_t n = logits.size();
  float* p = logits.data();
  const size_t words = std::min(bits.size(), n / 64);
  for (size_t w = 0; w < words; ++w, p += 64) {
    const uint64_t keep = bits[w];
    if (keep == ~uint64_t{0}) continue;
    if (keep == 0) {
      std::fill_n(p, 64, kNegInf);
      continue;
    }
    for (uint64_t drop = ~keep; drop != 0; drop &= drop - 1) p[std::countr_zero(drop)] = kNegInf;
  }
  for (size_t i = words * 64; i < n; ++i) {
    const bool keep = i / 64 < bits.size() && ((bits[i / 64] >> (i % 64)) & 1u);
    if (!keep) logits[i] = kNegInf;
  }
}

void TokenConstraint::Mask(std::span<float> logits, int64_t remaining_tokens) {
  std::vector<float> end_logits;
  for (int32_t id : end_ids_) {
    end_logits.push_back(id >= 0 && static_cast<size_t>(id) < logits.size() ? logits[static_cast<size_t>(id)] : 0.0f);
  }
  // Tokens after this one: the state a token leads to must be finishable in as many bytes.
  const uint64_t after = remaining_tokens > 1 ? static_cast<uint64_t>(remaining_tokens - 1) : 0;
  const CachedMask& m = MaskFor(state_);
  if (m.max_next_min <= after) {
    ApplyBits(logits, m.bits);
  } else {
    // The budget binds: keep the tokens whose next state can still finish in
    // time (or, if the budget was too small from the start, those closest to
    // finishing): the cached mask minus the most demanding tokens.
    CachedMask& mm = masks_.find(state_)->second;
    if (!mm.has_by_need) {
      if (by_need_entries_ > kMaxByNeedEntries) {
        for (auto& [id, cached] : masks_) {
          cached.by_need = {};
          cached.has_by_need = false;
        }
        by_need_entries_ = 0;
      }
      const uint32_t here = automaton_->MinBytes(state_);
      Walk(state_, [&](int32_t id, int32_t next) {
        const uint32_t need = automaton_->MinBytes(next);
        if (need >= here) mm.by_need.emplace_back(need, id);
      });
      std::sort(mm.by_need.begin(), mm.by_need.end(), std::greater<>());
      mm.has_by_need = true;
      by_need_entries_ += mm.by_need.size();
    }
    // Accepted text can always end here (an end token), so then nothing may
    // overrun the budget; otherwise the closest tokens are the best left.
    const uint64_t limit = accepting() ? after : std::max<uint64_t>(after, mm.min_next_min);
    tight_bits_ = mm.bits;
    for (auto [need, id] : mm.by_need) {
      if (need <= limit) break;
      tight_bits_[static_cast<size_t>(id) >> 6] &= ~(uint64_t{1} << (id & 63));
    }
    ApplyBits(logits, tight_bits_);
  }
  const bool can_end = accepting();
  for (size_t i = 0; i < end_ids_.size(); ++i) {
    const int32_t id = end_ids_[i];
    if (id < 0 || static_cast<size_t>(id) >= logits.size()) continue;
    logits[static_cast<size_t>(id)] = can_end ? end_logits[i] : -std::numeric_limits<float>::infinity();
  }
}

Status TokenConstraint::Accept(int32_t token) {
  const std::string_view bytes = vocab_->bytes(token);
  const int32_t next = bytes.empty() ? GrammarAutomaton::kDead : automaton_->Walk(state_, bytes);
  if (next == GrammarAutomaton::kDead) {
    return InvalidArgument("token " + std::to_string(token) + " is not allowed here by the grammar " +
                           grammar_->source_name + " (expected " + automaton_->Expected(state_) + ")");
  }
  state_ = next;
  return OkStatus();
}

}  // namespace edgert
