// runtime/grammar/builtin.cc: the embedded grammars (every
// runtime/grammar/grammars/*.gbnf), their fenced forms, and .gbnf files.
#include <algorithm>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>

#include "formats/regular_file.h"
#include "runtime/grammar/grammar.h"

namespace edgert {
namespace grammar_internal {
Result<std::shared_ptr<const Grammar>> Compile(std::string_view text, std::string_view source, std::string_view start);
}  // namespace grammar_internal

namespace {

struct EmbeddedGrammar {
  const char* name;
  const char* data;
  size_t size;
};

#include "builtin_grammars.inc"

constexpr std::string_view kFencedSuffix = "-fenced";

const EmbeddedGrammar* FindEmbedded(std::string_view name) {
  for (const EmbeddedGrammar* g = kEmbeddedGrammars; g->name != nullptr; ++g) {
    if (name == g->name) return g;
  }
  return nullptr;
}

Result<std::shared_ptr<const Grammar>> CompileBuiltin(std::string_view name) {
  if (const EmbeddedGrammar* g = FindEmbedded(name)) {
    return grammar_internal::Compile(std::string_view(g->data, g->size), "grammars/" + std::string(name) + ".gbnf",
                                     "root");
  }
  // NAME-fenced: NAME's rules plus a start rule around its root. The new rule
  // goes after the file's text, so positions in messages stay the file's.
  if (name.size() > kFencedSuffix.size() && name.ends_with(kFencedSuffix)) {
    const std::string_view base = name.substr(0, name.size() - kFencedSuffix.size());
    if (const EmbeddedGrammar* g = FindEmbedded(base)) {
      std::string text(g->data, g->size);
      text += "\nfenced-root ::= \"```" + std::string(base) + "\\n\" root \"\\n```\"\n";
      return grammar_internal::Compile(text, "grammars/" + std::string(base) + ".gbnf (fenced)", "fenced-root");
    }
  }
  std::string known;
  for (const std::string& n : BuiltinGrammarNames()) known += (known.empty() ? "" : ", ") + n;
  return NotFound("no built-in grammar named '" + std::string(name) + "' (built in: " + known + ")");
}

}  // namespace

std::vector<std::string> BuiltinGrammarNames() {
  std::vector<std::string> names;
  for (const EmbeddedGrammar* g = kEmbeddedGrammars; g->name != nullptr; ++g) {
    const std::string n = g->name;
    names.push_back(n);
    if (!n.ends_with(kFencedSuffix)) names.push_back(n + std::string(kFencedSuffix));
  }
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

Result<std::shared_ptr<const Grammar>> BuiltinGrammar(std::string_view name) {
  // Compiled once per process; a failure is not cached (it is a bug in a
  // built-in, which the tests catch).
  static std::mutex mu;
  static std::map<std::string, std::shared_ptr<const Grammar>, std::less<>> cache;
  std::lock_guard<std::mutex> lock(mu);
  if (auto it = cache.find(name); it != cache.end()) return it->second;
  EDGERT_ASSIGN_OR_RETURN(auto g, CompileBuiltin(name));
  cache.emplace(std::string(name), g);
  return g;
}

Result<std::shared_ptr<const Grammar>> LoadGrammar(std::string_view name_or_path) {
  const bool is_path = name_or_path.find('/') != std::string_view::npos || name_or_path.ends_with(".gbnf");
  if (!is_path) return BuiltinGrammar(name_or_path);
  const std::string path(name_or_path);
  EDGERT_RETURN_IF_ERROR(RefuseSpecialFile(path));
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound(path + ": cannot open the grammar file");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return IoError(path + ": cannot read the grammar file");
  return CompileGrammar(text.str(), path);
}

}  // namespace edgert
