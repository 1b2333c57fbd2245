// tools/common/generation.cc: generation set-up shared by edge-run and edge-eval.
#include "tools/common/generation.h"

#include <algorithm>
#include <cstdlib>

#include "runtime/generate/grammar_vocabulary.h"
#include "runtime/grammar/grammar.h"
#include "runtime/train/adapter_io.h"
#include "runtime/train/lora_delta.h"
#include "runtime/train/peft_io.h"

namespace edgert::cli {

Result<GenerationSetup> PrepareGeneration(const Model& model, const GenerationRequest& request) {
  EDGERT_ASSIGN_OR_RETURN(Tokenizer tokenizer, Tokenizer::Create(model.file().metadata().tokenizer));
  GenerateOptions options;
  options.sampling = request.sampling;
  options.max_tokens = request.max_tokens;
  options.stop_strings = request.stop;
  options.end_ids = EndTokenIds(tokenizer, model.file().metadata().chat.end_tokens);
  std::string system = request.system ? *request.system : model.file().metadata().chat.default_system_prompt;
  std::shared_ptr<TokenConstraint> constraint;
  if (!request.grammar.empty()) {
    EDGERT_ASSIGN_OR_RETURN(auto grammar, LoadGrammar(request.grammar));
    if (Status st = CheckTokenBudget(*grammar, request.max_tokens); !st.ok()) {
      return st.WithContext("--max-tokens " + std::to_string(request.max_tokens));
    }
    auto vocab = MakeGrammarVocabulary(tokenizer, model.file().metadata().tokenizer, model.config().vocab_size);
    constraint = std::make_shared<TokenConstraint>(std::move(grammar), std::move(vocab), options.end_ids);
    options.constraint = constraint.get();
  }
  return GenerationSetup{std::move(tokenizer), std::move(options), std::move(system), std::move(constraint)};
}

SessionOptions SessionOptionsFor(const Model& model, int64_t context) {
  SessionOptions so;
  so.context_length = context > 0 ? context : std::min<int64_t>(4096, model.config().max_position_embeddings);
  so.max_batch = 256;
  return so;
}

Result<std::shared_ptr<const ProjectionDelta>> LoadAdapters(const ModelFile& base, const std::vector<std::string>& specs) {
  auto delta = std::make_shared<LoraDelta>();
  for (const std::string& spec : specs) {
    EDGERT_ASSIGN_OR_RETURN(const AdapterSpec s, ParseAdapterSpec(spec));
    EDGERT_ASSIGN_OR_RETURN(LoraAdapter adapter, LoadAdapterOrPeft(s.path, base));
    delta->Push(std::make_shared<const LoraAdapter>(std::move(adapter)), s.scale);
  }
  return std::shared_ptr<const ProjectionDelta>(std::move(delta));
}

Result<GenerateResult> GenerateFresh(Session& session, const GenerationSetup& setup, std::string_view text) {
  EDGERT_RETURN_IF_ERROR(session.Rewind(0));
  Sampler sampler(setup.options.sampling);
  return Generate(session, setup.tokenizer, setup.tokenizer.Encode(text), setup.options, sampler, nullptr);
}

}  // namespace edgert::cli
