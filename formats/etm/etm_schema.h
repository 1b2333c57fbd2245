// formats/etm/etm_schema.h: between ModelMetadata/TensorInfo and the
// FlatBuffers tables of model.fbs. Private to formats/etm: it is the only code
// that sees generated FlatBuffers types.
#pragma once

#include <cstdint>
#include <vector>

#include "base/status.h"
#include "formats/etm/model_metadata.h"

namespace flatbuffers { class FlatBufferBuilder; }

namespace edgert::etm_internal {

// Builds the size-prefixed header. Scalars are always stored (ForceDefaults)
// so two headers that differ only in scalar values have the same size: the
// writer relies on that to patch checksums in after streaming the data.
void BuildHeader(const ModelMetadata& metadata, const std::vector<TensorInfo>& tensors,
                 uint64_t data_offset, flatbuffers::FlatBufferBuilder& builder);

struct ParsedHeader {
  uint32_t format_version = 0;
  uint64_t data_offset = 0;
  uint64_t header_size = 0;  // bytes including the size prefix
  ModelMetadata metadata;
  std::vector<TensorInfo> tensors;  // offsets made absolute
};

// Verifies and decodes the header at the start of `bytes`. Checks the
// identifier, the verifier, and required fields; not the tensors' bounds.
Result<ParsedHeader> ParseHeader(std::span<const std::byte> bytes);

}  // namespace edgert::etm_internal
