// Training data: every record kind, the template, the label mask, truncation,
// bad lines, splits and replay. The reference for the rendering is the whole
// conversation rendered by RenderChatML (itself checked against Qwen2.5's
// template) and tokenized in one piece: the labelled pieces must add up to it.
#include "runtime/train/dataset.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "runtime/generate/chat.h"
#include "tests/common/temp_dir.h"
#include "tests/tokenizer/tokenizer_test_util.h"

namespace edgert {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

constexpr const char* kSystem = "You are a test.";

class DatasetTest : public ::testing::Test {
 protected:
  std::string Write(const std::string& name, const std::string& text) {
    const std::string path = (temp_.path() / name).string();
    std::ofstream(path) << text;
    return path;
  }
  DatasetOptions Options() const {
    DatasetOptions o;
    o.system_prompt = kSystem;
    o.vocab_size = 151936;
    return o;
  }
  std::string Trained(const TrainExample& ex) const {
    std::vector<int32_t> ids;
    for (int32_t l : ex.labels) {
      if (l != -100) ids.push_back(l);
    }
    return tok_->Decode(ids);
  }
  testing::TempDir temp_{"dataset_test"};
  const Tokenizer* tok_ = testing::QwenTokenizer();
};

TEST_F(DatasetTest, InstructionResponseIsChatMLWithLossOnTheAnswerOnly) {
  ASSERT_NE(tok_, nullptr);
  const std::string path = Write("a.jsonl",
                                 "{\"instruction\": \"Draw a graph.\", \"response\": \"digraph { a -> b }\"}\n\n"
                                 "{\"instruction\": \"Sum\", \"input\": \"1 2\", \"output\": \"3\"}\n");
  auto d = LoadDataset(path, *tok_, Options());
  ASSERT_TRUE(d.ok()) << d.status().message();
  ASSERT_EQ(d->examples.size(), 2u);
  const std::vector<ChatMessage> conv = {{"user", "Draw a graph."}, {"assistant", "digraph { a -> b }"}};
  EXPECT_EQ(d->examples[0].ids, tok_->Encode(RenderChatML(conv, kSystem, false)));
  EXPECT_EQ(Trained(d->examples[0]), "digraph { a -> b }<|im_end|>");
  const std::vector<ChatMessage> alpaca = {{"user", "Sum\n\n1 2"}, {"assistant", "3"}};
  EXPECT_EQ(d->examples[1].ids, tok_->Encode(RenderChatML(alpaca, kSystem, false)));
  EXPECT_EQ(Trained(d->examples[1]), "3<|im_end|>");
  EXPECT_EQ(d->examples[0].labels.size(), d->examples[0].ids.size());
}

// Issue 23 item 11: {"prompt", "response"} (edge-run --input's and the C
// API's form) was refused here; it trains as {"instruction", "response"}.
TEST_F(DatasetTest, PromptResponseTrainsLikeInstructionResponse) {
  ASSERT_NE(tok_, nullptr);
  const std::string a = Write("p.jsonl", "{\"prompt\": \"Draw a graph.\", \"response\": \"digraph { a }\"}\n");
  const std::string b = Write("i.jsonl", "{\"instruction\": \"Draw a graph.\", \"response\": \"digraph { a }\"}\n");
  auto from_prompt = LoadDataset(a, *tok_, Options());
  auto from_instruction = LoadDataset(b, *tok_, Options());
  ASSERT_TRUE(from_prompt.ok()) << from_prompt.status().message();
  ASSERT_TRUE(from_instruction.ok());
  ASSERT_EQ(from_prompt->examples.size(), 1u);
  EXPECT_EQ(from_prompt->examples[0].ids, from_instruction->examples[0].ids);
  EXPECT_EQ(from_prompt->examples[0].labels, from_instruction->examples[0].labels);
}

TEST_F(DatasetTest, MessagesTextAndPreTokenized) {
  ASSERT_NE(tok_, nullptr);
  const std::string path = Write("b.json", R"([
    {"messages": [{"role": "system", "content": "Own system."}, {"role": "user", "content": "Hi"},
                  {"role": "assistant", "content": "Hello"}, {"role": "user", "content": "Again"},
                  {"role": "assistant", "content": "Bye"}]},
    {"text": "plain words"},
    {"input_ids": [1, 2, 3, 4], "labels": [-100, -100, 3, 4]},
    {"input_ids": [5, 6]}
  ])");
  auto d = LoadDataset(path, *tok_, Options());
  ASSERT_TRUE(d.ok()) << d.status().message();
  ASSERT_EQ(d->examples.size(), 4u);
  const std::vector<ChatMessage> conv = {
      {"system", "Own system."}, {"user", "Hi"}, {"assistant", "Hello"}, {"user", "Again"}, {"assistant", "Bye"}};
  EXPECT_EQ(d->examples[0].ids, tok_->Encode(RenderChatML(conv, kSystem, false)));
  EXPECT_EQ(Trained(d->examples[0]), "Hello<|im_end|>Bye<|im_end|>");
  EXPECT_EQ(d->examples[1].ids, tok_->Encode("plain words"));
  EXPECT_EQ(d->examples[1].labels, d->examples[1].ids);
  EXPECT_EQ(d->examples[2].labels, (std::vector<int32_t>{-100, -100, 3, 4}));
  EXPECT_EQ(d->examples[3].labels, (std::vector<int32_t>{5, 6}));
  // Counted positions: the label of position 0 is never predicted.
  const auto answer_tokens = static_cast<int64_t>(tok_->Encode("Hello<|im_end|>Bye<|im_end|>").size());
  EXPECT_EQ(d->CountedTokens(), answer_tokens + static_cast<int64_t>(d->examples[1].ids.size()) - 1 + 2 + 1);
}

