// runtime/tokenizer/added_tokens.h: finding added (and special) tokens in
// text the way Hugging Face's AddedVocabulary does, before any splitting.
//
// Matches are leftmost-longest and non-overlapping (aho-corasick's
// LeftmostLongest), scanned left to right; then per token: single_word drops
// a match that touches a word character (\w) on either side, lstrip takes the
// whitespace before it (not past the previous token), rstrip the whitespace
// after it. A dropped match still consumes its text, as in HF. Input must be
// valid UTF-8. No normalization here: the caller passes the contents as they
// are to be matched.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "formats/tokenizer_spec.h"

namespace edgert {

struct AddedSegment {
  std::string_view text;  // a view into the text given to Split
  int32_t id = -1;        // the added token's id, or -1 for plain text
};

class AddedTokenMatcher {
 public:
  AddedTokenMatcher() = default;
  explicit AddedTokenMatcher(const std::vector<AddedTokenSpec>& tokens);

  bool empty() const { return patterns_.empty(); }
  // Appends segments covering all of `text`, in order; never an empty one.
  void Split(std::string_view text, std::vector<AddedSegment>& out) const;

 private:
  // Finds the leftmost-longest match at or after `from`; false when none.
  bool Find(std::string_view text, size_t from, size_t* at, const AddedTokenSpec** token) const;

  std::vector<AddedTokenSpec> patterns_;  // by first byte, longest first within one
  std::array<uint32_t, 257> bucket_{};    // patterns_[bucket_[b], bucket_[b + 1]) start with byte b
};

}  // namespace edgert
