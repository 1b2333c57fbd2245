#include "runtime/diagram/dot_check.h"

#include <graphviz/cgraph.h>

#include <cstdlib>
#include <mutex>
#include <string>

// Exported by libcgraph but not declared in its public header: discards the
// lexer's buffered input. After a syntax error or an empty text the flex buffer
// keeps stale state and every later agmemread would find no graph.
extern "C" void aglexbad(void);

namespace edgert::diagram {
namespace {

std::mutex g_cgraph_mutex;     // cgraph keeps its error hook and lexer state in globals
std::string* g_messages = nullptr;  // where the hook writes while g_cgraph_mutex is held

int CaptureError(char* message) {
  if (g_messages != nullptr) *g_messages += message;
  return 0;
}

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
  std::lock_guard<std::mutex> lock(g_cgraph_mutex);
  std::string messages;
  g_messages = &messages;
  agseterrf(CaptureError);
  agseterr(AGWARN);     // warnings and errors both reach the hook, errors decide
  agreadline(1);        // line numbers restart for every text
  agreseterrors();      // agerrors() is otherwise the worst level ever seen
  aglexbad();
  const std::string source(text);  // agmemread wants a NUL-terminated buffer
  Agraph_t* graph = agmemread(source.c_str());
  const int errors = agerrors();
  if (graph != nullptr) agclose(graph);
  agseterrf(nullptr);
  g_messages = nullptr;

  DiagramVerdict verdict;
  if (graph != nullptr && errors == 0) {
    verdict.valid = true;
    return verdict;
  }
  verdict.message = Trim(messages);
  if (verdict.message.empty()) verdict.message = "Graphviz found no graph in the text";
  verdict.line = LineOf(verdict.message);
  return verdict;
}

}  // namespace edgert::diagram
