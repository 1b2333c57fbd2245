// runtime/export/ollama.cc
#include "runtime/export/ollama.h"

#include <cstdio>

namespace edgert {
namespace {

// Ollama's ChatML, as its qwen2.5 models render a conversation (without tools).
constexpr const char* kChatMLTemplate =
    "{{- if .System }}<|im_start|>system\n"
    "{{ .System }}<|im_end|>\n"
    "{{ end }}"
    "{{- range .Messages }}<|im_start|>{{ .Role }}\n"
    "{{ .Content }}<|im_end|>\n"
    "{{ end }}<|im_start|>assistant\n";

std::string Number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

}  // namespace

Result<std::string> OllamaModelfile(const ModelMetadata& model, const ModelfileSpec& spec) {
  const std::string& system = model.chat.default_system_prompt;
  if (system.find("\"\"\"") != std::string::npos) {
    return InvalidArgument("the model's system prompt holds \"\"\", which a Modelfile cannot quote");
  }
  std::string m = "# Made by edge-export. Use: ollama create NAME -f Modelfile\n";
  m += "FROM ./" + spec.model_gguf + "\n";
  if (!spec.adapter_gguf.empty()) m += "ADAPTER ./" + spec.adapter_gguf + "\n";
  m += "TEMPLATE \"\"\"" + std::string(kChatMLTemplate) + "\"\"\"\n";
  m += "SYSTEM \"\"\"" + system + "\"\"\"\n";
  // <|im_start|> too: a model that skips its end token must not write the next turn.
  std::vector<std::string> stops = {"<|im_start|>"};
  for (const std::string& s : model.chat.end_tokens) stops.push_back(s);
  for (const std::string& s : stops) {
    if (s.find_first_of("\"\n\\") != std::string::npos) return InvalidArgument("stop string '" + s + "' cannot be quoted in a Modelfile");
    m += "PARAMETER stop \"" + s + "\"\n";
  }
  const GenerationDefaults& g = model.generation;
  m += "PARAMETER temperature " + Number(g.temperature) + "\n";
  m += "PARAMETER top_k " + std::to_string(g.top_k) + "\n";
  m += "PARAMETER top_p " + Number(g.top_p) + "\n";
  if (g.min_p > 0) m += "PARAMETER min_p " + Number(g.min_p) + "\n";
  m += "PARAMETER repeat_penalty " + Number(g.repetition_penalty) + "\n";
  m += "PARAMETER num_predict " + std::to_string(g.max_new_tokens) + "\n";
  return m;
}

}  // namespace edgert
