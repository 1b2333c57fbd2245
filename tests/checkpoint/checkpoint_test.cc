// Reading checkpoints people have: Hugging Face safetensors (single and
// sharded) and GGUF; converting them; and every kind of damage.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>

#include "formats/etm/etm_reader.h"
#include "formats/gguf/gguf.h"
#include "formats/safetensors/safetensors.h"
#include "kernels/convert/fp16.h"
#include "kernels/convert/quantize.h"
#include "runtime/convert/converter.h"
#include "runtime/convert/open_source.h"
#include "runtime/export/gguf_export.h"
#include "runtime/tokenizer/pretokenizer.h"
#include "tests/etm/test_model.h"
#include "tests/common/temp_dir.h"

namespace edgert {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

constexpr const char* kMicroConfig = R"({"architectures": ["Qwen2ForCausalLM"], "vocab_size": 64, "hidden_size": 32,
  "intermediate_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2,
  "max_position_embeddings": 128, "rope_theta": 1000000.0, "tie_word_embeddings": true})";

class CheckpointTest : public ::testing::Test {
 protected:
  void SetUp() override { temp_ = std::make_unique<testing::TempDir>("checkpoint_test"); dir_ = temp_->path(); }

  // Random f32 values for every tensor of the micro config, by HF name.
  std::map<std::string, std::vector<float>> MicroWeights(uint32_t seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> n(0.0f, 0.05f);
    std::map<std::string, std::vector<float>> w;
    for (const TensorSpec& s : ExpectedTensors(testing::MicroConfig())) {
      int64_t count = 1;
      for (int64_t d : s.shape) count *= d;
      std::vector<float> v(static_cast<size_t>(count));
      for (float& x : v) x = n(rng);
      w[s.name] = std::move(v);
    }
    return w;
  }

  // A Hugging Face folder with those weights in `dtype`, in `shards` files.
  std::string WriteHfFolder(const std::map<std::string, std::vector<float>>& w, DType dtype, int shards) {
    const fs::path folder = dir_ / "hf";
    fs::create_directories(folder);
    std::ofstream(folder / "config.json") << kMicroConfig;
    std::vector<std::vector<SafetensorsOut>> files(static_cast<size_t>(shards));
    std::vector<std::vector<uint16_t>> storage;
    storage.reserve(w.size());
    nlohmann::json index = {{"weight_map", nlohmann::json::object()}};
    size_t i = 0;
    for (const TensorSpec& s : ExpectedTensors(testing::MicroConfig())) {
      const std::vector<float>& v = w.at(s.name);
      SafetensorsOut o{s.name, dtype, s.shape, {}};
      if (dtype == DType::kF32) {
        o.data = std::as_bytes(std::span(v));
      } else {
        storage.emplace_back(v.size());
        for (size_t k = 0; k < v.size(); ++k) {
          storage.back()[k] = dtype == DType::kF16 ? kernels::F32ToF16(v[k]) : kernels::F32ToBF16(v[k]);
        }
        o.data = std::as_bytes(std::span(storage.back()));
      }
      const size_t shard = i++ % static_cast<size_t>(shards);
      files[shard].push_back(o);
      index["weight_map"][s.name] = "model-0000" + std::to_string(shard + 1) + ".safetensors";
    }
    if (shards == 1) {
      EXPECT_TRUE(WriteSafetensors((folder / "model.safetensors").string(), files[0]).ok());
    } else {
      for (int s = 0; s < shards; ++s) {
        EXPECT_TRUE(WriteSafetensors((folder / ("model-0000" + std::to_string(s + 1) + ".safetensors")).string(),
                                     files[static_cast<size_t>(s)]).ok());
      }
      std::ofstream(folder / "model.safetensors.index.json") << index.dump();
    }
    return folder.string();
  }

  Result<ModelFile> Convert(const std::string& from, std::optional<DType> quant, const std::string& out_name,
                            bool keep_tokenizer = false) {
    auto src = OpenCheckpoint(from);
    if (!src.ok()) return src.status();
    ConvertOptions o;
    o.out_path = (dir_ / out_name).string();
    o.matrix_dtype = quant;
    if (!keep_tokenizer) {
      o.tokenizer = testing::MicroMetadata().tokenizer;
      o.tokenizer->pretokenizer_regex = kQwen2SplitPattern;  // what GGUF export can name
    }
    EDGERT_RETURN_IF_ERROR(ConvertToEtm(**src, o));
    return ModelFile::Open(o.out_path);
  }

  std::unique_ptr<testing::TempDir> temp_;
  fs::path dir_;
};

