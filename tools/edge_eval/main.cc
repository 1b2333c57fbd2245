// edge-eval: how often a model's diagrams are valid, base against tuned.
//
//   edge-eval --model M [--lora A.eta[:S]]... --prompts FILE --format mermaid|dot [--grammar]
//             [--compare-base] [--max-tokens N] [--threads N] [--seed N] [--temperature T] [--system S]
//             [--limit N] [--json OUT] [--report OUT.html] [--training-log FILE.jsonl]
//             [--checker grammar|mermaid-js [--node-modules DIR]]
//   edge-eval --responses --prompts FILE --format F ...   scores the file's own responses (no model)
//
// One model load; every prompt generated from an empty cache (greedy unless
// --temperature), the diagram extracted (fenced or bare) and classified by the
// format's real checker. With --compare-base the same prompts run without and
// with the adapters, and the table shows the difference with its z and p.
#include <CLI/CLI.hpp>
#include <pthreadpool.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <span>

#include "ports/cpu.h"
#include "ports/output_file.h"
#include "runtime/generate/chat.h"
#include "runtime/thread_count.h"
#include "tools/common/batch_io.h"
#include "tools/common/cli.h"
#include "tools/common/generation.h"
#include "tools/edge_eval/eval_options.h"
#include "tools/edge_eval/evaluation.h"
#include "tools/edge_eval/html_report.h"
#include "tools/edge_eval/json_report.h"
#include "tools/edge_eval/mermaid_js.h"
#include "tools/edge_eval/summary_table.h"
#include "tools/edge_eval/training_log.h"

