// libFuzzer target: GBNF grammars come from users (edge-run --grammar FILE,
// the C API's session option). CompileGrammar on the bytes; when they
// compile, MatchText on pieces of the input itself and a short random walk
// of the automaton, so the matcher runs on every grammar the parser accepts.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "runtime/grammar/automaton.h"
#include "runtime/grammar/grammar.h"
#include "runtime/grammar/match.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto g = edgert::CompileGrammar(text, "fuzz.gbnf");
  if (!g.ok()) return 0;
  (void)edgert::MatchText(**g, text.substr(0, 512));
  (void)edgert::MatchText(**g, text.substr(text.size() / 2, 512));
  edgert::GrammarAutomaton a(*g);
  int32_t state = a.start();
  // Walk the bytes of the input that the grammar allows, head for the end.
  for (size_t i = 0; i < 256 && i < size; ++i) {
    const edgert::ByteSet allowed = a.Allowed(state);
    if (allowed.Empty()) break;
    uint8_t b = data[i];
    while (!allowed.Has(b)) ++b;  // wraps around: some byte is allowed
    const int32_t next = a.Next(state, b);
    if (next == edgert::GrammarAutomaton::kDead) __builtin_trap();  // Allowed() promised it
    state = next;
  }
  (void)a.Expected(state);
  return 0;
}
