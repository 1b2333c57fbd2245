// edge-convert: checkpoints in, .etm model files out; and inspection of them.
//
//   edge-convert --from DIR_OR_GGUF --out M.etm [--quant f32|f16|bf16|q8_0|q4_0] [--tokenizer tokenizer.json]
//   edge-convert --random PRESET_OR_CONFIG --tokenizer tokenizer.json --out M.etm [--quant ...] [--seed N]
//   edge-convert --info M.etm [--json]
//   edge-convert --verify M.etm | A.eta | A.eta.ckpt
#include <CLI/CLI.hpp>

#include <cstdio>
#include <memory>
#include <optional>
#include <string>

#include "formats/tokenizer_json/tokenizer_json.h"
#include "ports/process_stats.h"
#include "runtime/convert/converter.h"
#include "runtime/convert/open_source.h"
#include "runtime/convert/random_source.h"
#include "tools/common/cli.h"
#include "tools/edge_convert/model_info.h"
#include "tools/edge_convert/verify_adapter.h"

namespace edgert {
namespace {

struct Args {
  std::string from, random, out, quant, tokenizer, info, verify;
  uint64_t seed = 0;
  bool json = false;
  bool quiet = false;
  bool force = false;
};

int Convert(const Args& a) {
  if (a.out.empty()) return cli::Fail(InvalidArgument("--out is required with --from and --random"));
  if (Status st = cli::CheckOutputPath(a.out, "--out", cli::ExistingOutputs(a.force), {a.from, a.random, a.tokenizer});
      !st.ok()) {
    return cli::Fail(st);
  }
  ConvertOptions options;
  options.out_path = a.out;
  if (!a.quant.empty()) {
    const auto dtype = DTypeFromName(a.quant);
    if (!dtype) return cli::Fail(InvalidArgument("--quant " + a.quant + ": expected one of f32, f16, bf16, q8_0, q4_0"));
    options.matrix_dtype = *dtype;
  }
  if (!a.tokenizer.empty()) {
    auto spec = ReadTokenizerJson(a.tokenizer);
    if (!spec.ok()) return cli::Fail(spec.status());
    options.tokenizer = std::move(*spec);
  }
  std::unique_ptr<CheckpointSource> source;
  if (!a.random.empty()) {
    if (!options.tokenizer) return cli::Fail(InvalidArgument("--random needs --tokenizer tokenizer.json"));
    if (!options.matrix_dtype) options.matrix_dtype = DType::kF32;
    auto s = OpenRandomSource(a.random, a.seed);
    if (!s.ok()) return cli::Fail(s.status());
    source = std::move(*s);
  } else {
    auto s = OpenCheckpoint(a.from);
    if (!s.ok()) return cli::Fail(s.status());
    source = std::move(*s);
  }
  if (!a.quiet) {
    options.on_progress = [](const ConvertProgress& p) {
      std::fprintf(stderr, "\r[%zu/%zu] %5.1f%%  %-60s", p.tensor_index + 1, p.tensor_count,
                   100.0 * static_cast<double>(p.bytes_written) / static_cast<double>(p.bytes_total ? p.bytes_total : 1),
                   p.tensor_name->c_str());
    };
  }
  const Status st = ConvertToEtm(*source, options);
  if (!a.quiet) std::fprintf(stderr, "\n");
  if (!st.ok()) return cli::Fail(st);
  const ports::MemoryStats mem = ports::ReadMemoryStats();
  std::printf("wrote %s (%s; peak resident memory %s)\n", a.out.c_str(), source->description().c_str(),
              cli::HumanBytes(mem.peak_resident_bytes).c_str());
  return 0;
}

int Run(int argc, char** argv) {
  CLI::App app{"edge-convert: make, inspect and verify edge-rt model files (.etm)"};
  Args a;
  auto* from = app.add_option("--from", a.from, "Hugging Face checkpoint folder (config.json + safetensors) or a .gguf file");
  auto* random = app.add_option("--random", a.random, "preset (qwen2.5-0.5b, qwen2.5-1.5b, tiny) or config.json: random weights");
  auto* info = app.add_option("--info", a.info, "print architecture, parameters and tensors of a model file");
  auto* verify = app.add_option("--verify", a.verify, "check a model file (header and every tensor checksum) or an adapter / checkpoint (.eta)");
  from->excludes(random)->excludes(info)->excludes(verify);
  random->excludes(info)->excludes(verify);
  info->excludes(verify);
  app.add_option("--out", a.out, "output model file (.etm), written atomically");
  app.add_option("--quant", a.quant, "dtype of weight matrices: f32, f16, bf16, q8_0, q4_0 (default: as in the source)");
  app.add_option("--tokenizer", a.tokenizer, "tokenizer.json to embed (replaces the checkpoint's)");
  app.add_option("--seed", a.seed, "seed for --random")->check(cli::Unsigned64());
  app.add_flag("--json", a.json, "with --info: one JSON object");
  app.add_flag("--quiet,-q", a.quiet, "no progress line");
  app.add_flag("--force", a.force, cli::kForceHelp);
  if (auto exit_code = cli::Parse(app, argc, argv)) return *exit_code;
  if (!a.info.empty()) return PrintModelInfo(a.info, a.json);
  if (!a.verify.empty()) return LooksLikeAdapterFile(a.verify) ? VerifyAdapter(a.verify) : VerifyModel(a.verify);
  if (a.from.empty() && a.random.empty()) {
    return cli::Fail(InvalidArgument("nothing to do: give --from, --random, --info or --verify (see --help)"));
  }
  return Convert(a);
}

}  // namespace
}  // namespace edgert

int main(int argc, char** argv) { return edgert::cli::RunTool(edgert::Run, argc, argv); }
