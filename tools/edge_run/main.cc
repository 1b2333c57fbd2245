// edge-run: run a model.
//
//   edge-run --model M --prompt TEXT [--raw] [--system S] [--max-tokens N] [--temperature T]
//            [--top-k K] [--top-p P] [--min-p P] [--repeat-penalty R] [--seed N] [--stop STR]... [--threads N]
//   edge-run --model M --chat                         interactive, the KV cache kept between turns
//   edge-run --model M --input FILE.json|.jsonl --output OUT.json   batch, one model load
//   edge-run --model M --tokens 1,2,3 --logits-out FILE.npy          logits of exactly these ids
//   edge-run --model M --bench [--prompt-tokens 512] [--gen-tokens 128] [--json]
//   edge-run --model M --tokenize [--prompt TEXT]                    token ids, no template, no BOS
//   edge-run --model M [job options] --plan [--json]                   the memory plan, nothing run
// --budget (default: a share of the memory available) bounds the peak resident
// memory: the plan picks the context and whether the weights stream by layer.
// Any of them with --lora A.eta[:SCALE] (repeatable): adapters applied beside
// the frozen weights, never merged.
#include <CLI/CLI.hpp>
#include <pthreadpool.h>

#include <cstdio>
#include <iostream>
#include <iterator>
#include <memory>
#include <string>

#include "runtime/grammar/grammar.h"
#include "runtime/model/session.h"
#include "runtime/thread_count.h"
#include "runtime/tokenizer/tokenizer.h"
#include "runtime/memory/planner.h"
#include "runtime/model/weight_stream.h"
#include "tools/common/cli.h"
#include "tools/common/memory_plan.h"
#include "tools/common/generation.h"
#include "tools/edge_run/bench.h"
#include "tools/edge_run/generate_cli.h"
#include "tools/edge_run/run_options.h"

