// formats/gguf/gguf.cc
#include "formats/gguf/gguf.h"

#include <cstring>
#include <limits>

#include "ports/output_file.h"

namespace edgert {
namespace {

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
    EDGERT_ASSIGN_OR_RETURN(const uint64_t n, Scalar<uint64_t>(what));
    if (n > b_.size() - pos_) return Truncated(what);
    std::string s(reinterpret_cast<const char*>(b_.data() + pos_), n);
    pos_ += n;
    return s;
  }
  Status Truncated(const char* what) const {
    return CorruptFile(name_ + ": " + what + " at byte " + std::to_string(pos_) + " runs past the end of the file (size " +
                       std::to_string(b_.size()) + "; truncated?)");
  }
  // Enough bytes left for `count` items of at least `min_size` bytes each?
  Status Fits(uint64_t count, uint64_t min_size, const char* what) const {
    if (min_size != 0 && count > (b_.size() - pos_) / min_size) return Truncated(what);
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
    default: return CorruptFile("unknown metadata value type " + std::to_string(type));
  }
}

Result<GgufValue> ReadValue(Reader& r, uint32_t type) {
  if (type != kArray) return ReadScalar(r, type);
  EDGERT_ASSIGN_OR_RETURN(const uint32_t elem, r.Scalar<uint32_t>("an array type"));
  EDGERT_ASSIGN_OR_RETURN(const uint64_t n, r.Scalar<uint64_t>("an array length"));
  if (elem == kString) {
    EDGERT_RETURN_IF_ERROR(r.Fits(n, 8, "a string array"));
    std::vector<std::string> v;
    v.reserve(n);
    for (uint64_t i = 0; i < n; ++i) {
      EDGERT_ASSIGN_OR_RETURN(std::string s, r.String("a string array element"));
      v.push_back(std::move(s));
    }
    return GgufValue(std::move(v));
  }
  if (ScalarSize(elem) == 0) return CorruptFile("array of unsupported element type " + std::to_string(elem));
  EDGERT_RETURN_IF_ERROR(r.Fits(n, ScalarSize(elem), "an array"));
  const bool is_float = elem == kF32 || elem == kF64;
  std::vector<int64_t> ints;
  std::vector<double> floats;
  (is_float ? floats.reserve(n) : ints.reserve(n));
  for (uint64_t i = 0; i < n; ++i) {
    EDGERT_ASSIGN_OR_RETURN(GgufValue v, ReadScalar(r, elem));
    if (auto* d = std::get_if<double>(&v)) floats.push_back(*d);
    else if (auto* s = std::get_if<int64_t>(&v)) ints.push_back(*s);
    else if (auto* u = std::get_if<uint64_t>(&v)) ints.push_back(static_cast<int64_t>(*u));
    else if (auto* b = std::get_if<bool>(&v)) ints.push_back(*b ? 1 : 0);
  }
  if (is_float) return GgufValue(std::move(floats));
  return GgufValue(std::move(ints));
}

}  // namespace

std::optional<DType> DTypeFromGgml(uint32_t t) {
  switch (t) {
    case 0: return DType::kF32;
    case 1: return DType::kF16;
    case 2: return DType::kQ4_0;
    case 8: return DType::kQ8_0;
    case 30: return DType::kBF16;
    default: return std::nullopt;
  }
}

uint32_t GgmlFromDType(DType d) {
  switch (d) {
    case DType::kF32: return 0;
    case DType::kF16: return 1;
    case DType::kQ4_0: return 2;
    case DType::kQ8_0: return 8;
    case DType::kBF16: return 30;
  }
  return 0;
}

GgufFile::GgufFile(GgufFile&&) noexcept = default;
GgufFile& GgufFile::operator=(GgufFile&&) noexcept = default;
GgufFile::~GgufFile() = default;

