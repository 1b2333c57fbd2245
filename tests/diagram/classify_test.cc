// Extraction of diagrams from model outputs, and the four-way classification
// edge-eval counts, on DOT (Graphviz decides validity). Mermaid extraction is
// tested here too; its classification is in mermaid_check_test.cc.
#include <gtest/gtest.h>

#include "runtime/diagram/classify.h"
#include "runtime/diagram/dot_check.h"
#include "runtime/diagram/dot_render.h"
#include "runtime/diagram/extract.h"

namespace edgert::diagram {
namespace {

TEST(ExtractDiagram, FencedBlockOfTheFormatOrUnnamed) {
  ExtractedDiagram d = ExtractDiagram(DiagramFormat::kDot, "Here:\n```dot\ndigraph { a -> b }\n```\nDone.");
  EXPECT_TRUE(d.found && d.fenced && d.fence_closed);
  EXPECT_EQ(d.source, "digraph { a -> b }\n");
  EXPECT_EQ(d.offset, 13u);
  // Another language's block is skipped; an unnamed one is taken.
  d = ExtractDiagram(DiagramFormat::kDot, "```python\nx = 1\n```\n```\ngraph { a -- b }\n```");
  EXPECT_EQ(d.source, "graph { a -- b }\n");
  d = ExtractDiagram(DiagramFormat::kMermaid, "```Mermaid\nflowchart LR\n  A --> B\n```");
  EXPECT_EQ(d.source, "flowchart LR\n  A --> B\n");
  // Cut off before the closing fence: the rest is the body.
  d = ExtractDiagram(DiagramFormat::kDot, "```graphviz\ndigraph {\n  a ->");
  EXPECT_TRUE(d.found && d.fenced && !d.fence_closed);
  EXPECT_EQ(d.source, "digraph {\n  a ->");
}

// cgraph takes comments between the header's words and `#` lines anywhere at a
// line's start; the dot grammar writes them (constrained decoding did).
TEST(ExtractDiagram, BareDotWithCommentsInItsHeaderAndHashLines) {
  const std::string text = "digraph G // the name\n/* then */ {\n# a { line\n a }\ntrailing";
  ExtractedDiagram d = ExtractDiagram(DiagramFormat::kDot, text);
  ASSERT_TRUE(d.found);
  EXPECT_EQ(d.source, "digraph G // the name\n/* then */ {\n# a { line\n a }");
  d = ExtractDiagram(DiagramFormat::kDot, "STRICT /**/ Graph\n#x\n{ a }");
  ASSERT_TRUE(d.found);
  EXPECT_EQ(d.source, "STRICT /**/ Graph\n#x\n{ a }");
}

TEST(ExtractDiagram, BareDotUpToItsMatchingBrace) {
  ExtractedDiagram d = ExtractDiagram(DiagramFormat::kDot,
                                      "Sure! strict digraph \"G}\" { a [label=\"}\"]; b [label=<<b>}</b>>]; "
                                      "/* } */ c } and that is all.");
  ASSERT_TRUE(d.found);
  EXPECT_FALSE(d.fenced);
  EXPECT_EQ(d.source, "strict digraph \"G}\" { a [label=\"}\"]; b [label=<<b>}</b>>]; /* } */ c }");
  EXPECT_EQ(d.offset, 6u);
  // Prose using the word is not a diagram; a cut-off header still is.
  EXPECT_FALSE(ExtractDiagram(DiagramFormat::kDot, "The graph shows a digraph of things.").found);
  EXPECT_EQ(ExtractDiagram(DiagramFormat::kDot, "digraph G").source, "digraph G");
  EXPECT_EQ(ExtractDiagram(DiagramFormat::kDot, "subgraph{ x } digraph{ a }").source, "digraph{ a }");
  // Graph IDs as cgraph reads them: UTF-8 words, numerals, HTML-like strings.
  EXPECT_EQ(ExtractDiagram(DiagramFormat::kDot, "graph Ärger_名前\r\n {a}").source, "graph Ärger_名前\r\n {a}");
  EXPECT_EQ(ExtractDiagram(DiagramFormat::kDot, "digraph -1.5 { a }").source, "digraph -1.5 { a }");
  EXPECT_EQ(ExtractDiagram(DiagramFormat::kDot, "x digraph <<b>G</b>> { a } y").source, "digraph <<b>G</b>> { a }");
}

TEST(ExtractDiagram, BareMermaidFromItsHeaderLine) {
  ExtractedDiagram d = ExtractDiagram(DiagramFormat::kMermaid, "Here it is:\nsequenceDiagram\n  A->>B: hi\n");
  ASSERT_TRUE(d.found);
  EXPECT_EQ(d.source, "sequenceDiagram\n  A->>B: hi\n");
  EXPECT_TRUE(ExtractDiagram(DiagramFormat::kMermaid, "graph TD;\nA-->B").found);
  EXPECT_FALSE(ExtractDiagram(DiagramFormat::kMermaid, "graph theory is fun\nno diagram here").found);
  EXPECT_TRUE(ExtractDiagram(DiagramFormat::kMermaid, "pie title Pets\n\"Dogs\" : 3").found);
}

TEST(ClassifyOutput, DotInFourClasses) {
  auto c = ClassifyOutput(DiagramFormat::kDot, "```dot\ndigraph { a -> b; }\n```");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->kind, OutputClass::kValid);