namespace edgert {
namespace {

int Tokenize(const Model& model, RunOptions& o) {
  auto tokenizer = Tokenizer::Create(model.file().metadata().tokenizer);
  if (!tokenizer.ok()) return cli::Fail(tokenizer.status().WithContext(o.model));
  if (!o.have_prompt) {
    std::cin >> std::noskipws;
    o.prompt.assign(std::istreambuf_iterator<char>(std::cin), {});
  }
  const std::vector<int32_t> ids = tokenizer->Encode(o.prompt);
  std::string line;
  for (size_t i = 0; i < ids.size(); ++i) {
    if (i) line += ' ';
    line += std::to_string(ids[i]);
  }
  std::printf("%s\n", line.c_str());
  return 0;
}

// The memory plan of a generation or benchmark session: the context (what
// was asked, or as much as fits up to 4096), the batch, and whether the
// weights stream.
Result<InferencePlan> PlanRun(const Model& model, const RunOptions& o, uint64_t budget_bytes) {
  const ModelConfig& c = model.config();
  const TokenizerSpec& spec = model.file().metadata().tokenizer;
  InferenceRequest r;
  r.budget_bytes = budget_bytes;
  r.weight_bytes = model.weights().bytes;
  r.stream_window_bytes = WeightStream::WindowBytes(model.weights());
  r.tokenizer_entries = o.bench ? 0 : spec.vocab.size() + spec.merges.size();  // --bench makes up its token ids
  r.context_length = o.context > 0 ? o.context : o.bench ? o.prompt_tokens + o.gen_tokens : 0;
  r.context_cap = std::min<int64_t>(4096, c.max_position_embeddings);
  r.min_context_length = std::min<int64_t>(256, r.context_cap);
  r.max_batch = o.bench ? std::min<int64_t>(std::max<int64_t>(o.prompt_tokens, 1), 512) : 256;
  return PlanInference(c, r);
}

int Run(int argc, char** argv) {
  CLI::App app{"edge-run: run an edge-rt model"};
  RunOptions o;
  app.add_option("--model,-m", o.model, "model file (.etm)")->required();
  auto* prompt = app.add_option("--prompt,-p", o.prompt, "input text (--tokenize: default standard input)");
  app.add_flag("--raw", o.raw, "no chat template: the prompt is the model's input as is");
  auto* system = app.add_option("--system", o.system, "system prompt (default: the model's)");
  app.add_option("--max-tokens,-n", o.max_tokens, "tokens to generate at most")->check(cli::NonNegativeInteger());
  app.add_option("--temperature", o.sampling.temperature, "0 = greedy");
  app.add_option("--top-k", o.sampling.top_k, "0 = off");
  app.add_option("--top-p", o.sampling.top_p, "1 = off");
  app.add_option("--min-p", o.sampling.min_p, "0 = off");
  app.add_option("--repeat-penalty", o.sampling.repetition_penalty, "1 = off (Hugging Face's repetition_penalty)");
  app.add_option("--seed", o.sampling.seed, "seed for sampling")->check(cli::Unsigned64());
  app.add_option("--stop", o.stop, "stop when this text is generated (repeatable)");
  app.add_option("--grammar", o.grammar,
                 "constrain the output to a grammar: a built-in (dot, json, mermaid, NAME-fenced) or a .gbnf file; "
                 "the output is always brought to a valid end within --max-tokens");
  app.add_option("--threads,-t", o.threads, "threads (default: one per performance core)")->check(cli::NonNegativeInteger());
  app.add_option("--context", o.context, "KV cache positions (default: what the job needs)")->check(cli::NonNegativeInteger());
  app.add_option("--tokens", o.tokens, "comma-separated token ids to run as they are");
  app.add_option("--logits-out", o.logits_out, "with --tokens: write [T, vocab] f32 logits as .npy");
  app.add_flag("--tokenize", o.tokenize, "print the token ids of the input and exit");
  app.add_flag("--bench", o.bench, "measure prefill and decode speed");
  app.add_option("--prompt-tokens", o.prompt_tokens, "with --bench");
  app.add_option("--gen-tokens", o.gen_tokens, "with --bench");
  app.add_flag("--json", o.json, "with --bench or --plan: one JSON object");
  app.add_option("--budget", o.budget, "peak memory the run may use (e.g. 1GB; default: 80% of what is available)")->check(cli::NonEmpty());
  app.add_flag("--plan", o.plan, "print the memory plan and exit");
  app.add_flag("--chat", o.chat, "interactive multi-turn chat");
  app.add_option("--input", o.input, "batch: a JSON array or JSONL file of prompts");
  app.add_option("--output", o.output, "batch: where to write the results (JSON)");
  app.add_option("--lora", o.lora, "LoRA adapter A.eta[:SCALE], applied without merging (repeatable)");
  app.add_flag("--force", o.force, cli::kForceHelp);
  if (auto exit_code = cli::Parse(app, argc, argv)) return *exit_code;
  if (auto threads = ThreadCount(o.threads); !threads.ok()) {
    return cli::Fail(threads.status().WithContext("--threads " + std::to_string(o.threads)));
  }
  o.have_prompt = prompt->count() > 0;
  o.have_system = system->count() > 0;
  if (Status st = o.sampling.Validate(); !st.ok()) return cli::Fail(st);
  if (!o.tokens.empty() && o.logits_out.empty()) return cli::Fail(InvalidArgument("--tokens needs --logits-out FILE.npy"));
  if (!o.input.empty() && o.output.empty()) return cli::Fail(InvalidArgument("--input needs --output OUT.json"));
  const cli::Existing existing = cli::ExistingOutputs(o.force);
  if (Status st = cli::CheckOutputPath(o.output, "--output", existing, {o.input, o.model}); !st.ok()) return cli::Fail(st);
  if (Status st = cli::CheckOutputPath(o.logits_out, "--logits-out", existing, {o.model}); !st.ok()) return cli::Fail(st);
  if (!o.grammar.empty()) {
    if (o.bench || o.tokenize || !o.tokens.empty()) {
      return cli::Fail(InvalidArgument("--grammar applies to generation (--prompt, --chat, --input), not to --bench, "
                                       "--tokenize or --tokens"));
    }
    // Checked before the model loads, so a grammar error is reported first and alone.
    auto g = LoadGrammar(o.grammar);
    if (!g.ok()) return cli::Fail(g.status().WithContext("--grammar"));
    if (Status st = CheckTokenBudget(**g, o.max_tokens); !st.ok()) {
      return cli::Fail(st.WithContext("--max-tokens " + std::to_string(o.max_tokens)));
    }
  }

  auto model = Model::Open(o.model);
  if (!model.ok()) return cli::Fail(model.status());
  if (o.tokenize) return Tokenize(**model, o);
  if (!o.lora.empty()) {
    auto adapters = cli::LoadAdapters((*model)->file(), o.lora);
    if (!adapters.ok()) return cli::Fail(adapters.status());
    o.adapters = std::move(*adapters);
  }

  auto budget = cli::ResolveBudget(o.budget);
  if (!budget.ok()) return cli::Fail(budget.status());
  auto plan = PlanRun(**model, o, budget->bytes);
  if (!plan.ok()) return cli::Fail(plan.status().WithContext(budget->source));
  if (o.plan) return cli::PrintPlan(*plan, *budget, o.json);
  cli::PrintPlanNotes(*plan, *budget);
  o.session = plan->session;
  // Out of swap where the OS allows; --bench reports whether it was (no note
  // otherwise: without CAP_IPC_LOCK or a large ulimit -l it never is).
  o.session.lock_arena = true;

  // o.threads was checked by ThreadCount when the options were read.
  std::unique_ptr<pthreadpool, decltype(&pthreadpool_destroy)> pool(pthreadpool_create(*ThreadCount(o.threads)),
                                                                   pthreadpool_destroy);
  if (!o.tokens.empty()) return RunLogits(*model, o, pool.get());
  if (o.bench) return RunBench(*model, o, pool.get());
  if (!o.input.empty()) return RunBatch(*model, o, pool.get());
  if (o.chat) return RunChat(*model, o, pool.get());
  if (!o.have_prompt) return cli::Fail(InvalidArgument("nothing to do: give --prompt, --chat, --input, --tokens, --bench or --tokenize"));
  return RunPrompt(*model, o, pool.get());
}

}  // namespace
}  // namespace edgert

int main(int argc, char** argv) { return edgert::cli::RunTool(edgert::Run, argc, argv); }
