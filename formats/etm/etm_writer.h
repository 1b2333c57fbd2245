// formats/etm/etm_writer.h: streams a model into an .etm file.
//
// Every tensor is declared up front (so the layout is fixed before a byte is
// written), then the tensors' bytes are appended in declaration order, in
// chunks of any size: a converter never holds more than a chunk. Checksums are
// computed on the way. The file appears at `path` only when Finish() succeeds;
// until then it is a temporary file beside it, removed on failure.
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "base/status.h"
#include "formats/etm/model_metadata.h"

namespace edgert {

class EtmWriter {
 public:
  static Result<EtmWriter> Create(const std::string& path, ModelMetadata metadata,
                                  std::vector<TensorDecl> tensors);
  EtmWriter(EtmWriter&&) noexcept;
  EtmWriter& operator=(EtmWriter&&) noexcept;
  ~EtmWriter();

  // Bytes of the current tensor (declaration order); may not run past its end.
  Status Append(std::span<const std::byte> bytes);
  // The tensor that the next Append fills, and how many bytes it still needs.
  size_t current_tensor() const;
  uint64_t remaining_in_current() const;
  // Checks that every tensor is complete, writes the header, fsyncs, renames.
  Status Finish();

 private:
  struct State;
  explicit EtmWriter(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace edgert
