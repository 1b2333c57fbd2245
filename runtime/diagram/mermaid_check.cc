#include "runtime/diagram/mermaid_check.h"

#include <optional>
#include <string>

#include "runtime/diagram/mermaid_drawable.h"
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

}  // namespace

Result<DiagramVerdict> CheckMermaid(std::string_view text) {
  EDGERT_ASSIGN_OR_RETURN(std::shared_ptr<const Grammar> grammar, BuiltinGrammar("mermaid"));
  const MatchResult match = MatchText(*grammar, text);
  DiagramVerdict verdict;
  const std::string where = "line " + std::to_string(match.line) + ", column " + std::to_string(match.column);
  switch (match.state) {
    case MatchState::kAccepted:
      if (std::optional<DrawProblem> problem = FindUndrawable(text)) {
        verdict.message = "line " + std::to_string(problem->line) + ": " + problem->message;
        verdict.line = problem->line;
        return verdict;
      }
      verdict.valid = true;
      return verdict;
    case MatchState::kIncomplete:
      verdict.at_end = true;
      verdict.message = where + ": the diagram ends early; expected " + match.expected;
      break;
    case MatchState::kRejected:
      verdict.message = where + ": unexpected " + Describe(text, match.offset) + "; expected " + match.expected;
      break;
  }
  verdict.line = match.line;
  return verdict;
}

}  // namespace edgert::diagram
