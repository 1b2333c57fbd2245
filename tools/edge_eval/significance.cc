#include "tools/edge_eval/significance.h"

#include <algorithm>
#include <cmath>

namespace edgert::eval {
namespace {

// Two-sided p for a standard normal deviate.
double NormalTwoSided(double z) { return std::erfc(std::fabs(z) / std::sqrt(2.0)); }

// log C(n, k) through lgamma, so n in the thousands does not overflow.
double LogChoose(size_t n, size_t k) {
  const double dn = static_cast<double>(n), dk = static_cast<double>(k);
  return std::lgamma(dn + 1) - std::lgamma(dk + 1) - std::lgamma(dn - dk + 1);
}

}  // namespace

Interval WilsonInterval(size_t successes, size_t total, double z) {
  if (total == 0) return {0, 1};
  const double n = static_cast<double>(total);
  const double p = static_cast<double>(successes) / n;
  const double z2 = z * z;
  const double centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const double half = z * std::sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n);
  return {std::max(0.0, centre - half), std::min(1.0, centre + half)};
}

PairedTest McNemar(size_t only_base, size_t only_tuned) {
  PairedTest t;
  t.only_base = only_base;
  t.only_tuned = only_tuned;
  const size_t n = only_base + only_tuned;
  if (n == 0) return t;
  if (n < 25) {
    // Exact: under H0 each discordant pair is a fair coin; p = 2 P(X <= min(b, c)).
    t.exact = true;
    const size_t k = std::min(only_base, only_tuned);
    double tail = 0;
    for (size_t i = 0; i <= k; ++i) tail += std::exp(LogChoose(n, i) - static_cast<double>(n) * std::log(2.0));
    t.p_value = std::min(1.0, 2 * tail);
    return t;
  }
  const double diff = std::fabs(static_cast<double>(only_base) - static_cast<double>(only_tuned)) - 1;
  t.statistic = diff * diff / static_cast<double>(n);
  t.p_value = NormalTwoSided(std::sqrt(t.statistic));  // chi-square(1) tail = normal two-sided tail of its root
  return t;
}

ZTest TwoProportionZ(size_t k1, size_t n1, size_t k2, size_t n2) {
  ZTest t;
  if (n1 == 0 || n2 == 0) return t;
  const double a = static_cast<double>(n1), b = static_cast<double>(n2);
  const double p1 = static_cast<double>(k1) / a, p2 = static_cast<double>(k2) / b;
  const double pooled = static_cast<double>(k1 + k2) / (a + b);
  const double se = std::sqrt(pooled * (1 - pooled) * (1 / a + 1 / b));
  if (se == 0) return t;  // both 0% or both 100%: no difference to test
  t.z = (p2 - p1) / se;
  t.p_value = NormalTwoSided(t.z);
  return t;
}

}  // namespace edgert::eval
