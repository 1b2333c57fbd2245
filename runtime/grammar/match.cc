// runtime/grammar/match.cc: MatchText on a private automaton.
#include "runtime/grammar/match.h"

#include "runtime/grammar/automaton.h"

namespace edgert {

const char* MatchStateName(MatchState state) {
  switch (state) {
    case MatchState::kAccepted: return "accepted";
    case MatchState::kIncomplete: return "incomplete";
    case MatchState::kRejected: return "rejected";
  }
  return "unknown";
}

MatchResult MatchText(const Grammar& grammar, std::string_view text) {
  // The automaton keeps a shared_ptr; this one does not own the grammar.
  GrammarAutomaton a(std::shared_ptr<const Grammar>(&grammar, [](const Grammar*) {}));
  MatchResult r;
  int32_t state = a.start();
  for (size_t i = 0; i < text.size(); ++i) {
    const auto b = static_cast<uint8_t>(text[i]);
    const int32_t next = a.Next(state, b);
    if (next == GrammarAutomaton::kDead) {
      r.state = MatchState::kRejected;
      r.offset = i;
      r.expected = a.Expected(state);
      return r;
    }
    state = next;
    if (b == '\n') {
      ++r.line;
      r.column = 1;
    } else if ((b & 0xC0) != 0x80) {
      ++r.column;
    }
  }
  r.offset = text.size();
  if (a.Accepting(state)) {
    r.state = MatchState::kAccepted;
  } else {
    r.state = MatchState::kIncomplete;
    r.expected = a.Expected(state);
  }
  return r;
}

}  // namespace edgert
