// tools/edge_eval/html_text.h: text made safe for HTML (element content and
// quoted attribute values alike), and an inline script made safe to embed.
#pragma once

#include <string>
#include <string_view>

namespace edgert::eval {

// & < > " ' as character references. Bytes that are not valid UTF-8 become
// U+FFFD so the page always decodes (a cut token can end mid-character).
std::string EscapeHtml(std::string_view text);

// JavaScript source to put between <script> and </script>: "</script" and
// "<!--" can only occur inside its strings, regexes or comments, where
// "<\/script" and "<\x21--" mean the same and the HTML parser sees no end tag.
std::string EscapeInlineScript(std::string_view script);

}  // namespace edgert::eval
