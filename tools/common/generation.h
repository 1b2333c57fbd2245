// tools/common/generation.h: what the generating CLIs (edge-run, edge-eval) set
// up the same way: tokenizer and generation options from the model's chat
// defaults, the session size, LoRA adapters from "A.eta[:SCALE]" specs, and one
// fresh, reproducible generation per prompt on a reused session.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "tools/common/cli.h"
#include "runtime/generate/generator.h"
#include "runtime/model/projection_delta.h"
#include "runtime/model/session.h"
#include "runtime/tokenizer/tokenizer.h"

namespace edgert::cli {

struct GenerationRequest {
  SamplingOptions sampling;
  int64_t max_tokens = 256;
  std::vector<std::string> stop;
  std::optional<std::string> system;  // nullopt: the model's default system prompt
  std::string grammar;                // empty: free text; else a built-in grammar's name or a .gbnf path
};

struct GenerationSetup {
  Tokenizer tokenizer;
  GenerateOptions options;  // options.constraint points into `constraint`
  std::string system;       // the system prompt the chat template gets
  std::shared_ptr<TokenConstraint> constraint;  // null without a grammar
};

Result<GenerationSetup> PrepareGeneration(const Model& model, const GenerationRequest& request);

// `context` 0: the model's limit, at most 4096 positions.
SessionOptions SessionOptionsFor(const Model& model, int64_t context);

// Every "A.eta" or "A.eta:0.5" (cli::ParseAdapterSpec) (the part after the last ':' is a scale when it
// is a number), checked against `base`, stacked into one delta.
Result<std::shared_ptr<const ProjectionDelta>> LoadAdapters(const ModelFile& base, const std::vector<std::string>& specs);

// Generates for `text` (already templated) from an empty cache with a new
// sampler, so each prompt's output depends only on it and the seed.
Result<GenerateResult> GenerateFresh(Session& session, const GenerationSetup& setup, std::string_view text);

}  // namespace edgert::cli
