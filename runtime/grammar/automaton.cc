// runtime/grammar/automaton.cc: stack expansion and state interning.
#include "runtime/grammar/automaton.h"

#include <algorithm>

namespace edgert {
namespace {

uint32_t AddSat(uint32_t a, uint32_t b) {
  return (a == kNeverFinishes || b == kNeverFinishes || a + b < a) ? kNeverFinishes : a + b;
}

std::string ByteText(int b) {
  if (b == '\n') return "'\\n'";
  if (b == '\t') return "'\\t'";
  if (b == '\r') return "'\\r'";
  if (b == '\'') return "'\\''";
  if (b >= 0x20 && b < 0x7F) return std::string("'") + static_cast<char>(b) + "'";
  static const char* kHex = "0123456789ABCDEF";
  return std::string("byte 0x") + kHex[b >> 4] + kHex[b & 15];
}

}  // namespace

size_t GrammarAutomaton::VecHash::operator()(const std::vector<int32_t>& v) const {
  uint64_t h = 1469598103934665603ull;
  for (int32_t x : v) h = (h ^ static_cast<uint32_t>(x)) * 1099511628211ull;
  return static_cast<size_t>(h ^ (h >> 29));
}

GrammarAutomaton::GrammarAutomaton(std::shared_ptr<const Grammar> grammar) : grammar_(std::move(grammar)) {
  nodes_.push_back({0, kBottom, 0});  // kAcceptNode: the empty stack
  std::vector<int32_t> stacks;
  std::vector<Continuation> todo;
  for (uint32_t alt : grammar_->rules[grammar_->start_rule].alternatives) todo.push_back({alt, kBottom});
  Expand(todo, stacks);
  start_ = MakeState(std::move(stacks));
}

int32_t GrammarAutomaton::Intern(uint32_t pos, int32_t parent) {
  const uint64_t key = (uint64_t{pos} << 32) | static_cast<uint32_t>(parent + 1);
  auto [it, inserted] = node_ids_.try_emplace(key, static_cast<int32_t>(nodes_.size()));
  if (inserted) {
    const uint32_t below = parent == kBottom ? 0 : nodes_[parent].min_bytes;
    nodes_.push_back({pos, parent, AddSat(grammar_->rest_min_bytes[pos], below)});
  }
  return it->second;
}

// Pushes the stacks that continue from each (element, frame below) in
// `todo`, each with a byte set on top (or the accept marker), into `out`.
// Iterative, so a long chain of rules cannot exhaust the call stack, and each
// (element, frame) is followed once per call: empty alternatives side by side
// would otherwise be walked once per combination.
void GrammarAutomaton::Expand(std::vector<Continuation>& todo, std::vector<int32_t>& out) {
  const Grammar& g = *grammar_;
  expanded_.clear();
  while (!todo.empty()) {
    auto [pos, parent] = todo.back();
    todo.pop_back();
    for (;;) {
      if (expanded_.size() >= kMaxExpansion) {
        // Pathological nullable nesting: keep what was found (every stack is
        // genuine, so accepted text stays in the language) and stop.
        truncated_ = true;
        todo.clear();
        break;
      }
      if (!expanded_.insert((uint64_t{pos} << 32) | static_cast<uint32_t>(parent + 1)).second) break;
      const GrammarElement& e = g.elements[pos];
      if (e.kind == GrammarElement::kBytes) {
        out.push_back(Intern(pos, parent));
        break;
      }
      if (e.kind == GrammarElement::kEnd) {
        if (parent == kBottom) {
          out.push_back(kAcceptNode);
          break;
        }
        pos = nodes_[parent].pos;
        parent = nodes_[parent].parent;
        continue;
      }
      // A rule reference. When it is the last element, its rule returns
      // straight to our parent (a tail call): repetition rules stay one frame deep.
      const int32_t ret = g.elements[pos + 1].kind == GrammarElement::kEnd ? parent : Intern(pos + 1, parent);
      const auto& alts = g.rules[e.value].alternatives;
      if (alts.empty()) break;  // cannot happen in a checked grammar
      for (size_t i = 0; i + 1 < alts.size(); ++i) todo.push_back({alts[i], ret});
      pos = alts.back();
      parent = ret;
    }
  }
}

int32_t GrammarAutomaton::MakeState(std::vector<int32_t> stacks) {
  if (stacks.empty()) return kDead;
  std::sort(stacks.begin(), stacks.end());
  stacks.erase(std::unique(stacks.begin(), stacks.end()), stacks.end());
  auto it = state_ids_.find(stacks);
  if (it != state_ids_.end()) return it->second;
  State s;
  s.accepting = stacks.front() == kAcceptNode;
  s.min_bytes = kNeverFinishes;
  for (int32_t n : stacks) s.min_bytes = std::min(s.min_bytes, nodes_[n].min_bytes);
  next_.resize(next_.size() + 256, kUnknown);
  s.stacks = stacks;
  const auto id = static_cast<int32_t>(states_.size());
  states_.push_back(std::move(s));
  state_ids_.emplace(std::move(stacks), id);
  return id;
}

int32_t GrammarAutomaton::Compute(int32_t state, uint8_t byte) {
  const Grammar& g = *grammar_;
  std::vector<int32_t> out;
  std::vector<Continuation> todo;
  for (int32_t n : states_[state].stacks) {
    if (n == kAcceptNode) continue;
    const Node node = nodes_[n];
    if (g.byte_sets[g.elements[node.pos].value].Has(byte)) todo.push_back({node.pos + 1, node.parent});
  }
  Expand(todo, out);
  return MakeState(std::move(out));
}

ByteSet GrammarAutomaton::Allowed(int32_t state) const {
  const Grammar& g = *grammar_;
  ByteSet all;
  for (int32_t n : states_[state].stacks) {
    if (n == kAcceptNode) continue;
    const ByteSet& s = g.byte_sets[g.elements[nodes_[n].pos].value];
    for (int i = 0; i < 4; ++i) all.bits[i] |= s.bits[i];
  }
  return all;
}

std::string GrammarAutomaton::Expected(int32_t state) const {
  const ByteSet all = Allowed(state);
  std::vector<std::string> items;
  for (int b = 0; b < 256;) {
    if (!all.Has(static_cast<uint8_t>(b))) {
      ++b;
      continue;
    }
    int e = b;
    while (e + 1 < 256 && all.Has(static_cast<uint8_t>(e + 1))) ++e;
    if (b >= 0x80) {
      items.push_back(b >= 0xC0 || e < 0xC0 ? "a non-ASCII character" : "the rest of a UTF-8 character");
      if (b < 0xC0 && e >= 0xC0) items.push_back("a non-ASCII character");
    } else {
      const int hi = std::min(e, 0x7F);
      items.push_back(b == hi ? ByteText(b) : ByteText(b) + ".." + ByteText(hi));
      if (e >= 0x80) items.push_back(e >= 0xC0 ? "a non-ASCII character" : "the rest of a UTF-8 character");
    }
    b = e + 1;
  }
  items.erase(std::unique(items.begin(), items.end()), items.end());
  if (states_[state].accepting) items.push_back("the end of the text");
  std::string out;
  const size_t shown = std::min<size_t>(items.size(), 12);
  for (size_t i = 0; i < shown; ++i) {
    if (i > 0) out += (i + 1 == items.size()) ? " or " : ", ";
    out += items[i];
  }
  if (shown < items.size()) out += ", ...";
  return out;
}

}  // namespace edgert
