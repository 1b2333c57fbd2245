// formats/gguf/gguf.cc: the GGUF reader. Untrusted bytes: every length and
// count is checked against what is left of the file before anything is
// allocated or read.
#include "formats/gguf/gguf.h"
#include "formats/regular_file.h"

#include <algorithm>
#include <cstring>
#include <limits>

namespace edgert {
namespace {

constexpr uint32_t kMagic = 0x46554747u;  // "GGUF" read little-endian
constexpr uint32_t kMaxDims = 4;          // ggml's GGML_MAX_DIMS

enum ValueType : uint32_t {
  kU8 = 0, kI8 = 1, kU16 = 2, kI16 = 3, kU32 = 4, kI32 = 5, kF32 = 6, kBool = 7,
  kString = 8, kArray = 9, kU64 = 10, kI64 = 11, kF64 = 12,
};

// A cursor over untrusted bytes: every read checks the remaining length.
class Reader {
 public:
  Reader(std::span<const std::byte> b, const std::string& name) : b_(b), name_(name) {}
  uint64_t pos() const { return pos_; }

  template <typename T>
  Result<T> Scalar(const char* what) {
    if (b_.size() - pos_ < sizeof(T)) return Truncated(what);
    T v;
    std::memcpy(&v, b_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return v;
  }
  Result<std::string> String(const char* what) {
    const uint64_t at = pos_;
    EDGERT_ASSIGN_OR_RETURN(const uint64_t n, Scalar<uint64_t>(what));
    if (n > b_.size() - pos_) {
      return CorruptFile(name_ + ": " + what + " at byte " + std::to_string(at) + ": length " + std::to_string(n) +
                         " runs past the end of the file (size " + std::to_string(b_.size()) + "; truncated?)");
    }
    std::string s(reinterpret_cast<const char*>(b_.data() + pos_), n);
    pos_ += n;
    return s;
  }
  Status Truncated(const char* what) const {
    return CorruptFile(name_ + ": " + what + " at byte " + std::to_string(pos_) + " runs past the end of the file (size " +
                       std::to_string(b_.size()) + "; truncated?)");
  }
  // Enough bytes left for `count` items of at least `min_size` bytes each?
  // Checked before reserving memory for them, so a forged count cannot make us allocate.
  Status Fits(uint64_t count, uint64_t min_size, const char* what) const {
    if (min_size != 0 && count > (b_.size() - pos_) / min_size) {
      return CorruptFile(name_ + ": " + what + " at byte " + std::to_string(pos_) + ": " + std::to_string(count) +
                         " entries cannot fit in the " + std::to_string(b_.size() - pos_) + " bytes left (truncated?)");
    }
    return OkStatus();
  }

 private:
  std::span<const std::byte> b_;
  const std::string& name_;
  uint64_t pos_ = 0;
};

uint64_t ScalarSize(uint32_t type) {
  switch (type) {
    case kU8: case kI8: case kBool: return 1;
    case kU16: case kI16: return 2;
    case kU32: case kI32: case kF32: return 4;
    case kU64: case kI64: case kF64: return 8;
    case kString: return 8;  // at least its length
    default: return 0;
  }
}

// One scalar of `type` as the widest C++ type of its kind.
Result<GgufValue> ReadScalar(Reader& r, uint32_t type) {
  switch (type) {
    case kU8: { EDGERT_ASSIGN_OR_RETURN(auto v, r.Scalar<uint8_t>("a u8 value")); return GgufValue(uint64_t{v}); }
    case kI8: { EDGERT_ASSIGN_OR_RETURN(auto v, r.Scalar<int8_t>("an i8 value")); return GgufValue(int64_t{v}); }
    case kU16: { EDGERT_ASSIGN_OR_RETURN(auto v, r.Scalar<uint16_t>("a u16 value")); return GgufValue(uint64_t{v}); }
    case kI16: { EDGERT_ASSIGN_OR_RETURN(auto v, r.Scalar<int16_t>("an i16 value")); return GgufValue(int64_t{v}); }
    case kU32: { EDGERT_ASSIGN_OR_RETURN(auto v, r.Scalar<uint32_t>("a u32 value")); return GgufValue(uint64_t{v}); }
    case kI32: { EDGERT_ASSIGN_OR_RETURN(auto v, r.Scalar<int32_t>("an i32 value")); return GgufValue(int64_t{v}); }
    case kU64: { EDGERT_ASSIGN_OR_RETURN(auto v, r.Scalar<uint64_t>("a u64 value")); return GgufValue(v); }
    case kI64: { EDGERT_ASSIGN_OR_RETURN(auto v, r.Scalar<int64_t>("an i64 value")); return GgufValue(v); }
    case kF32: { EDGERT_ASSIGN_OR_RETURN(auto v, r.Scalar<float>("an f32 value")); return GgufValue(double{v}); }
    case kF64: { EDGERT_ASSIGN_OR_RETURN(auto v, r.Scalar<double>("an f64 value")); return GgufValue(v); }
    case kBool: { EDGERT_ASSIGN_OR_RETURN(auto v, r.Scalar<uint8_t>("a bool value")); return GgufValue(v != 0); }
    case kString: { EDGERT_ASSIGN_OR_RETURN(auto v, r.String("a string value")); return GgufValue(std::move(v)); }
    default: return CorruptFile("unknown value type " + std::to_string(type) + " at byte " + std::to_string(r.pos() - 4));
  }
}

Result<GgufValue> ReadValue(Reader& r, uint32_t type) {
  if (type != kArray) return ReadScalar(r, type);
  EDGERT_ASSIGN_OR_RETURN(const uint32_t elem, r.Scalar<uint32_t>("an array's element type"));
  EDGERT_ASSIGN_OR_RETURN(const uint64_t n, r.Scalar<uint64_t>("an array length"));
  if (elem == kArray) return Unsupported("arrays of arrays");
  if (ScalarSize(elem) == 0) return CorruptFile("array of unknown element type " + std::to_string(elem));
  EDGERT_RETURN_IF_ERROR(r.Fits(n, ScalarSize(elem), "an array"));
  if (elem == kString) {
    std::vector<std::string> v;
    v.reserve(n);
    for (uint64_t i = 0; i < n; ++i) {
      EDGERT_ASSIGN_OR_RETURN(std::string s, r.String("a string array element"));
      v.push_back(std::move(s));
    }
    return GgufValue(std::move(v));
  }
  const bool is_float = elem == kF32 || elem == kF64;
  std::vector<int64_t> ints;
  std::vector<double> floats;
  (is_float ? floats.reserve(n) : ints.reserve(n));
  for (uint64_t i = 0; i < n; ++i) {
    EDGERT_ASSIGN_OR_RETURN(GgufValue v, ReadScalar(r, elem));
    if (auto* d = std::get_if<double>(&v)) floats.push_back(*d);
    else if (auto* s = std::get_if<int64_t>(&v)) ints.push_back(*s);
    else if (auto* u = std::get_if<uint64_t>(&v)) ints.push_back(static_cast<int64_t>(*u));  // u64 > 2^63 wraps: no key needs it
    else if (auto* b = std::get_if<bool>(&v)) ints.push_back(*b ? 1 : 0);
  }
  if (is_float) return GgufValue(std::move(floats));
  return GgufValue(std::move(ints));
}

// Bytes of a tensor of a known ggml type, or an error naming the problem.
Result<uint64_t> GgmlBytes(const GgmlTypeInfo& info, const std::vector<int64_t>& shape) {
  const int64_t inner = shape.back();
  if (inner % info.block_elems != 0) {
    return CorruptFile("innermost dimension " + std::to_string(inner) + " is not a multiple of " + std::string(info.name) +
                       "'s block of " + std::to_string(info.block_elems));
  }
  uint64_t blocks = static_cast<uint64_t>(inner) / info.block_elems;
  for (size_t i = 0; i + 1 < shape.size(); ++i) {
    const auto d = static_cast<uint64_t>(shape[i]);
    if (d != 0 && blocks > std::numeric_limits<uint64_t>::max() / d) return CorruptFile("shape overflows 64 bits");
    blocks *= d;
  }
  if (blocks > std::numeric_limits<uint64_t>::max() / info.block_bytes) return CorruptFile("shape overflows 64 bits");
  return blocks * info.block_bytes;
}

std::string ShapeString(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

}  // namespace

GgufFile::GgufFile(GgufFile&&) noexcept = default;
GgufFile& GgufFile::operator=(GgufFile&&) noexcept = default;
GgufFile::~GgufFile() = default;

Result<GgufFile> GgufFile::Open(const std::string& path) {
  EDGERT_RETURN_IF_ERROR(CheckRegularFile(path));
  EDGERT_ASSIGN_OR_RETURN(ports::MappedFile mapped, ports::MappedFile::Open(path));
  GgufFile f;
  f.mapping_ = std::make_unique<ports::MappedFile>(std::move(mapped));
  f.name_ = path;
  EDGERT_RETURN_IF_ERROR(f.Parse(f.mapping_->bytes()));
  return f;
}

Result<GgufFile> GgufFile::FromBytes(std::span<const std::byte> bytes, const std::string& name) {
  GgufFile f;
  f.name_ = name;
  EDGERT_RETURN_IF_ERROR(f.Parse(bytes));
  return f;
}

Status GgufFile::Parse(std::span<const std::byte> bytes) {
  Reader r(bytes, name_);
  EDGERT_ASSIGN_OR_RETURN(const uint32_t magic, r.Scalar<uint32_t>("the magic number"));
  if (magic != kMagic) return CorruptFile(name_ + ": not a GGUF file (expected 'GGUF' at byte 0)");
  EDGERT_ASSIGN_OR_RETURN(version_, r.Scalar<uint32_t>("the version"));
  if (version_ != 2 && version_ != 3) {
    if ((version_ & 0xFFFFu) == 0 && (version_ >> 24) <= 3) {
      return Unsupported(name_ + ": a big-endian GGUF file (only little-endian files are read)");
    }
    return Unsupported(name_ + ": GGUF version " + std::to_string(version_) + " (reads versions 2 and 3)");
  }
  EDGERT_ASSIGN_OR_RETURN(const uint64_t n_tensors, r.Scalar<uint64_t>("the tensor count"));
  EDGERT_ASSIGN_OR_RETURN(const uint64_t n_kv, r.Scalar<uint64_t>("the metadata count"));
  // A key-value pair takes at least 13 bytes (key length, type, one byte).
  EDGERT_RETURN_IF_ERROR(r.Fits(n_kv, 13, "the metadata"));
  for (uint64_t i = 0; i < n_kv; ++i) {
    const uint64_t at = r.pos();
    EDGERT_ASSIGN_OR_RETURN(std::string key, r.String("a metadata key"));
    EDGERT_ASSIGN_OR_RETURN(const uint32_t type, r.Scalar<uint32_t>("a metadata type"));
    auto value = ReadValue(r, type);
    if (!value.ok()) return value.status().WithContext(name_ + ": metadata '" + key + "' (at byte " + std::to_string(at) + ")");
    if (!metadata_.emplace(key, std::move(*value)).second) {
      return CorruptFile(name_ + ": metadata key '" + key + "' appears twice (at byte " + std::to_string(at) + ")");
    }
  }
  if (Has("general.alignment")) {
    auto a = GetInt("general.alignment");
    if (!a.ok()) return CorruptFile(name_ + ": general.alignment must be an integer");
    if (*a <= 0 || *a > (1 << 20) || (*a & (*a - 1)) != 0) {
      return CorruptFile(name_ + ": general.alignment " + std::to_string(*a) + " is not a power of two up to 1 MiB");
    }
    alignment_ = static_cast<uint64_t>(*a);
  }
  // A tensor info takes at least 32 bytes (name length, n_dims, one dim, type, offset).
  EDGERT_RETURN_IF_ERROR(r.Fits(n_tensors, 32, "the tensor index"));
  std::vector<GgufTensor> infos;
  infos.reserve(n_tensors);
  for (uint64_t i = 0; i < n_tensors; ++i) {
    GgufTensor t;
    EDGERT_ASSIGN_OR_RETURN(t.name, r.String("a tensor name"));
    const std::string where = name_ + ": tensor '" + t.name + "'";
    EDGERT_ASSIGN_OR_RETURN(const uint32_t n_dims, r.Scalar<uint32_t>("a tensor's dimension count"));
    if (n_dims == 0 || n_dims > kMaxDims) {
      return CorruptFile(where + " has " + std::to_string(n_dims) + " dimensions (1 to " + std::to_string(kMaxDims) + ")");
    }
    std::vector<int64_t> ne(n_dims);
    for (uint32_t d = 0; d < n_dims; ++d) {
      EDGERT_ASSIGN_OR_RETURN(const uint64_t v, r.Scalar<uint64_t>("a tensor dimension"));
      if (v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return CorruptFile(where + ": dimension " + std::to_string(v) + " is negative as int64");
      ne[d] = static_cast<int64_t>(v);
    }
    t.shape.assign(ne.rbegin(), ne.rend());
    EDGERT_ASSIGN_OR_RETURN(t.ggml_type, r.Scalar<uint32_t>("a tensor type"));
    EDGERT_ASSIGN_OR_RETURN(t.offset, r.Scalar<uint64_t>("a tensor offset"));
    t.dtype = DTypeFromGgml(t.ggml_type);
    infos.push_back(std::move(t));
  }
  data_offset_ = (r.pos() + alignment_ - 1) / alignment_ * alignment_;
  const uint64_t data_size = data_offset_ <= bytes.size() ? bytes.size() - data_offset_ : 0;
  for (GgufTensor& t : infos) {
    const std::string where = name_ + ": tensor '" + t.name + "'";
    if (t.offset % alignment_ != 0) {
      return CorruptFile(where + ": data offset " + std::to_string(t.offset) + " is not a multiple of the alignment " + std::to_string(alignment_));
    }
    if (auto info = GetGgmlTypeInfo(t.ggml_type)) {
      auto size = GgmlBytes(*info, t.shape);
      if (!size.ok()) return size.status().WithContext(where + " (" + std::string(info->name) + " " + ShapeString(t.shape) + ")");
      t.size = *size;
    }
    if (t.offset > data_size || t.size > data_size - t.offset) {
      return CorruptFile(where + ": data at offset " + std::to_string(data_offset_) + " + " + std::to_string(t.offset) + " (" +
                         std::to_string(t.size) + " bytes) runs past the end of the file (size " + std::to_string(bytes.size()) +
                         "; truncated?)");
    }
    if (t.dtype) t.data = bytes.subspan(data_offset_ + t.offset, t.size);
    if (!index_.emplace(t.name, tensors_.size()).second) return CorruptFile(where + " appears twice in the tensor index");
    tensors_.push_back(std::move(t));
  }
  // Two tensors sharing bytes would let a write through one corrupt the other
  // (and is never produced by llama.cpp, which packs them back to back).
  std::vector<const GgufTensor*> by_offset;
  for (const GgufTensor& t : tensors_) {
    if (t.size != 0) by_offset.push_back(&t);
  }
  std::sort(by_offset.begin(), by_offset.end(), [](const GgufTensor* a, const GgufTensor* b) { return a->offset < b->offset; });
  for (size_t i = 1; i < by_offset.size(); ++i) {
    const GgufTensor& a = *by_offset[i - 1];
    const GgufTensor& b = *by_offset[i];
    if (a.offset + a.size > b.offset) {
      return CorruptFile(name_ + ": tensors '" + a.name + "' (bytes " + std::to_string(a.offset) + " to " + std::to_string(a.offset + a.size) +
                         ") and '" + b.name + "' (from " + std::to_string(b.offset) + ") overlap");
    }
  }
  return OkStatus();
}

const GgufTensor* GgufFile::Find(std::string_view name) const {
  const auto it = index_.find(name);
  return it == index_.end() ? nullptr : &tensors_[it->second];
}

Result<std::span<const std::byte>> GgufFile::TensorData(const GgufTensor& t) const {
  if (!t.dtype) {
    return Unsupported(name_ + ": tensor '" + t.name + "' has ggml type " + std::to_string(t.ggml_type) + " (" + GgmlTypeName(t.ggml_type) +
                       "); edge-rt reads f32, f16, bf16, q8_0 and q4_0");
  }
  return t.data;
}

Result<const GgufValue*> GgufFile::Lookup(std::string_view key) const {
  const auto it = metadata_.find(key);
  if (it == metadata_.end()) return NotFound(name_ + ": metadata key '" + std::string(key) + "' is missing");
  return &it->second;
}

Result<int64_t> GgufFile::GetInt(std::string_view key) const {
  EDGERT_ASSIGN_OR_RETURN(const GgufValue* v, Lookup(key));
  if (auto* i = std::get_if<int64_t>(v)) return *i;
  if (auto* u = std::get_if<uint64_t>(v)) {
    if (*u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return OutOfRange(name_ + ": metadata '" + std::string(key) + "' = " + std::to_string(*u) + " is too large");
    }
    return static_cast<int64_t>(*u);
  }
  if (auto* b = std::get_if<bool>(v)) return *b ? 1 : 0;
  return InvalidArgument(name_ + ": metadata '" + std::string(key) + "' is not an integer");
}

Result<double> GgufFile::GetFloat(std::string_view key) const {
  EDGERT_ASSIGN_OR_RETURN(const GgufValue* v, Lookup(key));
  if (auto* d = std::get_if<double>(v)) return *d;
  if (auto* i = std::get_if<int64_t>(v)) return static_cast<double>(*i);
  if (auto* u = std::get_if<uint64_t>(v)) return static_cast<double>(*u);
  return InvalidArgument(name_ + ": metadata '" + std::string(key) + "' is not a number");
}

Result<bool> GgufFile::GetBool(std::string_view key) const {
  EDGERT_ASSIGN_OR_RETURN(const GgufValue* v, Lookup(key));
  if (auto* b = std::get_if<bool>(v)) return *b;
  return InvalidArgument(name_ + ": metadata '" + std::string(key) + "' is not a bool");
}

Result<std::string> GgufFile::GetString(std::string_view key) const {
  EDGERT_ASSIGN_OR_RETURN(const GgufValue* v, Lookup(key));
  if (auto* s = std::get_if<std::string>(v)) return *s;
  return InvalidArgument(name_ + ": metadata '" + std::string(key) + "' is not a string");
}

Result<std::vector<std::string>> GgufFile::GetStrings(std::string_view key) const {
  EDGERT_ASSIGN_OR_RETURN(const GgufValue* v, Lookup(key));
  if (auto* s = std::get_if<std::vector<std::string>>(v)) return *s;
  return InvalidArgument(name_ + ": metadata '" + std::string(key) + "' is not an array of strings");
}

Result<std::vector<int64_t>> GgufFile::GetInts(std::string_view key) const {
  EDGERT_ASSIGN_OR_RETURN(const GgufValue* v, Lookup(key));
  if (auto* i = std::get_if<std::vector<int64_t>>(v)) return *i;
  return InvalidArgument(name_ + ": metadata '" + std::string(key) + "' is not an array of integers");
}

Result<std::vector<double>> GgufFile::GetFloats(std::string_view key) const {
  EDGERT_ASSIGN_OR_RETURN(const GgufValue* v, Lookup(key));
  if (auto* d = std::get_if<std::vector<double>>(v)) return *d;
  if (auto* i = std::get_if<std::vector<int64_t>>(v)) return std::vector<double>(i->begin(), i->end());
  return InvalidArgument(name_ + ": metadata '" + std::string(key) + "' is not an array of numbers");
}

}  // namespace edgert
