// runtime/convert/checkpoint_source.h: a checkpoint the converter can read,
// whatever its format (Hugging Face safetensors, GGUF, random weights).
//
// Sources hand out tensors by Hugging Face name, a block of rows at a time, so
// the converter streams and never holds a whole tensor. A "row" is the
// innermost dimension; a 1-D tensor is one row.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/dtype.h"
#include "base/status.h"
#include "formats/model_config.h"
#include "formats/tokenizer_spec.h"

namespace edgert {

struct SourceTensor {
  std::string name;  // Hugging Face name
  DType dtype = DType::kF32;
  std::vector<int64_t> shape;
};

class CheckpointSource {
 public:
  virtual ~CheckpointSource() = default;

  virtual const ModelConfig& config() const = 0;
  // The tokenizer the checkpoint carries, if any.
  virtual const std::optional<TokenizerSpec>& tokenizer() const = 0;
  // One line for --info and the model's provenance: "safetensors: DIR".
  virtual std::string description() const = 0;

  virtual const SourceTensor* Find(const std::string& name) const = 0;
  // Rows [row0, row0 + rows) of `name`, converted to f32, into `out`
  // (rows * row length floats). May release the source pages it read.
  virtual Status ReadRowsF32(const SourceTensor& tensor, int64_t row0, int64_t rows, float* out) const = 0;
  // The stored bytes of rows [row0, row0 + rows), when they can be copied as
  // they are (same dtype on both sides); empty when the source cannot.
  virtual std::span<const std::byte> RawRows(const SourceTensor& tensor, int64_t row0, int64_t rows) const {
    (void)tensor, (void)row0, (void)rows;
    return {};
  }
  // Called when the converter has finished with rows it got from RawRows.
  virtual void ReleaseRawRows(const SourceTensor& tensor, int64_t row0, int64_t rows) const {
    (void)tensor, (void)row0, (void)rows;
  }
};

// Row geometry shared by sources and the converter.
inline int64_t RowLength(const std::vector<int64_t>& shape) { return shape.empty() ? 1 : shape.back(); }
inline int64_t RowCount(const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (size_t i = 0; i + 1 < shape.size(); ++i) n *= shape[i];
  return n;
}

}  // namespace edgert
