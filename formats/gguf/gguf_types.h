// formats/gguf/gguf_types.h: the vocabulary GGUF reader and writer share:
// ggml type numbers, their block sizes, and metadata values.
//
// The numbers, names and block sizes are those of ggml (llama.cpp), so a file
// with a type this runtime cannot compute with can still be listed, sized and
// bounds-checked. No I/O here.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "base/dtype.h"

namespace edgert {

// ggml type numbers as stored in GGUF, for the types edge-rt computes with.
enum class GgmlType : uint32_t { kF32 = 0, kF16 = 1, kQ4_0 = 2, kQ8_0 = 8, kBF16 = 30 };

struct GgmlTypeInfo {
  std::string_view name;  // ggml's spelling: "q4_K", "bf16", ...
  uint32_t block_elems;   // weights per block
  uint32_t block_bytes;   // bytes per block
};

// Any type ggml defines (removed and deprecated numbers excluded); nullopt otherwise.
std::optional<GgmlTypeInfo> GetGgmlTypeInfo(uint32_t ggml_type);
// "q4_K" for a known type, "type 99" for any other number.
std::string GgmlTypeName(uint32_t ggml_type);
// The edge-rt dtype of a ggml type: F32, F16, BF16, Q8_0, Q4_0; nullopt for others.
std::optional<DType> DTypeFromGgml(uint32_t ggml_type);
uint32_t GgmlFromDType(DType dtype);

// A metadata value. Integers keep their signedness (any width reads as
// int64_t or uint64_t), reals are double, bool arrays read as integer arrays.
using GgufValue = std::variant<int64_t, uint64_t, double, bool, std::string, std::vector<int64_t>,
                               std::vector<double>, std::vector<std::string>>;

}  // namespace edgert
