// runtime/export: merged models against adapters applied at run time, GGUF
// round trips through our own reader, the GGUF LoRA layout llama.cpp reads,
// the Ollama Modelfile, and adapters that do not fit refused.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <random>

#include "formats/gguf/gguf.h"
#include "runtime/convert/converter.h"
#include "runtime/convert/gguf_source.h"
#include "runtime/convert/random_source.h"
#include "runtime/export/gguf_export.h"
#include "runtime/export/gguf_lora_export.h"
#include "runtime/export/merge.h"
#include "runtime/export/ollama.h"
#include "runtime/model/session.h"
#include "runtime/tokenizer/pretokenizer.h"
#include "runtime/train/lora_delta.h"
#include "tests/common/temp_dir.h"
#include "tests/etm/test_model.h"

namespace edgert {
namespace {

using ::testing::HasSubstr;

// The micro model's shapes (vocab 64, hidden 32, 2 layers, GQA 4/2) with a
// tokenizer GGUF can name (the Qwen2 pre-tokenizer).
std::string MakeModel(const testing::TempDir& dir, DType dtype, uint64_t seed = 3, int64_t hidden = 32) {
  const std::string config = dir / ("config" + std::to_string(hidden) + ".json");
  std::ofstream(config) << R"({"architectures": ["Qwen2ForCausalLM"], "vocab_size": 64, "hidden_size": )" << hidden
                        << R"(, "intermediate_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4,
    "num_key_value_heads": 2, "max_position_embeddings": 64, "rope_theta": 10000.0, "tie_word_embeddings": true})";
  auto src = OpenRandomSource(config, seed);
  EXPECT_TRUE(src.ok());
  ConvertOptions o;
  o.out_path = dir / ("base_" + std::string(DTypeName(dtype)) + "_" + std::to_string(seed) + "_" + std::to_string(hidden) + ".etm");
  o.matrix_dtype = dtype;
  o.tokenizer = testing::MicroMetadata().tokenizer;
  o.tokenizer->pretokenizer_regex = kQwen2SplitPattern;
  const Status st = ConvertToEtm(**src, o);
  EXPECT_TRUE(st.ok()) << st.message();
  return o.out_path;
}

// Rank 4 on all seven projections, B drawn so the adapter changes the logits.
std::shared_ptr<const LoraAdapter> RandomAdapter(const ModelConfig& config, uint32_t seed, bool rslora = false) {
  LoraConfig c;
  c.rank = 4;
  c.alpha = 8;
  c.rslora = rslora;
  auto a = LoraAdapter::Create(config, c, seed);
  std::mt19937 rng(seed);
  std::normal_distribution<float> n(0.0f, 0.3f);
  for (auto& layer : a->layers) {
    for (LoraPair& p : layer) {
      for (float& b : p.b) b = n(rng);
    }
  }
  return std::make_shared<const LoraAdapter>(std::move(*a));
}

const std::vector<int32_t> kIds = {3, 17, 42, 5, 9, 60, 1, 33, 8, 8, 21, 2};

std::vector<float> Logits(const std::string& path, std::shared_ptr<const ProjectionDelta> delta = nullptr) {
  auto model = Model::Open(path);
  EXPECT_TRUE(model.ok()) << model.status().message();
  auto session = Session::Create(*model, SessionOptions{32, 8}, nullptr);
  EXPECT_TRUE(session.ok());
  session->SetProjectionDelta(std::move(delta));
  std::vector<float> logits(kIds.size() * static_cast<size_t>((*model)->config().vocab_size));
  EXPECT_TRUE(session->Forward(kIds, {}, logits).ok());
  return logits;
}

double MaxAbsDiff(const std::vector<float>& a, const std::vector<float>& b) {
  double m = 0;
  for (size_t i = 0; i < a.size(); ++i) m = std::max(m, std::fabs(static_cast<double>(a[i]) - b[i]));
  return m;
}
double MaxAbs(const std::vector<float>& a) {
  double m = 0;
  for (float v : a) m = std::max(m, std::fabs(static_cast<double>(v)));
  return m;
}

