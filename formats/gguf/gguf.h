// formats/gguf/gguf.h: GGUF (v2, v3) files from llama.cpp and Ollama, read in place.
//
// Header, typed metadata, tensor infos, aligned data section. Every count,
// string length and offset is checked against the file length before it is
// used, and tensors' data may not overlap. Shapes are given outermost first
// (PyTorch order; GGUF stores ne[0], the innermost, first). Tensors of ggml
// types this runtime has no kernel for are listed (dtype empty, ggml type and
// size kept) so --info can show them; TensorData() refuses them by name.
// No compute here.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/dtype.h"
#include "base/status.h"
#include "formats/gguf/gguf_types.h"
#include "ports/mapped_file.h"
// Callers that write GGUF used to find the writer here; new code includes it itself.
#include "formats/gguf/gguf_writer.h"

namespace edgert {

struct GgufTensor {
  std::string name;
  uint32_t ggml_type = 0;
  std::optional<DType> dtype;       // empty: a type this runtime does not read
  std::vector<int64_t> shape;       // outermost first
  std::span<const std::byte> data;  // empty when dtype is empty (see TensorData)
  uint64_t offset = 0;              // from the start of the data section
  uint64_t size = 0;                // bytes; 0 when the ggml type is unknown
};

class GgufFile {
 public:
  static Result<GgufFile> Open(const std::string& path);
  // Bytes owned by the caller, who keeps them alive (fuzzing, tests).
  static Result<GgufFile> FromBytes(std::span<const std::byte> bytes, const std::string& name);
  GgufFile(GgufFile&&) noexcept;
  GgufFile& operator=(GgufFile&&) noexcept;
  ~GgufFile();

  uint32_t version() const { return version_; }
  const std::string& path() const { return name_; }
  uint64_t alignment() const { return alignment_; }
  uint64_t data_offset() const { return data_offset_; }  // file offset of the data section

  // Metadata. Typed getters fail (naming the file and key) when the key is
  // missing or holds another type.
  const std::map<std::string, GgufValue, std::less<>>& metadata() const { return metadata_; }
  bool Has(std::string_view key) const { return metadata_.count(key) != 0; }
  Result<int64_t> GetInt(std::string_view key) const;  // any integer width (and bool)
  Result<double> GetFloat(std::string_view key) const; // f32, f64 or an integer
  Result<bool> GetBool(std::string_view key) const;
  Result<std::string> GetString(std::string_view key) const;
  Result<std::vector<std::string>> GetStrings(std::string_view key) const;  // e.g. tokenizer.ggml.tokens, merges
  Result<std::vector<int64_t>> GetInts(std::string_view key) const;         // e.g. tokenizer.ggml.token_type
  Result<std::vector<double>> GetFloats(std::string_view key) const;        // e.g. tokenizer.ggml.scores

  const std::vector<GgufTensor>& tensors() const { return tensors_; }
  const GgufTensor* Find(std::string_view name) const;
  // The tensor's bytes, or Unsupported naming the tensor and its ggml type.
  Result<std::span<const std::byte>> TensorData(const GgufTensor& tensor) const;

 private:
  GgufFile() = default;
  Status Parse(std::span<const std::byte> bytes);
  Result<const GgufValue*> Lookup(std::string_view key) const;
  std::unique_ptr<ports::MappedFile> mapping_;
  std::string name_;
  uint32_t version_ = 0;
  uint64_t alignment_ = 32;
  uint64_t data_offset_ = 0;
  std::map<std::string, GgufValue, std::less<>> metadata_;
  std::vector<GgufTensor> tensors_;
  std::map<std::string, size_t, std::less<>> index_;
};

}  // namespace edgert
