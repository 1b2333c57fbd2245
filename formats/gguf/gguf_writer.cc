// formats/gguf/gguf_writer.cc: GGUF v3 writer. The header is built in memory
// (it holds the tokenizer: a few MB at most); tensor bytes go straight from the
// caller's spans (usually a mapped model) to the file.
#include "formats/gguf/gguf_writer.h"

#include <algorithm>
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

struct GgufWriter::State {
  std::string path;
  ports::OutputFile out;
  uint64_t alignment = 32;
  uint64_t data_start = 0;
  std::vector<uint64_t> sizes, offsets;  // per tensor, offsets from data_start
  uint64_t data_end = 0;                 // padded end of the data section
  size_t current = 0;
  uint64_t filled = 0;                   // bytes of the current tensor written
};

GgufWriter::GgufWriter(std::unique_ptr<State> state) : state_(std::move(state)) {}
GgufWriter::GgufWriter(GgufWriter&&) noexcept = default;
GgufWriter& GgufWriter::operator=(GgufWriter&&) noexcept = default;
GgufWriter::~GgufWriter() = default;

Result<GgufWriter> GgufWriter::Create(const std::string& path,
                                      const std::vector<std::pair<std::string, GgufValue>>& metadata,
                                      const std::vector<GgufOutTensor>& tensors) {
  auto st = std::make_unique<State>();
  st->path = path;
  std::set<std::string_view> keys;
  for (const auto& [key, value] : metadata) {
    if (!keys.insert(key).second) return InvalidArgument(path + ": metadata key '" + key + "' given twice");
    if (key == "general.alignment") {
      const auto* a = std::get_if<uint64_t>(&value);
      if (a == nullptr || *a == 0 || *a > (1u << 20) || (*a & (*a - 1)) != 0 || *a % 8 != 0) {
        return InvalidArgument(path + ": general.alignment must be a uint64_t power of two from 8 to 1 MiB");
      }
      st->alignment = *a;
    }
  }
  const uint64_t alignment = st->alignment;
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
  for (const GgufOutTensor& t : tensors) {
    const std::string where = path + ": tensor '" + t.name + "'";
    if (!names.insert(t.name).second) return InvalidArgument(where + " given twice");
    if (t.shape.empty() || t.shape.size() > 4) return InvalidArgument(where + ": GGUF tensors have 1 to 4 dimensions");
    auto size = TensorBytes(t.dtype, t.shape);
    if (!size.ok()) return size.status().WithContext(where);
    h.Str(t.name);
    h.Put<uint32_t>(static_cast<uint32_t>(t.shape.size()));
    for (auto it = t.shape.rbegin(); it != t.shape.rend(); ++it) h.Put<uint64_t>(static_cast<uint64_t>(*it));
    h.Put<uint32_t>(GgmlFromDType(t.dtype));
    h.Put<uint64_t>(offset);
    st->offsets.push_back(offset);
    st->sizes.push_back(*size);
    offset = (offset + *size + alignment - 1) / alignment * alignment;
  }
  st->data_end = offset;
  h.PadTo(alignment);
  EDGERT_ASSIGN_OR_RETURN(st->out, ports::OutputFile::Create(path));
  EDGERT_RETURN_IF_ERROR(st->out.Write(h.bytes()));
  st->data_start = st->out.position();
  return GgufWriter(std::move(st));
}

Status GgufWriter::Append(std::span<const std::byte> bytes) {
  State& s = *state_;
  while (!bytes.empty()) {
    while (s.current < s.sizes.size() && s.filled == s.sizes[s.current]) ++s.current, s.filled = 0;
    if (s.current == s.sizes.size()) return InvalidArgument(s.path + ": more tensor bytes than the tensors declared");
    const uint64_t n = std::min<uint64_t>(bytes.size(), s.sizes[s.current] - s.filled);
    EDGERT_RETURN_IF_ERROR(s.out.WriteAt(s.data_start + s.offsets[s.current] + s.filled, bytes.first(n)));
    s.filled += n;
    bytes = bytes.subspan(n);
  }
  return OkStatus();
}

Status GgufWriter::Finish() {
  State& s = *state_;
  while (s.current < s.sizes.size() && s.filled == s.sizes[s.current]) ++s.current, s.filled = 0;
  if (s.current != s.sizes.size()) {
    return Internal(s.path + ": tensor " + std::to_string(s.current) + " has " + std::to_string(s.filled) + " of its " +
                    std::to_string(s.sizes[s.current]) + " bytes");
  }
  // The data section ends padded like every tensor in it (llama.cpp's writer does the same).
  const uint64_t end = s.data_start + s.data_end;
  if (s.out.position() < end) EDGERT_RETURN_IF_ERROR(s.out.WriteZeros(end - s.out.position()));
  return s.out.Commit();
}

Status WriteGguf(const std::string& path, const std::vector<std::pair<std::string, GgufValue>>& metadata,
                 const std::vector<GgufOutTensor>& tensors) {
  for (const GgufOutTensor& t : tensors) {
    auto size = TensorBytes(t.dtype, t.shape);
    if (!size.ok()) return size.status().WithContext(path + ": tensor '" + t.name + "'");
    if (t.data.size() != *size) {
      return InvalidArgument(path + ": tensor '" + t.name + "': " + std::to_string(t.data.size()) +
                             " bytes given, its dtype and shape need " + std::to_string(*size));
    }
  }
  EDGERT_ASSIGN_OR_RETURN(GgufWriter writer, GgufWriter::Create(path, metadata, tensors));
  for (const GgufOutTensor& t : tensors) EDGERT_RETURN_IF_ERROR(writer.Append(t.data));
  return writer.Finish();
}

}  // namespace edgert
