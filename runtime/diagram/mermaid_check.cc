#include "runtime/diagram/mermaid_check.h"

#include <set>
#include <string>
#include <vector>

#include "runtime/grammar/grammar.h"
#include "runtime/grammar/match.h"

namespace edgert::diagram {
namespace {

// The offending character as the message shows it: printable ASCII quoted,
// a line break or other byte named.
std::string Describe(std::string_view text, size_t offset) {
  if (offset >= text.size()) return "the end of the text";
  const unsigned char c = static_cast<unsigned char>(text[offset]);
  if (c == '\n') return "a line break";
  if (c == '\t') return "a tab";
  if (c == ' ') return "a space";
  // Appended piece by piece: GCC 12 warns (-Wrestrict, falsely) on a + chain here.
  std::string out;
  if (c >= 0x21 && c < 0x7f) {
    out += '\'';
    out += static_cast<char>(c);
    out += '\'';
    return out;
  }
  static constexpr char kHex[] = "0123456789abcdef";
  out = "byte 0x";
  out += kHex[c >> 4];
  out += kHex[c & 15];
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

// A state diagram's notes, as the grammar cannot take them. mermaid draws
// `note left|right of X : text` only when an earlier line introduced X (a
// transition, `X : description`, `state "..." as X`, `state X {`); on any other
// X it parses and then fails to draw, so the generation grammar has no notes.
// Here each note on an introduced state becomes that state's description line
// (`X : text`, the same grammar below the keyword), so the grammar judges the
// rest; a note on a state not introduced yet is left as it is and named.
struct NoteRewrite {
  std::string text;               // what MatchText sees
  std::vector<size_t> shift;      // [line-1] bytes removed from that line (the note keyword part)
  std::set<int> unresolved;       // lines with a note on a state not introduced before
  std::vector<std::string> names; // [line-1] that note's state, for the message
};

NoteRewrite RewriteStateNotes(std::string_view text) {
  NoteRewrite r;
  r.text.reserve(text.size());
  std::set<std::string, std::less<>> introduced;
  int line_no = 0;
  for (size_t at = 0; at <= text.size();) {
    size_t eol = text.find('\n', at);
    if (eol == std::string_view::npos) eol = text.size();
    const std::string_view line = text.substr(at, eol - at);
    ++line_no;
    r.shift.push_back(0);
    r.names.emplace_back();
    const size_t indent = line.find_first_not_of(' ') == std::string_view::npos ? line.size() : line.find_first_not_of(' ');
    const std::string_view body = line.substr(indent);
    std::string rewritten(line);
    for (std::string_view side : {"note left of ", "note right of "}) {
      if (!body.starts_with(side)) continue;
      const size_t colon = body.find(" : ");
      if (colon == std::string_view::npos) break;
      const std::string_view name = Trim(body.substr(side.size(), colon - side.size()));
      if (introduced.contains(name)) {
        rewritten = std::string(line.substr(0, indent)) + std::string(body.substr(side.size()));
        r.shift.back() = side.size();
      } else {
        r.unresolved.insert(line_no);
        r.names.back() = std::string(name);
      }
    }
    // What this line introduces, read loosely: the grammar checks its form.
    if (size_t arrow = body.find(" --> "); arrow != std::string_view::npos) {
      std::string_view to = body.substr(arrow + 5);
      to = to.substr(0, to.find(" : "));
      introduced.insert(std::string(Trim(body.substr(0, arrow))));
      introduced.insert(std::string(Trim(to)));
    } else if (body.starts_with("state \"")) {
      if (size_t as = body.find("\" as "); as != std::string_view::npos) introduced.insert(std::string(Trim(body.substr(as + 5))));
    } else if (body.starts_with("state ") && body.ends_with(" {")) {
      introduced.insert(std::string(Trim(body.substr(6, body.size() - 8))));
    } else if (size_t colon = body.find(" : "); colon != std::string_view::npos && !body.starts_with("note ")) {
      introduced.insert(std::string(Trim(body.substr(0, colon))));
    }
    r.text += rewritten;
    if (eol < text.size()) r.text += '\n';
    at = eol + 1;
  }
  return r;
}

}  // namespace

Result<DiagramVerdict> CheckMermaid(std::string_view text) {
  EDGERT_ASSIGN_OR_RETURN(std::shared_ptr<const Grammar> grammar, BuiltinGrammar("mermaid"));
  const bool state_diagram = Trim(text.substr(0, text.find('\n'))).starts_with("stateDiagram");
  const NoteRewrite notes = state_diagram ? RewriteStateNotes(text) : NoteRewrite{};
  const std::string_view checked = state_diagram ? std::string_view(notes.text) : text;
  const MatchResult match = MatchText(*grammar, checked);
  DiagramVerdict verdict;
  int column = match.column;
  if (state_diagram && match.line >= 1 && static_cast<size_t>(match.line) <= notes.shift.size()) {
    column += static_cast<int>(notes.shift[match.line - 1]);  // positions in the text as given
  }
  const std::string where = "line " + std::to_string(match.line) + ", column " + std::to_string(column);
  switch (match.state) {
    case MatchState::kAccepted:
      verdict.valid = true;
      return verdict;
    case MatchState::kIncomplete:
      verdict.at_end = true;
      verdict.message = where + ": the diagram ends early; expected " + match.expected;
      break;
    case MatchState::kRejected:
      if (notes.unresolved.contains(match.line)) {
        verdict.message = "line " + std::to_string(match.line) + ": a note on state '" + notes.names[match.line - 1] +
                          "', which no earlier line introduces (mermaid cannot draw it)";
      } else {
        verdict.message = where + ": unexpected " + Describe(checked, match.offset) + "; expected " + match.expected;
      }
      break;
  }
  verdict.line = match.line;
  return verdict;
}

}  // namespace edgert::diagram
