// runtime/grammar/grammar.h: GBNF grammars, compiled once, for constrained
// decoding and for checking text (match.h).
//
// The language is llama.cpp's GBNF: rules `name ::= ...` (names of letters,
// digits, '-' and '_'), the start rule `root`, alternation `|`, grouping
// `( )`, repetition `* + ?` and `{m}` `{m,}` `{m,n}` `{,n}`, string literals
// "..." with escapes (\n \r \t \\ \" \[ \] \xHH \uHHHH \UHHHHHHHH), character
// classes `[a-z]` and negated `[^...]` over Unicode code points, `.` for any
// character, `#` comments. A rule ends at the end of its line unless a group is
// open or the next line starts with `|`.
//
// Compiling lowers everything to bytes: a character class becomes the UTF-8
// byte sequences of its code points, so the matcher and the token masks work
// on the bytes tokens are made of, and every text the grammar accepts is valid
// UTF-8. A compiled grammar is checked: undefined and duplicate rules, left
// recursion (which the matcher cannot run) and rules that can never finish
// (no finite derivation) are errors "SOURCE:LINE:COL: what: why".
//
// Built-in grammars are the files runtime/grammar/grammars/NAME.gbnf, embedded
// at build time (every *.gbnf there). Each built-in NAME also exists as
// NAME-fenced: "```NAME\n" NAME's root "\n```", the fenced block instruction
// data sets use (unless a file NAME-fenced.gbnf says otherwise).
//
// Only base/ is used here; a Grammar is immutable and may be shared between
// threads.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace edgert {

// A set of bytes, one bit each.
struct ByteSet {
  std::array<uint64_t, 4> bits{};
  bool Has(uint8_t b) const { return (bits[b >> 6] >> (b & 63)) & 1u; }
  void Add(uint8_t b) { bits[b >> 6] |= uint64_t{1} << (b & 63); }
  void AddRange(uint8_t lo, uint8_t hi) {
    for (int b = lo; b <= hi; ++b) Add(static_cast<uint8_t>(b));
  }
  bool Empty() const { return (bits[0] | bits[1] | bits[2] | bits[3]) == 0; }
};

// One step of an alternative: the end of the alternative, a reference to a
// rule, or one byte out of a set.
struct GrammarElement {
  enum Kind : uint8_t { kEnd, kRule, kBytes };
  Kind kind = kEnd;
  uint32_t value = 0;  // kRule: the rule's index; kBytes: index into Grammar::byte_sets
};

inline constexpr uint32_t kNeverFinishes = UINT32_MAX;

// The most symbols (bytes and rule references) a grammar may have once its
// repetitions and character classes are expanded: about 16 MiB while
// compiling. Larger grammars are refused with a message naming this limit.
inline constexpr size_t kMaxGrammarSymbols = size_t{1} << 20;

struct GrammarRule {
  std::string name;                  // generated rules are "name~N" after the rule they help
  std::vector<uint32_t> alternatives; // index of each alternative's first element in Grammar::elements
  int line = 0, column = 0;          // where it was defined (or the construct it was generated for)
  uint32_t min_bytes = 0;            // fewest bytes any text of this rule has
};

struct Grammar {
  std::string source_name;
  std::vector<GrammarElement> elements;  // every alternative's elements, each run ending with kEnd
  std::vector<uint32_t> rest_min_bytes;  // [elements.size()] fewest bytes from this element to its kEnd
  std::vector<ByteSet> byte_sets;
  std::vector<GrammarRule> rules;
  uint32_t start_rule = 0;               // `root`, or the fenced form's start
  uint32_t min_bytes() const { return rules[start_rule].min_bytes; }
};

// Compiles GBNF text; `source_name` (a file name) starts every error message.
Result<std::shared_ptr<const Grammar>> CompileGrammar(std::string_view gbnf_text, std::string_view source_name);

// Constrained decoding always finishes a text of `grammar` within
// `max_tokens` only when the budget covers its shortest text at one token a
// byte (every byte is a token; longer tokens only help). A smaller budget is
// an error naming the minimum, so a generation is refused up front instead of
// ending cut short ("at least 11 tokens: the shortest text of ... is 11 bytes").
Status CheckTokenBudget(const Grammar& grammar, int64_t max_tokens);

// A built-in grammar by name ("json", "dot", "dot-fenced", ...), compiled once
// per process and shared.
Result<std::shared_ptr<const Grammar>> BuiltinGrammar(std::string_view name);

// The names of the built-in grammars, sorted, fenced forms included.
std::vector<std::string> BuiltinGrammarNames();

// A built-in name, or the path of a .gbnf file (anything with a '/' or ending
// in ".gbnf"); errors name the file.
Result<std::shared_ptr<const Grammar>> LoadGrammar(std::string_view name_or_path);

}  // namespace edgert
