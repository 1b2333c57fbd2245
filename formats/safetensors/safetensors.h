// formats/safetensors/safetensors.h: Hugging Face safetensors, read in place.
//
// A file is: u64 little-endian header length N, N bytes of JSON
// ({name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {...}}),
// then the data. A checkpoint is one file, or a folder with
// model.safetensors.index.json naming its shards (its weight_map), or a
// folder with just model.safetensors. Files are mapped (zero copy); every
// offset and size is checked against the file before use, tensors may not
// share bytes. F32, F16 and BF16 are read; other dtypes are refused naming the
// tensor. No compute here.
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
// Callers that write safetensors used to find the writer here; new code includes it itself.
#include "formats/safetensors/safetensors_writer.h"

namespace edgert {

struct SafetensorsTensor {
  std::string name;
  DType dtype = DType::kF32;
  std::vector<int64_t> shape;       // outermost first
  std::span<const std::byte> data;  // into the mapping
};

class SafetensorsCheckpoint {
 public:
  // A .safetensors file, or a folder as described above.
  static Result<SafetensorsCheckpoint> Open(const std::string& file_or_folder);
  // One file's bytes, owned by the caller, who keeps them alive (fuzzing, tests).
  static Result<SafetensorsCheckpoint> FromBytes(std::span<const std::byte> bytes, const std::string& name);

  SafetensorsCheckpoint(SafetensorsCheckpoint&&) noexcept;
  SafetensorsCheckpoint& operator=(SafetensorsCheckpoint&&) noexcept;
  ~SafetensorsCheckpoint();

  // In the order of the files, and within a file by data offset.
  const std::vector<SafetensorsTensor>& tensors() const { return tensors_; }
  const SafetensorsTensor* Find(std::string_view name) const;
  // "__metadata__" string entries of every file (e.g. {"format": "pt"}).
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  const std::string& path() const { return path_; }

 private:
  SafetensorsCheckpoint() = default;
  Status AddFile(std::span<const std::byte> bytes, const std::string& name);
  std::vector<std::unique_ptr<ports::MappedFile>> files_;
  std::vector<SafetensorsTensor> tensors_;
  std::map<std::string, size_t, std::less<>> index_;
  std::map<std::string, std::string> metadata_;
  std::string path_;
};

}  // namespace edgert
