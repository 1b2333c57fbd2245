// formats/safetensors/safetensors.cc
#include "formats/safetensors/safetensors.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "ports/output_file.h"

namespace edgert {
namespace {

using nlohmann::json;

constexpr uint64_t kMaxHeader = 100ull << 20;  // the format's own limit

Result<DType> DTypeOf(const std::string& s, const std::string& tensor) {
  if (s == "F32") return DType::kF32;
  if (s == "F16") return DType::kF16;
  if (s == "BF16") return DType::kBF16;
  return Unsupported("tensor '" + tensor + "': dtype " + s + " (supported: F32, F16, BF16)");
}

const char* DTypeString(DType d) {
  switch (d) {
    case DType::kF32: return "F32";
    case DType::kF16: return "F16";
    case DType::kBF16: return "BF16";
    default: return nullptr;
  }
}

}  // namespace

SafetensorsCheckpoint::SafetensorsCheckpoint(SafetensorsCheckpoint&&) noexcept = default;
SafetensorsCheckpoint& SafetensorsCheckpoint::operator=(SafetensorsCheckpoint&&) noexcept = default;
SafetensorsCheckpoint::~SafetensorsCheckpoint() = default;

const SafetensorsTensor* SafetensorsCheckpoint::Find(std::string_view name) const {
  const auto it = index_.find(name);
  return it == index_.end() ? nullptr : &tensors_[it->second];
}

Status SafetensorsCheckpoint::AddFile(std::span<const std::byte> bytes, const std::string& name) {
  if (bytes.size() < 8) return CorruptFile(name + ": " + std::to_string(bytes.size()) + " bytes, too short for a safetensors header");
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = n << 8 | static_cast<uint8_t>(bytes[static_cast<size_t>(i)]);
  if (n > kMaxHeader || n > bytes.size() - 8) {
    return CorruptFile(name + ": header length " + std::to_string(n) + " runs past the end of the file (size " +
                       std::to_string(bytes.size()) + "; truncated or not safetensors?)");
  }
  json header;
  try {
    header = json::parse(reinterpret_cast<const char*>(bytes.data()) + 8, reinterpret_cast<const char*>(bytes.data()) + 8 + n);
  } catch (const json::parse_error& e) {
    return CorruptFile(name + ": header is not valid JSON at byte " + std::to_string(8 + e.byte) + ": " + e.what());
  } catch (const json::exception& e) {  // e.g. a number out of range
    return CorruptFile(name + ": header is not valid JSON: " + e.what());
  }
  if (!header.is_object()) return CorruptFile(name + ": header is not a JSON object");
  const std::span<const std::byte> data = bytes.subspan(8 + n);
  for (const auto& [tname, info] : header.items()) {
    if (tname == "__metadata__") continue;
    const std::string where = name + ": tensor '" + tname + "'";
    if (!info.is_object() || !info.contains("dtype") || !info["dtype"].is_string() || !info.contains("shape") ||
        !info["shape"].is_array() || !info.contains("data_offsets") || !info["data_offsets"].is_array() ||
        info["data_offsets"].size() != 2) {
      return CorruptFile(where + ": expected {dtype, shape, data_offsets: [begin, end]}");
    }
    SafetensorsTensor t;
    t.name = tname;
    auto dtype = DTypeOf(info["dtype"], tname);
    if (!dtype.ok()) return dtype.status().WithContext(name);
    t.dtype = *dtype;
    for (const json& d : info["shape"]) {
      if (!d.is_number_integer() || d.get<int64_t>() < 0) return CorruptFile(where + ": shape must be non-negative integers");
      t.shape.push_back(d.get<int64_t>());
    }
    const json& off = info["data_offsets"];
    if (!off[0].is_number_unsigned() || !off[1].is_number_unsigned()) return CorruptFile(where + ": data_offsets must be non-negative integers");
    const uint64_t begin = off[0], end = off[1];
    if (begin > end || end > data.size()) {
      return CorruptFile(where + ": data [" + std::to_string(begin) + ", " + std::to_string(end) + ") past the end of the data (" +
                         std::to_string(data.size()) + " bytes; truncated?)");
    }
    auto want = TensorBytes(t.dtype, t.shape);
    if (!want.ok() || *want != end - begin) {
      return CorruptFile(where + ": " + std::to_string(end - begin) + " bytes do not match its dtype and shape");
    }
    t.data = data.subspan(begin, end - begin);
    if (index_.count(t.name)) return CorruptFile(where + ": appears in two files");
    index_.emplace(t.name, tensors_.size());
    tensors_.push_back(std::move(t));
  }
  return OkStatus();
}

Result<SafetensorsCheckpoint> SafetensorsCheckpoint::FromBytes(std::span<const std::byte> bytes, const std::string& name) {
  SafetensorsCheckpoint c;
  c.path_ = name;
  EDGERT_RETURN_IF_ERROR(c.AddFile(bytes, name));
  return c;
}

Result<SafetensorsCheckpoint> SafetensorsCheckpoint::Open(const std::string& path) {
  namespace fs = std::filesystem;
  SafetensorsCheckpoint c;
  c.path_ = path;
  std::vector<std::string> files;
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    const fs::path index = fs::path(path) / "model.safetensors.index.json";
    const fs::path single = fs::path(path) / "model.safetensors";
    if (fs::exists(index)) {
      std::ifstream in(index);
      std::stringstream ss;
      ss << in.rdbuf();
      json j;
      try {
        j = json::parse(ss.str());
      } catch (const json::parse_error& e) {
        return CorruptFile(index.string() + ": not valid JSON at byte " + std::to_string(e.byte));
      } catch (const json::exception& e) {
        return CorruptFile(index.string() + ": not valid JSON: " + e.what());
      }
      if (!j.is_object() || !j.contains("weight_map") || !j["weight_map"].is_object()) {
        return CorruptFile(index.string() + ": weight_map: expected an object of tensor: file");
      }
      for (const auto& [tensor, file] : j["weight_map"].items()) {
        if (!file.is_string()) return CorruptFile(index.string() + ": weight_map[\"" + tensor + "\"]: expected a file name");
        const std::string f = (fs::path(path) / file.get<std::string>()).string();
        if (std::find(files.begin(), files.end(), f) == files.end()) files.push_back(f);
      }
    } else if (fs::exists(single)) {
      files.push_back(single.string());
    } else {
      return NotFound(path + ": no model.safetensors or model.safetensors.index.json in this folder");
    }
  } else {
    files.push_back(path);
  }
  for (const std::string& f : files) {
    auto mapped = ports::MappedFile::Open(f);
    if (!mapped.ok()) return mapped.status();
    c.files_.push_back(std::make_unique<ports::MappedFile>(std::move(*mapped)));
    EDGERT_RETURN_IF_ERROR(c.AddFile(c.files_.back()->bytes(), f));
  }
  return c;
}

