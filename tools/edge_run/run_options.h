// tools/edge_run/run_options.h: everything edge-run was asked to do.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "runtime/generate/sampler.h"
#include "runtime/model/projection_delta.h"
#include "runtime/model/session.h"

namespace edgert {

struct RunOptions {
  std::string model;
  std::string prompt;
  bool have_prompt = false;
  bool raw = false;            // no chat template
  std::string system;          // empty: the model's default system prompt
  bool have_system = false;
  int64_t max_tokens = 256;
  SamplingOptions sampling;
  std::vector<std::string> stop;
  std::string grammar;         // empty: free text; a built-in name or a .gbnf file
  int threads = 0;             // 0: one per performance core
  int64_t context = 0;         // 0: planner's choice
  std::string tokens;          // "1,2,3"
  std::string logits_out;
  bool tokenize = false;
  bool bench = false;
  int64_t prompt_tokens = 512;
  int64_t gen_tokens = 128;
  bool json = false;
  bool chat = false;
  std::string input, output;   // batch
  std::vector<std::string> lora;  // "A.eta" or "A.eta:SCALE", applied beside the weights
  std::shared_ptr<const ProjectionDelta> adapters;  // made from `lora`; null: none
  std::string budget;          // --budget; empty: the default from the system's memory
  bool force = false;          // --force: replace existing --output / --logits-out
  bool plan = false;           // --plan: print the memory plan and exit
  SessionOptions session;      // the planned session (context, batch, streaming)
};

}  // namespace edgert
