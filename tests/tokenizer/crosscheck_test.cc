// Differential test: every string of the generated corpus must tokenize to
// exactly the ids the independent JS implementation produced (written by
// tests/tokenizer/node/crosscheck.mjs; ctest runs that first).
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <fstream>

#include "runtime/tokenizer/unicode.h"
#include "tests/tokenizer/tokenizer_test_util.h"

namespace edgert {
namespace {

TEST(Crosscheck, EveryStringMatchesTheJsImplementation) {
  const char* path = std::getenv("EDGERT_CROSSCHECK_CORPUS");
  if (path == nullptr) GTEST_SKIP() << "run through ctest (tokenizer_crosscheck), which makes the corpus first";
  const Tokenizer* tok = testing::QwenTokenizer();
  ASSERT_NE(tok, nullptr);
  std::ifstream in(path);
  ASSERT_TRUE(in) << "corpus missing: " << path << " (did `node crosscheck.mjs` run? npm ci --prefix tests/tokenizer/node)";
  size_t n = 0, mismatches = 0;
  for (std::string line; std::getline(in, line); ++n) {
    const auto j = nlohmann::json::parse(line);
    const std::string text = j["text"];
    const std::vector<int32_t> want = j["ids"].get<std::vector<int32_t>>();
    const std::vector<int32_t> got = tok->Encode(text);
    if (got != want && ++mismatches <= 10) {
      ADD_FAILURE() << "line " << n + 1 << ": " << nlohmann::json(text).dump() << "\n  js:     "
                    << nlohmann::json(want).dump() << "\n  edgert: " << nlohmann::json(got).dump();
    }
    // Decoding gives the normalized text back (NFC composes combining marks).
    if (tok->Decode(got) != unicode::Nfc(text)) ADD_FAILURE() << "line " << n + 1 << " does not decode back";
  }
  EXPECT_GE(n, 10000u);
  EXPECT_EQ(mismatches, 0u) << "of " << n << " strings";
}

}  // namespace
}  // namespace edgert