Status WriteSafetensors(const std::string& path, const std::vector<SafetensorsOut>& tensors,
                        const std::map<std::string, std::string>& metadata) {
  json header = json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  uint64_t offset = 0;
  std::vector<uint64_t> sizes;
  for (const SafetensorsOut& t : tensors) {
    const char* dtype = DTypeString(t.dtype);
    if (dtype == nullptr) return Unsupported(path + ": tensor '" + t.name + "': safetensors dtype for " + std::string(DTypeName(t.dtype)));
    EDGERT_ASSIGN_OR_RETURN(const uint64_t bytes, TensorBytes(t.dtype, t.shape));
    if (!t.data.empty() && t.data.size() != bytes) return InvalidArgument(path + ": tensor '" + t.name + "': data size differs from its shape");
    header[t.name] = {{"dtype", dtype}, {"shape", t.shape}, {"data_offsets", {offset, offset + bytes}}};
    sizes.push_back(bytes);
    offset += bytes;
  }
  std::string text = header.dump();
  text.append((8 - (text.size() % 8)) % 8, ' ');  // data starts 8-byte aligned, as the reference writer does
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
  // Zero tensors at the end leave a hole: extend the file to its full length.
  if (out.position() < data_start + offset) {
    const std::byte zero{0};
    EDGERT_RETURN_IF_ERROR(out.WriteAt(data_start + offset - 1, std::span(&zero, 1)));
  }
  return out.Commit();
}

}  // namespace edgert
