// runtime/train/adapter_io.h: LoraAdapter to and from .eta files, with PEFT's
// tensor names, bound to the base model's fingerprint.
#pragma once

#include <string>

#include "base/status.h"
#include "formats/adapter/adapter_file.h"
#include "formats/etm/etm_reader.h"
#include "runtime/train/lora.h"

namespace edgert {

// "base_model.model.model.layers.{i}.self_attn.q_proj.lora_A.weight"
std::string PeftTensorName(size_t layer, LoraTarget target, bool a);

// Views of the adapter's A and B (no copies: valid while `adapter` lives and keeps its sizes).
std::vector<NamedTensor> AdapterTensors(const LoraAdapter& adapter);
Result<LoraAdapter> AdapterFromTensors(const ModelConfig& model, const LoraSettingsData& settings,
                                       const std::vector<NamedTensor>& tensors);

// The file's contents for `adapter` on `base`, without training state (views, as AdapterTensors).
AdapterFileData AdapterFileFor(const LoraAdapter& adapter, const ModelFile& base);
Status SaveAdapter(const std::string& path, const LoraAdapter& adapter, const ModelFile& base);
// Refuses an adapter made for another base model, naming both.
Result<LoraAdapter> LoadAdapter(const std::string& path, const ModelFile& base);

}  // namespace edgert
