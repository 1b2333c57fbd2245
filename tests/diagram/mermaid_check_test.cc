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

TEST(MermaidCheck, EverydaySyntaxIsValid) {
  // Issue 18's examples: rejected by the grammar before, parsed and drawn by mermaid.
  for (const char* text : {"flowchart LR\n    A-->B", "flowchart TD\n    D[Steep for 3-5 minutes] --> H{\"Attempts >= 3?\"}",
                           "flowchart LR\n    A -->|/users| B\n    subgraph Backend services\n        B --> C\n    end",
                           "sequenceDiagram\n    C->>S: SYN (seq=x)\n    App->>Cache: GET user:42\n    User->>App: Click \"Log in\"",
                           "sequenceDiagram\n    participant TLD as .com TLD server\n    Note right of TLD: thinking...",
                           "classDiagram\n    class Shape {\n        #String name\n        +area() double*\n        -List~Observer~ obs\n    }",
                           "stateDiagram-v2\n    Closed --> SynSent : active open / send SYN\n    note right of Closed : start",
                           "erDiagram\n    TITLE ||--o{ BOOK : \"has many\"",
                           "gantt\n    axisFormat %d %b\n    excludes weekends\n    Research :done, research, 2025-03-03, 7d\n"
                           "    Write :after research, 5d",
                           "pie showData\n    \"A\" : 1"}) {
    auto v = CheckMermaid(text);
    ASSERT_TRUE(v.ok());
    EXPECT_TRUE(v->valid) << v->message << "\n" << text;
  }
}

TEST(MermaidCheck, OutsideTheGrammarIsInvalidEvenIfMermaidTakesIt) {
  // Mermaid parses both; deactivations need to know which participant is
  // active and a link index which links exist, so the grammar leaves them out.
  EXPECT_FALSE(CheckMermaid("sequenceDiagram\n    A->>+B: hi\n    B-->>-A: bye")->valid);
  EXPECT_FALSE(CheckMermaid("flowchart LR\n    A --> B\n    linkStyle 0 stroke:red")->valid);
}

TEST(MermaidCheck, SubgraphsThatContainThemselvesAreInvalid) {
  // Parsed by mermaid, not drawn ("Setting c as parent of c would create a cycle").
  auto v = CheckMermaid("flowchart LR\n    subgraph c [Title]\n        A --> B\n        B --> c\n    end");
  ASSERT_TRUE(v.ok());
  EXPECT_FALSE(v->valid);
  EXPECT_EQ(v->line, 2);
  EXPECT_NE(v->message.find("subgraph 'c' would contain itself"), std::string::npos) << v->message;
  EXPECT_FALSE(CheckMermaid("flowchart LR\n    subgraph a\n        b\n    end\n    subgraph b\n        a\n    end")->valid);
  // Nesting, and links between subgraphs, are fine.
  v = CheckMermaid("flowchart LR\n    subgraph outer\n        subgraph inner\n            A --> B\n        end\n"
                   "        C --> inner\n    end\n    outer --> D");
  EXPECT_TRUE(v->valid) << v->message;
}

TEST(MermaidCheck, CompositeStatesThatContainThemselvesAreInvalid) {
  // Parsed by mermaid, not drawn ("Setting o as parent of o would create a cycle").
  auto v = CheckMermaid("stateDiagram-v2\n    state o {\n        [*] --> o\n    }");
  ASSERT_TRUE(v.ok());
  EXPECT_FALSE(v->valid);
  EXPECT_EQ(v->line, 2);
  EXPECT_NE(v->message.find("state 'o' would contain itself"), std::string::npos) << v->message;
  EXPECT_FALSE(CheckMermaid("stateDiagram-v2\n    state \"a\" as R {\n        [*] --> B\n        state \"b\" as R {\n"
                            "            n : n\n        }\n    }")->valid);
  v = CheckMermaid("stateDiagram-v2\n    state Outer {\n        [*] --> Inner\n        state Inner {\n"
                   "            [*] --> Leaf\n        }\n    }\n    Outer --> [*]");
  EXPECT_TRUE(v->valid) << v->message;
}

TEST(MermaidCheck, StateNotesOnlyOnStatesIntroducedBefore) {
  // Introduced by a transition, a description, an alias, a composite: drawn by mermaid.
  auto v = CheckMermaid(
      "stateDiagram-v2\n    [*] --> A\n    note right of A : first\n    B : a description\n    note left of B : two"
      "\n    state \"Long name\" as C\n    note right of C : three\n    state D {\n        [*] --> E\n"
      "        note left of E : inner\n    }\n    note right of D : four\n    note left of A\n        more\n    end note");
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->valid) << v->message;
  // Before any line names it: mermaid parses it but cannot draw it.
  v = CheckMermaid("stateDiagram-v2\n    note right of A : early\n    [*] --> A");
  EXPECT_FALSE(v->valid);
  EXPECT_EQ(v->line, 2);
  EXPECT_NE(v->message.find("a note on state 'A', which no earlier line introduces"), std::string::npos) << v->message;
  v = CheckMermaid("stateDiagram-v2\n    state A\n    note right of A : x");  // `state A` alone is not enough
  EXPECT_FALSE(v->valid);
  v = CheckMermaid("stateDiagram-v2\n    [*] --> A\n    note left of B\n        text\n    end note");
  EXPECT_FALSE(v->valid);
  EXPECT_EQ(v->line, 3);
  // A syntax error in a note is placed in the text as given (a colon ends a state text).
  v = CheckMermaid("stateDiagram-v2\n    A --> B\n    note left of A : bad: x");
  EXPECT_FALSE(v->valid);
  EXPECT_EQ(v->line, 3);
  EXPECT_EQ(v->message.rfind("line 3, column 25: unexpected ':'", 0), 0u) << v->message;
  // Other diagram types have no such notes.
  EXPECT_FALSE(CheckMermaid("flowchart LR\n    A --> B\n    note right of A : x")->valid);
}

