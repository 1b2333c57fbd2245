// runtime/diagram/diagram_check.h: is a generated diagram valid, and if not, why.
//
// One entry point for edge-eval and the C API. DOT is judged by Graphviz's own
// parser (dot_check.h); Mermaid by the project's grammar (mermaid_check.h): the
// subset of Mermaid the grammar describes, which the real mermaid parser is
// tested to accept (tests/mermaid).
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"

namespace edgert::diagram {

enum class DiagramFormat { kMermaid, kDot };

// "mermaid" / "dot" -> the format; anything else is an error naming what is accepted.
Result<DiagramFormat> ParseDiagramFormat(std::string_view name);
const char* DiagramFormatName(DiagramFormat format);

struct DiagramVerdict {
  bool valid = false;
  std::string message;  // the parser's own words when invalid; empty when valid
  int line = 0;         // 1-based line of the error when the parser gives one, else 0
  bool at_end = false;  // invalid only because the text ended: every token up to the end was
                        // accepted, so it is a prefix of a valid diagram (e.g. an unclosed brace)
};

// The verdict on `text` (the bare diagram source, no ``` fence). A Status error
// means the check itself could not run, not that the diagram is invalid.
Result<DiagramVerdict> CheckDiagram(DiagramFormat format, std::string_view text);

// The body of a ```mermaid / ```dot fenced block if `text` holds one, else `text`.
std::string_view StripFence(std::string_view text);

}  // namespace edgert::diagram
