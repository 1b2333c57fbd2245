// tools/edge_run/bench.h: edge-run --bench and --tokens/--logits-out.
#pragma once

#include "runtime/model/session.h"
#include "tools/edge_run/run_options.h"

namespace edgert {

// Prefill `prompt_tokens` ids, then decode `gen_tokens` greedily; prints
// prefill and decode tokens/s, time to first token and peak RSS.
int RunBench(std::shared_ptr<const Model> model, const RunOptions& o, pthreadpool_t pool);

// Runs exactly the given ids and writes every position's logits as .npy [T, vocab].
int RunLogits(std::shared_ptr<const Model> model, const RunOptions& o, pthreadpool_t pool);

}  // namespace edgert