// Gantt timelines mermaid parses and cannot lay out (gantt_timeline.h). All
// but the lone backwards bar drew with negative widths or NaN in Chromium
// (mermaid 11); the ones of GanttTimelinesMermaidDraws drew cleanly.
TEST(MermaidCheck, GanttBarsThatEndBeforeTheyStartAreInvalid) {
  for (const char* text : {
           "gantt\n    dateFormat YYYY-MM-DD\n    Build :a, 2025-03-10, 2025-03-01\n    Ship :2025-03-12, 1d",
           // alone, the same bar is drawn on a reversed axis: still a mistake
           "gantt\n    dateFormat YYYY-MM-DD\n    Build :a, 2025-03-10, 2025-03-01",
           "gantt\n    dateFormat HH:mm\n    Warm up :18:40, 30m\n    Cool down :16:00",
           // `until` a task that starts before this one does
           "gantt\n    dateFormat YYYY-MM-DD\n    Plan :p, 2025-03-01, 3d\n    Test :t, 2025-03-10, until p",
           // excludes push `a`'s end past the date `b` is written to end on
           "gantt\n    dateFormat YYYY-MM-DD\n    excludes weekends\n    A :a, 2025-03-07, 2d\n"
           "    B :b, after a, 2025-03-09",
       }) {
    auto v = CheckMermaid(text);
    ASSERT_TRUE(v.ok());
    EXPECT_FALSE(v->valid) << text;
    EXPECT_NE(v->message.find("ends before it starts"), std::string::npos) << v->message;
  }
}

// Drawn one way alone and another after a chart with a task `p` on the same
// page (mermaid keeps its task ids across diagrams): refused.
TEST(MermaidCheck, GanttReferencesToNoTaskAreInvalid) {
  for (const char* text : {
           "gantt\n    dateFormat YYYY-MM-DD\n    A :a, 2025-01-01, 2d\n    B :after p, 1d",
           "gantt\n    dateFormat HH:mm\n    A :a, 09:00, 30m\n    B :09:30, until p",
       }) {
    auto v = CheckMermaid(text);
    ASSERT_TRUE(v.ok());
    EXPECT_FALSE(v->valid) << text;
    EXPECT_EQ(v->line, 4);
    EXPECT_NE(v->message.find("names no task"), std::string::npos) << v->message;
  }
}

TEST(MermaidCheck, GanttReferencesThatNeverResolveAreInvalid) {
  auto v = CheckMermaid("gantt\n    dateFormat YYYY-MM-DD\n    Start :s, 2025-01-01, 1d\n    A :a, after b, 2d\n    B :b, after a, 2d");
  ASSERT_TRUE(v.ok());
  EXPECT_FALSE(v->valid);
  EXPECT_EQ(v->line, 4);
  EXPECT_NE(v->message.find("never resolve"), std::string::npos) << v->message;
}

TEST(MermaidCheck, GanttTimelinesMermaidDraws) {
  for (const char* text : {
           // a reference to a later line resolves on mermaid's next pass
           "gantt\n    dateFormat YYYY-MM-DD\n    A :a, 2025-01-01, 2d\n    C :c, after b, 1d\n    B :b, after a, 3d",
           // a milestone has a fixed width whichever way its times run
           "gantt\n    dateFormat YYYY-MM-DD\n    A :a, 2025-01-10, 2d\n    M :milestone, m, 2025-01-09, 2025-01-01",
           // without a dateFormat line mermaid reads no end date: the bar ends where it starts
           "gantt\n    A :a, 2025-01-10, 2025-01-02",
           // a later `excludes` line replaces an earlier one
           "gantt\n    dateFormat YYYY-MM-DD\n    excludes weekends\n    excludes monday\n    A :a, 2025-03-07, 2d\n"
           "    B :b, after a, 2025-03-09",
           "gantt\n    dateFormat HH:mm\n    Warm up :w, 18:40, 30m\n    Run :after w, 1h\n    Stretch :20:15, 20:30",
       }) {
    auto v = CheckMermaid(text);
    ASSERT_TRUE(v.ok());
    EXPECT_TRUE(v->valid) << text << ": " << v->message;
  }
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
