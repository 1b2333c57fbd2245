// Tokenizer encode throughput (MB/s, one thread) on English prose and on
// source code, with the real Qwen2.5 tokenizer. The texts are generated
// deterministically so the same bytes can be given to the JS implementation:
//   build/bench/tokenizer_bench --write-texts DIR     writes prose.txt, code.txt
//   node tests/tokenizer/node/crosscheck.mjs --bench TOKENIZER DIR/prose.txt
// bench/compare_tokenizer.sh runs both back to back and prints the ratio.
#include <benchmark/benchmark.h>

#include <cstring>
#include <fstream>
#include <random>
#include <string>

#include "formats/tokenizer_json/tokenizer_json.h"
#include "runtime/tokenizer/tokenizer.h"

namespace edgert {
namespace {

std::string Prose(size_t bytes) {
  static const char* kWords[] = {
      "the", "of", "and", "to", "in", "is", "that", "for", "it", "as", "was", "with", "be", "by", "on", "not",
      "he", "this", "are", "or", "his", "from", "at", "which", "but", "have", "an", "had", "they", "you", "were",
      "their", "one", "all", "we", "can", "her", "has", "there", "been", "if", "more", "when", "will", "would",
      "who", "so", "no", "model", "memory", "laptop", "training", "language", "weights", "quantized", "budget",
      "diagram", "personalization", "runtime", "Tuesday", "London", "2024", "3.5", "don't", "it's", "we've"};
  std::mt19937 rng(1);
  std::string s;
  while (s.size() < bytes) {
    const int sentence = 8 + static_cast<int>(rng() % 14);
    for (int i = 0; i < sentence; ++i) {
      std::string w = kWords[rng() % (sizeof(kWords) / sizeof(*kWords))];
      if (i == 0) w[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(w[0])));
      s += w;
      s += (i + 1 == sentence) ? (rng() % 4 == 0 ? ".\n\n" : ". ") : (rng() % 9 == 0 ? ", " : " ");
    }
  }
  return s;
}

std::string Code(size_t bytes) {
  static const char* kLines[] = {
      "#include <vector>\n", "namespace edgert {\n", "}  // namespace edgert\n",
      "static int Compute(const float* x, int n) {\n", "  for (int i = 0; i < n; ++i) {\n",
      "    acc += x[i] * w[i];  // accumulate\n", "  }\n", "  return static_cast<int>(acc);\n", "}\n", "\n",
      "def forward(self, x):\n", "    h = self.norm(x)\n", "        return torch.matmul(h, self.w.T) + self.b\n",
      "if (status != 0) { fprintf(stderr, \"error: %s\\n\", msg); return -1; }\n",
      "    std::vector<std::pair<int, float>> items{{1, 0.5f}, {2, 1.25f}};\n",
      "\tconst auto it = map.find(key);\n", "    x = 0x7fff & (y << 3) | z;  /* bits */\n",
      "SELECT id, name FROM users WHERE age >= 18 ORDER BY name;\n"};
  std::mt19937 rng(2);
  std::string s;
  while (s.size() < bytes) s += kLines[rng() % (sizeof(kLines) / sizeof(*kLines))];
  return s;
}

const Tokenizer& Qwen() {
  static const Tokenizer* t = [] {
    auto spec = ReadTokenizerJson(std::string(EDGERT_SHARED_DIR) + "/data/tokenizer/qwen2.5/tokenizer.json");
    if (!spec.ok()) {
      std::fprintf(stderr, "error: %s\n", spec.status().message().c_str());
      std::exit(1);
    }
    auto tok = Tokenizer::Create(*spec);
    if (!tok.ok()) std::exit(1);
    return new Tokenizer(std::move(tok).value());
  }();
  return *t;
}

void Encode(benchmark::State& state, const std::string& text) {
  const Tokenizer& tok = Qwen();
  size_t tokens = 0;
  for (auto _ : state) {
    auto ids = tok.Encode(text);
    tokens = ids.size();
    benchmark::DoNotOptimize(ids);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
  state.counters["tokens"] = static_cast<double>(tokens);
}

void BM_EncodeProse(benchmark::State& state) { Encode(state, Prose(1 << 20)); }
void BM_EncodeCode(benchmark::State& state) { Encode(state, Code(1 << 20)); }
BENCHMARK(BM_EncodeProse)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_EncodeCode)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace edgert

int main(int argc, char** argv) {
  if (argc == 3 && std::strcmp(argv[1], "--write-texts") == 0) {
    std::ofstream(std::string(argv[2]) + "/prose.txt") << edgert::Prose(1 << 20);
    std::ofstream(std::string(argv[2]) + "/code.txt") << edgert::Code(1 << 20);
    return 0;
  }
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  return 0;
}
