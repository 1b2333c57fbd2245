#include "runtime/train/adapter_io.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "runtime/convert/converter.h"
#include "runtime/convert/random_source.h"
#include "tests/etm/test_model.h"
#include "tests/common/temp_dir.h"

namespace edgert {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

std::string MakeModel(const fs::path& dir, uint64_t seed) {
  const std::string config = (dir / "config.json").string();
  std::ofstream(config) << R"({"architectures": ["Qwen2ForCausalLM"], "vocab_size": 64, "hidden_size": 32,
    "intermediate_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2,
    "tie_word_embeddings": true})";
  auto src = OpenRandomSource(config, seed);
  ConvertOptions o;
  std::string name = "m";  // (not "m" + to_string: GCC 12 warns falsely on that)
  name += std::to_string(seed);
  o.out_path = (dir / (name + ".etm")).string();
  o.tokenizer = testing::MicroMetadata().tokenizer;
  EXPECT_TRUE(ConvertToEtm(**src, o).ok());
  return o.out_path;
}

TEST(AdapterIo, RoundTripsAndRefusesAnotherBase) {
  const testing::TempDir temp("adapter_io_test");
  const fs::path& dir = temp.path();
  auto base = ModelFile::Open(MakeModel(dir, 1));
  auto other = ModelFile::Open(MakeModel(dir, 2));
  ASSERT_TRUE(base.ok() && other.ok());
  EXPECT_NE(base->fingerprint(), other->fingerprint());
  LoraConfig cfg;
  cfg.rank = 4;
  cfg.targets = *ParseLoraTargets("q_proj,down_proj");
  auto adapter = LoraAdapter::Create(base->config(), cfg, 3);
  ASSERT_TRUE(adapter.ok());
  adapter->layers[1][6].b[5] = 0.25f;
  const std::string path = (dir / "a.eta").string();
  ASSERT_TRUE(SaveAdapter(path, *adapter, *base).ok());
  auto back = LoadAdapter(path, *base);
  ASSERT_TRUE(back.ok()) << back.status().message();
  for (size_t l = 0; l < 2; ++l) {
    for (size_t t = 0; t < 7; ++t) {
      EXPECT_EQ(back->layers[l][t].a, adapter->layers[l][t].a);
      EXPECT_EQ(back->layers[l][t].b, adapter->layers[l][t].b);
    }
  }
  EXPECT_EQ(AdapterTensors(*back)[0].name, "base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight");
  EXPECT_THAT(LoadAdapter(path, *other).status().message(), HasSubstr("trained for another base model"));
  std::ofstream(dir / "junk.eta") << "not an adapter";
  EXPECT_THAT(LoadAdapter((dir / "junk.eta").string(), *base).status().message(), HasSubstr("not an edge-rt adapter"));
}

}  // namespace
}  // namespace edgert
