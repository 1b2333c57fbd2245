// runtime/convert/open_source.h: a checkpoint by path: a Hugging Face folder
// (config.json + safetensors, single or sharded) or a .gguf file.
#pragma once

#include <memory>
#include <string>

#include "runtime/convert/checkpoint_source.h"

namespace edgert {

Result<std::unique_ptr<CheckpointSource>> OpenCheckpoint(const std::string& path);

}  // namespace edgert
