// formats/tokenizer_json/tokenizer_json.h: Hugging Face tokenizer.json to a
// TokenizerSpec.
//
// Accepts what runtime/tokenizer implements: a BPE model (no dropout, no
// byte fallback), an NFC normalizer or none, and a pre-tokenizer that is
// Sequence[Split(regex, Isolated), ByteLevel(use_regex=false)] or ByteLevel
// alone (GPT-2's pattern). Anything else is refused with the key path.
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"
#include "formats/tokenizer_spec.h"

namespace edgert {

Result<TokenizerSpec> ReadTokenizerJson(const std::string& path);
Result<TokenizerSpec> ParseTokenizerJson(std::string_view json, std::string_view source_name);

// GPT-2's split pattern: what a ByteLevel pre-tokenizer with use_regex uses.
inline constexpr const char* kGpt2SplitPattern =
    "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

}  // namespace edgert
