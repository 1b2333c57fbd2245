// Converter: presets, random weights, dtypes, config.json, and refusals.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "formats/etm/etm_reader.h"
#include "kernels/convert/quantize.h"
#include "runtime/convert/converter.h"
#include "runtime/convert/hf_config.h"
#include "runtime/convert/random_source.h"
#include "tests/etm/test_model.h"
#include "tests/common/temp_dir.h"

namespace edgert {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

class ConvertTest : public ::testing::Test {
 protected:
  void SetUp() override { temp_ = std::make_unique<testing::TempDir>("convert_test"); dir_ = temp_->path(); }

  // A config.json for the micro model, written to the temp dir.
  std::string WriteConfig(const std::string& body) {
    const std::string path = (dir_ / "config.json").string();
    std::ofstream(path) << body;
    return path;
  }

  static constexpr const char* kMicroConfig = R"({
    "architectures": ["Qwen2ForCausalLM"], "vocab_size": 64, "hidden_size": 32,
    "intermediate_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4,
    "num_key_value_heads": 2, "max_position_embeddings": 128, "rms_norm_eps": 1e-6,
    "rope_theta": 1000000.0, "tie_word_embeddings": true, "bos_token_id": 0, "eos_token_id": 1})";

  Result<ModelFile> ConvertMicro(const std::string& name, std::optional<DType> dtype, uint64_t seed = 1) {
    auto src = OpenRandomSource(WriteConfig(kMicroConfig), seed);
    if (!src.ok()) return src.status();
    ConvertOptions o;
    o.out_path = (dir_ / name).string();
    o.matrix_dtype = dtype;
    o.tokenizer = testing::MicroMetadata().tokenizer;
    EDGERT_RETURN_IF_ERROR(ConvertToEtm(**src, o));
    return ModelFile::Open(o.out_path);
  }

  std::unique_ptr<testing::TempDir> temp_;
  fs::path dir_;
};

TEST(Presets, ParameterCountsMatchHuggingFace) {
  EXPECT_EQ(ParameterCount(*PresetConfig("qwen2.5-0.5b")), 494032768);
  EXPECT_EQ(ParameterCount(*PresetConfig("qwen2.5-1.5b")), 1543714304);
  EXPECT_FALSE(PresetConfig("qwen9").ok());
}

TEST_F(ConvertTest, RandomWeightsAreDeterministicAndPlausible) {
  auto a = ConvertMicro("a.etm", DType::kF32, 5);
  auto b = ConvertMicro("b.etm", DType::kF32, 5);
  auto c = ConvertMicro("c.etm", DType::kF32, 6);
  ASSERT_TRUE(a.ok()) << a.status().message();
  ASSERT_TRUE(b.ok() && c.ok());
  for (size_t i = 0; i < a->tensors().size(); ++i) {
    EXPECT_EQ(a->tensors()[i].checksum, b->tensors()[i].checksum) << a->tensors()[i].name;
    EXPECT_NE(a->tensors()[i].checksum, c->tensors()[i].checksum) << a->tensors()[i].name;
  }
  EXPECT_TRUE(a->VerifyChecksums().ok());
  // Matrices ~ N(0, 0.02), norms ~ 1.
  const auto stats = [&](const char* name) {
    const auto data = a->TensorData(*a->Find(name));
    const float* x = reinterpret_cast<const float*>(data.data());
    const size_t n = data.size() / 4;
    double sum = 0, sq = 0;
    for (size_t i = 0; i < n; ++i) sum += x[i], sq += double(x[i]) * x[i];
    const double mean = sum / double(n);
    return std::pair(mean, std::sqrt(sq / double(n) - mean * mean));
  };
  const auto [m_mean, m_std] = stats("model.embed_tokens.weight");
  EXPECT_NEAR(m_mean, 0.0, 0.002);
  EXPECT_NEAR(m_std, 0.02, 0.002);
  const auto [n_mean, n_std] = stats("model.layers.0.input_layernorm.weight");
  EXPECT_NEAR(n_mean, 1.0, 0.01);
  EXPECT_LT(n_std, 0.04);
}