std::shared_ptr<const ProjectionDelta> Delta(const std::vector<ScaledAdapter>& adapters) {
  auto d = std::make_shared<LoraDelta>();
  for (const ScaledAdapter& a : adapters) d->Push(a.adapter, a.user_scale);
  return d;
}

TEST(Merge, F32MergeEqualsAdaptersAppliedAtRunTime) {
  const testing::TempDir temp("export_test");
  const std::string base_path = MakeModel(temp, DType::kF32);
  auto base = ModelFile::Open(base_path);
  ASSERT_TRUE(base.ok());
  // Two stacked adapters with user scales, one rsLoRA: the sum of their products.
  const std::vector<ScaledAdapter> adapters = {{RandomAdapter(base->config(), 1), 0.5f},
                                               {RandomAdapter(base->config(), 2, /*rslora=*/true), 1.25f}};
  const std::string merged = temp / "merged.etm";
  const Status st = MergeToEtm(*base, adapters, {merged, std::nullopt});
  ASSERT_TRUE(st.ok()) << st.message();

  const std::vector<float> at_run_time = Logits(base_path, Delta(adapters));
  const std::vector<float> from_merged = Logits(merged);
  const double diff = MaxAbsDiff(from_merged, at_run_time), effect = MaxAbsDiff(at_run_time, Logits(base_path));
  std::printf("f32 merge: max |merged - run time| = %.3g, adapters' effect %.3g, logits up to %.3g\n", diff, effect,
              MaxAbs(at_run_time));
  // (W + s·BA)x against Wx + s·B(Ax): the same products in another order, f32.
  EXPECT_LE(diff, 1e-5 * MaxAbs(at_run_time));
  EXPECT_GT(effect, 0.1);

  // What the adapters do not touch is copied byte for byte; the metadata stays.
  auto m = ModelFile::Open(merged);
  ASSERT_TRUE(m.ok());
  for (const TensorInfo& t : base->tensors()) {
    const bool adapted = t.name.find("_proj.weight") != std::string::npos;
    EXPECT_EQ(m->Find(t.name)->checksum == t.checksum, !adapted) << t.name;
  }
  EXPECT_EQ(m->metadata().tokenizer.vocab, base->metadata().tokenizer.vocab);
  EXPECT_EQ(m->metadata().chat.default_system_prompt, base->metadata().chat.default_system_prompt);
  EXPECT_NE(m->fingerprint(), base->fingerprint());  // so the merged model refuses the adapter's .eta
}

// Requantized: the merged weights are rounded to blocks again, so the result
// differs from the run-time path (quantized base + adapter) by a quantization
// error. The yardstick is what quantizing the same merged weights costs: an
// f32 merge (exact, previous test) against its own quantization.
void CheckRequantizedMerge(DType dtype, double bound_in_quant_errors) {
  const testing::TempDir temp("export_test");
  const std::string f32_path = MakeModel(temp, DType::kF32);
  const std::string q_path = MakeModel(temp, dtype);
  auto base_f32 = ModelFile::Open(f32_path);
  auto base = ModelFile::Open(q_path);
  ASSERT_TRUE(base.ok() && base_f32.ok());
  const std::vector<ScaledAdapter> adapters = {{RandomAdapter(base->config(), 1), 1.0f}};
  const std::string merged = temp / "merged.etm";
  ASSERT_TRUE(MergeToEtm(*base, adapters, {merged, std::nullopt}).ok());
  auto m = ModelFile::Open(merged);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->Find("model.layers.1.mlp.down_proj.weight")->dtype, dtype);
  EXPECT_EQ(m->Find("model.embed_tokens.weight")->checksum, base->Find("model.embed_tokens.weight")->checksum);

  const std::string merged_f32 = temp / "merged_f32.etm", merged_f32_q = temp / "merged_f32_q.etm";
  ASSERT_TRUE(MergeToEtm(*base_f32, adapters, {merged_f32, std::nullopt}).ok());
  auto mf = ModelFile::Open(merged_f32);
  ASSERT_TRUE(MergeToEtm(*mf, {}, {merged_f32_q, dtype}).ok());

  const std::vector<float> at_run_time = Logits(q_path, Delta(adapters));
  const double diff = MaxAbsDiff(Logits(merged), at_run_time);
  const double quant_error = MaxAbsDiff(Logits(merged_f32_q), Logits(merged_f32));
  const double effect = MaxAbsDiff(at_run_time, Logits(q_path));
  std::printf("%s merge: max |merged - run time| = %.3g; quantizing the f32 merge moves logits by %.3g; "
              "adapter's effect %.3g; logits up to %.3g\n",
              DTypeName(dtype).data(), diff, quant_error, effect, MaxAbs(at_run_time));
  EXPECT_LE(diff, bound_in_quant_errors * quant_error);
  EXPECT_GT(effect, 5 * diff);
}

