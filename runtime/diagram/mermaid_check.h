// runtime/diagram/mermaid_check.h: Mermaid validity by the project's grammar
// (runtime/grammar/grammars/mermaid.gbnf, the subset of Mermaid the constrained
// decoder produces and tests/mermaid proves the real mermaid parser accepts).
#pragma once

#include <string_view>

#include "base/status.h"
#include "runtime/diagram/diagram_check.h"

namespace edgert::diagram {

// Matches `text` (bare, no fence) against the built-in mermaid grammar. Invalid
// gives "line L, column C: unexpected X; expected Y" and its line; at_end when
// every byte was a prefix of a diagram of the grammar (an unclosed subgraph,
// a line cut short). Text outside the grammar's subset is invalid even where
// mermaid itself would take it, with one extension the grammar cannot express:
// a state diagram's `note left|right of X : text` is valid when an earlier line
// introduced X (mermaid draws only those). An error Status only if the
// built-in grammar cannot be had (a broken build).
Result<DiagramVerdict> CheckMermaid(std::string_view text);

}  // namespace edgert::diagram
