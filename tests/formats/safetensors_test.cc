// Safetensors reader and writer: good files (single, sharded, folder), a
// sparse full-size checkpoint, and every kind of damaged file, whose error
// must name the file and the problem. Files are built here, in a temp folder.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "formats/safetensors/safetensors.h"
#include "formats/safetensors/safetensors_writer.h"
#include "tests/common/temp_dir.h"

namespace edgert {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

std::span<const std::byte> Bytes(const std::string& s) { return std::as_bytes(std::span(s.data(), s.size())); }

template <typename T>
std::span<const std::byte> Bytes(const std::vector<T>& v) { return std::as_bytes(std::span(v)); }

// A safetensors file from a header text and data bytes, as raw bytes.
std::string RawFile(const std::string& header, const std::string& data) {
  std::string out(8, '\0');
  const uint64_t n = header.size();
  for (int i = 0; i < 8; ++i) out[static_cast<size_t>(i)] = static_cast<char>((n >> (8 * i)) & 0xFF);
  return out + header + data;
}

void WriteRaw(const std::string& path, const std::string& bytes) { std::ofstream(path, std::ios::binary) << bytes; }

class SafetensorsTest : public ::testing::Test {
 protected:
  testing::TempDir dir_{"safetensors_test"};
};

TEST_F(SafetensorsTest, WritesAndReadsBackF32F16Bf16WithMetadata) {
  const std::vector<float> a = {1.0f, -2.5f, 3.25f, 0.0f, 1e-20f, -1e20f};
  const std::vector<uint16_t> b = {0x3C00, 0xC000, 0x7BFF, 0x0001};
  const std::vector<uint16_t> c = {0x3F80, 0xBF80};
  const std::string path = dir_ / "m.safetensors";
  ASSERT_TRUE(WriteSafetensors(path,
                               {{"z.first", DType::kF32, {2, 3}, Bytes(a)},
                                {"a.second", DType::kF16, {4}, Bytes(b)},
                                {"m.third", DType::kBF16, {1, 1, 2}, Bytes(c)}},
                               {{"format", "pt"}})
                  .ok());
  auto ck = SafetensorsCheckpoint::Open(path);
  ASSERT_TRUE(ck.ok()) << ck.status().message();
  ASSERT_EQ(ck->tensors().size(), 3u);
  // In data order, as written (not the JSON's alphabetical order).
  EXPECT_EQ(ck->tensors()[0].name, "z.first");
  EXPECT_EQ(ck->tensors()[1].name, "a.second");
  EXPECT_EQ(ck->tensors()[2].name, "m.third");
  const SafetensorsTensor* t = ck->Find("z.first");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->dtype, DType::kF32);
  EXPECT_EQ(t->shape, (std::vector<int64_t>{2, 3}));
  ASSERT_EQ(t->data.size(), a.size() * 4);
  EXPECT_EQ(std::memcmp(t->data.data(), a.data(), t->data.size()), 0);
  // The data section starts 8-byte aligned, so f32 tensors can be read in place.
  EXPECT_EQ(reinterpret_cast<uintptr_t>(t->data.data()) % 8, 0u);
  t = ck->Find("a.second");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->dtype, DType::kF16);
  EXPECT_EQ(std::memcmp(t->data.data(), b.data(), 8), 0);
  t = ck->Find("m.third");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->dtype, DType::kBF16);
  EXPECT_EQ(t->shape, (std::vector<int64_t>{1, 1, 2}));
  EXPECT_EQ(ck->Find("missing"), nullptr);
  EXPECT_EQ(ck->metadata().at("format"), "pt");
}

TEST_F(SafetensorsTest, ReadsAFileOfTheReferenceLayoutWithGapsAndEmptyTensors) {
  // Hand-written header, as Hugging Face writes it: metadata first, unsorted
  // offsets, an empty tensor, unused bytes between tensors.
  const std::string header =
      R"({"__metadata__":{"format":"pt","n":"1"},"w":{"dtype":"F32","shape":[2],"data_offsets":[16,24]},)"
      R"("e":{"dtype":"F16","shape":[0,4],"data_offsets":[8,8]},"s":{"dtype":"F32","shape":[],"data_offsets":[0,4]}})";
  std::string data(24, '\0');
  const float w[2] = {7.0f, -7.0f};
  const float s = 42.0f;
  std::memcpy(data.data() + 16, w, 8);
  std::memcpy(data.data(), &s, 4);
  const std::string bytes = RawFile(header, data);
  auto ck = SafetensorsCheckpoint::FromBytes(Bytes(bytes), "ref.safetensors");
  ASSERT_TRUE(ck.ok()) << ck.status().message();
  ASSERT_EQ(ck->tensors().size(), 3u);
  EXPECT_EQ(ck->tensors()[0].name, "s");
  EXPECT_TRUE(ck->Find("s")->shape.empty());
  float got;
  std::memcpy(&got, ck->Find("s")->data.data(), 4);
  EXPECT_EQ(got, 42.0f);
  EXPECT_EQ(ck->Find("e")->data.size(), 0u);
  std::memcpy(&got, ck->Find("w")->data.data() + 4, 4);
  EXPECT_EQ(got, -7.0f);
}

