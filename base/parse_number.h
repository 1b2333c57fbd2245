// base/parse_number.h: decimal numbers in text, read the same on every
// platform and in every locale.
//
// std::from_chars for floating point is missing from Apple's libc++ (and from
// LLVM's libc++ before 16), and strtod reads the decimal separator of the
// host application's locale ("1,5" in de_DE). This reads "[+-]digits[.digits]
// [e[+-]digits]" (no hex, inf or nan) and rounds as the C locale's strtod does.
#pragma once

#include <optional>
#include <string_view>

namespace edgert {

// The whole of `text` as a finite double, or nullopt.
std::optional<double> ParseDecimal(std::string_view text);

}  // namespace edgert
