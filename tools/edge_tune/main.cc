// edge-tune: LoRA fine-tuning of a model file on JSON / JSONL examples.
//
//   edge-tune --model M --data FILE [--val FILE | --val-split F] --out ADAPTER.eta [options]
//   edge-tune --model M --data FILE [options] --plan [--json]    the memory plan, nothing run
//
// --budget (default: a share of the memory available) bounds the peak
// resident memory: the plan (runtime/train/train_planner.h) picks the loss
// chunk, weight streaming and, unless --max-seq-len is given, the sequence
// length to fit, or the job stops before reading data, naming the minimum.
// Writes ADAPTER.eta (bound to M) at the end, a checkpoint (ADAPTER.eta.ckpt,
// or --checkpoint) every --save-every steps, at the end and on Ctrl-C or
// SIGTERM; --resume CKPT continues the same run. Every file is written
// atomically: an error or a kill never damages what was already saved.
#include <CLI/CLI.hpp>
#include <pthreadpool.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include "ports/cpu.h"
#include "ports/stop_signal.h"
#include "runtime/model/session.h"
#include "runtime/thread_count.h"
#include "runtime/tokenizer/tokenizer.h"
#include "runtime/train/adapter_io.h"
#include "runtime/train/peft_io.h"
#include "runtime/train/tune_job.h"
#include "tools/common/cli.h"
#include "tools/common/memory_plan.h"
#include "tools/edge_tune/progress.h"

