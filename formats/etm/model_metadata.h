// formats/etm/model_metadata.h: everything an .etm file says besides its weights.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/dtype.h"
#include "formats/model_config.h"
#include "formats/tokenizer_spec.h"

namespace edgert {

// 2: the header checksum (formats/model.fbs's revision history).
inline constexpr uint32_t kEtmFormatVersion = 2;
inline constexpr uint32_t kEtmFirstVersionWithHeaderChecksum = 2;
inline constexpr uint64_t kEtmTensorAlignment = 64;   // every tensor's start
inline constexpr uint64_t kEtmDataAlignment = 4096;   // start of the data area: page-aligned for madvise

struct ChatDefaults {
  std::string template_name = "chatml";
  std::string default_system_prompt = "You are Qwen, created by Alibaba Cloud. You are a helpful assistant.";
  std::vector<std::string> end_tokens = {"<|im_end|>", "<|endoftext|>"};
};

// Qwen2.5-Instruct's generation_config.json values.
struct GenerationDefaults {
  float temperature = 0.7f;
  int32_t top_k = 20;
  float top_p = 0.8f;
  float min_p = 0.0f;
  float repetition_penalty = 1.05f;
  int32_t max_new_tokens = 512;
};

struct ModelMetadata {
  ModelConfig config;
  TokenizerSpec tokenizer;
  ChatDefaults chat;
  GenerationDefaults generation;
  std::string source;  // provenance, e.g. "safetensors:/path (f32 -> q8_0)"
};

// A tensor as declared to the writer.
struct TensorDecl {
  std::string name;
  DType dtype = DType::kF32;
  std::vector<int64_t> shape;
};

// A tensor as found in a file.
struct TensorInfo {
  std::string name;
  DType dtype = DType::kF32;
  std::vector<int64_t> shape;
  uint64_t offset = 0;    // absolute, from the start of the file
  uint64_t size = 0;      // bytes
  uint64_t checksum = 0;  // XXH3-64 of the bytes
};

}  // namespace edgert
