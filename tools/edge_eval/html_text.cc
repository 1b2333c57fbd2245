#include "tools/edge_eval/html_text.h"

#include <cctype>
#include <cstdint>

namespace edgert::eval {
namespace {

// Length of the valid UTF-8 sequence at `at`, or 0.
size_t Utf8Length(std::string_view s, size_t at) {
  const auto byte = [&](size_t i) { return static_cast<uint8_t>(s[i]); };
  const uint8_t b = byte(at);
  size_t n = b < 0x80 ? 1 : (b >> 5) == 0x6 ? 2 : (b >> 4) == 0xE ? 3 : (b >> 3) == 0x1E ? 4 : 0;
  if (n == 0 || at + n > s.size()) return 0;
  for (size_t i = 1; i < n; ++i) {
    if ((byte(at + i) & 0xC0) != 0x80) return 0;
  }
  if (n == 2 && b < 0xC2) return 0;                                    // overlong
  if (n == 3 && b == 0xE0 && byte(at + 1) < 0xA0) return 0;            // overlong
  if (n == 3 && b == 0xED && byte(at + 1) >= 0xA0) return 0;           // surrogate
  if (n == 4 && (b > 0xF4 || (b == 0xF0 && byte(at + 1) < 0x90) || (b == 0xF4 && byte(at + 1) >= 0x90))) return 0;
  return n;
}

bool StartsWithNoCase(std::string_view s, size_t at, std::string_view prefix) {
  if (s.size() - at < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(s[at + i])) != prefix[i]) return false;
  }
  return true;
}

}  // namespace

std::string EscapeHtml(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  for (size_t i = 0; i < text.size();) {
    const size_t n = Utf8Length(text, i);
    if (n == 0) {
      out += "\xEF\xBF\xBD";
      ++i;
      continue;
    }
    if (n == 1) {
      switch (text[i]) {
        case '&': out += "&amp;"; break;
        case '<': out += "&lt;"; break;
        case '>': out += "&gt;"; break;
        case '"': out += "&quot;"; break;
        case '\'': out += "&#39;"; break;
        case '\0': out += "\xEF\xBF\xBD"; break;  // HTML parsers drop or replace NUL anyway
        default: out += text[i];
      }
    } else {
      out.append(text.substr(i, n));
    }
    i += n;
  }
  return out;
}

std::string EscapeInlineScript(std::string_view script) {
  std::string out;
  out.reserve(script.size());
  for (size_t i = 0; i < script.size(); ++i) {
    if (StartsWithNoCase(script, i, "</script")) {
      out += "<\\/";
      i += 1;  // the '/' is written; continue after it
      continue;
    }
    if (StartsWithNoCase(script, i, "<!--")) {
      out += "<\\x21";
      i += 1;
      continue;
    }
    out += script[i];
  }
  return out;
}

}  // namespace edgert::eval
