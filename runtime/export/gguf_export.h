// runtime/export/gguf_export.h: an .etm model as a GGUF v3 file that llama.cpp
// and Ollama load: llama.cpp's qwen2 / llama architecture keys, the tokenizer
// as tokenizer.ggml.* (model gpt2, pre qwen2, tokens padded to the embedding's
// rows as llama.cpp's converter pads them), the ChatML template, and the
// tensors under llama.cpp's names, copied block for block.
#pragma once

#include <string>

#include "base/status.h"
#include "formats/etm/etm_reader.h"

namespace edgert {

Status ExportGguf(const ModelFile& model, const std::string& out_path);

}  // namespace edgert