TEST_F(DatasetTest, TrainOnPromptLabelsEverything) {
  ASSERT_NE(tok_, nullptr);
  auto o = Options();
  o.train_on_prompt = true;
  auto d = LoadDataset(Write("c.jsonl", R"({"instruction": "Q", "response": "A"})"), *tok_, o);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->examples[0].labels, d->examples[0].ids);
}

TEST_F(DatasetTest, TruncatesAndCountsAndDropsWhatHasNothingLeft) {
  ASSERT_NE(tok_, nullptr);
  auto o = Options();
  o.max_seq_len = 8;  // shorter than the system prompt alone
  const std::string path = Write("d.jsonl",
                                 "{\"input_ids\": [1,2,3,4,5,6,7,8,9,10]}\n"
                                 "{\"instruction\": \"Q\", \"response\": \"A\"}\n");
  auto d = LoadDataset(path, *tok_, o);
  ASSERT_TRUE(d.ok()) << d.status().message();
  ASSERT_EQ(d->examples.size(), 1u);
  EXPECT_EQ(d->examples[0].ids.size(), 8u);
  EXPECT_EQ(d->stats.truncated, 2);
  EXPECT_EQ(d->stats.truncated_tokens, 2 + static_cast<int64_t>(tok_->Encode(RenderChatML(
                                                std::vector<ChatMessage>{{"user", "Q"}, {"assistant", "A"}},
                                                kSystem, false)).size()) - 8);
  EXPECT_EQ(d->stats.no_target, 1);
  auto none = LoadDataset(Write("e.jsonl", "{\"instruction\": \"Q\", \"response\": \"A\"}\n"), *tok_, o);
  EXPECT_THAT(none.status().message(), HasSubstr("empty data set"));
  EXPECT_THAT(none.status().message(), HasSubstr("--max-seq-len 8"));
}

