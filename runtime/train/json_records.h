// runtime/train/json_records.h: the records of a JSON array or JSONL file,
// each with where it came from, for messages that name the file and line.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"

namespace edgert {

struct JsonRecord {
  nlohmann::json value;
  std::string where;  // "data.jsonl: line 12" or "data.json: item 3 (line 40)"
};

struct JsonRecords {
  std::vector<JsonRecord> records;
  // JSONL lines that were not valid JSON, each "file: line N: why". Only
  // filled when `keep_going`; otherwise the first one is the error.
  std::vector<std::string> bad_lines;
};

// A file whose first non-blank byte is '[' is one JSON array (a syntax error
// anywhere fails the whole file); anything else is JSONL, one value per
// non-blank line.
Result<JsonRecords> ReadJsonRecords(const std::string& path, bool keep_going);
// The same over a file's text already in memory; `path` names it in messages.
Result<JsonRecords> ParseJsonRecords(const std::string& text, const std::string& path, bool keep_going);

}  // namespace edgert
