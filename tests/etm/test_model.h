// tests/etm/test_model.h: small model files built in tests.
#pragma once

#include <string>
#include <vector>

#include "formats/etm/model_metadata.h"

namespace edgert::testing {

// A valid Qwen2 config small enough to write in microseconds.
inline ModelConfig MicroConfig() {
  ModelConfig c;
  c.architecture = Architecture::kQwen2;
  c.vocab_size = 64;
  c.hidden_size = 32;
  c.intermediate_size = 64;
  c.num_hidden_layers = 2;
  c.num_attention_heads = 4;
  c.num_key_value_heads = 2;
  c.head_dim = 8;
  c.max_position_embeddings = 128;
  c.tie_word_embeddings = true;
  c.attention_bias = true;
  c.bos_token_id = 0;
  c.eos_token_id = 1;
  return c;
}

inline ModelMetadata MicroMetadata() {
  ModelMetadata m;
  m.config = MicroConfig();
  for (int i = 0; i < 60; ++i) {
    std::string token = "t";  // (not "t" + to_string: GCC 12 warns falsely on that)
    token += std::to_string(i);
    m.tokenizer.vocab.push_back(token);
  }
  m.tokenizer.merges = {"t 1", "t 2"};
  m.tokenizer.added_tokens = {{60, "<|endoftext|>", true, false, false, false, false}};
  m.tokenizer.normalizer = "NFC";
  m.tokenizer.pretokenizer_regex = "\\s+";
  m.source = "unit test";
  return m;
}

// The expected tensors of `config`, all in `matrix_dtype` (norms, biases f32).
inline std::vector<TensorDecl> DeclsFor(const ModelConfig& config, DType matrix_dtype) {
  std::vector<TensorDecl> decls;
  for (const TensorSpec& s : ExpectedTensors(config)) {
    decls.push_back({s.name, s.is_matrix ? matrix_dtype : DType::kF32, s.shape});
  }
  return decls;
}

}  // namespace edgert::testing
