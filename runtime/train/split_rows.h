// runtime/train/split_rows.h: run a function over blocks of rows on a pthreadpool.
//
// For the training graph's row-wise work (norms, RoPE, SiLU, the loss's
// softmax rows) and for products too narrow for a kernel's own split (LoRA's
// rank-r outputs): each block is an independent call, so results do not
// depend on the number of threads.
#pragma once

#include <pthreadpool.h>

#include <algorithm>
#include <cstdint>
#include <type_traits>

namespace edgert::grad {

// fn(first_row, rows) for consecutive blocks of `block` rows covering [0, m).
template <typename F>
void SplitRows(pthreadpool_t pool, int64_t m, int64_t block, F&& fn) {
  using Fn = std::remove_reference_t<F>;
  struct Ctx {
    Fn* fn;
    int64_t m, block;
  };
  Ctx ctx{&fn, m, block};
  pthreadpool_parallelize_1d(
      pool,
      [](void* c, size_t i) {
        const auto& x = *static_cast<const Ctx*>(c);
        const int64_t r0 = static_cast<int64_t>(i) * x.block;
        (*x.fn)(r0, std::min(x.block, x.m - r0));
      },
      &ctx, static_cast<size_t>((m + block - 1) / block), PTHREADPOOL_FLAG_DISABLE_DENORMALS);
}

}  // namespace edgert::grad
