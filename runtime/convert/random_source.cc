// runtime/convert/random_source.cc: seeded normal weights, row-addressable.
#include "runtime/convert/random_source.h"

#include <cmath>
#include <filesystem>
#include <system_error>
#include <unordered_map>

#include "base/splitmix.h"
#include "runtime/convert/hf_config.h"

namespace edgert {
namespace {

uint64_t HashName(const std::string& s) {  // FNV-1a: stable across platforms and builds
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : s) h = (h ^ c) * 0x100000001b3ull;
  return h;
}

// Box-Muller on 53-bit uniforms: two normals per two draws.
void FillNormal(uint64_t state, float mean, float stddev, float* out, int64_t n) {
  constexpr double kTwoPi = 6.283185307179586;
  for (int64_t i = 0; i < n; i += 2) {
    const double u1 = (static_cast<double>(SplitMix64(state) >> 11) + 1.0) * 0x1.0p-53;  // (0, 1]
    const double u2 = static_cast<double>(SplitMix64(state) >> 11) * 0x1.0p-53;
    const double r = std::sqrt(-2.0 * std::log(u1));
    out[i] = mean + stddev * static_cast<float>(r * std::cos(kTwoPi * u2));
    if (i + 1 < n) out[i + 1] = mean + stddev * static_cast<float>(r * std::sin(kTwoPi * u2));
  }
}

class RandomSource final : public CheckpointSource {
 public:
  RandomSource(ModelConfig config, uint64_t seed, std::string what)
      : config_(config), seed_(seed), what_(std::move(what)) {
    for (const TensorSpec& spec : ExpectedTensors(config_)) {
      tensors_.emplace(spec.name, SourceTensor{spec.name, DType::kF32, spec.shape});
    }
  }

  const ModelConfig& config() const override { return config_; }
  const std::optional<TokenizerSpec>& tokenizer() const override { return tokenizer_; }
  std::string description() const override {
    return "random weights: " + what_ + ", seed " + std::to_string(seed_);
  }
  const SourceTensor* Find(const std::string& name) const override {
    const auto it = tensors_.find(name);
    return it == tensors_.end() ? nullptr : &it->second;
  }

  Status ReadRowsF32(const SourceTensor& t, int64_t row0, int64_t rows, float* out) const override {
    const bool is_norm = t.name.find("norm.weight") != std::string::npos;
    const int64_t len = RowLength(t.shape);
    const uint64_t base = seed_ * 0x9E3779B97F4A7C15ull ^ HashName(t.name);
    for (int64_t r = 0; r < rows; ++r) {
      uint64_t state = base + static_cast<uint64_t>(row0 + r) * 0xD1B54A32D192ED03ull;
      FillNormal(SplitMix64(state), is_norm ? 1.0f : 0.0f, 0.02f, out + r * len, len);
    }
    return OkStatus();
  }

 private:
  ModelConfig config_;
  uint64_t seed_;
  std::string what_;
  std::optional<TokenizerSpec> tokenizer_;  // random models take --tokenizer
  std::unordered_map<std::string, SourceTensor> tensors_;
};

}  // namespace

Result<std::unique_ptr<CheckpointSource>> OpenRandomSource(const std::string& preset_or_config, uint64_t seed) {
  ModelConfig config;
  auto preset = PresetConfig(preset_or_config);
  if (preset.ok()) {
    config = *preset;
  } else if (std::error_code ec; std::filesystem::exists(preset_or_config, ec)) {
    EDGERT_ASSIGN_OR_RETURN(config, ReadHfConfig(preset_or_config));
  } else {
    return InvalidArgument("'" + preset_or_config + "' is neither a preset nor a config.json: " +
                           preset.status().message());
  }
  EDGERT_RETURN_IF_ERROR(config.Validate().WithContext(preset_or_config));
  return std::unique_ptr<CheckpointSource>(new RandomSource(config, seed, preset_or_config));
}

}  // namespace edgert
