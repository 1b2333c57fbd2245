// Forward pass: self-consistency (incremental = one-shot, chunking, threads).
// Agreement with the PyTorch reference is in golden_test.cc.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <pthreadpool.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "runtime/convert/converter.h"
#include "runtime/convert/random_source.h"
#include "runtime/model/session.h"
#include "tests/etm/test_model.h"
#include "tests/common/temp_dir.h"

namespace edgert {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

// A micro model (vocab 64) written once for the whole suite.
class SessionTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    temp_ = new testing::TempDir("session_test");
    dir_ = new fs::path(temp_->path());
    const std::string config = (*dir_ / "config.json").string();
    std::ofstream(config) << R"({"architectures": ["Qwen2ForCausalLM"], "vocab_size": 64, "hidden_size": 64,
      "intermediate_size": 96, "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2,
      "max_position_embeddings": 256, "rope_theta": 10000.0, "tie_word_embeddings": true})";
    for (const auto& [name, dtype] : {std::pair("f32", DType::kF32), std::pair("q8_0", DType::kQ8_0), std::pair("q4_0", DType::kQ4_0)}) {
      auto src = OpenRandomSource(config, 11);
      ASSERT_TRUE(src.ok()) << src.status().message();
      ConvertOptions o;
      o.out_path = (*dir_ / (std::string(name) + ".etm")).string();
      o.matrix_dtype = dtype;
      o.tokenizer = testing::MicroMetadata().tokenizer;
      ASSERT_TRUE(ConvertToEtm(**src, o).ok());
    }
  }
  static void TearDownTestSuite() {
    delete dir_;
    delete temp_;
  }

  static std::shared_ptr<const Model> Load(const std::string& name) {
    auto m = Model::Open((*dir_ / (name + ".etm")).string());
    EXPECT_TRUE(m.ok()) << m.status().message();
    return *m;
  }

  static std::vector<float> RunAll(const std::shared_ptr<const Model>& model, const std::vector<int32_t>& ids,
                                   int64_t max_batch, pthreadpool_t pool) {
    auto s = Session::Create(model, {128, max_batch}, pool);
    EXPECT_TRUE(s.ok()) << s.status().message();
    std::vector<float> logits(ids.size() * 64);
    EXPECT_TRUE(s->Forward(ids, {}, logits).ok());
    return logits;
  }

  static inline testing::TempDir* temp_ = nullptr;
  static inline fs::path* dir_ = nullptr;
  const std::vector<int32_t> ids_ = {1, 5, 9, 33, 2, 63, 0, 17, 17, 17, 40, 8, 3};
};

float MaxAbsDiff(std::span<const float> a, std::span<const float> b) {
  float d = 0;
  for (size_t i = 0; i < a.size(); ++i) d = std::max(d, std::fabs(a[i] - b[i]));
  return d;
}

// Streaming only advises the OS about the weight pages: the same logits,
// bit for bit, prefill and decode, with a locked arena.
TEST_F(SessionTest, StreamedWeightsGiveTheSameLogits) {
  for (const char* name : {"f32", "q8_0"}) {
    auto model = Load(name);
    std::vector<std::vector<float>> out;
    for (bool stream : {false, true}) {
      SessionOptions o{128, 4, stream, stream};
      auto s = Session::Create(model, o, nullptr);
      ASSERT_TRUE(s.ok()) << s.status().message();
      std::vector<float> logits(ids_.size() * 64), last(64);
      ASSERT_TRUE(s->Forward(ids_, {}, logits).ok());
      for (int32_t id : {7, 8, 9}) {
        ASSERT_TRUE(s->Forward(std::vector<int32_t>{id}, last).ok());
        logits.insert(logits.end(), last.begin(), last.end());
      }
      out.push_back(std::move(logits));
    }
    EXPECT_EQ(out[0], out[1]) << name;
  }
}

TEST_F(SessionTest, DecodeAfterPrefillEqualsOneLongPrefill) {
  for (const char* name : {"f32", "q8_0", "q4_0"}) {
    auto model = Load(name);
    const std::vector<float> all = RunAll(model, ids_, 64, nullptr);
    auto s = Session::Create(model, {128, 64}, nullptr);
    ASSERT_TRUE(s.ok());
    std::vector<float> last(64);
    ASSERT_TRUE(s->Forward(std::span(ids_).first(5), last).ok());
    EXPECT_LT(MaxAbsDiff(last, std::span(all).subspan(4 * 64, 64)), 1e-5f) << name;
    for (size_t i = 5; i < ids_.size(); ++i) {
      ASSERT_TRUE(s->Forward(std::span(ids_).subspan(i, 1), last).ok());
      EXPECT_LT(MaxAbsDiff(last, std::span(all).subspan(i * 64, 64)), 1e-5f) << name << " position " << i;
    }
    EXPECT_EQ(s->position(), static_cast<int64_t>(ids_.size()));
  }
}

TEST_F(SessionTest, ChunkingAndThreadsDoNotChangeResults) {
  auto model = Load("q8_0");
  const std::vector<float> one = RunAll(model, ids_, 64, nullptr);
  // Another chunk size may take another microkernel (GEMV or GEMM), whose f32
  // order differs: equal to rounding. The thread count must change nothing.
  EXPECT_LT(MaxAbsDiff(one, RunAll(model, ids_, 4, nullptr)), 1e-5f);
  pthreadpool_t pool = pthreadpool_create(2);
  EXPECT_EQ(MaxAbsDiff(one, RunAll(model, ids_, 64, pool)), 0.0f);
  pthreadpool_destroy(pool);
}

TEST_F(SessionTest, RewindReplaysTheSameLogits) {
  auto model = Load("f32");
  auto s = Session::Create(model, {128, 64}, nullptr);
  ASSERT_TRUE(s.ok());
  std::vector<float> a(64), b(64);
  ASSERT_TRUE(s->Forward(ids_, a).ok());
  ASSERT_TRUE(s->Rewind(3).ok());
  ASSERT_TRUE(s->Forward(std::span(ids_).subspan(3), b).ok());
  EXPECT_EQ(MaxAbsDiff(a, b), 0.0f);
  EXPECT_FALSE(s->Rewind(100).ok());
}

TEST_F(SessionTest, BadInputIsAStatus) {
  auto model = Load("f32");
  auto s = Session::Create(model, {16, 8}, nullptr);
  ASSERT_TRUE(s.ok());
  std::vector<float> logits(64);
  const std::vector<int32_t> bad_id = {1, 64};
  EXPECT_THAT(s->Forward(bad_id, logits).message(), HasSubstr("token id 64 at index 1 is outside the vocabulary"));
  const std::vector<int32_t> too_long(17, 1);
  EXPECT_THAT(s->Forward(too_long, logits).message(), HasSubstr("exceed the context of 16"));
  EXPECT_THAT(Session::Create(model, {1000, 8}, nullptr).status().message(), HasSubstr("max_position_embeddings"));
}

}  // namespace
}  // namespace edgert
