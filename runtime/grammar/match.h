// runtime/grammar/match.h: is a text in a grammar's language, a prefix of
// one, or neither (and where it went wrong).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "runtime/grammar/grammar.h"

namespace edgert {

enum class MatchState {
  kAccepted,    // the whole text is in the language
  kIncomplete,  // a proper prefix of a text in the language (e.g. an unclosed brace)
  kRejected,    // not even a prefix
};

const char* MatchStateName(MatchState state);

struct MatchResult {
  MatchState state = MatchState::kRejected;
  size_t offset = 0;  // kRejected: the byte that no text of the language has there; else the text's size
  int line = 1;       // 1-based line of `offset`
  int column = 1;     // 1-based column of `offset`, in characters
  std::string expected;  // kRejected / kIncomplete: what could have come at `offset` ("'}', ';' or 'a'..'z'")
};

MatchResult MatchText(const Grammar& grammar, std::string_view text);

}  // namespace edgert
