// runtime/convert/gguf_source.cc
#include "runtime/convert/gguf_source.h"

#include <cstring>
#include <unordered_map>

#include "formats/gguf/gguf.h"
#include "formats/gguf/gguf_names.h"
#include "kernels/convert/fp16_rows.h"
#include "kernels/convert/quantize.h"
#include "ports/mapped_file.h"
#include "runtime/tokenizer/pretokenizer.h"

namespace edgert {
namespace {

Result<TokenizerSpec> TokenizerFrom(const GgufFile& f) {
  EDGERT_ASSIGN_OR_RETURN(const std::string model, f.GetString("tokenizer.ggml.model"));
  if (model != "gpt2") return Unsupported(f.path() + ": tokenizer model '" + model + "' (byte-level BPE 'gpt2' only; pass --tokenizer)");
  TokenizerSpec spec;
  const std::string pre = f.Has("tokenizer.ggml.pre") ? *f.GetString("tokenizer.ggml.pre") : "default";
  if (pre == "qwen2") {
    spec.pretokenizer_regex = kQwen2SplitPattern;
    spec.normalizer = "NFC";
  } else {
    return Unsupported(f.path() + ": pre-tokenizer '" + pre + "' (qwen2 only for now; pass --tokenizer tokenizer.json)");
  }
  EDGERT_ASSIGN_OR_RETURN(std::vector<std::string> tokens, f.GetStrings("tokenizer.ggml.tokens"));
  EDGERT_ASSIGN_OR_RETURN(spec.merges, f.GetStrings("tokenizer.ggml.merges"));
  std::vector<int64_t> types(tokens.size(), 1);
  if (f.Has("tokenizer.ggml.token_type")) {
    EDGERT_ASSIGN_OR_RETURN(types, f.GetInts("tokenizer.ggml.token_type"));
    if (types.size() != tokens.size()) return CorruptFile(f.path() + ": token_type and tokens differ in length");
  }
  // Normal tokens form the BPE vocabulary; control (3) and user-defined (4)
  // tokens are added tokens, matched before splitting.
  size_t vocab_end = 0;
  // Unused (5) ids are padding rows of the embedding: no token at all.
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (types[i] == 3 || types[i] == 4) {
      spec.added_tokens.push_back({static_cast<int32_t>(i), tokens[i], types[i] == 3, false, false, false, false});
    } else if (types[i] != 5) {
      vocab_end = i + 1;
    }
  }
  spec.vocab.resize(vocab_end);
  for (size_t i = 0; i < vocab_end; ++i) {
    if (types[i] != 3 && types[i] != 4 && types[i] != 5) spec.vocab[i] = tokens[i];
  }
  return spec;
}

class GgufSource final : public CheckpointSource {
 public:
  explicit GgufSource(GgufFile file) : file_(std::move(file)) {}

  Status Init() {
    EDGERT_ASSIGN_OR_RETURN(const std::string arch, file_.GetString("general.architecture"));
    if (arch == "qwen2") {
      config_.architecture = Architecture::kQwen2;
    } else if (arch == "llama") {
      config_.architecture = Architecture::kLlama;
      permute_qk_ = true;
    } else {
      return Unsupported(file_.path() + ": architecture '" + arch + "' (supported: qwen2, llama)");
    }
    auto key = [&](const char* k) { return arch + "." + k; };
    EDGERT_ASSIGN_OR_RETURN(config_.hidden_size, file_.GetInt(key("embedding_length")));
    EDGERT_ASSIGN_OR_RETURN(config_.intermediate_size, file_.GetInt(key("feed_forward_length")));
    EDGERT_ASSIGN_OR_RETURN(config_.num_hidden_layers, file_.GetInt(key("block_count")));
    EDGERT_ASSIGN_OR_RETURN(config_.num_attention_heads, file_.GetInt(key("attention.head_count")));
    config_.num_key_value_heads = file_.Has(key("attention.head_count_kv")) ? *file_.GetInt(key("attention.head_count_kv"))
                                                                            : config_.num_attention_heads;
    if (config_.num_attention_heads <= 0) return CorruptFile(file_.path() + ": attention.head_count must be positive");
    config_.head_dim = file_.Has(key("attention.key_length")) ? *file_.GetInt(key("attention.key_length"))
                                                              : config_.hidden_size / config_.num_attention_heads;
    EDGERT_ASSIGN_OR_RETURN(config_.max_position_embeddings, file_.GetInt(key("context_length")));
    EDGERT_ASSIGN_OR_RETURN(const double eps, file_.GetFloat(key("attention.layer_norm_rms_epsilon")));
    config_.rms_norm_eps = static_cast<float>(eps);
    config_.rope_theta = file_.Has(key("rope.freq_base")) ? static_cast<float>(*file_.GetFloat(key("rope.freq_base"))) : 10000.0f;
    const GgufTensor* embed = file_.Find("token_embd.weight");
    if (embed == nullptr || embed->shape.size() != 2) return CorruptFile(file_.path() + ": no 2-D token_embd.weight");
    config_.vocab_size = embed->shape[0];
    config_.tie_word_embeddings = file_.Find("output.weight") == nullptr;
    config_.attention_bias = file_.Find("blk.0.attn_q.bias") != nullptr;
    if (file_.Has("tokenizer.ggml.bos_token_id")) config_.bos_token_id = static_cast<int32_t>(*file_.GetInt("tokenizer.ggml.bos_token_id"));
    if (file_.Has("tokenizer.ggml.eos_token_id")) config_.eos_token_id = static_cast<int32_t>(*file_.GetInt("tokenizer.ggml.eos_token_id"));
    EDGERT_RETURN_IF_ERROR(config_.Validate().WithContext(file_.path()));
    if (file_.Has("tokenizer.ggml.model")) {
      auto tok = TokenizerFrom(file_);
      if (tok.ok()) tokenizer_ = std::move(*tok);  // otherwise --tokenizer must supply one
    }
    for (const GgufTensor& t : file_.tensors()) {
      const std::string name = HfNameFromGguf(t.name);
      if (name.empty()) continue;
      if (!t.dtype) {
        return Unsupported(file_.path() + ": tensor '" + t.name + "' has ggml type " + std::to_string(t.ggml_type) +
                           " (supported: F32, F16, BF16, Q8_0, Q4_0)");
      }
      tensors_.emplace(name, Entry{SourceTensor{name, *t.dtype, t.shape}, &t});
    }
    return OkStatus();
  }

