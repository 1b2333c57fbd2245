// tools/edge_convert/verify_adapter.cc
#include "tools/edge_convert/verify_adapter.h"

#include <cstdio>
#include <cstring>
#include <fstream>

#include "formats/adapter/adapter_file.h"
#include "formats/regular_file.h"
#include "tools/common/cli.h"

namespace edgert {

bool LooksLikeAdapterFile(const std::string& path) {
  // A FIFO or a device would block or never end here: only regular files are peeked at.
  if (!CheckRegularFile(path).ok()) return false;
  char head[8] = {};
  std::ifstream in(path, std::ios::binary);
  return in.read(head, sizeof(head)) && std::memcmp(head + 4, "ETA1", 4) == 0;
}

int VerifyAdapter(const std::string& path) {
  // ReadAdapterFile checks everything: FlatBuffers structure, the content
  // checksum (format 3 on), finite values. The base model binding is checked
  // where a base is given (edge-run --lora, edge-tune --resume).
  auto data = ReadAdapterFile(path);
  if (!data.ok()) return cli::Fail(data.status());
  size_t values = 0;
  for (const NamedTensor& t : data->tensors) values += t.data.size();
  std::printf("%s: LoRA adapter, rank %d, %zu tensors (%zu values)", path.c_str(), data->settings.rank,
              data->tensors.size(), values);
  if (data->training) std::printf(", training checkpoint at step %lld", static_cast<long long>(data->training->step));
  std::printf(", every check passed\n");
  return 0;
}

}  // namespace edgert
