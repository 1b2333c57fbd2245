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

// Expected ids below come from Hugging Face tokenizers 0.23.2 (the npm
// package "tokenizers", HF's Rust library) on the same tokenizer.json.

TEST(Tokenizer, WhitespaceFollowsHuggingFaceNotJavaScript) {
  // HF's regex engine (Oniguruma) takes \s as Unicode White_Space: U+0085 is
  // whitespace and U+FEFF is not. A JavaScript RegExp has it the other way
  // round, so @lenml/tokenizers differs from HF on "a \u0085b".
  EXPECT_TRUE(unicode::Classify(0x85) & unicode::kWhitespace);
  EXPECT_FALSE(unicode::Classify(0xFEFF) & unicode::kWhitespace);
  EXPECT_FALSE(unicode::Classify(0x180E) & unicode::kWhitespace);
  const Tokenizer* tok = testing::QwenTokenizer();
  ASSERT_NE(tok, nullptr);
  EXPECT_EQ(tok->Encode("a \xc2\x85" "b"), (std::vector<int32_t>{64, 220, 126, 227, 65}));  // JS: 64 2139 227 65
  EXPECT_EQ(tok->Encode("a\xc2\x85\xc2\x85" "b"), (std::vector<int32_t>{64, 126, 227, 126, 227, 65}));
  EXPECT_EQ(tok->Encode("\xef\xbb\xbf\xef\xbb\xbf a"), (std::vector<int32_t>{3225, 3225, 264}));
  EXPECT_EQ(tok->Encode("a \xe1\xa0\x8e"), (std::vector<int32_t>{64, 86089, 254, 236}));
  auto pre = PreTokenizer::Create(kQwen2SplitPattern);
  ASSERT_TRUE(pre.ok());
  std::vector<std::string_view> words;
  pre->Split("a\xc2\x85\xc2\x85" "b", words);  // a, NEL NEL, b -> "a", "\x85", "\x85b"
  EXPECT_EQ(words, (std::vector<std::string_view>{"a", "\xc2\x85", "\xc2\x85" "b"}));
  words.clear();
  pre->Split("a\xef\xbb\xbf" "b", words);  // U+FEFF is not whitespace: "a", "\ufeffb"
  EXPECT_EQ(words, (std::vector<std::string_view>{"a", "\xef\xbb\xbf" "b"}));
}

// PCRE2's own \s would take U+180E as whitespace; the fallback spells out
// White_Space so both engines split the same.
TEST(Tokenizer, Pcre2FallbackUsesUnicodeWhiteSpace) {
  auto fast = PreTokenizer::Create(kQwen2SplitPattern);
  auto pcre = PreTokenizer::Create(kQwen2SplitPattern, /*force_regex_engine=*/true);
  ASSERT_TRUE(fast.ok() && pcre.ok());
  for (std::string_view text : {"a \xe1\xa0\x8e" "b", "x\xe1\xa0\x8e\n y", "\xc2\x85 \xc2\x85z", "\xe3\x80\x80\xe3\x80\x80q"}) {
    std::vector<std::string_view> a, b;
    fast->Split(text, a);
    pcre->Split(text, b);
    EXPECT_EQ(a, b) << text;
  }
  std::vector<std::string_view> words;
  pcre->Split("a \xe1\xa0\x8e" "b", words);
  EXPECT_EQ(words, (std::vector<std::string_view>{"a", " \xe1\xa0\x8e", "b"}));
  // Long runs, where the JIT's backtracking stack runs out: same words.
  for (const std::string& text : {std::string(300000, ' ') + "a", std::string(100000, '\n') + " x",
                                  " \t" + std::string(200000, ' ') + "!\r\n"}) {
    std::vector<std::string_view> a, b;
    fast->Split(text, a);
    pcre->Split(text, b);
    EXPECT_EQ(a, b) << text.size();
  }
}

