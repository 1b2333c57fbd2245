// capi/objects.h: what the C API's handles stand for. Each object holds a
// shared reference to what it was made from (a session, adapter or trainer
// keeps its model alive), so closing a handle never pulls memory from under
// another object.
#pragma once

#include <pthreadpool.h>

#include <atomic>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "runtime/generate/generator.h"
#include "runtime/model/session.h"
#include "runtime/tokenizer/tokenizer.h"
#include "runtime/train/lora.h"
#include "runtime/train/trainer.h"

namespace edgert::capi {

struct PoolDeleter {
  void operator()(pthreadpool_t pool) const { pthreadpool_destroy(pool); }
};
using Pool = std::unique_ptr<pthreadpool, PoolDeleter>;
Pool MakePool(int32_t threads);  // 0: one per performance core

struct ModelObject {
  std::shared_ptr<const Model> model;
  Tokenizer tokenizer;           // immutable after Create, shared by every thread
  std::vector<int32_t> end_ids;  // the chat template's end tokens
};

struct AdapterObject {
  std::shared_ptr<const ModelObject> model;  // the base it was loaded for
  std::shared_ptr<const LoraAdapter> adapter;
};

struct SessionObject {
  std::shared_ptr<const ModelObject> model;
  Pool pool;        // declared before `session`, which uses it, so it is destroyed after
  Session session;
  GenerateOptions generate;  // generate.constraint points into `constraint`
  std::string system_prompt;
  bool raw_prompt = false;
  std::vector<std::pair<std::shared_ptr<const AdapterObject>, float>> adapters;  // with user scales
  std::shared_ptr<TokenConstraint> constraint;  // null without a grammar
  std::atomic<bool> busy{false};
};

struct TrainerObject {
  std::shared_ptr<const ModelObject> model;
  Pool pool;
  Trainer trainer;
  std::atomic<bool> busy{false};
  std::atomic<bool> cancel{false};
};

}  // namespace edgert::capi