TEST_F(CheckpointTest, SafetensorsSingleAndShardedConvertToTheSameModel) {
  const auto w = MicroWeights(1);
  auto single = Convert(WriteHfFolder(w, DType::kF32, 1), std::nullopt, "single.etm");
  ASSERT_TRUE(single.ok()) << single.status().message();
  fs::remove_all(dir_ / "hf");
  auto sharded = Convert(WriteHfFolder(w, DType::kF32, 3), std::nullopt, "sharded.etm");
  ASSERT_TRUE(sharded.ok()) << sharded.status().message();
  for (const TensorInfo& t : single->tensors()) {
    EXPECT_EQ(t.checksum, sharded->Find(t.name)->checksum) << t.name;
    const auto data = single->TensorData(t);
    ASSERT_EQ(std::memcmp(data.data(), w.at(t.name).data(), data.size()), 0) << t.name << " is not the source's f32";
  }
}

TEST_F(CheckpointTest, HalfPrecisionSourcesConvertExactly) {
  const auto w = MicroWeights(2);
  for (DType dtype : {DType::kF16, DType::kBF16}) {
    fs::remove_all(dir_ / "hf");
    auto m = Convert(WriteHfFolder(w, dtype, 1), std::nullopt, "half.etm");
    ASSERT_TRUE(m.ok()) << m.status().message();
    const TensorInfo& t = *m->Find("model.layers.1.mlp.up_proj.weight");
    EXPECT_EQ(t.dtype, dtype);  // kept as it was: copied, not converted
    const TensorInfo& norm = *m->Find("model.norm.weight");
    EXPECT_EQ(norm.dtype, DType::kF32);
    const float* x = reinterpret_cast<const float*>(m->TensorData(norm).data());
    const float want = dtype == DType::kF16 ? kernels::F16ToF32(kernels::F32ToF16(w.at("model.norm.weight")[3]))
                                            : kernels::BF16ToF32(kernels::F32ToBF16(w.at("model.norm.weight")[3]));
    EXPECT_EQ(x[3], want);
  }
}

TEST_F(CheckpointTest, QuantizingASafetensorsCheckpointEqualsTheReferenceQuantizer) {
  const auto w = MicroWeights(3);
  auto m = Convert(WriteHfFolder(w, DType::kF32, 1), DType::kQ4_0, "q4.etm");
  ASSERT_TRUE(m.ok()) << m.status().message();
  const std::string name = "model.layers.0.self_attn.o_proj.weight";
  const std::vector<float>& x = w.at(name);
  std::vector<BlockQ4_0> want(x.size() / 32);
  kernels::QuantizeRowQ4_0Ref(x.data(), want.data(), x.size());
  EXPECT_EQ(std::memcmp(m->TensorData(*m->Find(name)).data(), want.data(), want.size() * sizeof(BlockQ4_0)), 0);
}

TEST_F(CheckpointTest, GgufQuantizedTensorsAreCopiedBlockForBlock) {
  // A qwen2 GGUF with Q8_0 matrices, written with our writer in llama.cpp's layout.
  const auto w = MicroWeights(4);
  std::vector<std::vector<std::byte>> storage;
  std::vector<GgufOutTensor> tensors;
  auto gguf_name = [](const std::string& hf) {
    std::string s = hf;
    auto rep = [&](const std::string& a, const std::string& b) {
      const size_t p = s.find(a);
      if (p != std::string::npos) s.replace(p, a.size(), b);
    };
    rep("model.embed_tokens.weight", "token_embd.weight");
    rep("model.norm.weight", "output_norm.weight");
    rep("model.layers.", "blk.");
    rep("input_layernorm", "attn_norm");
    rep("post_attention_layernorm", "ffn_norm");
    rep("self_attn.q_proj", "attn_q");
    rep("self_attn.k_proj", "attn_k");
    rep("self_attn.v_proj", "attn_v");
    rep("self_attn.o_proj", "attn_output");
    rep("mlp.gate_proj", "ffn_gate");
    rep("mlp.up_proj", "ffn_up");
    rep("mlp.down_proj", "ffn_down");
    return s;
  };
  for (const TensorSpec& s : ExpectedTensors(testing::MicroConfig())) {
    const std::vector<float>& v = w.at(s.name);
    if (s.is_matrix) {
      storage.emplace_back(v.size() / 32 * sizeof(BlockQ8_0));
      kernels::QuantizeRowQ8_0Ref(v.data(), reinterpret_cast<BlockQ8_0*>(storage.back().data()), v.size());
      tensors.push_back({gguf_name(s.name), DType::kQ8_0, s.shape, storage.back()});
    } else {
      tensors.push_back({gguf_name(s.name), DType::kF32, s.shape, std::as_bytes(std::span(v))});
    }
  }
  const std::vector<std::pair<std::string, GgufValue>> meta = {
      {"general.architecture", std::string("qwen2")},
      {"qwen2.embedding_length", uint64_t{32}},
      {"qwen2.feed_forward_length", uint64_t{64}},
      {"qwen2.block_count", uint64_t{2}},
      {"qwen2.attention.head_count", uint64_t{4}},
      {"qwen2.attention.head_count_kv", uint64_t{2}},
      {"qwen2.context_length", uint64_t{128}},
      {"qwen2.attention.layer_norm_rms_epsilon", 1e-6},
      {"qwen2.rope.freq_base", 1000000.0}};
  const std::string path = (dir_ / "m.gguf").string();
  ASSERT_TRUE(WriteGguf(path, meta, tensors).ok());
  auto m = Convert(path, std::nullopt, "from_gguf.etm");
  ASSERT_TRUE(m.ok()) << m.status().message();
  EXPECT_EQ(m->config().hidden_size, 32);
  EXPECT_TRUE(m->config().tie_word_embeddings);
  EXPECT_FLOAT_EQ(m->config().rope_theta, 1e6f);
  size_t k = 0;
  for (const TensorSpec& s : ExpectedTensors(testing::MicroConfig())) {
    const TensorInfo& t = *m->Find(s.name);
    EXPECT_EQ(t.dtype, s.is_matrix ? DType::kQ8_0 : DType::kF32) << s.name;
    ASSERT_EQ(t.size, tensors[k].data.size());
    EXPECT_EQ(std::memcmp(m->TensorData(t).data(), tensors[k].data.data(), t.size), 0) << s.name;
    ++k;
  }
  // And requantizing to Q4_0 goes through f32.
  auto q4 = Convert(path, DType::kQ4_0, "q4.etm");
  ASSERT_TRUE(q4.ok()) << q4.status().message();
  EXPECT_EQ(q4->Find("model.layers.0.mlp.up_proj.weight")->dtype, DType::kQ4_0);
}