// Bytes that are not UTF-8 are repaired first, one U+FFFD per maximal
// invalid subpart, exactly as HF's decode (Rust's from_utf8_lossy) and
// TextDecoder do it; Encode then equals HF's encode of the repaired text.
TEST(Tokenizer, InvalidUtf8IsRepairedLikeFromUtf8Lossy) {
  const std::string r = "\xef\xbf\xbd";  // U+FFFD
  EXPECT_EQ(ToValidUtf8("\xe2\x82" "A"), r + "A");  // a truncated sequence is one subpart
  EXPECT_EQ(ToValidUtf8("\xe2\x82"), r);
  EXPECT_EQ(ToValidUtf8("\xf0\x9f\x98"), r);
  EXPECT_EQ(ToValidUtf8("\xe0\x80" "A"), r + r + "A");  // E0 80 is never a prefix
  EXPECT_EQ(ToValidUtf8("\xed\xa0\x80"), r + r + r);   // a surrogate
  EXPECT_EQ(ToValidUtf8("\xc0\xaf"), r + r);            // overlong
  EXPECT_EQ(ToValidUtf8("\xf4\x90\x80\x80"), r + r + r + r);  // past U+10FFFF
  EXPECT_EQ(ToValidUtf8("ok \xc3\xa9"), "ok \xc3\xa9");
  const Tokenizer* tok = testing::QwenTokenizer();
  ASSERT_NE(tok, nullptr);
  EXPECT_EQ(tok->Encode("\xe2\x82" "A"), tok->Encode(r + "A"));
  EXPECT_EQ(tok->Decode(tok->Encode("x\xff\xfe y")), "x" + r + r + " y");
  std::mt19937 rng(9);
  for (int i = 0; i < 500; ++i) {
    std::string bytes(1 + rng() % 40, '\0');
    for (char& c : bytes) c = static_cast<char>(rng());
    const std::vector<int32_t> ids = tok->Encode(bytes);
    std::string back;
    for (int32_t id : ids) back += tok->TokenBytes(id);
    EXPECT_EQ(back, unicode::Nfc(ToValidUtf8(bytes))) << "case " << i;
  }
}

TEST(Tokenizer, StreamingDecoderEqualsDecodeOnRandomIds) {
  const Tokenizer* tok = testing::QwenTokenizer();
  ASSERT_NE(tok, nullptr);
  std::mt19937 rng(17);
  for (int i = 0; i < 2000; ++i) {
    std::vector<int32_t> ids(1 + rng() % 10);
    for (int32_t& id : ids) id = rng() % 3 == 0 ? static_cast<int32_t>(rng() % 256) : static_cast<int32_t>(rng() % 151700);
    StreamingDecoder dec(*tok);
    std::string streamed;
    for (int32_t id : ids) {
      const std::string piece = dec.Push(id);
      ASSERT_EQ(ToValidUtf8(piece), piece);
      streamed += piece;
    }
    streamed += dec.Flush();
    EXPECT_EQ(streamed, tok->Decode(ids)) << "case " << i;
  }
}

