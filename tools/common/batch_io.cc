// tools/common/batch_io.cc: prompt files (edge-run batch, edge-eval).
#include "tools/common/batch_io.h"

#include <fstream>
#include <sstream>

#include "formats/regular_file.h"

namespace edgert {
namespace {

using nlohmann::ordered_json;

Result<BatchItem> ItemFrom(const ordered_json& j) {
  BatchItem item;
  if (j.is_string()) {
    item.original = {{"prompt", j}};
    item.raw_prompt = j.get<std::string>();
    item.messages = {{"user", item.raw_prompt}};
    return item;
  }
  if (!j.is_object()) return InvalidArgument("expected a string or an object");
  item.original = j;
  if (const auto m = j.find("messages"); m != j.end()) {
    if (!m->is_array() || m->empty()) return InvalidArgument("'messages' must be a non-empty array");
    for (const auto& msg : *m) {
      if (!msg.is_object() || !msg.contains("role") || !msg.contains("content") || !msg["role"].is_string() ||
          !msg["content"].is_string()) {
        return InvalidArgument("every message needs string 'role' and 'content'");
      }
      item.messages.push_back({msg["role"].get<std::string>(), msg["content"].get<std::string>()});
    }
    return item;
  }
  for (const char* key : {"prompt", "instruction"}) {
    if (const auto p = j.find(key); p != j.end()) {
      if (!p->is_string()) return InvalidArgument(std::string("'") + key + "' must be a string");
      std::string text = p->get<std::string>();
      if (const auto in = j.find("input"); in != j.end() && in->is_string() && !in->get<std::string>().empty()) {
        text += "\n\n" + in->get<std::string>();
      }
      item.raw_prompt = text;
      item.messages = {{"user", text}};
      return item;
    }
  }
  return InvalidArgument("object has none of 'prompt', 'instruction', 'messages'");
}

}  // namespace

Result<std::vector<BatchItem>> ReadBatchFile(const std::string& path) {
  EDGERT_RETURN_IF_ERROR(CheckRegularFile(path));
  std::ifstream in(path, std::ios::binary);
  if (!in) return IoError(path + ": cannot open");
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string text = ss.str();
  std::vector<BatchItem> items;
  const size_t first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return InvalidArgument(path + ": no prompts (empty file)");
  if (text[first] == '[') {
    ordered_json j;
    try {
      j = ordered_json::parse(text);
    } catch (const ordered_json::parse_error& e) {
      const size_t line = 1 + static_cast<size_t>(std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(std::min(e.byte, text.size())), '\n'));
      return InvalidArgument(path + ": line " + std::to_string(line) + ": not valid JSON: " + e.what());
    } catch (const ordered_json::exception& e) {
      return InvalidArgument(path + ": not valid JSON: " + e.what());
    }
    for (size_t i = 0; i < j.size(); ++i) {
      auto item = ItemFrom(j[i]);
      if (!item.ok()) return item.status().WithContext(path + ": item " + std::to_string(i + 1));
      items.push_back(std::move(*item));
    }
  } else {
    std::istringstream lines(text);
    std::string line;
    for (size_t n = 1; std::getline(lines, line); ++n) {
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      ordered_json j;
      try {
        j = ordered_json::parse(line);
      } catch (const ordered_json::parse_error& e) {
        return InvalidArgument(path + ": line " + std::to_string(n) + ": not valid JSON: " + e.what());
      } catch (const ordered_json::exception& e) {
        return InvalidArgument(path + ": line " + std::to_string(n) + ": not valid JSON: " + e.what());
      }
      auto item = ItemFrom(j);
      if (!item.ok()) return item.status().WithContext(path + ": line " + std::to_string(n));
      items.push_back(std::move(*item));
    }
  }
  if (items.empty()) return InvalidArgument(path + ": no prompts");
  return items;
}

}  // namespace edgert
