// grad::LoraForward / LoraBackward split over a pool: the same bits as one
// kernel call per product on the calling thread (the branch before it was
// split), for any thread count, for a group sharing x and dx and for one
// branch; shapes large enough that rows and features both split into blocks.
#include <gtest/gtest.h>
#include <pthreadpool.h>

#include <cstring>
#include <random>
#include <vector>

#include "kernels/lowrank/lowrank.h"
#include "runtime/train/backward_ops.h"

namespace edgert::grad {
namespace {

constexpr int32_t kRank = 8;
constexpr float kScale = 0.75f;

std::vector<float> Random(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> d(0.0f, 1.0f);
  std::vector<float> v(n);
  for (float& x : v) x = d(rng);
  return v;
}

LoraPair Pair(int64_t in, int64_t out, uint32_t seed) {
  LoraPair p;
  p.in = in;
  p.out = out;
  p.a = Random(static_cast<size_t>(kRank * in), seed);
  p.b = Random(static_cast<size_t>(out * kRank), seed + 1);
  return p;
}

struct Outputs {
  std::vector<std::vector<float>> ax, y, ga, gb;
  std::vector<float> dx;
};

// Inputs shared by both ways of computing.
struct Case {
  int64_t m, in;
  std::vector<LoraPair> pairs;
  std::vector<float> x, dx0;
  std::vector<std::vector<float>> y0, dy;
};

Case MakeCase(int64_t m, int64_t in, std::vector<int64_t> outs) {
  Case c{m, in, {}, Random(static_cast<size_t>(m * in), 1), Random(static_cast<size_t>(m * in), 2), {}, {}};
  for (size_t b = 0; b < outs.size(); ++b) {
    const auto seed = static_cast<uint32_t>(10 * b + 10);
    c.pairs.push_back(Pair(in, outs[b], seed));
    c.y0.push_back(Random(static_cast<size_t>(m * outs[b]), seed + 2));
    c.dy.push_back(Random(static_cast<size_t>(m * outs[b]), seed + 3));
  }
  return c;
}

// The products one after another, each over the whole tensor on this thread.
Outputs Whole(const Case& c) {
  const auto& lr = kernels::GetLowRankUkernels();
  const auto m = static_cast<size_t>(c.m), in = static_cast<size_t>(c.in), r = static_cast<size_t>(kRank);
  Outputs o;
  o.dx = c.dx0;
  for (size_t b = 0; b < c.pairs.size(); ++b) {
    const LoraPair& p = c.pairs[b];
    const auto out = static_cast<size_t>(p.out);
    std::vector<float> at(in * r), bt(r * out), ax(m * r), dax(m * r), gat(in * r, 0.0f);
    for (size_t i = 0; i < r; ++i) {
      for (size_t k = 0; k < in; ++k) at[k * r + i] = p.a[i * in + k];
      for (size_t k = 0; k < out; ++k) bt[i * out + k] = p.b[k * r + i];
    }
    lr.project(c.x.data(), in, m, in, at.data(), r, ax.data());
    std::vector<float> y = c.y0[b];
    lr.expand(ax.data(), m, r, bt.data(), out, kScale, y.data(), out);
    std::vector<float> ga(in * r, 0.0f), gb(out * r, 0.0f);
    lr.project_outer(c.dy[b].data(), out, m, out, p.b.data(), ax.data(), r, kScale, dax.data(), gb.data());
    for (float& v : dax) v *= kScale;
    lr.outer(c.x.data(), in, m, in, dax.data(), r, 1.0f, gat.data());
    for (size_t i = 0; i < r; ++i) {
      for (size_t k = 0; k < in; ++k) ga[i * in + k] += gat[k * r + i];
    }
    o.ax.push_back(ax);
    o.y.push_back(y);
    o.ga.push_back(ga);
    o.gb.push_back(gb);
  }
  // dx += dax·A per branch, in branch order, as a group adds them.
  for (size_t b = 0; b < c.pairs.size(); ++b) {
    const LoraPair& p = c.pairs[b];
    std::vector<float> dax(m * r), gb(static_cast<size_t>(p.out) * r, 0.0f);
    lr.project_outer(c.dy[b].data(), static_cast<size_t>(p.out), m, static_cast<size_t>(p.out), p.b.data(),
                     o.ax[b].data(), r, kScale, dax.data(), gb.data());
    for (float& v : dax) v *= kScale;
    lr.expand(dax.data(), m, r, p.a.data(), in, 1.0f, o.dx.data(), in);
  }
  return o;
}

Outputs Split(const Case& c, size_t threads, bool grouped) {
  pthreadpool_t pool = threads > 1 ? pthreadpool_create(threads) : nullptr;
  const int64_t widest = std::max<int64_t>(c.in, 2000);
  std::vector<float> scratch(static_cast<size_t>(LoraScratchFloats(c.m, kRank, widest)), NAN);
  Outputs o;
  o.dx = c.dx0;
  std::vector<LoraPair> grads;
  for (const LoraPair& p : c.pairs) {
    o.ax.emplace_back(static_cast<size_t>(c.m * kRank), NAN);
    o.y.push_back(c.y0[o.y.size()]);
    grads.push_back(p);
    std::fill(grads.back().a.begin(), grads.back().a.end(), 0.0f);
    std::fill(grads.back().b.begin(), grads.back().b.end(), 0.0f);
  }
  std::vector<LoraBranch> branches;
  for (size_t b = 0; b < c.pairs.size(); ++b) {
    branches.push_back({&c.pairs[b], o.ax[b].data(), o.y[b].data(), c.dy[b].data(), &grads[b]});
  }
  if (grouped) {
    LoraForward(branches, kRank, kScale, c.x.data(), c.m, scratch.data(), pool);
    LoraBackward(branches, kRank, kScale, c.x.data(), c.m, o.dx.data(), scratch.data(), pool);
  } else {
    for (const LoraBranch& b : branches) LoraForward(std::span(&b, 1), kRank, kScale, c.x.data(), c.m, scratch.data(), pool);
    for (const LoraBranch& b : branches) {
      LoraBackward(std::span(&b, 1), kRank, kScale, c.x.data(), c.m, o.dx.data(), scratch.data(), pool);
    }
  }
  for (const LoraPair& g : grads) {
    o.ga.push_back(g.a);
    o.gb.push_back(g.b);
  }
  if (pool != nullptr) pthreadpool_destroy(pool);
  return o;
}

void ExpectSameBits(const std::vector<float>& a, const std::vector<float>& b, const char* what) {
  ASSERT_EQ(a.size(), b.size()) << what;
  EXPECT_EQ(0, std::memcmp(a.data(), b.data(), a.size() * sizeof(float))) << what;
}

TEST(LoraBranch, SplitOverThreadsGivesTheWholeProductsBits) {
  // gate/up-like (features split in blocks, a tail), k/v-like (narrow outs),
  // and a row count with a tail block.
  for (const Case& c : {MakeCase(203, 96, {1100, 1100}), MakeCase(150, 300, {300, 40, 40}), MakeCase(7, 50, {1900})}) {
    const Outputs want = Whole(c);
    for (size_t threads : {1, 2, 3}) {
      for (bool grouped : {true, false}) {
        SCOPED_TRACE(std::to_string(c.m) + " rows, " + std::to_string(threads) + " threads" +
                     (grouped ? ", grouped" : ""));
        const Outputs got = Split(c, threads, grouped);
        for (size_t b = 0; b < c.pairs.size(); ++b) {
          ExpectSameBits(got.ax[b], want.ax[b], "ax");
          ExpectSameBits(got.y[b], want.y[b], "y");
          ExpectSameBits(got.ga[b], want.ga[b], "dA");
          ExpectSameBits(got.gb[b], want.gb[b], "dB");
        }
        ExpectSameBits(got.dx, want.dx, "dx");
      }
    }
  }
}

}  // namespace
}  // namespace edgert::grad
