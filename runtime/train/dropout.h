// runtime/train/dropout.h: LoRA dropout as PEFT applies it, y = B·A·dropout(x),
// with masks addressed by (seed, step, sequence, layer, target, element).
//
// A mask is never stored: each element's keep/drop is a hash of its key and
// index, so the backward pass (which recomputes a layer from its saved input)
// redraws exactly the mask the forward pass used, resuming from a checkpoint
// gives the same masks, and the masks do not depend on the thread count.
// Every LoRA target has its own mask, as PEFT gives each LoRA layer its own
// nn.Dropout. tools/reference/qwen2.py draws the same masks for the golden tests.
#pragma once

#include <cstdint>

namespace edgert {

// The key of one training sequence: the `sequence`-th of optimizer step `step`
// (0-based, the step being computed) under the run's seed.
uint64_t DropoutSequenceKey(uint64_t seed, int64_t step, int64_t sequence);

// The key of one target's mask in one layer of that sequence.
uint64_t DropoutTargetKey(uint64_t sequence_key, int64_t layer, int32_t target);

// Whether element `index` of the mask keyed `key` is kept at drop probability
// p. One hash serves four elements: element i uses the 16-bit field i % 4
// (from the top) of SplitMix64Hash(key + i / 4), kept when the field is at
// least floor(p · 2^16).
bool DropoutKeeps(uint64_t key, int64_t index, float p);

// y[i] = keeps(i) ? x[i] / (1 − p) : 0 for begin <= i < end (absolute element
// indices of the mask, so a caller may split a tensor's range across threads).
// Applied to a gradient with the same key it is the mask's backward. x and y
// may alias.
void ApplyDropout(const float* x, int64_t begin, int64_t end, uint64_t key, float p, float* y);

}  // namespace edgert
