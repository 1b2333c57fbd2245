// runtime/convert/converter.cc: the streaming conversion loop.
#include "runtime/convert/converter.h"

#include <algorithm>
#include <vector>

#include "formats/etm/etm_writer.h"
#include "kernels/convert/fp16_rows.h"
#include "kernels/convert/quantize.h"

namespace edgert {
namespace {

constexpr int64_t kChunkElements = int64_t{1} << 20;  // 4 MB of f32 per step

// f32 row block -> bytes of `dtype` (same element count).
void EncodeRows(const float* x, int64_t n, DType dtype, std::byte* out) {
  const auto count = static_cast<size_t>(n);
  switch (dtype) {
    case DType::kF32: std::copy(x, x + n, reinterpret_cast<float*>(out)); break;
    case DType::kF16: kernels::ConvertRowF32ToF16(x, reinterpret_cast<uint16_t*>(out), count); break;
    case DType::kBF16: kernels::ConvertRowF32ToBF16(x, reinterpret_cast<uint16_t*>(out), count); break;
    case DType::kQ8_0: kernels::QuantizeRowQ8_0Ref(x, reinterpret_cast<BlockQ8_0*>(out), count); break;
    case DType::kQ4_0: kernels::QuantizeRowQ4_0Ref(x, reinterpret_cast<BlockQ4_0*>(out), count); break;
  }
}

Status CheckTokenizerFits(const TokenizerSpec& t, const ModelConfig& c) {
  if (static_cast<int64_t>(t.vocab.size()) > c.vocab_size) {
    return InvalidArgument("tokenizer has " + std::to_string(t.vocab.size()) + " tokens but the model's vocabulary has " +
                           std::to_string(c.vocab_size) + " rows");
  }
  for (const AddedTokenSpec& a : t.added_tokens) {
    if (a.id < 0 || a.id >= c.vocab_size) {
      return InvalidArgument("tokenizer's added token '" + a.content + "' has id " + std::to_string(a.id) +
                             ", outside the model's vocabulary of " + std::to_string(c.vocab_size));
    }
  }
  return OkStatus();
}

}  // namespace

Status ConvertToEtm(const CheckpointSource& source, const ConvertOptions& options) {
  const ModelConfig& config = source.config();
  EDGERT_RETURN_IF_ERROR(config.Validate().WithContext(source.description()));

  ModelMetadata metadata;
  metadata.config = config;
  if (options.tokenizer) {
    metadata.tokenizer = *options.tokenizer;
  } else if (source.tokenizer()) {
    metadata.tokenizer = *source.tokenizer();
  } else {
    return InvalidArgument(source.description() + ": has no tokenizer; pass --tokenizer tokenizer.json");
  }
  EDGERT_RETURN_IF_ERROR(CheckTokenizerFits(metadata.tokenizer, config));
  if (options.chat) metadata.chat = *options.chat;
  if (options.generation) metadata.generation = *options.generation;

  // Plan: every tensor the architecture needs, found in the source with the right shape.
  struct Job {
    const SourceTensor* src;
    DType dtype;
  };
  std::vector<Job> jobs;
  std::vector<TensorDecl> decls;
  uint64_t total = 0;
  std::string dtype_note;
  for (const TensorSpec& spec : ExpectedTensors(config)) {
    const SourceTensor* src = source.Find(spec.name);
    if (src == nullptr) return NotFound(source.description() + ": tensor '" + spec.name + "' is missing");
    if (src->shape != spec.shape) {
      std::string got, want;
      for (int64_t d : src->shape) got += (got.empty() ? "" : ", ") + std::to_string(d);
      for (int64_t d : spec.shape) want += (want.empty() ? "" : ", ") + std::to_string(d);
      return InvalidArgument(source.description() + ": tensor '" + spec.name + "' has shape [" + got +
                             "] but the config implies [" + want + "]");
    }
    DType dtype = DType::kF32;
    if (spec.is_matrix) dtype = options.matrix_dtype.value_or(src->dtype);
    auto bytes = TensorBytes(dtype, spec.shape);
    if (!bytes.ok()) return bytes.status().WithContext("tensor '" + spec.name + "' as " + std::string(DTypeName(dtype)));
    total += *bytes;
    jobs.push_back({src, dtype});
    decls.push_back({spec.name, dtype, spec.shape});
  }
  metadata.source = source.description() + (options.matrix_dtype ? " -> " + std::string(DTypeName(*options.matrix_dtype)) : "");

  EDGERT_ASSIGN_OR_RETURN(EtmWriter writer, EtmWriter::Create(options.out_path, std::move(metadata), std::move(decls)));

  std::vector<float> rows_f32;
  std::vector<std::byte> rows_out;
  ConvertProgress progress{0, jobs.size(), nullptr, 0, total};
  for (size_t i = 0; i < jobs.size(); ++i) {
    const SourceTensor& t = *jobs[i].src;
    const DType dtype = jobs[i].dtype;
    const int64_t len = RowLength(t.shape), count = RowCount(t.shape);
    const int64_t step = std::max<int64_t>(1, kChunkElements / std::max<int64_t>(len, 1));
    const uint64_t row_bytes = *TensorBytes(dtype, std::vector<int64_t>{len});
    progress.tensor_index = i;
    progress.tensor_name = &t.name;
    for (int64_t r = 0; r < count; r += step) {
      const int64_t n = std::min(step, count - r);
      std::span<const std::byte> raw;
      if (dtype == t.dtype) raw = source.RawRows(t, r, n);
      if (!raw.empty()) {
        EDGERT_RETURN_IF_ERROR(writer.Append(raw));
        source.ReleaseRawRows(t, r, n);
      } else {
        rows_f32.resize(static_cast<size_t>(n * len));
        rows_out.resize(static_cast<size_t>(row_bytes) * static_cast<size_t>(n));
        EDGERT_RETURN_IF_ERROR(source.ReadRowsF32(t, r, n, rows_f32.data()).WithContext("tensor '" + t.name + "'"));
        for (int64_t k = 0; k < n; ++k) {
          EncodeRows(rows_f32.data() + k * len, len, dtype, rows_out.data() + static_cast<size_t>(k) * row_bytes);
        }
        EDGERT_RETURN_IF_ERROR(writer.Append(rows_out));
      }
      progress.bytes_written += row_bytes * static_cast<uint64_t>(n);
      if (options.on_progress) options.on_progress(progress);
    }
  }
  return writer.Finish();
}

}  // namespace edgert
