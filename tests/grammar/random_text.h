// tests/grammar/random_text.h: random texts of a grammar's language, made by
// walking its automaton with random bytes, steering to an accepting state
// before `max_bytes` (the same budget rule constrained decoding uses).
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "runtime/grammar/automaton.h"

namespace edgert::testing {

// A text the grammar accepts, at most max(max_bytes, a.MinBytes(start)) bytes.
inline std::string RandomText(GrammarAutomaton& a, std::mt19937_64& rng, size_t max_bytes) {
  std::string text;
  int32_t state = a.start();
  std::vector<uint8_t> choices;
  for (;;) {
    const size_t left = max_bytes > text.size() ? max_bytes - text.size() : 0;
    // Stop at an accepting state now and then, and always when the budget is spent.
    if (a.Accepting(state) && (left == 0 || rng() % 16 == 0)) return text;
    choices.clear();
    const ByteSet allowed = a.Allowed(state);
    for (int b = 0; b < 256; ++b) {
      if (!allowed.Has(static_cast<uint8_t>(b))) continue;
      const int32_t next = a.Next(state, static_cast<uint8_t>(b));
      if (next == GrammarAutomaton::kDead) continue;
      // Keep the end reachable within the budget (or head straight for it).
      if (left == 0 ? a.MinBytes(next) < a.MinBytes(state) : a.MinBytes(next) <= left - 1) {
        choices.push_back(static_cast<uint8_t>(b));
      }
    }
    if (choices.empty()) return text;  // cannot happen with a checked grammar
    // Prefer ASCII so texts are readable; bytes >= 0x80 stay possible.
    uint8_t b = choices[rng() % choices.size()];
    if (b >= 0x80 && rng() % 4 != 0) b = choices[rng() % choices.size()];
    text.push_back(static_cast<char>(b));
    state = a.Next(state, b);
  }
}

}  // namespace edgert::testing
