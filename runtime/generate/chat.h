// runtime/generate/chat.h: ChatML, as Qwen2.5's chat template renders it.
//
//   <|im_start|>system\n{system}<|im_end|>\n
//   <|im_start|>{role}\n{content}<|im_end|>\n ...
//   <|im_start|>assistant\n                      (the generation prompt)
//
// A conversation that does not start with a system message gets the default
// system prompt (Qwen2.5: "You are Qwen, created by Alibaba Cloud. You are a
// helpful assistant."), exactly as the Jinja template in tokenizer_config.json.
#pragma once

#include <span>
#include <string>

namespace edgert {

struct ChatMessage {
  std::string role;  // "system", "user", "assistant"
  std::string content;
};

std::string RenderChatML(std::span<const ChatMessage> messages, const std::string& default_system_prompt,
                         bool add_generation_prompt);

}  // namespace edgert
