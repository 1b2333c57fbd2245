// formats/safetensors/safetensors_writer.cc
#include "formats/safetensors/safetensors_writer.h"

#include <nlohmann/json.hpp>
#include <set>

#include "ports/output_file.h"

namespace edgert {
namespace {

const char* DTypeString(DType d) {
  switch (d) {
    case DType::kF32: return "F32";
    case DType::kF16: return "F16";
    case DType::kBF16: return "BF16";
    default: return nullptr;
  }
}

}  // namespace

Status WriteSafetensors(const std::string& path, const std::vector<SafetensorsOut>& tensors,
                        const std::map<std::string, std::string>& metadata) {
  using nlohmann::json;
  json header = json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::set<std::string_view> names;
  uint64_t offset = 0;
  std::vector<uint64_t> sizes;
  sizes.reserve(tensors.size());
  for (const SafetensorsOut& t : tensors) {
    const std::string where = path + ": tensor '" + t.name + "'";
    if (t.name == "__metadata__") return InvalidArgument(where + ": the name is reserved for the metadata");
    if (!names.insert(t.name).second) return InvalidArgument(where + " given twice");
    const char* dtype = DTypeString(t.dtype);
    if (dtype == nullptr) return Unsupported(where + ": dtype " + std::string(DTypeName(t.dtype)) + " (writes F32, F16, BF16)");
    auto bytes = TensorBytes(t.dtype, t.shape);
    if (!bytes.ok()) return bytes.status().WithContext(where);
    if (!t.data.empty() && t.data.size() != *bytes) {
      return InvalidArgument(where + ": " + std::to_string(t.data.size()) + " bytes given, its dtype and shape need " + std::to_string(*bytes));
    }
    header[t.name] = {{"dtype", dtype}, {"shape", t.shape}, {"data_offsets", {offset, offset + *bytes}}};
    sizes.push_back(*bytes);
    offset += *bytes;
  }
  std::string text;
  try {
    text = header.dump();
  } catch (const json::exception& e) {  // a name or metadata value that is not UTF-8
    return InvalidArgument(path + ": header: " + e.what());
  }
  text.append((8 - (text.size() % 8)) % 8, ' ');
  EDGERT_ASSIGN_OR_RETURN(ports::OutputFile out, ports::OutputFile::Create(path));
  uint8_t len[8];
  for (int i = 0; i < 8; ++i) len[i] = static_cast<uint8_t>(static_cast<uint64_t>(text.size()) >> (8 * i));
  EDGERT_RETURN_IF_ERROR(out.Write(std::as_bytes(std::span(len))));
  EDGERT_RETURN_IF_ERROR(out.Write(std::as_bytes(std::span(text.data(), text.size()))));
  const uint64_t data_start = out.position();
  offset = 0;
  for (size_t i = 0; i < tensors.size(); ++i) {
    if (!tensors[i].data.empty()) EDGERT_RETURN_IF_ERROR(out.WriteAt(data_start + offset, tensors[i].data));
    offset += sizes[i];
  }
  // Zero tensors at the end are a hole: write the last byte so the file has its full length.
  if (offset > 0 && out.position() < data_start + offset) {
    const std::byte zero{0};
    EDGERT_RETURN_IF_ERROR(out.WriteAt(data_start + offset - 1, std::span(&zero, 1)));
  }
  return out.Commit();
}

}  // namespace edgert
