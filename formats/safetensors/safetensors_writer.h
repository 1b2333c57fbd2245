// formats/safetensors/safetensors_writer.h: writes one Hugging Face
// safetensors file (tests, converter fixtures, PEFT export).
//
// Written atomically through ports/output_file.h. A tensor given without
// data is all zeros and is left as a hole in a sparse file: nothing is held
// in memory or written for it, so a test can build a full-size (2 GB)
// Qwen2.5-0.5B-shaped checkpoint in an instant. Tensors are laid out in the
// order given; the JSON header is padded with spaces so the data starts
// 8-byte aligned, as the reference writer does. No compute here.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "base/dtype.h"
#include "base/status.h"

namespace edgert {

struct SafetensorsOut {
  std::string name;
  DType dtype = DType::kF32;        // F32, F16 or BF16
  std::vector<int64_t> shape;       // outermost first
  std::span<const std::byte> data;  // TensorBytes(dtype, shape) bytes, or empty for all zeros
};

// Fails, writing nothing, on a duplicate or reserved name ("__metadata__"),
// a dtype safetensors files here do not hold, or data of the wrong size.
Status WriteSafetensors(const std::string& path, const std::vector<SafetensorsOut>& tensors,
                        const std::map<std::string, std::string>& metadata = {});

}  // namespace edgert
