#include "runtime/diagram/dot_render.h"

#include <graphviz/gvc.h>

#include "runtime/diagram/cgraph_parse.h"

namespace edgert::diagram {
namespace {

// One context for the process: creating one loads Graphviz's plugin list. Only
// used under the cgraph lock (CgraphParse), which also serialises layout.
GVC_t* Context() {
  static GVC_t* context = gvContext();
  return context;
}

}  // namespace

Result<std::string> RenderDotSvg(std::string_view text) {
  const CgraphParse parse(text);
  Agraph_t* graph = parse.graph();
  if (graph == nullptr) return InvalidArgument("not valid DOT: " + parse.messages());
  GVC_t* gvc = Context();
  if (gvc == nullptr) return Internal("Graphviz: no context");
  if (gvLayout(gvc, graph, "dot") != 0) return Internal("Graphviz could not lay the graph out: " + parse.messages());
  char* data = nullptr;
  unsigned int length = 0;
  const int rendered = gvRenderData(gvc, graph, "svg", &data, &length);
  std::string svg = rendered == 0 && data != nullptr ? std::string(data, length) : std::string();
  if (data != nullptr) gvFreeRenderData(data);
  gvFreeLayout(gvc, graph);
  if (rendered != 0 || svg.empty()) return Internal("Graphviz has no SVG renderer (is libgvc's core plugin installed?)");
  // Inline SVG in HTML takes the element alone, not the XML prolog and DOCTYPE.
  if (const size_t start = svg.find("<svg"); start != std::string::npos) svg.erase(0, start);
  return svg;
}

}  // namespace edgert::diagram
