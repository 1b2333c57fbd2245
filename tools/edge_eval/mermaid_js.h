// tools/edge_eval/mermaid_js.h: edge-eval's second Mermaid checker (--checker
// mermaid-js): mermaid itself, under node, with a jsdom window for the parts
// of its parser that touch the DOM. It answers "does mermaid parse it"; the
// built-in grammar's verdict (runtime/diagram/mermaid_check.h) also refuses
// what mermaid parses and then cannot draw, so the two can differ there.
#pragma once

#include <string>
#include <vector>

#include "base/status.h"

namespace edgert::eval {

struct MermaidJsSetup {
  std::string node = "node";  // the node binary (looked up on PATH)
  std::string node_modules;   // a node_modules folder holding mermaid and jsdom
};

struct MermaidJsVerdict {
  bool valid = false;
  std::string message;  // mermaid's own words when it refuses
};

// mermaid's version in setup.node_modules, or an error saying what is missing
// and how to get it.
Result<std::string> MermaidJsVersion(const MermaidJsSetup& setup);

// One verdict per text, in order, from one node process. An error means the
// check could not run (no node, no mermaid/jsdom, node failed).
Result<std::vector<MermaidJsVerdict>> CheckWithMermaidJs(const std::vector<std::string>& texts,
                                                         const MermaidJsSetup& setup);

}  // namespace edgert::eval
