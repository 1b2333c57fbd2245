// The 46 reference tokenizations (made with Hugging Face tokenizers) must
// come out exactly, id for id.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "tests/tokenizer/tokenizer_test_util.h"

namespace edgert {
namespace {

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(QwenVectors, AllCasesMatchHuggingFace) {
  const Tokenizer* tok = testing::QwenTokenizer();
  ASSERT_NE(tok, nullptr);
  const std::string inp_path = testing::SharedPath("data/tokenizer/vectors/qwen2.inp");
  const std::string out_path = testing::SharedPath("data/tokenizer/vectors/qwen2.out");
  const std::string inp = ReadAll(inp_path);
  ASSERT_FALSE(inp.empty()) << "missing or empty: " << inp_path;
  const std::string sep = "\n__ggml_vocab_test__\n";
  std::vector<std::string> cases;
  for (size_t pos = 0; pos < inp.size();) {
    const size_t at = inp.find(sep, pos);
    ASSERT_NE(at, std::string::npos) << "unterminated case at byte " << pos;
    cases.push_back(inp.substr(pos, at - pos));
    pos = at + sep.size();
  }
  std::ifstream out(out_path);
  ASSERT_TRUE(out) << "missing: " << out_path;
  std::vector<std::vector<int32_t>> expected;
  for (std::string line; std::getline(out, line);) {
    std::istringstream ids(line);
    std::vector<int32_t> v;
    for (int32_t id; ids >> id;) v.push_back(id);
    expected.push_back(v);
  }
  ASSERT_EQ(cases.size(), 46u);
  ASSERT_EQ(expected.size(), cases.size());
  int failures = 0;
  for (size_t i = 0; i < cases.size(); ++i) {
    const std::vector<int32_t> got = tok->Encode(cases[i]);
    EXPECT_EQ(got, expected[i]) << "case " << i << ": '" << cases[i] << "'";
    failures += got != expected[i];
    EXPECT_EQ(tok->Decode(got), cases[i]) << "case " << i << " does not decode back";
  }
  EXPECT_EQ(failures, 0);
}

}  // namespace
}  // namespace edgert
