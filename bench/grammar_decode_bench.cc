// bench/grammar_decode_bench.cc: what a grammar costs per decoded token.
//
//   grammar_decode_bench --model M.etm [--grammar dot] [--tokens 128]
//                        [--rounds 3] [--threads 2] [--temperature 1] [--no-forward]
//
// Each round decodes --tokens tokens after the same short prompt twice, back
// to back: free, then constrained (the generation loop's own steps: forward,
// mask, sample, accept). The constrained run starts from a new TokenConstraint
// (cold: every grammar state's mask computed for the first time) and, in a
// second pass, from one kept across rounds (warm: what edge-eval sees from
// its second prompt on). Prints per-token milliseconds (medians over rounds),
// the mask's own share, and the ratio constrained / free. The host is shared:
// only figures of one run compare. --no-forward replaces the model's logits
// by random ones (N(0, 3)): the mask's cost alone, on the model's vocabulary,
// with no forward pass competing for the cores.
#include <pthreadpool.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>

#include "runtime/generate/grammar_vocabulary.h"
#include "runtime/generate/sampler.h"
#include "runtime/grammar/grammar.h"
#include "runtime/grammar/match.h"
#include "runtime/model/session.h"
#include "runtime/tokenizer/tokenizer.h"

namespace edgert {
namespace {

using Clock = std::chrono::steady_clock;
double Ms(Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double, std::milli>(b - a).count(); }

struct RunTimes {
  double total_ms = 0, mask_ms = 0, max_mask_ms = 0;
  int64_t tokens = 0;
  bool accepted = false;
};

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0.0 : v[v.size() / 2];
}

Result<RunTimes> Decode(Session& session, std::span<const int32_t> prompt, int64_t n, const SamplingOptions& sampling,
                        TokenConstraint* constraint, const TokenVocabulary& vocab, bool forward) {
  EDGERT_RETURN_IF_ERROR(session.Rewind(0));
  std::vector<float> logits(static_cast<size_t>(session.model().config().vocab_size));
  std::mt19937_64 rng(sampling.seed);
  std::normal_distribution<float> normal(0.0f, 3.0f);
  auto next_logits = [&](std::span<const int32_t> ids) -> Status {
    if (forward) return session.Forward(ids, logits);
    for (float& l : logits) l = normal(rng);
    return OkStatus();
  };
  EDGERT_RETURN_IF_ERROR(next_logits(prompt));
  Sampler sampler(sampling);
  std::vector<int32_t> history(prompt.begin(), prompt.end());
  RunTimes t;
  std::string text;
  if (constraint) constraint->Reset();
  const auto t0 = Clock::now();
  for (int64_t step = 0; step < n; ++step) {
    if (constraint) {
      if (constraint->complete()) break;
      const auto m0 = Clock::now();
      constraint->Mask(logits, n - step);
      const double ms = Ms(m0, Clock::now());
      t.mask_ms += ms;
      t.max_mask_ms = std::max(t.max_mask_ms, ms);
    }
    const int32_t next = sampler.Sample(logits, history);
    if (constraint) {
      if (vocab.bytes(next).empty()) break;  // an end token: the text was accepted
      const auto a0 = Clock::now();
      EDGERT_RETURN_IF_ERROR(constraint->Accept(next));
      t.mask_ms += Ms(a0, Clock::now());
      text += vocab.bytes(next);
    }
    history.push_back(next);
    ++t.tokens;
    EDGERT_RETURN_IF_ERROR(next_logits(std::span(&next, 1)));
  }
  t.total_ms = Ms(t0, Clock::now());
  if (constraint) t.accepted = MatchText(constraint->grammar(), text).state == MatchState::kAccepted;
  return t;
}

int Run(int argc, char** argv) {
  CLI::App app{"per-token cost of grammar-constrained decoding"};
  std::string model_path, grammar_name = "dot";
  int64_t tokens = 128, rounds = 3;
  size_t threads = 2;
  float temperature = 1.0f;
  bool no_forward = false;
  app.add_flag("--no-forward", no_forward, "random logits instead of the model's: the mask's cost alone");
  app.add_option("--model", model_path, "model file (.etm)")->required();
  app.add_option("--grammar", grammar_name, "built-in grammar or .gbnf file");
  app.add_option("--tokens", tokens, "tokens decoded per run");
  app.add_option("--rounds", rounds, "rounds (medians are reported)");
  app.add_option("--threads", threads, "threads");
  app.add_option("--temperature", temperature, "sampling temperature (0: greedy)");
  CLI11_PARSE(app, argc, argv);
  auto fail = [](const Status& s) {
    std::fprintf(stderr, "error: %s\n", s.message().c_str());
    return 1;
  };
  auto model = Model::Open(model_path);
  if (!model.ok()) return fail(model.status());
  const TokenizerSpec& spec = (*model)->file().metadata().tokenizer;
  auto tokenizer = Tokenizer::Create(spec);
  if (!tokenizer.ok()) return fail(tokenizer.status());
  auto grammar = LoadGrammar(grammar_name);
  if (!grammar.ok()) return fail(grammar.status());
  const auto t_vocab = Clock::now();
  auto vocab = MakeGrammarVocabulary(*tokenizer, spec, (*model)->config().vocab_size);
  const double vocab_ms = Ms(t_vocab, Clock::now());
  std::vector<int32_t> end_ids;
  for (const char* e : {"<|im_end|>", "<|endoftext|>"}) {
    if (auto id = tokenizer->FindToken(e)) end_ids.push_back(*id);
  }
  std::unique_ptr<pthreadpool, decltype(&pthreadpool_destroy)> pool(pthreadpool_create(threads), pthreadpool_destroy);
  SessionOptions so;
  so.context_length = 64 + tokens;
  so.max_batch = 64;
  auto session = Session::Create(*model, so, pool.get());
  if (!session.ok()) return fail(session.status());
  const std::vector<int32_t> prompt =
      tokenizer->Encode("<|im_start|>user\nDraw the build pipeline as a Graphviz graph.<|im_end|>\n<|im_start|>assistant\n");

  SamplingOptions sampling;
  sampling.temperature = temperature;
  TokenConstraint warm(*grammar, vocab, end_ids);
  std::vector<double> free_ms, cold_ms, warm_ms, cold_mask, warm_mask, cold_max, warm_max;
  int accepted = 0, runs = 0;
  for (int64_t r = 0; r < rounds; ++r) {
    sampling.seed = static_cast<uint64_t>(r + 1);
    auto f = Decode(*session, prompt, tokens, sampling, nullptr, *vocab, !no_forward);
    TokenConstraint cold(*grammar, vocab, end_ids);
    auto c = f.ok() ? Decode(*session, prompt, tokens, sampling, &cold, *vocab, !no_forward) : f;
    auto w = c.ok() ? Decode(*session, prompt, tokens, sampling, &warm, *vocab, !no_forward) : c;
    if (!w.ok()) return fail(w.status());
    free_ms.push_back(f->total_ms / static_cast<double>(f->tokens));
    cold_ms.push_back(c->total_ms / static_cast<double>(c->tokens));
    warm_ms.push_back(w->total_ms / static_cast<double>(w->tokens));
    cold_mask.push_back(c->mask_ms / static_cast<double>(c->tokens));
    warm_mask.push_back(w->mask_ms / static_cast<double>(w->tokens));
    cold_max.push_back(c->max_mask_ms);
    warm_max.push_back(w->max_mask_ms);
    accepted += c->accepted + w->accepted;
    runs += 2;
    std::fprintf(stderr, "round %lld: free %.2f ms/token (%lld tokens), cold %.2f (%lld), warm %.2f (%lld)\n",
                 static_cast<long long>(r + 1), free_ms.back(), static_cast<long long>(f->tokens), cold_ms.back(),
                 static_cast<long long>(c->tokens), warm_ms.back(), static_cast<long long>(w->tokens));
  }
  const double fm = Median(free_ms), cm = Median(cold_ms), wm = Median(warm_ms);
  std::printf("grammar %s, %lld tokens x %lld rounds, %zu threads, vocabulary trie %zu nodes (built in %.0f ms)\n",
              grammar_name.c_str(), static_cast<long long>(tokens), static_cast<long long>(rounds), threads,
              vocab->num_nodes(), vocab_ms);
  std::printf("free decoding          %7.2f ms/token%s\n", fm, no_forward ? " (no forward pass: random logits + sampling)" : "");
  std::printf("constrained, cold      %7.2f ms/token  (+%.1f%%; mask+accept %.3f ms/token, slowest mask %.1f ms)\n", cm,
              100.0 * (cm / fm - 1.0), Median(cold_mask), Median(cold_max));
  std::printf("constrained, warm      %7.2f ms/token  (+%.1f%%; mask+accept %.3f ms/token, slowest mask %.1f ms)\n", wm,
              100.0 * (wm / fm - 1.0), Median(warm_mask), Median(warm_max));
  std::printf("mask share of a free token: cold %.1f%%, warm %.1f%%; constrained texts accepted: %d/%d\n",
              100.0 * Median(cold_mask) / fm, 100.0 * Median(warm_mask) / fm, accepted, runs);
  return 0;
}

}  // namespace
}  // namespace edgert

int main(int argc, char** argv) { return edgert::Run(argc, argv); }
