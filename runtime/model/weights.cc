// runtime/model/weights.cc: tensor names to views.
#include "runtime/model/weights.h"

#include <algorithm>
#include <string>

#include "kernels/convert/fp16_rows.h"
#include "kernels/convert/quantize.h"

namespace edgert {
namespace {

Result<WeightView> View(const ModelFile& file, const std::string& name, bool optional = false) {
  const TensorInfo* t = file.Find(name);
  if (t == nullptr) {
    if (optional) return WeightView{};
    return NotFound(file.path() + ": tensor '" + name + "' is missing");
  }
  WeightView v;
  v.data = file.TensorData(*t).data();
  v.dtype = t->dtype;
  v.cols = t->shape.empty() ? 1 : t->shape.back();
  v.rows = t->shape.size() >= 2 ? t->shape[0] : 1;
  return v;
}

}  // namespace

void DecodeWeightRow(const WeightView& w, int64_t r, float* out) {
  const std::byte* row = w.data + static_cast<uint64_t>(r) * w.row_bytes();
  const auto n = static_cast<size_t>(w.cols);
  switch (w.dtype) {
    case DType::kF32: std::copy_n(reinterpret_cast<const float*>(row), n, out); break;
    case DType::kF16: kernels::ConvertRowF16ToF32(reinterpret_cast<const uint16_t*>(row), out, n); break;
    case DType::kBF16: kernels::ConvertRowBF16ToF32(reinterpret_cast<const uint16_t*>(row), out, n); break;
    case DType::kQ8_0: kernels::DequantizeRowQ8_0(reinterpret_cast<const BlockQ8_0*>(row), out, n); break;
    case DType::kQ4_0: kernels::DequantizeRowQ4_0(reinterpret_cast<const BlockQ4_0*>(row), out, n); break;
  }
}

Result<ModelWeights> BindWeights(const ModelFile& file) {
  const ModelConfig& c = file.config();
  ModelWeights w;
  EDGERT_ASSIGN_OR_RETURN(w.embed, View(file, "model.embed_tokens.weight"));
  EDGERT_ASSIGN_OR_RETURN(w.final_norm, View(file, "model.norm.weight"));
  if (c.tie_word_embeddings) {
    w.lm_head = w.embed;
  } else {
    EDGERT_ASSIGN_OR_RETURN(w.lm_head, View(file, "lm_head.weight"));
  }
  for (int64_t i = 0; i < c.num_hidden_layers; ++i) {
    const std::string p = "model.layers." + std::to_string(i) + ".";
    LayerWeights l;
    EDGERT_ASSIGN_OR_RETURN(l.input_norm, View(file, p + "input_layernorm.weight"));
    EDGERT_ASSIGN_OR_RETURN(l.q, View(file, p + "self_attn.q_proj.weight"));
    EDGERT_ASSIGN_OR_RETURN(l.k, View(file, p + "self_attn.k_proj.weight"));
    EDGERT_ASSIGN_OR_RETURN(l.v, View(file, p + "self_attn.v_proj.weight"));
    EDGERT_ASSIGN_OR_RETURN(l.o, View(file, p + "self_attn.o_proj.weight"));
    EDGERT_ASSIGN_OR_RETURN(l.q_bias, View(file, p + "self_attn.q_proj.bias", !c.attention_bias));
    EDGERT_ASSIGN_OR_RETURN(l.k_bias, View(file, p + "self_attn.k_proj.bias", !c.attention_bias));
    EDGERT_ASSIGN_OR_RETURN(l.v_bias, View(file, p + "self_attn.v_proj.bias", !c.attention_bias));
    EDGERT_ASSIGN_OR_RETURN(l.post_norm, View(file, p + "post_attention_layernorm.weight"));
    EDGERT_ASSIGN_OR_RETURN(l.gate, View(file, p + "mlp.gate_proj.weight"));
    EDGERT_ASSIGN_OR_RETURN(l.up, View(file, p + "mlp.up_proj.weight"));
    EDGERT_ASSIGN_OR_RETURN(l.down, View(file, p + "mlp.down_proj.weight"));
    w.layers.push_back(l);
  }
  for (const TensorInfo& t : file.tensors()) w.bytes += t.size;
  return w;
}

}  // namespace edgert
