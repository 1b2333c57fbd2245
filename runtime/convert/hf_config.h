// runtime/convert/hf_config.h: a Hugging Face config.json as a ModelConfig.
//
// Accepts Qwen2ForCausalLM and LlamaForCausalLM (and model_type qwen2/llama).
// Required fields missing or mistyped are errors that name the field; optional
// ones take Hugging Face's defaults for that architecture.
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"
#include "formats/model_config.h"

namespace edgert {

Result<ModelConfig> ReadHfConfig(const std::string& path);
Result<ModelConfig> ParseHfConfig(std::string_view json_text, const std::string& name);

}  // namespace edgert