// Added-token flags, on the Qwen2.5 file with some flags changed; expected
// ids from HF on the same change.
TEST(Tokenizer, AddedTokenFlagsFollowHuggingFace) {
  auto spec = ReadTokenizerJson(testing::SharedPath("data/tokenizer/qwen2.5/tokenizer.json"));
  ASSERT_TRUE(spec.ok()) << spec.status().message();
  for (AddedTokenSpec& a : spec->added_tokens) {
    if (a.id == 151645) a.lstrip = a.rstrip = true;  // <|im_end|>
    if (a.id == 151657) a.single_word = true;        // <tool_call>
  }
  spec->added_tokens.push_back({151665, "caf\xc3\xa9", false, false, false, /*normalized=*/true, false});
  spec->added_tokens.push_back({151666, "\xc4\xa0hi", false, false, false, false, false});  // "Ġhi", also in the vocabulary
  auto tok = Tokenizer::Create(*spec);
  ASSERT_TRUE(tok.ok()) << tok.status().message();
  using V = std::vector<int32_t>;
  EXPECT_EQ(tok->Encode("a \xe3\x80\x80<|im_end|>\xc2\xa0\n b"), (V{64, 151645, 65}));
  EXPECT_EQ(tok->Encode("x<|im_end|><|im_end|>  y"), (V{87, 151645, 151645, 88}));
  EXPECT_EQ(tok->Encode("\xd1\x85<|im_end|>"), (V{10474, 151645}));  // a character ending in byte 0x85 is no space
  EXPECT_EQ(tok->Encode("a<tool_call>b"), (V{64, 27, 14172, 13429, 51407}));
  EXPECT_EQ(tok->Encode("a <tool_call> b"), (V{64, 220, 151657, 293}));
  EXPECT_EQ(tok->Encode("\xc3\xa9<tool_call>"), (V{963, 27, 14172, 13429, 29}));
  EXPECT_EQ(tok->Encode("_<tool_call>"), (V{41743, 14172, 13429, 29}));
  EXPECT_EQ(tok->Encode("cafe\xcc\x81 and caf\xc3\xa9s"), (V{151665, 323, 220, 151665, 82}));
  EXPECT_EQ(tok->Encode("x\xc4\xa0hi y"), (V{87, 15588, 379}));
  // HF's ByteLevel decoder maps added tokens too: "café" is c a f + byte E9.
  EXPECT_EQ(tok->Decode(V{151665}), "caf\xef\xbf\xbd");
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
  auto message = [](std::string_view json) { return ParseTokenizerJson(json, "t.json").status().message(); };
  EXPECT_THAT(message("{\"model\": "), HasSubstr("t.json: not valid JSON at byte offset 10: parse error at line 1, column 11"));
  EXPECT_THAT(message("{\"model\": {\"vocab\": {\"a\": 0"), HasSubstr("t.json: not valid JSON at byte offset"));
  EXPECT_THAT(message("[]"), HasSubstr("expected a JSON object"));
  EXPECT_THAT(message("{}"), HasSubstr("t.json: model: missing"));
  EXPECT_THAT(message(R"({"model": {"type": "BPE", "merges": []}})"), HasSubstr("t.json: model.vocab: missing"));
  EXPECT_THAT(message(R"({"model": {"type": "BPE", "vocab": [], "merges": []}})"), HasSubstr("t.json: model.vocab: expected an object"));
  EXPECT_THAT(message(R"({"model": {"type": "BPE", "vocab": {"a": "0"}, "merges": []}})"), HasSubstr("model.vocab[\"a\"]: expected"));
  EXPECT_THAT(message(R"({"model": {"type": "BPE", "vocab": {"a": 0}, "merges": {}}})"), HasSubstr("t.json: model.merges: expected an array"));
  EXPECT_THAT(message(R"({"model": {"type": "BPE", "vocab": {"a": 0}}})"), HasSubstr("t.json: model.merges: missing"));
  EXPECT_THAT(message(R"({"model": {"type": "Unigram"}})"), HasSubstr("only BPE"));
  EXPECT_THAT(message(R"({"model": {"type": "BPE", "vocab": {"a": 0}, "merges": [3]},
      "pre_tokenizer": {"type": "ByteLevel"}})"), HasSubstr("model.merges[0]"));
  EXPECT_THAT(message(R"({"model": {"type": "BPE", "vocab": {"a": 0, "b": 2}, "merges": []},
      "pre_tokenizer": {"type": "ByteLevel"}})"), HasSubstr("no token with id 1"));
  EXPECT_THAT(message(R"({"model": {"type": "BPE", "vocab": {"a": 0}, "merges": []},
      "normalizer": {"type": "NFKC"}, "pre_tokenizer": {"type": "ByteLevel"}})"), HasSubstr("normalizer 'NFKC'"));
  EXPECT_THAT(message(R"({"model": {"type": "BPE", "vocab": {"a": 0}, "merges": []},
      "pre_tokenizer": {"type": "Whitespace"}})"), HasSubstr("pre_tokenizer type 'Whitespace'"));
  EXPECT_THAT(message(R"({"model": {"type": "BPE", "vocab": {"a": 0}, "merges": []},
      "pre_tokenizer": {"type": "ByteLevel"}, "added_tokens": [{"id": "x", "content": "<s>"}]})"), HasSubstr("added_tokens[0]"));
  EXPECT_THAT(message(R"({"model": {"type": "BPE", "vocab": {"a": 0}, "merges": [], "continuing_subword_prefix": "##"},
      "pre_tokenizer": {"type": "ByteLevel"}})"), HasSubstr("model.continuing_subword_prefix"));
}

TEST(TokenizerJson, MergesAsStringsOrPairsAreTheSame) {
  const std::string head = R"({"model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2}, "merges": )";
  const std::string tail = R"(}, "pre_tokenizer": {"type": "ByteLevel"}})";
  auto strings = ParseTokenizerJson(head + R"(["a b"])" + tail, "t.json");
  auto pairs = ParseTokenizerJson(head + R"([["a", "b"]])" + tail, "t.json");
  ASSERT_TRUE(strings.ok() && pairs.ok());
  EXPECT_EQ(strings->merges, (std::vector<std::string>{"a b"}));
  EXPECT_EQ(pairs->merges, strings->merges);
  EXPECT_EQ(pairs->pretokenizer_regex, kGpt2SplitPattern);
}

TEST(TokenizerJson, MissingFileNamesThePath) {
  EXPECT_THAT(ReadTokenizerJson("/nonexistent/tokenizer.json").status().message(),
              HasSubstr("/nonexistent/tokenizer.json: cannot open"));
}

}  // namespace
}  // namespace edgert
