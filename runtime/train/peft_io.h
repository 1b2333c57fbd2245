// runtime/train/peft_io.h: adapters as Hugging Face PEFT saves them, a folder
// with adapter_model.safetensors (tensor names as PeftTensorName) and
// adapter_config.json (r, lora_alpha, target_modules, lora_dropout,
// use_rslora, peft_type LORA, task_type CAUSAL_LM, base_model_name_or_path).
// A PEFT folder carries no fingerprint of its base: reading checks every
// tensor's shape against the model instead.
#pragma once

#include <string>

#include "base/status.h"
#include "formats/etm/etm_reader.h"
#include "formats/model_config.h"
#include "runtime/train/lora.h"

namespace edgert {

// Writes both files (each atomically) into `dir`, made if missing.
Status ExportPeft(const std::string& dir, const LoraAdapter& adapter, const std::string& base_model_name);

// Reads a PEFT folder (f32, f16 or bf16 tensors; lists of target modules).
// Refuses what this runtime cannot apply (bias, DoRA, per-module rank or
// alpha patterns, modules outside the seven projections), naming it.
Result<LoraAdapter> ImportPeft(const std::string& dir, const ModelConfig& model);

// What every command that takes an adapter accepts: a PEFT folder (converted
// in memory, checked against the base's shapes) or an .eta file (checked
// against the base's fingerprint).
Result<LoraAdapter> LoadAdapterOrPeft(const std::string& path, const ModelFile& base);

}  // namespace edgert
