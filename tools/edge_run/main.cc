// edge-run: run a model. For now the tokenizer contract that tests rely on:
//
//   edge-run --model M.etm --tokenize [--prompt TEXT]
//
// prints the ids of TEXT (or of standard input, byte for byte), separated by
// spaces, with no chat template and no BOS. Generation comes with the
// inference work (see docs/design.md).
#include <CLI/CLI.hpp>

#include <cstdio>
#include <iostream>
#include <iterator>
#include <string>

#include "formats/etm/etm_reader.h"
#include "runtime/tokenizer/tokenizer.h"
#include "tools/common/cli.h"

namespace edgert {
namespace {

int Run(int argc, char** argv) {
  CLI::App app{"edge-run: run an edge-rt model"};
  std::string model_path, prompt;
  bool tokenize = false;
  app.add_option("--model,-m", model_path, "model file (.etm)")->required();
  auto* prompt_opt = app.add_option("--prompt,-p", prompt, "input text (default: standard input)");
  app.add_flag("--tokenize", tokenize, "print the token ids of the input and exit");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);
    return cli::Fail(InvalidArgument(e.what()));
  }
  if (!tokenize) {
    return cli::Fail(Unsupported("generation is not implemented yet; this build supports --tokenize"));
  }
  auto model = ModelFile::Open(model_path);
  if (!model.ok()) return cli::Fail(model.status());
  auto tokenizer = Tokenizer::Create(model->metadata().tokenizer);
  if (!tokenizer.ok()) return cli::Fail(tokenizer.status().WithContext(model_path));
  if (prompt_opt->count() == 0) {
    std::cin >> std::noskipws;
    prompt.assign(std::istreambuf_iterator<char>(std::cin), {});
  }
  const std::vector<int32_t> ids = tokenizer->Encode(prompt);
  std::string line;
  for (size_t i = 0; i < ids.size(); ++i) {
    if (i) line += ' ';
    line += std::to_string(ids[i]);
  }
  std::printf("%s\n", line.c_str());
  return 0;
}

}  // namespace
}  // namespace edgert

int main(int argc, char** argv) { return edgert::Run(argc, argv); }
