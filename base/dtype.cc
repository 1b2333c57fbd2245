// base/dtype.cc: the table of element types.
#include "base/dtype.h"

#include <array>
#include <limits>
#include <string>

#include "base/quant_blocks.h"

namespace edgert {
namespace {

constexpr std::array<DTypeInfo, 5> kTypes = {{
    {"f32", 1, 4, false},
    {"f16", 1, 2, false},
    {"bf16", 1, 2, false},
    {"q8_0", kQuantBlock, sizeof(BlockQ8_0), true},
    {"q4_0", kQuantBlock, sizeof(BlockQ4_0), true},
}};

}  // namespace

std::optional<DTypeInfo> GetDTypeInfo(DType type) {
  const auto i = static_cast<size_t>(type);
  if (i >= kTypes.size()) return std::nullopt;
  return kTypes[i];
}

const DTypeInfo& DTypeInfoOf(DType type) {
  const auto i = static_cast<size_t>(type);
  assert(i < kTypes.size());
  return kTypes[i];
}

std::string_view DTypeName(DType type) {
  const auto info = GetDTypeInfo(type);
  return info ? info->name : std::string_view("invalid");
}

std::optional<DType> DTypeFromName(std::string_view name) {
  for (size_t i = 0; i < kTypes.size(); ++i) {
    if (kTypes[i].name == name) return static_cast<DType>(i);
  }
  return std::nullopt;
}

Result<uint64_t> ElementCount(std::span<const int64_t> shape) {
  uint64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0) return InvalidArgument("negative dimension " + std::to_string(d));
    if (d != 0 && n > std::numeric_limits<uint64_t>::max() / static_cast<uint64_t>(d)) {
      return InvalidArgument("element count overflows 64 bits");
    }
    n *= static_cast<uint64_t>(d);
  }
  return n;
}

Result<uint64_t> TensorBytes(DType type, std::span<const int64_t> shape) {
  const auto info = GetDTypeInfo(type);
  if (!info) return InvalidArgument("unknown dtype " + std::to_string(static_cast<int>(type)));
  EDGERT_ASSIGN_OR_RETURN(const uint64_t n, ElementCount(shape));
  if (info->block_elems > 1) {
    const int64_t inner = shape.empty() ? 1 : shape.back();
    if (inner % info->block_elems != 0) {
      return InvalidArgument("innermost dimension " + std::to_string(inner) + " is not a multiple of " +
                             std::to_string(info->block_elems) + " as " + std::string(info->name) +
                             " requires");
    }
  }
  const uint64_t blocks = n / info->block_elems;
  if (blocks > std::numeric_limits<uint64_t>::max() / info->block_bytes) {
    return InvalidArgument("tensor size overflows 64 bits");
  }
  return blocks * info->block_bytes;
}

}  // namespace edgert
