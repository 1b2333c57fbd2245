// runtime/convert/random_source.h: a checkpoint of random weights with the
// exact shapes of a preset or a config.json, for tests, demos and benchmarks
// (real weights cannot be downloaded here).
//
// Deterministic: a weight depends only on (seed, tensor name, row), so any row
// can be produced on its own and the same command always writes the same file.
// Matrices and biases ~ N(0, 0.02²); norm weights ~ 1 + N(0, 0.02²).
#pragma once

#include <memory>
#include <string>

#include "runtime/convert/checkpoint_source.h"

namespace edgert {

// `preset_or_config`: a preset name (PresetNames()) or a path to a Hugging
// Face config.json.
Result<std::unique_ptr<CheckpointSource>> OpenRandomSource(const std::string& preset_or_config, uint64_t seed);

}  // namespace edgert
