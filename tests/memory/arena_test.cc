#include "runtime/memory/arena.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace edgert {
namespace {

using ::testing::HasSubstr;

TEST(Arena, AlignsAndResets) {
  auto arena = Arena::Create(1 << 16);
  ASSERT_TRUE(arena.ok());
  auto a = arena->Allocate<float>(3, "a");
  ASSERT_TRUE(a.ok());
  const uint64_t mark = arena->Mark();
  auto b = arena->Allocate<float>(5, "b");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(reinterpret_cast<uintptr_t>(b->data()) % Arena::kAlignment, 0u);
  EXPECT_EQ(b->data() - a->data(), 16);  // 12 bytes rounded up to 64
  arena->Reset(mark);
  auto c = arena->Allocate<float>(5, "c");
  EXPECT_EQ(c->data(), b->data());
  EXPECT_EQ(arena->high_water(), 64u + 20u);
}

TEST(Arena, RunningOutNamesTheBuffer) {
  auto arena = Arena::Create(4096);
  ASSERT_TRUE(arena.ok());
  ASSERT_TRUE(arena->Allocate<float>(1000, "kv cache").ok());
  auto r = arena->Allocate<float>(100, "logits");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kResourceExhausted);
  EXPECT_THAT(r.status().message(), HasSubstr("buffer 'logits' needs 400 bytes"));
}

TEST(ParseByteSize, Units) {
  EXPECT_EQ(*ParseByteSize("12G"), 12ull << 30);
  EXPECT_EQ(*ParseByteSize("1.5G"), 3ull << 29);
  EXPECT_EQ(*ParseByteSize("512M"), 512ull << 20);
  EXPECT_EQ(*ParseByteSize("300k"), 300ull << 10);
  EXPECT_EQ(*ParseByteSize("1000"), 1000u);
  EXPECT_EQ(*ParseByteSize("2GB"), 2ull << 30);
  for (const char* bad : {"", "G", "-1G", "12X", "1e30G", "twelve"}) {
    EXPECT_FALSE(ParseByteSize(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace edgert
