// runtime/diagram/extract.h: finding the diagram in a model's output.
//
// A model answers with a fenced block (```mermaid / ```dot / ``` ... ```), a bare
// diagram, or neither. Pure text work: no parser runs here.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "runtime/diagram/diagram_check.h"

namespace edgert::diagram {

struct ExtractedDiagram {
  bool found = false;
  bool fenced = false;       // came from a ``` block
  bool fence_closed = false; // the block's closing ``` was there
  std::string source;        // the diagram text, without the fence
  size_t offset = 0;         // byte offset of `source` in the output
};

// The first ``` block whose info string is empty or names `format` ("dot" and
// "graphviz"/"gv" for DOT), running to its closing fence or the end of the text;
// else a bare diagram: for DOT `[strict] (di)graph [ID] {` up to its matching
// brace (strings, HTML labels and comments skipped) or the end; for Mermaid the
// first line that starts with a diagram keyword ("flowchart LR", "graph TD",
// "sequenceDiagram", ...) up to the end. found=false when there is neither.
ExtractedDiagram ExtractDiagram(DiagramFormat format, std::string_view output);

}  // namespace edgert::diagram
