// GGUF reader and writer: round trips through our writer, files built byte by
// byte here (every metadata value type, v2, alignment, types we do not
// compute with), a file written by llama.cpp's own gguf-py, and every kind of
// damaged file, whose error must name the file and the problem.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>
#include <vector>

#include "base/quant_blocks.h"
#include "formats/gguf/gguf.h"
#include "formats/gguf/gguf_writer.h"
#include "kernels/convert/fp16.h"
#include "kernels/convert/quantize.h"
#include "tests/common/temp_dir.h"

namespace edgert {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

template <typename T>
std::span<const std::byte> Bytes(const std::vector<T>& v) { return std::as_bytes(std::span(v)); }
std::span<const std::byte> Bytes(const std::string& s) { return std::as_bytes(std::span(s.data(), s.size())); }

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

// GGUF bytes by hand, little-endian.
class Raw {
 public:
  template <typename T>
  Raw& Put(T v) {
    s_.append(reinterpret_cast<const char*>(&v), sizeof v);
    return *this;
  }
  Raw& U32(uint32_t v) { return Put(v); }
  Raw& U64(uint64_t v) { return Put(v); }
  Raw& Str(const std::string& s) {
    U64(s.size());
    s_ += s;
    return *this;
  }
  Raw& Header(uint32_t version, uint64_t n_tensors, uint64_t n_kv) { return U32(0x46554747u).U32(version).U64(n_tensors).U64(n_kv); }
  Raw& Key(const std::string& k, uint32_t type) { return Str(k).U32(type); }
  Raw& Tensor(const std::string& name, std::vector<uint64_t> ne, uint32_t type, uint64_t offset) {
    Str(name).U32(static_cast<uint32_t>(ne.size()));
    for (uint64_t d : ne) U64(d);
    return U32(type).U64(offset);
  }
  Raw& PadTo(size_t a) {
    s_.append((a - s_.size() % a) % a, '\0');
    return *this;
  }
  Raw& Zeros(size_t n) {
    s_.append(n, '\0');
    return *this;
  }
  const std::string& str() const { return s_; }

