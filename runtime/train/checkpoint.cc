// runtime/train/checkpoint.cc
#include "runtime/train/checkpoint.h"

#include "runtime/train/adapter_io.h"

namespace edgert {

Status SaveCheckpoint(const std::string& path, const TrainingCheckpointView& c, const ModelFile& base) {
  AdapterFileData d = AdapterFileFor(*c.adapter, base);
  TrainingStateData t;
  t.step = c.step;
  t.epoch = c.epoch;
  t.cursor = c.cursor;
  t.rng_state = *c.rng_state;
  t.run_id = c.run_id;
  t.m = AdapterTensors(*c.m);
  t.v = AdapterTensors(*c.v);
  t.losses = *c.losses;
  t.eval_steps = *c.eval_steps;
  t.eval_losses = *c.eval_losses;
  d.training = std::move(t);
  return WriteAdapterFile(path, d);
}

Result<TrainingCheckpoint> LoadCheckpoint(const std::string& path, const ModelFile& base) {
  EDGERT_ASSIGN_OR_RETURN(AdapterFileData d, ReadAdapterFile(path));
  if (d.base_fingerprint != base.fingerprint()) {
    return InvalidArgument(path + ": checkpoint was written for another base model (" + d.base_description +
                           "), not " + base.path());
  }
  if (!d.training) return InvalidArgument(path + ": an adapter without training state, not a checkpoint");
  TrainingStateData& t = *d.training;
  TrainingCheckpoint c;
  auto tensors = [&](const std::vector<NamedTensor>& ts, const char* what) -> Result<LoraAdapter> {
    auto a = AdapterFromTensors(base.config(), d.settings, ts);
    if (!a.ok()) return a.status().WithContext(path + ": " + what);
    return a;
  };
  EDGERT_ASSIGN_OR_RETURN(c.adapter, tensors(d.tensors, "adapter"));
  EDGERT_ASSIGN_OR_RETURN(c.m, tensors(t.m, "first moments"));
  EDGERT_ASSIGN_OR_RETURN(c.v, tensors(t.v, "second moments"));
  c.step = t.step;
  c.epoch = t.epoch;
  c.cursor = t.cursor;
  c.run_id = t.run_id;
  c.rng_state = std::move(t.rng_state);
  c.losses = std::move(t.losses);
  c.eval_steps = std::move(t.eval_steps);
  c.eval_losses = std::move(t.eval_losses);
  if (c.step < 0 || c.epoch < 0 || c.cursor < 0 || c.losses.size() != static_cast<size_t>(c.step)) {
    return CorruptFile(path + ": training state is inconsistent (step " + std::to_string(c.step) + ", " +
                       std::to_string(c.losses.size()) + " losses)");
  }
  return c;
}

}  // namespace edgert
