// Mermaid verdicts (runtime/diagram/mermaid_check.h): the built-in mermaid
// grammar decides, through CheckDiagram and ClassifyOutput as edge-eval and the
// C API call them. That the grammar agrees with the real mermaid parser is
// tests/mermaid's job; here: the verdict's fields.
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "runtime/diagram/classify.h"
#include "runtime/diagram/diagram_check.h"
#include "runtime/diagram/mermaid_check.h"

namespace edgert::diagram {
namespace {

TEST(MermaidCheck, ValidDiagramsOfEveryType) {
  for (const char* text : {
           "flowchart LR\n    A[Start] --> B{Ok?}\n    B -->|yes| C([Done])",
           "graph TD\n    subgraph s [Stage]\n        A --> B\n    end\n",
           "sequenceDiagram\n    Alice->>Bob: Hello\n    Bob-->>Alice: Hi",
           "classDiagram\n    Animal <|-- Dog",
           "stateDiagram-v2\n    [*] --> Idle\n    Idle --> [*]",
           "erDiagram\n    CUSTOMER ||--o{ ORDER : places",
           "pie title Pets\n    \"Dogs\" : 3",
           "gantt\n    Task one :2025-03-01, 5d",
           "mindmap\n  Root\n    Child",
       }) {
    auto v = CheckDiagram(DiagramFormat::kMermaid, text);
    ASSERT_TRUE(v.ok()) << v.status().message();
    EXPECT_TRUE(v->valid) << text << ": " << v->message;
    EXPECT_TRUE(v->message.empty());
    EXPECT_EQ(v->line, 0);
  }
  // A fenced block is checked by its body.
  auto v = CheckDiagram(DiagramFormat::kMermaid, "```mermaid\nflowchart LR\n    A --> B\n```");
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->valid) << v->message;
}

TEST(MermaidCheck, SyntaxErrorGivesLineColumnAndExpectation) {
  auto v = CheckMermaid("flowchart LR\n    A --> B\n    B ==|x C");
  ASSERT_TRUE(v.ok());
  EXPECT_FALSE(v->valid);
  EXPECT_FALSE(v->at_end);
  EXPECT_EQ(v->line, 3);
  EXPECT_EQ(v->message.rfind("line 3, column ", 0), 0u) << v->message;
  EXPECT_NE(v->message.find("unexpected '|'"), std::string::npos) << v->message;
  EXPECT_NE(v->message.find("expected "), std::string::npos) << v->message;

  v = CheckMermaid("flowchart LR\n    A -->\n    B --> C");  // a dangling link, then more text
  EXPECT_FALSE(v->valid);
  EXPECT_FALSE(v->at_end);
  EXPECT_EQ(v->line, 2);
  EXPECT_NE(v->message.find("a line break"), std::string::npos) << v->message;

  v = CheckMermaid("Here is a diagram");
  EXPECT_FALSE(v->valid);
  EXPECT_EQ(v->line, 1);
}

TEST(MermaidCheck, CutShortIsAtEnd) {
  for (const char* cut : {"flowchart LR\n    A --> ", "flowchart LR\n    subgraph s\n        A --> B",
                          "sequenceDiagram\n    loop every minute\n        A->>B: ping", "classDiagram\n    class A {",
                          "erDiagram\n    A ||--o{ B :", "pie\n    \"Dog", "mindmap", "classDiagram"}) {
    auto v = CheckMermaid(cut);
    ASSERT_TRUE(v.ok());
    EXPECT_FALSE(v->valid) << cut;
    EXPECT_TRUE(v->at_end) << cut << ": " << v->message;
    EXPECT_NE(v->message.find("ends early"), std::string::npos) << v->message;
  }
}

TEST(MermaidCheck, OutsideTheGrammarIsInvalidEvenIfMermaidTakesIt) {
  // Mermaid parses both; the grammar's subset leaves out unspaced links and
  // nodes named like keywords of other diagram types, so the verdict is invalid.
  EXPECT_FALSE(CheckMermaid("flowchart LR\n    A-->B")->valid);
  EXPECT_FALSE(CheckMermaid("flowchart LR\n    note --> B")->valid);
}

TEST(MermaidCheck, StateNotesOnlyOnStatesIntroducedBefore) {
  // Introduced by a transition, a description, an alias, a composite: drawn by mermaid.
  auto v = CheckMermaid(
      "stateDiagram-v2\n    [*] --> A\n    note right of A : first\n    B : a description\n    note left of B : two"
      "\n    state \"Long name\" as C\n    note right of C : three\n    state D {\n        [*] --> E\n"
      "        note left of E : inner\n    }\n    note right of D : four");
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->valid) << v->message;
  // Before any line names it: mermaid parses it but cannot draw it.
  v = CheckMermaid("stateDiagram-v2\n    note right of A : early\n    [*] --> A");
  EXPECT_FALSE(v->valid);
  EXPECT_EQ(v->line, 2);
  EXPECT_NE(v->message.find("a note on state 'A', which no earlier line introduces"), std::string::npos) << v->message;
  v = CheckMermaid("stateDiagram-v2\n    state A\n    note right of A : x");  // `state A` alone is not enough
  EXPECT_FALSE(v->valid);
  // An error after the keyword is placed in the text as given.
  v = CheckMermaid("stateDiagram-v2\n    A --> B\n    note left of A : bad |");
  EXPECT_FALSE(v->valid);
  EXPECT_EQ(v->line, 3);
  EXPECT_EQ(v->message.rfind("line 3, column 26: unexpected '|'", 0), 0u) << v->message;
  // Other diagram types have no such notes.
  EXPECT_FALSE(CheckMermaid("flowchart LR\n    A --> B\n    note right of A : x")->valid);
}

TEST(MermaidCheck, EveryBundledResponse) {
  int checked = 0;
  for (const char* split : {"train", "validation", "test"}) {
    std::ifstream in(std::string(EDGERT_DATA_DIR) + "/mermaid_" + split + ".jsonl");
    std::string line;
    while (std::getline(in, line)) {
      if (line.empty()) continue;
      const std::string response = nlohmann::json::parse(line).at("response");
      auto v = CheckDiagram(DiagramFormat::kMermaid, response);
      ASSERT_TRUE(v.ok());
      EXPECT_TRUE(v->valid) << v->message << "\n" << response;
      ++checked;
    }
  }
  EXPECT_EQ(checked, 200);
}

TEST(ClassifyOutput, MermaidInFourClasses) {
  auto c = ClassifyOutput(DiagramFormat::kMermaid, "Sure:\n```mermaid\nflowchart LR\n    A --> B\n```\nEnjoy.");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->kind, OutputClass::kValid) << c->verdict.message;

  c = ClassifyOutput(DiagramFormat::kMermaid, "sequenceDiagram\n    A->>: hi");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->kind, OutputClass::kSyntaxError);
  EXPECT_EQ(c->verdict.line, 2);

  c = ClassifyOutput(DiagramFormat::kMermaid, "```mermaid\nstateDiagram-v2\n    state A {\n        [*] --> B");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->kind, OutputClass::kIncomplete) << c->verdict.message;

  c = ClassifyOutput(DiagramFormat::kMermaid, "I would rather not draw that.");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->kind, OutputClass::kNoDiagram);
}

}  // namespace
}  // namespace edgert::diagram
