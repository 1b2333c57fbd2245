// The built-in mermaid grammar (runtime/grammar/grammars/mermaid.gbnf) against
// the labelled corpus (corpus.jsonl, scripts/make_mermaid_corpus.py) and the
// bundled data sets. The same labels are checked against the real mermaid
// parser under node (tests/data_sets/node/check_corpus.mjs), so passing both
// means grammar and mermaid agree on every case the grammar claims.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "runtime/grammar/grammar.h"
#include "runtime/grammar/match.h"
#include "tests/common/read_jsonl.h"

namespace edgert {
namespace {

using testing::ReadJsonl;

std::shared_ptr<const Grammar> Mermaid(const char* name = "mermaid") {
  auto g = BuiltinGrammar(name);
  EXPECT_TRUE(g.ok()) << g.status().message();
  return g.ok() ? *g : nullptr;
}

std::string Where(const MatchResult& m) {
  return std::string(MatchStateName(m.state)) + " at " + std::to_string(m.line) + ":" + std::to_string(m.column) +
         ", expected " + m.expected;
}

TEST(MermaidGrammar, CorpusAsLabelled) {
  auto grammar = Mermaid();
  ASSERT_NE(grammar, nullptr);
  std::map<std::string, int> counts;
  int incomplete = 0;
  for (const auto& row : ReadJsonl(EDGERT_MERMAID_CORPUS)) {
    const std::string diagram = row.at("diagram"), expect = row.at("expect"), why = row.at("why");
    ++counts[expect];
    const MatchResult m = MatchText(*grammar, diagram);
    if (expect == "valid") {
      EXPECT_EQ(m.state, MatchState::kAccepted) << why << ": " << Where(m) << "\n" << diagram;
    } else {
      ASSERT_TRUE(expect == "invalid" || expect == "outside") << why << ": unknown label " << expect;
      EXPECT_NE(m.state, MatchState::kAccepted) << why << " (" << expect << ")\n" << diagram;
    }
    if (row.value("incomplete", false)) {
      ++incomplete;
      EXPECT_EQ(m.state, MatchState::kIncomplete) << why << ": a prefix of a valid diagram; " << Where(m);
    }
  }
  EXPECT_GE(counts["valid"] + counts["invalid"] + counts["outside"], 300);
  EXPECT_GE(counts["valid"], 100);
  EXPECT_GE(counts["invalid"], 100);
  EXPECT_GE(counts["outside"], 20);
  EXPECT_GE(incomplete, 20);
}

// Every bundled response but the 15 with state notes, which the grammar leaves
// out (CheckMermaid takes them; tests/diagram checks all 200 through it).
TEST(MermaidGrammar, EveryBundledResponseBareAndFenced) {
  auto bare = Mermaid(), fenced = Mermaid("mermaid-fenced");
  ASSERT_NE(bare, nullptr);
  ASSERT_NE(fenced, nullptr);
  int checked = 0, notes = 0;
  for (const char* split : {"train", "validation", "test"}) {
    for (const auto& row : ReadJsonl(std::string(EDGERT_DATA_DIR) + "/mermaid_" + split + ".jsonl")) {
      const std::string response = row.at("response");
      const MatchResult m = MatchText(*bare, response);
      if (response.starts_with("stateDiagram") && response.find("\n    note ") != std::string::npos) {
        EXPECT_EQ(m.state, MatchState::kRejected) << response;
        ++notes;
        continue;
      }
      EXPECT_EQ(m.state, MatchState::kAccepted) << Where(m) << "\n" << response;
      const std::string block = "```mermaid\n" + response + "\n```";
      EXPECT_EQ(MatchText(*fenced, block).state, MatchState::kAccepted) << Where(MatchText(*fenced, block));
      ++checked;
    }
  }
  EXPECT_EQ(checked + notes, 200);
  EXPECT_LE(notes, 20);
}

// Random diagrams drawn from the grammar by tests/data_sets/node/sample_grammar.mjs
// (an independent reading of the GBNF): runtime/grammar must accept them all.
// Run by the mermaid_grammar_samples test, which names the file.
TEST(MermaidGrammar, SamplesDrawnByNodeAreAccepted) {
  const char* path = std::getenv("EDGERT_MERMAID_SAMPLES");
  if (path == nullptr) GTEST_SKIP() << "EDGERT_MERMAID_SAMPLES not set (the node-side test sets it)";
  auto grammar = Mermaid();
  ASSERT_NE(grammar, nullptr);
  int checked = 0;
  for (const auto& row : ReadJsonl(path)) {
    const std::string diagram = row.at("diagram");
    const MatchResult m = MatchText(*grammar, diagram);
    EXPECT_EQ(m.state, MatchState::kAccepted) << "seed " << row.at("seed") << ": " << Where(m) << "\n" << diagram;
    ++checked;
  }
  EXPECT_GT(checked, 0);
}

}  // namespace
}  // namespace edgert
