// formats/etm/etm_schema.cc: FlatBuffers encoding and decoding of the header.
#include "formats/etm/etm_schema.h"

#include <flatbuffers/flatbuffers.h>
#include <xxhash.h>

#include <cstring>
#include <optional>
#include <string>

#include "model_generated.h"

namespace edgert::etm_internal {
namespace {

namespace fbs = ::edgert::fb;
using flatbuffers::Offset;

// Where Model.header_checksum sits, counted from the size prefix, or nullopt
// when the field is absent. `data` must hold a verified size-prefixed Model.
std::optional<size_t> HeaderChecksumOffset(const uint8_t* data) {
  const uint8_t* buffer = data + sizeof(flatbuffers::uoffset_t);  // after the size prefix
  const uint8_t* table = buffer + flatbuffers::ReadScalar<flatbuffers::uoffset_t>(buffer);
  const uint8_t* vtable = table - flatbuffers::ReadScalar<flatbuffers::soffset_t>(table);
  const auto vtable_size = flatbuffers::ReadScalar<flatbuffers::voffset_t>(vtable);
  const flatbuffers::voffset_t field = fbs::Model::VT_HEADER_CHECKSUM;
  if (field >= vtable_size) return std::nullopt;
  const auto at = flatbuffers::ReadScalar<flatbuffers::voffset_t>(vtable + field);
  if (at == 0) return std::nullopt;
  return static_cast<size_t>(table + at - data);
}

// XXH3-64 of header[0, size) with the 8 bytes at `field` read as zeros.
uint64_t HeaderChecksum(const uint8_t* header, size_t size, size_t field) {
  static constexpr uint8_t kZeros[8] = {};
  XXH3_state_t* h = XXH3_createState();
  XXH3_64bits_reset(h);
  XXH3_64bits_update(h, header, field);
  XXH3_64bits_update(h, kZeros, sizeof(kZeros));
  XXH3_64bits_update(h, header + field + 8, size - field - 8);
  const uint64_t sum = XXH3_64bits_digest(h);
  XXH3_freeState(h);
  return sum;
}

std::string Str(const flatbuffers::String* s) { return s ? s->str() : std::string(); }

std::vector<std::string> Strings(const flatbuffers::Vector<Offset<flatbuffers::String>>* v) {
  std::vector<std::string> out;
  if (!v) return out;
  out.reserve(v->size());
  for (const auto* s : *v) out.push_back(Str(s));
  return out;
}

Offset<fbs::ModelConfig> WriteConfig(flatbuffers::FlatBufferBuilder& b, const ModelConfig& c) {
  fbs::ModelConfigBuilder cb(b);
  cb.add_architecture(static_cast<fbs::Architecture>(c.architecture));
  cb.add_vocab_size(c.vocab_size);
  cb.add_hidden_size(c.hidden_size);
  cb.add_intermediate_size(c.intermediate_size);
  cb.add_num_hidden_layers(c.num_hidden_layers);
  cb.add_num_attention_heads(c.num_attention_heads);
  cb.add_num_key_value_heads(c.num_key_value_heads);
  cb.add_head_dim(c.head_dim);
  cb.add_max_position_embeddings(c.max_position_embeddings);
  cb.add_rms_norm_eps(c.rms_norm_eps);
  cb.add_rope_theta(c.rope_theta);
  cb.add_tie_word_embeddings(c.tie_word_embeddings);
  cb.add_attention_bias(c.attention_bias);
  cb.add_bos_token_id(c.bos_token_id);
  cb.add_eos_token_id(c.eos_token_id);
  return cb.Finish();
}

Offset<fbs::Tokenizer> WriteTokenizer(flatbuffers::FlatBufferBuilder& b, const TokenizerSpec& t) {
  const auto model_type = b.CreateString(t.model_type);
  const auto vocab = b.CreateVectorOfStrings(t.vocab);
  const auto merges = b.CreateVectorOfStrings(t.merges);
  std::vector<Offset<fbs::AddedToken>> added;
  for (const AddedTokenSpec& a : t.added_tokens) {
    added.push_back(fbs::CreateAddedToken(b, a.id, b.CreateString(a.content), a.special, a.lstrip, a.rstrip,
                                          a.normalized, a.single_word));
  }
  const auto added_vec = b.CreateVector(added);
  const auto normalizer = b.CreateString(t.normalizer);
  const auto regex = b.CreateString(t.pretokenizer_regex);
  return fbs::CreateTokenizer(b, model_type, vocab, merges, added_vec, normalizer, regex);
}

}  // namespace

void BuildHeader(const ModelMetadata& m, const std::vector<TensorInfo>& tensors, uint64_t data_offset,
                 flatbuffers::FlatBufferBuilder& b) {
  b.Clear();
  b.ForceDefaults(true);
  const auto config = WriteConfig(b, m.config);
  const auto tokenizer = WriteTokenizer(b, m.tokenizer);
  // Nested objects are built in a fixed order, not as call arguments: the
  // order arguments are evaluated in differs between compilers and targets
  // (GCC: right to left on x86-64, left to right on aarch64), and with it the
  // padding, so the same model gave a different header on ARM. This is the
  // order x86-64 builds always used, so their files are unchanged.
  const auto end_tokens = b.CreateVectorOfStrings(m.chat.end_tokens);
  const auto system_prompt = b.CreateString(m.chat.default_system_prompt);
  const auto template_name = b.CreateString(m.chat.template_name);
  const auto chat = fbs::CreateChatDefaults(b, template_name, system_prompt, end_tokens);
  const auto& g = m.generation;
  const auto generation = fbs::CreateGenerationDefaults(b, g.temperature, g.top_k, g.top_p, g.min_p,
                                                        g.repetition_penalty, g.max_new_tokens);
  std::vector<Offset<fbs::Tensor>> ts;
  ts.reserve(tensors.size());
  for (const TensorInfo& t : tensors) {
    const auto shape = b.CreateVector(t.shape);
    const auto name = b.CreateString(t.name);
    ts.push_back(fbs::CreateTensor(b, name, static_cast<fbs::DType>(t.dtype), shape, t.offset - data_offset, t.size,
                                   t.checksum));
  }
  const auto tensor_vec = b.CreateVector(ts);
  const auto source = b.CreateString(m.source);
  const auto root = fbs::CreateModel(b, kEtmFormatVersion, config, tokenizer, chat, generation, tensor_vec,
                                     data_offset, source, /*header_checksum=*/0);
  fbs::FinishSizePrefixedModelBuffer(b, root);
  // Stored by ForceDefaults even while 0; patched in place once the bytes are final.
  uint8_t* header = b.GetBufferPointer();
  if (const auto field = HeaderChecksumOffset(header)) {
    const uint64_t sum = HeaderChecksum(header, b.GetSize(), *field);
    flatbuffers::WriteScalar(header + *field, sum);
  }
}

Result<ParsedHeader> ParseHeader(std::span<const std::byte> bytes) {
  if (bytes.size() < 12) {
    return CorruptFile("file is " + std::to_string(bytes.size()) + " bytes, too short for a model header");
  }
  const auto* data = reinterpret_cast<const uint8_t*>(bytes.data());
  const uint32_t prefix = flatbuffers::ReadScalar<uint32_t>(data);
  if (!fbs::SizePrefixedModelBufferHasIdentifier(data)) {
    return CorruptFile("not an edge-rt model file (expected identifier 'ETM1' at byte 8)");
  }
  if (static_cast<uint64_t>(prefix) + 4 > bytes.size()) {
    return CorruptFile("header claims " + std::to_string(prefix) + " bytes but the file has only " +
                       std::to_string(bytes.size()) + " (truncated?)");
  }
  flatbuffers::Verifier verifier(data, static_cast<size_t>(prefix) + 4);
  if (!fbs::VerifySizePrefixedModelBuffer(verifier)) {
    return CorruptFile("header fails FlatBuffers verification (damaged or truncated file)");
  }
  const fbs::Model* model = fbs::GetSizePrefixedModel(data);
  ParsedHeader h;
  h.header_size = static_cast<uint64_t>(prefix) + 4;
  h.format_version = model->format_version();
  if (h.format_version == 0 || h.format_version > kEtmFormatVersion) {
    return Unsupported("format version " + std::to_string(h.format_version) + " (this build reads up to " +
                       std::to_string(kEtmFormatVersion) + ")");
  }
  // A checksum that is present is checked whatever the version says (two
  // flipped bits turn version 2 into 1, which would switch the check off).
  const auto field = HeaderChecksumOffset(data);
  if (h.format_version >= kEtmFirstVersionWithHeaderChecksum && !field) {
    return CorruptFile("header has no checksum (format version " + std::to_string(h.format_version) + ")");
  }
  if (field) {
    if (HeaderChecksum(data, h.header_size, *field) != model->header_checksum()) {
      return CorruptFile("header checksum mismatch: the metadata (config, tokenizer, chat or generation defaults, "
                         "tensor index) is damaged");
    }
  }
  h.data_offset = model->data_offset();
  const fbs::ModelConfig* c = model->config();
  if (c == nullptr) return CorruptFile("header has no architecture config");
  ModelConfig& mc = h.metadata.config;
  mc.architecture = static_cast<Architecture>(c->architecture());
  mc.vocab_size = c->vocab_size();
  mc.hidden_size = c->hidden_size();
  mc.intermediate_size = c->intermediate_size();
  mc.num_hidden_layers = c->num_hidden_layers();
  mc.num_attention_heads = c->num_attention_heads();
  mc.num_key_value_heads = c->num_key_value_heads();
  mc.head_dim = c->head_dim();
  mc.max_position_embeddings = c->max_position_embeddings();
  mc.rms_norm_eps = c->rms_norm_eps();
  mc.rope_theta = c->rope_theta();
  mc.tie_word_embeddings = c->tie_word_embeddings();
  mc.attention_bias = c->attention_bias();
  mc.bos_token_id = c->bos_token_id();
  mc.eos_token_id = c->eos_token_id();

  if (const fbs::Tokenizer* t = model->tokenizer()) {
    TokenizerSpec& ts = h.metadata.tokenizer;
    ts.model_type = Str(t->model_type());
    ts.vocab = Strings(t->vocab());
    ts.merges = Strings(t->merges());
    if (t->added_tokens()) {
      for (const fbs::AddedToken* a : *t->added_tokens()) {
        ts.added_tokens.push_back({a->id(), Str(a->content()), a->special(), a->lstrip(), a->rstrip(),
                                   a->normalized(), a->single_word()});
      }
    }
    ts.normalizer = Str(t->normalizer());
    ts.pretokenizer_regex = Str(t->pretokenizer_regex());
  }
  if (const fbs::ChatDefaults* chat = model->chat()) {
    h.metadata.chat.template_name = Str(chat->template_name());
    h.metadata.chat.default_system_prompt = Str(chat->default_system_prompt());
    h.metadata.chat.end_tokens = Strings(chat->end_tokens());
  }
  if (const fbs::GenerationDefaults* g = model->generation()) {
    h.metadata.generation = {g->temperature(), g->top_k(), g->top_p(), g->min_p(), g->repetition_penalty(),
                             g->max_new_tokens()};
  }
  h.metadata.source = Str(model->source());
  if (model->tensors() == nullptr) return CorruptFile("header has no tensor index");
  for (const fbs::Tensor* t : *model->tensors()) {
    TensorInfo info;
    info.name = Str(t->name());
    info.dtype = static_cast<DType>(t->dtype());
    if (t->shape()) info.shape.assign(t->shape()->begin(), t->shape()->end());
    if (t->offset() > UINT64_MAX - h.data_offset) {
      return CorruptFile("tensor '" + info.name + "': offset " + std::to_string(t->offset()) + " overflows");
    }
    info.offset = h.data_offset + t->offset();
    info.size = t->size();
    info.checksum = t->checksum();
    h.tensors.push_back(std::move(info));
  }
  return h;
}

}  // namespace edgert::etm_internal
