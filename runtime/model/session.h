// runtime/model/session.h: one conversation's state over a shared model: the
// KV cache, the position, and the buffers of the forward pass.
//
// A Model (mapped weights) may serve many sessions; a session is used by one
// thread at a time. All of a session's memory comes from one arena sized at
// Create(); Forward() allocates nothing.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "base/status.h"
#include "runtime/model/projection_delta.h"
#include "formats/etm/etm_reader.h"
#include "runtime/memory/arena.h"
#include "runtime/model/weights.h"

typedef struct pthreadpool* pthreadpool_t;

namespace edgert {

// A model file opened for inference: the mapping and the views into it.
class Model {
 public:
  static Result<std::shared_ptr<const Model>> Open(const std::string& path);

  const ModelFile& file() const { return file_; }
  const ModelConfig& config() const { return file_.config(); }
  const ModelWeights& weights() const { return weights_; }

 private:
  explicit Model(ModelFile file) : file_(std::move(file)) {}
  ModelFile file_;
  ModelWeights weights_;
};

struct SessionOptions {
  int64_t context_length = 4096;  // KV cache positions; at most max_position_embeddings
  int64_t max_batch = 256;        // tokens per forward step (prefill is cut into such chunks)
  bool stream_weights = false;    // release each layer's weight pages after use (runtime/model/weight_stream.h)
  bool lock_arena = false;        // mlock the arena (keeps it out of swap); refused silently: see Session::arena().locked()
};

// Bytes of the arena a session with these options needs (the planner's figure).
uint64_t SessionArenaBytes(const ModelConfig& config, const SessionOptions& options);

class Session {
 public:
  static Result<Session> Create(std::shared_ptr<const Model> model, const SessionOptions& options,
                                pthreadpool_t pool);
  Session(Session&&) noexcept;
  Session& operator=(Session&&) noexcept;
  ~Session();

  // Runs `ids` at the current position and advances it. Writes the logits of
  // the last token to `last_logits` [vocab] when not empty, and of every token
  // to `all_logits` [ids.size()][vocab] when not empty.
  Status Forward(std::span<const int32_t> ids, std::span<float> last_logits, std::span<float> all_logits = {});

  // Adds `delta` to the projections' outputs from the next Forward on (null:
  // the base model alone). Positions already in the KV cache keep what they were
  // computed with: set it before the first Forward or after Rewind(0).
  void SetProjectionDelta(std::shared_ptr<const ProjectionDelta> delta);

  int64_t position() const;
  // Forgets positions >= `position` (0 starts a new conversation).
  Status Rewind(int64_t position);
  int64_t context_length() const;
  const Model& model() const;
  const Arena& arena() const;

 private:
  struct State;
  explicit Session(std::unique_ptr<State> state);
  Status ForwardChunk(std::span<const int32_t> ids, std::span<float> last_logits, float* all_logits);
  std::unique_ptr<State> s_;
};

}  // namespace edgert
