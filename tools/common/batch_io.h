// tools/common/batch_io.h: prompts in (JSON array or JSONL), results out.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "runtime/generate/chat.h"

namespace edgert {

struct BatchItem {
  nlohmann::ordered_json original;     // echoed back with "generated_output" added
  std::vector<ChatMessage> messages;   // the conversation to continue
  std::string raw_prompt;              // used instead when the item is a plain string and --raw is given
};

// Items are strings, or objects with "prompt", "instruction" (+ optional
// "input"), or "messages": [{"role", "content"}...]. Errors name the file and
// the line (JSONL) or byte position and item (JSON array).
Result<std::vector<BatchItem>> ReadBatchFile(const std::string& path);

}  // namespace edgert