Result<GgufFile> GgufFile::Open(const std::string& path) {
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
  if (magic != 0x46554747u) return CorruptFile(name_ + ": not a GGUF file (expected 'GGUF' at byte 0)");
  EDGERT_ASSIGN_OR_RETURN(version_, r.Scalar<uint32_t>("the version"));
  if (version_ != 2 && version_ != 3) return Unsupported(name_ + ": GGUF version " + std::to_string(version_) + " (reads 2 and 3)");
  EDGERT_ASSIGN_OR_RETURN(const uint64_t n_tensors, r.Scalar<uint64_t>("the tensor count"));
  EDGERT_ASSIGN_OR_RETURN(const uint64_t n_kv, r.Scalar<uint64_t>("the metadata count"));
  EDGERT_RETURN_IF_ERROR(r.Fits(n_kv, 12, "the metadata"));
  for (uint64_t i = 0; i < n_kv; ++i) {
    EDGERT_ASSIGN_OR_RETURN(std::string key, r.String("a metadata key"));
    EDGERT_ASSIGN_OR_RETURN(const uint32_t type, r.Scalar<uint32_t>("a metadata type"));
    auto value = ReadValue(r, type);
    if (!value.ok()) return value.status().WithContext(name_ + ": metadata '" + key + "'");
    metadata_[key] = std::move(*value);
  }
  uint64_t alignment = 32;
  if (Has("general.alignment")) {
    EDGERT_ASSIGN_OR_RETURN(const int64_t a, GetInt("general.alignment"));
    if (a <= 0 || a > (1 << 20) || (a & (a - 1)) != 0) return CorruptFile(name_ + ": general.alignment " + std::to_string(a) + " is not a power of two");
    alignment = static_cast<uint64_t>(a);
  }
  EDGERT_RETURN_IF_ERROR(r.Fits(n_tensors, 24, "the tensor index"));
  struct Info {
    GgufTensor t;
    uint64_t offset;
  };
  std::vector<Info> infos;
  infos.reserve(n_tensors);
  for (uint64_t i = 0; i < n_tensors; ++i) {
    Info info;
    EDGERT_ASSIGN_OR_RETURN(info.t.name, r.String("a tensor name"));
    EDGERT_ASSIGN_OR_RETURN(const uint32_t n_dims, r.Scalar<uint32_t>("a tensor's dimension count"));
    if (n_dims == 0 || n_dims > 4) return CorruptFile(name_ + ": tensor '" + info.t.name + "' has " + std::to_string(n_dims) + " dimensions (1 to 4)");
    std::vector<int64_t> ne(n_dims);
    for (uint32_t d = 0; d < n_dims; ++d) {
      EDGERT_ASSIGN_OR_RETURN(const uint64_t v, r.Scalar<uint64_t>("a tensor dimension"));
      if (v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return CorruptFile(name_ + ": tensor '" + info.t.name + "': dimension too large");
      ne[d] = static_cast<int64_t>(v);
    }
    info.t.shape.assign(ne.rbegin(), ne.rend());
    EDGERT_ASSIGN_OR_RETURN(info.t.ggml_type, r.Scalar<uint32_t>("a tensor type"));
    EDGERT_ASSIGN_OR_RETURN(info.offset, r.Scalar<uint64_t>("a tensor offset"));
    info.t.dtype = DTypeFromGgml(info.t.ggml_type);
    infos.push_back(std::move(info));
  }
  const uint64_t data_start = (r.pos() + alignment - 1) / alignment * alignment;
  for (Info& info : infos) {
    GgufTensor& t = info.t;
    const std::string where = name_ + ": tensor '" + t.name + "'";
    if (info.offset % alignment != 0) return CorruptFile(where + ": offset " + std::to_string(info.offset) + " is not aligned to " + std::to_string(alignment));
    if (t.dtype) {
      auto size = TensorBytes(*t.dtype, t.shape);
      if (!size.ok()) return CorruptFile(where + ": " + size.status().message());
      if (data_start > bytes.size() || info.offset > bytes.size() - data_start || *size > bytes.size() - data_start - info.offset) {
        return CorruptFile(where + ": data at offset " + std::to_string(info.offset) + " (+" + std::to_string(*size) +
                           " bytes) runs past the end of the file (size " + std::to_string(bytes.size()) + "; truncated?)");
      }
      t.data = bytes.subspan(data_start + info.offset, *size);
    }
    tensors_.push_back(std::move(t));
  }
  return OkStatus();
}

const GgufTensor* GgufFile::Find(std::string_view name) const {
  for (const GgufTensor& t : tensors_) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

Result<int64_t> GgufFile::GetInt(std::string_view key) const {
  const auto it = metadata_.find(key);
  if (it == metadata_.end()) return NotFound(name_ + ": metadata key '" + std::string(key) + "' is missing");
  if (auto* v = std::get_if<int64_t>(&it->second)) return *v;
  if (auto* v = std::get_if<uint64_t>(&it->second)) {
    if (*v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return OutOfRange(name_ + ": '" + std::string(key) + "' is too large");
    return static_cast<int64_t>(*v);
  }
  if (auto* v = std::get_if<bool>(&it->second)) return *v ? 1 : 0;
  return InvalidArgument(name_ + ": metadata '" + std::string(key) + "' is not an integer");
}

Result<double> GgufFile::GetFloat(std::string_view key) const {
  const auto it = metadata_.find(key);
  if (it == metadata_.end()) return NotFound(name_ + ": metadata key '" + std::string(key) + "' is missing");
  if (auto* v = std::get_if<double>(&it->second)) return *v;
  EDGERT_ASSIGN_OR_RETURN(const int64_t i, GetInt(key));
  return static_cast<double>(i);
}

Result<std::string> GgufFile::GetString(std::string_view key) const {
  const auto it = metadata_.find(key);
  if (it == metadata_.end()) return NotFound(name_ + ": metadata key '" + std::string(key) + "' is missing");
  if (auto* v = std::get_if<std::string>(&it->second)) return *v;
  return InvalidArgument(name_ + ": metadata '" + std::string(key) + "' is not a string");
}

Result<std::vector<std::string>> GgufFile::GetStrings(std::string_view key) const {
  const auto it = metadata_.find(key);
  if (it == metadata_.end()) return NotFound(name_ + ": metadata key '" + std::string(key) + "' is missing");
  if (auto* v = std::get_if<std::vector<std::string>>(&it->second)) return *v;
  return InvalidArgument(name_ + ": metadata '" + std::string(key) + "' is not an array of strings");
}

Result<std::vector<int64_t>> GgufFile::GetInts(std::string_view key) const {
  const auto it = metadata_.find(key);
  if (it == metadata_.end()) return NotFound(name_ + ": metadata key '" + std::string(key) + "' is missing");
  if (auto* v = std::get_if<std::vector<int64_t>>(&it->second)) return *v;
  return InvalidArgument(name_ + ": metadata '" + std::string(key) + "' is not an array of integers");
}

namespace {

class Writer {
 public:
  void U32(uint32_t v) { Raw(&v, 4); }
  void U64(uint64_t v) { Raw(&v, 8); }
  void Str(const std::string& s) {
    U64(s.size());
    Raw(s.data(), s.size());
  }
  void Raw(const void* p, size_t n) { buf.append(static_cast<const char*>(p), n); }
  void Value(const GgufValue& v) {
    // The types llama.cpp itself writes for such keys: u32 counts, f32 reals, i32 arrays.
    std::visit([&](const auto& x) {
      using T = std::decay_t<decltype(x)>;
      if constexpr (std::is_same_v<T, int64_t>) { U32(kI32); const auto y = static_cast<int32_t>(x); Raw(&y, 4); }
      else if constexpr (std::is_same_v<T, uint64_t>) { U32(kU32); const auto y = static_cast<uint32_t>(x); Raw(&y, 4); }
      else if constexpr (std::is_same_v<T, double>) { U32(kF32); const auto y = static_cast<float>(x); Raw(&y, 4); }
      else if constexpr (std::is_same_v<T, bool>) { U32(kBool); const uint8_t y = x; Raw(&y, 1); }
      else if constexpr (std::is_same_v<T, std::string>) { U32(kString); Str(x); }
      else if constexpr (std::is_same_v<T, std::vector<int64_t>>) {
        U32(kArray); U32(kI32); U64(x.size());
        for (int64_t e : x) { const auto y = static_cast<int32_t>(e); Raw(&y, 4); }
      } else if constexpr (std::is_same_v<T, std::vector<double>>) {
        U32(kArray); U32(kF32); U64(x.size());
        for (double e : x) { const auto y = static_cast<float>(e); Raw(&y, 4); }
      } else {
        U32(kArray); U32(kString); U64(x.size());
        for (const std::string& e : x) Str(e);
      }
    }, v);
  }
  std::string buf;
};

}  // namespace

Status WriteGguf(const std::string& path, const std::vector<std::pair<std::string, GgufValue>>& metadata,
                 const std::vector<GgufOutTensor>& tensors) {
  constexpr uint64_t kAlign = 32;
  Writer w;
  w.U32(0x46554747u);
  w.U32(3);
  w.U64(tensors.size());
  w.U64(metadata.size());
  for (const auto& [key, value] : metadata) {
    w.Str(key);
    w.Value(value);
  }
  uint64_t offset = 0;
  std::vector<uint64_t> offsets;
  for (const GgufOutTensor& t : tensors) {
    EDGERT_ASSIGN_OR_RETURN(const uint64_t size, TensorBytes(t.dtype, t.shape));
    if (t.data.size() != size) return InvalidArgument(path + ": tensor '" + t.name + "': data size differs from its shape");
    w.Str(t.name);
    w.U32(static_cast<uint32_t>(t.shape.size()));
    for (auto it = t.shape.rbegin(); it != t.shape.rend(); ++it) w.U64(static_cast<uint64_t>(*it));
    w.U32(GgmlFromDType(t.dtype));
    w.U64(offset);
    offsets.push_back(offset);
    offset = (offset + size + kAlign - 1) / kAlign * kAlign;
  }
  w.buf.append((kAlign - w.buf.size() % kAlign) % kAlign, '\0');
  EDGERT_ASSIGN_OR_RETURN(ports::OutputFile out, ports::OutputFile::Create(path));
  EDGERT_RETURN_IF_ERROR(out.Write(std::as_bytes(std::span(w.buf.data(), w.buf.size()))));
  const uint64_t start = out.position();
  for (size_t i = 0; i < tensors.size(); ++i) EDGERT_RETURN_IF_ERROR(out.WriteAt(start + offsets[i], tensors[i].data));
  return out.Commit();
}

}  // namespace edgert
