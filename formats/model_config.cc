// formats/model_config.cc: validation, the expected tensor list, presets.
#include "formats/model_config.h"

#include <string>

namespace edgert {
namespace {

Status RequirePositive(const char* field, int64_t v) {
  if (v <= 0) return InvalidArgument(std::string("config field '") + field + "' must be positive, got " + std::to_string(v));
  return OkStatus();
}

}  // namespace

const char* ArchitectureName(Architecture a) {
  switch (a) {
    case Architecture::kQwen2: return "qwen2";
    case Architecture::kLlama: return "llama";
  }
  return "unknown";
}

Status ModelConfig::Validate() const {
  if (architecture != Architecture::kQwen2 && architecture != Architecture::kLlama) {
    return Unsupported("unknown architecture " + std::to_string(static_cast<int>(architecture)));
  }
  EDGERT_RETURN_IF_ERROR(RequirePositive("vocab_size", vocab_size));
  EDGERT_RETURN_IF_ERROR(RequirePositive("hidden_size", hidden_size));
  EDGERT_RETURN_IF_ERROR(RequirePositive("intermediate_size", intermediate_size));
  EDGERT_RETURN_IF_ERROR(RequirePositive("num_hidden_layers", num_hidden_layers));
  EDGERT_RETURN_IF_ERROR(RequirePositive("num_attention_heads", num_attention_heads));
  EDGERT_RETURN_IF_ERROR(RequirePositive("num_key_value_heads", num_key_value_heads));
  EDGERT_RETURN_IF_ERROR(RequirePositive("head_dim", head_dim));
  EDGERT_RETURN_IF_ERROR(RequirePositive("max_position_embeddings", max_position_embeddings));
  if (num_attention_heads % num_key_value_heads != 0) {
    return InvalidArgument("num_attention_heads (" + std::to_string(num_attention_heads) +
                           ") is not a multiple of num_key_value_heads (" + std::to_string(num_key_value_heads) + ")");
  }
  if (head_dim % 2 != 0) return InvalidArgument("head_dim must be even for RoPE, got " + std::to_string(head_dim));
  if (!(rms_norm_eps > 0.0f)) return InvalidArgument("config field 'rms_norm_eps' must be positive");
  if (!(rope_theta > 0.0f)) return InvalidArgument("config field 'rope_theta' must be positive");
  // Far beyond any model this runtime targets; catches garbage before it becomes an allocation.
  constexpr int64_t kSane = int64_t{1} << 24;
  if (vocab_size > kSane || hidden_size > kSane || intermediate_size > kSane || num_hidden_layers > 4096 ||
      head_dim > 4096 || num_attention_heads > 4096) {
    return InvalidArgument("config sizes are implausibly large");
  }
  if (bos_token_id >= vocab_size || eos_token_id >= vocab_size) {
    return InvalidArgument("bos/eos token id outside the vocabulary of " + std::to_string(vocab_size));
  }
  return OkStatus();
}

std::vector<TensorSpec> ExpectedTensors(const ModelConfig& c) {
  std::vector<TensorSpec> t;
  const int64_t h = c.hidden_size, q = c.q_dim(), kv = c.kv_dim(), ff = c.intermediate_size;
  t.push_back({"model.embed_tokens.weight", {c.vocab_size, h}, true});
  for (int64_t i = 0; i < c.num_hidden_layers; ++i) {
    const std::string p = "model.layers." + std::to_string(i) + ".";
    t.push_back({p + "input_layernorm.weight", {h}, false});
    t.push_back({p + "self_attn.q_proj.weight", {q, h}, true});
    if (c.attention_bias) t.push_back({p + "self_attn.q_proj.bias", {q}, false});
    t.push_back({p + "self_attn.k_proj.weight", {kv, h}, true});
    if (c.attention_bias) t.push_back({p + "self_attn.k_proj.bias", {kv}, false});
    t.push_back({p + "self_attn.v_proj.weight", {kv, h}, true});
    if (c.attention_bias) t.push_back({p + "self_attn.v_proj.bias", {kv}, false});
    t.push_back({p + "self_attn.o_proj.weight", {h, q}, true});
    t.push_back({p + "post_attention_layernorm.weight", {h}, false});
    t.push_back({p + "mlp.gate_proj.weight", {ff, h}, true});
    t.push_back({p + "mlp.up_proj.weight", {ff, h}, true});
    t.push_back({p + "mlp.down_proj.weight", {h, ff}, true});
  }
  t.push_back({"model.norm.weight", {h}, false});
  if (!c.tie_word_embeddings) t.push_back({"lm_head.weight", {c.vocab_size, h}, true});
  return t;
}

int64_t ParameterCount(const ModelConfig& config) {
  int64_t n = 0;
  for (const TensorSpec& t : ExpectedTensors(config)) {
    int64_t e = 1;
    for (int64_t d : t.shape) e *= d;
    n += e;
  }
  return n;
}

std::vector<std::string> PresetNames() { return {"qwen2.5-0.5b", "qwen2.5-1.5b", "tiny"}; }

Result<ModelConfig> PresetConfig(const std::string& name) {
  ModelConfig c;
  c.architecture = Architecture::kQwen2;
  c.vocab_size = 151936;
  c.max_position_embeddings = 32768;
  c.rms_norm_eps = 1e-6f;
  c.rope_theta = 1e6f;
  c.tie_word_embeddings = true;
  c.attention_bias = true;
  c.bos_token_id = 151643;  // <|endoftext|>
  c.eos_token_id = 151645;  // <|im_end|>
  if (name == "qwen2.5-0.5b") {
    c.hidden_size = 896;
    c.intermediate_size = 4864;
    c.num_hidden_layers = 24;
    c.num_attention_heads = 14;
    c.num_key_value_heads = 2;
    c.head_dim = 64;
  } else if (name == "qwen2.5-1.5b") {
    c.hidden_size = 1536;
    c.intermediate_size = 8960;
    c.num_hidden_layers = 28;
    c.num_attention_heads = 12;
    c.num_key_value_heads = 2;
    c.head_dim = 128;
  } else if (name == "tiny") {
    // Real vocabulary (so the real tokenizer works), toy width: tests and demos.
    c.hidden_size = 64;
    c.intermediate_size = 128;
    c.num_hidden_layers = 2;
    c.num_attention_heads = 4;
    c.num_key_value_heads = 2;
    c.head_dim = 16;
    c.max_position_embeddings = 4096;
  } else {
    std::string known;
    for (const auto& n : PresetNames()) known += (known.empty() ? "" : ", ") + n;
    return InvalidArgument("unknown preset '" + name + "' (known: " + known + ")");
  }
  return c;
}

}  // namespace edgert
