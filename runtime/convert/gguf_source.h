// runtime/convert/gguf_source.h: a llama.cpp / Ollama GGUF file as a source.
//
// Maps GGUF tensor names to Hugging Face's, reads the architecture from the
// qwen2.* / llama.* keys, and the tokenizer from tokenizer.ggml.*. Quantized
// tensors whose dtype is kept are copied block for block. Llama checkpoints
// store q/k rows permuted for interleaved RoPE; they are put back in the
// rotate-half order this runtime (and Hugging Face) uses.
#pragma once

#include <memory>
#include <string>

#include "runtime/convert/checkpoint_source.h"

namespace edgert {

Result<std::unique_ptr<CheckpointSource>> OpenGgufCheckpoint(const std::string& path);

}  // namespace edgert
