// runtime/tokenizer/unicode.cc
#include "runtime/tokenizer/unicode.h"

#include <utf8proc.h>

#include <array>
#include <cstdlib>

namespace edgert::unicode {
namespace {

bool IsWhiteSpace(char32_t c) {
  return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

uint8_t ClassifySlow(char32_t c) {
  uint8_t k = 0;
  if (IsWhiteSpace(c)) k |= kWhitespace;
  if (c == '\r' || c == '\n') k |= kNewline;
  switch (utf8proc_category(static_cast<utf8proc_int32_t>(c))) {
    case UTF8PROC_CATEGORY_LU:
    case UTF8PROC_CATEGORY_LL:
    case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_LO: k |= kLetter; break;
    case UTF8PROC_CATEGORY_ND:
    case UTF8PROC_CATEGORY_NL:
    case UTF8PROC_CATEGORY_NO: k |= kNumber; break;
    default: break;
  }
  return k;
}

struct Table {
  std::array<uint8_t, 0x10000> bmp;  // the Basic Multilingual Plane, precomputed
  Table() {
    for (char32_t c = 0; c < 0x10000; ++c) bmp[c] = ClassifySlow(c);
  }
};

const Table& GetTable() {
  static const Table table;
  return table;
}

}  // namespace

char32_t Decode(std::string_view s, size_t i, size_t* len) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  if (b0 < 0x80) {
    *len = 1;
    return b0;
  }
  size_t n;
  char32_t c;
  if ((b0 & 0xE0) == 0xC0) {
    n = 2;
    c = b0 & 0x1F;
  } else if ((b0 & 0xF0) == 0xE0) {
    n = 3;
    c = b0 & 0x0F;
  } else if ((b0 & 0xF8) == 0xF0) {
    n = 4;
    c = b0 & 0x07;
  } else {
    *len = 1;
    return kReplacement;
  }
  if (i + n > s.size()) {
    *len = 1;
    return kReplacement;
  }
  for (size_t k = 1; k < n; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xC0) != 0x80) {
      *len = 1;
      return kReplacement;
    }
    c = (c << 6) | (b & 0x3F);
  }
  // Overlong forms, surrogates and values past U+10FFFF are invalid.
  static constexpr char32_t kMin[5] = {0, 0, 0x80, 0x800, 0x10000};
  if (c < kMin[n] || (c >= 0xD800 && c <= 0xDFFF) || c > 0x10FFFF) {
    *len = 1;
    return kReplacement;
  }
  *len = n;
  return c;
}

void AppendUtf8(char32_t c, std::string& out) {
  if (c < 0x80) {
    out += static_cast<char>(c);
  } else if (c < 0x800) {
    out += static_cast<char>(0xC0 | (c >> 6));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    out += static_cast<char>(0xE0 | (c >> 12));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (c >> 18));
    out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  }
}

uint8_t Classify(char32_t c) { return c < 0x10000 ? GetTable().bmp[c] : ClassifySlow(c); }

bool IsWordChar(char32_t c) {
  if (Classify(c) & kLetter) return true;
  switch (utf8proc_category(static_cast<utf8proc_int32_t>(c))) {
    case UTF8PROC_CATEGORY_MN:
    case UTF8PROC_CATEGORY_MC:
    case UTF8PROC_CATEGORY_ME:
    case UTF8PROC_CATEGORY_ND:
    case UTF8PROC_CATEGORY_NL:
    case UTF8PROC_CATEGORY_PC: return true;
    default: break;
  }
  return c == 0x200C || c == 0x200D || (c >= 0x24B6 && c <= 0x24E9) || (c >= 0x1F130 && c <= 0x1F149) ||
         (c >= 0x1F150 && c <= 0x1F169) || (c >= 0x1F170 && c <= 0x1F189);
}

