// runtime/export/gguf_lora_export.h: a LoRA adapter as a GGUF file that
// llama.cpp's --lora (and Ollama's ADAPTER) reads, with the conventions of
// llama.cpp's convert_lora_to_gguf.py:
//   general.architecture  the base's ("qwen2")
//   general.type          "adapter"
//   adapter.type          "lora"
//   adapter.lora.alpha    f32; llama.cpp scales by alpha / rank
//   blk.N.<proj>.weight.lora_a  f32 [rank][in]   (ggml ne = {in, rank})
//   blk.N.<proj>.weight.lora_b  f32 [out][rank]  (ggml ne = {rank, out})
// Our scale (user scale · alpha/r, or · alpha/sqrt(r) with rsLoRA) is folded
// into alpha = scale · rank, so llama.cpp applies exactly what edge-run does.
#pragma once

#include <string>

#include "base/status.h"
#include "formats/etm/etm_reader.h"
#include "runtime/train/lora.h"

namespace edgert {

Status ExportGgufLora(const LoraAdapter& adapter, float user_scale, const ModelFile& base, const std::string& out_path);

}  // namespace edgert