TEST_F(CheckpointTest, GgufExportRoundTripsBlockForBlock) {
  const auto w = MicroWeights(7);
  auto m = Convert(WriteHfFolder(w, DType::kF32, 1), DType::kQ4_0, "q4.etm");
  ASSERT_TRUE(m.ok()) << m.status().message();
  const std::string gguf = (dir_ / "out.gguf").string();
  ASSERT_TRUE(ExportGguf(*m, gguf).ok());
  auto g = GgufFile::Open(gguf);
  ASSERT_TRUE(g.ok()) << g.status().message();
  EXPECT_EQ(*g->GetString("general.architecture"), "qwen2");
  EXPECT_EQ(*g->GetInt("qwen2.block_count"), 2);
  EXPECT_EQ(g->GetStrings("tokenizer.ggml.tokens")->size(), 64u);  // padded to the embedding's rows
  EXPECT_EQ(g->Find("blk.1.ffn_down.weight")->dtype, DType::kQ4_0);
  auto back = Convert(gguf, std::nullopt, "back.etm", /*keep_tokenizer=*/true);
  ASSERT_TRUE(back.ok()) << back.status().message();
  for (const TensorInfo& t : m->tensors()) EXPECT_EQ(back->Find(t.name)->checksum, t.checksum) << t.name;
  EXPECT_EQ(back->metadata().tokenizer.vocab, m->metadata().tokenizer.vocab);
}

TEST_F(CheckpointTest, QwenHalfBillionShapesReportTheExactParameterCount) {
  // A sparse 2 GB checkpoint with Qwen2.5-0.5B's config: written instantly,
  // read through the real safetensors path.
  const fs::path folder = dir_ / "qwen05";
  fs::create_directories(folder);
  std::ofstream(folder / "config.json") << R"({"architectures": ["Qwen2ForCausalLM"], "vocab_size": 151936,
    "hidden_size": 896, "intermediate_size": 4864, "num_hidden_layers": 24, "num_attention_heads": 14,
    "num_key_value_heads": 2, "max_position_embeddings": 32768, "rms_norm_eps": 1e-06, "rope_theta": 1000000.0,
    "tie_word_embeddings": true})";
  const ModelConfig c = *PresetConfig("qwen2.5-0.5b");
  std::vector<SafetensorsOut> zeros;
  for (const TensorSpec& s : ExpectedTensors(c)) zeros.push_back({s.name, DType::kF32, s.shape, {}});
  ASSERT_TRUE(WriteSafetensors((folder / "model.safetensors").string(), zeros).ok());
  auto src = OpenCheckpoint(folder.string());
  ASSERT_TRUE(src.ok()) << src.status().message();
  int64_t params = 0;
  for (const TensorSpec& s : ExpectedTensors((*src)->config())) {
    const SourceTensor* t = (*src)->Find(s.name);
    ASSERT_NE(t, nullptr) << s.name;
    int64_t n = 1;
    for (int64_t d : t->shape) n *= d;
    params += n;
  }
  EXPECT_EQ(params, 494032768);
  EXPECT_EQ(ParameterCount((*src)->config()), 494032768);
}

