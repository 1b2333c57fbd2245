// runtime/tokenizer/added_tokens.cc
#include "runtime/tokenizer/added_tokens.h"

#include <algorithm>

#include "runtime/tokenizer/unicode.h"

namespace edgert {
namespace {

bool IsSpace(char32_t c) { return (unicode::Classify(c) & unicode::kWhitespace) != 0; }

// The character that ends text[0, end) (valid UTF-8), and where it starts.
char32_t CharBefore(std::string_view text, size_t end, size_t* start) {
  size_t s = end - 1;
  while (s > 0 && end - s < 4 && (static_cast<unsigned char>(text[s]) & 0xC0) == 0x80) --s;
  size_t len;
  const char32_t c = unicode::Decode(text, s, &len);
  *start = s;
  return c;
}

}  // namespace

AddedTokenMatcher::AddedTokenMatcher(const std::vector<AddedTokenSpec>& tokens) {
  for (const AddedTokenSpec& t : tokens) {
    if (!t.content.empty()) patterns_.push_back(t);
  }
  std::stable_sort(patterns_.begin(), patterns_.end(), [](const AddedTokenSpec& a, const AddedTokenSpec& b) {
    const auto fa = static_cast<unsigned char>(a.content[0]), fb = static_cast<unsigned char>(b.content[0]);
    return fa != fb ? fa < fb : a.content.size() > b.content.size();
  });
  size_t k = 0;
  for (size_t b = 0; b <= 256; ++b) {
    while (k < patterns_.size() && static_cast<unsigned char>(patterns_[k].content[0]) < b) ++k;
    bucket_[b] = static_cast<uint32_t>(k);
  }
}

bool AddedTokenMatcher::Find(std::string_view text, size_t from, size_t* at, const AddedTokenSpec** token) const {
  for (size_t i = from; i < text.size(); ++i) {
    const auto b = static_cast<unsigned char>(text[i]);
    for (uint32_t k = bucket_[b]; k < bucket_[b + 1]; ++k) {
      const std::string& c = patterns_[k].content;
      if (text.compare(i, c.size(), c) == 0) {
        *at = i;
        *token = &patterns_[k];
        return true;
      }
    }
  }
  return false;
}

void AddedTokenMatcher::Split(std::string_view text, std::vector<AddedSegment>& out) const {
  size_t search = 0;  // where the next match may start
  size_t done = 0;    // text before this is in `out`
  size_t at = 0;
  const AddedTokenSpec* token = nullptr;
  while (!patterns_.empty() && Find(text, search, &at, &token)) {
    size_t start = at, stop = at + token->content.size();
    search = stop;
    if (start < done) continue;  // inside whitespace a previous rstrip took
    if (token->single_word) {
      size_t unused;
      const bool word_before = start > 0 && unicode::IsWordChar(CharBefore(text, start, &unused));
      size_t len;
      const bool word_after = stop < text.size() && unicode::IsWordChar(unicode::Decode(text, stop, &len));
      if (word_before || word_after) continue;
    }
    if (token->lstrip) {
      while (start > done) {
        size_t s;
        if (!IsSpace(CharBefore(text, start, &s))) break;
        start = s;
      }
    }
    if (token->rstrip) {
      while (stop < text.size()) {
        size_t len;
        if (!IsSpace(unicode::Decode(text, stop, &len))) break;
        stop += len;
      }
    }
    if (done < start) out.push_back({text.substr(done, start - done), -1});
    out.push_back({text.substr(start, stop - start), token->id});
    done = stop;
  }
  if (done < text.size()) out.push_back({text.substr(done), -1});
}

}  // namespace edgert
