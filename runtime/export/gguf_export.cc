// runtime/export/gguf_export.cc
#include "runtime/export/gguf_export.h"

#include <algorithm>
#include <string_view>

#include "formats/gguf/gguf.h"
#include "formats/gguf/gguf_names.h"
#include "runtime/tokenizer/pretokenizer.h"

namespace edgert {
namespace {

// Qwen2.5's chat template, as its tokenizer_config.json ships it (without
// tools), with the model's default system prompt.
std::string ChatMLTemplate(const std::string& default_system) {
  std::string quoted;  // inside a Jinja '...' literal
  for (char ch : default_system) {
    if (ch == '\\' || ch == '\'') quoted += '\\';
    if (ch == '\n') {
      quoted += "\\n";
      continue;
    }
    quoted += ch;
  }
  return "{%- if messages[0]['role'] == 'system' %}{{- '<|im_start|>system\\n' + messages[0]['content'] + '<|im_end|>\\n' }}"
         "{%- else %}{{- '<|im_start|>system\\n" + quoted + "<|im_end|>\\n' }}"
         "{%- endif %}{%- for message in messages %}{%- if not (message.role == 'system' and loop.first) %}"
    "{{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>' + '\\n' }}{%- endif %}{%- endfor %}"
    "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}";
}

// llama.cpp's converter types an added token as control when it is special or
// looks special (Qwen2.5 marks <|fim_prefix|>, <|file_sep|>, ... not special),
// and its loader warns about any <|...|> token that is not control.
bool LooksLikeControl(const std::string& t) {
  auto wrapped = [&](std::string_view open, std::string_view close) {
    return t.size() >= open.size() + close.size() && t.starts_with(open) && t.ends_with(close);
  };
  return wrapped("<|", "|>") || wrapped("<\xef\xbd\x9c", "\xef\xbd\x9c>") || t == "<pad>" || t == "<mask>" ||
         t == "<2mass>" || t == "[@BOS@]" || wrapped("<unused", ">");
}

// llama.cpp's general.file_type: the type most matrices have.
uint64_t FileType(const ModelFile& model) {
  const TensorInfo* probe = model.Find("model.layers.0.mlp.gate_proj.weight");
  switch (probe == nullptr ? DType::kF32 : probe->dtype) {
    case DType::kF32: return 0;
    case DType::kF16: return 1;
    case DType::kQ4_0: return 2;
    case DType::kQ8_0: return 7;
    case DType::kBF16: return 32;
  }
  return 0;
}

}  // namespace

Status ExportGguf(const ModelFile& model, const std::string& out_path) {
  const ModelConfig& c = model.config();
  const TokenizerSpec& tok = model.metadata().tokenizer;
  if (c.architecture == Architecture::kLlama) {
    return Unsupported("GGUF export of llama-architecture models (their q/k rows must be permuted for llama.cpp)");
  }
  if (tok.pretokenizer_regex != kQwen2SplitPattern) {
    return Unsupported(model.path() + ": GGUF export needs the Qwen2 pre-tokenizer (llama.cpp names patterns, not regexes)");
  }
  const std::string arch = "qwen2";
  std::vector<std::pair<std::string, GgufValue>> meta = {
      {"general.architecture", arch},
      {"general.name", std::string("edge-rt export")},
      {"general.file_type", FileType(model)},
      {arch + ".block_count", static_cast<uint64_t>(c.num_hidden_layers)},
      {arch + ".context_length", static_cast<uint64_t>(c.max_position_embeddings)},
      {arch + ".embedding_length", static_cast<uint64_t>(c.hidden_size)},
      {arch + ".feed_forward_length", static_cast<uint64_t>(c.intermediate_size)},
      {arch + ".attention.head_count", static_cast<uint64_t>(c.num_attention_heads)},
      {arch + ".attention.head_count_kv", static_cast<uint64_t>(c.num_key_value_heads)},
      {arch + ".rope.freq_base", static_cast<double>(c.rope_theta)},
      {arch + ".attention.layer_norm_rms_epsilon", static_cast<double>(c.rms_norm_eps)},
  };
  // Tokens padded to the embedding's rows: normal 1, control 3, user-defined 4, unused 5.
  std::vector<std::string> tokens(static_cast<size_t>(c.vocab_size));
  std::vector<int64_t> types(tokens.size(), 5);
  for (size_t i = 0; i < tok.vocab.size(); ++i) {
    if (!tok.vocab[i].empty()) tokens[i] = tok.vocab[i], types[i] = 1;
  }
  for (const AddedTokenSpec& a : tok.added_tokens) {
    tokens[static_cast<size_t>(a.id)] = a.content;
    types[static_cast<size_t>(a.id)] = a.special || LooksLikeControl(a.content) ? 3 : 4;
  }
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (types[i] == 5) tokens[i] = "[PAD" + std::to_string(i) + "]";
  }
  if (FileType(model) == 2 || FileType(model) == 7) meta.emplace_back("general.quantization_version", uint64_t{2});
  meta.emplace_back("tokenizer.ggml.model", std::string("gpt2"));
  meta.emplace_back("tokenizer.ggml.pre", std::string("qwen2"));
  meta.emplace_back("tokenizer.ggml.tokens", std::move(tokens));
  meta.emplace_back("tokenizer.ggml.token_type", std::move(types));
  meta.emplace_back("tokenizer.ggml.merges", tok.merges);
  if (c.eos_token_id >= 0) meta.emplace_back("tokenizer.ggml.eos_token_id", static_cast<uint64_t>(c.eos_token_id));
  if (c.bos_token_id >= 0) {
    meta.emplace_back("tokenizer.ggml.bos_token_id", static_cast<uint64_t>(c.bos_token_id));
    meta.emplace_back("tokenizer.ggml.padding_token_id", static_cast<uint64_t>(c.bos_token_id));
  }
  meta.emplace_back("tokenizer.ggml.add_bos_token", false);
  meta.emplace_back("tokenizer.chat_template", ChatMLTemplate(model.metadata().chat.default_system_prompt));

  std::vector<GgufOutTensor> tensors;
  for (const TensorInfo& t : model.tensors()) tensors.push_back({GgufNameFromHf(t.name), t.dtype, t.shape, {}});
  EDGERT_ASSIGN_OR_RETURN(GgufWriter writer, GgufWriter::Create(out_path, meta, tensors));
  constexpr size_t kChunk = size_t{4} << 20;
  for (const TensorInfo& t : model.tensors()) {
    const std::span<const std::byte> bytes = model.TensorData(t);
    for (size_t at = 0; at < bytes.size(); at += kChunk) {
      const std::span<const std::byte> chunk = bytes.subspan(at, std::min(kChunk, bytes.size() - at));
      EDGERT_RETURN_IF_ERROR(writer.Append(chunk));
      // Clean file pages: dropping them as they are copied keeps the resident
      // set at a chunk, whatever the model's (or the embedding's) size.
      ports::AdviseRange(chunk.data(), chunk.size(), ports::AccessHint::kDontNeed);
    }
  }
  return writer.Finish();
}

}  // namespace edgert
