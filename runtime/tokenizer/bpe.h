// runtime/tokenizer/bpe.h: byte-level BPE over one pre-tokenized word.
//
// A word's bytes map to the GPT-2 byte alphabet (bytes_to_unicode), start as
// one symbol per byte, and the adjacent pair of lowest merge rank is merged
// until none is left (a heap keeps this O(n log n) for long words).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/status.h"
#include "formats/tokenizer_spec.h"

namespace edgert {

class Bpe {
 public:
  static Result<Bpe> Create(const TokenizerSpec& spec);

  // Appends the ids of `word` (raw bytes, before byte-level mapping).
  void Encode(std::string_view word, std::vector<int32_t>& out) const;

  // The GPT-2 byte-to-unicode alphabet, and back.
  const std::string& ByteSymbol(uint8_t b) const { return byte_symbol_[b]; }
  // Raw bytes of a vocabulary token: ByteLevelDecode of its text.
  const std::string& TokenBytes(int32_t id) const { return token_bytes_[static_cast<size_t>(id)]; }
  size_t vocab_size() const { return token_bytes_.size(); }
  std::optional<int32_t> Find(std::string_view token_text) const;

 private:
  struct Merge {
    int32_t rank;
    int32_t result;
  };
  std::vector<std::string> byte_symbol_;            // [256]
  std::vector<int32_t> byte_id_;                    // [256] id of each single-byte token
  std::unordered_map<uint64_t, Merge> merges_;      // (left id << 32 | right id) -> rank, merged id
  std::unordered_map<std::string, int32_t> vocab_;  // token text -> id
  std::vector<std::string> token_bytes_;            // id -> raw bytes
};

// What Hugging Face's ByteLevel decoder makes of one token's text: the bytes
// its characters stand for, or, when any character is outside the byte
// alphabet, the text itself.
std::string ByteLevelDecode(std::string_view token_text);

}  // namespace edgert
