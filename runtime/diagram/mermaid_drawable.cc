#include "runtime/diagram/mermaid_drawable.h"

#include "runtime/diagram/gantt_timeline.h"

#include <functional>
#include <map>
#include <set>
#include <vector>

namespace edgert::diagram {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == ';')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == ';')) s.remove_suffix(1);
  return s;
}

std::vector<std::string_view> Lines(std::string_view text) {
  std::vector<std::string_view> lines;
  for (size_t at = 0; at <= text.size();) {
    size_t eol = text.find('\n', at);
    if (eol == std::string_view::npos) eol = text.size();
    lines.push_back(text.substr(at, eol - at));
    at = eol + 1;
  }
  return lines;
}

bool IsNameChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

// mermaid draws `note left|right of X` only on a state an earlier line
// introduced; on any other it parses and then fails ("No such shape").
std::optional<DrawProblem> StateNotes(const std::vector<std::string_view>& lines) {
  std::set<std::string, std::less<>> introduced;
  bool in_note = false;  // inside a multi-line note, up to `end note`
  for (size_t i = 1; i < lines.size(); ++i) {
    const std::string_view body = Trim(lines[i]);
    if (in_note) {
      in_note = body != "end note";
      continue;
    }
    for (std::string_view side : {"note left of ", "note right of "}) {
      if (!body.starts_with(side)) continue;
      const size_t colon = body.find(" : ");
      const std::string_view name = Trim(body.substr(side.size(), colon == std::string_view::npos ? body.npos : colon - side.size()));
      if (!introduced.contains(name)) {
        return DrawProblem{static_cast<int>(i + 1), "a note on state '" + std::string(name) +
                                                        "', which no earlier line introduces (mermaid cannot draw it)"};
      }
      in_note = colon == std::string_view::npos;
    }
    if (body.starts_with("note ")) continue;
    if (const size_t arrow = body.find(" --> "); arrow != std::string_view::npos) {
      std::string_view to = body.substr(arrow + 5);
      to = to.substr(0, to.find(" : "));
      introduced.insert(std::string(Trim(body.substr(0, arrow))));
      introduced.insert(std::string(Trim(to)));
    } else if (body.starts_with("state \"")) {
      if (const size_t as = body.find("\" as "); as != std::string_view::npos) {
        std::string_view name = body.substr(as + 5);
        if (name.ends_with(" {")) name.remove_suffix(2);
        introduced.insert(std::string(Trim(name)));
      }
    } else if (body.starts_with("state ") && body.ends_with(" {")) {
      introduced.insert(std::string(Trim(body.substr(6, body.size() - 8))));
    } else if (const size_t colon = body.find(':'); colon != std::string_view::npos && !body.starts_with("class")) {
      introduced.insert(std::string(Trim(body.substr(0, colon))));
    }
  }
  return std::nullopt;
}

// mermaid cannot draw a composite state that holds itself ("Setting X as
// parent of X would create a cycle"): its name used inside its own braces.
std::optional<DrawProblem> StateCycles(const std::vector<std::string_view>& lines) {
  std::vector<std::pair<std::string, int>> open;  // composite names and their lines
  auto check = [&](std::string_view name) -> std::optional<DrawProblem> {
    name = Trim(name);
    for (const auto& [composite, line] : open) {
      if (name == composite) {
        return DrawProblem{line, "state '" + composite + "' would contain itself (mermaid cannot draw it)"};
      }
    }
    return std::nullopt;
  };
  bool in_note = false;
  for (size_t i = 1; i < lines.size(); ++i) {
    const std::string_view body = Trim(lines[i]);
    if (in_note) {
      in_note = body != "end note";
      continue;
    }
    if (body.starts_with("note ")) {
      in_note = body.find(" : ") == std::string_view::npos;
      continue;
    }
    if (body == "}") {
      if (!open.empty()) open.pop_back();
      continue;
    }
    std::string_view name;
    if (body.starts_with("state \"")) {
      const size_t as = body.find("\" as ");
      if (as != std::string_view::npos) name = body.substr(as + 5);
    } else if (body.starts_with("state ")) {
      name = body.substr(6);
      name = name.substr(0, name.find(" <<"));
    } else if (const size_t arrow = body.find(" --> "); arrow != std::string_view::npos) {
      if (auto p = check(body.substr(0, arrow))) return p;
      std::string_view to = body.substr(arrow + 5);
      if (auto p = check(to.substr(0, to.find(" : ")))) return p;
      continue;
    } else if (const size_t colon = body.find(':'); colon != std::string_view::npos && !body.starts_with("class") &&
                                                      !body.starts_with("style")) {
      if (auto p = check(body.substr(0, colon))) return p;
      continue;
    } else {
      continue;
    }
    const bool opens = name.ends_with(" {");
    if (opens) name.remove_suffix(2);
    if (auto p = check(name)) return p;
    if (opens) open.emplace_back(std::string(Trim(name)), static_cast<int>(i + 1));
  }
  return std::nullopt;
}

