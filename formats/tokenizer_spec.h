// formats/tokenizer_spec.h: a byte-level BPE tokenizer as data.
//
// Read from tokenizer.json (formats/tokenizer_json.h) or from a model file,
// and turned into a working tokenizer by runtime/tokenizer. Plain data: no
// lookup structures here.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace edgert {

struct AddedTokenSpec {
  int32_t id = -1;
  std::string content;
  bool special = false;
  bool lstrip = false;
  bool rstrip = false;
  bool normalized = false;
  bool single_word = false;
};

struct TokenizerSpec {
  std::string model_type = "BPE";
  std::vector<std::string> vocab;         // [n] token text by id, byte-to-unicode form
  std::vector<std::string> merges;        // "left right", by rank (rank = index)
  std::vector<AddedTokenSpec> added_tokens;
  std::string normalizer;                 // "NFC" or "" for none
  std::string pretokenizer_regex;         // the Split pattern from tokenizer.json
};

}  // namespace edgert
