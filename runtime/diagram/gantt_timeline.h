// runtime/diagram/gantt_timeline.h: a gantt chart's timeline as mermaid works
// it out, to find the charts mermaid parses and then draws with negative bar
// widths or NaN positions. No context-free grammar can see these, because a
// task's start may come from another line (`after id`, the previous task):
//  - references that never resolve (a cycle of `after`s): drawn at NaN;
//  - a bar that ends before it starts: a negative width, or when mermaid's
//    pixel rounding or a reversed axis hides it, a bar drawn wrongly; refused
//    either way. Milestones have a fixed width and are exempt.
// As in mermaid, an `after`/`until` naming no task stands for today's
// midnight, so for a YYYY-MM-DD chart with such a reference the verdict
// depends on the day it is given (as mermaid's drawing does).
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
