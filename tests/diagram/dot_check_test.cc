// The DOT checker (Graphviz cgraph) on valid and broken DOT, and the bundled
// data sets: every DOT response parses, splits have the documented sizes.
#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "runtime/diagram/diagram_check.h"
#include "runtime/diagram/dot_check.h"
#include "tests/common/read_jsonl.h"

namespace edgert::diagram {
namespace {

TEST(DotCheck, AcceptsValidGraphs) {
  EXPECT_TRUE(CheckDot("digraph G { a -> b; }").valid);
  EXPECT_TRUE(CheckDot("strict graph { a -- b [color=red]; subgraph cluster_x { c; } }").valid);
  EXPECT_TRUE(CheckDot("digraph { n [label=<<b>bold</b>>]; }").valid);
}

TEST(DotCheck, RejectsBrokenGraphsWithParserMessageAndLine) {
  DiagramVerdict v = CheckDot("digraph G {\n  a -> b;\n  c -> ;\n}\n");
  EXPECT_FALSE(v.valid);
  EXPECT_NE(v.message.find("syntax error"), std::string::npos) << v.message;
  EXPECT_EQ(v.line, 3) << v.message;
  // The line counter restarts for each text.
  DiagramVerdict again = CheckDot("digraph G {\n  c -> ;\n}\n");
  EXPECT_EQ(again.line, 2) << again.message;
  // Unclosed brace, edge operator of the wrong kind, nothing at all.
  EXPECT_FALSE(CheckDot("digraph G { a -> b;").valid);
  EXPECT_FALSE(CheckDot("graph G { a -> b; }").valid);
  EXPECT_FALSE(CheckDot("").valid);
  EXPECT_FALSE(CheckDot("flowchart LR\n A --> B").valid);
  // cgraph's lexer and error level are global: a failure must not leak into the next check.
  EXPECT_TRUE(CheckDot("digraph G { a -> b; }").valid);
}

TEST(DiagramCheck, FormatsAndFences) {
  EXPECT_EQ(*ParseDiagramFormat("dot"), DiagramFormat::kDot);
  EXPECT_EQ(*ParseDiagramFormat("mermaid"), DiagramFormat::kMermaid);
  EXPECT_FALSE(ParseDiagramFormat("svg").ok());
  EXPECT_EQ(StripFence("```dot\ndigraph { a }\n```\n"), "digraph { a }\n");
  EXPECT_EQ(StripFence("digraph { a }"), "digraph { a }");
  Result<DiagramVerdict> v = CheckDiagram(DiagramFormat::kDot, "Here:\n```dot\ndigraph { a -> b }\n```");
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->valid);
}

using testing::ReadJsonl;

// scripts/make_datasets.py writes 200 pairs per format, split 160/20/20.
TEST(DataSets, SplitSizesAndFields) {
  const std::vector<std::pair<std::string, size_t>> splits = {{"train", 160}, {"validation", 20}, {"test", 20}};
  for (const char* format : {"mermaid", "dot"}) {
    for (const auto& [split, size] : splits) {
      const std::string path = std::string(EDGERT_DATA_DIR) + "/" + format + "_" + split + ".jsonl";
      std::vector<nlohmann::json> rows = ReadJsonl(path);
      EXPECT_EQ(rows.size(), size) << path;
      for (const auto& row : rows) {
        ASSERT_TRUE(row.contains("instruction") && row["instruction"].is_string()) << path;
        ASSERT_TRUE(row.contains("response") && row["response"].is_string()) << path;
        EXPECT_EQ(row["response"].get<std::string>().find("```"), std::string::npos) << "responses are bare, unfenced";
      }
    }
  }
}

TEST(DataSets, EveryDotResponseParses) {
  size_t checked = 0;
  for (const char* split : {"train", "validation", "test"}) {
    const std::string path = std::string(EDGERT_DATA_DIR) + "/dot_" + split + ".jsonl";
    std::vector<nlohmann::json> rows = ReadJsonl(path);
    for (size_t i = 0; i < rows.size(); ++i) {
      DiagramVerdict v = CheckDot(rows[i]["response"].get<std::string>());
      EXPECT_TRUE(v.valid) << path << ":" << i + 1 << ": " << v.message;
      ++checked;
    }
  }
  EXPECT_EQ(checked, 200u);
}

}  // namespace
}  // namespace edgert::diagram
