// libFuzzer target: the safetensors reader must reject any bytes cleanly (no
// crash, no read outside the input, no exception escaping nlohmann), and
// every tensor it accepts must lie inside the input.
#include <cstddef>
#include <cstdint>
#include <span>

#include "formats/safetensors/safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto file = edgert::SafetensorsCheckpoint::FromBytes(std::as_bytes(std::span(data, size)), "fuzz.safetensors");
  if (!file.ok()) return 0;
  uint64_t sum = 0;
  for (const auto& t : file->tensors()) {
    for (std::byte b : t.data) sum += static_cast<uint8_t>(b);
    if (file->Find(t.name) != &t) __builtin_trap();
  }
  for (const auto& [k, v] : file->metadata()) sum += k.size() + v.size();
  (void)sum;
  return 0;
}