TEST_F(SafetensorsTest, ZeroTensorsAreSparseHolesSoAFullSizeCheckpointCostsNothing) {
  // Qwen2.5-0.5B's largest tensors in f32: 2.2 GB on paper, a few KB on disk.
  const std::string path = dir_ / "big.safetensors";
  std::vector<SafetensorsOut> tensors = {{"model.embed_tokens.weight", DType::kF32, {151936, 896}, {}}};
  for (int l = 0; l < 24; ++l) {
    const std::string p = "model.layers." + std::to_string(l) + ".mlp.";
    tensors.push_back({p + "gate_proj.weight", DType::kF32, {4864, 896}, {}});
    tensors.push_back({p + "up_proj.weight", DType::kF32, {4864, 896}, {}});
    tensors.push_back({p + "down_proj.weight", DType::kF32, {896, 4864}, {}});
  }
  const std::vector<float> norm(896, 1.0f);
  tensors.push_back({"model.norm.weight", DType::kF32, {896}, Bytes(norm)});
  ASSERT_TRUE(WriteSafetensors(path, tensors).ok());
  uint64_t elements = 0;
  for (const auto& t : tensors) elements += static_cast<uint64_t>(t.shape[0]) * (t.shape.size() > 1 ? static_cast<uint64_t>(t.shape[1]) : 1);
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_GE(static_cast<uint64_t>(st.st_size), elements * 4);
  EXPECT_LT(static_cast<uint64_t>(st.st_blocks) * 512, 1u << 20) << "zeros were written instead of left as a hole";
  auto ck = SafetensorsCheckpoint::Open(path);
  ASSERT_TRUE(ck.ok()) << ck.status().message();
  EXPECT_EQ(ck->tensors().size(), tensors.size());
  const SafetensorsTensor* e = ck->Find("model.embed_tokens.weight");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->data.size(), 151936ull * 896 * 4);
  EXPECT_EQ(e->data[e->data.size() / 2], std::byte{0});
  const SafetensorsTensor* n = ck->Find("model.norm.weight");
  ASSERT_NE(n, nullptr);
  EXPECT_EQ(std::memcmp(n->data.data(), norm.data(), 896 * 4), 0);
}

TEST_F(SafetensorsTest, FolderWithOneFileAndShardedFolderWithIndex) {
  const std::vector<float> x = {1, 2, 3, 4}, y = {5, 6}, z = {7};
  {
    const std::filesystem::path one = dir_.path() / "one";
    std::filesystem::create_directories(one);
    ASSERT_TRUE(WriteSafetensors((one / "model.safetensors").string(), {{"x", DType::kF32, {4}, Bytes(x)}}).ok());
    auto ck = SafetensorsCheckpoint::Open(one.string());
    ASSERT_TRUE(ck.ok()) << ck.status().message();
    ASSERT_NE(ck->Find("x"), nullptr);
  }
  const std::filesystem::path sharded = dir_.path() / "sharded";
  std::filesystem::create_directories(sharded);
  ASSERT_TRUE(WriteSafetensors((sharded / "model-00001-of-00002.safetensors").string(),
                               {{"x", DType::kF32, {2, 2}, Bytes(x)}, {"z", DType::kF32, {1}, Bytes(z)}})
                  .ok());
  ASSERT_TRUE(WriteSafetensors((sharded / "model-00002-of-00002.safetensors").string(), {{"y", DType::kF32, {2}, Bytes(y)}}).ok());
  std::ofstream(sharded / "model.safetensors.index.json")
      << R"({"metadata":{"total_size":28},"weight_map":{"x":"model-00001-of-00002.safetensors",)"
      << R"("y":"model-00002-of-00002.safetensors","z":"model-00001-of-00002.safetensors"}})";
  auto ck = SafetensorsCheckpoint::Open(sharded.string());
  ASSERT_TRUE(ck.ok()) << ck.status().message();
  ASSERT_EQ(ck->tensors().size(), 3u);
  ASSERT_NE(ck->Find("y"), nullptr);
  float v;
  std::memcpy(&v, ck->Find("y")->data.data() + 4, 4);
  EXPECT_EQ(v, 6.0f);
  std::memcpy(&v, ck->Find("z")->data.data(), 4);
  EXPECT_EQ(v, 7.0f);
  EXPECT_EQ(ck->Find("x")->shape, (std::vector<int64_t>{2, 2}));
}

