// tests/tokenizer/tokenizer_test_util.h: the real Qwen2.5 tokenizer from ../shared.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "formats/tokenizer_json/tokenizer_json.h"
#include "runtime/tokenizer/tokenizer.h"

namespace edgert::testing {

inline std::string SharedPath(const std::string& relative) { return std::string(EDGERT_SHARED_DIR) + "/" + relative; }

// Loaded once per test binary. Fails the calling test, naming the path, when
// the shared data is missing: a test that cannot run must not pass.
inline const Tokenizer* QwenTokenizer() {
  static const std::string path = SharedPath("data/tokenizer/qwen2.5/tokenizer.json");
  static Result<Tokenizer>* tokenizer = [] {
    auto spec = ReadTokenizerJson(path);
    if (!spec.ok()) return new Result<Tokenizer>(spec.status());
    return new Result<Tokenizer>(Tokenizer::Create(*spec));
  }();
  if (!tokenizer->ok()) {
    ADD_FAILURE() << "cannot load the Qwen2.5 tokenizer from " << path << " (the shared/ folder must sit beside "
                  << "the repository): " << tokenizer->status().message();
    return nullptr;
  }
  return &tokenizer->value();
}

}  // namespace edgert::testing
