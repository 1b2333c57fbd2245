// edge-export: take a model and its adapters elsewhere.
//
//   edge-export --model M.etm [--lora A[:SCALE]]... [--merge] [--quant f32|f16|bf16|q8_0|q4_0]
//               [--out MERGED.etm] [--gguf OUT.gguf] [--gguf-lora A.gguf] [--peft DIR] [--ollama DIR] [--force]
//
// --out / --gguf write the model: requantized with --quant, with the adapters
// merged into its weights with --merge. --gguf-lora and --peft write one
// adapter on its own. --ollama writes DIR/model.gguf (merged with --merge),
// DIR/adapter.gguf (the adapter kept separate, without --merge) and
// DIR/Modelfile. An adapter is an .eta file or a PEFT folder; one made for
// another base is refused. Existing outputs are refused unless --force (an
// input always is); every file appears whole or not at all.
#include <CLI/CLI.hpp>

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>
#include <memory>
#include <optional>

#include "formats/etm/etm_reader.h"
#include "ports/output_file.h"
#include "runtime/export/gguf_export.h"
#include "runtime/export/gguf_lora_export.h"
#include "runtime/export/merge.h"
#include "runtime/export/ollama.h"
#include "runtime/train/peft_io.h"
#include "tools/common/cli.h"
#include "tools/common/generation.h"

