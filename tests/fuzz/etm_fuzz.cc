// libFuzzer target: the .etm reader must reject any bytes cleanly.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

#include "formats/etm/etm_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Files are mapped page-aligned; give the reader the same alignment.
  std::vector<uint64_t> aligned((size + 7) / 8);
  std::memcpy(aligned.data(), data, size);
  auto file = edgert::ModelFile::FromBytes(std::as_bytes(std::span(aligned)).first(size), "fuzz.etm");
  if (file.ok()) {
    // Anything the reader accepted must be safe to walk.
    for (const auto& t : file->tensors()) (void)file->TensorData(t);
    (void)file->VerifyChecksums();
  }
  return 0;
}
