// tools/edge_eval/evaluation.h: what an edge-eval run produced, for the table,
// the JSON and the HTML report: the prompts, and for each run (base, tuned, or
// the prompt file's own responses) every output with its classification.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "runtime/diagram/classify.h"
#include "tools/edge_eval/significance.h"

namespace edgert::eval {

struct EvalSettings {
  std::string model;                 // empty with --responses
  std::vector<std::string> adapters; // --lora specs as given
  std::string prompts_file;
  diagram::DiagramFormat format = diagram::DiagramFormat::kDot;
  bool grammar = false;
  // Which checker decided the verdicts: "grammar" (runtime/diagram's own) or,
  // for Mermaid, "mermaid-js MERMAID_VERSION" (mermaid under node, parse only).
  std::string checker = "grammar";
  int64_t max_tokens = 0;
  uint64_t seed = 0;
  float temperature = 0;
};

struct PromptCase {
  std::string prompt;     // the user's text as the file gives it
  std::string reference;  // the file's "response" when it has one
};

struct Outcome {
  std::string output;     // the generated text as a whole
  diagram::Classification result;
  int64_t tokens = 0;     // generated tokens
  std::string stop;       // why generation ended ("end_token", "max_tokens", ...); "" for --responses
  // With --checker mermaid-js, the built-in grammar's verdict, kept beside
  // mermaid's deciding one (so both can be shown).
  std::optional<diagram::OutputClass> grammar_kind;
};

struct Run {
  std::string name;                    // "base", "tuned", "responses"
  std::vector<Outcome> outcomes;       // one per prompt, in file order
  std::array<size_t, diagram::kOutputClassCount> counts{};  // by OutputClass

  size_t valid() const { return counts[static_cast<size_t>(diagram::OutputClass::kValid)]; }
  void Add(Outcome outcome);
  void Recount();  // after the verdicts were changed in place
};

// Base against tuned on the same prompts (only when there are two runs).
struct Comparison {
  ZTest z;            // tuned's valid rate against base's
  PairedTest paired;  // McNemar on the prompts where exactly one is valid
};

struct Evaluation {
  EvalSettings settings;
  std::vector<PromptCase> prompts;
  std::vector<Run> runs;

  std::optional<Comparison> Compare() const;  // runs[0] base, runs[1] tuned
};

}  // namespace edgert::eval
