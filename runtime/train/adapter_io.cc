// runtime/train/adapter_io.cc
#include "runtime/train/adapter_io.h"

#include <filesystem>
#include <unordered_map>

namespace edgert {

std::string PeftTensorName(size_t layer, LoraTarget target, bool a) {
  const LoraTarget t = target;
  const bool mlp = t == LoraTarget::kGate || t == LoraTarget::kUp || t == LoraTarget::kDown;
  return "base_model.model.model.layers." + std::to_string(layer) + (mlp ? ".mlp." : ".self_attn.") +
         LoraTargetName(t) + (a ? ".lora_A.weight" : ".lora_B.weight");
}

std::vector<NamedTensor> AdapterTensors(const LoraAdapter& adapter) {
  std::vector<NamedTensor> out;
  const int64_t r = adapter.config.rank;
  for (size_t l = 0; l < adapter.layers.size(); ++l) {
    for (int t = 0; t < kLoraTargetCount; ++t) {
      const LoraPair& p = adapter.layers[l][static_cast<size_t>(t)];
      if (!p.enabled()) continue;
      out.push_back({PeftTensorName(l, static_cast<LoraTarget>(t), true), {r, p.in}, {}, p.a});
      out.push_back({PeftTensorName(l, static_cast<LoraTarget>(t), false), {p.out, r}, {}, p.b});
    }
  }
  return out;
}

Result<LoraAdapter> AdapterFromTensors(const ModelConfig& model, const LoraSettingsData& s,
                                       const std::vector<NamedTensor>& tensors) {
  LoraConfig cfg{s.rank, s.alpha, s.dropout, s.rslora, s.targets};
  EDGERT_RETURN_IF_ERROR(cfg.Validate());
  EDGERT_ASSIGN_OR_RETURN(LoraAdapter adapter, LoraAdapter::Create(model, cfg, 0));
  std::unordered_map<std::string, const NamedTensor*> by_name;
  for (const NamedTensor& t : tensors) by_name[t.name] = &t;
  size_t used = 0;
  for (size_t l = 0; l < adapter.layers.size(); ++l) {
    for (int t = 0; t < kLoraTargetCount; ++t) {
      LoraPair& p = adapter.layers[l][static_cast<size_t>(t)];
      if (!p.enabled()) continue;
      for (bool a : {true, false}) {
        const std::string name = PeftTensorName(l, static_cast<LoraTarget>(t), a);
        const auto it = by_name.find(name);
        if (it == by_name.end()) return NotFound("adapter tensor '" + name + "' is missing");
        const std::vector<int64_t> want = a ? std::vector<int64_t>{s.rank, p.in} : std::vector<int64_t>{p.out, s.rank};
        if (it->second->shape != want) {
          return InvalidArgument("adapter tensor '" + name + "' has the wrong shape for this base model");
        }
        const std::span<const float> values = it->second->values();
        (a ? p.a : p.b).assign(values.begin(), values.end());
        ++used;
      }
    }
  }
  if (used != tensors.size()) return InvalidArgument("adapter has tensors its settings do not account for");
  return adapter;
}

AdapterFileData AdapterFileFor(const LoraAdapter& adapter, const ModelFile& base) {
  AdapterFileData d;
  d.base_fingerprint = base.fingerprint();
  // The file name, not the path as typed: the same training run from
  // "m.etm" and "./models/../m.etm" must write the same bytes.
  d.base_description = std::filesystem::path(base.path()).filename().string() + " (" + base.metadata().source + ")";
  const LoraConfig& c = adapter.config;
  d.settings = {c.rank, c.alpha, c.dropout, c.rslora, c.targets};
  d.tensors = AdapterTensors(adapter);
  return d;
}

Status SaveAdapter(const std::string& path, const LoraAdapter& adapter, const ModelFile& base) {
  return WriteAdapterFile(path, AdapterFileFor(adapter, base));
}

Result<LoraAdapter> LoadAdapter(const std::string& path, const ModelFile& base) {
  EDGERT_ASSIGN_OR_RETURN(AdapterFileData d, ReadAdapterFile(path));
  if (d.base_fingerprint != base.fingerprint()) {
    return InvalidArgument(path + ": adapter was trained for another base model (" + d.base_description +
                           "), not " + base.path());
  }
  auto a = AdapterFromTensors(base.config(), d.settings, d.tensors);
  if (!a.ok()) return a.status().WithContext(path);
  return a;
}

}  // namespace edgert
