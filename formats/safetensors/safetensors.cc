// formats/safetensors/safetensors.cc: the safetensors reader. Untrusted
// bytes: the header length, the JSON and every offset are checked against the
// file before any tensor is handed out; nlohmann exceptions stop here.
#include "formats/safetensors/safetensors.h"

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "formats/regular_file.h"

namespace edgert {
namespace {

using nlohmann::json;

constexpr uint64_t kMaxHeader = 100ull << 20;  // the reference reader's own limit

Result<DType> DTypeOf(const std::string& s) {
  if (s == "F32") return DType::kF32;
  if (s == "F16") return DType::kF16;
  if (s == "BF16") return DType::kBF16;
  return Unsupported("dtype " + s + " (edge-rt reads F32, F16 and BF16)");
}

struct Range {
  uint64_t begin, end;
  size_t tensor;
};

Result<json> ParseJson(std::string_view text, uint64_t first_byte, const std::string& name) {
  try {
    return json::parse(text.begin(), text.end());
  } catch (const json::parse_error& e) {
    return CorruptFile(name + ": not valid JSON at byte " + std::to_string(first_byte + e.byte) + ": " + e.what());
  } catch (const json::exception& e) {  // e.g. a number out of range
    return CorruptFile(name + ": not valid JSON: " + e.what());
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
  if (n > bytes.size() - 8) {
    return CorruptFile(name + ": header length " + std::to_string(n) + " runs past the end of the file (size " +
                       std::to_string(bytes.size()) + "; truncated, or not a safetensors file?)");
  }
  if (n > kMaxHeader) return CorruptFile(name + ": header length " + std::to_string(n) + " is over the 100 MB limit");
  const std::string_view text(reinterpret_cast<const char*>(bytes.data()) + 8, n);
  EDGERT_ASSIGN_OR_RETURN(const json header, ParseJson(text, 8, name + ": header"));
  if (!header.is_object()) return CorruptFile(name + ": header is not a JSON object");
  const std::span<const std::byte> data = bytes.subspan(8 + n);
  const size_t first = tensors_.size();
  std::vector<Range> ranges;
  for (const auto& [tname, info] : header.items()) {
    if (tname == "__metadata__") {
      if (!info.is_object()) return CorruptFile(name + ": __metadata__ is not a JSON object");
      for (const auto& [k, v] : info.items()) {
        if (v.is_string()) metadata_[k] = v.get<std::string>();
      }
      continue;
    }
    const std::string where = name + ": tensor '" + tname + "'";
    if (!info.is_object()) return CorruptFile(where + ": expected {dtype, shape, data_offsets: [begin, end]}");
    const auto dtype_it = info.find("dtype");
    const auto shape_it = info.find("shape");
    const auto off_it = info.find("data_offsets");
    if (dtype_it == info.end() || !dtype_it->is_string()) return CorruptFile(where + ": dtype missing or not a string");
    if (shape_it == info.end() || !shape_it->is_array()) return CorruptFile(where + ": shape missing or not an array");
    if (off_it == info.end() || !off_it->is_array() || off_it->size() != 2) {
      return CorruptFile(where + ": data_offsets missing or not [begin, end]");
    }
    SafetensorsTensor t;
    t.name = tname;
    auto dtype = DTypeOf(dtype_it->get<std::string>());
    if (!dtype.ok()) return dtype.status().WithContext(where);
    t.dtype = *dtype;
    for (const json& d : *shape_it) {
      const bool ok = d.is_number_unsigned() ? d.get<uint64_t>() <= static_cast<uint64_t>(INT64_MAX)
                                             : d.is_number_integer() && d.get<int64_t>() >= 0;
      if (!ok) return CorruptFile(where + ": shape must hold non-negative integers, not " + d.dump());
      t.shape.push_back(d.get<int64_t>());
    }
    const json& b = (*off_it)[0];
    const json& e = (*off_it)[1];
    if (!b.is_number_unsigned() || !e.is_number_unsigned()) return CorruptFile(where + ": data_offsets must be non-negative integers");
    const uint64_t begin = b.get<uint64_t>(), end = e.get<uint64_t>();
    if (begin > end) return CorruptFile(where + ": data_offsets [" + std::to_string(begin) + ", " + std::to_string(end) + ") end before they begin");
    if (end > data.size()) {
      return CorruptFile(where + ": data [" + std::to_string(begin) + ", " + std::to_string(end) + ") runs past the end of the data (" +
                         std::to_string(data.size()) + " bytes after the header; truncated?)");
    }
    auto want = TensorBytes(t.dtype, t.shape);
    if (!want.ok()) return CorruptFile(where + ": shape " + shape_it->dump() + ": " + want.status().message());
    if (*want != end - begin) {
      return CorruptFile(where + ": holds " + std::to_string(end - begin) + " bytes, but " + dtype_it->get<std::string>() + " " +
                         shape_it->dump() + " needs " + std::to_string(*want));
    }
    t.data = data.subspan(begin, end - begin);
    if (index_.count(t.name)) return CorruptFile(where + ": a tensor of that name was already read (from another shard?)");
    ranges.push_back({begin, end, tensors_.size()});
    index_.emplace(t.name, tensors_.size());
    tensors_.push_back(std::move(t));
  }
  // No two tensors may share bytes (checked on the sorted ranges; empty ones share nothing).
  std::sort(ranges.begin(), ranges.end(), [](const Range& a, const Range& c) { return a.begin < c.begin; });
  const Range* prev = nullptr;
  for (const Range& r : ranges) {
    if (r.begin == r.end) continue;
    if (prev != nullptr && r.begin < prev->end) {
      return CorruptFile(name + ": tensors '" + tensors_[prev->tensor].name + "' [" + std::to_string(prev->begin) + ", " +
                         std::to_string(prev->end) + ") and '" + tensors_[r.tensor].name + "' [" + std::to_string(r.begin) + ", " +
                         std::to_string(r.end) + ") overlap");
    }
    prev = &r;
  }
  // Tensors in data order, as the file lays them out (JSON objects come sorted by name).
  std::vector<SafetensorsTensor> sorted;
  sorted.reserve(ranges.size());
  for (const Range& r : ranges) sorted.push_back(std::move(tensors_[r.tensor]));
  tensors_.resize(first);
  for (SafetensorsTensor& t : sorted) {
    index_[t.name] = tensors_.size();
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
  std::error_code ec;
  if (!fs::is_directory(path, ec)) {
    EDGERT_RETURN_IF_ERROR(RefuseSpecialFile(path));
    EDGERT_ASSIGN_OR_RETURN(ports::MappedFile mapped, ports::MappedFile::Open(path));
    c.files_.push_back(std::make_unique<ports::MappedFile>(std::move(mapped)));
    EDGERT_RETURN_IF_ERROR(c.AddFile(c.files_.back()->bytes(), path));
    return c;
  }
  const fs::path index = fs::path(path) / "model.safetensors.index.json";
  const fs::path single = fs::path(path) / "model.safetensors";
  if (!fs::exists(index, ec)) {
    if (!fs::exists(single, ec)) return NotFound(path + ": no model.safetensors or model.safetensors.index.json in this folder");
    EDGERT_RETURN_IF_ERROR(RefuseSpecialFile(single.string()));
    EDGERT_ASSIGN_OR_RETURN(ports::MappedFile mapped, ports::MappedFile::Open(single.string()));
    c.files_.push_back(std::make_unique<ports::MappedFile>(std::move(mapped)));
    EDGERT_RETURN_IF_ERROR(c.AddFile(c.files_.back()->bytes(), single.string()));
    return c;
  }
  const std::string index_name = index.string();
  EDGERT_RETURN_IF_ERROR(RefuseSpecialFile(index_name));
  std::ifstream in(index, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  if (!in) return IoError(index_name + ": cannot read");
  EDGERT_ASSIGN_OR_RETURN(const json j, ParseJson(ss.str(), 0, index_name));
  if (!j.is_object() || !j.contains("weight_map") || !j["weight_map"].is_object()) {
    return CorruptFile(index_name + ": weight_map: expected an object of \"tensor\": \"shard file\"");
  }
  // Shards in order of first mention; each tensor must then be in the shard the index names.
  std::vector<std::string> shards;
  std::map<std::string, std::string> shard_of;
  for (const auto& [tensor, file] : j["weight_map"].items()) {
    if (!file.is_string()) return CorruptFile(index_name + ": weight_map[\"" + tensor + "\"]: expected a file name");
    const std::string f = file.get<std::string>();
    const fs::path p(f);
    if (f.empty() || p.has_parent_path() || p.is_absolute() || f == "." || f == "..") {
      return CorruptFile(index_name + ": weight_map[\"" + tensor + "\"]: '" + f + "' is not a file name in this folder");
    }
    if (std::find(shards.begin(), shards.end(), f) == shards.end()) shards.push_back(f);
    shard_of[tensor] = f;
  }
  std::map<std::string, const std::string*, std::less<>> found_in;
  for (const std::string& f : shards) {
    const std::string shard = (fs::path(path) / f).string();
    if (Status st = RefuseSpecialFile(shard); !st.ok()) return st.WithContext(index_name + ": names shard '" + f + "'");
    auto mapped = ports::MappedFile::Open(shard);
    if (!mapped.ok()) return mapped.status().WithContext(index_name + ": names shard '" + f + "'");
    c.files_.push_back(std::make_unique<ports::MappedFile>(std::move(*mapped)));
    const size_t before = c.tensors_.size();
    EDGERT_RETURN_IF_ERROR(c.AddFile(c.files_.back()->bytes(), shard));
    for (size_t i = before; i < c.tensors_.size(); ++i) found_in[c.tensors_[i].name] = &f;
  }
  for (const auto& [tensor, f] : shard_of) {
    const auto it = found_in.find(tensor);
    if (it == found_in.end() || *it->second != f) {
      return CorruptFile(index_name + ": weight_map puts tensor '" + tensor + "' in '" + f + "', which does not hold it");
    }
  }
  return c;
}

}  // namespace edgert