TEST_F(CheckpointTest, DamagedSafetensorsNameTheFileAndTheProblem) {
  const std::string good = WriteHfFolder(MicroWeights(5), DType::kF32, 1);
  const std::string file = good + "/model.safetensors";
  std::ifstream in(file, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), {});
  auto open_bytes = [&](const std::string& b) {
    auto c = SafetensorsCheckpoint::FromBytes(std::as_bytes(std::span(b.data(), b.size())), "x.safetensors");
    return c.ok() ? std::string("ok") : c.status().message();
  };
  EXPECT_THAT(open_bytes(bytes.substr(0, 4)), HasSubstr("too short"));
  EXPECT_THAT(open_bytes(bytes.substr(0, 100)), HasSubstr("runs past the end"));
  EXPECT_THAT(open_bytes(bytes.substr(0, bytes.size() - 10)), HasSubstr("past the end of the data"));
  std::string bad_json = bytes;
  bad_json[9] = '!';
  EXPECT_THAT(open_bytes(bad_json), HasSubstr("not valid JSON"));
  std::string i64 = bytes;
  const size_t f32 = i64.find("\"F32\"");
  i64.replace(f32, 5, "\"I64\"");
  EXPECT_THAT(open_bytes(i64), HasSubstr("dtype I64"));
  std::ofstream(good + "/model.safetensors.index.json") << R"({"weight_map": {"a": "missing.safetensors"}})";
  auto missing = OpenCheckpoint(good);
  EXPECT_THAT(missing.status().message(), HasSubstr("missing.safetensors: cannot open"));
}

TEST_F(CheckpointTest, ConfigAndShapeMistakesAreRefused) {
  const std::string folder = WriteHfFolder(MicroWeights(6), DType::kF32, 1);
  std::ofstream(folder + "/config.json") << R"({"architectures": ["Qwen2ForCausalLM"], "vocab_size": 64})";
  EXPECT_THAT(Convert(folder, std::nullopt, "x.etm").status().message(), HasSubstr("missing field 'hidden_size'"));
  std::string wider = kMicroConfig;
  wider.replace(wider.find("\"intermediate_size\": 64"), 23, "\"intermediate_size\": 96");
  std::ofstream(folder + "/config.json") << wider;
  EXPECT_THAT(Convert(folder, std::nullopt, "x.etm").status().message(), HasSubstr("but the config implies [96, 32]"));
  EXPECT_FALSE(fs::exists(dir_ / "x.etm"));
}

TEST_F(CheckpointTest, DamagedGgufIsACleanError) {
  std::vector<float> v(64, 1.0f);
  const std::string path = (dir_ / "t.gguf").string();
  ASSERT_TRUE(WriteGguf(path, {{"general.architecture", std::string("qwen2")}, {"k", std::vector<std::string>{"a", "b"}}},
                        {{"w", DType::kF32, {2, 32}, std::as_bytes(std::span(v))}}).ok());
  std::ifstream in(path, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), {});
  auto ok = GgufFile::FromBytes(std::as_bytes(std::span(bytes.data(), bytes.size())), "t.gguf");
  ASSERT_TRUE(ok.ok()) << ok.status().message();
  EXPECT_EQ(ok->tensors()[0].shape, (std::vector<int64_t>{2, 32}));
  EXPECT_EQ(*ok->GetStrings("k"), (std::vector<std::string>{"a", "b"}));
  for (size_t cut = 0; cut < bytes.size(); cut += 7) {
    const std::string part = bytes.substr(0, cut);
    auto f = GgufFile::FromBytes(std::as_bytes(std::span(part.data(), part.size())), "t.gguf");
    EXPECT_FALSE(f.ok()) << "cut at " << cut;
    if (!f.ok()) {
      EXPECT_THAT(f.status().message(), HasSubstr("t.gguf"));
    }
  }
  std::string huge = bytes;
  huge[16] = '\xff';  // metadata count
  EXPECT_FALSE(GgufFile::FromBytes(std::as_bytes(std::span(huge.data(), huge.size())), "t.gguf").ok());
  std::string magic = bytes;
  magic[0] = 'X';
  EXPECT_THAT(GgufFile::FromBytes(std::as_bytes(std::span(magic.data(), magic.size())), "t.gguf").status().message(),
              HasSubstr("not a GGUF file"));
}

}  // namespace
}  // namespace edgert