TEST_F(ConvertTest, QuantizedMatricesAreTheQuantizedF32) {
  auto f32 = ConvertMicro("f.etm", DType::kF32);
  auto q8 = ConvertMicro("q8.etm", DType::kQ8_0);
  auto q4 = ConvertMicro("q4.etm", DType::kQ4_0);
  ASSERT_TRUE(f32.ok() && q8.ok() && q4.ok());
  for (const TensorInfo& t : f32->tensors()) {
    const TensorInfo& t8 = *q8->Find(t.name);
    const TensorInfo& t4 = *q4->Find(t.name);
    if (t.shape.size() == 1) {  // norms and biases stay f32, byte for byte
      EXPECT_EQ(t8.dtype, DType::kF32);
      EXPECT_EQ(t8.checksum, t.checksum);
      continue;
    }
    ASSERT_EQ(t8.dtype, DType::kQ8_0);
    ASSERT_EQ(t4.dtype, DType::kQ4_0);
    const auto x = f32->TensorData(t);
    const size_t n = x.size() / 4;
    std::vector<BlockQ8_0> e8(n / 32);
    std::vector<BlockQ4_0> e4(n / 32);
    kernels::QuantizeRowQ8_0Ref(reinterpret_cast<const float*>(x.data()), e8.data(), n);
    kernels::QuantizeRowQ4_0Ref(reinterpret_cast<const float*>(x.data()), e4.data(), n);
    ASSERT_EQ(std::memcmp(q8->TensorData(t8).data(), e8.data(), t8.size), 0) << t.name;
    ASSERT_EQ(std::memcmp(q4->TensorData(t4).data(), e4.data(), t4.size), 0) << t.name;
  }
}

TEST_F(ConvertTest, TokenizerMustFitTheVocabulary) {
  auto src = OpenRandomSource(WriteConfig(kMicroConfig), 1);
  ASSERT_TRUE(src.ok());
  ConvertOptions o;
  o.out_path = (dir_ / "x.etm").string();
  o.tokenizer = testing::MicroMetadata().tokenizer;
  o.tokenizer->added_tokens[0].id = 70;
  const Status st = ConvertToEtm(**src, o);
  EXPECT_THAT(st.message(), HasSubstr("outside the model's vocabulary of 64"));
  EXPECT_FALSE(fs::exists(o.out_path));
  o.tokenizer.reset();
  EXPECT_THAT(ConvertToEtm(**src, o).message(), HasSubstr("has no tokenizer"));
}

TEST_F(ConvertTest, QuantizationNeedsWholeBlocks) {
  auto src = OpenRandomSource(WriteConfig(R"({"architectures": ["Qwen2ForCausalLM"], "vocab_size": 64,
      "hidden_size": 40, "intermediate_size": 64, "num_hidden_layers": 1, "num_attention_heads": 4,
      "num_key_value_heads": 2})"), 1);
  ASSERT_TRUE(src.ok()) << src.status().message();
  ConvertOptions o;
  o.out_path = (dir_ / "x.etm").string();
  o.matrix_dtype = DType::kQ4_0;
  o.tokenizer = testing::MicroMetadata().tokenizer;
  EXPECT_THAT(ConvertToEtm(**src, o).message(), HasSubstr("not a multiple of 32"));
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_), {}), 1) << "only config.json may remain";
}

TEST(HfConfig, ReadsQwenAndLlama) {
  auto q = ParseHfConfig(R"({"architectures": ["Qwen2ForCausalLM"], "vocab_size": 151936, "hidden_size": 896,
      "intermediate_size": 4864, "num_hidden_layers": 24, "num_attention_heads": 14, "num_key_value_heads": 2,
      "max_position_embeddings": 32768, "rms_norm_eps": 1e-06, "rope_theta": 1000000.0,
      "tie_word_embeddings": true, "bos_token_id": 151643, "eos_token_id": 151643, "rope_scaling": null})",
                         "config.json");
  ASSERT_TRUE(q.ok()) << q.status().message();
  EXPECT_EQ(q->head_dim, 64);
  EXPECT_TRUE(q->attention_bias);
  EXPECT_EQ(ParameterCount(*q), 494032768);
  auto l = ParseHfConfig(R"({"architectures": ["LlamaForCausalLM"], "vocab_size": 128, "hidden_size": 64,
      "intermediate_size": 128, "num_hidden_layers": 2, "num_attention_heads": 4, "eos_token_id": [1, 2]})",
                         "config.json");
  ASSERT_TRUE(l.ok()) << l.status().message();
  EXPECT_FALSE(l->attention_bias);
  EXPECT_EQ(l->num_key_value_heads, 4);
  EXPECT_EQ(l->eos_token_id, 1);
  EXPECT_FALSE(l->tie_word_embeddings);
}

TEST(HfConfig, ErrorsNameTheField) {
  EXPECT_THAT(ParseHfConfig(R"({"architectures": ["Qwen2ForCausalLM"], "vocab_size": 10})", "c.json").status().message(),
              HasSubstr("c.json: missing field 'hidden_size'"));
  EXPECT_THAT(ParseHfConfig(R"({"architectures": ["Qwen2ForCausalLM"], "vocab_size": "x"})", "c.json").status().message(),
              HasSubstr("field 'vocab_size' must be an integer"));
  EXPECT_THAT(ParseHfConfig(R"({"architectures": ["GPT2LMHeadModel"]})", "c.json").status().message(),
              HasSubstr("architecture 'GPT2LMHeadModel'"));
  EXPECT_THAT(ParseHfConfig(R"({"architectures": )", "c.json").status().message(), HasSubstr("not valid JSON at byte"));
}

}  // namespace
}  // namespace edgert
