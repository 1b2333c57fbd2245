// runtime/tokenizer/tokenizer.h: Qwen2-style byte-level BPE, equal to Hugging
// Face `tokenizers` on the same tokenizer.json.
//
// Encode, in HF's order: added tokens with normalized=false are found in the
// raw text (leftmost-longest, with their single_word/lstrip/rstrip flags);
// the text between them is NFC-normalized (when the file says so); added
// tokens with normalized=true are found in that; the rest is split by the
// pre-tokenizer pattern, mapped to the byte alphabet and merged by rank.
// No BOS, no template; special tokens in the text are always recognized.
//
// Input that is not valid UTF-8 never fails: it is first repaired the way
// bytes reach HF at all (HF takes only valid strings), with one U+FFFD per
// maximal invalid subpart, as Rust's String::from_utf8_lossy, Python's
// bytes.decode(errors="replace") and JS's TextDecoder do. So Encode(bytes)
// == HF.encode(from_utf8_lossy(bytes)), and Decode(Encode(bytes)) ==
// from_utf8_lossy(bytes) (NFC aside). (llama.cpp instead replaces each
// invalid byte on its own, so it differs from HF on truncated sequences such
// as "\xE2\x82": one U+FFFD here and in HF, two there.)
//
// Decode: each token's text through HF's ByteLevel decoder (byte alphabet
// back to bytes; a token with a character outside the alphabet, e.g. most
// added tokens, as its text), concatenated, then made valid UTF-8 the same
// lossy way as HF's decode. Unknown ids are skipped, as HF does;
// DecodeChecked refuses them instead.
//
// A Tokenizer is immutable after Create and safe to use from several threads
// (its word cache is locked).
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

  // The bytes one token decodes to (may be part of a UTF-8 character); empty
  // for an unknown id. The view lives as long as the Tokenizer.
  std::string_view TokenBytes(int32_t id) const;
  // The id of a token given as it appears in tokenizer.json (added tokens
  // first, then the vocabulary, whose texts are in the byte alphabet: " a" is
  // "Ġa").
  std::optional<int32_t> FindToken(std::string_view text) const;
  int32_t size() const;  // one past the largest id

 private:
  struct Impl;
  explicit Tokenizer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Turns a stream of ids into text without ever emitting part of a UTF-8
// character: the bytes of an unfinished character wait for the next token.
// The pieces of Push, then Flush, concatenate to exactly Decode(all ids).
// Holds a reference to the tokenizer, which must outlive it.
class StreamingDecoder {
 public:
  explicit StreamingDecoder(const Tokenizer& tokenizer) : tokenizer_(&tokenizer) {}
  std::string Push(int32_t id);  // the text that became complete (maybe empty)
  std::string Flush();           // what is left, an unfinished character as U+FFFD

 private:
  const Tokenizer* tokenizer_;
  std::string pending_;  // at most 3 bytes: the start of an unfinished character
};

// Replaces every invalid UTF-8 sequence with U+FFFD, one per maximal invalid
// subpart (like Rust's String::from_utf8_lossy).
std::string ToValidUtf8(std::string_view bytes);

}  // namespace edgert
