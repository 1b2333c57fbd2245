// runtime/diagram/dot_check.h: DOT validity by Graphviz's own parser (cgraph).
#pragma once

#include <string_view>

#include "runtime/diagram/diagram_check.h"

namespace edgert::diagram {

// Parses `text` with cgraph's agmemread. Invalid DOT gives the parser's message
// ("syntax error in line 3 near '}'") and its line; at_end when the parser ran
// out of text rather than meeting a wrong token. Serialised internally:
// cgraph's error hook and line counter are process-global.
DiagramVerdict CheckDot(std::string_view text);

}  // namespace edgert::diagram
