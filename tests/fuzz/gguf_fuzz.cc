// libFuzzer target: the GGUF reader must reject any bytes cleanly (no crash,
// no read outside the input, no huge allocation), and whatever it accepts
// must be safe to use: every tensor's bytes readable, every getter callable.
#include <cstddef>
#include <cstdint>
#include <span>

#include "formats/gguf/gguf.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto file = edgert::GgufFile::FromBytes(std::as_bytes(std::span(data, size)), "fuzz.gguf");
  if (!file.ok()) return 0;
  uint64_t sum = 0;
  for (const auto& t : file->tensors()) {
    auto bytes = file->TensorData(t);
    if (!bytes.ok()) continue;
    for (std::byte b : *bytes) sum += static_cast<uint8_t>(b);
    if (file->Find(t.name) == nullptr) __builtin_trap();
  }
  for (const auto& [key, value] : file->metadata()) {
    (void)file->GetInt(key);
    (void)file->GetFloat(key);
    (void)file->GetBool(key);
    (void)file->GetString(key);
    (void)file->GetStrings(key);
    (void)file->GetInts(key);
    (void)file->GetFloats(key);
  }
  (void)edgert::GgmlTypeName(static_cast<uint32_t>(sum));
  return 0;
}
