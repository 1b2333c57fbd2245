// Our quantizers and f16 conversion against llama.cpp's own output bytes.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>
#include <vector>

#include "kernels/convert/fp16.h"
#include "kernels/convert/quantize.h"

namespace edgert {
namespace {

std::vector<char> Fixture(const char* name) {
  const std::string path = std::string(EDGERT_TEST_DATA_DIR) + "/quant/" + name;
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in) << "missing fixture " << path;
  return {std::istreambuf_iterator<char>(in), {}};
}

std::vector<float> Input() {
  const std::vector<char> raw = Fixture("input.f32");
  std::vector<float> x(raw.size() / 4);
  std::memcpy(x.data(), raw.data(), raw.size());
  return x;
}

TEST(QuantFixture, Q8_0BlocksEqualLlamaCpp) {
  const std::vector<float> x = Input();
  ASSERT_EQ(x.size(), 8192u);
  const std::vector<char> want = Fixture("q8_0.bin");
  std::vector<BlockQ8_0> got(x.size() / 32);
  kernels::QuantizeRowQ8_0Ref(x.data(), got.data(), x.size());
  ASSERT_EQ(want.size(), got.size() * sizeof(BlockQ8_0));
  for (size_t b = 0; b < got.size(); ++b) {
    EXPECT_EQ(std::memcmp(&got[b], want.data() + b * sizeof(BlockQ8_0), sizeof(BlockQ8_0)), 0) << "block " << b << " (kind " << b % 16 << ")";
  }
}

TEST(QuantFixture, Q4_0BlocksEqualLlamaCpp) {
  const std::vector<float> x = Input();
  const std::vector<char> want = Fixture("q4_0.bin");
  std::vector<BlockQ4_0> got(x.size() / 32);
  kernels::QuantizeRowQ4_0Ref(x.data(), got.data(), x.size());
  ASSERT_EQ(want.size(), got.size() * sizeof(BlockQ4_0));
  for (size_t b = 0; b < got.size(); ++b) {
    EXPECT_EQ(std::memcmp(&got[b], want.data() + b * sizeof(BlockQ4_0), sizeof(BlockQ4_0)), 0) << "block " << b << " (kind " << b % 16 << ")";
  }
}

TEST(QuantFixture, F16EqualsLlamaCpp) {
  const std::vector<float> x = Input();
  const std::vector<char> want = Fixture("f16.bin");
  for (size_t i = 0; i < x.size(); ++i) {
    uint16_t h;
    std::memcpy(&h, want.data() + 2 * i, 2);
    ASSERT_EQ(kernels::F32ToF16(x[i]), h) << "value " << i << " = " << x[i];
  }
}

TEST(QuantFixture, DequantizeIsTheBlockFormula) {
  const std::vector<char> q8 = Fixture("q8_0.bin");
  const std::vector<char> q4 = Fixture("q4_0.bin");
  std::vector<float> y(8192);
  kernels::DequantizeRowQ8_0(reinterpret_cast<const BlockQ8_0*>(q8.data()), y.data(), y.size());
  const auto* b8 = reinterpret_cast<const BlockQ8_0*>(q8.data());
  EXPECT_EQ(y[37], kernels::F16ToF32(b8[1].d) * static_cast<float>(b8[1].qs[5]));
  kernels::DequantizeRowQ4_0(reinterpret_cast<const BlockQ4_0*>(q4.data()), y.data(), y.size());
  const auto* b4 = reinterpret_cast<const BlockQ4_0*>(q4.data());
  EXPECT_EQ(y[32 * 3 + 20], kernels::F16ToF32(b4[3].d) * static_cast<float>((b4[3].qs[4] >> 4) - 8));
  // Requantizing dequantized Q8_0 gives the same block whenever the f16 scale
  // is a normal number (d·127/127 is then exact); a subnormal scale may not survive.
  kernels::DequantizeRowQ8_0(b8, y.data(), y.size());
  std::vector<BlockQ8_0> again(256);
  kernels::QuantizeRowQ8_0Ref(y.data(), again.data(), y.size());
  size_t normal = 0;
  for (size_t b = 0; b < 256; ++b) {
    if ((b8[b].d & 0x7C00) == 0) continue;  // zero or subnormal scale
    ++normal;
    EXPECT_EQ(std::memcmp(&again[b], &b8[b], sizeof(BlockQ8_0)), 0) << "block " << b;
  }
  EXPECT_GE(normal, 200u);
}

TEST(Fp16, EveryHalfRoundTrips) {
  for (uint32_t h = 0; h < 65536; ++h) {
    const float f = kernels::F16ToF32(static_cast<uint16_t>(h));
    if (std::isnan(f)) {
      EXPECT_TRUE(std::isnan(kernels::F16ToF32(kernels::F32ToF16(f))));
      continue;
    }
    ASSERT_EQ(kernels::F32ToF16(f), h) << "half 0x" << std::hex << h;
  }
}

TEST(Fp16, RoundsToNearestEvenAndSaturatesToInfinity) {
  EXPECT_EQ(kernels::F32ToF16(1.0f + 1.0f / 2048), 0x3C00);           // halfway: to even (1.0)
  EXPECT_EQ(kernels::F32ToF16(1.0f + 3.0f / 2048), 0x3C02);           // halfway: to even (up)
  EXPECT_EQ(kernels::F32ToF16(65520.0f), 0x7C00);                     // rounds past the max: inf
  EXPECT_EQ(kernels::F32ToF16(-1e-8f), 0x8000);                       // underflow keeps the sign
  EXPECT_EQ(kernels::F32ToBF16(1.0f + 1.0f / 256), 0x3F80);           // bf16 halfway: to even
  EXPECT_EQ(kernels::BF16ToF32(kernels::F32ToBF16(3.0f)), 3.0f);
}

}  // namespace
}  // namespace edgert
