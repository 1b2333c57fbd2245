// runtime/diagram/extract.cc: fenced or bare diagrams in free text.
#include "runtime/diagram/extract.h"

#include <array>
#include <cctype>

namespace edgert::diagram {
namespace {

bool IsWordChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_'; }
bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
// A byte of a bare DOT ID as cgraph's lexer reads it: letters, digits, '_',
// every byte >= 0x80 (UTF-8 text), and '.' '-' of numerals.
bool IsDotIdChar(char c) { return IsWordChar(c) || static_cast<unsigned char>(c) >= 0x80 || c == '.' || c == '-'; }

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

bool InfoNames(DiagramFormat format, std::string_view info) {
  info = Trim(info);
  if (info.empty()) return true;
  const std::string word = Lower(info.substr(0, info.find_first_of(" \t{")));
  if (format == DiagramFormat::kMermaid) return word == "mermaid";
  return word == "dot" || word == "graphviz" || word == "gv";
}

// Start of a line at or after `from` that opens with ``` (after indentation).
size_t FindFenceLine(std::string_view text, size_t from) {
  for (size_t at = text.find("```", from); at != std::string_view::npos; at = text.find("```", at + 3)) {
    size_t line = at;
    while (line > 0 && (text[line - 1] == ' ' || text[line - 1] == '\t')) --line;
    if (line == 0 || text[line - 1] == '\n') return at;
  }
  return std::string_view::npos;
}

bool Fenced(DiagramFormat format, std::string_view text, ExtractedDiagram& out) {
  for (size_t open = FindFenceLine(text, 0); open != std::string_view::npos;) {
    size_t eol = text.find('\n', open);
    if (eol == std::string_view::npos) eol = text.size();
    const size_t close = eol < text.size() ? FindFenceLine(text, eol + 1) : std::string_view::npos;
    if (InfoNames(format, text.substr(open + 3, eol - open - 3))) {
      out.found = out.fenced = true;
      out.offset = std::min(eol + 1, text.size());
      out.fence_closed = close != std::string_view::npos;
      out.source = std::string(text.substr(out.offset, (out.fence_closed ? close : text.size()) - out.offset));
      return true;
    }
    if (close == std::string_view::npos) return false;
    open = FindFenceLine(text, close + 3);  // past this block's closing fence
  }
  return false;
}

// Matches `word` case-insensitively at `at`, followed by a non-word character.
bool WordAt(std::string_view text, size_t at, std::string_view word) {
  if (text.size() - at < word.size()) return false;
  if (Lower(text.substr(at, word.size())) != word) return false;
  return at + word.size() == text.size() || !IsWordChar(text[at + word.size()]);
}

size_t SkipSpace(std::string_view text, size_t at) {
  while (at < text.size() && IsSpace(text[at])) ++at;
  return at;
}

// Past whitespace and DOT comments (`//` and `#` lines to their end, `/* */`),
// which cgraph takes between any two words of a graph's header.
size_t SkipDotGap(std::string_view text, size_t at) {
  for (;;) {
    at = SkipSpace(text, at);
    const bool line_start = at == 0 || text[at - 1] == '\n';
    if (text.substr(at).starts_with("//") || (line_start && text.substr(at).starts_with("#"))) {
      at = std::min(text.find('\n', at), text.size());
    } else if (text.substr(at).starts_with("/*")) {
      const size_t end = text.find("*/", at + 2);
      at = end == std::string_view::npos ? text.size() : end + 2;
    } else {
      return at;
    }
  }
}

// Past the matching '}' of the '{' at `open`, skipping DOT strings, HTML
// labels and comments; text.size() when the text ends first.
size_t PastMatchingBrace(std::string_view text, size_t open) {
  int depth = 0;
  for (size_t i = open; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '"') {
      for (++i; i < text.size() && text[i] != '"'; ++i) {
        if (text[i] == '\\') ++i;
      }
    } else if (c == '<') {
      int html = 0;
      for (; i < text.size(); ++i) {
        if (text[i] == '<') ++html;
        if (text[i] == '>' && --html == 0) break;
      }
    } else if ((c == '/' && i + 1 < text.size() && text[i + 1] == '/') || (c == '#' && text[i - 1] == '\n')) {
      i = std::min(text.find('\n', i), text.size());
    } else if (c == '/' && i + 1 < text.size() && text[i + 1] == '*') {
      const size_t end = text.find("*/", i + 2);
      i = end == std::string_view::npos ? text.size() : end + 1;
    } else if (c == '{') {
      ++depth;
    } else if (c == '}' && --depth == 0) {
      return i + 1;
    }
  }
  return text.size();
}

bool BareDot(std::string_view text, ExtractedDiagram& out) {
  for (size_t at = 0; at < text.size(); ++at) {
    if (at > 0 && IsWordChar(text[at - 1])) continue;
    size_t p = at;
    if (WordAt(text, p, "strict")) p = SkipDotGap(text, p + 6);
    if (WordAt(text, p, "digraph")) p += 7;
    else if (WordAt(text, p, "graph")) p += 5;
    else continue;
    p = SkipDotGap(text, p);
    if (p < text.size() && text[p] == '"') {  // quoted ID
      for (++p; p < text.size() && text[p] != '"'; ++p) {
        if (text[p] == '\\') ++p;
      }
      p = SkipDotGap(text, std::min(p + 1, text.size()));
    } else if (p < text.size() && text[p] == '<') {  // HTML-like ID: balanced < >
      for (int depth = 0; p < text.size(); ++p) {
        if (text[p] == '<') ++depth;
        if (text[p] == '>' && --depth == 0) break;
      }
      p = SkipDotGap(text, std::min(p + 1, text.size()));
    } else {
      while (p < text.size() && IsDotIdChar(text[p])) ++p;
      p = SkipDotGap(text, p);
    }
    // "the graph shows ..." is prose: a diagram has its brace (or was cut before it).
    if (p < text.size() && text[p] != '{') continue;
    out.found = true;
    out.offset = at;
    out.source = std::string(text.substr(at, (p < text.size() ? PastMatchingBrace(text, p) : p) - at));
    return true;
  }
  return false;
}

bool IsDirection(std::string_view word) {
  for (std::string_view d : {"TB", "TD", "BT", "RL", "LR"}) {
    if (word == d) return true;
  }
  return false;
}

// A Mermaid diagram's first line: its type keyword (and for flowcharts a direction).
bool MermaidHeader(std::string_view line) {
  line = Trim(line);
  const size_t end = std::min(line.find_first_of(" \t:"), line.size());
  const std::string_view word = line.substr(0, end);
  if (word == "graph" || word == "flowchart") {
    const std::string_view rest = Trim(line.substr(end));
    return rest.empty() || IsDirection(rest.substr(0, std::min(rest.find_first_of(" \t;"), rest.size())));
  }
  static constexpr std::array<std::string_view, 20> kKeywords = {
      "sequenceDiagram", "classDiagram", "classDiagram-v2", "stateDiagram", "stateDiagram-v2",
      "erDiagram",       "gantt",        "pie",             "mindmap",      "journey",
      "gitGraph",        "timeline",     "quadrantChart",   "requirementDiagram", "C4Context",
      "sankey-beta",     "xychart-beta", "block-beta",      "packet-beta",  "kanban"};
  for (std::string_view k : kKeywords) {
    if (word == k) return true;
  }
  return false;
}

bool BareMermaid(std::string_view text, ExtractedDiagram& out) {
  for (size_t at = 0; at < text.size();) {
    size_t eol = text.find('\n', at);
    if (eol == std::string_view::npos) eol = text.size();
    if (MermaidHeader(text.substr(at, eol - at))) {
      out.found = true;
      out.offset = at;
      out.source = std::string(text.substr(at));
      return true;
    }
    at = eol + 1;
  }
  return false;
}

}  // namespace

ExtractedDiagram ExtractDiagram(DiagramFormat format, std::string_view output) {
  ExtractedDiagram out;
  if (Fenced(format, output, out)) return out;
  if (format == DiagramFormat::kDot ? BareDot(output, out) : BareMermaid(output, out)) return out;
  return out;
}

}  // namespace edgert::diagram
