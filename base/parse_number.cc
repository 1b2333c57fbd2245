// base/parse_number.cc
#include "base/parse_number.h"

#include <cmath>
#include <locale>
#include <sstream>
#include <string>

namespace edgert {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Length of the decimal number at the start of s (0: none), per the grammar above.
size_t DecimalLength(std::string_view s) {
  size_t i = 0, digits = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  for (; i < s.size() && IsDigit(s[i]); ++i) ++digits;
  if (i < s.size() && s[i] == '.') {
    for (++i; i < s.size() && IsDigit(s[i]); ++i) ++digits;
  }
  if (digits == 0) return 0;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    size_t j = i + 1, exp_digits = 0;
    if (j < s.size() && (s[j] == '+' || s[j] == '-')) ++j;
    for (; j < s.size() && IsDigit(s[j]); ++j) ++exp_digits;
    if (exp_digits == 0) return 0;
    i = j;
  }
  return i;
}

}  // namespace

std::optional<double> ParseDecimal(std::string_view text) {
  if (text.empty() || DecimalLength(text) != text.size()) return std::nullopt;
  std::istringstream in{std::string(text)};
  in.imbue(std::locale::classic());
  double value = 0;
  in >> value;
  if (in.fail() || !std::isfinite(value)) return std::nullopt;
  return value;
}

}  // namespace edgert
