// runtime/grammar/utf8_ranges.h: code point ranges as UTF-8 byte-range
// sequences, so a character class can be matched one byte at a time.
#pragma once

#include <cstdint>
#include <vector>

namespace edgert::grammar_internal {

struct CodePointRange {
  uint32_t lo, hi;  // inclusive
};

struct ByteRange {
  uint8_t lo, hi;  // inclusive
};

// Sorted, merged, surrogates (U+D800..U+DFFF) removed, clipped to U+10FFFF;
// with `negate`, the complement of that over all Unicode scalar values.
std::vector<CodePointRange> NormalizeRanges(std::vector<CodePointRange> ranges, bool negate);

// The byte sequences (1 to 4 byte ranges each) whose UTF-8 decodings are exactly
// the code points of `ranges` (normalized): every sequence's byte ranges form a
// box and the boxes do not overlap.
std::vector<std::vector<ByteRange>> Utf8Sequences(const std::vector<CodePointRange>& ranges);

// UTF-8 bytes of a scalar value (no checks beyond the range).
int EncodeUtf8(uint32_t cp, uint8_t out[4]);

}  // namespace edgert::grammar_internal
