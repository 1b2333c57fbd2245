#include "formats/npy/npy.h"
#include "tests/common/temp_dir.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace edgert {
namespace {

TEST(Npy, RoundTripsAndChecksLength) {
  const testing::TempDir dir("npy_test");
  const std::string path = dir / "a.npy";
  const std::vector<float> data = {1, 2, 3, 4, 5, 6};
  const std::vector<int64_t> shape = {2, 3};
  ASSERT_TRUE(WriteNpyF32(path, data, shape).ok());
  std::ifstream in(path, std::ios::binary);
  std::string head(128, '\0');
  in.read(head.data(), 128);
  EXPECT_EQ(head.find("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }"), 10u);
  auto a = ReadNpyF32(path);
  ASSERT_TRUE(a.ok()) << a.status().message();
  EXPECT_EQ(a->shape, shape);
  EXPECT_EQ(a->data, data);
  EXPECT_FALSE(ReadNpyI32(path).ok());
  std::filesystem::resize_file(path, std::filesystem::file_size(path) - 4);
  EXPECT_FALSE(ReadNpyF32(path).ok());
}

}  // namespace
}  // namespace edgert
