// runtime/train/peft_io.cc
#include "runtime/train/peft_io.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

#include <nlohmann/json.hpp>

#include "formats/regular_file.h"
#include "formats/safetensors/safetensors.h"
#include "kernels/convert/fp16.h"
#include "ports/output_file.h"
#include "runtime/train/adapter_io.h"

namespace edgert {
namespace {

using nlohmann::ordered_json;
namespace fs = std::filesystem;

constexpr const char* kWeights = "adapter_model.safetensors";
constexpr const char* kConfig = "adapter_config.json";

// The shortest decimal that reads back as `x` (0.05f is written 0.05, not
// 0.05000000074505806), as Python would print the value PEFT was given.
double ShortestDecimal(float x) {
  char buf[32];
  for (int digits = 6; digits < 9; ++digits) {
    std::snprintf(buf, sizeof buf, "%.*g", digits, static_cast<double>(x));
    if (std::strtof(buf, nullptr) == x) return std::strtod(buf, nullptr);
  }
  return static_cast<double>(x);
}

ordered_json PeftConfig(const LoraConfig& c, const std::string& base_model_name) {
  ordered_json targets = ordered_json::array();
  for (int t = 0; t < kLoraTargetCount; ++t) {
    if (c.has(static_cast<LoraTarget>(t))) targets.push_back(LoraTargetName(static_cast<LoraTarget>(t)));
  }
  // Keys and defaults as PEFT's LoraConfig writes them (those a loader reads).
  return {{"base_model_name_or_path", base_model_name},
          {"bias", "none"},
          {"fan_in_fan_out", false},
          {"inference_mode", true},
          {"init_lora_weights", true},
          {"lora_alpha", ShortestDecimal(c.alpha)},
          {"lora_dropout", ShortestDecimal(c.dropout)},
          {"modules_to_save", nullptr},
          {"peft_type", "LORA"},
          {"r", c.rank},
          {"rank_pattern", ordered_json::object()},
          {"alpha_pattern", ordered_json::object()},
          {"target_modules", targets},
          {"task_type", "CAUSAL_LM"},
          {"use_dora", false},
          {"use_rslora", c.rslora}};
}

Result<LoraConfig> ConfigFrom(const ordered_json& j) {
  auto fail = [](const std::string& why) { return InvalidArgument(std::string(kConfig) + ": " + why); };
  if (!j.is_object()) return fail("expected a JSON object");
  if (j.value("peft_type", "LORA") != "LORA") return fail("peft_type is not LORA");
  if (j.value("bias", "none") != "none") return fail("bias other than \"none\" is not supported");
  if (j.value("use_dora", false)) return fail("DoRA (use_dora) is not supported");
  for (const char* key : {"rank_pattern", "alpha_pattern"}) {
    if (j.contains(key) && !j[key].is_null() && !j[key].empty()) {
      return fail(std::string(key) + " (per-module rank or alpha) is not supported");
    }
  }
  if (!j.contains("r") || !j["r"].is_number_integer()) return fail("needs an integer 'r'");
  if (!j.contains("lora_alpha") || !j["lora_alpha"].is_number()) return fail("needs a number 'lora_alpha'");
  LoraConfig c;
  c.rank = j["r"].get<int32_t>();
  c.alpha = j["lora_alpha"].get<float>();
  c.dropout = j.value("lora_dropout", 0.0f);
  c.rslora = j.value("use_rslora", false);
  const auto& t = j.contains("target_modules") ? j["target_modules"] : ordered_json();
  if (!t.is_array()) return fail("target_modules must be a list of names (a regular expression is not supported)");
  std::string list;
  for (const auto& name : t) {
    if (!name.is_string()) return fail("target_modules must be a list of names");
    list += (list.empty() ? "" : ",") + name.get<std::string>();
  }
  auto mask = ParseLoraTargets(list);
  if (!mask.ok()) return fail(mask.status().message());
  c.targets = *mask;
  EDGERT_RETURN_IF_ERROR(c.Validate());
  return c;
}

Result<std::vector<float>> ToF32(const SafetensorsTensor& t) {
  const auto* p = reinterpret_cast<const uint16_t*>(t.data.data());
  std::vector<float> out;
  switch (t.dtype) {
    case DType::kF32:
      out.resize(t.data.size() / sizeof(float));
      std::memcpy(out.data(), t.data.data(), t.data.size());
      return out;
    case DType::kF16:
    case DType::kBF16:
      out.resize(t.data.size() / 2);
      for (size_t i = 0; i < out.size(); ++i) out[i] = t.dtype == DType::kF16 ? kernels::F16ToF32(p[i]) : kernels::BF16ToF32(p[i]);
      return out;
    default:
      return InvalidArgument("tensor '" + t.name + "': expected f32, f16 or bf16");
  }
}

}  // namespace

Status ExportPeft(const std::string& dir, const LoraAdapter& adapter, const std::string& base_model_name) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return IoError(dir + ": cannot create the folder: " + ec.message());
  const std::vector<NamedTensor> tensors = AdapterTensors(adapter);
  std::vector<SafetensorsOut> out;
  for (const NamedTensor& t : tensors) out.push_back({t.name, DType::kF32, t.shape, std::as_bytes(t.values())});
  EDGERT_RETURN_IF_ERROR(WriteSafetensors((fs::path(dir) / kWeights).string(), out, {{"format", "pt"}}));
  const std::string json = PeftConfig(adapter.config, base_model_name).dump(2) + "\n";
  return ports::WriteFileAtomically((fs::path(dir) / kConfig).string(), std::as_bytes(std::span(json)));
}

Result<LoraAdapter> ImportPeft(const std::string& dir, const ModelConfig& model) {
  const std::string config_path = (fs::path(dir) / kConfig).string();
  EDGERT_RETURN_IF_ERROR(RefuseSpecialFile(config_path));
  std::ifstream in(config_path, std::ios::binary);
  if (!in) return IoError(config_path + ": cannot open (a PEFT adapter folder has adapter_config.json)");
  std::stringstream ss;
  ss << in.rdbuf();
  ordered_json j;
  try {
    j = ordered_json::parse(ss.str());
  } catch (const ordered_json::exception& e) {
    return InvalidArgument(config_path + ": not valid JSON: " + e.what());
  }
  auto config = ConfigFrom(j);
  if (!config.ok()) return config.status().WithContext(dir);
  const std::string weights_path = (fs::path(dir) / kWeights).string();
  EDGERT_ASSIGN_OR_RETURN(SafetensorsCheckpoint st, SafetensorsCheckpoint::Open(weights_path));
  std::vector<NamedTensor> tensors;
  for (const SafetensorsTensor& t : st.tensors()) {
    auto data = ToF32(t);
    if (!data.ok()) return data.status().WithContext(weights_path);
    tensors.push_back({t.name, t.shape, std::move(*data), {}});
  }
  const LoraConfig& c = *config;
  auto adapter = AdapterFromTensors(model, LoraSettingsData{c.rank, c.alpha, c.dropout, c.rslora, c.targets}, tensors);
  if (!adapter.ok()) return adapter.status().WithContext(weights_path);
  return adapter;
}

Result<LoraAdapter> LoadAdapterOrPeft(const std::string& path, const ModelFile& base) {
  if (std::error_code ec; std::filesystem::is_directory(path, ec)) return ImportPeft(path, base.config());
  return LoadAdapter(path, base);
}

}  // namespace edgert