namespace edgert::eval {
namespace {

struct Prompts {
  std::vector<PromptCase> cases;
  std::vector<std::vector<ChatMessage>> conversations;
};

Result<Prompts> LoadPrompts(const EvalOptions& o) {
  EDGERT_ASSIGN_OR_RETURN(std::vector<BatchItem> items, ReadBatchFile(o.prompts));
  if (o.limit > 0 && static_cast<size_t>(o.limit) < items.size()) items.resize(static_cast<size_t>(o.limit));
  Prompts p;
  for (size_t i = 0; i < items.size(); ++i) {
    const BatchItem& item = items[i];
    PromptCase c;
    c.prompt = item.messages.back().content;
    for (const char* key : {"response", "output"}) {
      if (const auto r = item.original.find(key); r != item.original.end() && r->is_string()) {
        c.reference = r->get<std::string>();
        break;
      }
    }
    if (o.responses && c.reference.empty()) {
      return InvalidArgument(o.prompts + ": item " + std::to_string(i + 1) + ": --responses needs a 'response' string");
    }
    p.cases.push_back(std::move(c));
    p.conversations.push_back(item.messages);
  }
  return p;
}

Result<Outcome> Score(diagram::DiagramFormat format, std::string output) {
  Outcome o;
  EDGERT_ASSIGN_OR_RETURN(o.result, diagram::ClassifyOutput(format, output));
  o.output = std::move(output);
  return o;
}

Result<Run> GenerateRun(const std::string& name, Session& session, const cli::GenerationSetup& setup,
                        const Prompts& prompts, diagram::DiagramFormat format,
                        std::shared_ptr<const ProjectionDelta> adapters) {
  Run run;
  run.name = name;
  session.SetProjectionDelta(std::move(adapters));
  const size_t n = prompts.cases.size();
  for (size_t i = 0; i < n; ++i) {
    std::fprintf(stderr, "\r%s %zu/%zu", name.c_str(), i + 1, n);
    const std::string text = RenderChatML(prompts.conversations[i], setup.system, true);
    EDGERT_ASSIGN_OR_RETURN(GenerateResult r, cli::GenerateFresh(session, setup, text));
    EDGERT_ASSIGN_OR_RETURN(Outcome o, Score(format, std::move(r.text)));
    o.tokens = static_cast<int64_t>(r.ids.size());
    o.stop = StopReasonName(r.reason);
    run.Add(std::move(o));
  }
  std::fprintf(stderr, "\n");
  return run;
}

Status GenerateRuns(const EvalOptions& o, const Prompts& prompts, Evaluation& e) {
  EDGERT_ASSIGN_OR_RETURN(std::shared_ptr<const Model> model, Model::Open(o.model));
  std::shared_ptr<const ProjectionDelta> adapters;
  if (!o.lora.empty()) {
    EDGERT_ASSIGN_OR_RETURN(adapters, cli::LoadAdapters(model->file(), o.lora));
  }
  cli::GenerationRequest request;
  request.sampling = o.sampling;
  request.max_tokens = o.max_tokens;
  // The format's built-in grammar, bare (the classifier takes bare or fenced diagrams).
  if (o.grammar) request.grammar = diagram::DiagramFormatName(e.settings.format);
  if (o.have_system) request.system = o.system;
  EDGERT_ASSIGN_OR_RETURN(cli::GenerationSetup setup, cli::PrepareGeneration(*model, request));
  // o.threads was checked by ThreadCount when the options were read.
  std::unique_ptr<pthreadpool, decltype(&pthreadpool_destroy)> pool(pthreadpool_create(*ThreadCount(o.threads)),
                                                                   pthreadpool_destroy);
  EDGERT_ASSIGN_OR_RETURN(Session session, Session::Create(model, cli::SessionOptionsFor(*model, 0), pool.get()));
  if (adapters == nullptr || o.compare_base) {
    EDGERT_ASSIGN_OR_RETURN(Run base, GenerateRun("base", session, setup, prompts, e.settings.format, nullptr));
    e.runs.push_back(std::move(base));
  }
  if (adapters != nullptr) {
    EDGERT_ASSIGN_OR_RETURN(Run tuned, GenerateRun("tuned", session, setup, prompts, e.settings.format, adapters));
    e.runs.push_back(std::move(tuned));
  }
  return OkStatus();
}

// --checker mermaid-js: mermaid's parser decides each found diagram; the
// grammar's verdict stays beside it. A diagram the grammar found incomplete
// and mermaid refuses stays "incomplete" (the finer of the two words).
Status DecideWithMermaidJs(const EvalOptions& o, Evaluation& e) {
  MermaidJsSetup setup;
  setup.node_modules = o.node_modules;
  EDGERT_ASSIGN_OR_RETURN(const std::string version, MermaidJsVersion(setup));
  std::vector<std::string> texts;
  std::vector<Outcome*> asked;
  for (Run& r : e.runs) {
    for (Outcome& out : r.outcomes) {
      out.grammar_kind = out.result.kind;
      if (!out.result.diagram.found) continue;
      texts.push_back(out.result.diagram.source);
      asked.push_back(&out);
    }
  }
  EDGERT_ASSIGN_OR_RETURN(const std::vector<MermaidJsVerdict> verdicts, CheckWithMermaidJs(texts, setup));
  for (size_t i = 0; i < asked.size(); ++i) {
    diagram::Classification& c = asked[i]->result;
    if (verdicts[i].valid) {
      c.kind = diagram::OutputClass::kValid;
      c.verdict = diagram::DiagramVerdict();
      c.verdict.valid = true;
      continue;
    }
    if (c.kind == diagram::OutputClass::kValid) c.kind = diagram::OutputClass::kSyntaxError;
    c.verdict.valid = false;
    c.verdict.message = "mermaid: " + verdicts[i].message;
    c.verdict.line = 0;
    c.verdict.at_end = c.kind == diagram::OutputClass::kIncomplete;
  }
  for (Run& r : e.runs) r.Recount();
  e.settings.checker = "mermaid-js " + version;
  return OkStatus();
}

Status WriteText(const std::string& path, const std::string& text) {
  return ports::WriteFileAtomically(path, std::as_bytes(std::span(text.data(), text.size())));
}

Status Evaluate(const EvalOptions& o) {
  if (o.responses && (!o.model.empty() || !o.lora.empty())) {
    return InvalidArgument("--responses scores the prompt file's own responses: it takes no --model or --lora");
  }
  if (!o.responses && o.model.empty()) return InvalidArgument("--model is required (or --responses)");
  if (o.compare_base && o.lora.empty()) return InvalidArgument("--compare-base needs --lora A.eta to compare with");
  if (o.grammar && o.responses) return InvalidArgument("--grammar constrains generation: --responses generates nothing");
  if (o.checker != "grammar" && o.checker != "mermaid-js") {
    return InvalidArgument("--checker " + o.checker + ": grammar or mermaid-js");
  }
  if (o.checker == "mermaid-js" && o.format != "mermaid") return InvalidArgument("--checker mermaid-js checks --format mermaid");
  EDGERT_RETURN_IF_ERROR(o.sampling.Validate());
  Evaluation e;
  EDGERT_ASSIGN_OR_RETURN(e.settings.format, diagram::ParseDiagramFormat(o.format));
  e.settings.model = o.model;
  e.settings.adapters = o.lora;
  e.settings.prompts_file = o.prompts;
  e.settings.grammar = o.grammar;
  e.settings.max_tokens = o.max_tokens;
  e.settings.seed = o.sampling.seed;
  e.settings.temperature = o.sampling.temperature;
  std::vector<LossPoint> losses;
  if (!o.training_log.empty()) {
    EDGERT_ASSIGN_OR_RETURN(losses, ReadTrainingLog(o.training_log));
  }
  EDGERT_ASSIGN_OR_RETURN(Prompts prompts, LoadPrompts(o));
  e.prompts = prompts.cases;
  if (o.responses) {
    Run run;
    run.name = "responses";
    for (const PromptCase& c : e.prompts) {
      EDGERT_ASSIGN_OR_RETURN(Outcome outcome, Score(e.settings.format, c.reference));
      run.Add(std::move(outcome));
    }
    e.runs.push_back(std::move(run));
  } else {
    EDGERT_RETURN_IF_ERROR(GenerateRuns(o, prompts, e));
  }
  if (o.checker == "mermaid-js") EDGERT_RETURN_IF_ERROR(DecideWithMermaidJs(o, e));
  std::fputs(SummaryTable(e).c_str(), stdout);
  if (!o.json_out.empty()) EDGERT_RETURN_IF_ERROR(WriteText(o.json_out, JsonReport(e)));
  if (!o.report_out.empty()) {
    EDGERT_ASSIGN_OR_RETURN(std::string html, HtmlReport(e, losses));
    EDGERT_RETURN_IF_ERROR(WriteText(o.report_out, html));
  }
  return OkStatus();
}

int Main(int argc, char** argv) {
  CLI::App app{"edge-eval: valid-diagram rates of a model's outputs, base against tuned"};
  EvalOptions o;
  app.add_option("--model,-m", o.model, "model file (.etm)");
  app.add_option("--lora", o.lora, "LoRA adapter A.eta[:SCALE] (repeatable; stacked): the tuned run");
  app.add_option("--prompts", o.prompts, "JSONL or JSON array: {instruction[, response]}, {prompt} or {messages}")->required();
  app.add_option("--format", o.format, "mermaid or dot")->required();
  app.add_flag("--grammar", o.grammar, "constrain decoding with the format's grammar");
  app.add_option("--checker", o.checker,
                 "who decides validity: grammar (default; the built-in checker) or, for mermaid, mermaid-js "
                 "(mermaid's parser under node; the grammar's verdict is shown beside it)");
  app.add_option("--node-modules", o.node_modules, "with --checker mermaid-js: a node_modules folder with mermaid and jsdom")
      ->capture_default_str();
  app.add_flag("--compare-base", o.compare_base, "with --lora: also run the base model and compare");
  app.add_flag("--responses", o.responses, "score the prompt file's own responses instead of generating");
  app.add_option("--max-tokens,-n", o.max_tokens, "tokens to generate at most per prompt")->check(cli::PositiveInteger());
  app.add_option("--threads,-t", o.threads, "threads (default: one per performance core)")->check(cli::NonNegativeInteger());
  app.add_option("--seed", o.sampling.seed, "seed for sampling (with --temperature)")->check(cli::Unsigned64());
  app.add_option("--temperature", o.sampling.temperature, "0 = greedy (default)");
  auto* system = app.add_option("--system", o.system, "system prompt (default: the model's)");
  app.add_option("--limit", o.limit, "only the first N prompts")->check(cli::NonNegativeInteger());
  app.add_option("--json", o.json_out, "write every prompt, output, verdict and error position (JSON)");
  app.add_option("--report", o.report_out, "write one self-contained HTML report");
  app.add_option("--training-log", o.training_log, "edge-tune --json-log output: the report's loss curve");
  app.add_flag("--force", o.force, cli::kForceHelp);
  if (auto exit_code = cli::Parse(app, argc, argv)) return *exit_code;
  if (auto threads = ThreadCount(o.threads); !threads.ok()) {
    return cli::Fail(threads.status().WithContext("--threads " + std::to_string(o.threads)));
  }
  o.have_system = system->count() > 0;
  for (const auto& [path, flag] : {std::pair{o.report_out, "--report"}, std::pair{o.json_out, "--json"}}) {
    if (Status st = cli::CheckOutputPath(path, flag, cli::ExistingOutputs(o.force), {o.prompts, o.model, o.training_log}); !st.ok()) {
      return cli::Fail(st);
    }
  }
  if (Status st = Evaluate(o); !st.ok()) return cli::Fail(st);
  return 0;
}

}  // namespace
}  // namespace edgert::eval

int main(int argc, char** argv) { return edgert::cli::RunTool(edgert::eval::Main, argc, argv); }
