// libFuzzer target: the GGUF reader must reject any bytes cleanly.
#include <cstddef>
#include <cstdint>
#include <span>

#include "formats/gguf/gguf.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto file = edgert::GgufFile::FromBytes(std::as_bytes(std::span(data, size)), "fuzz.gguf");
  if (file.ok()) {
    uint64_t sum = 0;  // every accepted tensor's bytes must be readable
    for (const auto& t : file->tensors()) {
      for (std::byte b : t.data) sum += static_cast<uint8_t>(b);
    }
    (void)file->GetInt("general.alignment");
    (void)file->GetStrings("tokenizer.ggml.tokens");
    (void)sum;
  }
  return 0;
}
