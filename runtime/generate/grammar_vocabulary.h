// runtime/generate/grammar_vocabulary.h: the vocabulary a grammar constraint
// walks: each token's bytes, with added and special tokens (<|im_end|>, ...)
// and unused rows left out (a grammar never generates them; end tokens are
// allowed separately, where the text is accepted).
#pragma once

#include <memory>

#include "formats/tokenizer_spec.h"
#include "runtime/grammar/token_constraint.h"
#include "runtime/tokenizer/tokenizer.h"

namespace edgert {

// `vocab_size`: the model's logits length (151,936 for Qwen2.5: rows past the
// tokenizer's ids are never allowed).
std::shared_ptr<const TokenVocabulary> MakeGrammarVocabulary(const Tokenizer& tokenizer, const TokenizerSpec& spec,
                                                             int64_t vocab_size);

}  // namespace edgert