// ---- damaged files: each error names the file and what is wrong ----

struct Bad {
  const char* what;
  std::string bytes;
  StatusCode code;
  std::vector<std::string> says;  // substrings of the message besides the file name
};

TEST_F(SafetensorsTest, DamagedFilesNameTheFileAndTheProblem) {
  const std::string f32x2(8, '\0');
  const auto one = [](const std::string& info) { return "{\"t\":" + info + "}"; };
  const std::vector<Bad> cases = {
      {"empty", "", StatusCode::kCorruptFile, {"too short"}},
      {"short", "abc", StatusCode::kCorruptFile, {"3 bytes", "too short"}},
      {"header length past end", RawFile("{}", "").substr(0, 8) + "{", StatusCode::kCorruptFile, {"header length", "past the end"}},
      {"huge header length", std::string("\xff\xff\xff\xff\xff\xff\xff\x7f", 8) + "{}", StatusCode::kCorruptFile, {"header length"}},
      {"bad json", RawFile("{\"t\": {", ""), StatusCode::kCorruptFile, {"not valid JSON", "at byte"}},
      {"not an object", RawFile("[1,2]", ""), StatusCode::kCorruptFile, {"not a JSON object"}},
      {"missing dtype", RawFile(one(R"({"shape":[2],"data_offsets":[0,8]})"), f32x2), StatusCode::kCorruptFile, {"'t'", "dtype"}},
      {"shape not array", RawFile(one(R"({"dtype":"F32","shape":2,"data_offsets":[0,8]})"), f32x2), StatusCode::kCorruptFile, {"'t'", "shape"}},
      {"negative shape", RawFile(one(R"({"dtype":"F32","shape":[-2],"data_offsets":[0,8]})"), f32x2), StatusCode::kCorruptFile, {"'t'", "non-negative", "-2"}},
      {"float shape", RawFile(one(R"({"dtype":"F32","shape":[2.5],"data_offsets":[0,8]})"), f32x2), StatusCode::kCorruptFile, {"'t'", "2.5"}},
      {"offsets not a pair", RawFile(one(R"({"dtype":"F32","shape":[2],"data_offsets":[0]})"), f32x2), StatusCode::kCorruptFile, {"'t'", "data_offsets"}},
      {"negative offset", RawFile(one(R"({"dtype":"F32","shape":[2],"data_offsets":[-8,0]})"), f32x2), StatusCode::kCorruptFile, {"'t'", "non-negative"}},
      {"offsets reversed", RawFile(one(R"({"dtype":"F32","shape":[0],"data_offsets":[8,0]})"), f32x2), StatusCode::kCorruptFile, {"'t'", "[8, 0)"}},
      {"offset past end", RawFile(one(R"({"dtype":"F32","shape":[2],"data_offsets":[8,16]})"), f32x2), StatusCode::kCorruptFile, {"'t'", "[8, 16)", "past the end", "8 bytes"}},
      {"size mismatch", RawFile(one(R"({"dtype":"F32","shape":[3],"data_offsets":[0,8]})"), f32x2), StatusCode::kCorruptFile, {"'t'", "holds 8 bytes", "needs 12"}},
      {"unknown dtype", RawFile(one(R"({"dtype":"I64","shape":[1],"data_offsets":[0,8]})"), f32x2), StatusCode::kUnsupported, {"'t'", "dtype I64", "F32, F16 and BF16"}},
      {"junk dtype", RawFile(one(R"({"dtype":"F33","shape":[1],"data_offsets":[0,4]})"), f32x2), StatusCode::kUnsupported, {"'t'", "F33"}},
      {"shape overflows", RawFile(one(R"({"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,8]})"), f32x2), StatusCode::kCorruptFile, {"'t'", "4294967296"}},
      {"overlap", RawFile(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", f32x2),
       StatusCode::kCorruptFile, {"'a'", "'b'", "overlap"}},
      {"metadata not an object", RawFile(R"({"__metadata__":[1]})", ""), StatusCode::kCorruptFile, {"__metadata__"}},
  };
  for (const Bad& c : cases) {
    SCOPED_TRACE(c.what);
    auto ck = SafetensorsCheckpoint::FromBytes(Bytes(c.bytes), "bad.safetensors");
    ASSERT_FALSE(ck.ok());
    EXPECT_EQ(ck.status().code(), c.code) << ck.status().message();
    EXPECT_THAT(ck.status().message(), HasSubstr("bad.safetensors"));
    for (const std::string& s : c.says) EXPECT_THAT(ck.status().message(), HasSubstr(s));
  }
}

TEST_F(SafetensorsTest, EveryTruncationOfAGoodFileIsACleanError) {
  const std::vector<float> a(8, 1.5f);
  const std::string path = dir_ / "t.safetensors";
  ASSERT_TRUE(WriteSafetensors(path, {{"a", DType::kF32, {8}, Bytes(a)}, {"b", DType::kF32, {2, 2}, Bytes(a).first(16)}}).ok());
  std::ifstream in(path, std::ios::binary);
  const std::string full{std::istreambuf_iterator<char>(in), {}};
  ASSERT_TRUE(SafetensorsCheckpoint::FromBytes(Bytes(full), "t.safetensors").ok());
  for (size_t n = 0; n < full.size(); ++n) {
    auto ck = SafetensorsCheckpoint::FromBytes(Bytes(full.substr(0, n)), "t.safetensors");
    ASSERT_FALSE(ck.ok()) << "accepted the first " << n << " bytes";
    EXPECT_THAT(ck.status().message(), HasSubstr("t.safetensors"));
  }
}

TEST_F(SafetensorsTest, OpenNamesAMissingFileOrAnEmptyFolder) {
  auto missing = SafetensorsCheckpoint::Open(dir_ / "nope.safetensors");
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(missing.status().message(), HasSubstr("nope.safetensors"));
  auto empty = SafetensorsCheckpoint::Open(dir_.path().string());
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(empty.status().message(), AllOf(HasSubstr(dir_.path().string()), HasSubstr("model.safetensors.index.json")));
  // A damaged file opened by path names that path.
  WriteRaw(dir_ / "bad.safetensors", RawFile("{\"t\":", ""));
  auto bad = SafetensorsCheckpoint::Open(dir_ / "bad.safetensors");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), AllOf(HasSubstr(dir_ / "bad.safetensors"), HasSubstr("not valid JSON")));
}

