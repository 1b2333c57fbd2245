// runtime/tokenizer/pretokenizer.h: splitting text into words before BPE.
//
// The split pattern comes from tokenizer.json. Qwen2's pattern (and GPT-2's)
// run through hand-written matchers that follow the regex's leftmost-first
// alternation exactly and are many times faster; any other pattern runs
// through PCRE2 in UTF + UCP mode. Tests check both paths agree.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace edgert {

class PreTokenizer {
 public:
  static Result<PreTokenizer> Create(const std::string& pattern, bool force_regex_engine = false);
  PreTokenizer(PreTokenizer&&) noexcept;
  PreTokenizer& operator=(PreTokenizer&&) noexcept;
  ~PreTokenizer();

  // Appends the words of `text` (views into it, in order, covering every
  // byte) to `out`.
  void Split(std::string_view text, std::vector<std::string_view>& out) const;
  bool uses_fast_path() const;

 private:
  struct Impl;
  explicit PreTokenizer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The Qwen2 split pattern, as it appears in Qwen2's tokenizer.json.
inline constexpr const char* kQwen2SplitPattern =
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

}  // namespace edgert
