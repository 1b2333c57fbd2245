// formats/adapter/adapter_file.cc: FlatBuffers encoding of adapters.
#include "formats/adapter/adapter_file.h"

#include <flatbuffers/flatbuffers.h>
#include <xxhash.h>

#include <cmath>

#include "adapter_generated.h"
#include "base/dtype.h"
#include "formats/regular_file.h"
#include "ports/mapped_file.h"
#include "ports/output_file.h"

namespace edgert {
namespace {

namespace fbs = ::edgert::fb;
using flatbuffers::Offset;

// 3: the checksum (adapter.fbs's revision history). Version 1 and 2 files
// carry none and are read without that check.
constexpr uint32_t kAdapterFormatVersion = 3;
constexpr uint32_t kFirstVersionWithChecksum = 3;

// Hashes the decoded contents field by field, each length-prefixed so that
// moving a byte from one field to the next changes the sum.
class ContentHash {
 public:
  ContentHash() : state_(XXH3_createState()) { XXH3_64bits_reset(state_); }
  ~ContentHash() { XXH3_freeState(state_); }
  ContentHash(const ContentHash&) = delete;
  ContentHash& operator=(const ContentHash&) = delete;

  template <typename T>
  void Value(const T& v) {
    static_assert(std::is_trivially_copyable_v<T>);
    XXH3_64bits_update(state_, &v, sizeof(v));
  }
  template <typename T>
  void Values(std::span<const T> v) {
    Value(static_cast<uint64_t>(v.size()));
    XXH3_64bits_update(state_, v.data(), v.size_bytes());
  }
  void Text(const std::string& s) { Values(std::span<const char>(s)); }
  void Tensors(const std::vector<NamedTensor>& ts) {
    Value(static_cast<uint64_t>(ts.size()));
    for (const NamedTensor& t : ts) {
      Text(t.name);
      Values(std::span<const int64_t>(t.shape));
      Values(t.values());
    }
  }
  uint64_t Digest() const { return XXH3_64bits_digest(state_); }

