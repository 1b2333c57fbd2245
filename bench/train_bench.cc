// bench/train_bench.cc: LoRA training speed of one model file, end to end.
//
//   train_bench --model M.etm [--seq 512] [--rank 8] [--alpha 16] [--threads 2] [--f32-backward]
//               [--steps 3] [--warmup 1] [--seed 1] [--dropout P] [--saved-layers N | --budget SIZE]
//
// Each step is what a trainer does for one sequence of --seq random tokens,
// every position counted: loss and gradients for all seven targets
// (LoraGraph::AccumulateGradients), global-norm clipping at 1.0, one AdamW
// step. Prints one JSON object: training tokens/s over the measured steps and
// the seconds per step of each phase (LoraGraphPhases). --budget plans the
// graph as edge-tune --budget does (kept layers, loss chunk; PlanTuneJob) and
// prints the plan's predicted peak beside. Peak memory is measured from
// outside (bench/compare_pytorch_train.sh runs this under /usr/bin/time).
#include <pthreadpool.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <random>

#include "runtime/model/session.h"
#include "runtime/train/dropout.h"
#include "runtime/train/lora_graph.h"
#include "runtime/train/optimizer.h"
#include "runtime/train/tune_job.h"
#include "tools/common/memory_plan.h"

namespace edgert {
namespace {

int Run(int argc, char** argv) {
  CLI::App app{"LoRA training speed of one model file"};
  std::string model_path;
  int64_t seq = 512, steps = 3, warmup = 1, saved_layers = 0;
  int32_t rank = 8;
  float alpha = 16, dropout = 0;
  size_t threads = 2;
  uint32_t seed = 1;
  app.add_option("--model", model_path, "model file (.etm)")->required();
  app.add_option("--seq", seq, "tokens per sequence");
  app.add_option("--rank", rank, "LoRA rank");
  app.add_option("--alpha", alpha, "LoRA alpha");
  app.add_option("--threads", threads, "threads");
  app.add_option("--steps", steps, "measured steps");
  app.add_option("--warmup", warmup, "steps before measuring");
  app.add_option("--seed", seed, "seed of the tokens and the adapter");
  app.add_option("--dropout", dropout, "LoRA dropout");
  bool f32_backward = false;
  app.add_flag("--f32-backward", f32_backward, "f32 products through quantized frozen weights (default: int8)");
  std::string budget_flag;
  auto* saved = app.add_option("--saved-layers", saved_layers, "layers whose activations forward keeps (LoraGraphOptions)");
  app.add_option("--budget", budget_flag, "plan kept layers and the loss chunk as edge-tune --budget SIZE does")
      ->excludes(saved);
  CLI11_PARSE(app, argc, argv);

  auto model = Model::Open(model_path);
  if (!model.ok()) {
    std::fprintf(stderr, "error: %s\n", model.status().message().c_str());
    return 1;
  }
  const ModelConfig& c = (*model)->config();
  LoraConfig cfg;
  cfg.rank = rank;
  cfg.alpha = alpha;
  cfg.dropout = dropout;
  auto adapter = LoraAdapter::Create(c, cfg, seed);
  if (!adapter.ok()) {
    std::fprintf(stderr, "error: %s\n", adapter.status().message().c_str());
    return 1;
  }
  LoraGraphOptions graph_options{seq, rank, 128, false, dropout > 0};
  graph_options.saved_layers = saved_layers;
  uint64_t predicted_peak = 0;
  if (!budget_flag.empty()) {
    auto budget = cli::ResolveBudget(budget_flag);
    TuneOptions o;
    o.max_seq_len = seq;
    o.explicit_max_seq_len = true;
    auto plan = budget.ok() ? PlanTuneJob(**model, o, *adapter, *budget) : Result<TrainingPlan>(budget.status());
    if (!plan.ok()) {
      std::fprintf(stderr, "error: %s\n", plan.status().message().c_str());
      return 1;
    }
    graph_options = plan->graph;
    predicted_peak = plan->predicted_peak_bytes;
  }
  graph_options.int8_backward = !f32_backward;
  auto graph = LoraGraph::Create(*model, graph_options);
  if (!graph.ok()) {
    std::fprintf(stderr, "error: %s\n", graph.status().message().c_str());
    return 1;
  }
  // A trained-looking adapter (B non-zero), so every path carries gradients.
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 0.01f);
  for (auto& layer : adapter->layers) {
    for (LoraPair& p : layer) {
      for (float& b : p.b) b = normal(rng);
    }
  }
  std::uniform_int_distribution<int32_t> token(0, std::min<int32_t>(150000, static_cast<int32_t>(c.vocab_size)) - 1);
  std::vector<int32_t> ids(static_cast<size_t>(seq));
  pthreadpool_t pool = pthreadpool_create(threads);
  AdamW opt(*adapter, AdamWOptions{});
  double seconds = 0, loss = 0;
  for (int64_t step = 0; step < warmup + steps; ++step) {
    if (step == warmup) graph->ResetPhases();
    for (int32_t& id : ids) id = token(rng);
    const auto t0 = std::chrono::steady_clock::now();
    LoraAdapter grads = adapter->ZerosLike();
    auto r = graph->AccumulateGradients(*adapter, ids, ids, 1.0f / static_cast<float>(seq - 1), grads, pool,
                                        DropoutSequenceKey(seed, step, 0));
    if (!r.ok()) {
      std::fprintf(stderr, "error: %s\n", r.status().message().c_str());
      return 1;
    }
    ClipGradNorm(grads, 1.0);
    opt.Step(*adapter, grads, 1e-4f);
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (step >= warmup) seconds += s;
    loss = r->loss / static_cast<double>(r->tokens);
    std::fprintf(stderr, "step %lld: %.2f s, loss %.4f\n", static_cast<long long>(step), s, loss);
  }
  pthreadpool_destroy(pool);
  const LoraGraphPhases& p = graph->phases();
  const double n = static_cast<double>(steps);
  std::printf(
      "{\"tokens_per_s\": %.2f, \"seconds_per_step\": %.3f, \"seq\": %lld, \"threads\": %zu, \"rank\": %d, \"saved_layers\": %lld, "
      "\"loss_rows\": %lld, \"predicted_peak_bytes\": %llu, \"last_loss\": %.4f, \"phases_s_per_step\": {\"forward\": %.3f, \"lm_head_loss\": %.3f, \"lm_head_grad\": %.3f, "
      "\"recompute\": %.3f, \"dx_frozen\": %.3f, \"attention_backward\": %.3f, \"lora_backward\": %.3f, "
      "\"other_backward\": %.3f, \"optimizer_and_rest\": %.3f}}\n",
      static_cast<double>(seq * steps) / seconds, seconds / n, static_cast<long long>(seq), threads, rank,
      static_cast<long long>(graph_options.saved_layers), static_cast<long long>(graph_options.loss_rows),
      static_cast<unsigned long long>(predicted_peak), loss,
      p.forward / n, p.lm_head_loss / n, p.lm_head_grad / n, p.recompute / n, p.dx_frozen / n,
      p.attention_backward / n, p.lora_backward / n, p.other_backward / n, (seconds - p.total()) / n);
  return 0;
}

}  // namespace
}  // namespace edgert

int main(int argc, char** argv) { return edgert::Run(argc, argv); }
