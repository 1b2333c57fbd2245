// runtime/generate/chat.cc: ChatML rendering.
#include "runtime/generate/chat.h"

namespace edgert {

std::string RenderChatML(std::span<const ChatMessage> messages, const std::string& default_system_prompt,
                         bool add_generation_prompt) {
  std::string out;
  if (messages.empty() || messages.front().role != "system") {
    out += "<|im_start|>system\n" + default_system_prompt + "<|im_end|>\n";
  }
  for (const ChatMessage& m : messages) out += "<|im_start|>" + m.role + "\n" + m.content + "<|im_end|>\n";
  if (add_generation_prompt) out += "<|im_start|>assistant\n";
  return out;
}

}  // namespace edgert
