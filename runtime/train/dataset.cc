// runtime/train/dataset.cc
#include "runtime/train/dataset.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "base/splitmix.h"
#include "runtime/train/json_records.h"

namespace edgert {
namespace {

using nlohmann::json;

constexpr int32_t kIgnore = -100;  // as lora_graph.h's kIgnoreLabel
constexpr size_t kSkippedMessagesKept = 5;

struct Message {
  std::string role, content;
};

Result<std::string> StringField(const json& j, const char* key) {
  const auto it = j.find(key);
  if (it == j.end()) return NotFound(std::string("no '") + key + "'");
  if (!it->is_string()) return InvalidArgument(std::string("'") + key + "' must be a string");
  return it->get<std::string>();
}

Result<std::vector<Message>> Conversation(const json& j) {
  std::vector<Message> out;
  if (const auto m = j.find("messages"); m != j.end()) {
    if (!m->is_array() || m->empty()) return InvalidArgument("'messages' must be a non-empty array");
    for (size_t i = 0; i < m->size(); ++i) {
      const json& msg = (*m)[i];
      const std::string where = "message " + std::to_string(i + 1) + ": ";
      if (!msg.is_object()) return InvalidArgument(where + "expected an object with 'role' and 'content'");
      auto role = StringField(msg, "role");
      auto content = StringField(msg, "content");
      if (!role.ok()) return InvalidArgument(where + role.status().message());
      if (!content.ok()) return InvalidArgument(where + content.status().message());
      if (*role != "system" && *role != "user" && *role != "assistant") {
        return InvalidArgument(where + "role '" + *role + "' is not system, user or assistant");
      }
      out.push_back({*role, *content});
    }
    if (std::none_of(out.begin(), out.end(), [](const Message& x) { return x.role == "assistant"; })) {
      return InvalidArgument("'messages' has no assistant message to train on");
    }
    return out;
  }
  // "prompt" is what edge-run --input and the C API take: the same record
  // trains here (issue 23) as a synonym of "instruction".
  const char* question = j.contains("instruction") || !j.contains("prompt") ? "instruction" : "prompt";
  auto instruction = StringField(j, question);
  if (!instruction.ok()) {
    return InvalidArgument(
        "expected {instruction, response}, {prompt, response}, {instruction, input, output}, {messages}, {text} "
        "or {input_ids}");
  }
  std::string user = *instruction;
  if (const auto in = j.find("input"); in != j.end()) {
    if (!in->is_string()) return InvalidArgument("'input' must be a string");
    if (!in->get<std::string>().empty()) user += "\n\n" + in->get<std::string>();
  }
  auto answer = j.contains("response") ? StringField(j, "response") : StringField(j, "output");
  if (!answer.ok()) return InvalidArgument(std::string("'") + question + "' needs a 'response' (or 'output') string");
  return std::vector<Message>{{"user", user}, {"assistant", *answer}};
}

// ChatML, piece by piece so each piece's tokens can be labelled: the pieces
// meet at special tokens, or at the newline after a role name.
void AppendPiece(TrainExample& ex, const Tokenizer& tok, const std::string& text, bool trained) {
  for (int32_t id : tok.Encode(text)) {
    ex.ids.push_back(id);
    ex.labels.push_back(trained ? id : kIgnore);
  }
}

TrainExample RenderConversation(std::vector<Message> messages, const Tokenizer& tok, const DatasetOptions& o) {
  if (messages.front().role != "system") messages.insert(messages.begin(), {"system", o.system_prompt});
  TrainExample ex;
  for (const Message& m : messages) {
    const bool trained = o.train_on_prompt;
    if (m.role == "assistant") {
      AppendPiece(ex, tok, "<|im_start|>assistant\n", o.train_on_prompt);
      AppendPiece(ex, tok, m.content, true);
      AppendPiece(ex, tok, "<|im_end|>", true);
      AppendPiece(ex, tok, "\n", o.train_on_prompt);
    } else {
      AppendPiece(ex, tok, "<|im_start|>" + m.role + "\n" + m.content + "<|im_end|>\n", trained);
    }
  }
  return ex;
}

Result<std::vector<int32_t>> IdArray(const json& j, const char* key, int64_t vocab, bool allow_ignore) {
  const json& a = j.at(key);
  if (!a.is_array() || a.empty()) return InvalidArgument(std::string("'") + key + "' must be a non-empty array");
  std::vector<int32_t> out;
  out.reserve(a.size());
  for (size_t i = 0; i < a.size(); ++i) {
    const json& v = a[i];
    if (!v.is_number_integer()) {
      return InvalidArgument(std::string("'") + key + "'[" + std::to_string(i) + "] is not an integer");
    }
    const int64_t id = v.get<int64_t>();
    const bool ignored = allow_ignore && id == kIgnore;
    if (!ignored && (id < 0 || (vocab > 0 && id >= vocab))) {
      return OutOfRange(std::string("'") + key + "'[" + std::to_string(i) + "] = " + std::to_string(id) +
                        " is outside the vocabulary (0.." + std::to_string(vocab - 1) + ")");
    }
    out.push_back(static_cast<int32_t>(id));
  }
  return out;
}

Result<TrainExample> PreTokenized(const json& j, int64_t vocab) {
  TrainExample ex;
  EDGERT_ASSIGN_OR_RETURN(ex.ids, IdArray(j, "input_ids", vocab, false));
  if (!j.contains("labels")) {
    ex.labels = ex.ids;
    return ex;
  }
  EDGERT_ASSIGN_OR_RETURN(ex.labels, IdArray(j, "labels", vocab, true));
  if (ex.labels.size() != ex.ids.size()) {
    return InvalidArgument("'labels' has " + std::to_string(ex.labels.size()) + " entries, 'input_ids' " +
                           std::to_string(ex.ids.size()));
  }
  return ex;
}

Result<TrainExample> ExampleFrom(const json& j, const Tokenizer& tok, const DatasetOptions& o) {
  if (!j.is_object()) return InvalidArgument("expected a JSON object");
  if (j.contains("input_ids")) return PreTokenized(j, o.vocab_size);
  if (j.contains("text")) {
    EDGERT_ASSIGN_OR_RETURN(std::string text, StringField(j, "text"));
    TrainExample ex;
    AppendPiece(ex, tok, text, true);
    return ex;
  }
  EDGERT_ASSIGN_OR_RETURN(std::vector<Message> messages, Conversation(j));
  return RenderConversation(std::move(messages), tok, o);
}

// Positions whose next-token label counts (the loss shifts labels by one).
int64_t Counted(const TrainExample& ex) {
  return std::count_if(ex.labels.begin() + (ex.labels.empty() ? 0 : 1), ex.labels.end(),
                       [](int32_t l) { return l != kIgnore; });
}

void Shuffle(std::vector<size_t>& order, uint64_t seed) {
  uint64_t state = seed;
  for (size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[SplitMix64(state) % i]);
}

}  // namespace

int64_t Dataset::CountedTokens() const {
  int64_t n = 0;
  for (const TrainExample& ex : examples) n += Counted(ex);
  return n;
}

Result<Dataset> LoadDataset(const std::string& path, const Tokenizer& tokenizer, const DatasetOptions& o) {
  if (o.max_seq_len < 2) return InvalidArgument("--max-seq-len must be at least 2");
  EDGERT_ASSIGN_OR_RETURN(JsonRecords file, ReadJsonRecords(path, o.skip_bad_lines));
  return DatasetFromRecords(file, path, tokenizer, o);
}

Result<Dataset> DatasetFromRecords(const JsonRecords& file, const std::string& path, const Tokenizer& tokenizer,
                                   const DatasetOptions& o) {
  if (o.max_seq_len < 2) return InvalidArgument("--max-seq-len must be at least 2");
  Dataset d;
  auto skip = [&](const std::string& message) {
    ++d.stats.skipped;
    if (d.stats.skipped_messages.size() < kSkippedMessagesKept) d.stats.skipped_messages.push_back(message);
  };
  for (const std::string& bad : file.bad_lines) skip(bad);
  for (const JsonRecord& r : file.records) {
    ++d.stats.records;
    auto ex = ExampleFrom(r.value, tokenizer, o);
    if (!ex.ok()) {
      const std::string message = r.where + ": " + ex.status().message();
      if (!o.skip_bad_lines) return InvalidArgument(message + " (--skip-bad-lines to go on without it)");
      skip(message);
      continue;
    }
    const auto limit = static_cast<size_t>(o.max_seq_len);
    if (ex->ids.size() > limit) {
      ++d.stats.truncated;
      d.stats.truncated_tokens += static_cast<int64_t>(ex->ids.size() - limit);
      ex->ids.resize(limit);
      ex->labels.resize(limit);
    }
    if (Counted(*ex) == 0) {
      ++d.stats.no_target;
      continue;
    }
    d.examples.push_back(std::move(*ex));
  }
  if (d.examples.empty()) {
    std::string why = path + ": empty data set: no example to train on";
    if (d.stats.no_target > 0) {
      why += " (" + std::to_string(d.stats.no_target) + " had no trained token within --max-seq-len " +
             std::to_string(o.max_seq_len) + ")";
    }
    if (d.stats.skipped > 0) why += " (" + std::to_string(d.stats.skipped) + " bad records skipped)";
    return InvalidArgument(why);
  }
  return d;
}

Result<std::vector<TrainExample>> SplitValidation(std::vector<TrainExample>& train, double fraction, uint64_t seed) {
  if (!(fraction > 0.0 && fraction < 1.0)) return InvalidArgument("--val-split must be between 0 and 1");
  if (train.size() < 2) return InvalidArgument("--val-split needs at least two examples");
  const auto n_val = std::clamp<size_t>(static_cast<size_t>(std::llround(fraction * static_cast<double>(train.size()))),
                                        1, train.size() - 1);
  std::vector<size_t> order(train.size());
  std::iota(order.begin(), order.end(), size_t{0});
  Shuffle(order, seed);
  std::vector<bool> to_val(train.size(), false);
  for (size_t i = 0; i < n_val; ++i) to_val[order[i]] = true;
  std::vector<TrainExample> val, kept;
  for (size_t i = 0; i < train.size(); ++i) (to_val[i] ? val : kept).push_back(std::move(train[i]));
  train = std::move(kept);
  return val;
}

Status MixReplay(std::vector<TrainExample>& train, const std::vector<TrainExample>& replay, double ratio,
                 uint64_t seed) {
  if (!(ratio >= 0.0 && ratio < 1.0)) return InvalidArgument("--replay-ratio must be in [0, 1)");
  if (replay.empty()) return InvalidArgument("the replay data set is empty");
  const auto n = static_cast<size_t>(std::llround(static_cast<double>(train.size()) * ratio / (1.0 - ratio)));
  std::vector<size_t> order(replay.size());
  std::iota(order.begin(), order.end(), size_t{0});
  uint64_t state = seed ^ 0x5265706c6179ull;  // "Replay": not the same draw as the split
  for (size_t i = 0; i < n; ++i) {
    if (i % replay.size() == 0) Shuffle(order, SplitMix64(state));
    train.push_back(replay[order[i % replay.size()]]);
  }
  return OkStatus();
}

}  // namespace edgert