namespace {

// Table 3-7 of the Unicode standard: the allowed range of the second byte
// depends on the lead byte; later continuation bytes are always 80..BF.
struct LeadRule {
  uint8_t length;  // 0: never a lead byte
  uint8_t lo, hi;  // range of the second byte
};

LeadRule RuleFor(uint8_t b) {
  if (b < 0x80) return {1, 0, 0};
  if (b >= 0xC2 && b <= 0xDF) return {2, 0x80, 0xBF};
  if (b == 0xE0) return {3, 0xA0, 0xBF};
  if (b == 0xED) return {3, 0x80, 0x9F};
  if (b >= 0xE1 && b <= 0xEF) return {3, 0x80, 0xBF};
  if (b == 0xF0) return {4, 0x90, 0xBF};
  if (b >= 0xF1 && b <= 0xF3) return {4, 0x80, 0xBF};
  if (b == 0xF4) return {4, 0x80, 0x8F};
  return {0, 0, 0};
}

}  // namespace

bool IsValidUtf8(std::string_view text) {
  for (size_t i = 0; i < text.size();) {
    const auto b = static_cast<uint8_t>(text[i]);
    if (b < 0x80) {
      ++i;
      continue;
    }
    const LeadRule r = RuleFor(b);
    if (r.length == 0 || i + r.length > text.size()) return false;
    const auto b1 = static_cast<uint8_t>(text[i + 1]);
    if (b1 < r.lo || b1 > r.hi) return false;
    for (size_t k = 2; k < r.length; ++k) {
      if ((static_cast<uint8_t>(text[i + k]) & 0xC0) != 0x80) return false;
    }
    i += r.length;
  }
  return true;
}

size_t AppendLossy(std::string_view bytes, std::string& out, bool hold_incomplete_tail) {
  size_t i = 0;
  while (i < bytes.size()) {
    const auto b = static_cast<uint8_t>(bytes[i]);
    const LeadRule r = RuleFor(b);
    if (r.length == 1) {
      out += static_cast<char>(b);
      ++i;
      continue;
    }
    if (r.length == 0) {
      AppendUtf8(kReplacement, out);
      ++i;
      continue;
    }
    // k = bytes of the longest valid prefix of a sequence starting at i.
    size_t k = 1;
    while (k < r.length && i + k < bytes.size()) {
      const auto c = static_cast<uint8_t>(bytes[i + k]);
      const bool ok = k == 1 ? (c >= r.lo && c <= r.hi) : (c & 0xC0) == 0x80;
      if (!ok) break;
      ++k;
    }
    if (k == r.length) {
      out.append(bytes.substr(i, k));
    } else if (i + k == bytes.size() && hold_incomplete_tail) {
      return i;  // an unfinished character: wait for its other bytes
    } else {
      AppendUtf8(kReplacement, out);
    }
    i += k;
  }
  return i;
}

bool IsAscii(std::string_view text) {
  for (char ch : text) {
    if (static_cast<unsigned char>(ch) >= 0x80) return false;
  }
  return true;
}

namespace {

void AppendNfc(std::string_view valid, std::string& out) {
  if (IsAscii(valid)) {
    out.append(valid);
    return;
  }
  utf8proc_uint8_t* mapped = nullptr;
  const utf8proc_ssize_t n = utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(valid.data()),
                                          static_cast<utf8proc_ssize_t>(valid.size()), &mapped,
                                          static_cast<utf8proc_option_t>(UTF8PROC_STABLE | UTF8PROC_COMPOSE));
  if (n < 0) {
    out.append(valid);
  } else {
    out.append(reinterpret_cast<const char*>(mapped), static_cast<size_t>(n));
  }
  std::free(mapped);
}

}  // namespace

std::string Nfc(std::string_view text) {
  if (IsAscii(text)) return std::string(text);
  // Valid runs are normalized; an invalid byte stays as it is and splits them.
  std::string out;
  out.reserve(text.size());
  size_t run = 0, i = 0;
  while (i < text.size()) {
    size_t len;
    const char32_t c = Decode(text, i, &len);
    if (c == kReplacement && len == 1 && static_cast<unsigned char>(text[i]) >= 0x80) {
      AppendNfc(text.substr(run, i - run), out);
      out += text[i];
      run = i + 1;
    }
    i += len;
  }
  AppendNfc(text.substr(run), out);
  return out;
}

}  // namespace edgert::unicode
