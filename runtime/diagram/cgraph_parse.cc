#include "runtime/diagram/cgraph_parse.h"

// Exported by libcgraph but not declared in its public header: discards the
// lexer's buffered input. After a syntax error or an empty text the flex buffer
// keeps stale state and every later agmemread would find no graph.
extern "C" void aglexbad(void);

namespace edgert::diagram {
namespace {

std::mutex g_cgraph_mutex;
std::string* g_messages = nullptr;  // where the hook writes while g_cgraph_mutex is held

int CaptureError(char* message) {
  if (g_messages != nullptr) *g_messages += message;
  return 0;
}

}  // namespace

CgraphParse::CgraphParse(std::string_view text) : lock_(g_cgraph_mutex) {
  g_messages = &messages_;
  agseterrf(CaptureError);
  agseterr(AGWARN);     // warnings and errors both reach the hook, errors decide
  agreadline(1);        // line numbers restart for every text
  agreseterrors();      // agerrors() is otherwise the worst level ever seen
  aglexbad();
  const std::string source(text);  // agmemread wants a NUL-terminated buffer
  graph_ = agmemread(source.c_str());
  errors_ = agerrors();
}

CgraphParse::~CgraphParse() {
  if (graph_ != nullptr) agclose(graph_);
  agseterrf(nullptr);
  g_messages = nullptr;
}

}  // namespace edgert::diagram
