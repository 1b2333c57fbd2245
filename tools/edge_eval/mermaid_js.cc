#include "tools/edge_eval/mermaid_js.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

extern char** environ;

namespace edgert::eval {
namespace {

namespace fs = std::filesystem;

// Reads {"text"} lines on stdin, writes {"error": null | message} lines. The
// modules come from the folder given as argv[2], by path, so the script can
// live anywhere.
constexpr const char* kScript = R"JS(import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
const dir = process.argv[2];
const { JSDOM } = createRequire(join(dir, 'noop.js'))('jsdom');
const { window } = new JSDOM('<!doctype html><html><body></body></html>');
for (const k of ['window', 'document', 'DOMParser', 'Element', 'Option']) globalThis[k] = k === 'window' ? window : window[k];
const mermaid = (await import(pathToFileURL(join(dir, 'mermaid', 'dist', 'mermaid.core.mjs')).href)).default;
mermaid.initialize({ startOnLoad: false });
const out = [];
for (const line of readFileSync(0, 'utf8').split('\n')) {
  if (!line) continue;
  let error = null;
  try { await mermaid.parse(JSON.parse(line).text); } catch (e) { error = String((e && e.message) || e).split('\n').join(' | '); }
  out.push(JSON.stringify({ error }));
}
process.stdout.write(out.join('\n') + '\n');
)JS";

std::string ReadAll(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// A private directory for the script and its input and output, removed on
// every path out.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "edge-eval-mermaid-XXXXXX").string();
    if (mkdtemp(pattern.data()) != nullptr) path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    if (!path_.empty()) fs::remove_all(path_, ignored);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

// Runs `node script node_modules` with stdin/stdout/stderr on files; its exit
// status, or an error when it could not start.
Result<int> RunNode(const MermaidJsSetup& setup, const fs::path& dir) {
  posix_spawn_file_actions_t files;
  posix_spawn_file_actions_init(&files);
  posix_spawn_file_actions_addopen(&files, 0, (dir / "in.jsonl").c_str(), O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&files, 1, (dir / "out.jsonl").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&files, 2, (dir / "err.txt").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  const std::string script = (dir / "check.mjs").string();
  std::vector<char*> argv = {const_cast<char*>(setup.node.c_str()), const_cast<char*>(script.c_str()),
                             const_cast<char*>(setup.node_modules.c_str()), nullptr};
  pid_t pid = 0;
  const int spawned = posix_spawnp(&pid, setup.node.c_str(), &files, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&files);
  if (spawned != 0) {
    return NotFound("--checker mermaid-js needs node (" + setup.node + " could not be started; install Node.js 18+)");
  }
  int status = 0;
  if (waitpid(pid, &status, 0) != pid) return Internal("waiting for node failed");
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

}  // namespace

Result<std::string> MermaidJsVersion(const MermaidJsSetup& setup) {
  const fs::path root = setup.node_modules;
  for (const char* package : {"mermaid", "jsdom"}) {
    if (!fs::exists(root / package / "package.json")) {
      return NotFound("--checker mermaid-js: no " + std::string(package) + " in " + root.string() +
                                " (give --node-modules DIR, a node_modules folder with mermaid and jsdom, e.g. after "
                                "`npm ci --prefix tests/data_sets/node`)");
    }
  }
  const auto package = nlohmann::json::parse(ReadAll(root / "mermaid" / "package.json"), nullptr, false);
  if (!package.is_object() || !package.contains("version") || !package["version"].is_string()) {
    return CorruptFile((root / "mermaid" / "package.json").string() + ": no version");
  }
  return package["version"].get<std::string>();
}

Result<std::vector<MermaidJsVerdict>> CheckWithMermaidJs(const std::vector<std::string>& texts,
                                                         const MermaidJsSetup& setup) {
  EDGERT_RETURN_IF_ERROR(MermaidJsVersion(setup).status());
  TempDir dir;
  if (dir.path().empty()) return Internal("cannot make a temporary directory for the mermaid check");
  {
    std::ofstream script(dir.path() / "check.mjs");
    script << kScript;
    std::ofstream in(dir.path() / "in.jsonl", std::ios::binary);
    for (const std::string& text : texts) {
      in << nlohmann::json({{"text", text}}).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    }
    if (!script || !in) return Internal("cannot write the mermaid check's input under " + dir.path().string());
  }
  EDGERT_ASSIGN_OR_RETURN(const int exit_code, RunNode(setup, dir.path()));
  if (exit_code != 0) {
    std::string err = ReadAll(dir.path() / "err.txt");
    if (err.size() > 400) err.resize(400);
    return IoError("--checker mermaid-js: node exited with " + std::to_string(exit_code) + ": " + err);
  }
  std::vector<MermaidJsVerdict> verdicts;
  std::istringstream out(ReadAll(dir.path() / "out.jsonl"));
  for (std::string line; std::getline(out, line);) {
    if (line.empty()) continue;
    const auto row = nlohmann::json::parse(line, nullptr, false);
    if (!row.is_object() || !row.contains("error")) return Internal("unreadable line from the mermaid check: " + line);
    MermaidJsVerdict v;
    v.valid = row["error"].is_null();
    if (!v.valid) v.message = row["error"].get<std::string>();
    verdicts.push_back(std::move(v));
  }
  if (verdicts.size() != texts.size()) {
    return Internal("the mermaid check answered " + std::to_string(verdicts.size()) + " of " +
                    std::to_string(texts.size()) + " texts");
  }
  return verdicts;
}

}  // namespace edgert::eval
