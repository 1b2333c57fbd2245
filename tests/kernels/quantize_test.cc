// Our reference quantizers, dequantizers and f16/bf16 conversions against the
// bytes llama.cpp itself produced for the same inputs (tests/data/quant/, see its
// README for how they were made). Byte equality, not closeness: a GGUF
// quantized here must be the file llama.cpp would have written.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "base/quant_blocks.h"
#include "kernels/convert/fp16.h"
#include "kernels/convert/quantize.h"

namespace edgert {
namespace {

std::vector<char> Fixture(const std::string& name) {
  const std::string path = std::string(EDGERT_TEST_DATA_DIR) + "/quant/" + name;
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in) << "missing fixture " << path;
  return {std::istreambuf_iterator<char>(in), {}};
}

template <typename T>
std::vector<T> FixtureOf(const std::string& name) {
  const std::vector<char> raw = Fixture(name);
  EXPECT_EQ(raw.size() % sizeof(T), 0u) << name;
  std::vector<T> v(raw.size() / sizeof(T));
  std::memcpy(v.data(), raw.data(), v.size() * sizeof(T));
  return v;
}

uint32_t Bits(float f) { return kernels::BitsFromF32(f); }

// The 256 input blocks cycle through 16 kinds (see the README); a failure names both.
std::string Where(size_t block) { return "block " + std::to_string(block) + " (kind " + std::to_string(block % 16) + ")"; }

TEST(QuantizeVsLlamaCpp, Q8_0BlocksAreByteIdentical) {
  const auto x = FixtureOf<float>("input.f32");
  const auto want = FixtureOf<BlockQ8_0>("q8_0.bin");
  ASSERT_EQ(x.size(), 8192u);
  ASSERT_EQ(want.size(), x.size() / kQuantBlock);
  std::vector<BlockQ8_0> got(want.size());
  kernels::QuantizeRowQ8_0Ref(x.data(), got.data(), x.size());
  for (size_t b = 0; b < got.size(); ++b) {
    EXPECT_EQ(got[b].d, want[b].d) << Where(b);
    EXPECT_EQ(std::memcmp(got[b].qs, want[b].qs, sizeof got[b].qs), 0) << Where(b);
  }
}

TEST(QuantizeVsLlamaCpp, Q4_0BlocksAreByteIdentical) {
  const auto x = FixtureOf<float>("input.f32");
  const auto want = FixtureOf<BlockQ4_0>("q4_0.bin");
  ASSERT_EQ(want.size(), x.size() / kQuantBlock);
  std::vector<BlockQ4_0> got(want.size());
  kernels::QuantizeRowQ4_0Ref(x.data(), got.data(), x.size());
  for (size_t b = 0; b < got.size(); ++b) {
    EXPECT_EQ(got[b].d, want[b].d) << Where(b);
    EXPECT_EQ(std::memcmp(got[b].qs, want[b].qs, sizeof got[b].qs), 0) << Where(b);
  }
}

// Row boundaries do not matter to these block formats: quantizing the input
// as 256 one-block rows gives the same bytes as one long row.
TEST(QuantizeVsLlamaCpp, BlockByBlockEqualsWholeRow) {
  const auto x = FixtureOf<float>("input.f32");
  const auto want = FixtureOf<BlockQ4_0>("q4_0.bin");
  ASSERT_EQ(want.size() * kQuantBlock, x.size());
  for (size_t b = 0; b < want.size(); ++b) {
    BlockQ4_0 got;
    kernels::QuantizeRowQ4_0Ref(x.data() + b * kQuantBlock, &got, kQuantBlock);
    EXPECT_EQ(std::memcmp(&got, &want[b], sizeof got), 0) << Where(b);
  }
}

TEST(QuantizeVsLlamaCpp, Q8_0DequantizeIsBitIdentical) {
  const auto blocks = FixtureOf<BlockQ8_0>("q8_0.bin");
  const auto want = FixtureOf<float>("q8_0_dequant.f32");
  ASSERT_EQ(want.size(), blocks.size() * kQuantBlock);
  std::vector<float> got(want.size());
  kernels::DequantizeRowQ8_0(blocks.data(), got.data(), got.size());
  for (size_t i = 0; i < got.size(); ++i) ASSERT_EQ(Bits(got[i]), Bits(want[i])) << "value " << i << ", " << Where(i / 32);
}

TEST(QuantizeVsLlamaCpp, Q4_0DequantizeIsBitIdentical) {
  const auto blocks = FixtureOf<BlockQ4_0>("q4_0.bin");
  const auto want = FixtureOf<float>("q4_0_dequant.f32");
  ASSERT_EQ(want.size(), blocks.size() * kQuantBlock);
  std::vector<float> got(want.size());
  kernels::DequantizeRowQ4_0(blocks.data(), got.data(), got.size());
  for (size_t i = 0; i < got.size(); ++i) ASSERT_EQ(Bits(got[i]), Bits(want[i])) << "value " << i << ", " << Where(i / 32);
}

// Infinities and NaNs in a block: ggml's scale picks them up through its
// MAX(a, b) = a > b ? a : b (NaN-order dependent), and its quants come from a C
// float-to-int8 cast of NaN, undefined in C; these are the bytes of its x86-64
// build, which ours reproduces without undefined behaviour.
TEST(QuantizeVsLlamaCpp, NonFiniteBlocksMatchTheX86Build) {
  const auto x = FixtureOf<float>("nonfinite.f32");
  const auto want8 = FixtureOf<BlockQ8_0>("nonfinite_q8_0.bin");
  const auto want4 = FixtureOf<BlockQ4_0>("nonfinite_q4_0.bin");
  ASSERT_EQ(x.size(), 8 * kQuantBlock);
  std::vector<BlockQ8_0> got8(8);
  std::vector<BlockQ4_0> got4(8);
  kernels::QuantizeRowQ8_0Ref(x.data(), got8.data(), x.size());
  kernels::QuantizeRowQ4_0Ref(x.data(), got4.data(), x.size());
  for (size_t b = 0; b < 8; ++b) {
    EXPECT_EQ(got8[b].d, want8[b].d) << "q8_0 scale, block " << b;
    EXPECT_EQ(std::memcmp(got8[b].qs, want8[b].qs, sizeof got8[b].qs), 0) << "q8_0 quants, block " << b;
    EXPECT_EQ(got4[b].d, want4[b].d) << "q4_0 scale, block " << b;
    EXPECT_EQ(std::memcmp(got4[b].qs, want4[b].qs, sizeof got4[b].qs), 0) << "q4_0 quants, block " << b;
  }
}

TEST(Fp16VsLlamaCpp, F32ToF16OnTheQuantInputs) {
  const auto x = FixtureOf<float>("input.f32");
  const auto want = FixtureOf<uint16_t>("f16.bin");
  ASSERT_EQ(want.size(), x.size());
  for (size_t i = 0; i < x.size(); ++i) ASSERT_EQ(kernels::F32ToF16(x[i]), want[i]) << "value " << i << " = " << x[i];
}

// Zeros, infinities, NaNs with payloads, the overflow tie at 65520, the
// subnormal range and its ties, f32 subnormals, and for every 61st half: the
// half, the tie to its successor and the floats either side of the tie.
TEST(Fp16VsLlamaCpp, F32ToF16SweepIsBitIdentical) {
  const auto x = FixtureOf<float>("f16_sweep.f32");
  const auto want = FixtureOf<uint16_t>("f16_sweep.f16");
  ASSERT_EQ(want.size(), x.size());
  ASSERT_GT(x.size(), 4000u);
  for (size_t i = 0; i < x.size(); ++i) {
    ASSERT_EQ(kernels::F32ToF16(x[i]), want[i]) << "value " << i << " bits 0x" << std::hex << Bits(x[i]);
  }
}

TEST(Fp16VsLlamaCpp, F32ToBF16SweepIsBitIdentical) {
  const auto x = FixtureOf<float>("f16_sweep.f32");
  const auto want = FixtureOf<uint16_t>("f16_sweep.bf16");
  ASSERT_EQ(want.size(), x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    ASSERT_EQ(kernels::F32ToBF16(x[i]), want[i]) << "value " << i << " bits 0x" << std::hex << Bits(x[i]);
  }
}

// All 65,536 halves to f32. llama.cpp's results are summarised by their
// FNV-1a 64 hash (printed by the fixture program), and each finite one is
// also checked against the exact value sign * m * 2^e.
TEST(Fp16VsLlamaCpp, EveryHalfToF32EqualsLlamaCppAndIsExact) {
  uint64_t hash = 0xcbf29ce484222325ull;
  for (uint32_t h = 0; h < 65536; ++h) {
    const float f = kernels::F16ToF32(static_cast<uint16_t>(h));
    const uint32_t u = Bits(f);
    for (int k = 0; k < 4; ++k) {
      hash ^= (u >> (8 * k)) & 0xFFu;
      hash *= 0x100000001b3ull;
    }
    const uint32_t exp = (h >> 10) & 0x1F, man = h & 0x3FF;
    const double sign = (h & 0x8000) ? -1.0 : 1.0;
    if (exp == 0x1F) {
      EXPECT_TRUE(man == 0 ? std::isinf(f) : std::isnan(f)) << std::hex << h;
    } else {
      const double exact = exp == 0 ? sign * std::ldexp(man, -24) : sign * std::ldexp(1024 + man, static_cast<int>(exp) - 25);
      ASSERT_EQ(static_cast<double>(f), exact) << "half 0x" << std::hex << h;
      ASSERT_EQ(std::signbit(f), (h & 0x8000) != 0) << "half 0x" << std::hex << h;
    }
  }
  EXPECT_EQ(hash, 0x5d79f1b086f30345ull) << "f16 -> f32 differs from llama.cpp's ggml_fp16_to_fp32_row";
}

}  // namespace
}  // namespace edgert
