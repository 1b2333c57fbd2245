// runtime/export/merge.h: LoRA adapters merged into a model's weights, and
// requantization, as a new .etm file.
//
//   W' = W + Σ_i user_scale_i · (alpha_i/r_i) · B_i·A_i     (per targeted projection)
//
// Streams through the converter (runtime/convert): each targeted matrix is
// decoded a block of rows at a time, the rows of the product added in f32,
// and encoded to the output dtype; every other tensor is copied block for
// block when its dtype is kept. The base's pages are released as they are
// read, so peak memory is a few MB of buffers plus the adapters, whatever the
// model's size. Norms and biases stay f32 (the format's rule).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/dtype.h"
#include "base/status.h"
#include "formats/etm/etm_reader.h"
#include "runtime/train/lora.h"

namespace edgert {

struct ScaledAdapter {
  std::shared_ptr<const LoraAdapter> adapter;
  float user_scale = 1.0f;  // multiplies the adapter's own alpha/r (A.eta:SCALE)
};

struct MergeOptions {
  std::string out_path;
  // dtype of the weight matrices; nullopt keeps each tensor's own dtype (a
  // merged Q8_0 matrix is requantized to Q8_0, an untouched one copied).
  std::optional<DType> matrix_dtype;
};

// `adapters` must have been checked against `base` (LoadAdapter's fingerprint,
// ImportPeft's shapes); their shapes are checked again here. No adapters:
// a requantized copy. The output appears only when complete.
Status MergeToEtm(const ModelFile& base, const std::vector<ScaledAdapter>& adapters, const MergeOptions& options);

}  // namespace edgert