TEST(Merge, Q8_0MergeIsWithinTheQuantizationError) { CheckRequantizedMerge(DType::kQ8_0, 2.0); }
TEST(Merge, Q4_0MergeIsWithinTheQuantizationError) { CheckRequantizedMerge(DType::kQ4_0, 2.0); }

TEST(Merge, F32MergeOfAQuantizedBaseIsExactDequantizedPlusAdapter) {
  // --quant f32 from a Q8_0 base: every untouched matrix decodes exactly.
  const testing::TempDir temp("export_test");
  const std::string q_path = MakeModel(temp, DType::kQ8_0);
  auto base = ModelFile::Open(q_path);
  ASSERT_TRUE(base.ok());
  const std::string out = temp / "f32.etm";
  ASSERT_TRUE(MergeToEtm(*base, {}, {out, DType::kF32}).ok());
  auto m = ModelFile::Open(out);
  ASSERT_TRUE(m.ok());
  const TensorInfo* q = base->Find("model.layers.0.self_attn.q_proj.weight");
  const TensorInfo* f = m->Find("model.layers.0.self_attn.q_proj.weight");
  ASSERT_EQ(f->dtype, DType::kF32);
  std::vector<float> row(32);
  DecodeWeightRow(WeightView{base->TensorData(*q).data(), DType::kQ8_0, q->shape[0], q->shape[1]}, 5, row.data());
  EXPECT_EQ(std::memcmp(row.data(), m->TensorData(*f).data() + 5 * 32 * 4, 32 * 4), 0);
}

TEST(Merge, RefusesAnAdapterOfOtherShapes) {
  const testing::TempDir temp("export_test");
  auto base = ModelFile::Open(MakeModel(temp, DType::kF32));
  auto other = ModelFile::Open(MakeModel(temp, DType::kF32, 3, /*hidden=*/64));
  ASSERT_TRUE(base.ok() && other.ok());
  const Status st = MergeToEtm(*base, {{RandomAdapter(other->config(), 1), 1.0f}}, {temp / "x.etm", std::nullopt});
  EXPECT_FALSE(st.ok());
  EXPECT_THAT(st.message(), HasSubstr("an adapter for another base?"));
  EXPECT_FALSE(std::filesystem::exists(temp / "x.etm"));
}

