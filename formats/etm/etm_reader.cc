// formats/etm/etm_reader.cc: verification of an .etm file, and tensor access.
#include "formats/etm/etm_reader.h"

#include <xxhash.h>

#include <algorithm>
#include <unordered_map>

#include "formats/etm/etm_schema.h"
#include "formats/regular_file.h"

namespace edgert {
namespace {

std::string ShapeString(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

// The file's tensors must be exactly the ones the architecture implies.
Status CheckTensorsAgainstConfig(const ModelConfig& config, const std::vector<TensorInfo>& tensors) {
  std::unordered_map<std::string_view, const TensorInfo*> by_name;
  for (const TensorInfo& t : tensors) {
    if (!by_name.emplace(t.name, &t).second) return CorruptFile("tensor '" + t.name + "' appears twice");
  }
  const std::vector<TensorSpec> expected = ExpectedTensors(config);
  for (const TensorSpec& spec : expected) {
    const auto it = by_name.find(spec.name);
    if (it == by_name.end()) {
      return CorruptFile("tensor '" + spec.name + "' is missing (the config of " +
                         std::string(ArchitectureName(config.architecture)) + " with " +
                         std::to_string(config.num_hidden_layers) + " layers requires it)");
    }
    const TensorInfo& t = *it->second;
    if (t.shape != spec.shape) {
      return CorruptFile("tensor '" + t.name + "' has shape " + ShapeString(t.shape) + " but the config implies " +
                         ShapeString(spec.shape));
    }
    if (!spec.is_matrix && t.dtype != DType::kF32) {
      return CorruptFile("tensor '" + t.name + "' is " + std::string(DTypeName(t.dtype)) +
                         "; norms and biases must be f32");
    }
  }
  if (tensors.size() != expected.size()) {
    for (const TensorInfo& t : tensors) {
      const bool known = std::any_of(expected.begin(), expected.end(), [&](const TensorSpec& s) { return s.name == t.name; });
      if (!known) return CorruptFile("unexpected tensor '" + t.name + "' for this architecture");
    }
  }
  return OkStatus();
}

}  // namespace

uint64_t TensorChecksum(std::span<const std::byte> bytes) { return XXH3_64bits(bytes.data(), bytes.size()); }

ModelFile::ModelFile(ModelFile&&) noexcept = default;
ModelFile& ModelFile::operator=(ModelFile&&) noexcept = default;
ModelFile::~ModelFile() = default;

Result<ModelFile> ModelFile::Open(const std::string& path) {
  EDGERT_RETURN_IF_ERROR(CheckRegularFile(path));
  EDGERT_ASSIGN_OR_RETURN(ports::MappedFile mapped, ports::MappedFile::Open(path));
  ModelFile file;
  file.mapping_ = std::make_unique<ports::MappedFile>(std::move(mapped));
  file.bytes_ = file.mapping_->bytes();
  file.name_ = path;
  EDGERT_RETURN_IF_ERROR(file.Parse().WithContext(path));
  return file;
}

Result<ModelFile> ModelFile::FromBytes(std::span<const std::byte> bytes, std::string name) {
  // FlatBuffers reads 8-byte fields in place: they must be aligned in memory
  // (a mapping always is).
  if (reinterpret_cast<uintptr_t>(bytes.data()) % 8 != 0) {
    return InvalidArgument(name + ": model bytes must be 8-byte aligned in memory");
  }
  ModelFile file;
  file.bytes_ = bytes;
  file.name_ = std::move(name);
  EDGERT_RETURN_IF_ERROR(file.Parse().WithContext(file.name_));
  return file;
}

Status ModelFile::Parse() {
  EDGERT_ASSIGN_OR_RETURN(etm_internal::ParsedHeader h, etm_internal::ParseHeader(bytes_));
  const uint64_t file_size = bytes_.size();
  if (h.data_offset < h.header_size || h.data_offset % kEtmTensorAlignment != 0) {
    return CorruptFile("data offset " + std::to_string(h.data_offset) + " is inside the header or misaligned");
  }
  if (h.data_offset > file_size) {
    return CorruptFile("data offset " + std::to_string(h.data_offset) + " past end of file (size " +
                       std::to_string(file_size) + "; truncated?)");
  }
  EDGERT_RETURN_IF_ERROR(h.metadata.config.Validate().WithContext("config"));
  for (const TensorInfo& t : h.tensors) {
    const std::string where = "tensor '" + t.name + "'";
    if (!GetDTypeInfo(t.dtype)) {
      return CorruptFile(where + ": unknown dtype " + std::to_string(static_cast<int>(t.dtype)));
    }
    auto expected = TensorBytes(t.dtype, t.shape);
    if (!expected.ok()) return CorruptFile(where + ": " + expected.status().message());
    if (*expected != t.size) {
      return CorruptFile(where + ": size " + std::to_string(t.size) + " bytes, but " +
                         std::string(DTypeName(t.dtype)) + " " + ShapeString(t.shape) + " needs " +
                         std::to_string(*expected));
    }
    if ((t.offset - h.data_offset) % kEtmTensorAlignment != 0) {
      return CorruptFile(where + ": offset " + std::to_string(t.offset) + " is not 64-byte aligned");
    }
    if (t.offset > file_size || t.size > file_size - t.offset) {
      return CorruptFile(where + ": bytes [" + std::to_string(t.offset) + ", " + std::to_string(t.offset + t.size) +
                         ") past end of file (size " + std::to_string(file_size) + "; truncated?)");
    }
  }
  // Tensors may not overlap: a writer bug or a crafted file would alias weights.
  std::vector<const TensorInfo*> sorted;
  for (const TensorInfo& t : h.tensors) sorted.push_back(&t);
  std::sort(sorted.begin(), sorted.end(), [](auto* a, auto* b) { return a->offset < b->offset; });
  for (size_t i = 1; i < sorted.size(); ++i) {
    if (sorted[i - 1]->offset + sorted[i - 1]->size > sorted[i]->offset) {
      return CorruptFile("tensors '" + sorted[i - 1]->name + "' and '" + sorted[i]->name + "' overlap");
    }
  }
  EDGERT_RETURN_IF_ERROR(CheckTensorsAgainstConfig(h.metadata.config, h.tensors));
  // The file ends where its data does (the writer adds nothing after the
  // last tensor): bytes beyond are an append or a damaged index, and nothing
  // else would notice them.
  uint64_t data_end = h.data_offset;
  for (const TensorInfo& t : h.tensors) data_end = std::max(data_end, t.offset + t.size);
  if (file_size != data_end) {
    return CorruptFile(std::to_string(file_size - data_end) + " bytes after the end of the data (the tensors end at byte " +
                       std::to_string(data_end) + "; appended to?)");
  }
  const int64_t vocab = h.metadata.config.vocab_size;
  const TokenizerSpec& tok = h.metadata.tokenizer;
  if (static_cast<int64_t>(tok.vocab.size()) > vocab) {
    return CorruptFile("tokenizer has " + std::to_string(tok.vocab.size()) + " tokens but the embedding only " +
                       std::to_string(vocab) + " rows");
  }
  for (const AddedTokenSpec& a : tok.added_tokens) {
    if (a.id < 0 || a.id >= vocab) {
      return CorruptFile("added token '" + a.content + "' has id " + std::to_string(a.id) +
                         " outside the vocabulary of " + std::to_string(vocab));
    }
  }
  XXH3_state_t* hash = XXH3_createState();
  if (hash == nullptr) return ResourceExhausted("cannot allocate a hash state");
  XXH3_64bits_reset(hash);
  const ModelConfig& c = h.metadata.config;
  const int64_t dims[] = {static_cast<int64_t>(c.architecture), c.vocab_size, c.hidden_size, c.intermediate_size,
                          c.num_hidden_layers, c.num_attention_heads, c.num_key_value_heads, c.head_dim};
  XXH3_64bits_update(hash, dims, sizeof(dims));
  for (const TensorInfo& t : h.tensors) {
    XXH3_64bits_update(hash, t.name.data(), t.name.size());
    XXH3_64bits_update(hash, &t.dtype, sizeof(t.dtype));
    XXH3_64bits_update(hash, &t.checksum, sizeof(t.checksum));
  }
  fingerprint_ = XXH3_64bits_digest(hash);
  XXH3_freeState(hash);
  format_version_ = h.format_version;
  metadata_ = std::move(h.metadata);
  tensors_ = std::move(h.tensors);
  return OkStatus();
}

const TensorInfo* ModelFile::Find(std::string_view name) const {
  for (const TensorInfo& t : tensors_) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

std::span<const std::byte> ModelFile::TensorData(const TensorInfo& tensor) const {
  return bytes_.subspan(tensor.offset, tensor.size);
}

Status ModelFile::VerifyChecksums() const {
  for (const TensorInfo& t : tensors_) {
    Advise(t, ports::AccessHint::kSequential);
    const uint64_t got = TensorChecksum(TensorData(t));
    Advise(t, ports::AccessHint::kDontNeed);
    if (got != t.checksum) {
      return CorruptFile(name_ + ": tensor '" + t.name + "': checksum mismatch (stored " + std::to_string(t.checksum) +
                         ", computed " + std::to_string(got) + "): the file is damaged");
    }
  }
  return OkStatus();
}

void ModelFile::Advise(const TensorInfo& tensor, ports::AccessHint hint) const {
  if (mapping_) mapping_->Advise(tensor.offset, tensor.size, hint);
}

}  // namespace edgert
