// formats/adapter/adapter_file.h: reading and writing .eta adapter files
// (schema: formats/adapter.fbs). Plain data in, plain data out; runtime/train
// turns it into a LoraAdapter. Writes are atomic; reads verify everything.
// The checksum (format 3 on) covers every value read; bytes appended after
// the FlatBuffer are never read (a FlatBuffer is found from its root offset,
// not from the file's length), so they change nothing and are accepted.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/status.h"

namespace edgert {

struct NamedTensor {
  std::string name;
  std::vector<int64_t> shape;
  std::vector<float> data;       // read from a file
  std::span<const float> view;   // to write without a copy: used instead of data when not empty
  std::span<const float> values() const { return view.empty() ? std::span<const float>(data) : view; }
};

struct LoraSettingsData {
  int32_t rank = 0;
  float alpha = 0;
  float dropout = 0;
  bool rslora = false;
  uint32_t targets = 0;
};

struct TrainingStateData {
  int64_t step = 0, epoch = 0, cursor = 0;
  std::vector<uint64_t> rng_state;
  uint64_t run_id = 0;
  std::vector<NamedTensor> m, v;
  std::vector<float> losses;
  std::vector<int64_t> eval_steps;
  std::vector<float> eval_losses;
};

struct AdapterFileData {
  uint64_t base_fingerprint = 0;
  std::string base_description;
  LoraSettingsData settings;
  std::vector<NamedTensor> tensors;
  std::optional<TrainingStateData> training;
};

Status WriteAdapterFile(const std::string& path, const AdapterFileData& data);
Result<AdapterFileData> ReadAdapterFile(const std::string& path);
Result<AdapterFileData> ParseAdapterFile(const void* bytes, size_t size, const std::string& name);

}  // namespace edgert