// GGUF written by us, read back by our reader and converted: the same bytes,
// hence the same logits, for every block type we write.
void CheckGgufRoundTrip(DType dtype) {
  const testing::TempDir temp("export_test");
  const std::string path = MakeModel(temp, dtype);
  auto model = ModelFile::Open(path);
  ASSERT_TRUE(model.ok());
  const std::string gguf = temp / "m.gguf";
  ASSERT_TRUE(ExportGguf(*model, gguf).ok());
  auto src = OpenGgufCheckpoint(gguf);
  ASSERT_TRUE(src.ok()) << src.status().message();
  ConvertOptions o;
  o.out_path = temp / "back.etm";
  const Status st = ConvertToEtm(**src, o);
  ASSERT_TRUE(st.ok()) << st.message();
  const std::vector<float> want = Logits(path), got = Logits(o.out_path);
  ASSERT_EQ(got.size(), want.size());
  EXPECT_EQ(std::memcmp(got.data(), want.data(), got.size() * sizeof(float)), 0) << MaxAbsDiff(got, want);
  auto back = ModelFile::Open(o.out_path);
  EXPECT_EQ(back->metadata().tokenizer.vocab, model->metadata().tokenizer.vocab);
  EXPECT_EQ(back->metadata().tokenizer.merges, model->metadata().tokenizer.merges);
}

TEST(GgufExport, RoundTripF32GivesTheSameLogits) { CheckGgufRoundTrip(DType::kF32); }
TEST(GgufExport, RoundTripQ8_0GivesTheSameLogits) { CheckGgufRoundTrip(DType::kQ8_0); }
TEST(GgufExport, RoundTripQ4_0GivesTheSameLogits) { CheckGgufRoundTrip(DType::kQ4_0); }

TEST(GgufExport, MetadataHasWhatLlamaCppReads) {
  const testing::TempDir temp("export_test");
  auto model = ModelFile::Open(MakeModel(temp, DType::kQ8_0));
  ASSERT_TRUE(model.ok());
  const std::string gguf = temp / "m.gguf";
  ASSERT_TRUE(ExportGguf(*model, gguf).ok());
  auto g = GgufFile::Open(gguf);
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(g->version(), 3u);
  EXPECT_EQ(*g->GetString("general.architecture"), "qwen2");
  EXPECT_EQ(*g->GetInt("general.file_type"), 7);  // MOSTLY_Q8_0
  EXPECT_EQ(*g->GetInt("general.quantization_version"), 2);
  for (const char* k : {"block_count", "context_length", "embedding_length", "feed_forward_length",
                        "attention.head_count", "attention.head_count_kv"}) {
    EXPECT_TRUE(g->GetInt(std::string("qwen2.") + k).ok()) << k;
  }
  EXPECT_EQ(*g->GetFloat("qwen2.rope.freq_base"), 10000.0);
  EXPECT_NEAR(*g->GetFloat("qwen2.attention.layer_norm_rms_epsilon"), 1e-6, 1e-12);
  EXPECT_EQ(*g->GetString("tokenizer.ggml.model"), "gpt2");
  EXPECT_EQ(*g->GetString("tokenizer.ggml.pre"), "qwen2");
  EXPECT_EQ(g->GetStrings("tokenizer.ggml.tokens")->size(), 64u);
  EXPECT_EQ(g->GetInts("tokenizer.ggml.token_type")->at(60), 3);  // <|endoftext|>: control
  EXPECT_EQ(g->GetInts("tokenizer.ggml.token_type")->at(63), 5);  // padding row: unused
  EXPECT_EQ(*g->GetStrings("tokenizer.ggml.merges"), (std::vector<std::string>{"t 1", "t 2"}));
  EXPECT_THAT(*g->GetString("tokenizer.chat_template"), HasSubstr("You are Qwen, created by Alibaba Cloud."));
  EXPECT_THAT(*g->GetString("tokenizer.chat_template"), HasSubstr("add_generation_prompt"));
  EXPECT_EQ(g->Find("blk.0.attn_q.weight")->shape, (std::vector<int64_t>{32, 32}));
  EXPECT_EQ(g->Find("token_embd.weight")->dtype, DType::kQ8_0);
  EXPECT_EQ(g->Find("output.weight"), nullptr);  // tied
}

