// runtime/tokenizer/unicode.h: UTF-8 decoding and the character classes the
// pre-tokenizer patterns use (\p{L}, \p{N}, \s as Unicode White_Space).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace edgert::unicode {

inline constexpr char32_t kReplacement = 0xFFFD;

// Decodes the code point at text[i]; sets *len to the bytes it used (>= 1).
// An invalid or truncated sequence decodes as U+FFFD of length 1, so every
// byte of any input belongs to exactly one "character".
char32_t Decode(std::string_view text, size_t i, size_t* len);

void AppendUtf8(char32_t c, std::string& out);

enum Class : uint8_t {
  kLetter = 1,      // \p{L}
  kNumber = 2,      // \p{N}
  kWhitespace = 4,  // \s: Unicode White_Space (includes U+0085, not U+FEFF)
  kNewline = 8,     // \r or \n
};
uint8_t Classify(char32_t c);

// NFC. Invalid UTF-8 is left as it is (there is nothing to compose).
std::string Nfc(std::string_view text);
bool IsAscii(std::string_view text);

}  // namespace edgert::unicode
