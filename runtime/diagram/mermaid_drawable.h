// runtime/diagram/mermaid_drawable.h: what mermaid parses but cannot draw, for
// reasons a context-free grammar cannot see (they depend on names used
// elsewhere in the diagram). CheckMermaid asks this after the grammar accepted
// the text. Reads text only; no grammar, no I/O.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace edgert::diagram {

struct DrawProblem {
  int line = 0;         // 1-based
  std::string message;  // says which name and why mermaid cannot draw it
};

// The first such problem in `text` (a diagram the mermaid grammar accepted), or
// nullopt. Three are known and checked:
//  - stateDiagram: a note on a state that no earlier line introduced (by a
//    transition, `X : text`, `state "..." as X` or `state X {`); a composite
//    state that names itself inside its braces;
//  - flowchart: a subgraph that would contain itself (its id used as a node in
//    its own body, or subgraphs holding each other).
//  - gantt: a timeline mermaid cannot lay out (gantt_timeline.h): a reference
//    to no task, references that never resolve, a bar ending before its start.
std::optional<DrawProblem> FindUndrawable(std::string_view text);

}  // namespace edgert::diagram
