// runtime/train/tune_job.cc: the setup of a fine-tuning job, shared by
// edge-tune and the C API.
#include "runtime/train/tune_job.h"

#include <filesystem>

#include "runtime/model/weight_stream.h"
#include "runtime/train/adapter_io.h"
#include "runtime/train/peft_io.h"

namespace edgert {
namespace {

namespace fs = std::filesystem;

// What became of a data file, reported once the whole setup has succeeded
// (so an error stays the one line on stderr).
std::string DataStats(const std::string& path, const Dataset& d) {
  std::string s = path + ": " + std::to_string(d.examples.size()) + " examples, " +
                  std::to_string(d.CountedTokens()) + " trained tokens";
  if (d.stats.truncated > 0) {
    s += "; " + std::to_string(d.stats.truncated) + " truncated (" + std::to_string(d.stats.truncated_tokens) +
         " tokens cut)";
  }
  if (d.stats.no_target > 0) {
    s += "; " + std::to_string(d.stats.no_target) + " dropped (nothing to train on within --max-seq-len)";
  }
  if (d.stats.skipped > 0) s += "; " + std::to_string(d.stats.skipped) + " bad records skipped";
  s += "\n";
  for (const std::string& m : d.stats.skipped_messages) s += "  skipped: " + m + "\n";
  return s;
}

}  // namespace

Result<TrainingPlan> PlanTuneJob(const Model& model, const TuneOptions& o, const LoraAdapter& start,
                                 const BudgetChoice& budget) {
  TrainingRequest r;
  r.budget_bytes = budget.bytes;
  r.budget_named = budget.named;
  r.weight_bytes = model.weights().bytes;
  r.stream_window_bytes = WeightStream::WindowBytes(model.weights());
  r.stream_resident_bytes = WeightStream::ResidentBytes(model.weights());
  const TokenizerSpec& spec = model.file().metadata().tokenizer;
  r.tokenizer_entries = spec.vocab.size() + spec.merges.size();
  for (const std::string* path : {&o.data, &o.val, &o.replay}) {
    if (path->empty() || (path == &o.data && o.data_records != nullptr)) continue;
    std::error_code ec;
    const uintmax_t size = fs::file_size(*path, ec);
    if (!ec) r.data_bytes += size;  // a missing file is reported when it is read
  }
  r.lora_parameters = start.ParameterCount();
  r.rank = start.config.rank;
  r.dropout = start.config.dropout > 0;
  r.max_seq_len = o.max_seq_len;
  r.fixed_max_seq_len = o.explicit_max_seq_len;
  return PlanTraining(model.config(), r);
}

void UsePlan(const TrainingPlan& plan, TuneOptions& o) {
  o.max_seq_len = plan.graph.max_tokens;
  o.trainer.loss_rows = plan.graph.loss_rows;
  o.trainer.stream_weights = plan.graph.stream_weights;
  o.trainer.saved_layers = plan.graph.saved_layers;
}

Result<TuneData> LoadTuneData(const Model& model, const TuneOptions& o) {
  EDGERT_ASSIGN_OR_RETURN(Tokenizer tokenizer, Tokenizer::Create(model.file().metadata().tokenizer));
  DatasetOptions d;
  d.system_prompt = o.have_system ? o.system : model.file().metadata().chat.default_system_prompt;
  d.train_on_prompt = o.train_on_prompt;
  d.max_seq_len = o.max_seq_len;
  d.vocab_size = model.config().vocab_size;
  d.skip_bad_lines = o.skip_bad_lines;
  TuneData out;
  EDGERT_ASSIGN_OR_RETURN(Dataset train, o.data_records ? DatasetFromRecords(*o.data_records, o.data, tokenizer, d)
                                                        : LoadDataset(o.data, tokenizer, d));
  out.report += DataStats(o.data, train);
  out.train = std::move(train.examples);
  if (!o.val.empty()) {
    EDGERT_ASSIGN_OR_RETURN(Dataset val, LoadDataset(o.val, tokenizer, d));
    out.report += DataStats(o.val, val);
    out.val = std::move(val.examples);
  } else if (o.val_split > 0) {
    EDGERT_ASSIGN_OR_RETURN(out.val, SplitValidation(out.train, o.val_split, o.trainer.seed));
  }
  if (!o.replay.empty()) {
    EDGERT_ASSIGN_OR_RETURN(Dataset replay, LoadDataset(o.replay, tokenizer, d));
    out.report += DataStats(o.replay, replay);
    EDGERT_RETURN_IF_ERROR(MixReplay(out.train, replay.examples, o.replay_ratio, o.trainer.seed));
  }
  out.report += "training on " + std::to_string(out.train.size()) + " examples, validating on " +
                std::to_string(out.val.size()) + "\n";
  return out;
}

Result<LoraAdapter> StartingAdapter(const Model& model, const TuneOptions& o) {
  LoraConfig c;
  c.rank = o.lora_r;
  c.alpha = o.lora_alpha;
  c.dropout = o.lora_dropout;
  c.rslora = o.rslora;
  EDGERT_ASSIGN_OR_RETURN(c.targets, ParseLoraTargets(o.targets));
  if (o.init_adapter.empty()) return LoraAdapter::Create(model.config(), c, o.trainer.seed);
  Result<LoraAdapter> init = LoadAdapterOrPeft(o.init_adapter, model.file());
  if (!init.ok()) return init.status();
  const LoraConfig& from = init->config;
  auto conflict = [&](const char* flag, const std::string& given, const std::string& theirs) {
    return InvalidArgument(std::string(flag) + " " + given + " conflicts with --init-adapter " + o.init_adapter +
                           " (" + theirs + "); leave it out: the adapter's own settings are used");
  };
  if (o.explicit_rank && c.rank != from.rank) {
    return conflict("--lora-r", std::to_string(c.rank), "r " + std::to_string(from.rank));
  }
  if (o.explicit_alpha && c.alpha != from.alpha) {
    return conflict("--lora-alpha", std::to_string(c.alpha), "alpha " + std::to_string(from.alpha));
  }
  if (o.explicit_targets && c.targets != from.targets) return conflict("--targets", o.targets, "other targets");
  if (o.explicit_dropout) init->config.dropout = c.dropout;
  return init;
}

}  // namespace edgert
