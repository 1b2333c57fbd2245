// formats/gguf/gguf.h: GGUF (v2, v3) files from llama.cpp and Ollama, read in place.
//
// Header, typed metadata, tensor infos, aligned data section. Every count,
// string length and offset is checked against the file length before it is
// used. Shapes are given outermost first (PyTorch order; GGUF stores ne[0],
// the innermost, first). Tensors of types this runtime has no kernel for are
// listed (dtype empty) so --info can show them; reading them is refused.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "base/dtype.h"
#include "base/status.h"
#include "ports/mapped_file.h"

namespace edgert {

// ggml type numbers as stored in GGUF.
enum class GgmlType : uint32_t { kF32 = 0, kF16 = 1, kQ4_0 = 2, kQ8_0 = 8, kBF16 = 30 };
std::optional<DType> DTypeFromGgml(uint32_t ggml_type);
uint32_t GgmlFromDType(DType dtype);

using GgufValue = std::variant<int64_t, uint64_t, double, bool, std::string, std::vector<int64_t>,
                               std::vector<double>, std::vector<std::string>>;

struct GgufTensor {
  std::string name;
  uint32_t ggml_type = 0;
  std::optional<DType> dtype;       // empty: a type this runtime does not read
  std::vector<int64_t> shape;       // outermost first
  std::span<const std::byte> data;  // empty when dtype is empty
};

class GgufFile {
 public:
  static Result<GgufFile> Open(const std::string& path);
  static Result<GgufFile> FromBytes(std::span<const std::byte> bytes, const std::string& name);
  GgufFile(GgufFile&&) noexcept;
  GgufFile& operator=(GgufFile&&) noexcept;
  ~GgufFile();

  uint32_t version() const { return version_; }
  const std::string& path() const { return name_; }
  const std::map<std::string, GgufValue, std::less<>>& metadata() const { return metadata_; }
  bool Has(std::string_view key) const { return metadata_.count(key) != 0; }
  Result<int64_t> GetInt(std::string_view key) const;  // any integer width (and bool)
  Result<double> GetFloat(std::string_view key) const; // f32, f64 or an integer
  Result<std::string> GetString(std::string_view key) const;
  Result<std::vector<std::string>> GetStrings(std::string_view key) const;
  Result<std::vector<int64_t>> GetInts(std::string_view key) const;

  const std::vector<GgufTensor>& tensors() const { return tensors_; }
  const GgufTensor* Find(std::string_view name) const;

 private:
  GgufFile() = default;
  Status Parse(std::span<const std::byte> bytes);
  std::unique_ptr<ports::MappedFile> mapping_;
  std::string name_;
  uint32_t version_ = 0;
  std::map<std::string, GgufValue, std::less<>> metadata_;
  std::vector<GgufTensor> tensors_;
};

// A GGUF v3 writer for tests and export: metadata then tensors (raw bytes in
// `dtype`), alignment 32, written atomically.
struct GgufOutTensor {
  std::string name;
  DType dtype = DType::kF32;
  std::vector<int64_t> shape;  // outermost first
  std::span<const std::byte> data;
};
Status WriteGguf(const std::string& path, const std::vector<std::pair<std::string, GgufValue>>& metadata,
                 const std::vector<GgufOutTensor>& tensors);

}  // namespace edgert