namespace edgert {
namespace {

namespace fs = std::filesystem;

// The outputs, checked before hours of training, not after, by the rule every
// tool follows (cli::CheckOutputPath). A resumed run is the one exception: it
// goes on writing the checkpoint it resumed from and appends to its --json-log.
Status CheckOutputs(TuneOptions& o, cli::Existing existing) {
  namespace fs = std::filesystem;
  const std::vector<std::string> inputs = {o.model, o.data, o.val, o.replay, o.init_adapter};
  EDGERT_RETURN_IF_ERROR(cli::CheckOutputPath(o.out, "--out", existing, inputs));
  const char* checkpoint_flag = o.checkpoint.empty() ? "the checkpoint" : "--checkpoint";
  if (o.checkpoint.empty()) o.checkpoint = o.out + ".ckpt";
  std::error_code ec;
  const bool resumes_own_checkpoint = !o.resume.empty() && fs::equivalent(o.resume, o.checkpoint, ec) && !ec;
  std::vector<std::string> checkpoint_inputs = inputs;
  if (!resumes_own_checkpoint) checkpoint_inputs.push_back(o.resume);
  EDGERT_RETURN_IF_ERROR(cli::CheckOutputPath(o.checkpoint, checkpoint_flag, cli::Existing::kReplace, checkpoint_inputs));
  // A previous run's checkpoint: a fresh run would silently throw it away.
  if (existing == cli::Existing::kRefuse && !resumes_own_checkpoint && fs::exists(fs::symlink_status(o.checkpoint, ec))) {
    return InvalidArgument(std::string(checkpoint_flag) + " " + o.checkpoint +
                           ": exists, from an earlier run (continue it with --resume " + o.checkpoint +
                           ", or pass --force to start over)");
  }
  EDGERT_RETURN_IF_ERROR(cli::CheckOutputPath(o.json_log, "--json-log", o.resume.empty() ? existing : cli::Existing::kReplace,
                                              inputs));
  EDGERT_RETURN_IF_ERROR(cli::CheckOutputFolder(o.export_peft, "--export-peft", existing,
                                                {"adapter_model.safetensors", "adapter_config.json"}, inputs));
  return OkStatus();
}

int Tune(TuneOptions& o, const cli::PlanOutput& plan_output, cli::Existing existing) {
  if (o.out.empty() && !plan_output.plan) return cli::Fail(InvalidArgument("--out is required"));
  if (!plan_output.plan) {
    if (Status st = CheckOutputs(o, existing); !st.ok()) return cli::Fail(st);
  }
  auto budget = cli::ResolveBudget(o.budget);
  if (!budget.ok()) return cli::Fail(budget.status());
  auto schedule = ParseSchedule(o.schedule);
  if (!schedule.ok()) return cli::Fail(schedule.status());
  o.trainer.schedule = *schedule;
  o.trainer.shuffle = !o.no_shuffle;
  o.trainer.checkpoint_path = o.checkpoint;

  auto model = Model::Open(o.model);
  if (!model.ok()) return cli::Fail(model.status());
  const int64_t context = (*model)->config().max_position_embeddings;
  if (!o.explicit_max_seq_len) o.max_seq_len = std::min<int64_t>(o.max_seq_len, context);
  if (o.max_seq_len > context) {
    return cli::Fail(InvalidArgument("--max-seq-len " + std::to_string(o.max_seq_len) + " is longer than " + o.model +
                                     "'s context of " + std::to_string(context) + " tokens"));
  }
  auto adapter = StartingAdapter(**model, o);
  if (!adapter.ok()) return cli::Fail(adapter.status());
  // The plan, before any data is read: an impossible budget stops here.
  auto plan = PlanTuneJob(**model, o, *adapter, *budget);
  if (!plan.ok()) return cli::Fail(plan.status().WithContext(budget->source));
  if (plan_output.plan) return cli::PrintPlan(*plan, *budget, plan_output.json);
  cli::PrintPlanNotes(*plan, *budget);
  UsePlan(*plan, o);
  auto data = LoadTuneData(**model, o);
  if (!data.ok()) return cli::Fail(data.status());
  auto trainer = Trainer::Create(*model, std::move(*adapter), std::move(data->train), std::move(data->val), o.trainer);
  if (!trainer.ok()) return cli::Fail(trainer.status());
  if (!o.resume.empty()) {
    if (Status st = trainer->Resume(o.resume); !st.ok()) return cli::Fail(st);
  }
  // Once nothing can fail any more before training: a note is not an error line.
  if (Status st = trainer->LockMemory(); !st.ok()) std::fprintf(stderr, "note: %s\n", st.message().c_str());
  std::fputs(data->report.c_str(), stderr);
  if (!o.resume.empty()) {
    std::fprintf(stderr, "resuming %s at step %lld\n", o.resume.c_str(), static_cast<long long>(trainer->step()));
  }
  std::fprintf(stderr, "%lld steps (%lld warm-up), LoRA r=%d alpha=%g, %lld trainable parameters\n",
               static_cast<long long>(trainer->total_steps()), static_cast<long long>(trainer->warmup_steps()),
               trainer->adapter().config.rank, static_cast<double>(trainer->adapter().config.alpha),
               static_cast<long long>(trainer->adapter().ParameterCount()));
  auto progress = Progress::Create(o.json_log, !o.resume.empty(), budget->bytes);
  if (!progress.ok()) return cli::Fail(progress.status());

  // o.threads was checked by ThreadCount when the options were read.
  std::unique_ptr<pthreadpool, decltype(&pthreadpool_destroy)> pool(pthreadpool_create(*ThreadCount(o.threads)),
                                                                   pthreadpool_destroy);
  ports::CatchStopSignals();
  auto summary = trainer->Run(
      pool.get(), [&](const StepReport& r) { progress->OnStep(r); }, [] { return ports::StopRequested(); });
  if (!summary.ok()) return cli::Fail(summary.status());
  if (summary->interrupted) {
    progress->Finish(*summary, "");
    std::fprintf(stderr, "checkpoint at step %lld: %s (continue with the same command and --resume %s)\n",
                 static_cast<long long>(summary->steps), o.checkpoint.c_str(), o.checkpoint.c_str());
    return 128 + ports::StopSignal();
  }
  if (Status st = SaveAdapter(o.out, trainer->adapter(), (*model)->file()); !st.ok()) return cli::Fail(st);
  if (!o.export_peft.empty()) {
    const std::string base_name = (*model)->file().metadata().source.empty() ? o.model : (*model)->file().metadata().source;
    if (Status st = ExportPeft(o.export_peft, trainer->adapter(), base_name); !st.ok()) return cli::Fail(st);
  }
  progress->Finish(*summary, o.out);
  if (!o.export_peft.empty()) std::fprintf(stderr, "PEFT adapter: %s\n", o.export_peft.c_str());
  return 0;
}

int Run(int argc, char** argv) {
  CLI::App app{"edge-tune: LoRA fine-tuning of an edge-rt model"};
  TuneOptions o;
  TrainerOptions& t = o.trainer;
  app.add_option("--model,-m", o.model, "base model file (.etm)")->required();
  app.add_option("--data", o.data, "training examples: JSON array or JSONL")->required();
  auto* val = app.add_option("--val", o.val, "validation examples");
  app.add_option("--val-split", o.val_split, "hold out this fraction of --data for validation")->excludes(val);
  app.add_option("--out,-o", o.out, "the adapter to write (.eta); required unless --plan");
  app.add_option("--checkpoint", o.checkpoint, "where checkpoints go (default: OUT.ckpt)");
  app.add_option("--budget", o.budget, "peak memory the job may use (e.g. 1.5GB; default: 80% of what is available)")->check(cli::NonEmpty());
  cli::PlanOutput plan_output;
  app.add_flag("--plan", plan_output.plan, "print the memory plan and exit");
  app.add_flag("--json", plan_output.json, "with --plan: one JSON object");
  auto* r = app.add_option("--lora-r", o.lora_r, "LoRA rank");
  auto* alpha = app.add_option("--lora-alpha", o.lora_alpha, "LoRA alpha");
  auto* dropout = app.add_option("--lora-dropout", o.lora_dropout, "LoRA dropout on each adapted layer's input, as PEFT's lora_dropout");
  app.add_flag("--rslora", o.rslora, "scale alpha/sqrt(r) instead of alpha/r");
  auto* targets = app.add_option("--targets", o.targets, "q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj or all");
  auto* epochs = app.add_option("--epochs", t.epochs, "passes over the data")->check(cli::PositiveInteger());
  app.add_option("--max-steps", t.max_steps, "optimizer steps (instead of --epochs)")->check(cli::PositiveInteger())->excludes(epochs);
  app.add_option("--batch", t.batch, "sequences per micro-batch")->check(cli::PositiveInteger());
  app.add_option("--grad-accum", t.grad_accum, "micro-batches per optimizer step")->check(cli::PositiveInteger());
  app.add_option("--lr", t.lr, "peak learning rate");
  app.add_option("--schedule", o.schedule, "cosine, linear or constant");
  auto* ratio = app.add_option("--warmup-ratio", t.warmup_ratio, "warm-up as a fraction of the steps");
  app.add_option("--warmup-steps", t.warmup_steps, "warm-up steps")->check(cli::NonNegativeInteger())->excludes(ratio);
  app.add_option("--weight-decay", t.weight_decay, "AdamW decoupled weight decay");
  app.add_option("--max-grad-norm", t.max_grad_norm, "clip the global gradient norm (0: off)");
  auto* seq = app.add_option("--max-seq-len", o.max_seq_len, "truncate examples to this many tokens")->check(cli::PositiveInteger());
  app.add_option("--seed", t.seed, "seed for the adapter, the shuffle and the split")->check(cli::Unsigned64());
  app.add_option("--eval-every", t.eval_every, "validation loss every N steps (and at the end)")->check(cli::NonNegativeInteger());
  app.add_option("--early-stop-patience", t.early_stop_patience, "stop after N evaluations without improvement")
      ->check(cli::NonNegativeInteger());
  app.add_option("--save-every", t.save_every, "checkpoint every N steps (and at the end)")->check(cli::NonNegativeInteger());
  app.add_option("--resume", o.resume, "continue from this checkpoint");
  app.add_option("--init-adapter", o.init_adapter, "start from this adapter (PEFT folder or .eta)");
  app.add_option("--export-peft", o.export_peft, "also write a PEFT adapter folder");
  auto* system = app.add_option("--system", o.system, "system prompt (default: the model's)");
  app.add_flag("--train-on-prompt", o.train_on_prompt, "loss on every token, not only the assistant's");
  app.add_flag("--skip-bad-lines", o.skip_bad_lines, "skip malformed records (counted) instead of failing");
  app.add_option("--replay", o.replay, "older examples to mix in");
  app.add_option("--replay-ratio", o.replay_ratio, "share of replayed examples in the training set");
  app.add_option("--threads,-t", o.threads, "threads (default: one per performance core)")->check(cli::NonNegativeInteger());
  app.add_option("--json-log", o.json_log, "one JSON object per step");
  app.add_flag("--no-shuffle", o.no_shuffle, "take examples in file order");
  bool force = false;
  app.add_flag("--force", force, "replace an existing --out, checkpoint, --json-log or --export-peft (never an input)");
  if (auto exit_code = cli::Parse(app, argc, argv)) return *exit_code;
  if (auto threads = ThreadCount(o.threads); !threads.ok()) {
    return cli::Fail(threads.status().WithContext("--threads " + std::to_string(o.threads)));
  }
  o.have_system = system->count() > 0;
  o.explicit_rank = r->count() > 0;
  o.explicit_alpha = alpha->count() > 0;
  o.explicit_dropout = dropout->count() > 0;
  o.explicit_targets = targets->count() > 0;
  o.explicit_max_seq_len = seq->count() > 0;
  if (plan_output.json && !plan_output.plan) return cli::Fail(InvalidArgument("--json needs --plan"));
  return Tune(o, plan_output, cli::ExistingOutputs(force));
}

}  // namespace
}  // namespace edgert

int main(int argc, char** argv) { return edgert::cli::RunTool(edgert::Run, argc, argv); }
