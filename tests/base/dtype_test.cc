#include "base/dtype.h"

#include <gtest/gtest.h>

#include <vector>

namespace edgert {
namespace {

TEST(DType, BytesOfEachType) {
  const std::vector<int64_t> shape = {3, 64};
  EXPECT_EQ(*TensorBytes(DType::kF32, shape), 3u * 64 * 4);
  EXPECT_EQ(*TensorBytes(DType::kF16, shape), 3u * 64 * 2);
  EXPECT_EQ(*TensorBytes(DType::kBF16, shape), 3u * 64 * 2);
  EXPECT_EQ(*TensorBytes(DType::kQ8_0, shape), 3u * 2 * 34);
  EXPECT_EQ(*TensorBytes(DType::kQ4_0, shape), 3u * 2 * 18);
}

TEST(DType, RejectsPartialBlocksAndOverflow) {
  const std::vector<int64_t> odd = {2, 40};
  EXPECT_FALSE(TensorBytes(DType::kQ8_0, odd).ok());
  EXPECT_TRUE(TensorBytes(DType::kF32, odd).ok());
  const std::vector<int64_t> huge = {int64_t{1} << 40, int64_t{1} << 40};
  EXPECT_FALSE(TensorBytes(DType::kF32, huge).ok());
  const std::vector<int64_t> negative = {-1, 4};
  EXPECT_FALSE(TensorBytes(DType::kF32, negative).ok());
  EXPECT_FALSE(TensorBytes(static_cast<DType>(99), odd).ok());
}

TEST(DType, NamesRoundTrip) {
  for (DType t : {DType::kF32, DType::kF16, DType::kBF16, DType::kQ8_0, DType::kQ4_0}) {
    EXPECT_EQ(DTypeFromName(DTypeName(t)), t);
  }
  EXPECT_FALSE(DTypeFromName("q5_k").has_value());
}

}  // namespace
}  // namespace edgert
