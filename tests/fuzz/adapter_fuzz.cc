// libFuzzer target: .eta adapter files and checkpoints come from users
// (--init-adapter, --resume, edge-run --lora). Any bytes must be refused
// cleanly (FlatBuffers verification, shape/data agreement), and what is
// accepted must turn into an adapter for a small model, or be refused, safely.
#include <cstddef>
#include <cstdint>

#include "formats/adapter/adapter_file.h"
#include "runtime/train/adapter_io.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto file = edgert::ParseAdapterFile(data, size, "fuzz.eta");
  if (!file.ok()) return 0;
  // The shapes of the bundled `tiny` preset, which the seed adapter was made for.
  edgert::ModelConfig c;
  c.vocab_size = 151936;
  c.hidden_size = 64;
  c.intermediate_size = 128;
  c.num_hidden_layers = 2;
  c.num_attention_heads = 4;
  c.num_key_value_heads = 2;
  c.head_dim = 16;
  if (file->settings.rank > 64) return 0;  // a valid huge rank only allocates
  auto adapter = edgert::AdapterFromTensors(c, file->settings, file->tensors);
  if (file->training) {
    for (const auto* ts : {&file->training->m, &file->training->v}) {
      auto moments = edgert::AdapterFromTensors(c, file->settings, *ts);
      (void)moments;
    }
  }
  (void)adapter;
  return 0;
}