  c = ClassifyOutput(DiagramFormat::kDot, "digraph {\n  a -> b;\n  c ) d;\n}");
  EXPECT_EQ(c->kind, OutputClass::kSyntaxError);
  EXPECT_EQ(c->verdict.line, 3) << c->verdict.message;

  // Cut short: unclosed brace, dangling edge, unclosed bracket, open quoted
  // and HTML strings. Each is a prefix of a valid graph.
  for (const char* cut : {"digraph G {\n a -> b;", "digraph {\n a -> b;\n c ->", "digraph { a [color=red",
                          "digraph { a [label=\"unfinished", "digraph { a [label=<<b>bold", "digraph", "```dot\n"}) {
    c = ClassifyOutput(DiagramFormat::kDot, cut);
    ASSERT_TRUE(c.ok());
    EXPECT_EQ(c->kind, OutputClass::kIncomplete) << cut << ": " << c->verdict.message;
  }

  c = ClassifyOutput(DiagramFormat::kDot, "I cannot draw that.\n\n\n");
  EXPECT_EQ(c->kind, OutputClass::kNoDiagram);
  EXPECT_FALSE(c->diagram.found);
  EXPECT_EQ(std::string(OutputClassName(OutputClass::kIncomplete)), "incomplete");
  EXPECT_EQ(std::string(OutputClassLabel(OutputClass::kNoDiagram)), "no diagram found");
}

TEST(DotCheck, ErrorAtTheEndIsMarked) {
  EXPECT_TRUE(CheckDot("digraph { a -> ").at_end);
  EXPECT_FALSE(CheckDot("digraph { a -> ; }").at_end);
  EXPECT_FALSE(CheckDot("digraph { a -> b }").at_end);  // valid
}

TEST(RenderDotSvg, DrawsValidGraphsAndRefusesOthers) {
  auto svg = RenderDotSvg("digraph { rankdir=LR; a -> b [label=\"x<y & z\"]; }");
  ASSERT_TRUE(svg.ok()) << svg.status().message();
  EXPECT_EQ(svg->rfind("<svg", 0), 0u) << svg->substr(0, 80);  // no XML prolog: ready to inline
  EXPECT_NE(svg->find("x&lt;y &amp; z"), std::string::npos);    // Graphviz escapes the label
  EXPECT_NE(svg->find("</svg>"), std::string::npos);
  EXPECT_FALSE(RenderDotSvg("digraph { a -> ").ok());
  // The parser's global state is reset between uses: checking still works after rendering.
  EXPECT_TRUE(CheckDot("graph { a -- b }").valid);
}

}  // namespace
}  // namespace edgert::diagram
