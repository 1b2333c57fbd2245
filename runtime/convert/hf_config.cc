// runtime/convert/hf_config.cc: config.json fields to ModelConfig.
#include "runtime/convert/hf_config.h"

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "formats/regular_file.h"

namespace edgert {
namespace {

using nlohmann::json;

Result<int64_t> RequiredInt(const json& j, const char* key) {
  const auto it = j.find(key);
  if (it == j.end()) return InvalidArgument(std::string("missing field '") + key + "'");
  if (!it->is_number_integer()) return InvalidArgument(std::string("field '") + key + "' must be an integer");
  return it->get<int64_t>();
}

Result<int64_t> OptionalInt(const json& j, const char* key, int64_t fallback) {
  const auto it = j.find(key);
  if (it == j.end() || it->is_null()) return fallback;
  if (!it->is_number_integer()) return InvalidArgument(std::string("field '") + key + "' must be an integer");
  return it->get<int64_t>();
}

Result<double> OptionalNumber(const json& j, const char* key, double fallback) {
  const auto it = j.find(key);
  if (it == j.end() || it->is_null()) return fallback;
  if (!it->is_number()) return InvalidArgument(std::string("field '") + key + "' must be a number");
  return it->get<double>();
}

Result<bool> OptionalBool(const json& j, const char* key, bool fallback) {
  const auto it = j.find(key);
  if (it == j.end() || it->is_null()) return fallback;
  if (!it->is_boolean()) return InvalidArgument(std::string("field '") + key + "' must be true or false");
  return it->get<bool>();
}

// bos/eos may be an int, a list (first one is used) or null.
int32_t TokenId(const json& j, const char* key) {
  const auto it = j.find(key);
  if (it == j.end()) return -1;
  if (it->is_number_integer()) return it->get<int32_t>();
  if (it->is_array() && !it->empty() && (*it)[0].is_number_integer()) return (*it)[0].get<int32_t>();
  return -1;
}

Result<ModelConfig> FromJson(const json& j) {
  if (!j.is_object()) return InvalidArgument("expected a JSON object");
  ModelConfig c;
  std::string arch;
  if (const auto it = j.find("architectures"); it != j.end() && it->is_array() && !it->empty() && (*it)[0].is_string()) {
    arch = (*it)[0].get<std::string>();
  } else if (const auto mt = j.find("model_type"); mt != j.end() && mt->is_string()) {
    arch = mt->get<std::string>();
  } else {
    return InvalidArgument("missing field 'architectures' (or 'model_type')");
  }
  if (arch == "Qwen2ForCausalLM" || arch == "qwen2") {
    c.architecture = Architecture::kQwen2;
  } else if (arch == "LlamaForCausalLM" || arch == "llama") {
    c.architecture = Architecture::kLlama;
  } else {
    return Unsupported("architecture '" + arch + "' (supported: Qwen2ForCausalLM, LlamaForCausalLM)");
  }
  const bool qwen = c.architecture == Architecture::kQwen2;
  EDGERT_ASSIGN_OR_RETURN(c.vocab_size, RequiredInt(j, "vocab_size"));
  EDGERT_ASSIGN_OR_RETURN(c.hidden_size, RequiredInt(j, "hidden_size"));
  EDGERT_ASSIGN_OR_RETURN(c.intermediate_size, RequiredInt(j, "intermediate_size"));
  EDGERT_ASSIGN_OR_RETURN(c.num_hidden_layers, RequiredInt(j, "num_hidden_layers"));
  EDGERT_ASSIGN_OR_RETURN(c.num_attention_heads, RequiredInt(j, "num_attention_heads"));
  EDGERT_ASSIGN_OR_RETURN(c.num_key_value_heads, OptionalInt(j, "num_key_value_heads", c.num_attention_heads));
  if (c.num_attention_heads <= 0) return InvalidArgument("field 'num_attention_heads' must be positive");
  EDGERT_ASSIGN_OR_RETURN(c.head_dim, OptionalInt(j, "head_dim", c.hidden_size / c.num_attention_heads));
  EDGERT_ASSIGN_OR_RETURN(c.max_position_embeddings, OptionalInt(j, "max_position_embeddings", qwen ? 32768 : 2048));
  EDGERT_ASSIGN_OR_RETURN(const double eps, OptionalNumber(j, "rms_norm_eps", 1e-6));
  EDGERT_ASSIGN_OR_RETURN(const double theta, OptionalNumber(j, "rope_theta", 10000.0));
  c.rms_norm_eps = static_cast<float>(eps);
  c.rope_theta = static_cast<float>(theta);
  EDGERT_ASSIGN_OR_RETURN(c.tie_word_embeddings, OptionalBool(j, "tie_word_embeddings", false));
  // Qwen2 always has q/k/v bias; Llama only when attention_bias says so.
  EDGERT_ASSIGN_OR_RETURN(c.attention_bias, OptionalBool(j, "attention_bias", qwen));
  if (qwen) c.attention_bias = true;
  if (const auto it = j.find("rope_scaling"); it != j.end() && !it->is_null()) {
    return Unsupported("field 'rope_scaling' (RoPE scaling is not implemented)");
  }
  c.bos_token_id = TokenId(j, "bos_token_id");
  c.eos_token_id = TokenId(j, "eos_token_id");
  EDGERT_RETURN_IF_ERROR(c.Validate());
  return c;
}

}  // namespace

Result<ModelConfig> ParseHfConfig(std::string_view json_text, const std::string& name) {
  json j;
  try {
    j = json::parse(json_text);
  } catch (const json::parse_error& e) {
    return InvalidArgument(name + ": not valid JSON at byte " + std::to_string(e.byte) + ": " + e.what());
  } catch (const json::exception& e) {  // e.g. a number out of range
    return InvalidArgument(name + ": not valid JSON: " + e.what());
  }
  auto c = FromJson(j);
  if (!c.ok()) return c.status().WithContext(name);
  return c;
}

Result<ModelConfig> ReadHfConfig(const std::string& path) {
  EDGERT_RETURN_IF_ERROR(RefuseSpecialFile(path));
  std::ifstream in(path, std::ios::binary);
  if (!in) return IoError(path + ": cannot open");
  std::stringstream ss;
  ss << in.rdbuf();
  return ParseHfConfig(ss.str(), path);
}

}  // namespace edgert
