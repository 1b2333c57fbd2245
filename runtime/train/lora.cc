// runtime/train/lora.cc: adapter shapes and initialisation.
#include "runtime/train/lora.h"

#include <cmath>
#include <tuple>

#include "base/splitmix.h"

namespace edgert {
namespace {

constexpr std::array<const char*, kLoraTargetCount> kNames = {"q_proj",    "k_proj",  "v_proj",   "o_proj",
                                                              "gate_proj", "up_proj", "down_proj"};
constexpr std::array<const char*, kLoraTargetCount> kShortNames = {"q", "k", "v", "o", "gate", "up", "down"};

}  // namespace

const char* LoraTargetName(LoraTarget t) { return kNames[static_cast<size_t>(t)]; }

float LoraConfig::scale() const {
  return rslora ? alpha / std::sqrt(static_cast<float>(rank)) : alpha / static_cast<float>(rank);
}

bool AllFinite(const LoraAdapter& adapter) {
  for (const auto& layer : adapter.layers) {
    for (const LoraPair& pair : layer) {
      for (const std::vector<float>* w : {&pair.a, &pair.b}) {
        for (float x : *w) {
          if (!std::isfinite(x)) return false;
        }
      }
    }
  }
  return true;
}

Status LoraConfig::Validate() const {
  if (rank <= 0 || rank > 1024) return InvalidArgument("LoRA rank must be in 1..1024, got " + std::to_string(rank));
  if (!(alpha > 0.0f && std::isfinite(alpha))) return InvalidArgument("LoRA alpha must be a positive finite number");
  if (!(dropout >= 0.0f && dropout < 1.0f)) return InvalidArgument("LoRA dropout must be in [0, 1)");
  if ((targets & 0x7f) == 0 || (targets & ~0x7fu) != 0) return InvalidArgument("LoRA needs at least one target");
  return OkStatus();
}

Result<uint32_t> ParseLoraTargets(std::string_view list) {
  if (list == "all") return 0x7fu;
  uint32_t mask = 0;
  while (!list.empty()) {
    const size_t comma = list.find(',');
    const std::string_view item = list.substr(0, comma);
    bool found = false;
    for (int i = 0; i < kLoraTargetCount; ++i) {
      if (item == kNames[static_cast<size_t>(i)] || item == kShortNames[static_cast<size_t>(i)]) {
        mask |= 1u << i;
        found = true;
      }
    }
    if (!found) {
      return InvalidArgument("unknown LoRA target '" + std::string(item) +
                             "' (expected all, or q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj)");
    }
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  if (mask == 0) return InvalidArgument("no LoRA targets given");
  return mask;
}

std::pair<int64_t, int64_t> LoraShape(const ModelConfig& c, LoraTarget t) {
  switch (t) {
    case LoraTarget::kQ: return {c.hidden_size, c.q_dim()};
    case LoraTarget::kK:
    case LoraTarget::kV: return {c.hidden_size, c.kv_dim()};
    case LoraTarget::kO: return {c.q_dim(), c.hidden_size};
    case LoraTarget::kGate:
    case LoraTarget::kUp: return {c.hidden_size, c.intermediate_size};
    case LoraTarget::kDown: return {c.intermediate_size, c.hidden_size};
  }
  return {0, 0};
}

Result<LoraAdapter> LoraAdapter::Create(const ModelConfig& model, const LoraConfig& config, uint64_t seed) {
  EDGERT_RETURN_IF_ERROR(config.Validate());
  LoraAdapter ad;
  ad.config = config;
  ad.layers.resize(static_cast<size_t>(model.num_hidden_layers));
  uint64_t state = seed;
  for (auto& layer : ad.layers) {
    for (int t = 0; t < kLoraTargetCount; ++t) {
      if (!config.has(static_cast<LoraTarget>(t))) continue;
      LoraPair& p = layer[static_cast<size_t>(t)];
      std::tie(p.in, p.out) = LoraShape(model, static_cast<LoraTarget>(t));
      p.a.resize(static_cast<size_t>(config.rank * p.in));
      p.b.assign(static_cast<size_t>(p.out * config.rank), 0.0f);
      // kaiming_uniform_(a=sqrt(5)) on [r][in]: bound = 1/sqrt(in).
      const double bound = 1.0 / std::sqrt(static_cast<double>(p.in));
      for (float& v : p.a) {
        const double u = static_cast<double>(SplitMix64(state) >> 11) * 0x1.0p-53;
        v = static_cast<float>((2.0 * u - 1.0) * bound);
      }
    }
  }
  return ad;
}

LoraAdapter LoraAdapter::ZerosLike() const {
  LoraAdapter z;
  z.config = config;
  z.layers = layers;
  for (auto& layer : z.layers) {
    for (LoraPair& p : layer) {
      std::fill(p.a.begin(), p.a.end(), 0.0f);
      std::fill(p.b.begin(), p.b.end(), 0.0f);
    }
  }
  return z;
}

int64_t LoraAdapter::ParameterCount() const {
  int64_t n = 0;
  for (const auto& layer : layers) {
    for (const LoraPair& p : layer) n += static_cast<int64_t>(p.a.size() + p.b.size());
  }
  return n;
}

}  // namespace edgert
