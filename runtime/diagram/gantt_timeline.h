// runtime/diagram/gantt_timeline.h: a gantt chart's timeline as mermaid works
// it out, to find the charts mermaid parses and then draws with negative bar
// widths or NaN positions. No context-free grammar can see these, because a
// task's start may come from another line (`after id`, the previous task):
//  - `after id` / `until id` naming no task of the chart: mermaid then uses
//    today's midnight, unless a chart drawn before on the same page had a task
//    of that id (mermaid 11 keeps its id table across diagrams, and the
//    reference then lands on whichever task of this chart has that position);
//    the drawing depends on things outside the text, so it is refused;
//  - references that never resolve (a cycle of `after`s): drawn at NaN;
//  - a bar that ends before it starts: a negative width, or when mermaid's
//    pixel rounding or a reversed axis hides it, a bar drawn wrongly; refused
//    either way. Milestones have a fixed width and are exempt.
// Reads text only; the grammar has checked the form (dateFormat YYYY-MM-DD or
// HH:mm, no `excludes` in HH:mm charts).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace edgert::diagram {

struct GanttProblem {
  int line = 0;  // 1-based
  std::string message;
};

// `lines`: the chart's lines, the `gantt` header first.
std::optional<GanttProblem> FindGanttTimelineProblem(const std::vector<std::string_view>& lines);

}  // namespace edgert::diagram
