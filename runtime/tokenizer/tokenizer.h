// runtime/tokenizer/tokenizer.h: Qwen2-style byte-level BPE, equal to Hugging
// Face `tokenizers` on the same tokenizer.json.
//
// Encode: added tokens are matched first, in the raw text (leftmost, longest
// at a position); the text between them is NFC-normalized (when the file says
// so), split by the pre-tokenizer pattern, mapped to the byte alphabet and
// merged by rank. No BOS, no template. Input that is not valid UTF-8 never
// fails: an invalid byte is classified as U+FFFD by the pattern and encoded
// as its own byte.
// Decode: token bytes concatenated; added tokens as their text. Decode()
// replaces invalid UTF-8 with U+FFFD, as Hugging Face's decode does.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "formats/tokenizer_spec.h"

namespace edgert {

class Tokenizer {
 public:
  static Result<Tokenizer> Create(const TokenizerSpec& spec);
  Tokenizer(Tokenizer&&) noexcept;
  Tokenizer& operator=(Tokenizer&&) noexcept;
  ~Tokenizer();

  std::vector<int32_t> Encode(std::string_view text) const;
  std::string Decode(std::span<const int32_t> ids) const;
  Result<std::string> DecodeChecked(std::span<const int32_t> ids) const;  // refuses unknown ids

  // The raw bytes of one token (may be part of a UTF-8 character).
  std::string_view TokenBytes(int32_t id) const;
  std::optional<int32_t> FindToken(std::string_view text) const;  // added tokens and vocabulary
  int32_t size() const;  // one past the largest id

 private:
  struct Impl;
  explicit Tokenizer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Turns a stream of ids into text without ever emitting half a UTF-8
// character: bytes of an incomplete character wait for the next token.
class StreamingDecoder {
 public:
  explicit StreamingDecoder(const Tokenizer& tokenizer) : tokenizer_(&tokenizer) {}
  std::string Push(int32_t id);  // the text that became complete
  std::string Flush();           // what is left, invalid bytes as U+FFFD

 private:
  const Tokenizer* tokenizer_;
  std::string pending_;
};

// Replaces every invalid UTF-8 sequence with U+FFFD (like from_utf8_lossy).
std::string ToValidUtf8(std::string_view bytes);

}  // namespace edgert
