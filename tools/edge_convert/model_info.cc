// tools/edge_convert/model_info.cc: a model file described for people and scripts.
#include "tools/edge_convert/model_info.h"

#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>

#include "formats/etm/etm_reader.h"
#include "runtime/model/session.h"
#include "runtime/tokenizer/tokenizer.h"
#include "tools/common/cli.h"

namespace edgert {
namespace {

std::string Shape(const std::vector<int64_t>& s) {
  std::string r = "[";
  for (size_t i = 0; i < s.size(); ++i) r += (i ? ", " : "") + std::to_string(s[i]);
  return r + "]";
}

}  // namespace

int PrintModelInfo(const std::string& path, bool json) {
  auto file = ModelFile::Open(path);
  if (!file.ok()) return cli::Fail(file.status());
  const ModelConfig& c = file->config();
  std::map<std::string, uint64_t> bytes_by_dtype;
  for (const TensorInfo& t : file->tensors()) bytes_by_dtype[std::string(DTypeName(t.dtype))] += t.size;
  const int64_t params = ParameterCount(c);
  const TokenizerSpec& tok = file->metadata().tokenizer;

  if (json) {
    nlohmann::ordered_json j;
    j["path"] = path;
    j["format_version"] = file->format_version();
    j["file_size"] = file->file_size();
    j["source"] = file->metadata().source;
    j["architecture"] = ArchitectureName(c.architecture);
    j["parameters"] = params;
    j["config"] = {{"vocab_size", c.vocab_size},
                   {"hidden_size", c.hidden_size},
                   {"intermediate_size", c.intermediate_size},
                   {"num_hidden_layers", c.num_hidden_layers},
                   {"num_attention_heads", c.num_attention_heads},
                   {"num_key_value_heads", c.num_key_value_heads},
                   {"head_dim", c.head_dim},
                   {"max_position_embeddings", c.max_position_embeddings},
                   {"rms_norm_eps", c.rms_norm_eps},
                   {"rope_theta", c.rope_theta},
                   {"tie_word_embeddings", c.tie_word_embeddings},
                   {"attention_bias", c.attention_bias},
                   {"bos_token_id", c.bos_token_id},
                   {"eos_token_id", c.eos_token_id}};
    j["tokenizer"] = {{"vocab", tok.vocab.size()}, {"merges", tok.merges.size()}, {"added_tokens", tok.added_tokens.size()}};
    j["bytes_by_dtype"] = bytes_by_dtype;
    auto& ts = j["tensors"] = nlohmann::ordered_json::array();
    for (const TensorInfo& t : file->tensors()) {
      ts.push_back({{"name", t.name}, {"dtype", DTypeName(t.dtype)}, {"shape", t.shape}, {"offset", t.offset},
                    {"size", t.size}, {"checksum", t.checksum}});
    }
    std::printf("%s\n", j.dump(2).c_str());
    return 0;
  }

  std::printf("model        %s\n", path.c_str());
  std::printf("source       %s\n", file->metadata().source.c_str());
  std::printf("architecture %s, %lld layers, hidden %lld, ffn %lld, heads %lld (kv %lld) x %lld\n",
              ArchitectureName(c.architecture), static_cast<long long>(c.num_hidden_layers),
              static_cast<long long>(c.hidden_size), static_cast<long long>(c.intermediate_size),
              static_cast<long long>(c.num_attention_heads), static_cast<long long>(c.num_key_value_heads),
              static_cast<long long>(c.head_dim));
  std::printf("vocabulary   %lld rows; tokenizer %zu tokens + %zu added, %zu merges\n",
              static_cast<long long>(c.vocab_size), tok.vocab.size(), tok.added_tokens.size(), tok.merges.size());
  std::printf("context      %lld positions, rope theta %g, rms eps %g, tied embeddings %s\n",
              static_cast<long long>(c.max_position_embeddings), static_cast<double>(c.rope_theta),
              static_cast<double>(c.rms_norm_eps), c.tie_word_embeddings ? "yes" : "no");
  std::printf("parameters   %lld\n", static_cast<long long>(params));
  std::printf("file size    %llu bytes (%s)\n", static_cast<unsigned long long>(file->file_size()),
              cli::HumanBytes(file->file_size()).c_str());
  for (const auto& [dtype, bytes] : bytes_by_dtype) {
    std::printf("  %-5s      %llu bytes (%s)\n", dtype.c_str(), static_cast<unsigned long long>(bytes),
                cli::HumanBytes(bytes).c_str());
  }
  std::printf("\n%-52s %-5s %-14s %12s\n", "tensor", "dtype", "shape", "bytes");
  for (const TensorInfo& t : file->tensors()) {
    std::printf("%-52s %-5s %-14s %12llu\n", t.name.c_str(), std::string(DTypeName(t.dtype)).c_str(),
                Shape(t.shape).c_str(), static_cast<unsigned long long>(t.size));
  }
  return 0;
}

// Everything loading does (the header and its checksum, binding every weight,
// building the tokenizer), then every tensor's checksum: a file --verify
// passes is one edge-run and the C API open.
int VerifyModel(const std::string& path) {
  auto model = Model::Open(path);
  if (!model.ok()) return cli::Fail(model.status());
  const ModelFile& file = (*model)->file();
  if (auto tokenizer = Tokenizer::Create(file.metadata().tokenizer); !tokenizer.ok()) {
    return cli::Fail(tokenizer.status().WithContext(path + ": tokenizer"));
  }
  const Status st = file.VerifyChecksums();
  if (!st.ok()) return cli::Fail(st);
  std::printf("%s: %zu tensors, all checksums match%s\n", path.c_str(), file.tensors().size(),
              file.format_version() >= kEtmFirstVersionWithHeaderChecksum ? ", header checksum matches"
                                                                          : " (format version 1: no header checksum)");
  return 0;
}

}  // namespace edgert
