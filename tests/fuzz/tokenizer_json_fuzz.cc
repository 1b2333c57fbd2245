// libFuzzer target: tokenizer.json parsing, and encoding with whatever parses.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "formats/tokenizer_json/tokenizer_json.h"
#include "runtime/tokenizer/tokenizer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto spec = edgert::ParseTokenizerJson(text, "fuzz.json");
  if (!spec.ok()) return 0;
  auto tokenizer = edgert::Tokenizer::Create(*spec);
  if (!tokenizer.ok()) return 0;
  const auto ids = tokenizer->Encode(text.substr(0, 256));
  (void)tokenizer->Decode(ids);
  return 0;
}
