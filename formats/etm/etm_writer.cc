// formats/etm/etm_writer.cc: layout, streaming, checksums, atomic finish.
#include "formats/etm/etm_writer.h"

#include <flatbuffers/flatbuffers.h>
#include <xxhash.h>

#include "formats/etm/etm_schema.h"
#include "ports/output_file.h"

namespace edgert {

struct EtmWriter::State {
  ModelMetadata metadata;
  std::vector<TensorInfo> tensors;  // absolute offsets; checksums filled as tensors complete
  uint64_t data_offset = 0;
  uint64_t header_size = 0;
  ports::OutputFile out;
  size_t current = 0;          // tensor being filled
  uint64_t written = 0;        // bytes of it so far
  XXH3_state_t* hash = nullptr;

  ~State() {
    if (hash != nullptr) XXH3_freeState(hash);
  }
};

namespace {

uint64_t AlignUp(uint64_t x, uint64_t a) { return (x + a - 1) / a * a; }

}  // namespace

EtmWriter::EtmWriter(std::unique_ptr<State> state) : state_(std::move(state)) {}
EtmWriter::EtmWriter(EtmWriter&&) noexcept = default;
EtmWriter& EtmWriter::operator=(EtmWriter&&) noexcept = default;
EtmWriter::~EtmWriter() = default;

Result<EtmWriter> EtmWriter::Create(const std::string& path, ModelMetadata metadata,
                                    std::vector<TensorDecl> tensors) {
  auto s = std::make_unique<State>();
  s->metadata = std::move(metadata);
  uint64_t rel = 0;
  for (TensorDecl& d : tensors) {
    auto bytes = TensorBytes(d.dtype, d.shape);
    if (!bytes.ok()) return bytes.status().WithContext(path + ": tensor '" + d.name + "'");
    TensorInfo t;
    t.name = std::move(d.name);
    t.dtype = d.dtype;
    t.shape = std::move(d.shape);
    t.offset = rel;  // relative until the header size is known
    t.size = *bytes;
    rel = AlignUp(rel + t.size, kEtmTensorAlignment);
    s->tensors.push_back(std::move(t));
  }
  // The header's size does not depend on the scalar values in it (see
  // BuildHeader), so one trial build fixes where the data starts.
  flatbuffers::FlatBufferBuilder builder(1 << 20);
  etm_internal::BuildHeader(s->metadata, s->tensors, 0, builder);
  s->header_size = builder.GetSize();
  s->data_offset = AlignUp(s->header_size, kEtmDataAlignment);
  for (TensorInfo& t : s->tensors) t.offset += s->data_offset;

  EDGERT_ASSIGN_OR_RETURN(s->out, ports::OutputFile::Create(path));
  s->hash = XXH3_createState();
  if (s->hash == nullptr) return ResourceExhausted("cannot allocate a checksum state");
  XXH3_64bits_reset(s->hash);
  return EtmWriter(std::move(s));
}

size_t EtmWriter::current_tensor() const { return state_->current; }

uint64_t EtmWriter::remaining_in_current() const {
  if (state_->current >= state_->tensors.size()) return 0;
  return state_->tensors[state_->current].size - state_->written;
}

Status EtmWriter::Append(std::span<const std::byte> bytes) {
  State& s = *state_;
  // Zero-size tensors complete without any Append; skip past them first.
  while (s.current < s.tensors.size() && s.tensors[s.current].size == 0) {
    s.tensors[s.current].checksum = XXH3_64bits_digest(s.hash);
    XXH3_64bits_reset(s.hash);
    ++s.current;
  }
  if (bytes.empty()) return OkStatus();
  if (s.current >= s.tensors.size()) {
    return Internal(s.out.path() + ": more tensor bytes than declared");
  }
  TensorInfo& t = s.tensors[s.current];
  if (bytes.size() > t.size - s.written) {
    return Internal(s.out.path() + ": tensor '" + t.name + "': " + std::to_string(bytes.size()) +
                    " bytes appended where " + std::to_string(t.size - s.written) + " remain");
  }
  EDGERT_RETURN_IF_ERROR(s.out.WriteAt(t.offset + s.written, bytes));
  XXH3_64bits_update(s.hash, bytes.data(), bytes.size());
  s.written += bytes.size();
  if (s.written == t.size) {
    t.checksum = XXH3_64bits_digest(s.hash);
    XXH3_64bits_reset(s.hash);
    s.written = 0;
    ++s.current;
  }
  return OkStatus();
}

Status EtmWriter::Finish() {
  State& s = *state_;
  EDGERT_RETURN_IF_ERROR(Append({}));  // completes trailing zero-size tensors
  if (s.current != s.tensors.size()) {
    return Internal(s.out.path() + ": tensor '" + s.tensors[s.current].name + "' was not completely written");
  }
  flatbuffers::FlatBufferBuilder builder(1 << 20);
  etm_internal::BuildHeader(s.metadata, s.tensors, s.data_offset, builder);
  if (builder.GetSize() != s.header_size) {
    return Internal(s.out.path() + ": header size changed between layout and finish");
  }
  const auto* p = reinterpret_cast<const std::byte*>(builder.GetBufferPointer());
  EDGERT_RETURN_IF_ERROR(s.out.WriteAt(0, std::span(p, builder.GetSize())));
  // An empty model (no tensor bytes) still needs the file to reach data_offset.
  if (s.out.position() < s.data_offset) {
    EDGERT_RETURN_IF_ERROR(s.out.WriteZeros(s.data_offset - s.out.position()));
  }
  return s.out.Commit();
}

}  // namespace edgert
