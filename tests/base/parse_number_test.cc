// ParseDecimal: the grammar it accepts, C-locale rounding, and no dependence
// on the process's locale.
#include "base/parse_number.h"

#include <gtest/gtest.h>

#include <clocale>
#include <cstdlib>

namespace edgert {
namespace {

TEST(ParseDecimal, ReadsPlainDecimals) {
  EXPECT_EQ(ParseDecimal("12"), 12.0);
  EXPECT_EQ(ParseDecimal("1.5"), 1.5);
  EXPECT_EQ(ParseDecimal(".5"), 0.5);
  EXPECT_EQ(ParseDecimal("5."), 5.0);
  EXPECT_EQ(ParseDecimal("-0.25"), -0.25);
  EXPECT_EQ(ParseDecimal("+3e2"), 300.0);
  EXPECT_EQ(ParseDecimal("2.5E-1"), 0.25);
  EXPECT_EQ(ParseDecimal("0.1"), std::strtod("0.1", nullptr));  // the nearest double, as strtod rounds
}

TEST(ParseDecimal, RefusesWhatIsNotADecimal) {
  for (const char* bad : {"", " 1", "1 ", "1,5", ".", "-", "e5", "1e", "1e+", "0x10", "inf", "nan", "1.2.3", "1e999"}) {
    EXPECT_FALSE(ParseDecimal(bad).has_value()) << "'" << bad << "'";
  }
}

TEST(ParseDecimal, IgnoresTheProcessLocale) {
  // A host app may set a locale whose decimal separator is a comma.
  if (std::setlocale(LC_ALL, "de_DE.UTF-8") == nullptr) GTEST_SKIP() << "no de_DE.UTF-8 locale on this machine";
  EXPECT_EQ(ParseDecimal("1.5"), 1.5);
  EXPECT_FALSE(ParseDecimal("1,5").has_value());
  std::setlocale(LC_ALL, "C");
}

}  // namespace
}  // namespace edgert
