// tests/fuzz/small_tokenizer.h: a small byte-level BPE tokenizer for fuzz
// targets: the 256 byte symbols (GPT-2's byte-to-unicode order), two merges
// ("ab", " a"), Qwen2's pre-tokenizer and NFC, and the given added tokens as
// specials with ids 258, 259, ... Built once; aborts if it cannot be.
#pragma once

#include <cstdlib>
#include <string>
#include <vector>

#include "runtime/tokenizer/pretokenizer.h"
#include "runtime/tokenizer/tokenizer.h"
#include "runtime/tokenizer/unicode.h"

namespace edgert::fuzz {

inline Tokenizer MakeSmallTokenizer(const std::vector<std::string>& specials) {
  TokenizerSpec spec;
  std::string symbols[256];
  int next = 256;
  for (int b = 0; b < 256; ++b) {
    const bool direct = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
    unicode::AppendUtf8(direct ? static_cast<char32_t>(b) : static_cast<char32_t>(next++), symbols[b]);
    spec.vocab.push_back(symbols[b]);
  }
  const std::string& a = symbols[0x61];
  const std::string& b = symbols[0x62];
  const std::string& space = symbols[0x20];
  spec.vocab.push_back(a + b);
  spec.vocab.push_back(space + a);
  spec.merges = {a + " " + b, space + " " + a};
  // Added tokens live outside the BPE vocabulary, as in Qwen2's tokenizer.json.
  for (const std::string& s : specials) {
    spec.added_tokens.push_back(
        {static_cast<int32_t>(spec.vocab.size() + spec.added_tokens.size()), s, true, false, false, false, false});
  }
  spec.normalizer = "NFC";
  spec.pretokenizer_regex = kQwen2SplitPattern;
  auto tok = Tokenizer::Create(spec);
  if (!tok.ok()) std::abort();
  return std::move(*tok);
}

}  // namespace edgert::fuzz
