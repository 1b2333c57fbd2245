#include "runtime/train/adapter_io.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>

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

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// A rank-2 adapter on q_proj (seed 3): the smallest file the hardening tests flip and save.
Result<LoraAdapter> SmallAdapter(const ModelConfig& config) {
  LoraConfig cfg;
  cfg.rank = 2;
  cfg.targets = *ParseLoraTargets("q_proj");
  return LoraAdapter::Create(config, cfg, 3);
}

// The bytes of SmallAdapter saved against a one-layer model; empty on failure.
std::string SavedSmallAdapter() {
  const testing::TempDir temp("adapter_io_test");
  auto base = ModelFile::Open(MakeModel(temp.path(), 1));
  auto adapter = base.ok() ? SmallAdapter(base->config()) : Result<LoraAdapter>(base.status());
  const std::string path = (temp.path() / "a.eta").string();
  if (!adapter.ok() || !SaveAdapter(path, *adapter, *base).ok()) {
    ADD_FAILURE() << "cannot save the small adapter";
    return {};
  }
  return ReadAll(path);
}

// Issue 23 item 4: adapters and checkpoints had no checksum and no
// finiteness check: a flipped byte in a weight loaded as a different
// adapter, and alpha = inf or NaN weights loaded.
TEST(AdapterIo, EveryFlippedByteOfMeaningIsRefused) {
  const std::string good = SavedSmallAdapter();
  ASSERT_FALSE(good.empty());
  auto original = ParseAdapterFile(good.data(), good.size(), "a.eta");
  ASSERT_TRUE(original.ok()) << original.status().message();
  int refused = 0, same = 0;
  for (size_t i = 0; i < good.size(); ++i) {
    std::string bad = good;
    bad[i] = static_cast<char>(bad[i] ^ 0x10);
    auto d = ParseAdapterFile(bad.data(), bad.size(), "a.eta");
    if (!d.ok()) {
      ++refused;
      continue;
    }
    // Accepted only when the flip changed nothing the file means (padding, an unused byte).
    const AdapterFileData& x = *d;
    bool equal = x.base_fingerprint == original->base_fingerprint && x.base_description == original->base_description &&
                 x.settings.rank == original->settings.rank && x.settings.alpha == original->settings.alpha &&
                 x.settings.targets == original->settings.targets && x.tensors.size() == original->tensors.size();
    for (size_t t = 0; equal && t < x.tensors.size(); ++t) {
      equal = x.tensors[t].name == original->tensors[t].name && x.tensors[t].shape == original->tensors[t].shape &&
              x.tensors[t].data == original->tensors[t].data;
    }
    EXPECT_TRUE(equal) << "a flip at byte " << i << " loaded as a different adapter";
    ++same;
  }
  EXPECT_GT(refused, static_cast<int>(good.size()) * 3 / 4);
  EXPECT_EQ(static_cast<size_t>(refused + same), good.size());
}

// A flipped bit can turn format version 3 into 2 or 1 (no checksum then):
// with a damaged weight beside it, that file loaded as a different adapter.
TEST(AdapterIo, ADowngradedVersionDoesNotSwitchTheChecksumOff) {
  const std::string good = SavedSmallAdapter();
  ASSERT_FALSE(good.empty());
  // A byte in the middle (the weights) whose flip alone the checksum catches.
  size_t weight = good.size() / 2;
  for (; weight < good.size(); ++weight) {
    std::string bad = good;
    bad[weight] = static_cast<char>(bad[weight] ^ 0x10);
    auto d = ParseAdapterFile(bad.data(), bad.size(), "a.eta");
    if (!d.ok() && d.status().message().find("checksum mismatch") != std::string::npos) break;
  }
  ASSERT_LT(weight, good.size());
  int downgrades = 0;
  for (size_t i = 0; i + 4 <= good.size(); ++i) {
    if (good.compare(i, 4, std::string("\x03\0\0\0", 4)) != 0) continue;
    for (char version : {'\x01', '\x02'}) {
      std::string downgraded = good;
      downgraded[i] = version;
      auto alone = ParseAdapterFile(downgraded.data(), downgraded.size(), "a.eta");
      if (!alone.ok()) continue;  // not the version field
      ++downgrades;
      downgraded[weight] = static_cast<char>(downgraded[weight] ^ 0x10);
      auto d = ParseAdapterFile(downgraded.data(), downgraded.size(), "a.eta");
      ASSERT_FALSE(d.ok()) << "version " << int{version} << " at byte " << i << " hid a damaged weight";
      EXPECT_THAT(d.status().message(), HasSubstr("checksum mismatch"));
    }
  }
  EXPECT_GE(downgrades, 2);
}

TEST(AdapterIo, NonFiniteWeightsAndSettingsAreRefused) {
  const testing::TempDir temp("adapter_io_test");
  auto base = ModelFile::Open(MakeModel(temp.path(), 1));
  ASSERT_TRUE(base.ok());
  auto adapter = SmallAdapter(base->config());
  ASSERT_TRUE(adapter.ok());
  const std::string path = (temp.path() / "nan.eta").string();
  adapter->layers[0][0].b[1] = std::numeric_limits<float>::quiet_NaN();
  EXPECT_THAT(SaveAdapter(path, *adapter, *base).message(), HasSubstr("not a finite number"));
  EXPECT_FALSE(fs::exists(path));
  adapter->layers[0][0].b[1] = 0;
  adapter->config.alpha = std::numeric_limits<float>::infinity();
  EXPECT_FALSE(SaveAdapter(path, *adapter, *base).ok());
  EXPECT_FALSE(fs::exists(path));
  LoraConfig cfg = adapter->config;
  cfg.alpha = std::numeric_limits<float>::infinity();
  EXPECT_THAT(cfg.Validate().message(), HasSubstr("finite"));
}

// Issue 23 item 11: the adapter recorded the base's path as typed, so the
// same adapter saved against "dir/m1.etm" and "dir/./m1.etm" differed.
TEST(AdapterIo, TheBasePathAsTypedDoesNotChangeTheFile) {
  const testing::TempDir temp("adapter_io_test");
  const std::string model = MakeModel(temp.path(), 1);
  auto plain = ModelFile::Open(model);
  auto dotted = ModelFile::Open((temp.path() / "." / fs::path(model).filename()).string());
  ASSERT_TRUE(plain.ok() && dotted.ok());
  auto adapter = SmallAdapter(plain->config());
  ASSERT_TRUE(adapter.ok());
  const std::string a = (temp.path() / "a.eta").string(), b = (temp.path() / "b.eta").string();
  ASSERT_TRUE(SaveAdapter(a, *adapter, *plain).ok());
  ASSERT_TRUE(SaveAdapter(b, *adapter, *dotted).ok());
  EXPECT_EQ(ReadAll(a), ReadAll(b));
}

// Format versions 1 and 2 had no checksum: they are still read (unchecked).
TEST(AdapterIo, FilesWithoutAChecksumStillLoad) {
  const std::string old = ReadAll(EDGERT_FUZZ_CORPUS_DIR "/adapter_fuzz/adapter.eta");
  ASSERT_FALSE(old.empty());
  auto d = ParseAdapterFile(old.data(), old.size(), "adapter.eta");
  ASSERT_TRUE(d.ok()) << d.status().message();
  EXPECT_FALSE(d->tensors.empty());
}

}  // namespace
}  // namespace edgert
