// tests/grammar/grammar_test.cc: compiling GBNF: what the language means, and
// every error with its position.
#include "runtime/grammar/grammar.h"

#include <gtest/gtest.h>

#include <fstream>

#include "runtime/grammar/automaton.h"
#include "runtime/grammar/match.h"
#include "tests/common/temp_dir.h"

namespace edgert {
namespace {

std::shared_ptr<const Grammar> MustCompile(std::string_view text) {
  auto g = CompileGrammar(text, "t.gbnf");
  EXPECT_TRUE(g.ok()) << g.status().message();
  return g.ok() ? *g : nullptr;
}

std::string CompileError(std::string_view text) {
  auto g = CompileGrammar(text, "t.gbnf");
  EXPECT_FALSE(g.ok()) << "compiled: " << text;
  return g.ok() ? "" : g.status().message();
}

MatchState Match(const Grammar& g, std::string_view text) { return MatchText(g, text).state; }

TEST(Grammar, LiteralsAlternationGroupsRepetition) {
  auto g = MustCompile(R"(root ::= "a" ( "b" | "cd" )* "e"? [0-9]+ )");
  EXPECT_EQ(Match(*g, "a1"), MatchState::kAccepted);
  EXPECT_EQ(Match(*g, "abcdbe42"), MatchState::kAccepted);
  EXPECT_EQ(Match(*g, "abc"), MatchState::kIncomplete);
  EXPECT_EQ(Match(*g, "ab"), MatchState::kIncomplete);
  EXPECT_EQ(Match(*g, "ax"), MatchState::kRejected);
  EXPECT_EQ(Match(*g, ""), MatchState::kIncomplete);
  EXPECT_EQ(g->min_bytes(), 2u);
}

TEST(Grammar, BoundedRepetition) {
  auto g = MustCompile("root ::= \"x\"{2,4} \"ab\"{2} [a]{,1} \"-\"{1,}");
  EXPECT_EQ(Match(*g, "xxabab-"), MatchState::kAccepted);
  EXPECT_EQ(Match(*g, "xxxxababa--"), MatchState::kAccepted);
  EXPECT_EQ(Match(*g, "xxxxxabab-"), MatchState::kRejected);
  EXPECT_EQ(Match(*g, "xabab-"), MatchState::kRejected);
  EXPECT_EQ(Match(*g, "xxaba"), MatchState::kIncomplete);
  EXPECT_EQ(Match(*g, "xxababaa-"), MatchState::kRejected);
}

TEST(Grammar, ClassesEscapesAndUtf8) {
  auto g = MustCompile(R"(root ::= [^"\\\n] "\x41\u00e9\U0001F600" [a-cx-z-] . "\t\"\\" )");
  EXPECT_EQ(Match(*g, "qAé😀-λ\t\"\\"), MatchState::kAccepted);
  EXPECT_EQ(Match(*g, "ßAé😀bz\t\"\\"), MatchState::kAccepted);  // a two-byte character for [^...]
  EXPECT_EQ(Match(*g, "\"Aé😀a."), MatchState::kRejected);
  EXPECT_EQ(Match(*g, "qAé😀d"), MatchState::kRejected);
  // Invalid UTF-8 is never accepted by '.' or a negated class.
  auto any = MustCompile("root ::= .+");
  EXPECT_EQ(Match(*any, "\xC3\xA9\xE2\x82\xAC"), MatchState::kAccepted);
  EXPECT_EQ(Match(*any, "\xC3"), MatchState::kIncomplete);
  EXPECT_EQ(Match(*any, "\xC3\x28"), MatchState::kRejected);
  EXPECT_EQ(Match(*any, "\xED\xA0\x80"), MatchState::kRejected);  // a surrogate
  EXPECT_EQ(Match(*any, "\xF4\x90\x80\x80"), MatchState::kRejected);  // past U+10FFFF
  EXPECT_EQ(Match(*any, "\xC0\x80"), MatchState::kRejected);  // overlong
}

TEST(Grammar, RulesCommentsAndContinuationLines) {
  auto g = MustCompile(R"(# a comment
root ::= greeting " " name   # trailing comment
greeting ::= "hi"
  | "hello"
name ::= (
    "ann"
  | "bob"   # inside a group
)
)");
  EXPECT_EQ(Match(*g, "hello bob"), MatchState::kAccepted);
  EXPECT_EQ(Match(*g, "hi ann"), MatchState::kAccepted);
  EXPECT_EQ(Match(*g, "hey"), MatchState::kRejected);
}

TEST(Grammar, SyntaxErrorsHaveLineAndColumn) {
  EXPECT_EQ(CompileError("root ::= ( \"unclosed\""),
            "t.gbnf:1:22: expected ')' to close the group opened at line 1 column 10, got the end of the file");
  EXPECT_EQ(CompileError("root ::= \"a\"\nx ::= \"b\n"), "t.gbnf:2:9: expected '\"' to close the string before the end of the line");
  EXPECT_EQ(CompileError("root ::= \"a\"\n\nbad rule\n"), "t.gbnf:3:5: expected '::=' after the rule name 'bad', got 'r'");
  EXPECT_EQ(CompileError("root ::= [a-\n"), "t.gbnf:1:13: expected ']' to close the character class before the end of the line");
  EXPECT_EQ(CompileError("root ::= [a-"), "t.gbnf:1:13: expected ']' to close the character class");
  EXPECT_EQ(CompileError("root ::= \"a\" )"), "t.gbnf:1:14: expected a rule element, '|' or the end of the line, got ')'");
  EXPECT_EQ(CompileError("root ::= * \"a\""), "t.gbnf:1:10: expected an item before '*'");
  EXPECT_EQ(CompileError("root ::= \"a\"{3,1}"), "t.gbnf:1:13: expected {m,n} with m <= n");
  EXPECT_EQ(CompileError("root ::= \"\\q\""), "t.gbnf:1:11: expected an escape (\\n \\r \\t \\\\ \\\" \\[ \\] \\xHH \\uHHHH \\UHHHHHHHH), got '\\q'");
  EXPECT_EQ(CompileError("root ::= [z-a]"), "t.gbnf:1:10: expected a range low-high, got one whose end is below its start");
  EXPECT_EQ(CompileError("root ::= \"\\uD800\""), "t.gbnf:1:11: expected a Unicode scalar value in the escape (not a surrogate, at most \\U0010FFFF)");
}

TEST(Grammar, RuleErrors) {
  EXPECT_EQ(CompileError("root ::= a\na ::= \"x\" b\n"), "t.gbnf:2:11: undefined rule 'b'");
  EXPECT_EQ(CompileError("start ::= \"x\"\n"), "t.gbnf: expected a rule named 'root' (where matching starts)");
  EXPECT_EQ(CompileError("root ::= \"x\"\nroot ::= \"y\"\n"), "t.gbnf:2:1: rule 'root' is defined twice (first at line 1)");
  EXPECT_EQ(CompileError(""), "t.gbnf: expected a rule named 'root' (where matching starts)");
}

TEST(Grammar, NeverFinishingGrammarsAreDetected) {
  EXPECT_EQ(CompileError("root ::= \"a\" root\n"),
            "t.gbnf:1:1: the grammar can never finish: rule 'root' has no finite derivation (every alternative "
            "needs a rule that recurses forever or a class that matches no character)");
  EXPECT_EQ(CompileError("root ::= \"a\" | \"b\" item\nitem ::= \"(\" item \")\"\n"),
            "t.gbnf:2:1: rule 'item' can never finish: it has no finite derivation (every alternative needs a rule "
            "that recurses forever or a class that matches no character)");
  EXPECT_NE(CompileError("root ::= [^\\x00-\\U0010FFFF]").find("can never finish"), std::string::npos);
}

TEST(Grammar, LeftRecursionIsRefused) {
  EXPECT_EQ(CompileError("root ::= list\nlist ::= list \",\" item | item\nitem ::= [a-z]\n"),
            "t.gbnf:2:1: rule 'list' is left-recursive (list -> list), which this matcher cannot run: rewrite it "
            "with repetition, e.g. list ::= item (\",\" item)*");
  EXPECT_NE(CompileError("root ::= a\na ::= b? \"x\" | \"y\"\nb ::= a \"z\"\n").find("left-recursive (a -> b -> a)"),
            std::string::npos);
  EXPECT_EQ(CompileError("root ::= ( \"a\"? )*"),
            "t.gbnf:1:18: this repetition can repeat an empty match (left recursion), so it could never be matched: "
            "make the repeated part non-empty");
}

// Issue 23 item 1: a long chain of rules once overflowed the stack in the
// left-recursion check and in the matcher's expansion, and took minutes to
// parse (every rule's line was found by counting from the start).
std::string RuleChain(int n, bool with_exit) {
  std::string text = "root ::= r0\n";
  for (int k = 0; k < n; ++k) {
    text.append("r").append(std::to_string(k)).append(" ::= r").append(std::to_string(k + 1));
    text.append(with_exit ? " | \"x\"\n" : "\n");
  }
  text.append("r").append(std::to_string(n)).append(" ::= \"y\"\n");
  return text;
}

TEST(Grammar, LongRuleChainsCompileWithoutDeepRecursion) {
  auto g = MustCompile(RuleChain(200000, false));
  ASSERT_NE(g, nullptr);
  EXPECT_EQ(Match(*g, "y"), MatchState::kAccepted);
  auto h = MustCompile(RuleChain(200000, true));
  ASSERT_NE(h, nullptr);
  EXPECT_EQ(Match(*h, "x"), MatchState::kAccepted);
  EXPECT_EQ(Match(*h, "y"), MatchState::kAccepted);
  EXPECT_EQ(Match(*h, "z"), MatchState::kRejected);
}

TEST(Grammar, LeftRecursionThroughALongChainIsFound) {
  std::string text = RuleChain(200000, false);
  text.replace(text.rfind("\"y\""), 3, "r0 | \"y\"");  // the last rule may go back to the first
  EXPECT_NE(CompileError(text).find("is left-recursive (r0 -> r1 -> r2"), std::string::npos);
}

// Empty alternatives side by side once expanded every combination: 2^n stacks.
TEST(Grammar, NullableRunsExpandOnce) {
  std::string text = "root ::=";
  for (int i = 0; i < 64; ++i) text += " e";
  text += " \"a\"\ne ::= \"\" | \"\"\n";
  auto g = MustCompile(text);
  ASSERT_NE(g, nullptr);
  EXPECT_EQ(Match(*g, "a"), MatchState::kAccepted);
}

// Nested repetitions of something that can be empty multiply the parse
// stacks per level (1000^3 here); the matcher keeps a bounded subset.
TEST(Grammar, NestedEmptyableRepetitionsStayBounded) {
  auto g = MustCompile("root ::= (((\"a\"?){0,1000}){0,1000}){0,1000} \"b\"\n");
  ASSERT_NE(g, nullptr);
  GrammarAutomaton a(g);
  EXPECT_TRUE(a.truncated());
  EXPECT_NE(a.Walk(a.start(), "aab"), GrammarAutomaton::kDead);
}

TEST(Grammar, SizeLimitsAreNamed) {
  std::string literal(kMaxGrammarSymbols + 1, 'a');
  const std::string err = CompileError("root ::= \"" + literal + "\"\n");
  EXPECT_NE(err.find("the grammar is too large"), std::string::npos) << err;
  EXPECT_NE(err.find(std::to_string(kMaxGrammarSymbols)), std::string::npos) << err;
  // Repetitions multiply: each {1000} copies what it repeats, and the copies add up.
  std::string many = "root ::= ";
  for (int i = 0; i < 2000; ++i) many += "\"ab\"{1000} ";
  EXPECT_NE(CompileError(many + "\n").find("the grammar is too large"), std::string::npos);
}

// Issue 23 item 6: a budget below the shortest text ended the output cut
// short without a word; now it is refused up front, naming the minimum.
TEST(Grammar, TooSmallTokenBudgetsAreRefused) {
  auto g = MustCompile("root ::= ((\"a\"{1000}){1000}){1000}\n");
  ASSERT_NE(g, nullptr);
  EXPECT_EQ(g->min_bytes(), 1000000000u);
  EXPECT_EQ(CheckTokenBudget(*g, 4096).message(),
            "too few tokens for the grammar t.gbnf: its shortest text is 1000000000 bytes, so at least 1000000000 "
            "tokens always finish one (a token may be a single byte)");
  auto dot = BuiltinGrammar("dot");
  ASSERT_TRUE(dot.ok());
  EXPECT_FALSE(CheckTokenBudget(**dot, (*dot)->min_bytes() - 1).ok());
  EXPECT_TRUE(CheckTokenBudget(**dot, (*dot)->min_bytes()).ok());
}

TEST(Grammar, BuiltinsAndFencedForms) {
  const auto names = BuiltinGrammarNames();
  for (const char* want : {"dot", "dot-fenced", "json", "json-fenced"}) {
    EXPECT_NE(std::find(names.begin(), names.end(), want), names.end()) << want;
  }
  for (const std::string& n : names) {
    auto g = BuiltinGrammar(n);
    EXPECT_TRUE(g.ok()) << n << ": " << g.status().message();
  }
  auto fenced = BuiltinGrammar("json-fenced");
  ASSERT_TRUE(fenced.ok());
  EXPECT_EQ(Match(**fenced, "```json\n{\"a\": [1, 2]}\n```"), MatchState::kAccepted);
  EXPECT_EQ(Match(**fenced, "{\"a\": 1}"), MatchState::kRejected);
  EXPECT_EQ(Match(**fenced, "```json\n{}"), MatchState::kIncomplete);
  auto missing = BuiltinGrammar("yaml");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("no built-in grammar named 'yaml' (built in: dot, dot-fenced, json"),
            std::string::npos)
      << missing.status().message();
  EXPECT_EQ(BuiltinGrammar("json")->get(), BuiltinGrammar("json")->get());  // compiled once
}

TEST(Grammar, LoadGrammarFromFileNamesTheFile) {
  testing::TempDir dir("grammar_test");
  const std::string good = (dir.path() / "good.gbnf").string();
  const std::string bad = (dir.path() / "bad.gbnf").string();
  std::ofstream(good) << "root ::= \"yes\"\n";
  std::ofstream(bad) << "root ::= \"yes\"\n  | oops\n";
  auto g = LoadGrammar(good);
  ASSERT_TRUE(g.ok()) << g.status().message();
  EXPECT_EQ(Match(**g, "yes"), MatchState::kAccepted);
  auto b = LoadGrammar(bad);
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.status().message(), bad + ":2:5: undefined rule 'oops'");
  auto m = LoadGrammar(dir.path().string() + "/missing.gbnf");
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().message(), dir.path().string() + "/missing.gbnf: cannot open the grammar file");
  EXPECT_TRUE(LoadGrammar("dot").ok());
}

}  // namespace
}  // namespace edgert
