// formats/etm/etm_reader.h: opens an .etm model file for reading in place.
//
// Open() maps the file, runs the FlatBuffers verifier over the header, checks
// every tensor's offset, size, alignment and dtype against the file length, and
// checks the tensor list against the architecture (names and shapes that the
// config implies). Nothing the file says is trusted before that. Tensor bytes
// are never copied: TensorData() points into the mapping, valid as long as the
// ModelFile lives.
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "formats/etm/model_metadata.h"
#include "ports/mapped_file.h"

namespace edgert {

class ModelFile {
 public:
  static Result<ModelFile> Open(const std::string& path);
  // The same checks over bytes owned by the caller (fuzzing, tests). `bytes`
  // must outlive the ModelFile. `name` is used in messages.
  static Result<ModelFile> FromBytes(std::span<const std::byte> bytes, std::string name);

  ModelFile(ModelFile&&) noexcept;
  ModelFile& operator=(ModelFile&&) noexcept;
  ~ModelFile();

  const std::string& path() const { return name_; }
  uint64_t file_size() const { return bytes_.size(); }
  uint32_t format_version() const { return format_version_; }
  const ModelMetadata& metadata() const { return metadata_; }
  const ModelConfig& config() const { return metadata_.config; }

  const std::vector<TensorInfo>& tensors() const { return tensors_; }
  const TensorInfo* Find(std::string_view name) const;
  std::span<const std::byte> TensorData(const TensorInfo& tensor) const;

  // Identifies the weights: XXH3-64 over the architecture config and every
  // tensor's name, dtype and checksum. Adapters record it to refuse other bases.
  uint64_t fingerprint() const { return fingerprint_; }

  // Recomputes every tensor's checksum; the error names the first bad tensor.
  Status VerifyChecksums() const;

  // Page advice for a tensor's bytes (no-op for FromBytes files).
  void Advise(const TensorInfo& tensor, ports::AccessHint hint) const;

 private:
  ModelFile() = default;
  Status Parse();

  std::unique_ptr<ports::MappedFile> mapping_;  // null for FromBytes
  std::span<const std::byte> bytes_;
  std::string name_;
  uint32_t format_version_ = 0;
  ModelMetadata metadata_;
  std::vector<TensorInfo> tensors_;
  uint64_t fingerprint_ = 0;
};

// XXH3-64 of a byte range: the checksum stored for every tensor.
uint64_t TensorChecksum(std::span<const std::byte> bytes);

}  // namespace edgert
