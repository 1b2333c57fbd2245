// formats/adapter/adapter_file.cc: FlatBuffers encoding of adapters.
#include "formats/adapter/adapter_file.h"

#include <flatbuffers/flatbuffers.h>

#include "adapter_generated.h"
#include "base/dtype.h"
#include "ports/mapped_file.h"
#include "ports/output_file.h"

namespace edgert {
namespace {

namespace fbs = ::edgert::fb;
using flatbuffers::Offset;

constexpr uint32_t kAdapterFormatVersion = 1;

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
  const auto root = fbs::CreateAdapter(b, kAdapterFormatVersion, d.base_fingerprint,
                                       b.CreateString(d.base_description), settings, tensors, training);
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
  return d;
}

Result<AdapterFileData> ReadAdapterFile(const std::string& path) {
  EDGERT_ASSIGN_OR_RETURN(ports::MappedFile f, ports::MappedFile::Open(path));
  return ParseAdapterFile(f.data(), f.size(), path);
}

}  // namespace edgert
