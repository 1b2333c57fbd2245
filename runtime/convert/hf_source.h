// runtime/convert/hf_source.h: a Hugging Face checkpoint folder as a source:
// config.json, safetensors (single or sharded), tokenizer.json if present.
#pragma once

#include <memory>
#include <string>

#include "runtime/convert/checkpoint_source.h"

namespace edgert {

Result<std::unique_ptr<CheckpointSource>> OpenHfCheckpoint(const std::string& folder);

}  // namespace edgert
