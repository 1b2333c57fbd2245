// capi/train_api.cc: edgert_trainer_*: LoRA fine-tuning with edge-tune's
// options and setup (runtime/train/tune_job.h), driven from C.
#include <cmath>
#include <cstring>
#include <limits>

#include "capi/c_status.h"
#include "capi/edgert.h"
#include "capi/handles.h"
#include "capi/objects.h"
#include "ports/process_stats.h"
#include "runtime/memory/planner.h"
#include "runtime/thread_count.h"
#include "runtime/train/adapter_io.h"
#include "runtime/train/peft_io.h"
#include "runtime/train/tune_job.h"

using namespace edgert;
using namespace edgert::capi;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::string Str(const char* s) { return s ? std::string(s) : std::string(); }

// edgert_train_options as edge-tune's TuneOptions; a setting the C caller left
// at its default counts as not given (so --init-adapter's own settings rule).
Result<TuneOptions> ToTuneOptions(const Model& model, const edgert_train_options& c) {
  const edgert_train_options d = edgert_train_options_default();
  TuneOptions o;
  o.data = Str(c.data_path);
  o.val = Str(c.val_path);
  o.val_split = c.val_split;
  o.replay = Str(c.replay_path);
  o.replay_ratio = c.replay_ratio;
  o.init_adapter = Str(c.init_adapter);
  o.have_system = c.system_prompt != nullptr;
  o.system = Str(c.system_prompt);
  o.lora_r = c.lora_r;
  o.lora_alpha = c.lora_alpha;
  o.lora_dropout = c.lora_dropout;
  o.rslora = c.rslora != 0;
  o.targets = c.targets ? c.targets : "all";
  o.explicit_rank = c.lora_r != d.lora_r;
  o.explicit_alpha = c.lora_alpha != d.lora_alpha;
  o.explicit_dropout = c.lora_dropout != d.lora_dropout;
  o.explicit_targets = c.targets != nullptr && std::strcmp(c.targets, "all") != 0;
  const int64_t context = model.config().max_position_embeddings;
  if (c.max_seq_len < 0) return InvalidArgument("max_seq_len is negative");
  o.max_seq_len = c.max_seq_len > 0 ? c.max_seq_len : std::min<int64_t>(1024, context);
  o.explicit_max_seq_len = c.max_seq_len > 0;
  if (o.max_seq_len > context) {
    return InvalidArgument("max_seq_len " + std::to_string(o.max_seq_len) + " is longer than the model's context of " +
                           std::to_string(context) + " tokens");
  }
  o.train_on_prompt = c.train_on_prompt != 0;
  o.skip_bad_lines = c.skip_bad_lines != 0;
  if (auto threads = ThreadCount(c.threads); !threads.ok()) {
    return threads.status().WithContext("threads " + std::to_string(c.threads));
  }
  o.threads = c.threads;
  TrainerOptions& t = o.trainer;
  if (c.epochs <= 0 || c.batch <= 0 || c.grad_accum <= 0 || c.max_steps < 0) {
    return InvalidArgument("epochs, batch and grad_accum must be positive, max_steps not negative");
  }
  if (c.eval_every < 0 || c.early_stop_patience < 0 || c.save_every < 0) {
    return InvalidArgument("eval_every, early_stop_patience and save_every must not be negative");
  }
  t.epochs = c.epochs;
  t.max_steps = c.max_steps;
  t.batch = c.batch;
  t.grad_accum = c.grad_accum;
  t.lr = c.lr;
  EDGERT_ASSIGN_OR_RETURN(t.schedule, ParseSchedule(c.schedule ? c.schedule : "linear"));
  t.warmup_ratio = c.warmup_ratio;
  t.warmup_steps = c.warmup_steps;
  t.weight_decay = c.weight_decay;
  t.max_grad_norm = c.max_grad_norm;
  t.seed = c.seed;
  t.shuffle = c.shuffle != 0;
  t.eval_every = c.eval_every;
  t.early_stop_patience = c.early_stop_patience;
  t.save_every = c.save_every;
  t.checkpoint_path = Str(c.checkpoint_path);
  return o;
}

// In-memory examples as the records a data file would hold.
Result<JsonRecords> ExampleRecords(const edgert_train_example* examples, size_t count) {
  JsonRecords records;
  for (size_t i = 0; i < count; ++i) {
    const std::string where = "examples[" + std::to_string(i) + "]";
    if (examples[i].response == nullptr) return InvalidArgument(where + ": response is NULL");
    nlohmann::json j = examples[i].prompt ? nlohmann::json{{"instruction", examples[i].prompt}, {"response", examples[i].response}}
                                          : nlohmann::json{{"text", examples[i].response}};
    records.records.push_back({std::move(j), where});
  }
  return records;
}

