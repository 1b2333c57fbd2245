// runtime/memory/arena.cc: bump allocation over one anonymous mapping.
#include "runtime/memory/arena.h"

#include <cctype>
#include <cmath>
#include <optional>

#include "base/parse_number.h"

namespace edgert {

Result<Arena> Arena::Create(uint64_t capacity_bytes) {
  Arena a;
  EDGERT_ASSIGN_OR_RETURN(a.memory_, ports::AnonymousMemory::Allocate(capacity_bytes));
  return a;
}

Result<std::span<std::byte>> Arena::AllocateBytes(uint64_t bytes, std::string_view what) {
  const uint64_t start = (used_ + kAlignment - 1) / kAlignment * kAlignment;
  if (start > memory_.size() || bytes > memory_.size() - start) {
    return ResourceExhausted("memory arena: buffer '" + std::string(what) + "' needs " + std::to_string(bytes) +
                             " bytes but only " + std::to_string(memory_.size() - std::min(start, memory_.size())) +
                             " of " + std::to_string(memory_.size()) + " remain (the memory plan is wrong)");
  }
  used_ = start + bytes;
  high_water_ = std::max(high_water_, used_);
  return std::span<std::byte>(memory_.data() + start, bytes);
}

Result<uint64_t> ParseByteSize(std::string_view text) {
  const std::string original(text);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
  if (!text.empty() && (text.back() == 'B' || text.back() == 'b')) text.remove_suffix(1);
  double scale = 1;
  if (!text.empty()) {
    switch (std::toupper(static_cast<unsigned char>(text.back()))) {
      case 'K': scale = 1024.0; break;
      case 'M': scale = 1024.0 * 1024; break;
      case 'G': scale = 1024.0 * 1024 * 1024; break;
      case 'T': scale = 1024.0 * 1024 * 1024 * 1024; break;
      default: break;
    }
    if (scale != 1) text.remove_suffix(1);
  }
  const std::optional<double> parsed = ParseDecimal(text);
  const double value = parsed.value_or(-1.0);
  if (!parsed || !(value >= 0) || !std::isfinite(value * scale) || value * scale >= 1.8e19) {
    return InvalidArgument("size '" + original + "': expected a number with an optional K, M, G or T suffix (e.g. 12G)");
  }
  return static_cast<uint64_t>(std::llround(value * scale));
}

}  // namespace edgert
