// runtime/export/gguf_lora_export.cc
#include "runtime/export/gguf_lora_export.h"

#include <cmath>

#include "formats/gguf/gguf_names.h"
#include "formats/gguf/gguf_writer.h"

namespace edgert {

Status ExportGgufLora(const LoraAdapter& adapter, float user_scale, const ModelFile& base, const std::string& out_path) {
  if (base.config().architecture != Architecture::kQwen2) {
    return Unsupported("GGUF LoRA export for llama-architecture bases (their q/k rows are permuted in GGUF)");
  }
  const int32_t r = adapter.config.rank;
  const float alpha = user_scale * adapter.config.scale() * static_cast<float>(r);
  if (!std::isfinite(alpha)) return InvalidArgument("adapter scale is not finite");
  const std::vector<std::pair<std::string, GgufValue>> meta = {
      {"general.architecture", std::string("qwen2")},
      {"general.type", std::string("adapter")},
      {"general.name", std::string("edge-rt LoRA adapter")},
      {"adapter.type", std::string("lora")},
      {"adapter.lora.alpha", static_cast<double>(alpha)},
  };
  std::vector<GgufOutTensor> tensors;
  for (size_t l = 0; l < adapter.layers.size(); ++l) {
    for (int t = 0; t < kLoraTargetCount; ++t) {
      const LoraPair& p = adapter.layers[l][static_cast<size_t>(t)];
      if (!p.enabled()) continue;
      const auto target = static_cast<LoraTarget>(t);
      const std::string group = t <= static_cast<int>(LoraTarget::kO) ? ".self_attn." : ".mlp.";
      const std::string hf = "model.layers." + std::to_string(l) + group + LoraTargetName(target) + ".weight";
      const TensorInfo* w = base.Find(hf);
      if (w == nullptr || w->shape != std::vector<int64_t>{p.out, p.in}) {
        return InvalidArgument(base.path() + ": no tensor '" + hf + "' of the adapter's shape (an adapter for another base?)");
      }
      const std::string name = GgufNameFromHf(hf);
      tensors.push_back({name + ".lora_a", DType::kF32, {r, p.in}, std::as_bytes(std::span(p.a))});
      tensors.push_back({name + ".lora_b", DType::kF32, {p.out, r}, std::as_bytes(std::span(p.b))});
    }
  }
  if (tensors.empty()) return InvalidArgument("the adapter adapts nothing");
  return WriteGguf(out_path, meta, tensors);
}

}  // namespace edgert
