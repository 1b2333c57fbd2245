// tools/common/cli.h: what every edge-* command does the same way.
#pragma once

#include <CLI/CLI.hpp>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <vector>
#include <optional>
#include <string>

#include "base/status.h"

namespace edgert::cli {

// Prints "error: <message>" to stderr; returns the process exit code (1).
inline int Fail(const Status& status) {
  std::fprintf(stderr, "error: %s\n", status.message().c_str());
  return 1;
}

// Runs a tool's body: an exception that escapes it (a bug: the library
// returns errors as values) still ends in one "error: internal error: ..."
// line and exit code 1, not in std::terminate's abort.
inline int RunTool(int (*body)(int, char**), int argc, char** argv) {
  try {
    return body(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: internal error: %s\n", e.what());
    return 1;
  }
}

// Parses the command line. Returns the exit code to return at once (after
// --help, or after printing a usage error as "error: ..."), or nullopt to go on.
inline std::optional<int> Parse(CLI::App& app, int argc, char** argv) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);
    return Fail(InvalidArgument(e.what()));
  }
  return std::nullopt;
}

// Whole-number option checks. CLI11's NonNegativeNumber / PositiveNumber
// name their range with DBL_MAX written out (309 digits) and let "-1" wrap
// into an unsigned seed.
inline CLI::Validator WholeNumber(long long min) {
  return CLI::Validator(
      [min](std::string& text) -> std::string {
        char* end = nullptr;
        errno = 0;
        const long long v = std::strtoll(text.c_str(), &end, 10);
        if (text.empty() || end != text.c_str() + text.size() || errno == ERANGE) {
          return "expected a whole number, got '" + text + "'";
        }
        if (v < min) return "expected " + std::to_string(min) + " or more, got " + text;
        return "";
      },
      "INT>=" + std::to_string(min));
}
inline CLI::Validator NonNegativeInteger() { return WholeNumber(0); }
inline CLI::Validator PositiveInteger() { return WholeNumber(1); }
// A value that may not be empty: "--budget ''" is a mistake, not the default.
inline CLI::Validator NonEmpty() {
  return CLI::Validator([](std::string& text) -> std::string { return text.empty() ? "expected a value, got ''" : ""; },
                        "TEXT");
}
// An unsigned 64-bit value written in decimal digits only (no sign).
inline CLI::Validator Unsigned64() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        const bool digits = !text.empty() && text.find_first_not_of("0123456789") == std::string::npos;
        errno = 0;
        if (digits) (void)std::strtoull(text.c_str(), nullptr, 10);
        if (!digits || errno == ERANGE) return "expected a whole number from 0 to 2^64-1, got '" + text + "'";
        return "";
      },
      "UINT64");
}

// The one rule for output files, the same in every tool: an output that
// already exists is refused unless the user passed --force (kReplace), and an
// output that is one of the inputs is refused even then.
enum class Existing { kRefuse, kReplace };
inline Existing ExistingOutputs(bool force) { return force ? Existing::kReplace : Existing::kRefuse; }
inline constexpr const char* kForceHelp = "replace output files that already exist (never an input)";

// Checks an output path before any work: its folder exists, it is not a
// folder, it does not exist yet (unless `existing` is kReplace), and it is not
// one of `inputs` (by identity, so "x.jsonl" and "./x.jsonl" are the same
// file): writing there would destroy that input. Empty paths (options not
// given) pass. Messages: "FLAG PATH: why".
Status CheckOutputPath(const std::string& path, const char* flag, Existing existing,
                       const std::vector<std::string>& inputs = {});

// The same for an output folder that receives `files` (--peft, --ollama,
// --export-peft): the folder may be missing (it is made), but a name the OS
// refuses (too long, a component that is a file) is reported now, not after
// the work; its files that exist follow CheckOutputPath's rule.
Status CheckOutputFolder(const std::string& dir, const char* flag, Existing existing,
                         const std::vector<std::string>& files, const std::vector<std::string>& inputs = {});

// "A.eta" -> {A.eta, 1}; "A.eta:0.5" -> {A.eta, 0.5} (the part after the last
// ':' is a scale when it is a number; one that is not finite, such as "nan" or
// "inf", is an error). A may be an .eta file or a PEFT folder.
struct AdapterSpec {
  std::string path;
  float scale = 1.0f;
};
Result<AdapterSpec> ParseAdapterSpec(const std::string& spec);

// The allocator behind malloc in this process: "mimalloc" (the CLIs are
// linked with it unless built with EDGERT_MIMALLOC=OFF) or "libc".
const char* HeapAllocatorName();

// "1.5 GB"-style sizes for humans (decimal units, as disks and RAM are sold).
std::string HumanBytes(uint64_t bytes);

// "1500000000", "800MB", "1.5GB", "2GiB", "512M" (K/M/G/T decimal, KiB/MiB/GiB/TiB binary).
Result<uint64_t> ParseBytes(const std::string& text);

}  // namespace edgert::cli
