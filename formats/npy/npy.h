// formats/npy/npy.h: NumPy .npy files (format 1.0), f32 and i32, C order.
//
// Enough for logits dumps (edge-run --logits-out) and golden fixtures from the
// PyTorch reference: the reader accepts only little-endian '<f4' / '<i4' in C
// order and checks the data length against the shape.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "base/status.h"

namespace edgert {

Status WriteNpyF32(const std::string& path, std::span<const float> data, std::span<const int64_t> shape);

template <typename T>
struct NpyArray {
  std::vector<int64_t> shape;
  std::vector<T> data;
};

Result<NpyArray<float>> ReadNpyF32(const std::string& path);
Result<NpyArray<int32_t>> ReadNpyI32(const std::string& path);

}  // namespace edgert
