// runtime/convert/open_source.cc: picks the reader by what the path holds.
#include "runtime/convert/open_source.h"

#include <filesystem>
#include <fstream>

#include "formats/regular_file.h"
#include "runtime/convert/gguf_source.h"
#include "runtime/convert/hf_source.h"

namespace edgert {

Result<std::unique_ptr<CheckpointSource>> OpenCheckpoint(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::exists(path, ec)) return NotFound(path + ": no such file or folder");
  if (fs::is_directory(path, ec)) return OpenHfCheckpoint(path);
  EDGERT_RETURN_IF_ERROR(CheckRegularFile(path));
  char magic[4] = {};
  std::ifstream(path, std::ios::binary).read(magic, 4);
  if (std::string_view(magic, 4) == "GGUF") return OpenGgufCheckpoint(path);
  return InvalidArgument(path + ": expected a Hugging Face checkpoint folder or a GGUF file (no 'GGUF' magic at byte 0)");
}

}  // namespace edgert