 private:
  std::string s_;
};

enum : uint32_t { kU8, kI8, kU16, kI16, kU32, kI32, kF32, kBool, kString, kArray, kU64, kI64, kF64 };

class GgufTest : public ::testing::Test {
 protected:
  testing::TempDir dir_{"gguf_test"};
};

TEST_F(GgufTest, WriterRoundTripsMetadataAndTensorsOfEveryDType) {
  std::vector<float> f32(2 * 3 * 4);
  for (size_t i = 0; i < f32.size(); ++i) f32[i] = static_cast<float>(i) - 5.5f;
  const std::vector<uint16_t> f16 = {0x3C00, 0xC000, 0x7BFF, 0x8001};
  const std::vector<uint16_t> bf16 = {0x3F80, 0xBF80};
  std::vector<std::byte> q8(2 * 34), q4(3 * 18);
  for (size_t i = 0; i < q8.size(); ++i) q8[i] = std::byte(i * 7);
  for (size_t i = 0; i < q4.size(); ++i) q4[i] = std::byte(255 - i);
  const std::string path = dir_ / "rt.gguf";
  const std::vector<std::pair<std::string, GgufValue>> meta = {
      {"general.architecture", std::string("qwen2")},
      {"small.i", int64_t{-7}},
      {"big.i", int64_t{-5'000'000'000}},
      {"small.u", uint64_t{151643}},
      {"big.u", uint64_t{1} << 40},
      {"real", 1e6},
      {"flag", true},
      {"tokens", std::vector<std::string>{"a", "", "\xc4\xa0the", std::string("nul\0in", 6)}},
      {"types", std::vector<int64_t>{1, 3, 4, 5}},
      {"wide", std::vector<int64_t>{1, int64_t{1} << 40}},
      {"scores", std::vector<double>{0.5, -1.25}},
  };
  ASSERT_TRUE(WriteGguf(path, meta,
                        {{"f32", DType::kF32, {2, 3, 4}, Bytes(f32)},
                         {"f16", DType::kF16, {4}, Bytes(f16)},
                         {"bf16", DType::kBF16, {1, 1, 1, 2}, Bytes(bf16)},
                         {"q8", DType::kQ8_0, {2, 32}, Bytes(q8)},
                         {"q4", DType::kQ4_0, {96}, Bytes(q4)}})
                  .ok());
  auto g = GgufFile::Open(path);
  ASSERT_TRUE(g.ok()) << g.status().message();
  EXPECT_EQ(g->version(), 3u);
  EXPECT_EQ(g->alignment(), 32u);
  EXPECT_EQ(g->data_offset() % 32, 0u);
  EXPECT_EQ(*g->GetString("general.architecture"), "qwen2");
  EXPECT_EQ(*g->GetInt("small.i"), -7);
  EXPECT_EQ(*g->GetInt("big.i"), -5'000'000'000);
  EXPECT_EQ(*g->GetInt("small.u"), 151643);
  EXPECT_EQ(*g->GetInt("big.u"), int64_t{1} << 40);
  EXPECT_EQ(*g->GetFloat("real"), 1e6);
  EXPECT_EQ(*g->GetBool("flag"), true);
  EXPECT_EQ(*g->GetInt("flag"), 1);
  EXPECT_EQ(*g->GetStrings("tokens"), (std::vector<std::string>{"a", "", "\xc4\xa0the", std::string("nul\0in", 6)}));
  EXPECT_EQ(*g->GetInts("types"), (std::vector<int64_t>{1, 3, 4, 5}));
  EXPECT_EQ(*g->GetInts("wide"), (std::vector<int64_t>{1, int64_t{1} << 40}));
  EXPECT_EQ(*g->GetFloats("scores"), (std::vector<double>{0.5, -1.25}));
  EXPECT_EQ(*g->GetFloats("types"), (std::vector<double>{1, 3, 4, 5}));
  // The value types llama.cpp's loader insists on: u32 counts, i32 token types, f32 reals.
  EXPECT_TRUE(std::holds_alternative<uint64_t>(g->metadata().at("small.u")));
  ASSERT_EQ(g->tensors().size(), 5u);
  const std::vector<std::pair<std::string, std::vector<int64_t>>> shapes = {
      {"f32", {2, 3, 4}}, {"f16", {4}}, {"bf16", {1, 1, 1, 2}}, {"q8", {2, 32}}, {"q4", {96}}};
  for (size_t i = 0; i < shapes.size(); ++i) {
    const GgufTensor& t = g->tensors()[i];
    EXPECT_EQ(t.name, shapes[i].first);
    EXPECT_EQ(t.shape, shapes[i].second) << t.name;
    EXPECT_EQ(t.offset % 32, 0u) << t.name;
    EXPECT_EQ(t.data.size(), t.size) << t.name;
  }
  const GgufTensor* t = g->Find("f32");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(*t->dtype, DType::kF32);
  EXPECT_EQ(t->ggml_type, 0u);
  EXPECT_EQ(std::memcmp(t->data.data(), f32.data(), f32.size() * 4), 0);
  EXPECT_EQ(*g->Find("f16")->dtype, DType::kF16);
  EXPECT_EQ(g->Find("bf16")->ggml_type, 30u);
  EXPECT_EQ(g->Find("q8")->ggml_type, 8u);
  EXPECT_EQ(std::memcmp(g->Find("q8")->data.data(), q8.data(), q8.size()), 0);
  EXPECT_EQ(g->Find("q4")->ggml_type, 2u);
  EXPECT_EQ(std::memcmp(g->Find("q4")->data.data(), q4.data(), q4.size()), 0);
  auto data = g->TensorData(*g->Find("q4"));
  ASSERT_TRUE(data.ok());
  EXPECT_EQ(data->size(), q4.size());
  EXPECT_EQ(g->Find("nope"), nullptr);
  // llama.cpp pads the data section to the alignment after the last tensor too.
  EXPECT_EQ(std::filesystem::file_size(path) % 32, 0u);
}

TEST_F(GgufTest, EveryScalarAndArrayValueTypeAndAnyIntegerWidth) {
  Raw r;
  r.Header(3, 0, 17);
  r.Key("u8", kU8).Put<uint8_t>(200);
  r.Key("i8", kI8).Put<int8_t>(-100);
  r.Key("u16", kU16).Put<uint16_t>(60000);
  r.Key("i16", kI16).Put<int16_t>(-30000);
  r.Key("u32", kU32).Put<uint32_t>(4000000000u);
  r.Key("i32", kI32).Put<int32_t>(-2000000000);
  r.Key("u64", kU64).Put<uint64_t>(std::numeric_limits<uint64_t>::max());
  r.Key("i64", kI64).Put<int64_t>(std::numeric_limits<int64_t>::min());
  r.Key("f32", kF32).Put<float>(0.1f);
  r.Key("f64", kF64).Put<double>(0.1);
  r.Key("bool", kBool).Put<uint8_t>(1);
  r.Key("str", kString).Str("héllo");
  r.Key("arr.u8", kArray).U32(kU8).U64(3).Put<uint8_t>(1).Put<uint8_t>(2).Put<uint8_t>(255);
  r.Key("arr.i16", kArray).U32(kI16).U64(2).Put<int16_t>(-1).Put<int16_t>(7);
  r.Key("arr.bool", kArray).U32(kBool).U64(2).Put<uint8_t>(0).Put<uint8_t>(1);
  r.Key("arr.f64", kArray).U32(kF64).U64(1).Put<double>(2.5);
  r.Key("arr.empty", kArray).U32(kString).U64(0);
  auto g = GgufFile::FromBytes(Bytes(r.str()), "types.gguf");
  ASSERT_TRUE(g.ok()) << g.status().message();
  EXPECT_EQ(*g->GetInt("u8"), 200);
  EXPECT_EQ(*g->GetInt("i8"), -100);
  EXPECT_EQ(*g->GetInt("u16"), 60000);
  EXPECT_EQ(*g->GetInt("i16"), -30000);
  EXPECT_EQ(*g->GetInt("u32"), 4000000000);
  EXPECT_EQ(*g->GetInt("i32"), -2000000000);
  EXPECT_EQ(*g->GetInt("i64"), std::numeric_limits<int64_t>::min());
  EXPECT_EQ(g->GetInt("u64").status().code(), StatusCode::kOutOfRange);
  EXPECT_EQ(std::get<uint64_t>(g->metadata().at("u64")), std::numeric_limits<uint64_t>::max());
  EXPECT_EQ(*g->GetFloat("f32"), static_cast<double>(0.1f));
  EXPECT_EQ(*g->GetFloat("f64"), 0.1);
  EXPECT_EQ(*g->GetFloat("u16"), 60000.0);
  EXPECT_TRUE(*g->GetBool("bool"));
  EXPECT_EQ(*g->GetString("str"), "héllo");
  EXPECT_EQ(*g->GetInts("arr.u8"), (std::vector<int64_t>{1, 2, 255}));
  EXPECT_EQ(*g->GetInts("arr.i16"), (std::vector<int64_t>{-1, 7}));
  EXPECT_EQ(*g->GetInts("arr.bool"), (std::vector<int64_t>{0, 1}));
  EXPECT_EQ(*g->GetFloats("arr.f64"), (std::vector<double>{2.5}));
  EXPECT_TRUE(g->GetStrings("arr.empty")->empty());
  EXPECT_TRUE(g->tensors().empty());
  // Wrong types and missing keys name the file and the key.
  EXPECT_THAT(g->GetString("u8").status().message(), AllOf(HasSubstr("types.gguf"), HasSubstr("'u8'"), HasSubstr("not a string")));
  EXPECT_THAT(g->GetInt("str").status().message(), AllOf(HasSubstr("'str'"), HasSubstr("not an integer")));
  EXPECT_THAT(g->GetStrings("arr.u8").status().message(), HasSubstr("not an array of strings"));
  EXPECT_THAT(g->GetBool("u8").status().message(), HasSubstr("not a bool"));
  auto missing = g->GetInt("general.nope");
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(missing.status().message(), AllOf(HasSubstr("types.gguf"), HasSubstr("'general.nope'")));
}

TEST_F(GgufTest, ReadsVersion2AndHonoursGeneralAlignment) {
  // general.alignment = 64 (u32, as llama.cpp writes it), one f32 tensor of 3 x 2.
  Raw r;
  r.Header(2, 1, 1);
  r.Key("general.alignment", kU32).U32(64);
  r.Tensor("w", {2, 3}, 0, 0);
  r.PadTo(64);
  const float w[6] = {1, 2, 3, 4, 5, 6};
  std::string bytes = r.str();
  const size_t data_at = bytes.size();
  bytes.append(reinterpret_cast<const char*>(w), sizeof w);
  auto g = GgufFile::FromBytes(Bytes(bytes), "v2.gguf");
  ASSERT_TRUE(g.ok()) << g.status().message();
  EXPECT_EQ(g->version(), 2u);
  EXPECT_EQ(g->alignment(), 64u);
  EXPECT_EQ(g->data_offset(), data_at);
  const GgufTensor* t = g->Find("w");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->shape, (std::vector<int64_t>{3, 2}));  // ne = [2, 3] -> outermost first
  float last;
  std::memcpy(&last, t->data.data() + 20, 4);
  EXPECT_EQ(last, 6.0f);
  // Our writer honours it too.
  const std::string path = dir_ / "a64.gguf";
  const std::vector<float> x(8, 1.0f);
  ASSERT_TRUE(WriteGguf(path, {{"general.alignment", uint64_t{64}}}, {{"a", DType::kF32, {1}, Bytes(x).first(4)}, {"b", DType::kF32, {8}, Bytes(x)}}).ok());
  auto w64 = GgufFile::Open(path);
  ASSERT_TRUE(w64.ok()) << w64.status().message();
  EXPECT_EQ(w64->alignment(), 64u);
  EXPECT_EQ(w64->data_offset() % 64, 0u);
  EXPECT_EQ(w64->Find("b")->offset, 64u);
}

TEST_F(GgufTest, TensorsOfOtherGgmlTypesAreListedSizedAndRefusedByName) {
  Raw r;
  r.Header(3, 3, 0);
  r.Tensor("k.weight", {256, 2}, 12, 0);     // q4_K: 2 blocks of 144 bytes
  r.Tensor("odd.weight", {7}, 99, 288);      // a number ggml does not define
  r.Tensor("f.weight", {4}, 0, 320);
  r.PadTo(32);
  r.Zeros(288 + 32 + 16);
  auto g = GgufFile::FromBytes(Bytes(r.str()), "mixed.gguf");
  ASSERT_TRUE(g.ok()) << g.status().message();
  ASSERT_EQ(g->tensors().size(), 3u);
  const GgufTensor* k = g->Find("k.weight");
  ASSERT_NE(k, nullptr);
  EXPECT_FALSE(k->dtype.has_value());
  EXPECT_EQ(k->size, 288u);
  EXPECT_EQ(k->shape, (std::vector<int64_t>{2, 256}));
  EXPECT_TRUE(k->data.empty());
  auto data = g->TensorData(*k);
  ASSERT_FALSE(data.ok());
  EXPECT_EQ(data.status().code(), StatusCode::kUnsupported);
  EXPECT_THAT(data.status().message(), AllOf(HasSubstr("mixed.gguf"), HasSubstr("'k.weight'"), HasSubstr("12 (q4_K)")));
  EXPECT_THAT(g->TensorData(*g->Find("odd.weight")).status().message(), HasSubstr("type 99"));
  EXPECT_EQ(g->Find("odd.weight")->size, 0u);
  EXPECT_TRUE(g->TensorData(*g->Find("f.weight")).ok());
  EXPECT_EQ(GgmlTypeName(14), "q6_K");
  EXPECT_EQ(GgmlTypeName(4), "type 4");  // removed from ggml
  EXPECT_EQ(GetGgmlTypeInfo(30)->block_bytes, 2u);
  // A q4_K tensor that runs past the end is caught even though we cannot compute with it.
  Raw cut;
  cut.Header(3, 1, 0).Tensor("k.weight", {256, 2}, 12, 0).PadTo(32).Zeros(200);
  EXPECT_THAT(GgufFile::FromBytes(Bytes(cut.str()), "cut.gguf").status().message(),
              AllOf(HasSubstr("'k.weight'"), HasSubstr("288 bytes"), HasSubstr("past the end")));
}

// Written by llama.cpp's own Python writer (gguf-py); see tests/data/gguf/README.md.
TEST_F(GgufTest, ReadsAFileWrittenByLlamaCppsGgufPy) {
  const std::string path = std::string(EDGERT_TEST_DATA_DIR) + "/gguf/gguf_py_types.gguf";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << "fixture missing: " << path;
  auto g = GgufFile::Open(path);
  ASSERT_TRUE(g.ok()) << g.status().message();
  EXPECT_EQ(g->version(), 3u);
  EXPECT_EQ(*g->GetString("general.architecture"), "qwen2");
  EXPECT_EQ(*g->GetInt("qwen2.block_count"), 2);
  EXPECT_EQ(*g->GetInt("test.u8"), 255);
  EXPECT_EQ(*g->GetInt("test.i8"), -128);
  EXPECT_EQ(*g->GetInt("test.u16"), 65535);
  EXPECT_EQ(*g->GetInt("test.i16"), -32768);
  EXPECT_EQ(*g->GetInt("test.i32"), -2147483648);
  EXPECT_EQ(*g->GetInt("test.u64"), int64_t{1} << 62);
  EXPECT_EQ(*g->GetInt("test.i64"), -(int64_t{1} << 62));
  EXPECT_EQ(*g->GetFloat("test.f32"), static_cast<double>(0.25f));
  EXPECT_EQ(*g->GetFloat("test.f64"), 1e-300);
  EXPECT_FALSE(*g->GetBool("test.bool"));
  EXPECT_EQ(*g->GetStrings("tokenizer.ggml.tokens"), (std::vector<std::string>{"<|endoftext|>", "\xc4\xa0hello", "x"}));
  EXPECT_EQ(*g->GetStrings("tokenizer.ggml.merges"), (std::vector<std::string>{"\xc4\xa0 h", "h e"}));
  EXPECT_EQ(*g->GetInts("tokenizer.ggml.token_type"), (std::vector<int64_t>{3, 1, 1}));
  EXPECT_EQ(*g->GetFloats("test.f32s"), (std::vector<double>{1.5, -2.0}));
  ASSERT_EQ(g->tensors().size(), 6u);
  const GgufTensor* w = g->Find("blk.0.attn_q.weight");
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(*w->dtype, DType::kF32);
  EXPECT_EQ(w->shape, (std::vector<int64_t>{3, 64}));  // numpy shape (3, 64)
  float v[2];
  std::memcpy(v, w->data.data() + 4 * 64, 8);  // row 1 = 64 + i
  EXPECT_EQ(v[0], 64.0f);
  EXPECT_EQ(v[1], 65.0f);
  EXPECT_EQ(*g->Find("f16")->dtype, DType::kF16);
  EXPECT_EQ(*g->Find("q8")->dtype, DType::kQ8_0);
  EXPECT_EQ(g->Find("q8")->shape, (std::vector<int64_t>{2, 64}));
  EXPECT_EQ(*g->Find("q4")->dtype, DType::kQ4_0);
  EXPECT_EQ(*g->Find("bf16")->dtype, DType::kBF16);
  // gguf-py quantized `r` with its numpy port of ggml's reference quantizers;
  // ours give the same bytes.
  const GgufTensor* r = g->Find("r");
  ASSERT_NE(r, nullptr);
  ASSERT_EQ(r->data.size(), 128u * 4);
  std::vector<float> rv(128);
  std::memcpy(rv.data(), r->data.data(), r->data.size());
  std::vector<BlockQ8_0> q8(4);
  std::vector<BlockQ4_0> q4(4);
  kernels::QuantizeRowQ8_0Ref(rv.data(), q8.data(), rv.size());
  kernels::QuantizeRowQ4_0Ref(rv.data(), q4.data(), rv.size());
  ASSERT_EQ(g->Find("q8")->data.size(), sizeof(BlockQ8_0) * 4);
  EXPECT_EQ(std::memcmp(g->Find("q8")->data.data(), q8.data(), sizeof(BlockQ8_0) * 4), 0);
  ASSERT_EQ(g->Find("q4")->data.size(), sizeof(BlockQ4_0) * 4);
  EXPECT_EQ(std::memcmp(g->Find("q4")->data.data(), q4.data(), sizeof(BlockQ4_0) * 4), 0);
  const GgufTensor* b = g->Find("bf16");
  ASSERT_EQ(b->data.size(), 64u * 2);
  for (size_t i = 0; i < 64; ++i) {
    uint16_t h;
    std::memcpy(&h, b->data.data() + 2 * i, 2);
    EXPECT_EQ(h, kernels::F32ToBF16(rv[i])) << i;
  }
}

// llama-quantize's own output (see tests/data/gguf/README.md): a 1-layer
// qwen2 model whose matrices tile tests/data/quant/input.f32, quantized with
// `llama-quantize --pure` to Q8_0 and Q4_0. Every quantized tensor equals our
// reference quantizer's bytes for the same floats, and the file, written by
// llama.cpp's C++ GGUF writer, reads cleanly.
TEST_F(GgufTest, LlamaQuantizeOutputEqualsOurQuantizers) {
  const std::string data = std::string(EDGERT_TEST_DATA_DIR);
  std::ifstream in(data + "/quant/input.f32", std::ios::binary);
  const std::string raw{std::istreambuf_iterator<char>(in), {}};
  ASSERT_EQ(raw.size(), 8192u * 4);
  std::vector<float> input(8192);
  std::memcpy(input.data(), raw.data(), raw.size());
  // The matrices in the order make_tiny_qwen2.py filled them from the tiled input.
  const std::vector<std::pair<std::string, std::vector<int64_t>>> matrices = {
      {"token_embd.weight", {64, 64}},       {"blk.0.attn_q.weight", {64, 64}},  {"blk.0.attn_k.weight", {32, 64}},
      {"blk.0.attn_v.weight", {32, 64}},     {"blk.0.attn_output.weight", {64, 64}}, {"blk.0.ffn_gate.weight", {128, 64}},
      {"blk.0.ffn_up.weight", {128, 64}},    {"blk.0.ffn_down.weight", {64, 128}}};
  for (const char* type : {"q8_0", "q4_0"}) {
    SCOPED_TRACE(type);
    auto g = GgufFile::Open(data + "/gguf/llama_quantize_" + type + ".gguf");
    ASSERT_TRUE(g.ok()) << g.status().message();
    EXPECT_EQ(*g->GetString("general.architecture"), "qwen2");
    EXPECT_EQ(g->tensors().size(), 14u);  // 8 matrices + 3 biases + 3 norms (kept f32)
    size_t next = 0;
    for (const auto& [name, shape] : matrices) {
      SCOPED_TRACE(name);
      const GgufTensor* t = g->Find(name);
      ASSERT_NE(t, nullptr);
      EXPECT_EQ(t->shape, shape);
      const size_t n = static_cast<size_t>(shape[0] * shape[1]);
      std::vector<float> x(n);
      for (size_t i = 0; i < n; ++i) x[i] = input[(next + i) % input.size()];
      next += n;
      std::vector<std::byte> ours(t->data.size());
      if (std::string(type) == "q8_0") {
        ASSERT_EQ(*t->dtype, DType::kQ8_0);
        ASSERT_EQ(ours.size(), n / 32 * sizeof(BlockQ8_0));
        kernels::QuantizeRowQ8_0Ref(x.data(), reinterpret_cast<BlockQ8_0*>(ours.data()), n);
      } else {
        ASSERT_EQ(*t->dtype, DType::kQ4_0);
        ASSERT_EQ(ours.size(), n / 32 * sizeof(BlockQ4_0));
        kernels::QuantizeRowQ4_0Ref(x.data(), reinterpret_cast<BlockQ4_0*>(ours.data()), n);
      }
      EXPECT_EQ(std::memcmp(ours.data(), t->data.data(), ours.size()), 0);
    }
    EXPECT_EQ(*g->Find("blk.0.attn_q.bias")->dtype, DType::kF32);
  }
}

// ---- damaged files: each error names the file and what is wrong ----

TEST_F(GgufTest, DamagedFilesNameTheFileAndTheProblem) {
  struct Case {
    const char* what;
    std::string bytes;
    StatusCode code;
    std::vector<std::string> says;
  };
  const auto one_tensor = [](std::vector<uint64_t> ne, uint32_t type, uint64_t offset, size_t data) {
    Raw r;
    r.Header(3, 1, 0).Tensor("blk.0.attn_q.weight", std::move(ne), type, offset).PadTo(32).Zeros(data);
    return r.str();
  };
  Raw dup_key, dup_tensor, overlap, nested, bad_type, bad_align, align_str, huge_kv, huge_tensors, long_key, long_str, long_array;
  dup_key.Header(3, 0, 2).Key("a", kU8).Put<uint8_t>(1).Key("a", kU8).Put<uint8_t>(2);
  dup_tensor.Header(3, 2, 0).Tensor("t", {8}, 0, 0).Tensor("t", {8}, 0, 32).PadTo(32).Zeros(64);
  overlap.Header(3, 2, 0).Tensor("a", {16}, 0, 0).Tensor("b", {8}, 0, 32).PadTo(32).Zeros(64);
  nested.Header(3, 0, 1).Key("n", kArray).U32(kArray).U64(1);
  bad_type.Header(3, 0, 1).Key("k", 13).U32(0);
  bad_align.Header(3, 0, 1).Key("general.alignment", kU32).U32(48);
  align_str.Header(3, 0, 1).Key("general.alignment", kString).Str("32");
  huge_kv.Header(3, 0, uint64_t{1} << 60);
  huge_tensors.Header(3, uint64_t{1} << 60, 0);
  long_key.Header(3, 0, 1).U64(1000).Zeros(20);
  long_str.Header(3, 0, 1).Key("s", kString).U64(uint64_t{1} << 62).Zeros(8);
  long_array.Header(3, 0, 1).Key("a", kArray).U32(kU32).U64(uint64_t{1} << 61).Zeros(8);
  Raw v1, v4, big_endian;
  v1.Header(1, 0, 0);
  v4.Header(4, 0, 0);
  big_endian.U32(0x46554747u).U32(0x03000000u).U64(0).U64(0);
  const std::vector<Case> cases = {
      {"empty", "", StatusCode::kCorruptFile, {"magic", "past the end"}},
      {"bad magic", "GGML\x03\0\0\0", StatusCode::kCorruptFile, {"not a GGUF file"}},
      {"truncated header", std::string("GGUF\x03\0\0\0\x01", 9), StatusCode::kCorruptFile, {"tensor count", "at byte 8", "past the end"}},
      {"version 1", v1.str(), StatusCode::kUnsupported, {"version 1"}},
      {"version 4", v4.str(), StatusCode::kUnsupported, {"version 4"}},
      {"big-endian", big_endian.str(), StatusCode::kUnsupported, {"big-endian"}},
      {"huge metadata count", huge_kv.str(), StatusCode::kCorruptFile, {"metadata", "cannot fit"}},
      {"huge tensor count", huge_tensors.str(), StatusCode::kCorruptFile, {"tensor index", "cannot fit"}},
      {"key length past end", long_key.str(), StatusCode::kCorruptFile, {"metadata key", "length 1000", "past the end"}},
      {"string length past end", long_str.str(), StatusCode::kCorruptFile, {"metadata 's'", "past the end"}},
      {"array length past end", long_array.str(), StatusCode::kCorruptFile, {"metadata 'a'", "cannot fit"}},
      {"unknown value type", bad_type.str(), StatusCode::kCorruptFile, {"metadata 'k'", "unknown value type 13"}},
      {"nested array", nested.str(), StatusCode::kUnsupported, {"metadata 'n'", "arrays of arrays"}},
      {"duplicate key", dup_key.str(), StatusCode::kCorruptFile, {"'a'", "twice"}},
      {"alignment not a power of two", bad_align.str(), StatusCode::kCorruptFile, {"general.alignment 48"}},
      {"alignment not an integer", align_str.str(), StatusCode::kCorruptFile, {"general.alignment", "integer"}},
      {"tensor data past end", one_tensor({64}, 0, 0, 100), StatusCode::kCorruptFile, {"'blk.0.attn_q.weight'", "256 bytes", "past the end"}},
      {"tensor offset past end", one_tensor({8}, 0, 1u << 20, 32), StatusCode::kCorruptFile, {"'blk.0.attn_q.weight'", "1048576", "past the end"}},
      {"misaligned offset", one_tensor({8}, 0, 4, 64), StatusCode::kCorruptFile, {"'blk.0.attn_q.weight'", "offset 4", "alignment 32"}},
      {"no dimensions", one_tensor({}, 0, 0, 32), StatusCode::kCorruptFile, {"'blk.0.attn_q.weight'", "0 dimensions"}},
      {"five dimensions", one_tensor({1, 1, 1, 1, 1}, 0, 0, 32), StatusCode::kCorruptFile, {"5 dimensions"}},
      {"negative dimension", one_tensor({uint64_t{1} << 63}, 0, 0, 32), StatusCode::kCorruptFile, {"dimension", "negative"}},
      {"shape overflows", one_tensor({uint64_t{1} << 40, uint64_t{1} << 40}, 0, 0, 32), StatusCode::kCorruptFile, {"overflows"}},
      {"not whole blocks", one_tensor({40}, 8, 0, 64), StatusCode::kCorruptFile, {"'blk.0.attn_q.weight'", "q8_0", "40", "block of 32"}},
      {"duplicate tensor", dup_tensor.str(), StatusCode::kCorruptFile, {"'t'", "twice"}},
      {"overlapping tensors", overlap.str(), StatusCode::kCorruptFile, {"'a'", "'b'", "overlap"}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    auto g = GgufFile::FromBytes(Bytes(c.bytes), "bad.gguf");
    ASSERT_FALSE(g.ok());
    EXPECT_EQ(g.status().code(), c.code) << g.status().message();
    EXPECT_THAT(g.status().message(), HasSubstr("bad.gguf"));
    for (const std::string& s : c.says) EXPECT_THAT(g.status().message(), HasSubstr(s));
  }
}

TEST_F(GgufTest, EveryTruncationOfAGoodFileIsACleanError) {
  const std::string path = dir_ / "t.gguf";
  const std::vector<float> x(40, 0.5f);
  ASSERT_TRUE(WriteGguf(path, {{"general.architecture", std::string("qwen2")}, {"k", std::vector<std::string>{"a", "bc"}}, {"n", uint64_t{3}}},
                        {{"a", DType::kF32, {8}, Bytes(x).first(32)}, {"b", DType::kF32, {2, 16}, Bytes(x).first(128)}})
                  .ok());
  const std::string full = ReadAll(path);
  ASSERT_TRUE(GgufFile::FromBytes(Bytes(full), "t.gguf").ok());
  // The tensors end exactly at the end of the file (160 bytes, no trailing padding).
  ASSERT_EQ(full.size(), GgufFile::FromBytes(Bytes(full), "t.gguf")->data_offset() + 160);
  for (size_t n = 0; n < full.size(); ++n) {
    auto g = GgufFile::FromBytes(Bytes(full.substr(0, n)), "t.gguf");
    ASSERT_FALSE(g.ok()) << "accepted the first " << n << " bytes";
    EXPECT_THAT(g.status().message(), HasSubstr("t.gguf"));
  }
}

TEST_F(GgufTest, OpenNamesAMissingFile) {
  auto g = GgufFile::Open(dir_ / "nope.gguf");
  ASSERT_FALSE(g.ok());
  EXPECT_THAT(g.status().message(), HasSubstr("nope.gguf"));
}

TEST_F(GgufTest, WriterRefusesBadInputAndLeavesNothingBehind) {
  const std::vector<float> x(4, 1.0f);
  const std::string path = dir_ / "w.gguf";
  EXPECT_THAT(WriteGguf(path, {{"a", true}, {"a", false}}, {}).message(), AllOf(HasSubstr("w.gguf"), HasSubstr("'a'"), HasSubstr("twice")));
  EXPECT_THAT(WriteGguf(path, {}, {{"t", DType::kF32, {4}, Bytes(x)}, {"t", DType::kF32, {4}, Bytes(x)}}).message(), HasSubstr("twice"));
  EXPECT_THAT(WriteGguf(path, {}, {{"t", DType::kF32, {5}, Bytes(x)}}).message(), AllOf(HasSubstr("'t'"), HasSubstr("16 bytes given"), HasSubstr("need 20")));
  EXPECT_THAT(WriteGguf(path, {}, {{"t", DType::kQ8_0, {31}, {}}}).message(), HasSubstr("'t'"));
  EXPECT_THAT(WriteGguf(path, {}, {{"t", DType::kF32, {1, 1, 1, 1, 4}, Bytes(x)}}).message(), HasSubstr("1 to 4 dimensions"));
  EXPECT_THAT(WriteGguf(path, {{"general.alignment", uint64_t{12}}}, {}).message(), HasSubstr("general.alignment"));
  EXPECT_FALSE(std::filesystem::exists(path));
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir_.path()), {}), 0) << "a temporary file was left behind";
}

}  // namespace
}  // namespace edgert
