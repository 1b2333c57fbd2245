// Tokenizer encode throughput (MB/s, one thread) on English-like prose and on
// source code (512 KB each), with the real Qwen2.5 tokenizer. The texts are generated
// deterministically so the same bytes can be given to the JS implementation:
//   build/bench/tokenizer_bench --write-texts DIR     writes prose.txt, code.txt
//   node tests/tokenizer/node/crosscheck.mjs --bench TOKENIZER DIR/prose.txt
// bench/compare_tokenizer.sh runs all back to back and prints the ratios
// (to @lenml/tokenizers, and to Hugging Face's Rust library called from node).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <fstream>
#include <random>
#include <string>

#include "formats/tokenizer_json/tokenizer_json.h"
#include "runtime/tokenizer/tokenizer.h"

namespace edgert {
namespace {

// Text with the statistics that matter to a tokenizer's word cache: a few
// hundred frequent words and a long Zipf tail of rarer ones (made from
// syllables, so many are unseen), names, numbers, punctuation, paragraphs.
class TextMaker {
 public:
  explicit TextMaker(uint32_t seed) : rng_(seed) {
    static const char* kCommon[] = {
        "the", "of", "and", "to", "in", "is", "that", "for", "it", "as", "was", "with", "be", "by", "on", "not",
        "he", "this", "are", "or", "his", "from", "at", "which", "but", "have", "an", "had", "they", "you", "were",
        "their", "one", "all", "we", "can", "her", "has", "there", "been", "if", "more", "when", "will", "would",
        "who", "so", "no", "she", "other", "its", "may", "these", "about", "some", "into", "than", "them", "only",
        "time", "could", "new", "two", "first", "after", "any", "like", "our", "what", "also", "over", "such",
        "model", "memory", "laptop", "training", "language", "weights", "people", "years", "between", "because",
        "through", "should", "however", "without", "government", "system", "development", "information",
        "don't", "it's", "we've", "they're", "I'll", "can't", "Mr.", "Dr.", "e.g."};
    for (const char* w : kCommon) words_.push_back(w);
    static const char* kSyllables[] = {"ka", "ter", "ion", "str", "ed", "ing", "mo", "ri", "al", "con", "pre", "ly",
                                       "ment", "ous", "an", "ex", "tion", "ver", "di", "sa", "lo", "ne", "que",
                                       "ph", "ght", "un", "re", "com", "par", "ist", "ble", "cy", "zo", "thr"};
    while (words_.size() < 6000) {
      std::string w;
      const int n = 1 + static_cast<int>(Next() % 4);
      for (int i = 0; i < n; ++i) w += kSyllables[Next() % (sizeof(kSyllables) / sizeof(*kSyllables))];
      words_.push_back(w);
    }
    double sum = 0;
    for (size_t r = 0; r < words_.size(); ++r) cdf_.push_back(sum += 1.0 / static_cast<double>(r + 1));
    for (double& c : cdf_) c /= sum;
  }

  std::string Word() {
    const double u = std::uniform_real_distribution<double>(0, 1)(rng_);
    const size_t r = static_cast<size_t>(std::lower_bound(cdf_.begin(), cdf_.end(), u) - cdf_.begin());
    return words_[std::min(r, words_.size() - 1)];
  }
  uint32_t Next() { return static_cast<uint32_t>(rng_()); }

  std::string Sentence() {
    std::string s;
    const int n = 6 + static_cast<int>(Next() % 20);
    for (int i = 0; i < n; ++i) {
      std::string w = Word();
      const uint32_t x = Next() % 100;
      if (x < 3) w = std::to_string(1900 + Next() % 130);
      else if (x < 5) w = std::to_string(Next() % 1000) + "." + std::to_string(Next() % 100);
      else if (x < 7) w = "(" + w + ")";
      else if (x < 9) w = "\"" + w + "\"";
      if (i == 0 || x == 99) w[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(w[0])));
      s += w;
      s += i + 1 == n ? (x % 7 == 0 ? "? " : x % 11 == 0 ? "! " : ". ") : (x % 8 == 0 ? ", " : x % 41 == 0 ? "; " : " ");
    }
    return s;
  }

