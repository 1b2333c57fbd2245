// tests/grammar/token_constraint_test.cc: token masks over the real Qwen2.5
// vocabulary equal a brute-force check of every token, and constrained
// sampling always ends in an accepted text within its token budget.
#include "runtime/grammar/token_constraint.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "formats/tokenizer_json/tokenizer_json.h"
#include "runtime/diagram/dot_check.h"
#include "runtime/generate/grammar_vocabulary.h"
#include "runtime/grammar/match.h"

namespace edgert {
namespace {

constexpr int64_t kQwenRows = 151936;

struct Qwen {
  std::unique_ptr<Tokenizer> tokenizer;
  std::shared_ptr<const TokenVocabulary> vocab;
  std::vector<int32_t> end_ids;
};

const Qwen& QwenVocabulary() {
  static const Qwen q = [] {
    Qwen out;
    auto spec = ReadTokenizerJson(std::string(EDGERT_SHARED_DIR) + "/data/tokenizer/qwen2.5/tokenizer.json");
    EXPECT_TRUE(spec.ok()) << spec.status().message();
    if (!spec.ok()) return out;
    auto t = Tokenizer::Create(*spec);
    EXPECT_TRUE(t.ok()) << t.status().message();
    out.tokenizer = std::make_unique<Tokenizer>(std::move(*t));
    out.vocab = MakeGrammarVocabulary(*out.tokenizer, *spec, kQwenRows);
    for (const char* end : {"<|im_end|>", "<|endoftext|>"}) out.end_ids.push_back(*out.tokenizer->FindToken(end));
    return out;
  }();
  return q;
}

std::shared_ptr<const Grammar> Builtin(std::string_view name) {
  auto g = BuiltinGrammar(name);
  EXPECT_TRUE(g.ok()) << g.status().message();
  return *g;
}

TEST(TokenVocabulary, QwenTrie) {
  const Qwen& q = QwenVocabulary();
  ASSERT_NE(q.vocab, nullptr);
  EXPECT_EQ(q.vocab->size(), kQwenRows);
  EXPECT_TRUE(q.vocab->has_every_byte());
  EXPECT_TRUE(q.vocab->bytes(q.end_ids[0]).empty());  // special tokens are never grammar text
  EXPECT_TRUE(q.vocab->bytes(151700).empty());        // an unused row
  EXPECT_EQ(q.vocab->bytes(*q.tokenizer->FindToken("Ġthe")), " the");
}

// Along random constrained texts, the mask is exactly the set of tokens whose
// bytes the grammar can take next (end tokens: exactly where it accepts).
TEST(TokenConstraint, MaskEqualsBruteForce) {
  const Qwen& q = QwenVocabulary();
  ASSERT_NE(q.vocab, nullptr);
  for (const char* name : {"json", "dot"}) {
    auto g = Builtin(name);
    TokenConstraint c(g, q.vocab, q.end_ids);
    GrammarAutomaton check(g);
    std::mt19937_64 rng(3);
    std::vector<float> logits(kQwenRows);
    std::string text;
    for (int step = 0; step < 12; ++step) {
      std::fill(logits.begin(), logits.end(), 0.0f);
      c.Mask(logits, 1000);
      const int32_t here = check.Walk(check.start(), text);
      std::vector<int32_t> allowed;
      for (int32_t id = 0; id < kQwenRows; ++id) {
        const bool end = std::find(q.end_ids.begin(), q.end_ids.end(), id) != q.end_ids.end();
        const std::string_view bytes = q.vocab->bytes(id);
        const bool want = end ? check.Accepting(here)
                              : !bytes.empty() && check.Walk(here, bytes) != GrammarAutomaton::kDead;
        ASSERT_EQ(std::isfinite(logits[id]), want) << name << " after '" << text << "': token " << id;
        if (want && !end) allowed.push_back(id);
      }
      if (allowed.empty()) {  // a whole JSON value: only an end token may follow
        EXPECT_TRUE(check.Accepting(here) && c.complete()) << name << " after '" << text << "'";
        break;
      }
      const int32_t pick = allowed[rng() % allowed.size()];
      ASSERT_TRUE(c.Accept(pick).ok());
      text += q.vocab->bytes(pick);
    }
    EXPECT_FALSE(c.Accept(q.end_ids[0]).ok());
  }
}

// Random logits, any budget from the shortest text up: the text is accepted
// when the budget runs out or an end token is drawn (DOT: and Graphviz agrees).
TEST(TokenConstraint, AlwaysFinishesWithinTheBudget) {
  const Qwen& q = QwenVocabulary();
  ASSERT_NE(q.vocab, nullptr);
  // "tail": accepted after "x", but every continuation needs several more
  // bytes: at the end of the budget only an end token may follow.
  auto tail = CompileGrammar("root ::= \"x\" ( \"\\n%% \" [a-z]+ )*", "tail.gbnf");
  ASSERT_TRUE(tail.ok()) << tail.status().message();
  for (const char* name : {"dot", "json", "dot-fenced", "tail"}) {
    auto g = std::string_view(name) == "tail" ? *tail : Builtin(name);
    TokenConstraint c(g, q.vocab, q.end_ids);
    std::mt19937_64 rng(11);
    std::normal_distribution<float> normal(0.0f, 3.0f);
    std::vector<float> logits(kQwenRows);
    // The promise holds from the shortest text's bytes up (every byte is a
    // token); a smaller budget is refused before decoding (dot-fenced's 18
    // bytes exceed 12: its tightest case is its own minimum).
    const auto shortest = static_cast<int64_t>(g->min_bytes());
    for (int64_t budget : {shortest, shortest + 1, std::max<int64_t>(12, shortest), std::max<int64_t>(25, shortest),
                           int64_t{50}, int64_t{100}}) {
      for (int run = 0; run < (std::string_view(name) == "tail" ? 12 : 3); ++run) {
        c.Reset();
        std::string text;
        int64_t used = 0;
        while (used < budget && !c.complete()) {
          for (float& l : logits) l = normal(rng);
          c.Mask(logits, budget - used);
          const int32_t pick = static_cast<int32_t>(std::max_element(logits.begin(), logits.end()) - logits.begin());
          ASSERT_TRUE(std::isfinite(logits[pick]));
          ++used;
          if (std::find(q.end_ids.begin(), q.end_ids.end(), pick) != q.end_ids.end()) break;
          ASSERT_TRUE(c.Accept(pick).ok());
          text += q.vocab->bytes(pick);
        }
        const MatchResult m = MatchText(*g, text);
        EXPECT_EQ(m.state, MatchState::kAccepted) << name << " budget " << budget << ": " << text;
        if (std::string_view(name) == "dot") {
          const auto verdict = diagram::CheckDot(text);
          EXPECT_TRUE(verdict.valid) << verdict.message << "\n" << text;
        }
      }
    }
  }
}

}  // namespace
}  // namespace edgert
