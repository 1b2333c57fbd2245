// runtime/export/merge.cc: a CheckpointSource over an .etm file whose rows
// carry the adapters' products, fed to the streaming converter.
#include "runtime/export/merge.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <unordered_map>

#include "runtime/convert/converter.h"
#include "runtime/model/weights.h"

namespace edgert {
namespace {

// One adapted projection of one adapter, with its whole scale.
struct Term {
  const LoraPair* pair;
  int32_t rank;
  float scale;
};

// "model.layers.3.mlp.up_proj.weight" -> (3, kUp); false for any other tensor.
bool ParseProjection(const std::string& name, size_t* layer, LoraTarget* target) {
  constexpr std::string_view kPrefix = "model.layers.";
  if (!name.starts_with(kPrefix) || !name.ends_with(".weight")) return false;
  size_t pos = kPrefix.size(), n = 0;
  if (pos >= name.size() || name[pos] < '0' || name[pos] > '9') return false;
  while (pos < name.size() && name[pos] >= '0' && name[pos] <= '9') n = n * 10 + static_cast<size_t>(name[pos++] - '0');
  const std::string rest = name.substr(pos);  // ".self_attn.q_proj.weight"
  for (int t = 0; t < kLoraTargetCount; ++t) {
    const auto target_t = static_cast<LoraTarget>(t);
    const std::string module = LoraTargetName(target_t);
    const std::string group = (t <= static_cast<int>(LoraTarget::kO)) ? ".self_attn." : ".mlp.";
    if (rest == group + module + ".weight") {
      *layer = n;
      *target = target_t;
      return true;
    }
  }
  return false;
}

class MergeSource final : public CheckpointSource {
 public:
  MergeSource(const ModelFile& base, size_t adapter_count) : base_(base) {
    description_ = "etm: " + base.path();
    if (adapter_count > 0) description_ += " + " + std::to_string(adapter_count) + " LoRA adapter(s) merged";
  }

  Status Init(const std::vector<ScaledAdapter>& adapters) {
    tokenizer_ = base_.metadata().tokenizer;
    for (const TensorInfo& t : base_.tensors()) {
      Entry e{SourceTensor{t.name, t.dtype, t.shape}, &t, {}};
      size_t layer = 0;
      LoraTarget target{};
      if (ParseProjection(t.name, &layer, &target)) {
        for (const ScaledAdapter& sa : adapters) {
          const LoraAdapter& a = *sa.adapter;
          if (layer >= a.layers.size()) continue;
          const LoraPair& p = a.layers[layer][static_cast<size_t>(target)];
          if (!p.enabled()) continue;
          if (t.shape.size() != 2 || p.out != t.shape[0] || p.in != t.shape[1] ||
              p.a.size() != static_cast<size_t>(a.config.rank * p.in) ||
              p.b.size() != static_cast<size_t>(p.out * a.config.rank)) {
            return InvalidArgument(base_.path() + ": tensor '" + t.name + "' does not match the adapter's " +
                                   LoraTargetName(target) + " of layer " + std::to_string(layer) +
                                   " (an adapter for another base?)");
          }
          e.terms.push_back({&p, a.config.rank, sa.user_scale * a.config.scale()});
        }
      }
      tensors_.emplace(t.name, std::move(e));
    }
    for (const ScaledAdapter& sa : adapters) {
      if (sa.adapter->layers.size() != static_cast<size_t>(base_.config().num_hidden_layers)) {
        return InvalidArgument(base_.path() + ": the adapter has " + std::to_string(sa.adapter->layers.size()) +
                               " layers, the model " + std::to_string(base_.config().num_hidden_layers));
      }
    }
    return OkStatus();
  }

  const ModelConfig& config() const override { return base_.config(); }
  const std::optional<TokenizerSpec>& tokenizer() const override { return tokenizer_; }
  std::string description() const override { return description_; }
  const SourceTensor* Find(const std::string& name) const override {
    const auto it = tensors_.find(name);
    return it == tensors_.end() ? nullptr : &it->second.tensor;
  }

  Status ReadRowsF32(const SourceTensor& t, int64_t row0, int64_t rows, float* out) const override {
    const Entry& e = tensors_.at(t.name);
    const int64_t len = RowLength(t.shape);
    const WeightView view{base_.TensorData(*e.info).data(), e.info->dtype, RowCount(t.shape), len};
    delta_.resize(static_cast<size_t>(len));
    for (int64_t r = 0; r < rows; ++r) {
      float* row = out + r * len;
      DecodeWeightRow(view, row0 + r, row);
      if (e.terms.empty()) continue;
      // delta[j] = Σ_terms Σ_k (scale·B[o][k])·A[k][j], then one addition to W:
      // the same products the run-time path forms, rounded once into the weight.
      std::fill(delta_.begin(), delta_.end(), 0.0f);
      for (const Term& term : e.terms) {
        const float* b = term.pair->b.data() + (row0 + r) * term.rank;
        for (int32_t k = 0; k < term.rank; ++k) {
          const float bk = term.scale * b[k];
          const float* a = term.pair->a.data() + static_cast<int64_t>(k) * len;
          for (int64_t j = 0; j < len; ++j) delta_[static_cast<size_t>(j)] += bk * a[j];
        }
      }
      for (int64_t j = 0; j < len; ++j) row[j] += delta_[static_cast<size_t>(j)];
    }
    Release(e, row0, rows);
    return OkStatus();
  }

  std::span<const std::byte> RawRows(const SourceTensor& t, int64_t row0, int64_t rows) const override {
    const Entry& e = tensors_.at(t.name);
    if (!e.terms.empty()) return {};
    const uint64_t rb = RowBytes(e);
    return base_.TensorData(*e.info).subspan(static_cast<uint64_t>(row0) * rb, static_cast<uint64_t>(rows) * rb);
  }
  void ReleaseRawRows(const SourceTensor& t, int64_t row0, int64_t rows) const override {
    Release(tensors_.at(t.name), row0, rows);
  }

 private:
  struct Entry {
    SourceTensor tensor;
    const TensorInfo* info;
    std::vector<Term> terms;
  };
  static uint64_t RowBytes(const Entry& e) {
    const DTypeInfo& info = DTypeInfoOf(e.info->dtype);
    return static_cast<uint64_t>(RowLength(e.info->shape)) / info.block_elems * info.block_bytes;
  }
  // The base's pages are clean file pages: dropping them keeps the resident
  // set at the rows in flight, whatever the model's size.
  void Release(const Entry& e, int64_t row0, int64_t rows) const {
    const uint64_t rb = RowBytes(e);
    const std::span<const std::byte> bytes = base_.TensorData(*e.info);
    ports::AdviseRange(bytes.data() + static_cast<uint64_t>(row0) * rb, static_cast<uint64_t>(rows) * rb,
                       ports::AccessHint::kDontNeed);
  }

  const ModelFile& base_;
  std::string description_;
  std::optional<TokenizerSpec> tokenizer_;
  std::unordered_map<std::string, Entry> tensors_;
  mutable std::vector<float> delta_;
};

}  // namespace

Status MergeToEtm(const ModelFile& base, const std::vector<ScaledAdapter>& adapters, const MergeOptions& options) {
  MergeSource source(base, adapters.size());
  EDGERT_RETURN_IF_ERROR(source.Init(adapters));
  ConvertOptions o;
  o.out_path = options.out_path;
  o.matrix_dtype = options.matrix_dtype;
  o.chat = base.metadata().chat;
  o.generation = base.metadata().generation;
  return ConvertToEtm(source, o);
}

}  // namespace edgert
