// The built-in mermaid grammar (runtime/grammar/grammars/mermaid.gbnf) against
// the hand-written diagrams (written/*.mmd), the labelled corpus (corpus.jsonl,
// scripts/make_mermaid_corpus.py) and the bundled data sets. The same labels
// are checked against the real mermaid parser under node (and drawn in
// headless Chromium: tests/data_sets/node/check_written.mjs, check_corpus.mjs),
// so passing both means grammar and mermaid agree on every case the grammar
// claims.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "runtime/diagram/mermaid_check.h"
#include "runtime/grammar/grammar.h"
#include "runtime/grammar/match.h"
#include "tests/common/read_jsonl.h"
#include "tests/mermaid/written_corpus.h"

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
    } else if (expect == "undrawable") {
      // Parsed by mermaid, not drawn: the grammar may take it, the checker must not.
      auto verdict = diagram::CheckMermaid(diagram);
      ASSERT_TRUE(verdict.ok());
      EXPECT_FALSE(verdict->valid) << why << "\n" << diagram;
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

TEST(MermaidGrammar, EveryBundledResponseBareAndFenced) {
  auto bare = Mermaid(), fenced = Mermaid("mermaid-fenced");
  ASSERT_NE(bare, nullptr);
  ASSERT_NE(fenced, nullptr);
  int checked = 0;
  for (const char* split : {"train", "validation", "test"}) {
    for (const auto& row : ReadJsonl(std::string(EDGERT_DATA_DIR) + "/mermaid_" + split + ".jsonl")) {
      const std::string response = row.at("response");
      const MatchResult m = MatchText(*bare, response);
      EXPECT_EQ(m.state, MatchState::kAccepted) << Where(m) << "\n" << response;
      const std::string block = "```mermaid\n" + response + "\n```";
      EXPECT_EQ(MatchText(*fenced, block).state, MatchState::kAccepted) << Where(MatchText(*fenced, block));
      ++checked;
    }
  }
  EXPECT_EQ(checked, 200);
}

// The hand-written diagrams (written/*.mmd): everyday Mermaid of the eight
// types, and near-misses with one realistic mistake each. The grammar must
// take nearly all of the valid ones (what it leaves out, it leaves out on
// purpose: docs/design.md) and none of the invalid ones; mermaid's own verdict
// on the same labels is check_written.mjs's job.
TEST(MermaidGrammar, WrittenDiagrams) {
  auto grammar = Mermaid();
  ASSERT_NE(grammar, nullptr);
  const std::vector<testing::WrittenDiagram> diagrams = testing::ReadWrittenDiagrams(EDGERT_MERMAID_WRITTEN);
  std::map<std::string, int> valid, accepted, invalid;  // by file (diagram type)
  int all_valid = 0, all_accepted = 0, all_invalid = 0;
  for (const testing::WrittenDiagram& d : diagrams) {
    const MatchResult m = MatchText(*grammar, d.text);
    const bool takes = m.state == MatchState::kAccepted;
    if (d.valid) {
      ++valid[d.file];
      ++all_valid;
      if (takes) {
        ++accepted[d.file], ++all_accepted;
        // Each draws in Chromium (check_written.mjs): the drawing checks must agree.
        auto verdict = diagram::CheckMermaid(d.text);
        ASSERT_TRUE(verdict.ok());
        EXPECT_TRUE(verdict->valid) << d.file << ": " << d.why << ": " << verdict->message << "\n" << d.text;
      } else std::printf("  left out: %s: %s (%s)\n", d.file.c_str(), d.why.c_str(), Where(m).c_str());
    } else {
      ++invalid[d.file];
      ++all_invalid;
      EXPECT_FALSE(takes) << d.file << ": " << d.why << ": a mistake the grammar takes\n" << d.text;
    }
  }
  for (const auto& [file, n] : valid) {
    std::printf("%-14s valid %3d, grammar takes %3d; near-misses %3d\n", file.c_str(), n, accepted[file], invalid[file]);
  }
  EXPECT_GE(all_accepted * 100, all_valid * 98) << all_accepted << " of " << all_valid << " valid diagrams taken";
  EXPECT_GE(all_valid, 180);
  EXPECT_GE(all_invalid, 60);
  EXPECT_EQ(valid.size(), 8u) << "a file per diagram type";
}

// Random diagrams drawn from the grammar by tests/data_sets/node/sample_grammar.mjs
// (an independent reading of the GBNF): runtime/grammar must accept them all,
// and where Chromium drew them ("drawn"), CheckMermaid must call valid exactly
// the ones that draw. Run by the mermaid_grammar_samples test, which names the file.
TEST(MermaidGrammar, SamplesDrawnByNodeAreAccepted) {
  const char* path = std::getenv("EDGERT_MERMAID_SAMPLES");
  if (path == nullptr) GTEST_SKIP() << "EDGERT_MERMAID_SAMPLES not set (the node-side test sets it)";
  auto grammar = Mermaid();
  ASSERT_NE(grammar, nullptr);
  int checked = 0, drawn = 0, undrawn = 0, backwards = 0;
  for (const auto& row : ReadJsonl(path)) {
    const std::string diagram = row.at("diagram");
    const MatchResult m = MatchText(*grammar, diagram);
    EXPECT_EQ(m.state, MatchState::kAccepted) << "seed " << row.at("seed") << ": " << Where(m) << "\n" << diagram;
    ++checked;
    if (!row.contains("drawn")) continue;
    auto verdict = diagram::CheckMermaid(diagram);
    ASSERT_TRUE(verdict.ok());
    if (row.at("drawn").get<bool>()) {
      ++drawn;
      // The refusals of drawn charts on purpose (gantt_timeline.h): a gantt
      // bar ending before it starts, which mermaid may round to width 0, and
      // a reference to no task, drawn one way alone and another after a chart
      // that had a task of that id.
      if (!verdict->valid && (verdict->message.find("ends before it starts") != std::string::npos ||
                              verdict->message.find("names no task") != std::string::npos)) {
        ++backwards;
        continue;
      }
      EXPECT_TRUE(verdict->valid) << "seed " << row.at("seed") << ": drawn, but " << verdict->message << "\n" << diagram;
    } else {
      ++undrawn;
      EXPECT_FALSE(verdict->valid) << "seed " << row.at("seed") << ": not drawn (" << row.value("draw_error", "")
                                   << ") but CheckMermaid takes it\n" << diagram;
    }
  }
  std::printf("%d samples; drawn in Chromium %d (of which %d gantt charts refused: a backwards bar or a reference to no task), not drawn %d\n",
              checked, drawn, backwards, undrawn);
  EXPECT_GT(checked, 0);
}

}  // namespace
}  // namespace edgert
