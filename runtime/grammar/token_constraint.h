// runtime/grammar/token_constraint.h: grammar-constrained decoding over a
// whole vocabulary.
//
// TokenVocabulary is the tokens' byte strings as a trie, flattened in
// preorder (built once per tokenizer, immutable, shareable between threads).
// TokenConstraint walks that trie against the grammar's automaton: a subtree
// is skipped at the first byte the grammar refuses, and since automaton
// transitions are cached, most of a walk is array lookups. The set of tokens
// allowed in a grammar state is cached per state, so a position seen before
// (every character of a label, every new line of a diagram) costs only
// applying the mask to the logits.
//
// Always finishing: each grammar state knows the fewest bytes to acceptance,
// and every single byte is a token, so with R tokens left (this one included) a
// token is allowed only if the state after it can still be finished in R-1
// bytes. Once the text is accepted, the end tokens are allowed (and are the
// only choice when nothing may follow). A text can only be cut short if
// max_tokens is below the grammar's shortest text.
//
// Not thread-safe: one TokenConstraint per generating session.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/status.h"
#include "runtime/grammar/automaton.h"
#include "runtime/grammar/grammar.h"

namespace edgert {

class TokenVocabulary {
 public:
  // token_bytes[id]: the bytes token `id` decodes to; empty for ids never
  // generated under a grammar (special and added tokens, unused rows). Its
  // size is the logits' length.
  explicit TokenVocabulary(std::vector<std::string> token_bytes);

  int32_t size() const { return size_; }
  std::string_view bytes(int32_t id) const {
    return id >= 0 && id < size_ ? std::string_view(bytes_[static_cast<size_t>(id)]) : std::string_view();
  }
  // Every one-byte string is a token: any text can be spelled, which the
  // always-finish rule relies on.
  bool has_every_byte() const { return has_every_byte_; }
  size_t num_nodes() const { return nodes_.size(); }

 private:
  friend class TokenConstraint;
  struct Node {
    uint8_t byte;
    uint16_t depth;        // bytes from the root (the root is 0)
    uint32_t end;          // one past the last node of this subtree
    uint32_t tokens_begin; // this node's tokens: tokens_[tokens_begin, tokens_end)
    uint32_t tokens_end;
  };
  std::vector<Node> nodes_;     // preorder; nodes_[0] is the root
  std::vector<int32_t> tokens_; // token ids by node
  std::vector<std::string> bytes_;  // [size] each token's bytes
  int32_t size_ = 0;
  int max_depth_ = 0;
  bool has_every_byte_ = false;
};

class TokenConstraint {
 public:
  // `end_ids`: the tokens that end a generation (allowed only where the text
  // is accepted). The grammar and vocabulary are shared, not copied.
  TokenConstraint(std::shared_ptr<const Grammar> grammar, std::shared_ptr<const TokenVocabulary> vocabulary,
                  std::vector<int32_t> end_ids);

  // Back to the start of the grammar (a new generation). Cached masks stay.
  void Reset();
  // Sets to -infinity the logits of every token that may not come next.
  // `remaining_tokens`: how many tokens may still be generated, this one
  // included (at least 1). logits.size() must be the vocabulary's size.
  void Mask(std::span<float> logits, int64_t remaining_tokens);
  // Moves past a generated token; an error when the grammar refuses it.
  Status Accept(int32_t token);

  bool accepting() const { return automaton_->Accepting(state_); }
  // Accepted and nothing may follow: the generation is over.
  bool complete() const { return accepting() && automaton_->Allowed(state_).Empty(); }
  uint32_t min_bytes() const { return automaton_->MinBytes(state_); }
  const Grammar& grammar() const { return *grammar_; }

 private:
  struct CachedMask {
    std::vector<uint64_t> bits;  // [vocabulary size / 64, rounded up] allowed tokens
    uint32_t max_next_min = 0;   // the largest MinBytes after one allowed token
    uint32_t min_next_min = kNeverFinishes;  // the smallest
    // For a tight budget, made on first need: the allowed tokens that do not
    // bring the end closer (MinBytes after >= MinBytes here), as (MinBytes
    // after, id), most demanding first.
    std::vector<std::pair<uint32_t, int32_t>> by_need;
    bool has_by_need = false;
  };
  const CachedMask& MaskFor(int32_t state);
  template <typename F>
  void Walk(int32_t state, F&& on_token);
  void ApplyBits(std::span<float> logits, const std::vector<uint64_t>& bits) const;

  std::shared_ptr<const Grammar> grammar_;
  std::shared_ptr<const TokenVocabulary> vocab_;
  std::vector<int32_t> end_ids_;
  std::unique_ptr<GrammarAutomaton> automaton_;
  int32_t state_ = 0;
  std::unordered_map<int32_t, CachedMask> masks_;  // by automaton state
  std::vector<int32_t> walk_states_;               // [max token length + 1] during a walk
  std::vector<uint64_t> tight_bits_;               // a mask under a tight budget (not cached)
  size_t by_need_entries_ = 0;                     // over all cached masks (memory bound)
};

}  // namespace edgert
