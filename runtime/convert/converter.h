// runtime/convert/converter.h: any CheckpointSource to an .etm model file.
//
// Streams tensor by tensor, a block of rows at a time: peak memory is a few
// MB of buffers plus the pages of the source being read, which sources release
// as they go. Weight matrices take the requested dtype; norms and biases stay
// f32. The output appears only when complete (see EtmWriter).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "base/dtype.h"
#include "base/status.h"
#include "formats/etm/model_metadata.h"
#include "formats/tokenizer_spec.h"
#include "runtime/convert/checkpoint_source.h"

namespace edgert {

struct ConvertProgress {
  size_t tensor_index = 0;
  size_t tensor_count = 0;
  const std::string* tensor_name = nullptr;
  uint64_t bytes_written = 0;
  uint64_t bytes_total = 0;
};

struct ConvertOptions {
  std::string out_path;
  // dtype of weight matrices; nullopt keeps each source tensor's own dtype
  // (a GGUF Q4_0 tensor stays Q4_0: copied, not requantized).
  std::optional<DType> matrix_dtype;
  // Replaces the source's tokenizer (and is required when it has none).
  std::optional<TokenizerSpec> tokenizer;
  // Replace the defaults (an .etm source keeps its own: merge, requantize).
  std::optional<ChatDefaults> chat;
  std::optional<GenerationDefaults> generation;
  std::function<void(const ConvertProgress&)> on_progress;
};

Status ConvertToEtm(const CheckpointSource& source, const ConvertOptions& options);

}  // namespace edgert
