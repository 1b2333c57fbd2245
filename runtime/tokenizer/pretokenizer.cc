// runtime/tokenizer/pretokenizer.cc: the Qwen2 matcher and the PCRE2 fallback.
#define PCRE2_CODE_UNIT_WIDTH 8
#include "runtime/tokenizer/pretokenizer.h"

#include <pcre2.h>

#include "runtime/tokenizer/unicode.h"

namespace edgert {
namespace {

using unicode::Classify;

// The text decoded once: per character its first byte, code point and class.
struct Chars {
  std::vector<uint32_t> offset;  // [n + 1]: byte offset of each character, then the text's size
  std::vector<char32_t> cp;
  std::vector<uint8_t> cls;

  void Decode(std::string_view text) {
    offset.clear();
    cp.clear();
    cls.clear();
    for (size_t i = 0; i < text.size();) {
      size_t len;
      const char32_t c = unicode::Decode(text, i, &len);
      offset.push_back(static_cast<uint32_t>(i));
      cp.push_back(c);
      cls.push_back(Classify(c));
      i += len;
    }
    offset.push_back(static_cast<uint32_t>(text.size()));
  }
};

constexpr uint8_t kL = unicode::kLetter, kN = unicode::kNumber, kS = unicode::kWhitespace, kNL = unicode::kNewline;

char32_t FoldAscii(char32_t c) {
  if (c >= 'A' && c <= 'Z') return c + 32;
  if (c == 0x017F) return 's';  // LATIN SMALL LETTER LONG S folds to 's' under (?i)
  return c;
}

// Length in characters of the match of the Qwen2 pattern at character i.
size_t MatchQwen2(const Chars& t, size_t i) {
  const size_t n = t.cp.size();
  auto has = [&](size_t k, uint8_t cls) { return k < n && (t.cls[k] & cls) != 0; };
  auto punct = [&](size_t k) { return k < n && (t.cls[k] & (kL | kN | kS)) == 0; };
  // (?i:'s|'t|'re|'ve|'m|'ll|'d)
  if (t.cp[i] == '\'' && i + 1 < n) {
    const char32_t a = FoldAscii(t.cp[i + 1]);
    if (a == 's' || a == 't' || a == 'm' || a == 'd') return 2;
    if (i + 2 < n) {
      const char32_t b = FoldAscii(t.cp[i + 2]);
      if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) return 3;
    }
  }
  // [^\r\n\p{L}\p{N}]?\p{L}+
  size_t j = i;
  if (!has(i, kL | kN | kNL) && has(i + 1, kL)) j = i + 1;
  if (has(j, kL)) {
    while (has(j, kL)) ++j;
    return j - i;
  }
  // \p{N}
  if (has(i, kN)) return 1;
  // ` ?[^\s\p{L}\p{N}]+[\r\n]*`
  j = i;
  if (t.cp[i] == ' ' && punct(i + 1)) j = i + 1;
  if (punct(j)) {
    while (punct(j)) ++j;
    while (has(j, kNL)) ++j;
    return j - i;
  }
  // \s*[\r\n]+ | \s+(?!\S) | \s+  (the character at i is whitespace here)
  size_t end = i, last_newline = n;
  while (has(end, kS)) {
    if (t.cls[end] & kNL) last_newline = end;
    ++end;
  }
  if (last_newline != n) return last_newline + 1 - i;
  if (end == n || end - i == 1) return end - i;
  return end - 1 - i;
}

// Unicode White_Space, the \s of Hugging Face's regex engines (Oniguruma, and
// Rust's regex crate for its helpers). PCRE2's \s in UCP mode is \p{Z}, \h and
// \v, which adds U+180E; so \s is spelled out before PCRE2 sees the pattern.
constexpr const char* kWhiteSpaceRanges =
    "\\x{9}-\\x{D}\\x{20}\\x{85}\\x{A0}\\x{1680}\\x{2000}-\\x{200A}\\x{2028}\\x{2029}\\x{202F}\\x{205F}\\x{3000}";

// Replaces \s (anywhere) and \S (outside a character class, where it can be
// negated) with explicit White_Space classes. Escapes, classes and POSIX
// [:name:] items are tracked so nothing else changes.
std::string SpellOutWhitespace(const std::string& pattern) {
  std::string out;
  bool in_class = false;
  size_t class_start = 0;  // index just after '[' or '[^': a ']' there is literal
  for (size_t i = 0; i < pattern.size(); ++i) {
    const char c = pattern[i];
    if (c == '\\' && i + 1 < pattern.size()) {
      const char e = pattern[++i];
      if (e == 's') {
        out += in_class ? std::string(kWhiteSpaceRanges) : "[" + std::string(kWhiteSpaceRanges) + "]";
      } else if (e == 'S' && !in_class) {
        out += "[^" + std::string(kWhiteSpaceRanges) + "]";
      } else {
        out += c;
        out += e;
      }
      continue;
    }
    out += c;
    if (!in_class && c == '[') {
      in_class = true;
      if (i + 1 < pattern.size() && pattern[i + 1] == '^') out += pattern[++i];
      class_start = i + 1;
    } else if (in_class && c == '[' && i + 1 < pattern.size() && pattern[i + 1] == ':') {
      const size_t end = pattern.find(":]", i + 2);
      if (end != std::string::npos) {
        out.append(pattern, i + 1, end + 2 - (i + 1));
        i = end + 1;
      }
    } else if (in_class && c == ']' && i != class_start) {
      in_class = false;
    }
  }
  return out;
}

}  // namespace

