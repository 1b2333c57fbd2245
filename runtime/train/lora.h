// runtime/train/lora.h: LoRA adapters, as PEFT defines them.
//
//   y = W·x + b + scale · B·(A·x),   A: [r][in], B: [out][r]
//   scale = alpha / r, or alpha / sqrt(r) with rsLoRA.
// A starts kaiming-uniform (PEFT: U(-1/sqrt(in), 1/sqrt(in))), B at zero, so a
// new adapter leaves the model unchanged. Applied beside the frozen weight,
// never merged into it: the model file is never rewritten.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "formats/model_config.h"

namespace edgert {

enum class LoraTarget : uint8_t { kQ, kK, kV, kO, kGate, kUp, kDown };
inline constexpr int kLoraTargetCount = 7;
const char* LoraTargetName(LoraTarget t);  // "q_proj", ...

struct LoraConfig {
  int32_t rank = 8;
  float alpha = 16.0f;
  float dropout = 0.0f;
  bool rslora = false;
  uint32_t targets = 0x7f;  // bit i = LoraTarget(i); all seven by default

  bool has(LoraTarget t) const { return (targets >> static_cast<int>(t)) & 1u; }
  float scale() const;
  Status Validate() const;
};

// "all" or a comma list of q_proj,k_proj,... (or q,k,v,o,gate,up,down).
Result<uint32_t> ParseLoraTargets(std::string_view list);

// One adapted projection's matrices, f32, row-major.
struct LoraPair {
  std::vector<float> a;  // [rank][in]
  std::vector<float> b;  // [out][rank]
  int64_t in = 0, out = 0;
  bool enabled() const { return !a.empty(); }
};

struct LoraAdapter {
  LoraConfig config;
  std::vector<std::array<LoraPair, kLoraTargetCount>> layers;  // [layer][target]

  // Shapes for `model`, A kaiming-uniform from `seed`, B zero.
  static Result<LoraAdapter> Create(const ModelConfig& model, const LoraConfig& config, uint64_t seed);
  // Zeroed matrices of the same shapes (gradients, optimizer moments).
  LoraAdapter ZerosLike() const;
  int64_t ParameterCount() const;
};

// Every weight of A and B is a finite number (not NaN, not infinite).
bool AllFinite(const LoraAdapter& adapter);

// in/out features of a target's projection.
std::pair<int64_t, int64_t> LoraShape(const ModelConfig& model, LoraTarget t);

}  // namespace edgert