namespace edgert {
namespace {

namespace fs = std::filesystem;

struct Args {
  std::string model, out, gguf, gguf_lora, peft, ollama, quant;
  std::vector<std::string> lora;
  bool merge = false, force = false;
};

// A file that is removed when this goes (the merged model a GGUF is made from).
class ScratchFile {
 public:
  explicit ScratchFile(std::string path) : path_(std::move(path)) {}
  ~ScratchFile() {
    std::error_code ec;
    fs::remove(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

Status MakeFolder(const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return IoError(dir + ": cannot create the folder: " + ec.message());
  return OkStatus();
}

Status CheckArgs(const Args& a) {
  const bool model_out = !a.out.empty() || !a.gguf.empty();
  if (!model_out && a.gguf_lora.empty() && a.peft.empty() && a.ollama.empty()) {
    return InvalidArgument("nothing to write: give --out, --gguf, --gguf-lora, --peft or --ollama");
  }
  if (a.merge && a.lora.empty()) return InvalidArgument("--merge needs at least one --lora adapter");
  if (a.merge && !model_out && a.ollama.empty()) return InvalidArgument("--merge writes a model: give --out, --gguf or --ollama");
  if (!a.merge && !a.lora.empty() && model_out) {
    return InvalidArgument("adapters go into --out/--gguf only merged: pass --merge (or write them on their own with --gguf-lora / --peft)");
  }
  if ((!a.gguf_lora.empty() || !a.peft.empty() || (!a.ollama.empty() && !a.merge && !a.lora.empty())) && a.lora.size() != 1) {
    return InvalidArgument("--gguf-lora, --peft and --ollama without --merge write one adapter: give exactly one --lora");
  }
  if (!a.out.empty() && !a.merge && a.quant.empty()) {
    return InvalidArgument("--out needs --merge or --quant (otherwise it would copy the model as it is)");
  }
  if (!a.quant.empty() && !model_out && a.ollama.empty()) return InvalidArgument("--quant applies to a model output (--out, --gguf, --ollama)");
  // Every output against every input, the same rule as the other tools:
  // refused when it exists unless --force, refused when it is an input always.
  std::vector<std::string> inputs = {a.model};
  for (const std::string& spec : a.lora) {
    EDGERT_ASSIGN_OR_RETURN(const cli::AdapterSpec s, cli::ParseAdapterSpec(spec));
    // A PEFT folder given as --lora is read from these two files.
    for (const char* file : {"", "/adapter_model.safetensors", "/adapter_config.json"}) inputs.push_back(s.path + file);
  }
  const cli::Existing existing = cli::ExistingOutputs(a.force);
  EDGERT_RETURN_IF_ERROR(cli::CheckOutputPath(a.out, "--out", existing, inputs));
  EDGERT_RETURN_IF_ERROR(cli::CheckOutputPath(a.gguf, "--gguf", existing, inputs));
  EDGERT_RETURN_IF_ERROR(cli::CheckOutputPath(a.gguf_lora, "--gguf-lora", existing, inputs));
  EDGERT_RETURN_IF_ERROR(cli::CheckOutputFolder(a.peft, "--peft", existing, {"adapter_model.safetensors", "adapter_config.json"},
                                                inputs));
  EDGERT_RETURN_IF_ERROR(cli::CheckOutputFolder(a.ollama, "--ollama", existing, {"Modelfile", "model.gguf", "adapter.gguf"},
                                                inputs));
  return OkStatus();
}

Status Export(const Args& a) {
  EDGERT_RETURN_IF_ERROR(CheckArgs(a));
  std::optional<DType> quant;
  if (!a.quant.empty()) {
    quant = DTypeFromName(a.quant);
    if (!quant) return InvalidArgument("--quant " + a.quant + ": expected one of f32, f16, bf16, q8_0, q4_0");
  }
  EDGERT_ASSIGN_OR_RETURN(ModelFile base, ModelFile::Open(a.model));
  std::vector<ScaledAdapter> adapters;
  for (const std::string& spec : a.lora) {
    EDGERT_ASSIGN_OR_RETURN(const cli::AdapterSpec s, cli::ParseAdapterSpec(spec));
    EDGERT_ASSIGN_OR_RETURN(LoraAdapter adapter, LoadAdapterOrPeft(s.path, base));
    adapters.push_back({std::make_shared<const LoraAdapter>(std::move(adapter)), s.scale});
  }

  // The model in its final weights: the base itself, or a merged/requantized
  // .etm (--out, or a scratch file beside the GGUF it is made for).
  const bool rewrite = a.merge || quant.has_value();
  const bool gguf_model = !a.gguf.empty() || !a.ollama.empty();
  std::optional<ModelFile> rewritten;
  std::unique_ptr<ScratchFile> scratch;
  if (rewrite && (!a.out.empty() || gguf_model)) {
    std::string path = a.out;
    if (path.empty()) {
      const std::string beside = !a.gguf.empty() ? a.gguf : a.ollama + "/model.gguf";
      if (!a.ollama.empty()) EDGERT_RETURN_IF_ERROR(MakeFolder(a.ollama));
      scratch = std::make_unique<ScratchFile>(beside + ".merge-" + std::to_string(::getpid()) + ".etm");
      path = scratch->path();
    }
    MergeOptions mo;
    mo.out_path = path;
    mo.matrix_dtype = quant;
    EDGERT_RETURN_IF_ERROR(MergeToEtm(base, a.merge ? adapters : std::vector<ScaledAdapter>{}, mo));
    if (!a.out.empty()) std::printf("wrote %s\n", a.out.c_str());
    EDGERT_ASSIGN_OR_RETURN(rewritten, ModelFile::Open(path));
  }
  const ModelFile& model = rewritten ? *rewritten : base;

  if (!a.gguf.empty()) {
    EDGERT_RETURN_IF_ERROR(ExportGguf(model, a.gguf));
    std::printf("wrote %s\n", a.gguf.c_str());
  }
  if (!a.gguf_lora.empty()) {
    EDGERT_RETURN_IF_ERROR(ExportGgufLora(*adapters[0].adapter, adapters[0].user_scale, base, a.gguf_lora));
    std::printf("wrote %s\n", a.gguf_lora.c_str());
  }
  if (!a.peft.empty()) {
    LoraAdapter adapter = *adapters[0].adapter;
    adapter.config.alpha *= adapters[0].user_scale;  // PEFT has no separate scale
    const std::string base_name = base.metadata().source.empty() ? base.path() : base.metadata().source;
    EDGERT_RETURN_IF_ERROR(ExportPeft(a.peft, adapter, base_name));
    std::printf("wrote %s/adapter_model.safetensors and adapter_config.json\n", a.peft.c_str());
  }
  if (!a.ollama.empty()) {
    EDGERT_RETURN_IF_ERROR(MakeFolder(a.ollama));
    EDGERT_RETURN_IF_ERROR(ExportGguf(model, a.ollama + "/model.gguf"));
    ModelfileSpec spec{"model.gguf", ""};
    if (!a.merge && !adapters.empty()) {
      EDGERT_RETURN_IF_ERROR(ExportGgufLora(*adapters[0].adapter, adapters[0].user_scale, base, a.ollama + "/adapter.gguf"));
      spec.adapter_gguf = "adapter.gguf";
    }
    EDGERT_ASSIGN_OR_RETURN(const std::string modelfile, OllamaModelfile(model.metadata(), spec));
    EDGERT_RETURN_IF_ERROR(ports::WriteFileAtomically(a.ollama + "/Modelfile", std::as_bytes(std::span(modelfile))));
    std::printf("wrote %s/Modelfile (ollama create NAME -f %s/Modelfile)\n", a.ollama.c_str(), a.ollama.c_str());
  }
  return OkStatus();
}

int Run(int argc, char** argv) {
  CLI::App app{"edge-export: merge LoRA adapters and write models and adapters for llama.cpp, Ollama and PEFT"};
  Args a;
  app.add_option("--model,-m", a.model, "base model file (.etm)")->required();
  app.add_option("--lora", a.lora, "LoRA adapter A.eta[:SCALE] or PEFT folder[:SCALE] (repeatable)");
  app.add_flag("--merge", a.merge, "merge the adapters into the weights of --out / --gguf / --ollama");
  app.add_option("--quant", a.quant, "dtype of the written model's weight matrices: f32, f16, bf16, q8_0, q4_0 (default: as in the model)");
  app.add_option("--out", a.out, "write the merged / requantized model (.etm)");
  app.add_option("--gguf", a.gguf, "write the model as a GGUF v3 file llama.cpp and Ollama load");
  app.add_option("--gguf-lora", a.gguf_lora, "write the adapter as a GGUF LoRA (llama.cpp --lora, Ollama ADAPTER)");
  app.add_option("--peft", a.peft, "write the adapter as a PEFT folder (adapter_model.safetensors + adapter_config.json)");
  app.add_option("--ollama", a.ollama, "write DIR/model.gguf, DIR/adapter.gguf (without --merge) and DIR/Modelfile");
  app.add_flag("--force", a.force, cli::kForceHelp);
  if (auto exit_code = cli::Parse(app, argc, argv)) return *exit_code;
  if (Status st = Export(a); !st.ok()) return cli::Fail(st);
  return 0;
}

}  // namespace
}  // namespace edgert

int main(int argc, char** argv) { return edgert::cli::RunTool(edgert::Run, argc, argv); }