struct PreTokenizer::Impl {
  bool fast = false;
  pcre2_code* code = nullptr;
  ~Impl() {
    if (code != nullptr) pcre2_code_free(code);
  }
};

PreTokenizer::PreTokenizer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
PreTokenizer::PreTokenizer(PreTokenizer&&) noexcept = default;
PreTokenizer& PreTokenizer::operator=(PreTokenizer&&) noexcept = default;
PreTokenizer::~PreTokenizer() = default;

bool PreTokenizer::uses_fast_path() const { return impl_->fast; }

Result<PreTokenizer> PreTokenizer::Create(const std::string& pattern, bool force_regex_engine) {
  auto impl = std::make_unique<Impl>();
  if (pattern == kQwen2SplitPattern && !force_regex_engine) {
    impl->fast = true;
    return PreTokenizer(std::move(impl));
  }
  int error = 0;
  PCRE2_SIZE offset = 0;
  const std::string spelled = SpellOutWhitespace(pattern);
  impl->code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(spelled.data()), spelled.size(),
                             PCRE2_UTF | PCRE2_UCP | PCRE2_MATCH_INVALID_UTF, &error, &offset, nullptr);
  if (impl->code == nullptr) {
    PCRE2_UCHAR message[256];
    pcre2_get_error_message(error, message, sizeof(message));
    return InvalidArgument("pre-tokenizer pattern does not compile at offset " + std::to_string(offset) + ": " +
                           reinterpret_cast<const char*>(message));
  }
  (void)pcre2_jit_compile(impl->code, PCRE2_JIT_COMPLETE);  // a speed-up where available
  return PreTokenizer(std::move(impl));
}

void PreTokenizer::Split(std::string_view text, std::vector<std::string_view>& out) const {
  if (impl_->fast) {
    thread_local Chars chars;
    chars.Decode(text);
    const size_t n = chars.cp.size();
    for (size_t i = 0; i < n;) {
      const size_t len = MatchQwen2(chars, i);
      out.push_back(text.substr(chars.offset[i], chars.offset[i + len] - chars.offset[i]));
      i += len;
    }
    return;
  }
  pcre2_match_data* md = pcre2_match_data_create_from_pattern(impl_->code, nullptr);
  size_t pos = 0;
  while (pos < text.size()) {
    const auto subject = reinterpret_cast<PCRE2_SPTR>(text.data());
    int rc = pcre2_match(impl_->code, subject, text.size(), pos, 0, md, nullptr);
    // The JIT's stack is small (a long backtracking run can exhaust it); the
    // interpreter keeps its backtracking on the heap, so try again there.
    if (rc < 0 && rc != PCRE2_ERROR_NOMATCH) rc = pcre2_match(impl_->code, subject, text.size(), pos, PCRE2_NO_JIT, md, nullptr);
    if (rc < 0) break;  // no match (or a limit hit): the rest is one word
    const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(md);
    if (ov[0] > pos) out.push_back(text.substr(pos, ov[0] - pos));  // an unmatched gap is a word too
    if (ov[1] == ov[0]) {  // empty match: step one character to make progress
      size_t len;
      unicode::Decode(text, ov[0], &len);
      out.push_back(text.substr(ov[0], len));
      pos = ov[0] + len;
      continue;
    }
    out.push_back(text.substr(ov[0], ov[1] - ov[0]));
    pos = ov[1];
  }
  if (pos < text.size()) out.push_back(text.substr(pos));
  pcre2_match_data_free(md);
}

}  // namespace edgert
