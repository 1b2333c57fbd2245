// formats/safetensors/safetensors.h: Hugging Face safetensors, read in place.
//
// A file is: u64 little-endian header length N, N bytes of JSON
// ({name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {...}}),
// then the data. A checkpoint is one file, or a folder with model.safetensors
// or with model.safetensors.index.json naming its shards. Every offset and
// size is checked against the file before use; F32, F16 and BF16 are read,
// other dtypes are refused naming the tensor.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/dtype.h"
#include "base/status.h"
#include "ports/mapped_file.h"

namespace edgert {

struct SafetensorsTensor {
  std::string name;
  DType dtype = DType::kF32;
  std::vector<int64_t> shape;
  std::span<const std::byte> data;  // into the mapping
};

class SafetensorsCheckpoint {
 public:
  static Result<SafetensorsCheckpoint> Open(const std::string& file_or_folder);
  // One file's bytes, owned by the caller (fuzzing, tests).
  static Result<SafetensorsCheckpoint> FromBytes(std::span<const std::byte> bytes, const std::string& name);

  SafetensorsCheckpoint(SafetensorsCheckpoint&&) noexcept;
  SafetensorsCheckpoint& operator=(SafetensorsCheckpoint&&) noexcept;
  ~SafetensorsCheckpoint();

  const std::vector<SafetensorsTensor>& tensors() const { return tensors_; }
  const SafetensorsTensor* Find(std::string_view name) const;
  const std::string& path() const { return path_; }

 private:
  SafetensorsCheckpoint() = default;
  Status AddFile(std::span<const std::byte> bytes, const std::string& name);
  std::vector<std::unique_ptr<ports::MappedFile>> files_;
  std::vector<SafetensorsTensor> tensors_;
  std::map<std::string, size_t, std::less<>> index_;
  std::string path_;
};

// For writing (tests, PEFT export). A tensor with empty `data` is written as
// zeros without touching memory (a hole in a sparse file).
struct SafetensorsOut {
  std::string name;
  DType dtype = DType::kF32;
  std::vector<int64_t> shape;
  std::span<const std::byte> data;
};
Status WriteSafetensors(const std::string& path, const std::vector<SafetensorsOut>& tensors,
                        const std::map<std::string, std::string>& metadata = {});

}  // namespace edgert