TEST_F(SafetensorsTest, BadIndexFilesNameTheIndexAndTheShard) {
  const std::vector<float> x = {1, 2};
  const auto folder = [&](const std::string& name, const std::string& index) {
    const std::filesystem::path p = dir_.path() / name;
    std::filesystem::create_directories(p);
    EXPECT_TRUE(WriteSafetensors((p / "a.safetensors").string(), {{"x", DType::kF32, {2}, Bytes(x)}}).ok());
    std::ofstream(p / "model.safetensors.index.json") << index;
    return p.string();
  };
  struct Case {
    const char* what;
    std::string index;
    std::vector<std::string> says;
  };
  const std::vector<Case> cases = {
      {"missing shard", R"({"weight_map":{"x":"a.safetensors","y":"b.safetensors"}})", {"names shard 'b.safetensors'", "cannot open"}},
      {"bad json", R"({"weight_map":)", {"not valid JSON"}},
      {"no weight_map", R"({"metadata":{}})", {"weight_map"}},
      {"not a file name", R"({"weight_map":{"x":"a.safetensors","y":"../a.safetensors"}})", {"'../a.safetensors'", "not a file name"}},
      {"file name not a string", R"({"weight_map":{"x":7}})", {"weight_map[\"x\"]"}},
      {"tensor not in its shard", R"({"weight_map":{"x":"a.safetensors","w":"a.safetensors"}})", {"'w'", "'a.safetensors'", "does not hold it"}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    const std::string path = folder(std::string("idx_") + std::to_string(&c - cases.data()), c.index);
    auto ck = SafetensorsCheckpoint::Open(path);
    ASSERT_FALSE(ck.ok());
    EXPECT_THAT(ck.status().message(), HasSubstr("model.safetensors.index.json"));
    for (const std::string& s : c.says) EXPECT_THAT(ck.status().message(), HasSubstr(s));
  }
}

TEST_F(SafetensorsTest, WriterRefusesBadInputAndLeavesNothingBehind) {
  const std::vector<float> x = {1, 2};
  const std::string path = dir_ / "w.safetensors";
  auto dup = WriteSafetensors(path, {{"x", DType::kF32, {2}, Bytes(x)}, {"x", DType::kF32, {2}, Bytes(x)}});
  EXPECT_THAT(dup.message(), AllOf(HasSubstr("w.safetensors"), HasSubstr("'x'"), HasSubstr("twice")));
  auto size = WriteSafetensors(path, {{"x", DType::kF32, {3}, Bytes(x)}});
  EXPECT_THAT(size.message(), AllOf(HasSubstr("'x'"), HasSubstr("8 bytes given"), HasSubstr("need 12")));
  auto quant = WriteSafetensors(path, {{"q", DType::kQ8_0, {32}, {}}});
  EXPECT_EQ(quant.code(), StatusCode::kUnsupported);
  auto reserved = WriteSafetensors(path, {{"__metadata__", DType::kF32, {2}, Bytes(x)}});
  EXPECT_THAT(reserved.message(), HasSubstr("reserved"));
  EXPECT_FALSE(std::filesystem::exists(path));
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir_.path()), {}), 0) << "a temporary file was left behind";
}

}  // namespace
}  // namespace edgert
