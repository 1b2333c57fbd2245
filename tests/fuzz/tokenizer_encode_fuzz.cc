// libFuzzer target: encoding arbitrary bytes with a small byte-level BPE
// tokenizer must never fail, and must keep every byte of the input as
// repaired to valid UTF-8 (NFC aside), and the streaming decoder must agree
// with Decode.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "runtime/tokenizer/pretokenizer.h"
#include "runtime/tokenizer/tokenizer.h"
#include "runtime/tokenizer/unicode.h"

namespace {

const edgert::Tokenizer& Small() {
  static const edgert::Tokenizer* t = [] {
    edgert::TokenizerSpec spec;
    // The 256 byte symbols (GPT-2's byte-to-unicode order), plus two merges.
    std::string symbols[256];
    {
      std::vector<char32_t> map(256);
      int next = 256;
      for (int b = 0; b < 256; ++b) {
        const bool direct = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
        map[static_cast<size_t>(b)] = direct ? static_cast<char32_t>(b) : static_cast<char32_t>(next++);
        edgert::unicode::AppendUtf8(map[static_cast<size_t>(b)], symbols[b]);
        spec.vocab.push_back(symbols[b]);
      }
    }
    const std::string& a = symbols[0x61];
    const std::string& b = symbols[0x62];
    const std::string& space = symbols[0x20];
    spec.vocab.push_back(a + b);
    spec.vocab.push_back(space + a);
    spec.merges = {a + " " + b, space + " " + a};
    spec.added_tokens = {{258, "<|x|>", true, false, false, false, false}};
    spec.normalizer = "NFC";
    spec.pretokenizer_regex = edgert::kQwen2SplitPattern;
    auto tok = edgert::Tokenizer::Create(spec);
    if (!tok.ok()) std::abort();
    return new edgert::Tokenizer(std::move(*tok));
  }();
  return *t;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const edgert::Tokenizer& tok = Small();
  std::string back;
  for (int32_t id : tok.Encode(text)) back += tok.TokenBytes(id);
  if (back != edgert::unicode::Nfc(edgert::ToValidUtf8(text))) std::abort();
  // Random ids (the input's bytes read as ids): streaming == Decode.
  std::vector<int32_t> ids;
  for (size_t i = 0; i + 1 < size; i += 2) ids.push_back((data[i] | data[i + 1] << 8) % 262);
  edgert::StreamingDecoder dec(tok);
  std::string streamed;
  for (int32_t id : ids) {
    const std::string piece = dec.Push(id);
    if (edgert::ToValidUtf8(piece) != piece) std::abort();
    streamed += piece;
  }
  streamed += dec.Flush();
  if (streamed != tok.Decode(ids)) std::abort();
  return 0;
}
