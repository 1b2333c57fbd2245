// tests/mermaid/written_corpus.h: the hand-written Mermaid diagrams of
// tests/mermaid/written/*.mmd. Each file holds diagrams of one type, each after
// a line "==== valid: WHY" or "==== invalid: WHY" (a near-miss: one realistic
// mistake that mermaid rejects). The node side (check_written.mjs) reads the
// same format.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace edgert::testing {

struct WrittenDiagram {
  std::string file;  // "flowchart.mmd"
  bool valid = false;
  std::string why;
  std::string text;  // without the trailing line breaks
};

inline std::vector<WrittenDiagram> ReadWrittenDiagrams(const std::string& dir) {
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() == ".mmd") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  std::vector<WrittenDiagram> out;
  for (const auto& path : files) {
    std::ifstream in(path);
    EXPECT_TRUE(in.good()) << path;
    std::string line;
    while (std::getline(in, line)) {
      if (line.starts_with("==== ")) {
        const size_t colon = line.find(": ");
        const std::string label = line.substr(5, colon == std::string::npos ? std::string::npos : colon - 5);
        EXPECT_TRUE(label == "valid" || label == "invalid") << path << ": " << line;
        out.push_back({path.filename().string(), label == "valid", colon == std::string::npos ? "" : line.substr(colon + 2), ""});
      } else {
        EXPECT_FALSE(out.empty()) << path << ": text before the first ==== line";
        if (!out.empty()) out.back().text += line + "\n";
      }
    }
  }
  for (WrittenDiagram& d : out) {
    while (d.text.ends_with('\n')) d.text.pop_back();
  }
  return out;
}

}  // namespace edgert::testing
