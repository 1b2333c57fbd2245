// formats/model_config.h: the architecture of a Qwen2/Llama decoder, and the
// tensors such a model must have.
//
// This is what a model file promises; the converter builds it from config.json
// or GGUF metadata, the reader checks the file's tensors against it (a shape
// that contradicts the config is a corrupt file, not a surprise at run time).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"

namespace edgert {

enum class Architecture : uint8_t { kQwen2 = 0, kLlama = 1 };

struct ModelConfig {
  Architecture architecture = Architecture::kQwen2;
  int64_t vocab_size = 0;               // embedding rows (padded vocabulary)
  int64_t hidden_size = 0;
  int64_t intermediate_size = 0;
  int64_t num_hidden_layers = 0;
  int64_t num_attention_heads = 0;
  int64_t num_key_value_heads = 0;
  int64_t head_dim = 0;                 // hidden_size / num_attention_heads unless given
  int64_t max_position_embeddings = 0;
  float rms_norm_eps = 1e-6f;
  float rope_theta = 1e6f;
  bool tie_word_embeddings = false;
  bool attention_bias = true;           // bias on q/k/v only
  int32_t bos_token_id = -1;
  int32_t eos_token_id = -1;

  int64_t q_dim() const { return num_attention_heads * head_dim; }
  int64_t kv_dim() const { return num_key_value_heads * head_dim; }

  // Every field positive, heads divide evenly, sizes sane. Names the field.
  Status Validate() const;
};

// A tensor the architecture requires: its Hugging Face name and shape.
struct TensorSpec {
  std::string name;
  std::vector<int64_t> shape;
  bool is_matrix;  // a weight matrix (quantizable); false for norms and biases
};

// All tensors of the model in file order: embedding, then each layer, then
// the final norm and (unless tied) the LM head.
std::vector<TensorSpec> ExpectedTensors(const ModelConfig& config);

// Sum of the elements of ExpectedTensors (what Hugging Face reports).
int64_t ParameterCount(const ModelConfig& config);

const char* ArchitectureName(Architecture a);

// The built-in shapes: "qwen2.5-0.5b", "qwen2.5-1.5b", "tiny".
Result<ModelConfig> PresetConfig(const std::string& name);
std::vector<std::string> PresetNames();

}  // namespace edgert
