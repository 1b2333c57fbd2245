// runtime/model/weights.h: the model's tensors as views into the mapped file.
//
// Nothing is copied: every view points into the ModelFile's mapping, so the
// ModelFile must outlive the ModelWeights. Shapes follow Hugging Face
// (W[out][in], row-major), so y = W·x reads one row per output feature.
#pragma once

#include <cstdint>
#include <vector>

#include "base/dtype.h"
#include "base/status.h"
#include "formats/etm/etm_reader.h"

namespace edgert {

struct WeightView {
  const std::byte* data = nullptr;
  DType dtype = DType::kF32;
  int64_t rows = 0;  // output features (1 for vectors)
  int64_t cols = 0;  // input features (the innermost dimension)

  const float* f32() const { return reinterpret_cast<const float*>(data); }
  uint64_t row_bytes() const { return static_cast<uint64_t>(cols) / DTypeInfoOf(dtype).block_elems * DTypeInfoOf(dtype).block_bytes; }
};

struct LayerWeights {
  WeightView input_norm;          // [hidden] f32
  WeightView q, k, v, o;          // [q_dim][hidden], [kv_dim][hidden] x2, [hidden][q_dim]
  WeightView q_bias, k_bias, v_bias;  // [q_dim], [kv_dim] x2 f32; data null without bias
  WeightView post_norm;           // [hidden] f32
  WeightView gate, up, down;      // [ffn][hidden] x2, [hidden][ffn]
};

struct ModelWeights {
  WeightView embed;               // [vocab][hidden]
  std::vector<LayerWeights> layers;
  WeightView final_norm;          // [hidden] f32
  WeightView lm_head;             // [vocab][hidden]; the embedding when tied
  uint64_t bytes = 0;             // sum of all tensor bytes
};

// Row `r` of w as f32 into out[w.cols] (exact for every dtype).
void DecodeWeightRow(const WeightView& w, int64_t r, float* out);

// The file was verified when opened (names, shapes, dtypes), so binding fails
// only on a dtype this runtime has no kernel for.
Result<ModelWeights> BindWeights(const ModelFile& file);

}  // namespace edgert