 private:
  XXH3_state_t* state_;
};

uint64_t ContentChecksum(const AdapterFileData& d) {
  ContentHash h;
  h.Value(d.base_fingerprint);
  h.Text(d.base_description);
  h.Value(d.settings.rank);
  h.Value(d.settings.alpha);
  h.Value(d.settings.dropout);
  h.Value(static_cast<uint8_t>(d.settings.rslora));
  h.Value(d.settings.targets);
  h.Tensors(d.tensors);
  h.Value(static_cast<uint8_t>(d.training.has_value()));
  if (d.training) {
    const TrainingStateData& t = *d.training;
    for (int64_t v : {t.step, t.epoch, t.cursor}) h.Value(v);
    h.Values(std::span<const uint64_t>(t.rng_state));
    h.Value(t.run_id);
    h.Tensors(t.m);
    h.Tensors(t.v);
    h.Values(std::span<const float>(t.losses));
    h.Values(std::span<const int64_t>(t.eval_steps));
    h.Values(std::span<const float>(t.eval_losses));
  }
  return h.Digest();
}

// Weights, moments and settings must be numbers: NaN or infinity in an
// adapter spreads into every output (and a merge would write it into a model).
Status CheckFinite(const AdapterFileData& d) {
  if (!std::isfinite(d.settings.alpha) || !std::isfinite(d.settings.dropout)) {
    return CorruptFile("LoRA settings: alpha or dropout is not a finite number");
  }
  auto tensors = [](const std::vector<NamedTensor>& ts, const char* what) -> Status {
    for (const NamedTensor& t : ts) {
      for (float x : t.values()) {
        if (!std::isfinite(x)) return CorruptFile(std::string(what) + " '" + t.name + "' holds a value that is not a finite number");
      }
    }
    return OkStatus();
  };
  EDGERT_RETURN_IF_ERROR(tensors(d.tensors, "tensor"));
  if (d.training) {
    EDGERT_RETURN_IF_ERROR(tensors(d.training->m, "first moment"));
    EDGERT_RETURN_IF_ERROR(tensors(d.training->v, "second moment"));
  }
  return OkStatus();
}

std::vector<Offset<fbs::LoraTensor>> WriteTensors(flatbuffers::FlatBufferBuilder& b, const std::vector<NamedTensor>& ts) {
  std::vector<Offset<fbs::LoraTensor>> out;
  for (const NamedTensor& t : ts) {
    // Built in a fixed order (x86-64 GCC's, right to left), not as call
    // arguments whose evaluation order differs on aarch64: same bytes everywhere.
    const auto data = b.CreateVector(t.values().data(), t.values().size());
    const auto shape = b.CreateVector(t.shape);
    const auto name = b.CreateString(t.name);
    out.push_back(fbs::CreateLoraTensor(b, name, shape, data));
  }
  return out;
}

Result<std::vector<NamedTensor>> ReadTensors(const flatbuffers::Vector<Offset<fbs::LoraTensor>>* v) {
  std::vector<NamedTensor> out;
  if (v == nullptr) return out;
  for (const fbs::LoraTensor* t : *v) {
    NamedTensor n;
    n.name = t->name() ? t->name()->str() : "";
    if (t->shape()) n.shape.assign(t->shape()->begin(), t->shape()->end());
    if (t->data()) n.data.assign(t->data()->begin(), t->data()->end());
    auto count = ElementCount(n.shape);
    if (!count.ok() || *count != n.data.size()) {
      return CorruptFile("tensor '" + n.name + "': shape and data length disagree");
    }
    out.push_back(std::move(n));
  }
  return out;
}


// Bytes the file will take, near enough: the builder is made this large at
// once, so it never grows by doubling (which holds the old and the new buffer
// at the same time, up to three times the file).
size_t EstimatedFileBytes(const AdapterFileData& d) {
  size_t n = 4096 + d.base_description.size();
  auto tensors = [&](const std::vector<NamedTensor>& ts) {
    for (const NamedTensor& t : ts) n += t.values().size() * sizeof(float) + t.shape.size() * 8 + t.name.size() + 64;
  };
  tensors(d.tensors);
  if (d.training) {
    tensors(d.training->m);
    tensors(d.training->v);
    n += d.training->losses.size() * 4 + d.training->eval_steps.size() * 8 + d.training->eval_losses.size() * 4 +
         d.training->rng_state.size() * 8;
  }
  return n;
}

}  // namespace

Status WriteAdapterFile(const std::string& path, const AdapterFileData& d) {
  if (Status st = CheckFinite(d); !st.ok()) {
    return InvalidArgument(path + ": not written: " + st.message());
  }
  flatbuffers::FlatBufferBuilder b(EstimatedFileBytes(d));
  const auto tensors = b.CreateVector(WriteTensors(b, d.tensors));
  const auto settings = fbs::CreateLoraSettings(b, d.settings.rank, d.settings.alpha, d.settings.dropout,
                                                d.settings.rslora, d.settings.targets);
  Offset<fbs::TrainingState> training;
  if (d.training) {
    const TrainingStateData& t = *d.training;
    const auto m = b.CreateVector(WriteTensors(b, t.m));
    const auto v = b.CreateVector(WriteTensors(b, t.v));
    training = fbs::CreateTrainingState(b, t.step, t.epoch, t.cursor, b.CreateVector(t.rng_state), t.run_id, m, v,
                                        b.CreateVector(t.losses), b.CreateVector(t.eval_steps),
                                        b.CreateVector(t.eval_losses));
  }
  const auto description = b.CreateString(d.base_description);
  const auto root = fbs::CreateAdapter(b, kAdapterFormatVersion, d.base_fingerprint, description, settings, tensors,
                                       training, ContentChecksum(d));
  fbs::FinishAdapterBuffer(b, root);
  return ports::WriteFileAtomically(path, std::as_bytes(std::span(b.GetBufferPointer(), b.GetSize())));
}

Result<AdapterFileData> ParseAdapterFile(const void* bytes, size_t size, const std::string& name) {
  const auto* p = static_cast<const uint8_t*>(bytes);
  if (size < 8 || !fbs::AdapterBufferHasIdentifier(p)) {
    return CorruptFile(name + ": not an edge-rt adapter file (expected identifier 'ETA1' at byte 4)");
  }
  flatbuffers::Verifier verifier(p, size);
  if (!fbs::VerifyAdapterBuffer(verifier)) return CorruptFile(name + ": fails FlatBuffers verification (damaged?)");
  const fbs::Adapter* a = fbs::GetAdapter(p);
  if (a->format_version() == 0 || a->format_version() > kAdapterFormatVersion) {
    return Unsupported(name + ": adapter format version " + std::to_string(a->format_version()));
  }
  AdapterFileData d;
  d.base_fingerprint = a->base_fingerprint();
  d.base_description = a->base_description() ? a->base_description()->str() : "";
  if (a->settings() == nullptr) return CorruptFile(name + ": no LoRA settings");
  d.settings = {a->settings()->rank(), a->settings()->alpha(), a->settings()->dropout(), a->settings()->rslora(),
                a->settings()->targets()};
  auto tensors = ReadTensors(a->tensors());
  if (!tensors.ok()) return tensors.status().WithContext(name);
  d.tensors = std::move(*tensors);
  if (const fbs::TrainingState* t = a->training()) {
    TrainingStateData s;
    s.step = t->step();
    s.epoch = t->epoch();
    s.cursor = t->cursor();
    if (t->rng_state()) s.rng_state.assign(t->rng_state()->begin(), t->rng_state()->end());
    s.run_id = t->run_id();
    auto m = ReadTensors(t->m());
    auto v = ReadTensors(t->v());
    if (!m.ok()) return m.status().WithContext(name);
    if (!v.ok()) return v.status().WithContext(name);
    s.m = std::move(*m);
    s.v = std::move(*v);
    if (t->losses()) s.losses.assign(t->losses()->begin(), t->losses()->end());
    if (t->eval_steps()) s.eval_steps.assign(t->eval_steps()->begin(), t->eval_steps()->end());
    if (t->eval_losses()) s.eval_losses.assign(t->eval_losses()->begin(), t->eval_losses()->end());
    if (s.eval_steps.size() != s.eval_losses.size()) return CorruptFile(name + ": eval_steps and eval_losses differ in length");
    d.training = std::move(s);
  }
  // A checksum that is present is checked whatever the version says: one
  // flipped bit turns version 3 into 2 or 1, which would otherwise switch
  // the check off for the rest of the damage.
  const bool has_checksum = a->format_version() >= kFirstVersionWithChecksum || a->checksum() != 0;
  if (has_checksum && a->checksum() != ContentChecksum(d)) {
    return CorruptFile(name + ": checksum mismatch (the file is damaged)");
  }
  if (Status st = CheckFinite(d); !st.ok()) return st.WithContext(name);
  return d;
}

Result<AdapterFileData> ReadAdapterFile(const std::string& path) {
  EDGERT_RETURN_IF_ERROR(CheckRegularFile(path));
  EDGERT_ASSIGN_OR_RETURN(ports::MappedFile f, ports::MappedFile::Open(path));
  return ParseAdapterFile(f.data(), f.size(), path);
}

}  // namespace edgert
