// runtime/convert/hf_source.cc
#include "runtime/convert/hf_source.h"

#include <cstring>
#include <filesystem>
#include <unordered_map>

#include "formats/safetensors/safetensors.h"
#include "formats/tokenizer_json/tokenizer_json.h"
#include "kernels/convert/fp16_rows.h"
#include "ports/mapped_file.h"
#include "runtime/convert/hf_config.h"

namespace edgert {
namespace {

class HfSource final : public CheckpointSource {
 public:
  HfSource(std::string folder, ModelConfig config, SafetensorsCheckpoint weights, std::optional<TokenizerSpec> tok)
      : folder_(std::move(folder)), config_(config), weights_(std::move(weights)), tokenizer_(std::move(tok)) {
    for (const SafetensorsTensor& t : weights_.tensors()) tensors_.emplace(t.name, SourceTensor{t.name, t.dtype, t.shape});
  }

  const ModelConfig& config() const override { return config_; }
  const std::optional<TokenizerSpec>& tokenizer() const override { return tokenizer_; }
  std::string description() const override { return "safetensors: " + folder_; }
  const SourceTensor* Find(const std::string& name) const override {
    const auto it = tensors_.find(name);
    return it == tensors_.end() ? nullptr : &it->second;
  }

  Status ReadRowsF32(const SourceTensor& t, int64_t row0, int64_t rows, float* out) const override {
    const std::span<const std::byte> bytes = Rows(t, row0, rows);
    const size_t n = bytes.size() / (t.dtype == DType::kF32 ? 4 : 2);
    switch (t.dtype) {
      case DType::kF32: std::memcpy(out, bytes.data(), bytes.size()); break;
      case DType::kF16: kernels::ConvertRowF16ToF32(reinterpret_cast<const uint16_t*>(bytes.data()), out, n); break;
      case DType::kBF16: kernels::ConvertRowBF16ToF32(reinterpret_cast<const uint16_t*>(bytes.data()), out, n); break;
      default: return Unsupported("tensor '" + t.name + "': dtype " + std::string(DTypeName(t.dtype)));
    }
    // Read once: give the pages back so converting never holds the checkpoint.
    ports::AdviseRange(bytes.data(), bytes.size(), ports::AccessHint::kDontNeed);
    return OkStatus();
  }

  std::span<const std::byte> RawRows(const SourceTensor& t, int64_t row0, int64_t rows) const override {
    return Rows(t, row0, rows);
  }
  void ReleaseRawRows(const SourceTensor& t, int64_t row0, int64_t rows) const override {
    const auto bytes = Rows(t, row0, rows);
    ports::AdviseRange(bytes.data(), bytes.size(), ports::AccessHint::kDontNeed);
  }

 private:
  std::span<const std::byte> Rows(const SourceTensor& t, int64_t row0, int64_t rows) const {
    const SafetensorsTensor* st = weights_.Find(t.name);
    const uint64_t row_bytes = static_cast<uint64_t>(RowLength(t.shape)) * DTypeInfoOf(t.dtype).block_bytes;
    return st->data.subspan(static_cast<uint64_t>(row0) * row_bytes, static_cast<uint64_t>(rows) * row_bytes);
  }

  std::string folder_;
  ModelConfig config_;
  SafetensorsCheckpoint weights_;
  std::optional<TokenizerSpec> tokenizer_;
  std::unordered_map<std::string, SourceTensor> tensors_;
};

}  // namespace

Result<std::unique_ptr<CheckpointSource>> OpenHfCheckpoint(const std::string& folder) {
  namespace fs = std::filesystem;
  const std::string config_path = (fs::path(folder) / "config.json").string();
  std::error_code ec;  // (the throwing overloads abort on a name too long for the OS)
  if (!fs::exists(config_path, ec)) return NotFound(folder + ": no config.json (a Hugging Face checkpoint folder has one)");
  EDGERT_ASSIGN_OR_RETURN(ModelConfig config, ReadHfConfig(config_path));
  EDGERT_ASSIGN_OR_RETURN(SafetensorsCheckpoint weights, SafetensorsCheckpoint::Open(folder));
  std::optional<TokenizerSpec> tokenizer;
  const std::string tok_path = (fs::path(folder) / "tokenizer.json").string();
  if (fs::exists(tok_path, ec)) {
    EDGERT_ASSIGN_OR_RETURN(tokenizer, ReadTokenizerJson(tok_path));
  }
  return std::unique_ptr<CheckpointSource>(new HfSource(folder, config, std::move(weights), std::move(tokenizer)));
}

}  // namespace edgert
