// runtime/diagram/dot_render.h: DOT to SVG with Graphviz's own layout (gvc,
// the "dot" engine), for reports that must show the picture offline.
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"

namespace edgert::diagram {

// The SVG document Graphviz draws for `text` (an <svg> element after an XML
// prolog and DOCTYPE, which RenderDotSvg strips so the result can be inlined in
// HTML). InvalidArgument when the text does not parse; Internal when Graphviz
// cannot lay it out or has no SVG renderer (its plugins missing).
Result<std::string> RenderDotSvg(std::string_view text);

}  // namespace edgert::diagram
