// formats/gguf/gguf_writer.h: writes GGUF v3 files (test fixtures, export).
//
// Metadata, then tensor infos, then the tensors' bytes, each aligned to 32
// bytes (or to general.alignment when the metadata sets it); written
// atomically through ports/output_file.h. Value types follow llama.cpp's own
// choices, which its loader checks strictly: an int64_t is written as i32 and
// a uint64_t as u32 when the value fits (i64 / u64 otherwise), a double as f32,
// integer arrays as i32 arrays (i64 when an element does not fit), real
// arrays as f32 arrays. No compute here: tensor bytes are copied as given.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "base/dtype.h"
#include "base/status.h"
#include "formats/gguf/gguf_types.h"

namespace edgert {

struct GgufOutTensor {
  std::string name;
  DType dtype = DType::kF32;
  std::vector<int64_t> shape;       // outermost first
  std::span<const std::byte> data;  // exactly TensorBytes(dtype, shape) bytes
};

// Streams a GGUF file: the layout is fixed by Create (metadata and every
// tensor's name, dtype and shape), then each tensor's bytes are appended in
// order, in chunks of any size, so a caller never holds a whole model. The
// file appears at `path` only when Finish() succeeds (ports::OutputFile).
class GgufWriter {
 public:
  // Fails (creating nothing) on a duplicate key or tensor name or a bad shape.
  // `tensors`' data spans are ignored.
  static Result<GgufWriter> Create(const std::string& path,
                                   const std::vector<std::pair<std::string, GgufValue>>& metadata,
                                   const std::vector<GgufOutTensor>& tensors);
  GgufWriter(GgufWriter&&) noexcept;
  GgufWriter& operator=(GgufWriter&&) noexcept;
  ~GgufWriter();

  // Bytes of the current tensor; may not run past its end.
  Status Append(std::span<const std::byte> bytes);
  // Checks that every tensor is complete, pads, fsyncs, renames.
  Status Finish();

 private:
  struct State;
  explicit GgufWriter(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

// The whole file in one call, from tensors' spans. Fails (writing nothing) on
// a duplicate key or tensor name, or on data whose size does not match its
// dtype and shape.
Status WriteGguf(const std::string& path, const std::vector<std::pair<std::string, GgufValue>>& metadata,
                 const std::vector<GgufOutTensor>& tensors);

}  // namespace edgert