TEST(GgufLora, LayoutAsLlamaCppReadsIt) {
  const testing::TempDir temp("export_test");
  auto base = ModelFile::Open(MakeModel(temp, DType::kF32));
  ASSERT_TRUE(base.ok());
  LoraConfig c;
  c.rank = 4;
  c.alpha = 8;
  c.rslora = true;
  c.targets = *ParseLoraTargets("q_proj,down_proj");
  auto adapter = LoraAdapter::Create(base->config(), c, 9);
  ASSERT_TRUE(adapter.ok());
  adapter->layers[1][6].b[3] = 0.5f;
  const std::string path = temp / "a.gguf";
  ASSERT_TRUE(ExportGgufLora(*adapter, 0.5f, *base, path).ok());
  auto g = GgufFile::Open(path);
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(*g->GetString("general.architecture"), "qwen2");
  EXPECT_EQ(*g->GetString("general.type"), "adapter");
  EXPECT_EQ(*g->GetString("adapter.type"), "lora");
  // llama.cpp scales by alpha / rank: alpha carries our whole scale.
  EXPECT_FLOAT_EQ(static_cast<float>(*g->GetFloat("adapter.lora.alpha")) / 4, 0.5f * 8 / 2);
  EXPECT_EQ(g->tensors().size(), 2u * 2 * 2);
  const GgufTensor* a = g->Find("blk.1.ffn_down.weight.lora_a");
  const GgufTensor* b = g->Find("blk.1.ffn_down.weight.lora_b");
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->shape, (std::vector<int64_t>{4, 64}));  // [rank][in]: ne = {in, rank}
  EXPECT_EQ(b->shape, (std::vector<int64_t>{32, 4}));  // [out][rank]: ne = {rank, out}
  EXPECT_EQ(a->dtype, DType::kF32);
  EXPECT_EQ(std::memcmp(b->data.data(), adapter->layers[1][6].b.data(), b->data.size()), 0);
  EXPECT_EQ(std::memcmp(a->data.data(), adapter->layers[1][6].a.data(), a->data.size()), 0);
  EXPECT_NE(g->Find("blk.0.attn_q.weight.lora_a"), nullptr);
  EXPECT_EQ(g->Find("blk.0.attn_k.weight.lora_a"), nullptr);
}

TEST(Ollama, ModelfileFromAdapterTemplateStops) {
  ModelMetadata m;
  auto text = OllamaModelfile(m, {"model.gguf", "adapter.gguf"});
  ASSERT_TRUE(text.ok());
  EXPECT_THAT(*text, HasSubstr("\nFROM ./model.gguf\n"));
  EXPECT_THAT(*text, HasSubstr("\nADAPTER ./adapter.gguf\n"));
  EXPECT_THAT(*text, HasSubstr("TEMPLATE \"\"\"{{- if .System }}<|im_start|>system\n{{ .System }}<|im_end|>\n"));
  EXPECT_THAT(*text, HasSubstr("{{ end }}<|im_start|>assistant\n\"\"\"\n"));
  EXPECT_THAT(*text, HasSubstr("SYSTEM \"\"\"You are Qwen, created by Alibaba Cloud. You are a helpful assistant.\"\"\"\n"));
  EXPECT_THAT(*text, HasSubstr("PARAMETER stop \"<|im_end|>\"\n"));
  EXPECT_THAT(*text, HasSubstr("PARAMETER stop \"<|endoftext|>\"\n"));
  EXPECT_THAT(*text, HasSubstr("PARAMETER temperature 0.7\n"));
  auto merged = OllamaModelfile(m, {"model.gguf", ""});
  EXPECT_THAT(*merged, ::testing::Not(HasSubstr("ADAPTER")));
  m.chat.default_system_prompt = "say \"\"\" loudly";
  EXPECT_FALSE(OllamaModelfile(m, {"model.gguf", ""}).ok());
}

}  // namespace
}  // namespace edgert
