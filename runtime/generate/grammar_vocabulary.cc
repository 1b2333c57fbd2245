// runtime/generate/grammar_vocabulary.cc
#include "runtime/generate/grammar_vocabulary.h"

namespace edgert {

std::shared_ptr<const TokenVocabulary> MakeGrammarVocabulary(const Tokenizer& tokenizer, const TokenizerSpec& spec,
                                                             int64_t vocab_size) {
  std::vector<std::string> bytes(static_cast<size_t>(vocab_size));
  const int32_t n = std::min<int32_t>(tokenizer.size(), static_cast<int32_t>(vocab_size));
  for (int32_t id = 0; id < n; ++id) bytes[static_cast<size_t>(id)] = std::string(tokenizer.TokenBytes(id));
  for (const AddedTokenSpec& t : spec.added_tokens) {
    if (t.id >= 0 && t.id < vocab_size) bytes[static_cast<size_t>(t.id)].clear();
  }
  return std::make_shared<const TokenVocabulary>(std::move(bytes));
}

}  // namespace edgert
