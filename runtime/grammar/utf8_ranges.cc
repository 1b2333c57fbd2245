// runtime/grammar/utf8_ranges.cc: splitting code point ranges into UTF-8
// byte boxes (the construction regex engines use for byte-level automata).
#include "runtime/grammar/utf8_ranges.h"

#include <algorithm>

namespace edgert::grammar_internal {
namespace {

constexpr uint32_t kMaxCp = 0x10FFFF;

int Utf8Length(uint32_t cp) { return cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4; }

// [lo, hi] have the same UTF-8 length here.
void Split(uint32_t lo, uint32_t hi, std::vector<std::vector<ByteRange>>& out) {
  const int n = Utf8Length(lo);
  // Split until every byte position but the first ranges over a full block,
  // so that the byte ranges form an exact box.
  for (int i = 1; i < n; ++i) {
    const uint32_t m = (uint32_t{1} << (6 * i)) - 1;
    if ((lo & ~m) != (hi & ~m)) {
      if ((lo & m) != 0) {
        Split(lo, lo | m, out);
        Split((lo | m) + 1, hi, out);
        return;
      }
      if ((hi & m) != m) {
        Split(lo, (hi & ~m) - 1, out);
        Split(hi & ~m, hi, out);
        return;
      }
    }
  }
  uint8_t a[4], b[4];
  EncodeUtf8(lo, a);
  EncodeUtf8(hi, b);
  std::vector<ByteRange> seq;
  for (int i = 0; i < n; ++i) seq.push_back({a[i], b[i]});
  out.push_back(std::move(seq));
}

}  // namespace

int EncodeUtf8(uint32_t cp, uint8_t out[4]) {
  if (cp < 0x80) {
    out[0] = static_cast<uint8_t>(cp);
    return 1;
  }
  if (cp < 0x800) {
    out[0] = static_cast<uint8_t>(0xC0 | (cp >> 6));
    out[1] = static_cast<uint8_t>(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    out[0] = static_cast<uint8_t>(0xE0 | (cp >> 12));
    out[1] = static_cast<uint8_t>(0x80 | ((cp >> 6) & 0x3F));
    out[2] = static_cast<uint8_t>(0x80 | (cp & 0x3F));
    return 3;
  }
  out[0] = static_cast<uint8_t>(0xF0 | (cp >> 18));
  out[1] = static_cast<uint8_t>(0x80 | ((cp >> 12) & 0x3F));
  out[2] = static_cast<uint8_t>(0x80 | ((cp >> 6) & 0x3F));
  out[3] = static_cast<uint8_t>(0x80 | (cp & 0x3F));
  return 4;
}

std::vector<CodePointRange> NormalizeRanges(std::vector<CodePointRange> ranges, bool negate) {
  std::vector<CodePointRange> clean;
  for (CodePointRange r : ranges) {
    if (r.lo > r.hi || r.lo > kMaxCp) continue;
    r.hi = std::min(r.hi, kMaxCp);
    clean.push_back(r);
  }
  std::sort(clean.begin(), clean.end(), [](auto a, auto b) { return a.lo < b.lo; });
  std::vector<CodePointRange> merged;
  for (CodePointRange r : clean) {
    if (!merged.empty() && r.lo <= merged.back().hi + 1) {
      merged.back().hi = std::max(merged.back().hi, r.hi);
    } else {
      merged.push_back(r);
    }
  }
  if (negate) {
    std::vector<CodePointRange> comp;
    uint32_t next = 0;
    for (CodePointRange r : merged) {
      if (r.lo > next) comp.push_back({next, r.lo - 1});
      next = r.hi + 1;
    }
    if (next <= kMaxCp) comp.push_back({next, kMaxCp});
    merged = std::move(comp);
  }
  // Surrogates are not characters: UTF-8 never encodes them.
  std::vector<CodePointRange> out;
  for (CodePointRange r : merged) {
    if (r.hi < 0xD800 || r.lo > 0xDFFF) {
      out.push_back(r);
      continue;
    }
    if (r.lo < 0xD800) out.push_back({r.lo, 0xD7FF});
    if (r.hi > 0xDFFF) out.push_back({0xE000, r.hi});
  }
  return out;
}

std::vector<std::vector<ByteRange>> Utf8Sequences(const std::vector<CodePointRange>& ranges) {
  std::vector<std::vector<ByteRange>> out;
  static constexpr uint32_t kBounds[] = {0x7F, 0x7FF, 0xFFFF, kMaxCp};
  for (CodePointRange r : ranges) {
    uint32_t lo = r.lo;
    for (uint32_t bound : kBounds) {
      if (lo > r.hi) break;
      if (lo > bound) continue;
      const uint32_t hi = std::min(r.hi, bound);
      Split(lo, hi, out);
      lo = hi + 1;
    }
  }
  return out;
}

}  // namespace edgert::grammar_internal
