// base/dtype.h: the element types a tensor may have, and their storage sizes.
//
// Quantized types store blocks of 32 weights with the GGUF layouts byte for
// byte (see base/quant_blocks.h), so a GGUF tensor and an .etm tensor of the
// same type hold identical bytes. Numbers of the enum are part of the .etm file
// format (formats/model.fbs mirrors them): append only, never renumber.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "base/status.h"

namespace edgert {

enum class DType : uint8_t {
  kF32 = 0,
  kF16 = 1,
  kBF16 = 2,
  kQ8_0 = 3,
  kQ4_0 = 4,
};

struct DTypeInfo {
  std::string_view name;   // "f32", "q8_0", ...: the spelling users type
  uint32_t block_elems;    // weights per block (1 for unquantized types)
  uint32_t block_bytes;    // bytes per block
  bool quantized;
};

// nullopt for a number that names no type (a file from a newer writer, or junk).
std::optional<DTypeInfo> GetDTypeInfo(DType type);
const DTypeInfo& DTypeInfoOf(DType type);  // type must be valid
std::optional<DType> DTypeFromName(std::string_view name);
std::string_view DTypeName(DType type);

// Bytes that `shape` (outermost first, innermost last, as in PyTorch) takes
// in `type`. Fails when the innermost dimension is not a whole number of
// blocks, or the product overflows 64 bits.
Result<uint64_t> TensorBytes(DType type, std::span<const int64_t> shape);

// Number of elements of `shape`, or an error on a negative dimension or overflow.
Result<uint64_t> ElementCount(std::span<const int64_t> shape);

}  // namespace edgert