// The names a flowchart statement line mentions: words outside labels
// ("...", [..], (..), {..}, |..|) and outside `:::class` suffixes. Loose on
// purpose (the grammar has checked the form): a word of inline link text
// counts as a name too.
std::vector<std::string> NamesOnLine(std::string_view line) {
  std::vector<std::string> names;
  int depth = 0;
  bool quoted = false, piped = false;
  for (size_t i = 0; i < line.size();) {
    const char c = line[i];
    if (quoted) {
      quoted = c != '"';
      ++i;
    } else if (c == '"') {
      quoted = true;
      ++i;
    } else if (c == '[' || c == '(' || c == '{') {
      ++depth;
      ++i;
    } else if (c == ']' || c == ')' || c == '}') {
      --depth;
      ++i;
    } else if (depth > 0) {
      ++i;
    } else if (c == '|') {
      piped = !piped;
      ++i;
    } else if (piped) {
      ++i;
    } else if (line.substr(i).starts_with(":::")) {
      for (i += 3; i < line.size() && IsNameChar(line[i]); ++i) {
      }
    } else if (IsNameChar(c) && c != '-') {
      size_t end = i;
      while (end < line.size() && IsNameChar(line[end])) ++end;
      std::string_view word = line.substr(i, end - i);
      while (word.ends_with('-')) word.remove_suffix(1);  // "A--" of an unspaced link
      if (const size_t arrow = word.find("--"); arrow != std::string_view::npos) word = word.substr(0, arrow);
      names.emplace_back(word);
      i = end;
    } else {
      ++i;
    }
  }
  return names;
}

// mermaid cannot draw a subgraph that contains itself ("Setting X as parent of
// X would create a cycle"): through its own body or through another subgraph.
std::optional<DrawProblem> SubgraphCycles(const std::vector<std::string_view>& lines) {
  std::map<std::string, std::set<std::string>, std::less<>> contains;  // subgraph id -> names in its body
  std::map<std::string, int, std::less<>> opened_at;                    // subgraph id -> its line
  std::vector<std::string> open;
  for (size_t i = 1; i < lines.size(); ++i) {
    const std::string_view body = Trim(lines[i]);
    if (body.starts_with("subgraph ")) {
      std::string_view head = Trim(body.substr(9));
      size_t end = 0;
      while (end < head.size() && IsNameChar(head[end])) ++end;
      const std::string id(head.substr(0, end));
      if (!open.empty()) contains[open.back()].insert(id);
      open.push_back(id);
      opened_at.emplace(id, static_cast<int>(i + 1));
      continue;
    }
    if (body == "end") {
      if (!open.empty()) open.pop_back();
      continue;
    }
    if (open.empty() || body.starts_with("%%")) continue;
    for (std::string_view keyword : {"classDef ", "class ", "style ", "linkStyle ", "click ", "direction ", "accTitle", "accDescr"}) {
      if (body.starts_with(keyword)) goto next_line;
    }
    for (std::string& name : NamesOnLine(body)) contains[open.back()].insert(std::move(name));
  next_line:;
  }
  // A cycle among subgraphs: depth-first, grey = on the current path.
  std::map<std::string, int, std::less<>> colour;
  std::optional<DrawProblem> problem;
  std::function<bool(const std::string&)> visit = [&](const std::string& id) {
    colour[id] = 1;
    for (const std::string& child : contains[id]) {
      if (!contains.contains(child) && !opened_at.contains(child)) continue;  // a plain node
      if (colour[child] == 1) {
        problem = DrawProblem{opened_at[child], "subgraph '" + child + "' would contain itself (mermaid cannot draw it)"};
        return true;
      }
      if (colour[child] == 0 && visit(child)) return true;
    }
    colour[id] = 2;
    return false;
  };
  for (const auto& [id, line] : opened_at) {
    if (colour[id] == 0 && visit(id)) return problem;
  }
  return std::nullopt;
}

}  // namespace

std::optional<DrawProblem> FindUndrawable(std::string_view text) {
  const std::vector<std::string_view> lines = Lines(text);
  const std::string_view header = Trim(lines.front());
  if (header.starts_with("stateDiagram")) {
    if (auto problem = StateNotes(lines)) return problem;
    return StateCycles(lines);
  }
  if (header.starts_with("flowchart") || header.starts_with("graph")) return SubgraphCycles(lines);
  if (header == "gantt") {
    if (auto problem = FindGanttTimelineProblem(lines)) return DrawProblem{problem->line, std::move(problem->message)};
  }
  return std::nullopt;
}

}  // namespace edgert::diagram
