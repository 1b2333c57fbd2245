// tests/ports/output_file_test.cc
#include "ports/output_file.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "tests/common/temp_dir.h"

namespace edgert {
namespace {

namespace fs = std::filesystem;

void Touch(const fs::path& p) { std::ofstream(p) << "left by a kill"; }

// Issue 23 item 7: a kill during a write left "<path>.tmp-XXXXXX" behind for
// good (only adapters cleaned up after themselves; a model's is gigabytes).
TEST(OutputFile, TheNextWriteRemovesLeftoversOfTheSamePath) {
  const testing::TempDir temp("output_file_test");
  const fs::path dir = temp.path();
  Touch(dir / "m.etm.tmp-AbC123");
  Touch(dir / "m.etm.tmp-XyZ789");
  Touch(dir / "other.etm.tmp-AbC123");  // another file's: kept
  Touch(dir / "m.etm.tmp-seven77");      // not mkstemp's six characters: kept
  const std::string bytes = "data";
  ASSERT_TRUE(ports::WriteFileAtomically((dir / "m.etm").string(), std::as_bytes(std::span(bytes))).ok());
  EXPECT_TRUE(fs::exists(dir / "m.etm"));
  EXPECT_FALSE(fs::exists(dir / "m.etm.tmp-AbC123"));
  EXPECT_FALSE(fs::exists(dir / "m.etm.tmp-XyZ789"));
  EXPECT_TRUE(fs::exists(dir / "other.etm.tmp-AbC123"));
  EXPECT_TRUE(fs::exists(dir / "m.etm.tmp-seven77"));
}

}  // namespace
}  // namespace edgert
