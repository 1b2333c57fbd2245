// runtime/convert/open_source.cc: picks the reader by what the path holds.
#include "runtime/convert/open_source.h"

#include <filesystem>

namespace edgert {

Result<std::unique_ptr<CheckpointSource>> OpenCheckpoint(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::exists(path, ec)) return NotFound(path + ": no such file or folder");
  return Unsupported(path + ": reading Hugging Face and GGUF checkpoints is not built yet");
}

}  // namespace edgert
