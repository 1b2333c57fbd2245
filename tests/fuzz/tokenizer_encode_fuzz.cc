// libFuzzer target: encoding arbitrary bytes with a small byte-level BPE
// tokenizer must never fail, and must keep every byte of the input as
// repaired to valid UTF-8 (NFC aside), and the streaming decoder must agree
// with Decode.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "runtime/tokenizer/tokenizer.h"
#include "runtime/tokenizer/unicode.h"
#include "tests/fuzz/small_tokenizer.h"

namespace {

const edgert::Tokenizer& Small() {
  static const edgert::Tokenizer t = edgert::fuzz::MakeSmallTokenizer({"<|x|>"});
  return t;
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
