// libFuzzer target: grammars that are large rather than malformed (issue 23:
// a 20,000-rule chain overflowed the stack, 100,000 rules took minutes). The
// input picks a shape and its sizes; the grammar is generated, compiled, and
// when it compiles, matched against a short text and budget-checked. Every
// outcome must be a value: a grammar, or an error naming what was wrong.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "runtime/grammar/grammar.h"
#include "runtime/grammar/match.h"

namespace {

std::string Rule(int k) { return "r" + std::to_string(k); }

// rK ::= rK+1 [| "x"], optionally closing back to r0 (left recursion).
std::string Chain(FuzzedDataProvider& in) {
  const int n = in.ConsumeIntegralInRange<int>(1, 100000);  // the 100,000; more only runs slower under the sanitizers
  const bool exit = in.ConsumeBool(), loop = in.ConsumeBool();
  std::string g = "root ::= r0\n";
  for (int k = 0; k < n; ++k) g.append(Rule(k)).append(" ::= ").append(Rule(k + 1)).append(exit ? " | \"x\"\n" : "\n");
  g.append(Rule(n)).append(loop ? " ::= r0 | \"y\"\n" : " ::= \"y\"\n");
  return g;
}

// Nested groups, each repeated {m,n}: expansion multiplies.
std::string Nested(FuzzedDataProvider& in) {
  const int depth = in.ConsumeIntegralInRange<int>(1, 250);
  std::string open, close;
  for (int d = 0; d < depth; ++d) {
    open += "(";
    close += "){" + std::to_string(in.ConsumeIntegralInRange<int>(0, 1000)) + "," +
             std::to_string(in.ConsumeIntegralInRange<int>(1000, 1100)) + "}";
  }
  return "root ::= " + open + "\"ab\"" + close + "\n";
}

// Many nullable symbols side by side, then a byte.
std::string Nullables(FuzzedDataProvider& in) {
  const int n = in.ConsumeIntegralInRange<int>(1, 5000);
  std::string g = "root ::=";
  for (int i = 0; i < n; ++i) g += " e";
  return g + " \"a\"\ne ::= \"\" | \"\" | \"b\"?\n";
}

// One huge literal or class run.
std::string Literal(FuzzedDataProvider& in) {
  const size_t n = in.ConsumeIntegralInRange<size_t>(1, size_t{3} << 20);
  return "root ::= \"" + std::string(n, 'a') + "\" [a-z\\u0100-\\U0010FFFF]{0,1000}\n";
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  std::string text;
  switch (in.ConsumeIntegralInRange<int>(0, 3)) {
    case 0: text = Chain(in); break;
    case 1: text = Nested(in); break;
    case 2: text = Nullables(in); break;
    default: text = Literal(in); break;
  }
  auto g = edgert::CompileGrammar(text, "size.gbnf");
  if (!g.ok()) {
    if (g.status().message().empty()) __builtin_trap();  // an error must say what
    return 0;
  }
  (void)edgert::MatchText(**g, in.ConsumeRandomLengthString(64));
  (void)edgert::CheckTokenBudget(**g, in.ConsumeIntegral<int64_t>());
  return 0;
}