  const ModelConfig& config() const override { return config_; }
  const std::optional<TokenizerSpec>& tokenizer() const override { return tokenizer_; }
  std::string description() const override { return "gguf: " + file_.path(); }
  const SourceTensor* Find(const std::string& name) const override {
    const auto it = tensors_.find(name);
    return it == tensors_.end() ? nullptr : &it->second.tensor;
  }

  Status ReadRowsF32(const SourceTensor& t, int64_t row0, int64_t rows, float* out) const override {
    const std::span<const std::byte> bytes = RawRows(t, row0, rows);
    const auto n = static_cast<size_t>(rows * RowLength(t.shape));
    switch (t.dtype) {
      case DType::kF32: std::memcpy(out, bytes.data(), n * 4); break;
      case DType::kF16: kernels::ConvertRowF16ToF32(reinterpret_cast<const uint16_t*>(bytes.data()), out, n); break;
      case DType::kBF16: kernels::ConvertRowBF16ToF32(reinterpret_cast<const uint16_t*>(bytes.data()), out, n); break;
      case DType::kQ8_0: kernels::DequantizeRowQ8_0(reinterpret_cast<const BlockQ8_0*>(bytes.data()), out, n); break;
      case DType::kQ4_0: kernels::DequantizeRowQ4_0(reinterpret_cast<const BlockQ4_0*>(bytes.data()), out, n); break;
    }
    ReleaseRawRows(t, row0, rows);
    return OkStatus();
  }

  std::span<const std::byte> RawRows(const SourceTensor& t, int64_t row0, int64_t rows) const override {
    const Entry& e = tensors_.at(t.name);
    const uint64_t rb = RowBytes(t);
    if (!Permuted(t)) return e.gguf->data.subspan(static_cast<uint64_t>(row0) * rb, static_cast<uint64_t>(rows) * rb);
    // Llama q/k: HF row (head, half, i) is GGUF row (head, i, half).
    scratch_.resize(static_cast<size_t>(rows) * rb);
    const int64_t d = config_.head_dim;
    for (int64_t r = 0; r < rows; ++r) {
      const int64_t hf = row0 + r, head = hf / d, within = hf % d;
      const int64_t half = within / (d / 2), i = within % (d / 2);
      const int64_t src = head * d + 2 * i + half;
      std::memcpy(scratch_.data() + static_cast<size_t>(r) * rb, e.gguf->data.data() + static_cast<uint64_t>(src) * rb, rb);
    }
    return scratch_;
  }

  void ReleaseRawRows(const SourceTensor& t, int64_t row0, int64_t rows) const override {
    if (Permuted(t)) return;  // rows scattered over the head: released with the tensor
    const Entry& e = tensors_.at(t.name);
    const uint64_t rb = RowBytes(t);
    ports::AdviseRange(e.gguf->data.data() + static_cast<uint64_t>(row0) * rb, static_cast<uint64_t>(rows) * rb,
                       ports::AccessHint::kDontNeed);
  }

 private:
  struct Entry {
    SourceTensor tensor;
    const GgufTensor* gguf;
  };
  static uint64_t RowBytes(const SourceTensor& t) {
    const DTypeInfo& info = DTypeInfoOf(t.dtype);
    return static_cast<uint64_t>(RowLength(t.shape)) / info.block_elems * info.block_bytes;
  }
  bool Permuted(const SourceTensor& t) const {
    return permute_qk_ && (t.name.ends_with("q_proj.weight") || t.name.ends_with("k_proj.weight"));
  }

  GgufFile file_;
  ModelConfig config_;
  bool permute_qk_ = false;
  std::optional<TokenizerSpec> tokenizer_;
  std::unordered_map<std::string, Entry> tensors_;
  mutable std::vector<std::byte> scratch_;
};

}  // namespace

Result<std::unique_ptr<CheckpointSource>> OpenGgufCheckpoint(const std::string& path) {
  EDGERT_ASSIGN_OR_RETURN(GgufFile file, GgufFile::Open(path));
  auto source = std::make_unique<GgufSource>(std::move(file));
  EDGERT_RETURN_IF_ERROR(source->Init());
  return std::unique_ptr<CheckpointSource>(std::move(source));
}

}  // namespace edgert
