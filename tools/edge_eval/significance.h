// tools/edge_eval/significance.h: the statistics edge-eval reports.
// A valid rate's confidence interval, and base vs tuned on the same prompts:
// McNemar on the discordant pairs (exact binomial when few), and the
// two-proportion z-test the table shows.
#pragma once

#include <cstddef>

namespace edgert::eval {

struct Interval {
  double low = 0, high = 0;
};

// Wilson score interval for `successes` of `total` at z (1.96: 95%). Unlike the
// normal approximation it stays inside [0, 1] at 0% and 100%, which is where
// grammar-constrained runs land.
Interval WilsonInterval(size_t successes, size_t total, double z = 1.96);

struct PairedTest {
  size_t only_base = 0;   // b: valid with base, invalid tuned
  size_t only_tuned = 0;  // c: invalid with base, valid tuned
  bool exact = false;     // exact binomial (b + c < 25) or chi-square with continuity correction
  double statistic = 0;   // chi-square when !exact, else 0
  double p_value = 1;     // two-sided
};

// McNemar's test on the paired outcomes' discordant counts.
PairedTest McNemar(size_t only_base, size_t only_tuned);

struct ZTest {
  double z = 0;
  double p_value = 1;  // two-sided
};

// Two-proportion z-test (pooled variance): k1/n1 against k2/n2.
ZTest TwoProportionZ(size_t k1, size_t n1, size_t k2, size_t n2);

}  // namespace edgert::eval
