// runtime/train/dataset.h: training examples from JSON / JSONL files.
//
// Each record is one of
//   {instruction, response}            a user turn and the assistant's answer
//   {prompt, response}                 the same (edge-run --input's and the C API's form)
//   {instruction, input, output}       Alpaca: the input follows the instruction
//   {messages: [{role, content}...]}   a conversation (system, user, assistant)
//   {text}                             plain text, no template, every token trained
//   {input_ids, labels}                pre-tokenized, used as is (labels optional:
//                                      then every token is trained)
// The first three are rendered with the model's ChatML template, with the
// default system prompt unless the conversation has its own. Labels follow
// Hugging Face: labels[t] = ids[t] where the loss counts, -100 elsewhere (the
// shift by one happens in the loss). By default only assistant tokens count:
// each assistant message's content and its <|im_end|>, not the header before
// it nor the newline after it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "runtime/train/json_records.h"
#include "runtime/tokenizer/tokenizer.h"

namespace edgert {

struct TrainExample {
  std::vector<int32_t> ids;
  std::vector<int32_t> labels;  // same length; -100 where the loss does not count
};

struct DatasetOptions {
  std::string system_prompt;  // for conversations without a system message
  bool train_on_prompt = false;
  int64_t max_seq_len = 1024;
  int64_t vocab_size = 0;  // pre-tokenized ids must be below it (0: not checked)
  bool skip_bad_lines = false;
};

struct DatasetStats {
  int64_t records = 0;           // records read
  int64_t truncated = 0;         // examples cut at max_seq_len
  int64_t truncated_tokens = 0;  // tokens cut off them
  int64_t no_target = 0;         // dropped: nothing left to train on after truncation
  int64_t skipped = 0;           // bad records passed over (--skip-bad-lines)
  std::vector<std::string> skipped_messages;  // the first few, "file: line N: why"
};

struct Dataset {
  std::vector<TrainExample> examples;
  DatasetStats stats;
  int64_t CountedTokens() const;  // label positions the loss counts, over all examples
};

// Reads and tokenizes `path`. A bad record is an error naming the file and the
// line (or array item), unless options.skip_bad_lines; no examples is an error.
Result<Dataset> LoadDataset(const std::string& path, const Tokenizer& tokenizer, const DatasetOptions& options);
// The same over records already read (or made in memory: the C API's
// examples); `name` stands for the file in messages.
Result<Dataset> DatasetFromRecords(const JsonRecords& records, const std::string& name, const Tokenizer& tokenizer,
                                   const DatasetOptions& options);

// Moves a seeded random `fraction` (0 < f < 1) of `train` into the returned
// validation set (at least one example, and at least one left to train on).
Result<std::vector<TrainExample>> SplitValidation(std::vector<TrainExample>& train, double fraction, uint64_t seed);

// Appends examples from `replay` so that they make up `ratio` (0 <= r < 1) of
// the result: round(n·r/(1−r)) of them, drawn without repetition (repeating
// only once `replay` is used up), seeded.
Status MixReplay(std::vector<TrainExample>& train, const std::vector<TrainExample>& replay, double ratio,
                 uint64_t seed);

}  // namespace edgert
