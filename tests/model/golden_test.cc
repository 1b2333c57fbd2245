// The forward pass against the PyTorch reference (tools/reference/qwen2.py,
// float64). Fixtures: tests/data/golden (README there says how they were
// made). Models are rebuilt here from the same preset and seed: random
// weights depend only on (seed, tensor name, row).
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "formats/npy/npy.h"
#include "runtime/convert/converter.h"
#include "runtime/convert/random_source.h"
#include "runtime/generate/sampler.h"
#include "runtime/model/session.h"
#include "tests/etm/test_model.h"
#include "tests/common/temp_dir.h"

namespace edgert {
namespace {

namespace fs = std::filesystem;

std::string Golden(const std::string& name, const char* what) {
  return std::string(EDGERT_TEST_DATA_DIR) + "/golden/" + name + "." + what + ".npy";
}

// The preset at `seed` in `dtype`, written once per test binary run.
std::shared_ptr<const Model> PresetModel(const std::string& preset, DType dtype) {
  static const testing::TempDir temp("golden_test");  // lives for the process
  const fs::path path = temp.path() / (preset + "_" + std::string(DTypeName(dtype)) + ".etm");
  if (!fs::exists(path)) {
    auto src = OpenRandomSource(preset, 1);
    EXPECT_TRUE(src.ok());
    ConvertOptions o;
    o.out_path = path.string();
    o.matrix_dtype = dtype;
    o.tokenizer = testing::MicroMetadata().tokenizer;  // logits do not depend on it
    const Status st = ConvertToEtm(**src, o);
    EXPECT_TRUE(st.ok()) << st.message();
  }
  auto m = Model::Open(path.string());
  EXPECT_TRUE(m.ok()) << m.status().message();
  return m.ok() ? *m : nullptr;
}

struct Reference {
  std::vector<int32_t> ids, positions, top1, greedy;
  NpyArray<float> logits;  // [P][V / stride]
  std::vector<float> absmax;
};

Reference LoadReference(const std::string& name) {
  Reference r;
  auto ids = ReadNpyI32(Golden(name, "ids"));
  auto pos = ReadNpyI32(Golden(name, "positions"));
  auto logits = ReadNpyF32(Golden(name, "logits"));
  auto absmax = ReadNpyF32(Golden(name, "absmax"));
  EXPECT_TRUE(ids.ok() && pos.ok() && logits.ok() && absmax.ok()) << "missing fixtures for " << name;
  if (!ids.ok() || !pos.ok() || !logits.ok() || !absmax.ok()) return r;
  r.ids = ids->data;
  r.positions = pos->data;
  r.logits = std::move(*logits);
  r.absmax = absmax->data;
  if (auto t = ReadNpyI32(Golden(name, "top1")); t.ok()) r.top1 = t->data;
  if (auto g = ReadNpyI32(Golden(name, "greedy")); g.ok()) r.greedy = g->data;
  return r;
}

std::vector<float> AllLogits(const std::shared_ptr<const Model>& model, const std::vector<int32_t>& ids) {
  auto s = Session::Create(model, {static_cast<int64_t>(ids.size()) + 80, 64}, nullptr);
  EXPECT_TRUE(s.ok());
  std::vector<float> logits(ids.size() * static_cast<size_t>(model->config().vocab_size));
  EXPECT_TRUE(s->Forward(ids, {}, logits).ok());
  return logits;
}

// |ours - reference| <= 1e-4 · max|logit| at every stored logit.
void ExpectLogitsMatch(const std::shared_ptr<const Model>& model, const Reference& ref) {
  const auto vocab = static_cast<size_t>(model->config().vocab_size);
  const std::vector<float> ours = AllLogits(model, ref.ids);
  const size_t stored = static_cast<size_t>(ref.logits.shape[1]);
  const size_t stride = (vocab + stored - 1) / stored;
  for (size_t p = 0; p < ref.positions.size(); ++p) {
    const float* row = ours.data() + static_cast<size_t>(ref.positions[p]) * vocab;
    float worst = 0;
    for (size_t j = 0; j < stored; ++j) worst = std::max(worst, std::fabs(row[j * stride] - ref.logits.data[p * stored + j]));
    EXPECT_LE(worst, 1e-4f * ref.absmax[p]) << "position " << ref.positions[p] << ": max |diff| " << worst
                                            << ", max |logit| " << ref.absmax[p];
  }
}

TEST(Golden, TinyF32LogitsMatchTheReference) {
  const Reference ref = LoadReference("tiny_f32");
  ASSERT_FALSE(ref.ids.empty());
  ExpectLogitsMatch(PresetModel("tiny", DType::kF32), ref);
}

TEST(Golden, TinyF32GreedyGenerationIsIdentical) {
  const Reference ref = LoadReference("tiny_f32");
  ASSERT_EQ(ref.greedy.size(), 64u);
  auto model = PresetModel("tiny", DType::kF32);
  auto s = Session::Create(model, {128, 64}, nullptr);
  ASSERT_TRUE(s.ok());
  std::vector<float> logits(static_cast<size_t>(model->config().vocab_size));
  ASSERT_TRUE(s->Forward(ref.ids, logits).ok());
  Sampler greedy({});
  std::vector<int32_t> got;
  for (int i = 0; i < 64; ++i) {
    int32_t next = greedy.Sample(logits, {});
    got.push_back(next);
    ASSERT_TRUE(s->Forward(std::span(&next, 1), logits).ok());
  }
  EXPECT_EQ(got, ref.greedy);
}

// Quantized models: the reference ran on the dequantized weights. Top-1 must
// agree at >= 99% (Q8_0) / 97% (Q4_0) of positions; the mean KL divergence
// over the stored positions is printed.
void ExpectQuantizedAgreement(const std::string& name, DType dtype, double min_top1) {
  const Reference ref = LoadReference(name);
  ASSERT_FALSE(ref.top1.empty());
  auto model = PresetModel("tiny", dtype);
  const auto vocab = static_cast<size_t>(model->config().vocab_size);
  const std::vector<float> ours = AllLogits(model, ref.ids);
  size_t agree = 0;
  for (size_t t = 0; t < ref.ids.size(); ++t) {
    const float* row = ours.data() + t * vocab;
    agree += static_cast<int32_t>(std::max_element(row, row + vocab) - row) == ref.top1[t];
  }
  const double rate = static_cast<double>(agree) / static_cast<double>(ref.ids.size());
  EXPECT_GE(rate, min_top1);
  ASSERT_EQ(static_cast<size_t>(ref.logits.shape[1]), vocab) << "quantized fixtures store full rows";
  double kl_sum = 0;
  for (size_t p = 0; p < ref.positions.size(); ++p) {
    const float* q = ours.data() + static_cast<size_t>(ref.positions[p]) * vocab;
    const float* r = ref.logits.data.data() + p * vocab;
    auto lse = [&](const float* x) {
      const double m = *std::max_element(x, x + vocab);
      double s = 0;
      for (size_t j = 0; j < vocab; ++j) s += std::exp(x[j] - m);
      return m + std::log(s);
    };
    const double lr = lse(r), lq = lse(q);
    double kl = 0;
    for (size_t j = 0; j < vocab; ++j) {
      const double pr = std::exp(r[j] - lr);
      kl += pr * ((r[j] - lr) - (q[j] - lq));
    }
    kl_sum += kl;
  }
  ::testing::Test::RecordProperty("top1_agreement", std::to_string(rate));
  ::testing::Test::RecordProperty("mean_kl", std::to_string(kl_sum / static_cast<double>(ref.positions.size())));
  std::printf("%s: top-1 agreement %.4f, mean KL %.3g\n", name.c_str(), rate, kl_sum / static_cast<double>(ref.positions.size()));
  EXPECT_LT(kl_sum / static_cast<double>(ref.positions.size()), 1e-3);
}

TEST(Golden, TinyQ8_0AgreesWithTheReference) { ExpectQuantizedAgreement("tiny_q8_0", DType::kQ8_0, 0.99); }
TEST(Golden, TinyQ4_0AgreesWithTheReference) { ExpectQuantizedAgreement("tiny_q4_0", DType::kQ4_0, 0.97); }

// Real Qwen2.5-0.5B shapes (a 2 GB f32 file, written once into the temp folder).
TEST(Golden, Qwen05BShapedF32LogitsMatchTheReference) {
  const Reference ref = LoadReference("qwen05_f32");
  ASSERT_FALSE(ref.ids.empty());
  auto model = PresetModel("qwen2.5-0.5b", DType::kF32);
  ExpectLogitsMatch(model, ref);
}

}  // namespace
}  // namespace edgert
