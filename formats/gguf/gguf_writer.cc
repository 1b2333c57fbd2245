// formats/gguf/gguf_writer.cc: GGUF v3 writer. The header is built in memory
// (it holds the tokenizer: a few MB at most); tensor bytes go straight from the
// caller's spans (usually a mapped model) to the file.
#include "formats/gguf/gguf_writer.h"

#include <limits>
#include <set>
#include <type_traits>

#include "ports/output_file.h"

namespace edgert {
namespace {

enum ValueType : uint32_t {
  kU32 = 4, kI32 = 5, kF32 = 6, kBool = 7, kString = 8, kArray = 9, kU64 = 10, kI64 = 11,
};

bool FitsI32(int64_t v) { return v >= std::numeric_limits<int32_t>::min() && v <= std::numeric_limits<int32_t>::max(); }

class Header {
 public:
  template <typename T>
  void Put(T v) {
    static_assert(std::is_arithmetic_v<T> || std::is_enum_v<T>);
    buf_.append(reinterpret_cast<const char*>(&v), sizeof v);  // little-endian hosts only (as all we build for)
  }
  void Str(const std::string& s) {
    Put<uint64_t>(s.size());
    buf_.append(s);
  }
  void Value(const GgufValue& v) {
    std::visit([&](const auto& x) {
      using T = std::decay_t<decltype(x)>;
      if constexpr (std::is_same_v<T, int64_t>) {
        if (FitsI32(x)) { Put(kI32); Put(static_cast<int32_t>(x)); }
        else { Put(kI64); Put(x); }
      } else if constexpr (std::is_same_v<T, uint64_t>) {
        if (x <= std::numeric_limits<uint32_t>::max()) { Put(kU32); Put(static_cast<uint32_t>(x)); }
        else { Put(kU64); Put(x); }
      } else if constexpr (std::is_same_v<T, double>) {
        Put(kF32); Put(static_cast<float>(x));
      } else if constexpr (std::is_same_v<T, bool>) {
        Put(kBool); Put(static_cast<uint8_t>(x ? 1 : 0));
      } else if constexpr (std::is_same_v<T, std::string>) {
        Put(kString); Str(x);
      } else if constexpr (std::is_same_v<T, std::vector<int64_t>>) {
        bool narrow = true;
        for (int64_t e : x) narrow = narrow && FitsI32(e);
        Put(kArray); Put(narrow ? kI32 : kI64); Put<uint64_t>(x.size());
        for (int64_t e : x) {
          if (narrow) Put(static_cast<int32_t>(e));
          else Put(e);
        }
      } else if constexpr (std::is_same_v<T, std::vector<double>>) {
        Put(kArray); Put(kF32); Put<uint64_t>(x.size());
        for (double e : x) Put(static_cast<float>(e));
      } else {
        static_assert(std::is_same_v<T, std::vector<std::string>>);
        Put(kArray); Put(kString); Put<uint64_t>(x.size());
        for (const std::string& e : x) Str(e);
      }
    }, v);
  }
  void PadTo(uint64_t alignment) { buf_.append((alignment - buf_.size() % alignment) % alignment, '\0'); }
  std::span<const std::byte> bytes() const { return std::as_bytes(std::span(buf_.data(), buf_.size())); }

 private:
  std::string buf_;
};

}  // namespace

Status WriteGguf(const std::string& path, const std::vector<std::pair<std::string, GgufValue>>& metadata,
                 const std::vector<GgufOutTensor>& tensors) {
  uint64_t alignment = 32;
  std::set<std::string_view> keys;
  for (const auto& [key, value] : metadata) {
    if (!keys.insert(key).second) return InvalidArgument(path + ": metadata key '" + key + "' given twice");
    if (key == "general.alignment") {
      const auto* a = std::get_if<uint64_t>(&value);
      if (a == nullptr || *a == 0 || *a > (1u << 20) || (*a & (*a - 1)) != 0 || *a % 8 != 0) {
        return InvalidArgument(path + ": general.alignment must be a uint64_t power of two from 8 to 1 MiB");
      }
      alignment = *a;
    }
  }
  Header h;
  h.Put<uint32_t>(0x46554747u);  // "GGUF"
  h.Put<uint32_t>(3);
  h.Put<uint64_t>(tensors.size());
  h.Put<uint64_t>(metadata.size());
  for (const auto& [key, value] : metadata) {
    h.Str(key);
    h.Value(value);
  }
  std::set<std::string_view> names;
  uint64_t offset = 0;
  std::vector<uint64_t> offsets;
  offsets.reserve(tensors.size());
  for (const GgufOutTensor& t : tensors) {
    const std::string where = path + ": tensor '" + t.name + "'";
    if (!names.insert(t.name).second) return InvalidArgument(where + " given twice");
    if (t.shape.empty() || t.shape.size() > 4) return InvalidArgument(where + ": GGUF tensors have 1 to 4 dimensions");
    auto size = TensorBytes(t.dtype, t.shape);
    if (!size.ok()) return size.status().WithContext(where);
    if (t.data.size() != *size) {
      return InvalidArgument(where + ": " + std::to_string(t.data.size()) + " bytes given, its dtype and shape need " + std::to_string(*size));
    }
    h.Str(t.name);
    h.Put<uint32_t>(static_cast<uint32_t>(t.shape.size()));
    for (auto it = t.shape.rbegin(); it != t.shape.rend(); ++it) h.Put<uint64_t>(static_cast<uint64_t>(*it));
    h.Put<uint32_t>(GgmlFromDType(t.dtype));
    h.Put<uint64_t>(offset);
    offsets.push_back(offset);
    offset = (offset + *size + alignment - 1) / alignment * alignment;
  }
  h.PadTo(alignment);
  EDGERT_ASSIGN_OR_RETURN(ports::OutputFile out, ports::OutputFile::Create(path));
  EDGERT_RETURN_IF_ERROR(out.Write(h.bytes()));
  const uint64_t start = out.position();
  for (size_t i = 0; i < tensors.size(); ++i) EDGERT_RETURN_IF_ERROR(out.WriteAt(start + offsets[i], tensors[i].data));
  // The data section ends padded like every tensor in it (llama.cpp's writer does the same).
  if (out.position() < start + offset) EDGERT_RETURN_IF_ERROR(out.WriteZeros(start + offset - out.position()));
  return out.Commit();
}

}  // namespace edgert