double Or(const std::optional<double>& v) { return v ? *v : kNaN; }

#define EDGERT_C_CLAIM_TRAINER(trainer, t, guard)                \
  std::shared_ptr<TrainerObject> t;                              \
  EDGERT_C_RETURN_IF_ERROR(Get(trainer, Kind::kTrainer, &t));    \
  BusyGuard guard(t->busy);                                      \
  EDGERT_C_RETURN_IF_ERROR(guard.status("the trainer"))

}  // namespace

extern "C" {

edgert_train_options edgert_train_options_default(void) {
  // edge-tune's defaults (runtime/train/tune_job.h, trainer.h).
  const TuneOptions o;
  edgert_train_options c;
  std::memset(&c, 0, sizeof(c));
  c.struct_size = sizeof(c);
  c.replay_ratio = o.replay_ratio;
  c.lora_r = o.lora_r;
  c.lora_alpha = o.lora_alpha;
  c.lora_dropout = o.lora_dropout;
  c.epochs = o.trainer.epochs;
  c.batch = o.trainer.batch;
  c.grad_accum = o.trainer.grad_accum;
  c.lr = o.trainer.lr;
  c.warmup_ratio = o.trainer.warmup_ratio;
  c.warmup_steps = o.trainer.warmup_steps;
  c.weight_decay = o.trainer.weight_decay;
  c.max_grad_norm = o.trainer.max_grad_norm;
  c.seed = o.trainer.seed;
  c.shuffle = o.trainer.shuffle ? 1 : 0;
  return c;
}

edgert_status edgert_trainer_create(edgert_model model, const edgert_train_options* options,
                                    const edgert_train_example* examples, size_t count, edgert_trainer* out_trainer) {
  return Call([&] {
    if (out_trainer == nullptr) return Fail(EDGERT_ERR_INVALID_ARGUMENT, "edgert_trainer_create: out_trainer is NULL");
    *out_trainer = nullptr;
    std::shared_ptr<const ModelObject> m;
    EDGERT_C_RETURN_IF_ERROR(Get(model, Kind::kModel, &m));
    if (options == nullptr) return Fail(EDGERT_ERR_INVALID_ARGUMENT, "edgert_trainer_create: options is NULL");
    if (options->struct_size != sizeof(edgert_train_options)) {
      return Fail(EDGERT_ERR_INVALID_ARGUMENT, "edgert_train_options.struct_size is " + std::to_string(options->struct_size) +
                                                   ", expected " + std::to_string(sizeof(edgert_train_options)) +
                                                   " (fill it with edgert_train_options_default())");
    }
    if (count > 0 && examples == nullptr) return Fail(EDGERT_ERR_INVALID_ARGUMENT, "examples is NULL with count > 0");
    if ((count > 0) == (options->data_path != nullptr)) {
      return Fail(EDGERT_ERR_INVALID_ARGUMENT, "give either options->data_path or examples in memory, not both or neither");
    }
    auto tune = ToTuneOptions(*m->model, *options);
    if (!tune.ok()) return FromStatus(tune.status());
    JsonRecords records;
    if (count > 0) {
      auto made = ExampleRecords(examples, count);
      if (!made.ok()) return FromStatus(made.status());
      records = std::move(*made);
      tune->data = "examples";
      tune->data_records = &records;
    }
    auto adapter = StartingAdapter(*m->model, *tune);
    if (!adapter.ok()) return FromStatus(adapter.status());
    // The memory plan (as edge-tune's), before the data is read; budget 0: none.
    BudgetChoice budget;
    budget.bytes = options->budget_bytes;
    budget.named = budget.bytes > 0;
    auto plan = PlanTuneJob(*m->model, *tune, *adapter, budget);
    if (!plan.ok()) return FromStatus(plan.status().WithContext("budget_bytes"));
    UsePlan(*plan, *tune);
    auto data = LoadTuneData(*m->model, *tune);
    if (!data.ok()) return FromStatus(data.status());
    auto trainer = Trainer::Create(m->model, std::move(*adapter), std::move(data->train), std::move(data->val), tune->trainer);
    if (!trainer.ok()) return FromStatus(trainer.status());
    std::shared_ptr<TrainerObject> object(new TrainerObject{m, MakePool(tune->threads), std::move(*trainer)});  // see SessionObject
    *out_trainer = MakeHandle<edgert_trainer>(Kind::kTrainer, std::move(object));
    return EDGERT_OK;
  });
}

edgert_status edgert_trainer_destroy(edgert_trainer trainer) {
  return Call([&] { return Unregister(reinterpret_cast<uintptr_t>(trainer), Kind::kTrainer); });
}

edgert_status edgert_trainer_resume(edgert_trainer trainer, const char* checkpoint_path) {
  return Call([&] {
    EDGERT_C_CLAIM_TRAINER(trainer, t, guard);
    if (checkpoint_path == nullptr) return Fail(EDGERT_ERR_INVALID_ARGUMENT, "edgert_trainer_resume: checkpoint_path is NULL");
    return FromStatus(t->trainer.Resume(checkpoint_path));
  });
}

edgert_status edgert_trainer_run(edgert_trainer trainer, edgert_progress_callback callback, void* user_data,
                                 edgert_train_summary* summary) {
  return Call([&] {
    EDGERT_C_CLAIM_TRAINER(trainer, t, guard);
    auto on_step = [&](const StepReport& r) {
      if (callback == nullptr) return;
      const ports::MemoryStats mem = ports::ReadMemoryStats();
      edgert_train_progress p;
      p.step = r.step;
      p.total_steps = r.total_steps;
      p.epoch = r.epoch;
      p.loss = r.loss;
      p.eval_loss = Or(r.eval_loss);
      p.learning_rate = r.lr;
      p.tokens_per_second = r.seconds > 0 ? static_cast<double>(r.tokens) / r.seconds : 0.0;
      p.resident_bytes = mem.resident_bytes;
      p.peak_resident_bytes = mem.peak_resident_bytes;
      if (callback(&p, user_data) != 0) t->cancel.store(true);
    };
    auto result = t->trainer.Run(t->pool.get(), on_step, [&] { return t->cancel.load(); });
    t->cancel.store(false);  // consumed: the next run goes on
    if (!result.ok()) return FromStatus(result.status());
    if (summary != nullptr) {
      summary->steps = result->steps;
      summary->steps_this_run = result->steps_this_run;
      summary->first_loss = Or(result->first_loss);
      summary->last_loss = Or(result->last_loss);
      summary->best_eval_loss = Or(result->best_eval);
      summary->stopped_early = result->stopped_early ? 1 : 0;
      summary->tokens_this_run = result->tokens_this_run;
      summary->seconds_this_run = result->seconds_this_run;
    }
    if (result->interrupted) return Fail(EDGERT_CANCELLED, "training stopped at step " + std::to_string(result->steps));
    return EDGERT_OK;
  });
}

edgert_status edgert_trainer_cancel(edgert_trainer trainer) {
  return Call([&] {
    std::shared_ptr<TrainerObject> t;
    EDGERT_C_RETURN_IF_ERROR(Get(trainer, Kind::kTrainer, &t));
    t->cancel.store(true);
    return EDGERT_OK;
  });
}

edgert_status edgert_trainer_save(edgert_trainer trainer, const char* adapter_path) {
  return Call([&] {
    EDGERT_C_CLAIM_TRAINER(trainer, t, guard);
    if (adapter_path == nullptr) return Fail(EDGERT_ERR_INVALID_ARGUMENT, "edgert_trainer_save: adapter_path is NULL");
    return FromStatus(SaveAdapter(adapter_path, t->trainer.adapter(), t->model->model->file()));
  });
}

edgert_status edgert_trainer_export_peft(edgert_trainer trainer, const char* folder) {
  return Call([&] {
    EDGERT_C_CLAIM_TRAINER(trainer, t, guard);
    if (folder == nullptr) return Fail(EDGERT_ERR_INVALID_ARGUMENT, "edgert_trainer_export_peft: folder is NULL");
    const ModelFile& file = t->model->model->file();
    return FromStatus(ExportPeft(folder, t->trainer.adapter(), file.metadata().source.empty() ? file.path() : file.metadata().source));
  });
}

edgert_status edgert_trainer_get_adapter(edgert_trainer trainer, edgert_adapter* out_adapter) {
  return Call([&] {
    if (out_adapter == nullptr) return Fail(EDGERT_ERR_INVALID_ARGUMENT, "edgert_trainer_get_adapter: out_adapter is NULL");
    *out_adapter = nullptr;
    EDGERT_C_CLAIM_TRAINER(trainer, t, guard);
    auto object = std::make_shared<const AdapterObject>(
        AdapterObject{t->model, std::make_shared<const LoraAdapter>(t->trainer.adapter())});
    *out_adapter = MakeHandle<edgert_adapter>(Kind::kAdapter, std::move(object));
    return EDGERT_OK;
  });
}

}  // extern "C"
