// tools/edge_run/generate_cli.cc: --prompt, --chat and batch generation.
#include "tools/edge_run/generate_cli.h"

#include <unistd.h>

#include <cstdio>
#include <iostream>

#include "ports/output_file.h"
#include "runtime/generate/chat.h"
#include "runtime/generate/generator.h"
#include "tools/common/batch_io.h"
#include "tools/common/cli.h"
#include "tools/common/generation.h"

namespace edgert {
namespace {

cli::GenerationRequest RequestFor(const RunOptions& o) {
  cli::GenerationRequest r;
  r.sampling = o.sampling;
  r.max_tokens = o.max_tokens;
  r.stop = o.stop;
  r.grammar = o.grammar;
  if (o.have_system) r.system = o.system;
  return r;
}

Result<cli::GenerationSetup> Prepare(const Model& model, const RunOptions& o) {
  return cli::PrepareGeneration(model, RequestFor(o));
}

SessionOptions SessionFor(const Model&, const RunOptions& o) { return o.session; }

bool Print(std::string_view piece) {
  std::fwrite(piece.data(), 1, piece.size(), stdout);
  std::fflush(stdout);
  return true;
}

}  // namespace

int RunPrompt(std::shared_ptr<const Model> model, const RunOptions& o, pthreadpool_t pool) {
  auto setup = Prepare(*model, o);
  if (!setup.ok()) return cli::Fail(setup.status().WithContext(o.model));
  const std::vector<ChatMessage> messages = {{"user", o.prompt}};
  const std::string text = o.raw ? o.prompt : RenderChatML(messages, setup->system, true);
  const std::vector<int32_t> ids = setup->tokenizer.Encode(text);
  auto session = Session::Create(model, SessionFor(*model, o), pool);
  if (!session.ok()) return cli::Fail(session.status());
  session->SetProjectionDelta(o.adapters);
  Sampler sampler(o.sampling);
  auto r = Generate(*session, setup->tokenizer, ids, setup->options, sampler, Print);
  if (!r.ok()) return cli::Fail(r.status());
  std::printf("\n");
  // The budget was checked up front; a full context or a stop string can
  // still end a constrained text early, and that is said, not left silent.
  if (const TokenConstraint* c = setup->options.constraint; c != nullptr && !c->accepting()) {
    std::fflush(stdout);
    return cli::Fail(InvalidArgument("the output is not a complete text of the grammar " + c->grammar().source_name +
                                     ": generation stopped (" + StopReasonName(r->reason) + ") at least " +
                                     std::to_string(c->min_bytes()) + " bytes before its end"));
  }
  return 0;
}

int RunChat(std::shared_ptr<const Model> model, const RunOptions& o, pthreadpool_t pool) {
  auto setup = Prepare(*model, o);
  if (!setup.ok()) return cli::Fail(setup.status().WithContext(o.model));
  auto session = Session::Create(model, SessionFor(*model, o), pool);
  if (!session.ok()) return cli::Fail(session.status());
  session->SetProjectionDelta(o.adapters);
  Sampler sampler(o.sampling);
  const bool interactive = ::isatty(STDIN_FILENO) != 0;
  std::string pending_close;  // "<|im_end|>\n" owed after an assistant turn
  std::string line;
  bool first = true;
  int refused = 0;
  for (int64_t message = 1;; ++message) {
    if (interactive) std::fputs("> ", stdout), std::fflush(stdout);
    if (!std::getline(std::cin, line)) break;
    if (line.empty()) continue;
    // Only the new turn is tokenized; the cache already holds the rest.
    std::string turn = pending_close;
    if (first) turn += "<|im_start|>system\n" + setup->system + "<|im_end|>\n";
    turn += "<|im_start|>user\n" + line + "<|im_end|>\n<|im_start|>assistant\n";
    const std::vector<int32_t> ids = setup->tokenizer.Encode(turn);
    // A message the context cannot hold is refused on its own: the cache is
    // untouched (nothing of it ran), so the conversation goes on without it.
    if (session->position() + static_cast<int64_t>(ids.size()) >= session->context_length()) {
      std::fflush(stdout);
      std::fprintf(stderr, "error: message %lld: %zu tokens do not fit the %lld context positions left; not sent\n",
                   static_cast<long long>(message), ids.size(),
                   static_cast<long long>(session->context_length() - session->position()));
      ++refused;
      continue;
    }
    first = false;
    auto r = Generate(*session, setup->tokenizer, ids, setup->options, sampler, Print);
    if (!r.ok()) return cli::Fail(r.status());
    std::printf("\n");
    pending_close = "<|im_end|>\n";
  }
  // Scripts feeding the chat learn that a message was dropped.
  return refused == 0 ? 0 : 1;
}

int RunBatch(std::shared_ptr<const Model> model, const RunOptions& o, pthreadpool_t pool) {
  auto items = ReadBatchFile(o.input);
  if (!items.ok()) return cli::Fail(items.status());
  auto setup = Prepare(*model, o);
  if (!setup.ok()) return cli::Fail(setup.status().WithContext(o.model));
  auto session = Session::Create(model, SessionFor(*model, o), pool);
  if (!session.ok()) return cli::Fail(session.status());
  session->SetProjectionDelta(o.adapters);
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (size_t i = 0; i < items->size(); ++i) {
    BatchItem& item = (*items)[i];
    const std::string text = o.raw && !item.raw_prompt.empty() ? item.raw_prompt
                                                               : RenderChatML(item.messages, setup->system, true);
    auto r = cli::GenerateFresh(*session, *setup, text);  // each item reproducible on its own
    if (!r.ok()) return cli::Fail(r.status().WithContext(o.input + ": item " + std::to_string(i + 1)));
    item.original["generated_output"] = r->text;
    out.push_back(std::move(item.original));
    std::fprintf(stderr, "\r%zu/%zu", i + 1, items->size());
  }
  std::fprintf(stderr, "\n");
  const std::string json = out.dump(2) + "\n";
  if (Status st = ports::WriteFileAtomically(o.output, std::as_bytes(std::span(json.data(), json.size()))); !st.ok()) {
    return cli::Fail(st);
  }
  return 0;
}

}  // namespace edgert
