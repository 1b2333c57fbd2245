// kernels/lowrank against a double loop, for every table this CPU runs:
// ranks below, at and above the 8-lane vector (masked tails), row counts
// around the 12-row and 16-row blocks, widths around the 16-column strip, and
// rows of x and y wider than n (ldx > n).
#include "kernels/lowrank/lowrank.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "tests/kernels/random_input.h"

namespace edgert::kernels {
namespace {

double MaxRelative(const std::vector<float>& got, const std::vector<double>& want) {
  double err = 0, mag = 1e-30;
  for (size_t i = 0; i < want.size(); ++i) {
    err = std::max(err, std::abs(got[i] - want[i]));
    mag = std::max(mag, std::abs(want[i]));
  }
  return err / mag;
}

TEST(LowRank, ProjectAndOuterMatchDoubleLoops) {
  for (const Isa isa : AllIsas()) {
    const LowRankUkernels* lr = LowRankUkernelsFor(isa);
    if (lr == nullptr) continue;
    for (size_t r : {1, 5, 8, 12, 16}) {
      for (size_t m : {1, 5, 13, 40}) {
        for (size_t n : {3, 17, 64, 100}) {
          SCOPED_TRACE(std::string(lr->isa) + " r " + std::to_string(r) + " m " + std::to_string(m) + " n " +
                       std::to_string(n));
          const size_t ldx = n + 3;
          const std::vector<float> x = Random(m * ldx, 1), w = Random(n * r, 2), u = Random(m * r, 3);
          const std::vector<float> g0 = Random(n * r, 4);
          std::vector<double> want_u(m * r), want_g(n * r);
          for (size_t i = 0; i < m; ++i) {
            for (size_t c = 0; c < r; ++c) {
              for (size_t k = 0; k < n; ++k) want_u[i * r + c] += double{x[i * ldx + k]} * w[k * r + c];
            }
          }
          const float scale = 0.5f;
          for (size_t k = 0; k < n; ++k) {
            for (size_t c = 0; c < r; ++c) {
              double acc = 0;
              for (size_t i = 0; i < m; ++i) acc += double{x[i * ldx + k]} * u[i * r + c];
              want_g[k * r + c] = g0[k * r + c] + scale * acc;
            }
          }
          std::vector<float> got_u(m * r, NAN), got_g = g0;
          lr->project(x.data(), ldx, m, n, w.data(), r, got_u.data());
          lr->outer(x.data(), ldx, m, n, u.data(), r, scale, got_g.data());
          EXPECT_LT(MaxRelative(got_u, want_u), 1e-5);
          EXPECT_LT(MaxRelative(got_g, want_g), 1e-5);
          std::vector<float> both_u(m * r, NAN), both_g = g0;
          lr->project_outer(x.data(), ldx, m, n, w.data(), u.data(), r, scale, both_u.data(), both_g.data());
          EXPECT_LT(MaxRelative(both_u, want_u), 1e-5);
          EXPECT_LT(MaxRelative(both_g, want_g), 1e-5);
          // The graph splits project_outer into project (rows) and project_outer
          // without v (columns): the same bits as the one call.
          EXPECT_EQ(both_u, got_u);
          std::vector<float> only_g = g0;
          const size_t half = n / 2;
          lr->project_outer(x.data(), ldx, m, half, nullptr, u.data(), r, scale, nullptr, only_g.data());
          lr->project_outer(x.data() + half, ldx, m, n - half, nullptr, u.data(), r, scale, nullptr,
                            only_g.data() + half * r);
          EXPECT_EQ(only_g, both_g);
          // expand: y[m][n] (rows ldx apart; the gap between rows must stay as it was) += scale·u·wᵀ-shaped [r][n].
          const std::vector<float> wt = Random(r * n, 5);
          std::vector<double> want_y(m * ldx);
          for (size_t i = 0; i < m * ldx; ++i) want_y[i] = x[i];
          for (size_t i = 0; i < m; ++i) {
            for (size_t k = 0; k < n; ++k) {
              for (size_t c = 0; c < r; ++c) want_y[i * ldx + k] += scale * double{u[i * r + c]} * wt[c * n + k];
            }
          }
          std::vector<float> got_y = x;
          lr->expand(u.data(), m, r, wt.data(), n, scale, got_y.data(), ldx);
          EXPECT_LT(MaxRelative(got_y, want_y), 1e-5);
        }
      }
    }
  }
}

}  // namespace
}  // namespace edgert::kernels