  std::string Identifier() {
    std::string a = Word(), b = Word();
    a.erase(std::remove(a.begin(), a.end(), '\''), a.end());
    b.erase(std::remove(b.begin(), b.end(), '\''), b.end());
    switch (Next() % 4) {
      case 0: return a + "_" + b;
      case 1: b[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(b[0]))); return a + b;
      case 2: return a;
      default: a[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(a[0]))); return a + b + "_" + std::to_string(Next() % 10);
    }
  }

 private:
  std::mt19937 rng_;  // 32-bit values in a wider result_type
  std::vector<std::string> words_;  // by rank
  std::vector<double> cdf_;         // Zipf over ranks
};

std::string Prose(size_t bytes) {
  TextMaker m(1);
  std::string s;
  while (s.size() < bytes) {
    const int sentences = 2 + static_cast<int>(m.Next() % 6);
    for (int i = 0; i < sentences; ++i) s += m.Sentence();
    s.back() = '\n';
    s += '\n';
  }
  return s;
}

std::string Code(size_t bytes) {
  TextMaker m(2);
  std::string s;
  int depth = 0;
  while (s.size() < bytes) {
    const std::string indent(static_cast<size_t>(depth) * 2, ' ');
    const uint32_t x = m.Next() % 20;
    if (x < 2 && depth < 4) {
      s += indent + "for (int " + m.Identifier() + " = 0; i < " + m.Identifier() + ".size(); ++i) {\n";
      ++depth;
    } else if (x < 4 && depth < 4) {
      s += indent + "if (" + m.Identifier() + " != nullptr && " + m.Identifier() + "->" + m.Identifier() + "() > " +
           std::to_string(m.Next() % 4096) + ") {\n";
      ++depth;
    } else if (x < 7 && depth > 0) {
      --depth;
      s += std::string(static_cast<size_t>(depth) * 2, ' ') + "}\n";
    } else if (x < 9) {
      s += indent + "// " + m.Sentence() + "\n";
    } else if (x < 11) {
      s += indent + "const auto " + m.Identifier() + " = " + m.Identifier() + "(" + m.Identifier() + ", " +
           std::to_string(m.Next() % 100) + ".0f);\n";
    } else if (x < 13) {
      s += indent + "std::vector<std::pair<int, float>> " + m.Identifier() + "{{" + std::to_string(m.Next() % 9) +
           ", 0.5f}, {2, 1.25f}};\n";
    } else if (x < 15) {
      s += indent + "fprintf(stderr, \"error: %s: " + m.Word() + " " + m.Word() + "\\n\", " + m.Identifier() + ".c_str());\n";
    } else if (x < 17) {
      s += indent + m.Identifier() + "[" + m.Identifier() + "] += 0x" + std::to_string(m.Next() % 0xffff) + " & (" +
           m.Identifier() + " << 3);\n";
    } else if (x < 18) {
      s += "\n" + indent + "def " + m.Identifier() + "(self, x):\n" + indent + "    return self." + m.Identifier() + "(x) * 2\n\n";
    } else {
      s += indent + "return " + m.Identifier() + ";\n";
    }
  }
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

constexpr size_t kTextBytes = 512 << 10;
void BM_EncodeProse(benchmark::State& state) { Encode(state, Prose(kTextBytes)); }
void BM_EncodeCode(benchmark::State& state) { Encode(state, Code(kTextBytes)); }
BENCHMARK(BM_EncodeProse)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_EncodeCode)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace edgert

int main(int argc, char** argv) {
  if (argc == 3 && std::strcmp(argv[1], "--write-texts") == 0) {
    std::ofstream(std::string(argv[2]) + "/prose.txt") << edgert::Prose(edgert::kTextBytes);
    std::ofstream(std::string(argv[2]) + "/code.txt") << edgert::Code(edgert::kTextBytes);
    return 0;
  }
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  return 0;
}
