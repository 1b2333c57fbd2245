// DOT as people write it (tests/diagram/dot_coverage/*.dot, from Graphviz's
// documentation of the language): every valid case is accepted by Graphviz's
// own parser (cgraph, through CheckDiagram) AND by the built-in dot grammar
// that constrains decoding; every near-miss is refused by both; what the
// grammar leaves out on purpose (outside.dot) is still cgraph's.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "runtime/diagram/diagram_check.h"
#include "runtime/grammar/grammar.h"
#include "runtime/grammar/match.h"

namespace edgert {
namespace {

struct Case {
  std::string why, text;
};

// Each case starts after a marker line (two percent signs, "case:", why);
// lines before the first marker are the file's own comment.
std::vector<Case> ReadCases(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream all;
  all << in.rdbuf();
  std::vector<Case> cases;
  const std::string marker = "%% case: ";
  std::string text = all.str();
  for (size_t at = text.find(marker); at != std::string::npos;) {
    const size_t eol = text.find('\n', at);
    Case c;
    c.why = text.substr(at + marker.size(), eol - at - marker.size());
    if (!c.why.empty() && c.why.back() == '\r') c.why.pop_back();
    const size_t next = text.find("\n" + marker, eol);
    c.text = text.substr(eol + 1, next == std::string::npos ? std::string::npos : next + 1 - (eol + 1));
    cases.push_back(std::move(c));
    at = next == std::string::npos ? next : next + 1;
  }
  return cases;
}

std::shared_ptr<const Grammar> Dot() {
  auto g = BuiltinGrammar("dot");
  EXPECT_TRUE(g.ok()) << g.status().message();
  return g.ok() ? *g : nullptr;
}

TEST(DotCoverage, EveryDocumentedConstructIsAcceptedByCgraphAndTheGrammar) {
  auto grammar = Dot();
  ASSERT_NE(grammar, nullptr);
  const auto cases = ReadCases(EDGERT_DOT_COVERAGE "/valid.dot");
  ASSERT_GE(cases.size(), 30u);
  int accepted = 0;
  for (const Case& c : cases) {
    auto verdict = diagram::CheckDiagram(diagram::DiagramFormat::kDot, c.text);
    ASSERT_TRUE(verdict.ok());
    EXPECT_TRUE(verdict->valid) << c.why << ": cgraph refuses it (" << verdict->message << ")\n" << c.text;
    const MatchResult m = MatchText(*grammar, c.text);
    EXPECT_EQ(m.state, MatchState::kAccepted) << c.why << ": the grammar stops at " << m.line << ":" << m.column
                                              << ", expected " << m.expected << "\n" << c.text;
    accepted += m.state == MatchState::kAccepted;
  }
  std::printf("dot grammar: %d of %zu valid cases accepted\n", accepted, cases.size());
}

TEST(DotCoverage, LeftOutOnPurposeButAcceptedByCgraph) {
  auto grammar = Dot();
  ASSERT_NE(grammar, nullptr);
  const auto cases = ReadCases(EDGERT_DOT_COVERAGE "/outside.dot");
  ASSERT_GE(cases.size(), 4u);
  for (const Case& c : cases) {
    auto verdict = diagram::CheckDiagram(diagram::DiagramFormat::kDot, c.text);
    ASSERT_TRUE(verdict.ok());
    EXPECT_TRUE(verdict->valid) << c.why << ": cgraph refuses it (" << verdict->message << ")\n" << c.text;
    EXPECT_NE(MatchText(*grammar, c.text).state, MatchState::kAccepted) << c.why << ": the grammar takes it\n" << c.text;
  }
}

TEST(DotCoverage, NearMissesAreRefusedByBoth) {
  auto grammar = Dot();
  ASSERT_NE(grammar, nullptr);
  const auto cases = ReadCases(EDGERT_DOT_COVERAGE "/invalid.dot");
  ASSERT_GE(cases.size(), 10u);
  for (const Case& c : cases) {
    auto verdict = diagram::CheckDiagram(diagram::DiagramFormat::kDot, c.text);
    ASSERT_TRUE(verdict.ok());
    EXPECT_FALSE(verdict->valid) << c.why << ": cgraph takes it\n" << c.text;
    EXPECT_NE(MatchText(*grammar, c.text).state, MatchState::kAccepted) << c.why << ": the grammar takes it\n" << c.text;
  }
}

}  // namespace
}  // namespace edgert
