// formats/gguf/gguf_names.h: llama.cpp's tensor names and Hugging Face's, both
// ways, from one table (qwen2 / llama decoders).
#pragma once

#include <string>

namespace edgert {

// "blk.3.attn_q.weight" -> "model.layers.3.self_attn.q_proj.weight"; "" when unknown.
std::string HfNameFromGguf(const std::string& gguf_name);
// The inverse; "" when unknown.
std::string GgufNameFromHf(const std::string& hf_name);

}  // namespace edgert
