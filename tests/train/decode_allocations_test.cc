// A decode step allocates nothing once warm (issue 22: the per-token hot path
// stays inside the planned memory): the base model alone and with a LoRA
// adapter applied beside the frozen weights, one thread and two. Counted by
// replacing the global operator new in this test binary, for the test's
// thread only (pthreadpool's workers run kernels, which never allocate).
#include <gtest/gtest.h>
#include <pthreadpool.h>

#include <cstdlib>
#include <new>

#include "runtime/train/lora_delta.h"
#include "tests/train/micro_model.h"

namespace {
thread_local bool t_counting = false;
thread_local long t_allocations = 0;
}  // namespace

void* operator new(std::size_t n) {
  if (t_counting) ++t_allocations;
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) { return ::operator new(n); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

namespace edgert {
namespace {

long AllocationsOfDecodeSteps(Session& s, int steps) {
  std::vector<float> logits(64);
  t_allocations = 0;
  t_counting = true;
  for (int i = 0; i < steps; ++i) {
    const int32_t id = (i * 7) % 64;
    const Status st = s.Forward(std::span(&id, 1), logits);
    if (!st.ok()) {
      t_counting = false;
      ADD_FAILURE() << st.message();
      return -1;
    }
  }
  t_counting = false;
  return t_allocations;
}

TEST(DecodeAllocations, NoneOnceWarmWithAndWithoutAnAdapter) {
  auto model = testing::MicroModel(DType::kQ8_0);
  LoraConfig cfg;
  cfg.rank = 4;
  auto adapter = LoraAdapter::Create(model->config(), cfg, 5);
  ASSERT_TRUE(adapter.ok());
  auto delta = std::make_shared<LoraDelta>();
  delta->Push(std::make_shared<const LoraAdapter>(std::move(*adapter)), 1.0f);
  pthreadpool_t pool = pthreadpool_create(2);
  for (pthreadpool_t p : {static_cast<pthreadpool_t>(nullptr), pool}) {
    for (const bool with_adapter : {false, true}) {
      SCOPED_TRACE(std::string(p ? "2 threads" : "1 thread") + (with_adapter ? ", adapter" : ", base"));
      auto s = Session::Create(model, {64, 16}, p);
      ASSERT_TRUE(s.ok()) << s.status().message();
      if (with_adapter) s->SetProjectionDelta(delta);
      const std::vector<int32_t> prompt = {1, 2, 3, 4};
      ASSERT_TRUE(s->Forward(prompt, {}).ok());
      AllocationsOfDecodeSteps(*s, 2);  // warm-up: buffers that grow once
      EXPECT_EQ(AllocationsOfDecodeSteps(*s, 40), 0);
    }
  }
  pthreadpool_destroy(pool);
}

}  // namespace
}  // namespace edgert
