// runtime/grammar/gbnf_parser.h: GBNF text to rules of byte sets and rule
// references. Repetition, groups and multi-byte characters become generated
// rules here; checks that need the whole grammar are in grammar.cc.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "runtime/grammar/grammar.h"

namespace edgert::grammar_internal {

struct Symbol {
  bool is_rule = false;
  uint32_t value = 0;  // rule index, or byte set index
};

struct ParsedRule {
  std::string name;
  std::vector<std::vector<Symbol>> alternatives;
  bool defined = false;
  bool generated = false;        // made for a group, a repetition or a character class
  int line = 0, column = 0;      // definition, or for a generated rule the construct
  int ref_line = 0, ref_column = 0;  // the first reference (for "undefined rule")
};

struct ParsedGrammar {
  std::vector<ParsedRule> rules;
  std::vector<ByteSet> byte_sets;
};

// Errors: "SOURCE:LINE:COL: expected ...". Rules may be used before they are
// defined; undefined ones are left with defined=false for the caller to report.
Result<ParsedGrammar> ParseGbnf(std::string_view text, std::string_view source_name);

}  // namespace edgert::grammar_internal
