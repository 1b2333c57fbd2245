#include "tools/edge_eval/mermaid_bundle.h"

#ifdef EDGERT_MERMAID_BUNDLED
// Defined by the assembler file CMake generates (mermaid_bundle.S: .incbin of
// the script, so a 2.5 MB file never goes through the C++ compiler).
extern "C" const char edgert_mermaid_js[];
extern "C" const char edgert_mermaid_js_end[];
#endif

namespace edgert::eval {

std::string_view MermaidBundle() {
#ifdef EDGERT_MERMAID_BUNDLED
  return std::string_view(edgert_mermaid_js, static_cast<size_t>(edgert_mermaid_js_end - edgert_mermaid_js));
#else
  return {};
#endif
}

std::string_view MermaidBundleVersion() {
#ifdef EDGERT_MERMAID_BUNDLED
  return EDGERT_MERMAID_VERSION;
#else
  return {};
#endif
}

}  // namespace edgert::eval
