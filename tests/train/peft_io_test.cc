// PEFT adapter folders: what we export reads back exactly, with PEFT's
// names and config keys; f16/bf16 folders are read; what we cannot apply is
// refused by name.
#include "runtime/train/peft_io.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "formats/safetensors/safetensors.h"
#include "tests/common/temp_dir.h"
#include "tests/train/micro_model.h"

namespace edgert {
namespace {

using ::testing::HasSubstr;

TEST(PeftIo, ExportReadsBackWithPeftNamesAndConfig) {
  const testing::TempDir temp("peft_io_test");
  auto model = testing::MicroModel(DType::kF32);
  LoraConfig c;
  c.rank = 4;
  c.alpha = 8;
  c.rslora = true;
  c.targets = *ParseLoraTargets("q_proj,v_proj,down_proj");
  auto adapter = LoraAdapter::Create(model->config(), c, 5);
  ASSERT_TRUE(adapter.ok());
  adapter->layers[1][6].b[3] = 0.5f;
  const std::string dir = (temp.path() / "peft").string();
  ASSERT_TRUE(ExportPeft(dir, *adapter, "Qwen/Qwen2.5-0.5B").ok());

  nlohmann::json j = nlohmann::json::parse(std::ifstream(dir + "/adapter_config.json"));
  EXPECT_EQ(j["peft_type"], "LORA");
  EXPECT_EQ(j["task_type"], "CAUSAL_LM");
  EXPECT_EQ(j["r"], 4);
  EXPECT_EQ(j["lora_alpha"], 8.0);
  EXPECT_EQ(j["use_rslora"], true);
  EXPECT_EQ(j["base_model_name_or_path"], "Qwen/Qwen2.5-0.5B");
  EXPECT_EQ(j["target_modules"], nlohmann::json({"q_proj", "v_proj", "down_proj"}));
  auto st = SafetensorsCheckpoint::Open(dir + "/adapter_model.safetensors");
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->tensors().size(), 2u * 3 * 2);
  const SafetensorsTensor* b = st->Find("base_model.model.model.layers.1.mlp.down_proj.lora_B.weight");
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->shape, (std::vector<int64_t>{32, 4}));

  auto back = ImportPeft(dir, model->config());
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->config.rank, 4);
  EXPECT_TRUE(back->config.rslora);
  EXPECT_EQ(back->config.targets, c.targets);
  for (size_t l = 0; l < 2; ++l) {
    for (size_t t = 0; t < 7; ++t) {
      EXPECT_EQ(back->layers[l][t].a, adapter->layers[l][t].a);
      EXPECT_EQ(back->layers[l][t].b, adapter->layers[l][t].b);
    }
  }
}

TEST(PeftIo, ReadsHalfPrecisionAndRefusesWhatItCannotApply) {
  const testing::TempDir temp("peft_io_test");
  auto model = testing::MicroModel(DType::kF32);
  const std::string dir = temp.path().string();
  auto write_config = [&](const std::string& extra) {
    std::ofstream(dir + "/adapter_config.json")
        << R"({"peft_type": "LORA", "r": 2, "lora_alpha": 4, "target_modules": ["q_proj"])" << extra << "}";
  };
  // q_proj of a hidden-32 model: A [2, 32], B [32, 2]; f16 1.0 = 0x3c00, bf16 0.5 = 0x3f00.
  std::vector<uint16_t> ones(64, 0x3c00), halves(64, 0x3f00);
  std::vector<SafetensorsOut> ts;
  for (int l = 0; l < 2; ++l) {
    const std::string p = "base_model.model.model.layers." + std::to_string(l) + ".self_attn.q_proj.";
    ts.push_back({p + "lora_A.weight", DType::kF16, {2, 32}, std::as_bytes(std::span(ones))});
    ts.push_back({p + "lora_B.weight", DType::kBF16, {32, 2}, std::as_bytes(std::span(halves))});
  }
  ASSERT_TRUE(WriteSafetensors(dir + "/adapter_model.safetensors", ts).ok());
  write_config("");
  auto a = ImportPeft(dir, model->config());
  ASSERT_TRUE(a.ok()) << a.status().message();
  EXPECT_EQ(a->layers[1][0].a[7], 1.0f);
  EXPECT_EQ(a->layers[1][0].b[9], 0.5f);
  write_config(R"(, "use_dora": true)");
  EXPECT_THAT(ImportPeft(dir, model->config()).status().message(), HasSubstr("DoRA"));
  write_config(R"(, "rank_pattern": {"q_proj": 4})");
  EXPECT_THAT(ImportPeft(dir, model->config()).status().message(), HasSubstr("rank_pattern"));
  std::ofstream(dir + "/adapter_config.json") << R"({"r": 2, "lora_alpha": 4, "target_modules": "q_proj|v_proj"})";
  EXPECT_THAT(ImportPeft(dir, model->config()).status().message(), HasSubstr("regular expression"));
  std::ofstream(dir + "/adapter_config.json") << R"({"r": 4, "lora_alpha": 4, "target_modules": ["q_proj"]})";
  EXPECT_THAT(ImportPeft(dir, model->config()).status().message(), HasSubstr("wrong shape"));
}

}  // namespace
}  // namespace edgert
