// runtime/train/json_records.cc
#include "runtime/train/json_records.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "formats/regular_file.h"

namespace edgert {
namespace {

using nlohmann::json;

size_t LineAt(const std::string& text, size_t byte) {
  const auto end = text.begin() + static_cast<std::ptrdiff_t>(std::min(byte, text.size()));
  return 1 + static_cast<size_t>(std::count(text.begin(), end, '\n'));
}

Result<JsonRecords> ReadArray(const std::string& path, const std::string& text) {
  JsonRecords out;
  json j;
  try {
    j = json::parse(text);
  } catch (const json::parse_error& e) {
    return InvalidArgument(path + ": line " + std::to_string(LineAt(text, e.byte)) + ": not valid JSON: " + e.what());
  } catch (const json::exception& e) {
    return InvalidArgument(path + ": not valid JSON: " + e.what());
  }
  if (!j.is_array()) return InvalidArgument(path + ": expected a JSON array of examples");
  out.records.reserve(j.size());
  for (size_t i = 0; i < j.size(); ++i) {
    out.records.push_back({std::move(j[i]), path + ": item " + std::to_string(i + 1)});
  }
  return out;
}

Result<JsonRecords> ReadLines(const std::string& path, const std::string& text, bool keep_going) {
  JsonRecords out;
  std::istringstream lines(text);
  std::string line;
  for (size_t n = 1; std::getline(lines, line); ++n) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const std::string where = path + ": line " + std::to_string(n);
    try {
      out.records.push_back({json::parse(line), where});
    } catch (const json::exception& e) {
      const std::string message = where + ": not valid JSON: " + e.what();
      if (!keep_going) return InvalidArgument(message + " (--skip-bad-lines to go on without it)");
      out.bad_lines.push_back(message);
    }
  }
  return out;
}

}  // namespace

Result<JsonRecords> ReadJsonRecords(const std::string& path, bool keep_going) {
  EDGERT_RETURN_IF_ERROR(CheckRegularFile(path));
  std::ifstream in(path, std::ios::binary);
  if (!in) return IoError(path + ": cannot open");
  std::stringstream ss;
  ss << in.rdbuf();
  return ParseJsonRecords(ss.str(), path, keep_going);
}

Result<JsonRecords> ParseJsonRecords(const std::string& text, const std::string& path, bool keep_going) {
  const size_t first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return InvalidArgument(path + ": empty data set (no examples)");
  if (text[first] == '[') return ReadArray(path, text);
  return ReadLines(path, text, keep_going);
}

}  // namespace edgert
