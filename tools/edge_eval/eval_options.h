// tools/edge_eval/eval_options.h: everything edge-eval was asked to do.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "runtime/generate/sampler.h"

namespace edgert::eval {

struct EvalOptions {
  std::string model;
  std::vector<std::string> lora;  // "A.eta[:SCALE]", stacked
  std::string prompts;
  std::string format;
  bool grammar = false;
  bool compare_base = false;
  bool responses = false;         // score the file's own responses; no model
  int64_t max_tokens = 256;
  int threads = 0;                // 0: one per performance core
  SamplingOptions sampling;       // greedy unless --temperature
  std::string system;
  bool have_system = false;
  bool force = false;             // --force: replace an existing --json / --report
  int64_t limit = 0;              // 0: every prompt
  std::string json_out, report_out, training_log;
  std::string checker = "grammar";  // or "mermaid-js"
#ifdef EDGERT_DEFAULT_NODE_MODULES
  std::string node_modules = EDGERT_DEFAULT_NODE_MODULES;
#else
  std::string node_modules;
#endif
};

}  // namespace edgert::eval
