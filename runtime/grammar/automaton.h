// runtime/grammar/automaton.h: a grammar run one byte at a time, as a lazily
// built deterministic automaton.
//
// A matcher position is the set of parse stacks the bytes so far allow (as in
// llama.cpp's grammar sampler), each stack a chain of frames interned in a
// tree, so a set of stacks is a sorted vector of ids and equal positions get
// the same state id. Transitions are computed on first use and remembered, so
// text that passes through the same position twice (every character of a
// string, every line of a diagram) costs one table lookup per byte.
//
// Not thread-safe: one automaton per generation loop (or per thread). The
// grammar must outlive it. Memory grows with the distinct positions visited.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "runtime/grammar/grammar.h"

namespace edgert {

class GrammarAutomaton {
 public:
  static constexpr int32_t kDead = -1;

  explicit GrammarAutomaton(std::shared_ptr<const Grammar> grammar);

  const Grammar& grammar() const { return *grammar_; }
  int32_t start() const { return start_; }

  // The state after `byte`, or kDead when no text of the language continues so.
  int32_t Next(int32_t state, uint8_t byte) {
    const size_t at = (static_cast<size_t>(state) << 8) | byte;
    int32_t next = next_[at];
    if (next == kUnknown) {
      next = Compute(state, byte);  // may grow next_
      next_[at] = next;
    }
    return next;
  }
  // Every byte consumed, or kDead.
  int32_t Walk(int32_t state, std::string_view bytes) {
    for (char c : bytes) {
      if (state == kDead) break;
      state = Next(state, static_cast<uint8_t>(c));
    }
    return state;
  }
  bool Accepting(int32_t state) const { return states_[state].accepting; }
  // Fewest bytes that bring this state to an accepting one.
  uint32_t MinBytes(int32_t state) const { return states_[state].min_bytes; }
  // The bytes that do not lead to kDead.
  ByteSet Allowed(int32_t state) const;
  // "'}', ';', 'a'..'z' or end of text": what may come next, for messages.
  std::string Expected(int32_t state) const;
  size_t num_states() const { return states_.size(); }
  // Some position had more than kMaxExpansion (element, frame) pairs to
  // follow, and only the first were kept. Only grammars that nest empty-able
  // repetitions or sequences (("a"?){0,1000}){0,1000} get there, where the
  // stacks multiply per level: the automaton then accepts a subset of the
  // language (never text outside it) instead of running out of memory.
  bool truncated() const { return truncated_; }
  static constexpr size_t kMaxExpansion = size_t{1} << 20;  // far above what grammars without such nesting need

 private:
  static constexpr int32_t kUnknown = -2;
  static constexpr int32_t kBottom = -1;  // below the last frame
  static constexpr int32_t kAcceptNode = 0;

  struct Node {
    uint32_t pos;       // element index: a kBytes element on top, the return position below
    int32_t parent;     // node id or kBottom
    uint32_t min_bytes; // fewest bytes to empty this stack
  };
  struct State {
    std::vector<int32_t> stacks;  // sorted node ids; kAcceptNode when the text may end here
    bool accepting = false;
    uint32_t min_bytes = 0;
  };
  struct VecHash {
    size_t operator()(const std::vector<int32_t>& v) const;
  };

  struct Continuation {
    uint32_t pos;    // element index
    int32_t parent;  // node id below it, or kBottom
  };
  int32_t Intern(uint32_t pos, int32_t parent);
  void Expand(std::vector<Continuation>& todo, std::vector<int32_t>& out);  // empties todo
  int32_t MakeState(std::vector<int32_t> stacks);
  int32_t Compute(int32_t state, uint8_t byte);

  std::shared_ptr<const Grammar> grammar_;
  std::vector<Node> nodes_;
  std::unordered_map<uint64_t, int32_t> node_ids_;
  std::vector<State> states_;
  std::vector<int32_t> next_;  // [states][256] transitions, kUnknown until computed
  std::unordered_map<std::vector<int32_t>, int32_t, VecHash> state_ids_;
  std::vector<int32_t> scratch_;
  std::unordered_set<uint64_t> expanded_;  // Expand's (element, parent) already followed
  int32_t start_ = kDead;
  bool truncated_ = false;
};

}  // namespace edgert
