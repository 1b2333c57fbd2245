// runtime/export/ollama.h: an Ollama Modelfile for an exported GGUF model,
// ready for `ollama create NAME -f DIR/Modelfile`: FROM the GGUF, ADAPTER when
// a GGUF LoRA is kept separate, the ChatML TEMPLATE in Ollama's Go template
// language, the model's default system prompt, its end tokens as stop
// parameters and its generation defaults.
#pragma once

#include <string>

#include "base/status.h"
#include "formats/etm/model_metadata.h"

namespace edgert {

struct ModelfileSpec {
  std::string model_gguf;    // FROM, relative to the Modelfile's folder ("model.gguf")
  std::string adapter_gguf;  // ADAPTER; empty when merged or none
};

// Refuses a system prompt or stop string a Modelfile cannot quote.
Result<std::string> OllamaModelfile(const ModelMetadata& model, const ModelfileSpec& spec);

}  // namespace edgert
