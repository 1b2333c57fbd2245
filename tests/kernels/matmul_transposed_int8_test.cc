// The int8 path of dx += dy·W (kernels/matmul/matmul_transposed.h), both
// formats: the GGUF-block Wᵀ packer against QuantizeRowQ8_0Ref of the
// dequantized columns; the wide-block quantizer, packer and microkernel of
// every variant against the portable reference, bit for bit, and the
// reference's quantizer and packer against this file's own rounding; the
// product against a float64 sum over the same requantized operands (the
// plumbing), and against the exact f32 product within the quantization bound
// derived in kernels/README.md; every ISA; the same bits for any thread count
// and scratch slots; dy_stride and the precision switch; dy quantized ahead
// (in pieces of rows, multiplied by column chunks of W) against quantizing in
// the call.
#include <gtest/gtest.h>
#include <pthreadpool.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <utility>
#include <vector>

#include "base/quant_blocks.h"
#include "kernels/convert/fp16.h"
#include "kernels/convert/quantize.h"
#include "kernels/matmul/matmul.h"
#include "kernels/matmul/matmul_transposed.h"
#include "tests/kernels/random_input.h"

namespace edgert::kernels {
namespace {

size_t BlockBytes(DType t) { return t == DType::kQ8_0 ? sizeof(BlockQ8_0) : sizeof(BlockQ4_0); }

// W[n][k] quantized from `src` (n·k values); deq = what it decodes to.
std::vector<uint8_t> Quantize(DType type, const std::vector<float>& src, size_t n, size_t k, std::vector<float>& deq) {
  const size_t row = k / kQuantBlock * BlockBytes(type);
  std::vector<uint8_t> out(n * row);
  deq.resize(n * k);
  for (size_t r = 0; r < n; ++r) {
    if (type == DType::kQ8_0) {
      auto* b = reinterpret_cast<BlockQ8_0*>(out.data() + r * row);
      QuantizeRowQ8_0Ref(src.data() + r * k, b, k);
      DequantizeRowQ8_0(b, deq.data() + r * k, k);
    } else {
      auto* b = reinterpret_cast<BlockQ4_0*>(out.data() + r * row);
      QuantizeRowQ4_0Ref(src.data() + r * k, b, k);
      DequantizeRowQ4_0(b, deq.data() + r * k, k);
    }
  }
  return out;
}

// Columns [c0, c0 + cols) of deq[n][k] as Q8_0 rows of ceil(n/32) blocks (zero-padded).
// n Q8_0 rows of one block each for the packers' rounding check: row 0 sets
// every column's max to 254 (scale 2, 1/scale 0.5 exactly), the other rows
// hold odd integers, so x·id lands on k + 1/2, which rounds away from zero
// (roundf), not to even.
std::vector<uint8_t> HalvesWeights(size_t n) {
  std::vector<uint8_t> w(n * sizeof(BlockQ8_0));
  auto* b = reinterpret_cast<BlockQ8_0*>(w.data());
  b[0].d = F32ToF16(2.0f);
  for (size_t c = 0; c < 32; ++c) b[0].qs[c] = 127;
  for (size_t j = 1; j < n; ++j) {
    b[j].d = F32ToF16(1.0f);
    for (size_t c = 0; c < 32; ++c) b[j].qs[c] = static_cast<int8_t>(static_cast<int>((j * 7 + c * 13) % 61) * 2 - 61);
  }
  return w;
}

std::vector<BlockQ8_0> ReferencePack(const std::vector<float>& deq, size_t n, size_t k, size_t c0, size_t cols) {
  const size_t nb = (n + kQuantBlock - 1) / kQuantBlock;
  std::vector<BlockQ8_0> out(cols * nb);
  std::vector<float> col(nb * kQuantBlock, 0.0f);
  for (size_t c = 0; c < cols; ++c) {
    for (size_t j = 0; j < n; ++j) col[j] = deq[j * k + c0 + c];
    QuantizeRowQ8_0Ref(col.data(), out.data() + c * nb, nb * kQuantBlock);
  }
  return out;
}

bool SameBlocks(const std::vector<BlockQ8_0>& a, const std::vector<BlockQ8_0>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(BlockQ8_0)) == 0;
}

void CheckPack(PackTransposedQ8Fn pack, const char* name, DType type, const std::vector<float>& src, size_t n, size_t k) {
  std::vector<float> deq;
  const std::vector<uint8_t> w = Quantize(type, src, n, k, deq);
  const size_t nb = (n + kQuantBlock - 1) / kQuantBlock;
  for (size_t c0 = 0; c0 < k; c0 += 64) {
    const size_t cols = std::min<size_t>(64, k - c0);
    std::vector<BlockQ8_0> got(cols * nb);
    std::memset(got.data(), 0x5A, got.size() * sizeof(BlockQ8_0));
    pack(type, w.data(), k / kQuantBlock * BlockBytes(type), n, c0, cols, got.data(), nb);
    EXPECT_TRUE(SameBlocks(got, ReferencePack(deq, n, k, c0, cols)))
        << name << " " << DTypeName(type) << " n " << n << " k " << k << " c0 " << c0;
  }
}

TEST(PackTransposedQ8, EqualsQuantizeRowRefOfTheColumns) {
  // The reference packer, and every ISA's own (bit-equal: same roundings).
  std::vector<std::pair<PackTransposedQ8Fn, const char*>> packers = {{PackTransposedQ8Scalar, "scalar"}};
  for (Isa isa : AllIsas()) {
    if (const PackTransposedQ8Fn p = PackTransposedQ8For(isa); p != nullptr && p != PackTransposedQ8Scalar) {
      packers.emplace_back(p, IsaName(isa));
    }
  }
  for (const auto& [pack, name] : packers) {
    for (DType t : {DType::kQ8_0, DType::kQ4_0}) {
      for (size_t n : {1, 31, 32, 33, 100, 257}) CheckPack(pack, name, t, Random(n * 96, 3 + static_cast<uint32_t>(n)), n, 96);
      // A zero column block and rows of very different scales.
      std::vector<float> src = Random(70 * 64, 9);
      for (size_t j = 0; j < 70; ++j) {
        for (size_t c = 0; c < 64; ++c) src[j * 64 + c] *= c < 32 && j < 32 ? 0.0f : (j % 3 == 0 ? 1e-3f : 10.0f);
      }
      CheckPack(pack, name, t, src, 70, 64);
    }
    // Halves (HalvesWeights): round half away from zero.
    {
      const size_t n = 32, k = 32;
      const std::vector<uint8_t> w = HalvesWeights(n);
      const auto* b = reinterpret_cast<const BlockQ8_0*>(w.data());
      std::vector<float> deq(n * k);
      for (size_t j = 0; j < n; ++j) DequantizeRowQ8_0(b + j, deq.data() + j * k, k);
      std::vector<BlockQ8_0> got(k);
      pack(DType::kQ8_0, w.data(), sizeof(BlockQ8_0), n, 0, k, got.data(), 1);
      EXPECT_TRUE(SameBlocks(got, ReferencePack(deq, n, k, 0, k))) << name << " halves";
      EXPECT_EQ(got[0].qs[1], (b[1].qs[0] > 0 ? 1 : -1) * ((std::abs(b[1].qs[0]) + 1) / 2)) << name;
    }
  }
}

// The rounding both formats apply to a block of len values: d = max|x|/127,
// quants round-half-away(x·(1/d)); returns d (f32).
float QuantizeBlock(const float* x, size_t len, int8_t* q) {
  float amax = 0.0f;
  for (size_t j = 0; j < len; ++j) amax = std::max(amax, std::fabs(x[j]));
  const float d = amax / 127.0f, id = d != 0.0f ? 1.0f / d : 0.0f;
  for (size_t j = 0; j < len; ++j) q[j] = static_cast<int8_t>(std::lround(x[j] * id));
  return d;
}

// The wide format's variants: the portable reference and, where this CPU has
// it, AVX-512.
std::vector<const Int8WideUkernels*> WideVariants() {
  std::vector<const Int8WideUkernels*> v = {Int8WideUkernelsFor(Isa::kScalar)};
  if (const Int8WideUkernels* a = Int8WideUkernelsFor(Isa::kAvx512Vnni); a != nullptr) v.push_back(a);
  return v;
}

TEST(Int8Wide, QuantizerRoundsEachBlockOfDy) {
  for (const Int8WideUkernels* uk : WideVariants()) {
    for (size_t n : {1, 100, 128, 129, 300, 896}) {
      std::vector<float> x = Random(n, 50 + static_cast<uint32_t>(n), 1e-3f);
      if (n > 200) {  // a zero block and a block of tiny values
        std::fill_n(x.begin(), 128, 0.0f);
        for (size_t j = 128; j < 256; ++j) x[j] *= 1e-6f;
      }
      const size_t nb = (n + kInt8Block - 1) / kInt8Block;
      std::vector<int8_t> qs(nb * kInt8Block, 99);
      std::vector<float> d(nb);
      std::vector<int32_t> corr(nb);
      uk->quantize(x.data(), n, qs.data(), d.data(), corr.data());
      std::vector<float> padded(nb * kInt8Block, 0.0f);
      std::copy(x.begin(), x.end(), padded.begin());
      for (size_t b = 0; b < nb; ++b) {
        int8_t want[kInt8Block];
        EXPECT_EQ(d[b], QuantizeBlock(padded.data() + b * kInt8Block, kInt8Block, want)) << uk->isa << " n " << n;
        int32_t sum = 0;
        for (size_t j = 0; j < kInt8Block; ++j) {
          ASSERT_EQ(qs[b * kInt8Block + j], want[j]) << uk->isa << " n " << n << " at " << b * kInt8Block + j;
          sum += want[j];
        }
        EXPECT_EQ(corr[b], -128 * sum) << uk->isa;
      }
    }
  }
}

// Unit (t, b) of a packed panel against QuantizeBlock of the dequantized
// column blocks.
void CheckWidePack(const Int8WideUkernels& uk, DType type, const std::vector<float>& src, size_t n, size_t k) {
  std::vector<float> deq;
  const std::vector<uint8_t> w = Quantize(type, src, n, k, deq);
  const size_t nb = (n + kInt8Block - 1) / kInt8Block;
  for (size_t c0 = 0; c0 < k; c0 += 64) {
    const size_t cols = std::min<size_t>(64, k - c0), tiles = cols / kInt8Tile;
    std::vector<Int8WideUnit> got(tiles * nb);
    std::memset(static_cast<void*>(got.data()), 0x5A, got.size() * sizeof(Int8WideUnit));
    uk.pack(type, w.data(), k / kQuantBlock * BlockBytes(type), n, c0, cols, got.data());
    for (size_t c = 0; c < cols; ++c) {
      std::vector<float> col(nb * kInt8Block, 0.0f);
      for (size_t j = 0; j < n; ++j) col[j] = deq[j * k + c0 + c];
      for (size_t b = 0; b < nb; ++b) {
        int8_t want[kInt8Block];
        const float d = QuantizeBlock(col.data() + b * kInt8Block, kInt8Block, want);
        const Int8WideUnit& u = got[c / kInt8Tile * nb + b];
        ASSERT_EQ(u.d[c % kInt8Tile], d) << uk.isa << " " << DTypeName(type) << " n " << n << " column " << c0 + c;
        for (size_t r = 0; r < kInt8Block; ++r) {
          const int q = static_cast<int>((u.q[r / 4][c % kInt8Tile] >> (8 * (r % 4))) & 0xFF) - 128;
          ASSERT_EQ(q, want[r]) << uk.isa << " " << DTypeName(type) << " n " << n << " column " << c0 + c << " row "
                                << b * kInt8Block + r;
        }
      }
    }
  }
}

TEST(Int8Wide, PackerRoundsEachColumnBlockOfW) {
  for (const Int8WideUkernels* uk : WideVariants()) {
    for (DType t : {DType::kQ8_0, DType::kQ4_0}) {
      for (size_t n : {1, 31, 128, 129, 300}) CheckWidePack(*uk, t, Random(n * 96, 3 + static_cast<uint32_t>(n)), n, 96);
      // A zero column block and rows of very different scales.
      std::vector<float> src = Random(170 * 64, 9);
      for (size_t j = 0; j < 170; ++j) {
        for (size_t c = 0; c < 64; ++c) src[j * 64 + c] *= c < 32 && j < 128 ? 0.0f : (j % 3 == 0 ? 1e-3f : 10.0f);
      }
      CheckWidePack(*uk, t, src, 170, 64);
    }
    // Halves (HalvesWeights): round half away from zero.
    const size_t n = 40, k = 32;
    const std::vector<uint8_t> w = HalvesWeights(n);
    const auto* b = reinterpret_cast<const BlockQ8_0*>(w.data());
    Int8WideUnit u;
    uk->pack(DType::kQ8_0, w.data(), sizeof(BlockQ8_0), n, 0, k, &u);
    EXPECT_EQ(u.d[0], 2.0f) << uk->isa;
    const int q = static_cast<int>((u.q[0][0] >> 8) & 0xFF) - 128;  // row 1, column 0
    EXPECT_EQ(q, (b[1].qs[0] > 0 ? 1 : -1) * ((std::abs(b[1].qs[0]) + 1) / 2)) << uk->isa;
    EXPECT_EQ(u.q[n / 4][0], 0x80808080u) << uk->isa << ": rows past n are zero quants";
  }
}

struct Problem {
  DType type;
  size_t m, n, k, ld;  // ld: dy's row stride (>= n)
  std::vector<float> deq, dy, dx0;
  std::vector<uint8_t> w;
  MatmulWeights mw() const { return {type, w.data(), n, k, 0}; }
};

Problem Make(DType type, size_t m, size_t n, size_t k, size_t ld, uint32_t seed) {
  Problem p{type, m, n, k, ld, {}, {}, {}, {}};
  p.w = Quantize(type, Random(n * k, seed), n, k, p.deq);
  p.dy.assign(m * ld, 1e30f);  // columns past n must not be read
  const std::vector<float> dy = Random(m * n, seed + 1, 1e-3f);
  for (size_t i = 0; i < m; ++i) std::copy_n(dy.data() + i * n, n, p.dy.data() + i * ld);
  p.dx0 = Random(m * k, seed + 2, 1e-2f);
  return p;
}

std::vector<float> RunInt8(Isa isa, const Problem& p, pthreadpool_t pool, size_t slots) {
  std::vector<float> dx = p.dx0;
  std::vector<uint8_t> scratch(MatmulTransposedInt8ScratchBytes(p.m, p.n, slots));
  // An unaligned start: the operator aligns it within the size's slack.
  const Status st = MatmulTransposedInt8With(isa, p.mw(), p.dy.data(), p.m, dx.data(), scratch.data() + 1,
                                             scratch.size() - 1, pool, p.ld);
  EXPECT_TRUE(st.ok()) << st.message();
  return dx;
}

// The format an ISA's int8 path uses: block width, and whether Wᵀ's scale is
// stored in f16 (GGUF Q8_0 rows) or f32 (wide units).
struct Format {
  size_t block;
  bool f16_w_scale;
};
Format FormatOf(Isa isa) { return Int8WideUkernelsFor(isa) != nullptr ? Format{kInt8Block, false} : Format{kQuantBlock, true}; }

// float64 over the operands the int8 path multiplies in format f: dy quantized
// per f.block columns, Wᵀ requantized per f.block rows of each column (this
// file's QuantizeBlock; the packer tests tie the kernels' operands to it).
// mag gets Σ|terms| per element (dx0 and each product of two quants): the
// scale of f32 rounding errors.
std::vector<double> SameOperandsReference(const Problem& p, Format f, std::vector<double>& mag) {
  const size_t B = f.block, nb = (p.n + B - 1) / B, np = nb * B;
  std::vector<int8_t> q(p.m * np), wq(p.k * np);
  std::vector<float> d(p.m * nb), wd(p.k * nb), row(np);
  for (size_t i = 0; i < p.m; ++i) {
    std::fill(row.begin(), row.end(), 0.0f);
    std::copy_n(p.dy.data() + i * p.ld, p.n, row.data());
    for (size_t b = 0; b < nb; ++b) d[i * nb + b] = QuantizeBlock(row.data() + b * B, B, q.data() + i * np + b * B);
  }
  for (size_t c = 0; c < p.k; ++c) {
    std::fill(row.begin(), row.end(), 0.0f);
    for (size_t j = 0; j < p.n; ++j) row[j] = p.deq[j * p.k + c];
    for (size_t b = 0; b < nb; ++b) {
      const float dc = QuantizeBlock(row.data() + b * B, B, wq.data() + c * np + b * B);
      wd[c * nb + b] = f.f16_w_scale ? F16ToF32(F32ToF16(dc)) : dc;
    }
  }
  std::vector<double> out(p.dx0.begin(), p.dx0.end());
  mag.resize(out.size());
  for (size_t e = 0; e < out.size(); ++e) mag[e] = std::fabs(out[e]);
  for (size_t i = 0; i < p.m; ++i) {
    for (size_t c = 0; c < p.k; ++c) {
      double acc = 0;
      for (size_t b = 0; b < nb; ++b) {
        int32_t dot = 0, dot_abs = 0;
        for (size_t j = b * B; j < b * B + B; ++j) {
          dot += q[i * np + j] * wq[c * np + j];
          dot_abs += std::abs(q[i * np + j] * wq[c * np + j]);
        }
        const double scale = static_cast<double>(d[i * nb + b]) * wd[c * nb + b];
        acc += dot * scale;
        mag[i * p.k + c] += dot_abs * std::fabs(scale);
      }
      out[i * p.k + c] += acc;
    }
  }
  return out;
}

// f32 rounding of the block terms and sums errs by <= 2⁻²⁴ of Σ|terms| each:
// nb + 16 roundings in the GEMMs (the bound matmul_test holds every variant
// to), two more (chunk sums, dx).
double F32Tolerance(const Problem& p, Format f) { return 0x1p-24 * static_cast<double>((p.n + f.block - 1) / f.block + 18); }

void CheckProblem(const Problem& p) {
  SCOPED_TRACE(testing::Message() << DTypeName(p.type) << " m " << p.m << " n " << p.n << " k " << p.k << " ld "
                                  << p.ld);
  const Format wide = FormatOf(Isa::kScalar);
  ASSERT_EQ(wide.block, kInt8Block) << "the portable reference runs the wide format";
  const std::vector<float> got = RunInt8(Isa::kScalar, p, nullptr, 1);
  // 1. The plumbing: the same operands in float64. Integer block dots are exact.
  std::vector<double> mag;
  const std::vector<double> want = SameOperandsReference(p, wide, mag);
  const double tol = F32Tolerance(p, wide);
  for (size_t e = 0; e < got.size(); ++e) ASSERT_NEAR(got[e], want[e], tol * mag[e]) << "at " << e;
  // 2. Against the exact product dy·W (W as stored, dequantized), per element,
  // blocks of B = kInt8Block along n:
  //   |err| <= Σ_j  e_dy(i,j)·|W_jc| + |dy_ij|·e_w(j,c) + e_dy(i,j)·e_w(j,c)
  // e_dy = max|dy| of the B-column block / 254 (half a step of the f32 scale),
  // e_w  = max|W| of the B-row block of column c / 254 (likewise; the f32
  //        rounding of scale and reciprocal moves a quant by < 2⁻²² of max|W|:
  //        2⁻²⁰ covers it).
  const size_t B = wide.block, nb = (p.n + B - 1) / B;
  double err2 = 0, ref2 = 0;
  for (size_t i = 0; i < p.m; ++i) {
    for (size_t c = 0; c < p.k; ++c) {
      double exact = p.dx0[i * p.k + c], bound = 0, sum_abs = std::fabs(exact);
      for (size_t b = 0; b < nb; ++b) {
        const size_t j0 = b * B, j1 = std::min(p.n, j0 + B);
        double dmax = 0, wmax = 0;
        for (size_t j = j0; j < j1; ++j) {
          dmax = std::max(dmax, std::fabs(static_cast<double>(p.dy[i * p.ld + j])));
          wmax = std::max(wmax, std::fabs(static_cast<double>(p.deq[j * p.k + c])));
        }
        const double e_dy = dmax * (1.0 / 254 + 0x1p-20), e_w = wmax * (1.0 / 254 + 0x1p-20);
        for (size_t j = j0; j < j1; ++j) {
          const double dy = p.dy[i * p.ld + j], wv = p.deq[j * p.k + c];
          exact += dy * wv;
          sum_abs += std::fabs(dy * wv);
          bound += e_dy * std::fabs(wv) + std::fabs(dy) * e_w + e_dy * e_w;
        }
      }
      const double diff = got[i * p.k + c] - exact;
      ASSERT_LE(std::fabs(diff), bound + tol * sum_abs) << "at " << i << "," << c;
      err2 += diff * diff;
      ref2 += (exact - p.dx0[i * p.k + c]) * (exact - p.dx0[i * p.k + c]);
    }
  }
  // The worst case adds every rounding error with one sign; they are
  // independent, so the typical error is far below it: each operand's
  // rounding is ~s/(127·√12) rms of its values for normal data, s = a block's
  // expected max in σ (2.07 for 32 values, 2.6 for 128), both together
  // ~0.67% for 32-blocks, ~0.84% for the wide format's 128. Measured here
  // (relative Frobenius norm): 0.71-0.77% with 32-blocks, 0.81-1.03% with
  // 128 (the largest for the one-row problem: few samples). Bound 1.2%: the
  // 1% of 32-blocks scaled by the wider block's larger max.
  const double rel = std::sqrt(err2 / ref2);
  EXPECT_LT(rel, 0.012);
  // 3. Every ISA, each against the float64 sum over its own format's operands
  // (the GEMMs differ from it only in f32 rounding; the wide AVX-512 variant
  // equals the portable one bit for bit), and for each, the same bits at any
  // thread count and number of slots.
  pthreadpool_t pool = pthreadpool_create(3);
  for (Isa isa : AllIsas()) {
    if (!IsaSupported(isa)) continue;
    const Format f = FormatOf(isa);
    std::vector<double> fmag;
    const std::vector<double> fwant = f.block == wide.block ? want : SameOperandsReference(p, f, fmag);
    const std::vector<double>& fm = f.block == wide.block ? mag : fmag;
    const double ftol = F32Tolerance(p, f);
    const std::vector<float> one = RunInt8(isa, p, nullptr, 1);
    for (size_t e = 0; e < got.size(); ++e) ASSERT_NEAR(one[e], fwant[e], ftol * fm[e]) << IsaName(isa) << " at " << e;
    if (f.block == wide.block) {
      EXPECT_EQ(one, got) << IsaName(isa) << ": the wide format's variants agree bit for bit";
    }
    EXPECT_EQ(RunInt8(isa, p, pool, 3), one) << IsaName(isa) << " 3 threads";
    EXPECT_EQ(RunInt8(isa, p, pool, 2), one) << IsaName(isa) << " 3 threads, 2 slots";
  }
  pthreadpool_destroy(pool);
}

TEST(MatmulTransposedInt8, MatchesSameOperandsAndBoundsTheQuantizationError) {
  for (DType t : {DType::kQ8_0, DType::kQ4_0}) {
    CheckProblem(Make(t, 5, 128, 896, 128, 21));        // k_proj's shape, 5 rows
    CheckProblem(Make(t, 1, 300, 160, 310, 22));        // one row; n not a multiple of 32; a wider dy
    CheckProblem(Make(t, 37, 2100, 96, 2100, 23));      // three chunks of W rows, the last partial
    CheckProblem(Make(t, 300, 64, 224, 70, 24));        // two row blocks; k = 1.75 panels of 128 (7 blocks)
    CheckProblem(Make(t, 7, 200, 64, 200, 25));         // 4 + 3 rows of dy; a partial 128-block
    CheckProblem(Make(t, 18, 1100, 128, 1100, 26));     // 16 + 2 rows; two chunks, the last one short
  }
}

TEST(MatmulTransposedInt8, FiveHundredTwelveRows) {
  CheckProblem(Make(DType::kQ8_0, 512, 256, 128, 256, 31));
}

TEST(MatmulTransposedInt8, PrecisionSwitch) {
  const Problem p = Make(DType::kQ8_0, kInt8MinRows, 96, 64, 96, 41);
  std::vector<float> f32 = p.dx0;
  ASSERT_TRUE(MatmulTransposedAccumulate(p.mw(), p.dy.data(), p.m, f32.data(), nullptr, p.ld).ok());
  std::vector<uint8_t> scratch(MatmulTransposedInt8ScratchBytes(p.m, p.n, 1));
  auto run = [&](TransposedPrecision prec, size_t m, void* s, size_t bytes) {
    std::vector<float> dx = p.dx0;
    EXPECT_TRUE(MatmulTransposedAccumulate(p.mw(), p.dy.data(), m, dx.data(), nullptr, p.ld, prec, s, bytes).ok());
    return dx;
  };
  // kF32: the f32 path, no scratch.
  EXPECT_EQ(run(TransposedPrecision::kF32, p.m, nullptr, 0), f32);
  // kInt8 from kInt8MinRows rows: the int8 path.
  const std::vector<float> int8 = run(TransposedPrecision::kInt8, p.m, scratch.data(), scratch.size());
  EXPECT_NE(int8, f32);
  EXPECT_EQ(int8, RunInt8(BestIsa(), p, nullptr, 1));
  // Fewer rows: f32, scratch unused.
  std::vector<float> f32_small = p.dx0;
  ASSERT_TRUE(MatmulTransposedAccumulate(p.mw(), p.dy.data(), p.m - 1, f32_small.data(), nullptr, p.ld).ok());
  EXPECT_EQ(run(TransposedPrecision::kInt8, p.m - 1, nullptr, 0), f32_small);
  // Too little scratch (here less than dy's quants alone) is an error, not a crash.
  std::vector<float> dx = p.dx0;
  EXPECT_FALSE(MatmulTransposedAccumulate(p.mw(), p.dy.data(), p.m, dx.data(), nullptr, p.ld,
                                          TransposedPrecision::kInt8, scratch.data(), p.m * p.n / 2)
                   .ok());
  // Float weights take the f32 path whatever is asked.
  std::vector<float> wf = Random(96 * 64, 5);
  const MatmulWeights f{DType::kF32, wf.data(), 96, 64, 0};
  std::vector<float> a = p.dx0, b = p.dx0;
  ASSERT_TRUE(MatmulTransposedAccumulate(f, p.dy.data(), p.m, a.data(), nullptr, p.ld).ok());
  ASSERT_TRUE(MatmulTransposedAccumulate(f, p.dy.data(), p.m, b.data(), nullptr, p.ld, TransposedPrecision::kInt8,
                                         nullptr, 0)
                  .ok());
  EXPECT_EQ(a, b);
}

// dy quantized ahead by QuantizeTransposedInt8Dy, in pieces of rows (the LM
// head's loss chunks), then multiplied by MatmulTransposedInt8Prequantized:
// the bits of MatmulTransposedInt8With on the whole dy, for every ISA (both
// formats), thread count, and split of W into column chunks of dy (n0 > 0, the
// last running to the end of dy's columns with a partial block).
TEST(MatmulTransposedInt8, PrequantizedDyEqualsQuantizingInTheCall) {
  for (DType type : {DType::kQ8_0, DType::kQ4_0}) {
    const Problem p = Make(type, 300, 2100, 96, 2110, 51);  // three chunks of W rows, two row blocks
    SCOPED_TRACE(DTypeName(type));
    pthreadpool_t pool = pthreadpool_create(2);
    for (Isa isa : AllIsas()) {
      if (!IsaSupported(isa)) continue;
      SCOPED_TRACE(IsaName(isa));
      const std::vector<float> want = RunInt8(isa, p, nullptr, 1);
      std::vector<uint8_t> qbuf(TransposedInt8DyBytes(isa, p.m, p.n) + 1);
      const TransposedInt8Dy q{isa, qbuf.data() + 1, qbuf.size() - 1, p.m, p.n};  // any alignment
      for (size_t i0 : {size_t{0}, size_t{128}, size_t{256}}) {  // rows 0-127, 128-255, 256-299
        const size_t rows = std::min<size_t>(128, p.m - i0);
        ASSERT_TRUE(QuantizeTransposedInt8Dy(p.dy.data() + i0 * p.ld, rows, p.ld, i0, q, pool).ok());
      }
      std::vector<uint8_t> scratch(MatmulTransposedInt8PrequantizedScratchBytes(p.m, p.n, 2));
      for (pthreadpool_t threads : {pthreadpool_t{nullptr}, pool}) {
        std::vector<float> whole = p.dx0;
        ASSERT_TRUE(MatmulTransposedInt8Prequantized(p.mw(), q, 0, whole.data(), scratch.data(), scratch.size(),
                                                     threads)
                        .ok());
        EXPECT_EQ(whole, want);
        // W rows [0, 1024) then [1024, 2100): the same chunk sums in the same order.
        std::vector<float> split = p.dx0;
        const size_t row = p.w.size() / p.n;
        for (size_t n0 : {size_t{0}, size_t{1024}}) {
          const MatmulWeights part{type, p.w.data() + n0 * row, n0 == 0 ? 1024 : p.n - 1024, p.k, 0};
          ASSERT_TRUE(MatmulTransposedInt8Prequantized(part, q, n0, split.data(), scratch.data(), scratch.size(),
                                                       threads)
                          .ok());
        }
        EXPECT_EQ(split, want);
      }
      // Columns that are not whole chunks of dy, too little scratch, rows past
      // dy's: errors, not crashes.
      std::vector<float> dx = p.dx0;
      const MatmulWeights first{type, p.w.data(), 1000, p.k, 0};
      EXPECT_FALSE(MatmulTransposedInt8Prequantized(first, q, 0, dx.data(), scratch.data(), scratch.size(), pool).ok());
      EXPECT_FALSE(MatmulTransposedInt8Prequantized(first, q, 32, dx.data(), scratch.data(), scratch.size(), pool).ok());
      EXPECT_FALSE(MatmulTransposedInt8Prequantized(p.mw(), q, 0, dx.data(), scratch.data(), 100, pool).ok());
      EXPECT_EQ(dx, p.dx0);
      EXPECT_FALSE(QuantizeTransposedInt8Dy(p.dy.data(), 2, p.ld, p.m - 1, q, pool).ok());
      const TransposedInt8Dy small{isa, q.data, q.bytes - 65, p.m, p.n};
      EXPECT_FALSE(QuantizeTransposedInt8Dy(p.dy.data(), 1, p.ld, 0, small, pool).ok());
    }
    pthreadpool_destroy(pool);
  }
}

TEST(MatmulTransposedInt8, ScratchGrowsWithItsArguments) {
  const size_t base = MatmulTransposedInt8ScratchBytes(16, 128, 1);
  EXPECT_LE(base, MatmulTransposedInt8ScratchBytes(17, 128, 1));
  EXPECT_LE(base, MatmulTransposedInt8ScratchBytes(16, 129, 1));
  EXPECT_LT(base, MatmulTransposedInt8ScratchBytes(16, 128, 2));
  for (Isa isa : {Isa::kScalar, BestIsa()}) {
    EXPECT_LE(TransposedInt8DyBytes(isa, 16, 128), TransposedInt8DyBytes(isa, 17, 128));
    EXPECT_LE(TransposedInt8DyBytes(isa, 16, 128), TransposedInt8DyBytes(isa, 16, 129));
  }
  EXPECT_LT(MatmulTransposedInt8PrequantizedScratchBytes(16, 128, 1),
            MatmulTransposedInt8PrequantizedScratchBytes(16, 128, 2));
}

}  // namespace
}  // namespace edgert::kernels
