// tools/common/cli.cc: shared CLI helpers.
#include "tools/common/cli.h"

#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <system_error>

namespace edgert::cli {

std::string HumanBytes(uint64_t bytes) {
  static constexpr std::array<const char*, 5> kUnits = {"B", "KB", "MB", "GB", "TB"};
  double v = static_cast<double>(bytes);
  size_t u = 0;
  while (v >= 1000.0 && u + 1 < kUnits.size()) {
    v /= 1000.0;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof(buf), u == 0 ? "%.0f %s" : "%.2f %s", v, kUnits[u]);
  return buf;
}

Result<uint64_t> ParseBytes(const std::string& text) {
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  std::string unit(end);
  if (end == text.c_str() || !(v > 0) || !std::isfinite(v)) {
    return InvalidArgument("size '" + text + "': expected a number with an optional unit (800MB, 1.5GB, 2GiB)");
  }
  if (!unit.empty() && (unit.back() == 'B' || unit.back() == 'b')) unit.pop_back();
  static constexpr std::array<std::pair<const char*, double>, 9> kUnits = {{{"", 1.0},
                                                                           {"K", 1e3},
                                                                           {"M", 1e6},
                                                                           {"G", 1e9},
                                                                           {"T", 1e12},
                                                                           {"Ki", 1024.0},
                                                                           {"Mi", 1048576.0},
                                                                           {"Gi", 1073741824.0},
                                                                           {"Ti", 1099511627776.0}}};
  for (const auto& [name, factor] : kUnits) {
    if (unit != name) continue;
    // A double at or above 2^64 has no uint64_t value (the cast is undefined:
    // 1e30 became 0, reported as "--budget 0").
    const double bytes = v * factor;
    if (!(bytes < 18446744073709551616.0)) {
      return InvalidArgument("size '" + text + "': too large (the limit is 2^64 bytes, about 18 EB)");
    }
    if (bytes < 1.0) return InvalidArgument("size '" + text + "': less than one byte");
    return static_cast<uint64_t>(bytes);
  }
  return InvalidArgument("size '" + text + "': unknown unit (expected K, M, G, T, KiB, MiB, GiB, TiB)");
}

Status CheckOutputPath(const std::string& path, const char* flag, Existing existing,
                       const std::vector<std::string>& inputs) {
  namespace fs = std::filesystem;
  if (path.empty()) return OkStatus();
  const std::string what = std::string(flag) + " " + path;
  const fs::path parent = fs::path(path).parent_path();
  std::error_code ec;
  if (!parent.empty() && !fs::is_directory(parent, ec)) {
    return InvalidArgument(what + ": folder " + parent.string() + " does not exist");
  }
  if (fs::is_directory(path, ec)) return InvalidArgument(what + ": is a folder");
  // A name the OS refuses (too long, ...) would only fail when the file is
  // written, after the work.
  const fs::file_status status = fs::symlink_status(path, ec);
  if (ec && ec != std::errc::no_such_file_or_directory) return InvalidArgument(what + ": " + ec.message());
  // The write renames a new regular file into place: over /dev/null (as root)
  // or a FIFO that would replace the device itself, even with --force.
  if (const fs::file_status target = fs::status(path, ec); fs::exists(target) && !fs::is_regular_file(target)) {
    return InvalidArgument(what + ": not a regular file (a device, FIFO or socket); it would be replaced by one");
  }
  for (const std::string& input : inputs) {
    if (!input.empty() && fs::equivalent(path, input, ec) && !ec) {
      return InvalidArgument(what + ": is also an input (" + input + "); writing it would destroy that input");
    }
  }
  // symlink_status: a dangling link is still something --force would replace.
  if (existing == Existing::kRefuse && fs::exists(status)) {
    return InvalidArgument(what + ": exists (pass --force to replace it)");
  }
  return OkStatus();
}

Status CheckOutputFolder(const std::string& dir, const char* flag, Existing existing,
                         const std::vector<std::string>& files, const std::vector<std::string>& inputs) {
  namespace fs = std::filesystem;
  if (dir.empty()) return OkStatus();
  const std::string what = std::string(flag) + " " + dir;
  std::error_code ec;
  const fs::file_status status = fs::status(dir, ec);
  if (ec && ec != std::errc::no_such_file_or_directory) return InvalidArgument(what + ": " + ec.message());
  if (!fs::exists(status)) return OkStatus();
  if (!fs::is_directory(status)) return InvalidArgument(what + ": exists and is not a folder");
  for (const std::string& file : files) {
    EDGERT_RETURN_IF_ERROR(CheckOutputPath((fs::path(dir) / file).string(), flag, existing, inputs));
  }
  return OkStatus();
}

Result<AdapterSpec> ParseAdapterSpec(const std::string& spec) {
  if (const size_t colon = spec.rfind(':'); colon != std::string::npos) {
    const std::string tail = spec.substr(colon + 1);
    char* end = nullptr;
    const float v = std::strtof(tail.c_str(), &end);
    if (!tail.empty() && end == tail.c_str() + tail.size()) {
      // strtof takes "nan" and "inf" (and overflows to inf): a scale that is
      // not a finite number would turn every output into NaN.
      if (!std::isfinite(v)) return InvalidArgument("--lora " + spec + ": the scale must be a finite number");
      return AdapterSpec{spec.substr(0, colon), v};
    }
  }
  return AdapterSpec{spec, 1.0f};
}

}  // namespace edgert::cli
