// formats/tokenizer_json/tokenizer_json.cc
#include "formats/tokenizer_json/tokenizer_json.h"

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "formats/regular_file.h"

namespace edgert {
namespace {

using nlohmann::json;

Status TypeError(const std::string& path, const char* expected) {
  return InvalidArgument(path + ": expected " + expected);
}

Result<const json*> Member(const json& j, const std::string& parent, const char* key) {
  if (!j.is_object()) return TypeError(parent, "an object");
  const auto it = j.find(key);
  if (it == j.end()) return InvalidArgument(parent + (parent.empty() ? "" : ".") + key + ": missing");
  return &*it;
}


Status ReadNormalizer(const json& root, TokenizerSpec& spec) {
  const auto it = root.find("normalizer");
  if (it == root.end() || it->is_null()) return OkStatus();
  const auto t = it->is_object() ? it->find("type") : it->end();
  if (!it->is_object() || t == it->end() || !t->is_string()) return TypeError("normalizer.type", "a string");
  if (*t != "NFC") return Unsupported("normalizer '" + t->get<std::string>() + "' (only NFC is implemented)");
  spec.normalizer = "NFC";
  return OkStatus();
}

Status ReadByteLevel(const json& p, const std::string& where, bool alone, TokenizerSpec& spec) {
  if (p.value("add_prefix_space", false)) return Unsupported(where + ".add_prefix_space = true");
  const bool use_regex = p.value("use_regex", true);
  if (alone) {
    if (!use_regex) return Unsupported(where + ": ByteLevel without a regex and no Split before it");
    spec.pretokenizer_regex = kGpt2SplitPattern;
  } else if (use_regex) {
    return Unsupported(where + ".use_regex = true after a Split");
  }
  return OkStatus();
}

Status ReadPreTokenizer(const json& root, TokenizerSpec& spec) {
  EDGERT_ASSIGN_OR_RETURN(const json* p, Member(root, "", "pre_tokenizer"));
  if (!p->is_object() || !p->contains("type") || !p->at("type").is_string()) {
    return TypeError("pre_tokenizer", "an object with a type");
  }
  const std::string type = p->at("type");
  if (type == "ByteLevel") return ReadByteLevel(*p, "pre_tokenizer", true, spec);
  if (type != "Sequence") return Unsupported("pre_tokenizer type '" + type + "'");
  EDGERT_ASSIGN_OR_RETURN(const json* list, Member(*p, "pre_tokenizer", "pretokenizers"));
  if (!list->is_array() || list->size() != 2) {
    return Unsupported("pre_tokenizer.pretokenizers: expected [Split, ByteLevel]");
  }
  const json& split = (*list)[0];
  if (!split.is_object() || split.value("type", "") != "Split") {
    return Unsupported("pre_tokenizer.pretokenizers[0]: expected a Split");
  }
  if (split.value("behavior", "") != "Isolated" || split.value("invert", false)) {
    return Unsupported("pre_tokenizer.pretokenizers[0]: only behavior Isolated without invert is implemented");
  }
  const auto pattern = split.find("pattern");
  if (pattern == split.end() || !pattern->is_object() || !pattern->contains("Regex") || !(*pattern)["Regex"].is_string()) {
    return TypeError("pre_tokenizer.pretokenizers[0].pattern.Regex", "a string");
  }
  spec.pretokenizer_regex = (*pattern)["Regex"];
  const json& byte_level = (*list)[1];
  if (!byte_level.is_object() || byte_level.value("type", "") != "ByteLevel") {
    return Unsupported("pre_tokenizer.pretokenizers[1]: expected ByteLevel");
  }
  return ReadByteLevel(byte_level, "pre_tokenizer.pretokenizers[1]", false, spec);
}

Status ReadModel(const json& root, TokenizerSpec& spec) {
  EDGERT_ASSIGN_OR_RETURN(const json* m, Member(root, "", "model"));
  if (!m->is_object()) return TypeError("model", "an object");
  if (m->value("type", "BPE") != "BPE") return Unsupported("model.type '" + m->value("type", "") + "' (only BPE)");
  if (const auto d = m->find("dropout"); d != m->end() && !d->is_null()) return Unsupported("model.dropout");
  if (m->value("byte_fallback", false)) return Unsupported("model.byte_fallback = true");
  if (m->value("ignore_merges", false)) return Unsupported("model.ignore_merges = true");
  for (const char* affix : {"continuing_subword_prefix", "end_of_word_suffix"}) {
    const auto a = m->find(affix);
    if (a != m->end() && !a->is_null() && !(a->is_string() && a->get<std::string>().empty())) {
      return Unsupported(std::string("model.") + affix + " (only an empty one is implemented)");
    }
  }
  EDGERT_ASSIGN_OR_RETURN(const json* vocab, Member(*m, "model", "vocab"));
  if (!vocab->is_object()) return TypeError("model.vocab", "an object of token: id");
  for (const auto& [token, id] : vocab->items()) {
    if (!id.is_number_integer() || id.get<int64_t>() < 0 || id.get<int64_t>() > (1 << 24)) {
      return TypeError("model.vocab[\"" + token + "\"]", "a non-negative integer id below 2^24");
    }
    const auto i = static_cast<size_t>(id.get<int64_t>());
    if (i >= spec.vocab.size()) spec.vocab.resize(i + 1);
    if (!spec.vocab[i].empty()) return InvalidArgument("model.vocab: id " + std::to_string(i) + " used twice");
    spec.vocab[i] = token;
  }
  EDGERT_ASSIGN_OR_RETURN(const json* merges, Member(*m, "model", "merges"));
  if (!merges->is_array()) return TypeError("model.merges", "an array");
  spec.merges.reserve(merges->size());
  for (size_t i = 0; i < merges->size(); ++i) {
    const json& e = (*merges)[i];
    if (e.is_string()) {
      const std::string s = e;
      if (s.find(' ') == std::string::npos) return TypeError("model.merges[" + std::to_string(i) + "]", "\"left right\"");
      spec.merges.push_back(s);
    } else if (e.is_array() && e.size() == 2 && e[0].is_string() && e[1].is_string()) {
      spec.merges.push_back(e[0].get<std::string>() + " " + e[1].get<std::string>());
    } else {
      return TypeError("model.merges[" + std::to_string(i) + "]", "\"left right\" or [left, right]");
    }
  }
  return OkStatus();
}

Status ReadAddedTokens(const json& root, TokenizerSpec& spec) {
  const auto it = root.find("added_tokens");
  if (it == root.end() || it->is_null()) return OkStatus();
  if (!it->is_array()) return TypeError("added_tokens", "an array");
  for (size_t i = 0; i < it->size(); ++i) {
    const json& a = (*it)[i];
    const std::string where = "added_tokens[" + std::to_string(i) + "]";
    if (!a.is_object() || !a.contains("id") || !a["id"].is_number_integer() || !a.contains("content") ||
        !a["content"].is_string() || a["content"].get<std::string>().empty()) {
      return TypeError(where, "an object with an integer id and a non-empty content");
    }
    AddedTokenSpec t;
    t.id = a["id"].get<int32_t>();
    t.content = a["content"];
    t.special = a.value("special", false);
    t.lstrip = a.value("lstrip", false);
    t.rstrip = a.value("rstrip", false);
    t.normalized = a.value("normalized", false);
    t.single_word = a.value("single_word", false);
    if (t.id < 0) return InvalidArgument(where + ".id: negative");
    spec.added_tokens.push_back(std::move(t));
  }
  return OkStatus();
}

}  // namespace

Result<TokenizerSpec> ParseTokenizerJson(std::string_view text, std::string_view source_name) {
  const std::string name(source_name);
  json root;
  try {
    root = json::parse(text);
  } catch (const json::parse_error& e) {
    // nlohmann counts bytes read, from 1; an offset counts from 0. Its own
    // text ("parse error at line 1, column 11: ...") follows its tag.
    std::string what = e.what();
    if (const size_t tag = what.find("] "); tag != std::string::npos) what.erase(0, tag + 2);
    return InvalidArgument(name + ": not valid JSON at byte offset " + std::to_string(e.byte > 0 ? e.byte - 1 : 0) +
                           ": " + what);
  } catch (const json::exception& e) {  // e.g. a number out of range
    return InvalidArgument(name + ": not valid JSON: " + e.what());
  }
  if (!root.is_object()) return InvalidArgument(name + ": expected a JSON object at the top");
  TokenizerSpec spec;
  try {
    Status st = ReadModel(root, spec);
    if (st.ok()) st = ReadNormalizer(root, spec);
    if (st.ok()) st = ReadPreTokenizer(root, spec);
    if (st.ok()) st = ReadAddedTokens(root, spec);
    if (!st.ok()) return st.WithContext(name);
  } catch (const json::exception& e) {  // a value of an unexpected type deep inside
    return InvalidArgument(name + ": " + e.what());
  }
  for (size_t i = 0; i < spec.vocab.size(); ++i) {
    if (spec.vocab[i].empty()) {
      bool is_added = false;
      for (const auto& a : spec.added_tokens) is_added |= a.id == static_cast<int32_t>(i);
      if (!is_added) return InvalidArgument(name + ": model.vocab has no token with id " + std::to_string(i));
    }
  }
  return spec;
}

Result<TokenizerSpec> ReadTokenizerJson(const std::string& path) {
  EDGERT_RETURN_IF_ERROR(RefuseSpecialFile(path));
  std::ifstream in(path, std::ios::binary);
  if (!in) return IoError(path + ": cannot open");
  std::stringstream ss;
  ss << in.rdbuf();
  return ParseTokenizerJson(ss.str(), path);
}

}  // namespace edgert
