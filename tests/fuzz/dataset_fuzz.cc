// libFuzzer target: training data files come from users (edge-tune --data,
// --val, --replay; the C API's examples). Any bytes, read as a JSON array or
// JSONL file, must be refused with a message or turn into examples that keep
// the loader's promises: ids and labels of equal length within --max-seq-len,
// ids inside the vocabulary, labels -100 or inside it, a trained token in each.
// The first byte picks the options (skip bad lines, train on the prompt).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "runtime/train/dataset.h"
#include "runtime/train/json_records.h"
#include "tests/fuzz/small_tokenizer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  static const edgert::Tokenizer tok =
      edgert::fuzz::MakeSmallTokenizer({"<|endoftext|>", "<|im_start|>", "<|im_end|>"});
  edgert::DatasetOptions o;
  o.skip_bad_lines = (data[0] & 1) != 0;
  o.train_on_prompt = (data[0] & 2) != 0;
  o.max_seq_len = 2 + (data[0] >> 2);
  o.vocab_size = tok.size();
  o.system_prompt = "You are a fuzzer.";
  const std::string text(reinterpret_cast<const char*>(data + 1), size - 1);
  auto records = edgert::ParseJsonRecords(text, "fuzz.jsonl", o.skip_bad_lines);
  if (!records.ok()) {
    if (records.status().message().empty()) std::abort();
    return 0;
  }
  auto d = edgert::DatasetFromRecords(*records, "fuzz.jsonl", tok, o);
  if (!d.ok()) {
    if (d.status().message().rfind("fuzz.jsonl", 0) != 0) std::abort();  // every refusal names the file
    return 0;
  }
  if (d->examples.empty() || d->CountedTokens() < static_cast<int64_t>(d->examples.size())) std::abort();
  for (const edgert::TrainExample& ex : d->examples) {
    if (ex.ids.size() != ex.labels.size() || ex.ids.empty() || ex.ids.size() > static_cast<size_t>(o.max_seq_len)) {
      std::abort();
    }
    for (size_t t = 0; t < ex.ids.size(); ++t) {
      if (ex.ids[t] < 0 || ex.ids[t] >= o.vocab_size) std::abort();
      if (ex.labels[t] != -100 && (ex.labels[t] < 0 || ex.labels[t] >= o.vocab_size)) std::abort();
    }
  }
  return 0;
}
