// formats/npy/npy.cc: .npy header writing and parsing.
#include "formats/npy/npy.h"

#include <cstring>
#include <fstream>
#include <iterator>

#include "ports/output_file.h"

namespace edgert {
namespace {

constexpr char kMagic[] = "\x93NUMPY";

std::string Header(const char* descr, std::span<const int64_t> shape) {
  std::string dict = std::string("{'descr': '") + descr + "', 'fortran_order': False, 'shape': (";
  for (size_t i = 0; i < shape.size(); ++i) dict += std::to_string(shape[i]) + (shape.size() == 1 || i + 1 < shape.size() ? ", " : "");
  dict += "), }";
  // magic(6) + version(2) + len(2) + dict + padding + '\n', total a multiple of 64.
  const size_t unpadded = 10 + dict.size() + 1;
  dict.append((64 - unpadded % 64) % 64, ' ');
  dict += '\n';
  std::string h(kMagic, 6);
  h += '\x01';
  h += '\x00';
  h += static_cast<char>(dict.size() & 0xff);
  h += static_cast<char>((dict.size() >> 8) & 0xff);
  return h + dict;
}

template <typename T>
Result<NpyArray<T>> Read(const std::string& path, const char* descr) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return IoError(path + ": cannot open");
  const std::string bytes((std::istreambuf_iterator<char>(in)), {});
  if (bytes.size() < 10 || bytes.compare(0, 6, kMagic, 6) != 0) return CorruptFile(path + ": not a .npy file");
  if (bytes[6] != 1) return Unsupported(path + ": .npy version " + std::to_string(bytes[6]) + " (expected 1)");
  const size_t hlen = static_cast<uint8_t>(bytes[8]) | (static_cast<size_t>(static_cast<uint8_t>(bytes[9])) << 8);
  if (10 + hlen > bytes.size()) return CorruptFile(path + ": header runs past the end of the file");
  const std::string dict = bytes.substr(10, hlen);
  if (dict.find(std::string("'descr': '") + descr + "'") == std::string::npos) {
    return Unsupported(path + ": expected dtype " + descr + " in header " + dict);
  }
  if (dict.find("'fortran_order': False") == std::string::npos) return Unsupported(path + ": Fortran order");
  const size_t open = dict.find("'shape': (");
  const size_t close = dict.find(')', open);
  if (open == std::string::npos || close == std::string::npos) return CorruptFile(path + ": no shape in header");
  NpyArray<T> a;
  uint64_t count = 1;
  for (size_t p = open + 10; p < close;) {
    while (p < close && (dict[p] == ' ' || dict[p] == ',')) ++p;
    if (p >= close) break;
    size_t used = 0;
    const int64_t d = std::stoll(dict.substr(p, close - p), &used);
    if (d < 0 || used == 0) return CorruptFile(path + ": bad shape in header");
    a.shape.push_back(d);
    count *= static_cast<uint64_t>(d);
    p += used;
  }
  const size_t data_start = 10 + hlen;
  if (bytes.size() - data_start != count * sizeof(T)) {
    return CorruptFile(path + ": shape needs " + std::to_string(count * sizeof(T)) + " bytes of data, file has " +
                       std::to_string(bytes.size() - data_start));
  }
  a.data.resize(count);
  std::memcpy(a.data.data(), bytes.data() + data_start, count * sizeof(T));
  return a;
}

}  // namespace

Status WriteNpyF32(const std::string& path, std::span<const float> data, std::span<const int64_t> shape) {
  EDGERT_ASSIGN_OR_RETURN(ports::OutputFile out, ports::OutputFile::Create(path));
  const std::string h = Header("<f4", shape);
  EDGERT_RETURN_IF_ERROR(out.Write(std::as_bytes(std::span(h.data(), h.size()))));
  EDGERT_RETURN_IF_ERROR(out.Write(std::as_bytes(data)));
  return out.Commit();
}

Result<NpyArray<float>> ReadNpyF32(const std::string& path) { return Read<float>(path, "<f4"); }
Result<NpyArray<int32_t>> ReadNpyI32(const std::string& path) { return Read<int32_t>(path, "<i4"); }

}  // namespace edgert