TEST_F(DatasetTest, BadLinesNameFileAndLineOrAreSkipped) {
  ASSERT_NE(tok_, nullptr);
  const std::string path = Write("f.jsonl",
                                 "{\"instruction\": \"Q\", \"response\": \"A\"}\n"
                                 "{\"instruction\": \"Q\", \"response\": \n"
                                 "{\"question\": \"Q\"}\n"
                                 "{\"input_ids\": [1, 999999]}\n"
                                 "{\"messages\": [{\"role\": \"user\", \"content\": \"Q\"}]}\n");
  auto d = LoadDataset(path, *tok_, Options());
  EXPECT_THAT(d.status().message(), HasSubstr(path + ": line 2: not valid JSON"));
  EXPECT_THAT(d.status().message(), HasSubstr("--skip-bad-lines"));
  auto o = Options();
  o.skip_bad_lines = true;
  d = LoadDataset(path, *tok_, o);
  ASSERT_TRUE(d.ok()) << d.status().message();
  EXPECT_EQ(d->examples.size(), 1u);
  EXPECT_EQ(d->stats.skipped, 4);
  ASSERT_EQ(d->stats.skipped_messages.size(), 4u);
  EXPECT_THAT(d->stats.skipped_messages[1], HasSubstr("line 3: expected {instruction, response}, {prompt, response}"));
  EXPECT_THAT(d->stats.skipped_messages[2], HasSubstr("line 4: 'input_ids'[1] = 999999 is outside the vocabulary"));
  EXPECT_THAT(d->stats.skipped_messages[3], HasSubstr("line 5: 'messages' has no assistant message"));
  auto array = LoadDataset(Write("g.json", "[{\"text\": \"a\"},\n 7]"), *tok_, Options());
  EXPECT_THAT(array.status().message(), HasSubstr("g.json: item 2: expected a JSON object"));
  auto broken = LoadDataset(Write("h.json", "[{\"text\": \"a\"},\n {]"), *tok_, Options());
  EXPECT_THAT(broken.status().message(), HasSubstr("h.json: line 2: not valid JSON"));
}

TEST_F(DatasetTest, EmptyAndMissingFiles) {
  ASSERT_NE(tok_, nullptr);
  EXPECT_THAT(LoadDataset(Write("i.jsonl", "\n  \n"), *tok_, Options()).status().message(),
              HasSubstr("empty data set"));
  EXPECT_THAT(LoadDataset(Write("j.json", "[]"), *tok_, Options()).status().message(), HasSubstr("empty data set"));
  EXPECT_THAT(LoadDataset("/nonexistent.jsonl", *tok_, Options()).status().message(), HasSubstr("cannot open"));
}

std::vector<TrainExample> Numbered(int n) {
  std::vector<TrainExample> v;
  for (int i = 0; i < n; ++i) v.push_back({{i, i}, {i, i}});
  return v;
}

TEST(DatasetSplit, ValidationSplitIsSeededAndDisjoint) {
  auto train = Numbered(10);
  auto val = SplitValidation(train, 0.2, 7);
  ASSERT_TRUE(val.ok());
  EXPECT_EQ(val->size(), 2u);
  EXPECT_EQ(train.size(), 8u);
  auto again = Numbered(10);
  auto val2 = SplitValidation(again, 0.2, 7);
  EXPECT_EQ((*val2)[0].ids, (*val)[0].ids);
  EXPECT_EQ((*val2)[1].ids, (*val)[1].ids);
  for (const auto& t : train) EXPECT_NE(t.ids, (*val)[0].ids);
  auto one = Numbered(1);
  EXPECT_FALSE(SplitValidation(one, 0.5, 1).ok());
  auto many = Numbered(4);
  EXPECT_FALSE(SplitValidation(many, 1.0, 1).ok());
}

TEST(DatasetSplit, ReplayMakesUpTheRatio) {
  auto train = Numbered(7);
  std::vector<TrainExample> replay;
  for (int i = 0; i < 2; ++i) replay.push_back({{100 + i, 0}, {100 + i, 0}});
  ASSERT_TRUE(MixReplay(train, replay, 0.3, 1).ok());
  EXPECT_EQ(train.size(), 10u);  // 7·0.3/0.7 = 3
  int from_replay[2] = {0, 0};
  for (size_t i = 7; i < 10; ++i) from_replay[train[i].ids[0] - 100]++;
  EXPECT_GE(from_replay[0], 1);  // both used before either repeats
  EXPECT_GE(from_replay[1], 1);
  EXPECT_FALSE(MixReplay(train, replay, 1.0, 1).ok());
}

}  // namespace
}  // namespace edgert
