// Tokenizer behaviour beyond the reference vectors: round trips, streaming,
// the two pre-tokenizer engines, Hugging Face's rules on the characters the JS
// peer gets wrong, invalid UTF-8, and bad tokenizer.json files.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <random>

#include "runtime/tokenizer/pretokenizer.h"
#include "runtime/tokenizer/unicode.h"
#include "tests/tokenizer/tokenizer_test_util.h"

namespace edgert {
namespace {

using ::testing::HasSubstr;

// Random valid UTF-8 drawn from the ranges that matter to the pattern.
std::string RandomText(std::mt19937& rng, size_t chars) {
  static const std::vector<std::pair<char32_t, char32_t>> ranges = {
      {0x20, 0x7e}, {0x09, 0x0d}, {0xa0, 0x17f}, {0x300, 0x36f}, {0x370, 0x3ff}, {0x400, 0x4ff}, {0x600, 0x6ff},
      {0x900, 0x97f}, {0x2000, 0x206f}, {0x3000, 0x30ff}, {0x4e00, 0x4fff}, {0xac00, 0xacff}, {0x1f300, 0x1f64f},
      {0x85, 0x85}, {0xfeff, 0xfeff}, {0x1d400, 0x1d4ff}};
  std::string s;
  for (size_t i = 0; i < chars; ++i) {
    const auto& [lo, hi] = ranges[rng() % ranges.size()];
    unicode::AppendUtf8(lo + static_cast<char32_t>(rng() % (hi - lo + 1)), s);
    if (rng() % 5 == 0) s += ' ';
  }
  return s;
}

TEST(Tokenizer, DecodeEncodeIsIdentityOnValidUtf8) {
  const Tokenizer* tok = testing::QwenTokenizer();
  ASSERT_NE(tok, nullptr);
  std::mt19937 rng(11);
  for (int i = 0; i < 2000; ++i) {
    const std::string text = unicode::Nfc(RandomText(rng, 1 + rng() % 40));  // NFC text: encode keeps it as is
    ASSERT_EQ(tok->Decode(tok->Encode(text)), text) << "case " << i;
  }
}

TEST(Tokenizer, NfcComposesBeforeSplitting) {
  const Tokenizer* tok = testing::QwenTokenizer();
  ASSERT_NE(tok, nullptr);
  EXPECT_EQ(tok->Encode("cafe\xcc\x81"), tok->Encode("caf\xc3\xa9"));  // e + combining acute == é
}

TEST(Tokenizer, StreamingDecoderNeverSplitsACharacter) {
  const Tokenizer* tok = testing::QwenTokenizer();
  ASSERT_NE(tok, nullptr);
  std::mt19937 rng(3);
  for (int i = 0; i < 300; ++i) {
    const std::string text = unicode::Nfc(RandomText(rng, 30));
    StreamingDecoder dec(*tok);
    std::string streamed;
    for (int32_t id : tok->Encode(text)) {
      const std::string piece = dec.Push(id);
      EXPECT_EQ(ToValidUtf8(piece), piece) << "emitted part of a character";
      streamed += piece;
    }
    streamed += dec.Flush();
    EXPECT_EQ(streamed, text);
  }
}

TEST(Tokenizer, FastPathEqualsPcre2OnRandomText) {
  auto fast = PreTokenizer::Create(kQwen2SplitPattern);
  auto pcre = PreTokenizer::Create(kQwen2SplitPattern, /*force_regex_engine=*/true);
  ASSERT_TRUE(fast.ok() && pcre.ok());
  ASSERT_TRUE(fast->uses_fast_path());
  ASSERT_FALSE(pcre->uses_fast_path());
  std::mt19937 rng(5);
  std::vector<std::string_view> a, b;
  for (int i = 0; i < 3000; ++i) {
    std::string text = RandomText(rng, 1 + rng() % 50);
    if (i % 3 == 0) text += "  \n\n \r\n 's 'LL 'Re x''";
    a.clear();
    b.clear();
    fast->Split(text, a);
    pcre->Split(text, b);
    ASSERT_EQ(a, b) << "text: " << text;
  }
}

TEST(Tokenizer, WhitespaceFollowsHuggingFaceNotJavaScript) {
  // Hugging Face (Oniguruma) counts U+0085 as \s and U+FEFF as not; a JS
  // regex does the opposite. We follow Hugging Face, as design.md requires.
  EXPECT_TRUE(unicode::Classify(0x85) & unicode::kWhitespace);
  EXPECT_FALSE(unicode::Classify(0xFEFF) & unicode::kWhitespace);
  auto pre = PreTokenizer::Create(kQwen2SplitPattern);
  ASSERT_TRUE(pre.ok());
  std::vector<std::string_view> words;
  pre->Split("a\xc2\x85\xc2\x85" "b", words);  // a, NEL NEL, b -> "a", "\x85", "\x85b"
  EXPECT_EQ(words, (std::vector<std::string_view>{"a", "\xc2\x85", "\xc2\x85" "b"}));
  words.clear();
  pre->Split("a\xef\xbb\xbf" "b", words);  // U+FEFF is punctuation-like: "a", "\ufeffb"
  EXPECT_EQ(words, (std::vector<std::string_view>{"a", "\xef\xbb\xbf" "b"}));
}

// Invalid bytes are encoded as themselves; the valid runs between them are
// NFC-normalized as usual.
TEST(Tokenizer, InvalidUtf8NeverFailsAndKeepsEveryByte) {
  const Tokenizer* tok = testing::QwenTokenizer();
  ASSERT_NE(tok, nullptr);
  std::mt19937 rng(9);
  for (int i = 0; i < 500; ++i) {
    std::string bytes(1 + rng() % 40, '\0');
    for (char& c : bytes) c = static_cast<char>(rng());
    const std::vector<int32_t> ids = tok->Encode(bytes);
    std::string back;
    for (int32_t id : ids) back += tok->TokenBytes(id);
    EXPECT_EQ(back, unicode::Nfc(bytes)) << "case " << i;
  }
}

TEST(Tokenizer, LongRunsAreLinear) {
  const Tokenizer* tok = testing::QwenTokenizer();
  ASSERT_NE(tok, nullptr);
  const std::string spaces(200000, ' ');
  const auto ids = tok->Encode(spaces);
  EXPECT_EQ(tok->Decode(ids), spaces);
  const std::string word(100000, 'a');
  EXPECT_EQ(tok->Decode(tok->Encode(word)), word);
}

TEST(Tokenizer, SpecialTokensAndDecodeChecked) {
  const Tokenizer* tok = testing::QwenTokenizer();
  ASSERT_NE(tok, nullptr);
  EXPECT_EQ(tok->Encode("<|im_start|>user\nHi<|im_end|>"), (std::vector<int32_t>{151644, 872, 198, 13048, 151645}));
  EXPECT_EQ(tok->FindToken("<|im_end|>"), 151645);
  EXPECT_EQ(tok->size(), 151665);
  const std::vector<int32_t> bad = {9707, 151665};
  EXPECT_THAT(tok->DecodeChecked(bad).status().message(), HasSubstr("token id 151665 at index 1"));
}

TEST(TokenizerJson, BadFilesSayWhatIsWrong) {
  EXPECT_THAT(ParseTokenizerJson("{\"model\": ", "t.json").status().message(), HasSubstr("t.json: not valid JSON at byte"));
  EXPECT_THAT(ParseTokenizerJson("[]", "t.json").status().message(), HasSubstr("expected a JSON object"));
  EXPECT_THAT(ParseTokenizerJson("{}", "t.json").status().message(), HasSubstr("t.json: model: missing"));
  EXPECT_THAT(ParseTokenizerJson(R"({"model": {"type": "BPE", "vocab": [], "merges": []}})", "t.json").status().message(),
              HasSubstr("model.vocab: expected an object"));
  EXPECT_THAT(ParseTokenizerJson(R"({"model": {"type": "Unigram"}})", "t.json").status().message(),
              HasSubstr("only BPE"));
  EXPECT_THAT(ParseTokenizerJson(R"({"model": {"type": "BPE", "vocab": {"a": 0}, "merges": [3]},
      "pre_tokenizer": {"type": "ByteLevel"}})", "t.json").status().message(), HasSubstr("model.merges[0]"));
  EXPECT_THAT(ParseTokenizerJson(R"({"model": {"type": "BPE", "vocab": {"a": 0, "b": 2}, "merges": []},
      "pre_tokenizer": {"type": "ByteLevel"}})", "t.json").status().message(), HasSubstr("no token with id 1"));
}

}  // namespace
}  // namespace edgert
