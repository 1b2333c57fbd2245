// tests/train/micro_model.h: a two-layer (or `layers`-layer) Qwen2-shaped
// model with random weights (vocab 64 or `vocab`, hidden 32, GQA 4/2), written
// once per test process.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "runtime/convert/converter.h"
#include "runtime/convert/random_source.h"
#include "runtime/model/session.h"
#include "tests/common/temp_dir.h"
#include "tests/etm/test_model.h"

namespace edgert::testing {

inline std::shared_ptr<const Model> MicroModel(DType dtype, int layers = 2, int vocab = 64) {
  static const TempDir temp("micro_model");  // lives for the process
  const std::filesystem::path& dir = temp.path();
  std::string stem = layers == 2 ? std::string() : std::to_string(layers) + "-layers-";
  if (vocab != 64) stem += std::to_string(vocab) + "-vocab-";
  const std::string config = (dir / (stem + "config.json")).string();
  std::ofstream(config) << R"({"architectures": ["Qwen2ForCausalLM"], "vocab_size": )" << vocab << R"(, "hidden_size": 32,
    "intermediate_size": 64, "num_hidden_layers": )" << layers << R"(, "num_attention_heads": 4, "num_key_value_heads": 2,
    "max_position_embeddings": 64, "rope_theta": 10000.0, "tie_word_embeddings": true})";
  auto src = OpenRandomSource(config, 3);
  EXPECT_TRUE(src.ok());
  ConvertOptions o;
  o.out_path = (dir / (stem + std::string(DTypeName(dtype)) + ".etm")).string();
  o.matrix_dtype = dtype;
  o.tokenizer = MicroMetadata().tokenizer;
  if (!std::filesystem::exists(o.out_path)) {
    EXPECT_TRUE(ConvertToEtm(**src, o).ok());
  }
  auto m = Model::Open(o.out_path);
  EXPECT_TRUE(m.ok()) << m.status().message();
  return *m;
}

}  // namespace edgert::testing
