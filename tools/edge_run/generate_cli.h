// tools/edge_run/generate_cli.h: the text modes of edge-run.
#pragma once

#include <memory>

#include "runtime/model/session.h"
#include "tools/edge_run/run_options.h"

namespace edgert {

int RunPrompt(std::shared_ptr<const Model> model, const RunOptions& o, pthreadpool_t pool);  // --prompt
int RunChat(std::shared_ptr<const Model> model, const RunOptions& o, pthreadpool_t pool);    // --chat
int RunBatch(std::shared_ptr<const Model> model, const RunOptions& o, pthreadpool_t pool);   // --input/--output

}  // namespace edgert
