// tools/edge_eval/mermaid_bundle.h: mermaid.js (the npm package's
// dist/mermaid.min.js from tools/edge_eval/web) compiled into edge-eval, so an
// installed binary needs no files beside it and its reports render offline.
#pragma once

#include <string_view>

namespace edgert::eval {

// The script, or empty when the build found no tools/edge_eval/web/node_modules
// (scripts/install-deps.sh runs `npm ci` there); reports then show Mermaid
// sources as text and say why.
std::string_view MermaidBundle();

// The bundled package's version ("11.4.1"), or empty.
std::string_view MermaidBundleVersion();

}  // namespace edgert::eval
