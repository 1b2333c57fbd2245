// formats/gguf/gguf_names.cc
#include "formats/gguf/gguf_names.h"

#include <array>
#include <utility>

namespace edgert {
namespace {

using Pair = std::pair<const char*, const char*>;  // {gguf, hf}

constexpr std::array<Pair, 3> kTop = {{{"token_embd.weight", "model.embed_tokens.weight"},
                                       {"output_norm.weight", "model.norm.weight"},
                                       {"output.weight", "lm_head.weight"}}};
constexpr std::array<Pair, 12> kLayer = {{{"attn_norm.weight", "input_layernorm.weight"},
                                          {"attn_q.weight", "self_attn.q_proj.weight"},
                                          {"attn_q.bias", "self_attn.q_proj.bias"},
                                          {"attn_k.weight", "self_attn.k_proj.weight"},
                                          {"attn_k.bias", "self_attn.k_proj.bias"},
                                          {"attn_v.weight", "self_attn.v_proj.weight"},
                                          {"attn_v.bias", "self_attn.v_proj.bias"},
                                          {"attn_output.weight", "self_attn.o_proj.weight"},
                                          {"ffn_norm.weight", "post_attention_layernorm.weight"},
                                          {"ffn_gate.weight", "mlp.gate_proj.weight"},
                                          {"ffn_up.weight", "mlp.up_proj.weight"},
                                          {"ffn_down.weight", "mlp.down_proj.weight"}}};

// Maps `name` across the table: from side `from` (0 gguf, 1 hf) to the other.
std::string Map(const std::string& name, int from, const std::string& layer_prefix_from,
                const std::string& layer_prefix_to) {
  for (const Pair& p : kTop) {
    if (name == (from == 0 ? p.first : p.second)) return from == 0 ? p.second : p.first;
  }
  if (name.rfind(layer_prefix_from, 0) != 0) return "";
  const size_t dot = name.find('.', layer_prefix_from.size());
  if (dot == std::string::npos) return "";
  const std::string layer = name.substr(layer_prefix_from.size(), dot - layer_prefix_from.size());
  const std::string rest = name.substr(dot + 1);
  for (const Pair& p : kLayer) {
    if (rest == (from == 0 ? p.first : p.second)) return layer_prefix_to + layer + "." + (from == 0 ? p.second : p.first);
  }
  return "";
}

}  // namespace

std::string HfNameFromGguf(const std::string& gguf_name) { return Map(gguf_name, 0, "blk.", "model.layers."); }
std::string GgufNameFromHf(const std::string& hf_name) { return Map(hf_name, 1, "model.layers.", "blk."); }

}  // namespace edgert
