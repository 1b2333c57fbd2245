// libFuzzer target: the safetensors reader must reject any bytes cleanly.
#include <cstddef>
#include <cstdint>
#include <span>

#include "formats/safetensors/safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto file = edgert::SafetensorsCheckpoint::FromBytes(std::as_bytes(std::span(data, size)), "fuzz.safetensors");
  if (file.ok()) {
    uint64_t sum = 0;
    for (const auto& t : file->tensors()) {
      for (std::byte b : t.data) sum += static_cast<uint8_t>(b);
    }
    (void)sum;
  }
  return 0;
}
