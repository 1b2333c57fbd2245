// runtime/diagram/mermaid_check.h: Mermaid validity by the project's grammar
// (runtime/grammar/grammars/mermaid.gbnf: Mermaid as people write it, every
// text of which tests/mermaid shows the real mermaid parser accepts) and the
// drawing checks no grammar can make (mermaid_drawable.h).
#pragma once

#include <string_view>

#include "base/status.h"
#include "runtime/diagram/diagram_check.h"

namespace edgert::diagram {

// Matches `text` (bare, no fence) against the built-in mermaid grammar, then
// asks FindUndrawable (mermaid_drawable.h) for what mermaid parses but cannot
// draw. Invalid gives "line L, column C: unexpected X; expected Y" (or the
// drawing problem) and its line; at_end when every byte was a prefix of a
// diagram of the grammar (an unclosed subgraph, a line cut short). An error
// Status only if the built-in grammar cannot be had (a broken build).
Result<DiagramVerdict> CheckMermaid(std::string_view text);

}  // namespace edgert::diagram
