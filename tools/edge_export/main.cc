// edge-export: take a model elsewhere.
//
//   edge-export --model M.etm --gguf OUT.gguf [--force]
//
// (Merging adapters, GGUF LoRA, PEFT and Ollama outputs come with the export
// work; see docs/design.md.)
#include <CLI/CLI.hpp>

#include <cstdio>
#include <filesystem>

#include "formats/etm/etm_reader.h"
#include "runtime/export/gguf_export.h"
#include "tools/common/cli.h"

namespace edgert {
namespace {

int Run(int argc, char** argv) {
  CLI::App app{"edge-export: write an edge-rt model in other runtimes' formats"};
  std::string model_path, gguf;
  bool force = false;
  app.add_option("--model,-m", model_path, "model file (.etm)")->required();
  app.add_option("--gguf", gguf, "write a GGUF v3 file llama.cpp and Ollama load")->required();
  app.add_flag("--force", force, "replace an existing output file");
  if (auto exit_code = cli::Parse(app, argc, argv)) return *exit_code;
  if (!force && std::filesystem::exists(gguf)) {
    return cli::Fail(InvalidArgument(gguf + ": exists (pass --force to replace it)"));
  }
  auto model = ModelFile::Open(model_path);
  if (!model.ok()) return cli::Fail(model.status());
  if (Status st = ExportGguf(*model, gguf); !st.ok()) return cli::Fail(st);
  std::printf("wrote %s\n", gguf.c_str());
  return 0;
}

}  // namespace
}  // namespace edgert

int main(int argc, char** argv) { return edgert::Run(argc, argv); }
