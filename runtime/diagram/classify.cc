// runtime/diagram/classify.cc: extraction, then the format's checker.
#include "runtime/diagram/classify.h"

namespace edgert::diagram {

const char* OutputClassName(OutputClass c) {
  switch (c) {
    case OutputClass::kValid: return "valid";
    case OutputClass::kSyntaxError: return "syntax_error";
    case OutputClass::kIncomplete: return "incomplete";
    case OutputClass::kNoDiagram: return "no_diagram";
  }
  return "?";
}

const char* OutputClassLabel(OutputClass c) {
  switch (c) {
    case OutputClass::kValid: return "valid";
    case OutputClass::kSyntaxError: return "syntax error";
    case OutputClass::kIncomplete: return "incomplete";
    case OutputClass::kNoDiagram: return "no diagram found";
  }
  return "?";
}

Result<Classification> ClassifyOutput(DiagramFormat format, std::string_view output) {
  Classification c;
  c.diagram = ExtractDiagram(format, output);
  if (!c.diagram.found) return c;
  EDGERT_ASSIGN_OR_RETURN(c.verdict, CheckDiagram(format, c.diagram.source));
  c.kind = c.verdict.valid ? OutputClass::kValid : c.verdict.at_end ? OutputClass::kIncomplete : OutputClass::kSyntaxError;
  return c;
}

}  // namespace edgert::diagram
