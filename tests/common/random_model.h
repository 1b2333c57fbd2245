// tests/common/random_model.h: a model of random weights (a preset or a
// config.json), written once per test process into its own temporary folder
// and opened. Weights depend only on (seed, tensor name, row), so the model
// equals the file `edge-convert --random ... --seed N` writes, which is what
// the PyTorch reference read when it made the fixtures.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include "runtime/convert/converter.h"
#include "runtime/convert/random_source.h"
#include "runtime/model/session.h"
#include "tests/common/temp_dir.h"
#include "tests/etm/test_model.h"

namespace edgert::testing {

inline std::shared_ptr<const Model> RandomModel(const std::string& preset_or_config, uint64_t seed, DType dtype) {
  static const TempDir temp("random_model");  // lives for the process
  const std::string key = std::to_string(std::hash<std::string>{}(preset_or_config)) + "_" + std::to_string(seed) +
                          "_" + std::string(DTypeName(dtype)) + ".etm";
  const std::filesystem::path path = temp.path() / key;
  if (!std::filesystem::exists(path)) {
    auto src = OpenRandomSource(preset_or_config, seed);
    EXPECT_TRUE(src.ok()) << src.status().message();
    if (!src.ok()) return nullptr;
    ConvertOptions o;
    o.out_path = path.string();
    o.matrix_dtype = dtype;
    o.tokenizer = MicroMetadata().tokenizer;  // nothing here depends on it
    const Status st = ConvertToEtm(**src, o);
    EXPECT_TRUE(st.ok()) << st.message();
  }
  auto m = Model::Open(path.string());
  EXPECT_TRUE(m.ok()) << m.status().message();
  return m.ok() ? *m : nullptr;
}

}  // namespace edgert::testing
