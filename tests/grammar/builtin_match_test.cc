// tests/grammar/builtin_match_test.cc: the built-in json and dot grammars
// against the real parsers: every text they accept is accepted by
// nlohmann::json / Graphviz's cgraph (random texts of the grammars and the
// bundled data sets), and MatchText's positions on bad input.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <random>

#include "runtime/diagram/dot_check.h"
#include "runtime/grammar/automaton.h"
#include "runtime/grammar/grammar.h"
#include "runtime/grammar/match.h"
#include "tests/grammar/random_text.h"

namespace edgert {
namespace {

std::shared_ptr<const Grammar> Builtin(std::string_view name) {
  auto g = BuiltinGrammar(name);
  EXPECT_TRUE(g.ok()) << g.status().message();
  return g.ok() ? *g : nullptr;
}

TEST(JsonGrammar, MatchText) {
  auto g = Builtin("json");
  EXPECT_EQ(MatchText(*g, R"({"a": [1, -2.5e3, true, null], "b": {"c": "d\n\u00e9"}})").state, MatchState::kAccepted);
  EXPECT_EQ(MatchText(*g, "[\n  1,\n  2\n]").state, MatchState::kAccepted);
  EXPECT_EQ(MatchText(*g, "\"x\"").state, MatchState::kAccepted);
  MatchResult open = MatchText(*g, "{\"a\": [1, 2");
  EXPECT_EQ(open.state, MatchState::kIncomplete);
  EXPECT_EQ(open.offset, 11u);
  MatchResult bad = MatchText(*g, "{\n  \"a\": 01\n}");
  EXPECT_EQ(bad.state, MatchState::kRejected);
  EXPECT_EQ(bad.offset, 10u);
  EXPECT_EQ(bad.line, 2);
  EXPECT_EQ(bad.column, 9);
  EXPECT_NE(bad.expected.find("'}'"), std::string::npos) << bad.expected;
  MatchResult word = MatchText(*g, "[tru]");
  EXPECT_EQ(word.state, MatchState::kRejected);
  EXPECT_EQ(word.column, 5);
  EXPECT_EQ(word.expected, "'e'");
}

TEST(JsonGrammar, RandomTextsAreJson) {
  auto g = Builtin("json");
  GrammarAutomaton a(g);
  std::mt19937_64 rng(1);
  for (int i = 0; i < 300; ++i) {
    const std::string text = testing::RandomText(a, rng, 10 + i);
    ASSERT_EQ(MatchText(*g, text).state, MatchState::kAccepted) << text;
    EXPECT_TRUE(nlohmann::json::accept(text)) << text;
  }
}

TEST(DotGrammar, MatchText) {
  auto g = Builtin("dot");
  EXPECT_EQ(MatchText(*g, "digraph G {\n  a -> b [label=\"x\"];\n  subgraph cluster_0 { c; d }\n}").state,
            MatchState::kAccepted);
  EXPECT_EQ(MatchText(*g, "strict graph { a -- b -- c; node [shape=box]; x = y; l [label=<<b>hi</b>>] }").state,
            MatchState::kAccepted);
  MatchResult open = MatchText(*g, "digraph G {\n  a -> b;\n");
  EXPECT_EQ(open.state, MatchState::kIncomplete);
  MatchResult wrong_edge = MatchText(*g, "graph G {\n  a -> b\n}");
  EXPECT_EQ(wrong_edge.state, MatchState::kRejected);
  EXPECT_EQ(wrong_edge.line, 2);
  EXPECT_EQ(wrong_edge.column, 6);
  MatchResult keyword = MatchText(*g, "digraph { node; }");
  EXPECT_EQ(keyword.state, MatchState::kRejected);
  EXPECT_EQ(keyword.column, 15);
}

// The grammar is a subset of what cgraph accepts: random texts of it all parse.
TEST(DotGrammar, RandomTextsParseInGraphviz) {
  auto g = Builtin("dot");
  GrammarAutomaton a(g);
  std::mt19937_64 rng(7);
  for (int i = 0; i < 400; ++i) {
    const std::string text = testing::RandomText(a, rng, 20 + i);
    ASSERT_EQ(MatchText(*g, text).state, MatchState::kAccepted) << text;
    const auto verdict = diagram::CheckDot(text);
    EXPECT_TRUE(verdict.valid) << verdict.message << "\n" << text;
  }
}

// The bundled data sets: every response is DOT that cgraph accepts; the
// grammar should accept them too (it is meant to cover what people write).
TEST(DotGrammar, BundledDataSets) {
  auto g = Builtin("dot");
  auto fenced = Builtin("dot-fenced");
  int n = 0;
  for (const char* split : {"train", "validation", "test"}) {
    std::ifstream in(std::string(EDGERT_DATA_DIR) + "/dot_" + split + ".jsonl");
    ASSERT_TRUE(in) << split;
    std::string line;
    while (std::getline(in, line)) {
      const std::string dot = nlohmann::json::parse(line)["response"].get<std::string>();
      const MatchResult m = MatchText(*g, dot);
      EXPECT_EQ(m.state, MatchState::kAccepted) << split << " line " << m.line << ":" << m.column << " expected "
                                                << m.expected << "\n" << dot;
      EXPECT_EQ(MatchText(*fenced, "```dot\n" + dot + "\n```").state, MatchState::kAccepted);
      ++n;
    }
  }
  EXPECT_GE(n, 150);
}

}  // namespace
}  // namespace edgert
