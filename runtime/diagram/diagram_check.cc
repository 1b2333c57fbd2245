#include "runtime/diagram/diagram_check.h"

#include "runtime/diagram/dot_check.h"
#include "runtime/diagram/mermaid_check.h"

namespace edgert::diagram {

Result<DiagramFormat> ParseDiagramFormat(std::string_view name) {
  if (name == "mermaid") return DiagramFormat::kMermaid;
  if (name == "dot") return DiagramFormat::kDot;
  return InvalidArgument("unknown diagram format '" + std::string(name) + "' (expected mermaid or dot)");
}

const char* DiagramFormatName(DiagramFormat format) {
  return format == DiagramFormat::kMermaid ? "mermaid" : "dot";
}

Result<DiagramVerdict> CheckDiagram(DiagramFormat format, std::string_view text) {
  switch (format) {
    case DiagramFormat::kDot:
      return CheckDot(StripFence(text));
    case DiagramFormat::kMermaid:
      return CheckMermaid(StripFence(text));
  }
  return Internal("unknown diagram format");
}

std::string_view StripFence(std::string_view text) {
  size_t open = text.find("```");
  if (open == std::string_view::npos) return text;
  size_t body = text.find('\n', open);
  if (body == std::string_view::npos) return text;
  ++body;
  size_t close = text.find("```", body);
  if (close == std::string_view::npos) return text.substr(body);  // unclosed: the rest is the body
  return text.substr(body, close - body);
}

}  // namespace edgert::diagram
