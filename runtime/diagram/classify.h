// runtime/diagram/classify.h: the verdict on a model's whole answer, as
// edge-eval counts it: valid, a syntax error (with the parser's position),
// incomplete (a valid prefix cut short: an unclosed brace, bracket or string),
// or no diagram found at all.
#pragma once

#include <string_view>

#include "base/status.h"
#include "runtime/diagram/diagram_check.h"
#include "runtime/diagram/extract.h"

namespace edgert::diagram {

enum class OutputClass { kValid, kSyntaxError, kIncomplete, kNoDiagram };
inline constexpr int kOutputClassCount = 4;

// "valid", "syntax_error", "incomplete", "no_diagram" (JSON) and the words a table shows.
const char* OutputClassName(OutputClass c);
const char* OutputClassLabel(OutputClass c);

struct Classification {
  OutputClass kind = OutputClass::kNoDiagram;
  ExtractedDiagram diagram;  // found=false for kNoDiagram
  DiagramVerdict verdict;    // the checker's, on diagram.source
};

// Extracts the diagram and checks it. An error means the check could not run
// (e.g. no Mermaid checker in this build), not that the output is invalid.
Result<Classification> ClassifyOutput(DiagramFormat format, std::string_view output);

}  // namespace edgert::diagram
