// Differential test: every input of the generated corpus must tokenize to
// exactly the ids Hugging Face tokenizers produced (and, where it is
// comparable, the independent JS implementation), every random id sequence
// must decode to HF's text, and the hand-written split matcher must agree
// with PCRE2 on every input. tests/tokenizer/node/crosscheck.mjs writes the
// corpus; ctest runs it first.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "runtime/tokenizer/pretokenizer.h"
#include "runtime/tokenizer/unicode.h"
#include "tests/tokenizer/tokenizer_test_util.h"

namespace edgert {
namespace {

std::string FromHex(const std::string& hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) out += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
  return out;
}

std::string Ids(const std::vector<int32_t>& ids) { return nlohmann::json(ids).dump(); }

TEST(Crosscheck, EveryInputMatchesHuggingFaceAndTheJsPeer) {
  const char* path = std::getenv("EDGERT_CROSSCHECK_CORPUS");
  const char* ci = std::getenv("CI");
  const bool in_ci = ci != nullptr && std::string(ci) == "true";
  if (path == nullptr || !std::filesystem::exists(path)) {
    const std::string why = std::string("no cross-check corpus at ") + (path ? path : "(EDGERT_CROSSCHECK_CORPUS unset)") +
                            ": run through ctest after `npm ci --prefix tests/tokenizer/node`";
    if (in_ci) FAIL() << why;
    GTEST_SKIP() << "*** SKIPPED *** " << why;
  }
  const Tokenizer* tok = testing::QwenTokenizer();
  ASSERT_NE(tok, nullptr);
  auto fast = PreTokenizer::Create(kQwen2SplitPattern);
  auto pcre = PreTokenizer::Create(kQwen2SplitPattern, /*force_regex_engine=*/true);
  ASSERT_TRUE(fast.ok() && pcre.ok());
  std::ifstream in(path);
  size_t inputs = 0, with_js = 0, decodes = 0, hf_mismatches = 0, js_mismatches = 0, split_mismatches = 0;
  std::vector<std::string_view> a, b;
  size_t line_no = 0;
  for (std::string line; std::getline(in, line);) {
    ++line_no;
    const auto j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    ASSERT_FALSE(j.is_discarded()) << path << ":" << line_no << ": not JSON";
    if (j.contains("decode")) {
      ++decodes;
      const auto ids = j["decode"].get<std::vector<int32_t>>();
      const std::string want = FromHex(j["hf_hex"]);
      EXPECT_EQ(tok->Decode(ids), want) << "line " << line_no << ": decode " << Ids(ids);
      StreamingDecoder dec(*tok);
      std::string streamed;
      for (int32_t id : ids) streamed += dec.Push(id);
      streamed += dec.Flush();
      EXPECT_EQ(streamed, want) << "line " << line_no << ": streaming decode " << Ids(ids);
      continue;
    }
    ++inputs;
    const std::string bytes = FromHex(j["hex"]);
    const std::vector<int32_t> got = tok->Encode(bytes);
    const auto hf = j["hf"].get<std::vector<int32_t>>();
    if (got != hf && ++hf_mismatches <= 10) {
      ADD_FAILURE() << "line " << line_no << ": " << nlohmann::json(ToValidUtf8(bytes)).dump() << "\n  hf:     " << Ids(hf)
                    << "\n  edgert: " << Ids(got);
    }
    if (!j["js"].is_null()) {
      ++with_js;
      const auto js = j["js"].get<std::vector<int32_t>>();
      if (got != js && ++js_mismatches <= 10) {
        ADD_FAILURE() << "line " << line_no << ": " << nlohmann::json(ToValidUtf8(bytes)).dump() << "\n  js:     " << Ids(js)
                      << "\n  edgert: " << Ids(got);
      }
    }
    // Decoding gives back the repaired, normalized text.
    const std::string text = unicode::Nfc(ToValidUtf8(bytes));
    if (tok->Decode(got) != text) ADD_FAILURE() << "line " << line_no << " does not decode back";
    a.clear();
    b.clear();
    fast->Split(text, a);
    pcre->Split(text, b);
    if (a != b && ++split_mismatches <= 10) ADD_FAILURE() << "line " << line_no << ": fast path and PCRE2 split differently";
  }
  EXPECT_GE(inputs, 10000u) << path;
  EXPECT_GE(with_js, 10000u) << path;
  EXPECT_GE(decodes, 1000u) << path;
  EXPECT_EQ(hf_mismatches, 0u) << "of " << inputs << " inputs";
  EXPECT_EQ(js_mismatches, 0u) << "of " << with_js << " inputs";
  EXPECT_EQ(split_mismatches, 0u) << "of " << inputs << " inputs";
  std::printf("compared %zu inputs with Hugging Face, %zu with @lenml/tokenizers, %zu decodes\n", inputs, with_js, decodes);
}

}  // namespace
}  // namespace edgert
