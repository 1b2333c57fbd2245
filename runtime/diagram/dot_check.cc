#include "runtime/diagram/dot_check.h"

#include <cstdlib>
#include <string>

#include "runtime/diagram/cgraph_parse.h"

namespace edgert::diagram {
namespace {

// "... in line 7 near ..." -> 7; 0 when the message carries no line.
int LineOf(const std::string& message) {
  const std::string key = "line ";
  size_t at = message.find(key);
  if (at == std::string::npos) return 0;
  return std::atoi(message.c_str() + at + key.size());
}

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

}  // namespace

DiagramVerdict CheckDot(std::string_view text) {
  const CgraphParse parse(text);
  const std::string messages = parse.messages();
  const bool parsed = parse.graph() != nullptr;

  DiagramVerdict verdict;
  if (parsed) {
    verdict.valid = true;
    return verdict;
  }
  verdict.message = Trim(messages);
  if (verdict.message.empty()) verdict.message = "Graphviz found no graph in the text";
  verdict.line = LineOf(verdict.message);
  // cgraph names the token it choked on ("near 'x'"); with none, the lexer had
  // reached the end of the text, possibly inside a quoted or HTML string.
  verdict.at_end = verdict.message.find(" near '") == std::string::npos;
  return verdict;
}

}  // namespace edgert::diagram
