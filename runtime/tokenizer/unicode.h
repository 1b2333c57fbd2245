// runtime/tokenizer/unicode.h: UTF-8 decoding, lossy repair, NFC, and the
// character classes the pre-tokenizer patterns use (\p{L}, \p{N}, \s as
// Unicode White_Space, \w as the Rust regex crate defines it).
// Pure functions on bytes; no tokenizer knowledge.
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

bool IsValidUtf8(std::string_view text);

// Appends `bytes` to `out` with every invalid sequence replaced by one U+FFFD
// per maximal subpart (Unicode 3.9, "U+FFFD substitution of maximal
// subparts"): what Rust's String::from_utf8_lossy, Python's
// decode(errors="replace") and the WHATWG TextDecoder do. With
// `hold_incomplete_tail`, a valid but unfinished sequence at the very end is
// left out (it may still complete). Returns the number of bytes consumed.
size_t AppendLossy(std::string_view bytes, std::string& out, bool hold_incomplete_tail);

enum Class : uint8_t {
  kLetter = 1,      // \p{L}
  kNumber = 2,      // \p{N}
  kWhitespace = 4,  // \s: Unicode White_Space (includes U+0085, not U+FEFF)
  kNewline = 8,     // \r or \n
};
uint8_t Classify(char32_t c);

// \w of the Rust regex crate: Alphabetic, marks, decimal digits, connector
// punctuation, joiners. (Alphabetic is approximated as letters, letter
// numbers and the circled/squared Latin letters; utf8proc has no property API.)
bool IsWordChar(char32_t c);

// NFC. Invalid UTF-8 bytes are left as they are and split the valid runs.
std::string Nfc(std::string_view text);
bool IsAscii(std::string_view text);

}  // namespace edgert::unicode
