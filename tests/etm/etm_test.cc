// Model file: round trip, and every kind of damage gives a clear error.
#include <gtest/gtest.h>

#include <algorithm>
#include <gmock/gmock.h>

#include <filesystem>
#include <flatbuffers/flatbuffers.h>
#include <fstream>
#include <random>

#include "formats/etm/etm_reader.h"
#include "formats/etm/etm_schema.h"
#include "formats/etm/etm_writer.h"
#include "tests/etm/test_model.h"
#include "tests/common/temp_dir.h"

namespace edgert {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

class EtmTest : public ::testing::Test {
 protected:
  void SetUp() override { temp_ = std::make_unique<testing::TempDir>("etm_test"); dir_ = temp_->path(); }

  // Writes the micro model with deterministic bytes; returns its path.
  std::string WriteMicro(DType dtype = DType::kF32) {
    const std::string path = (dir_ / "micro.etm").string();
    auto w = EtmWriter::Create(path, testing::MicroMetadata(), testing::DeclsFor(testing::MicroConfig(), dtype));
    EXPECT_TRUE(w.ok()) << w.status().message();
    uint8_t counter = 0;
    while (w->remaining_in_current() > 0) {
      std::vector<std::byte> chunk(std::min<uint64_t>(w->remaining_in_current(), 100));
      for (auto& b : chunk) b = std::byte{counter++};
      EXPECT_TRUE(w->Append(chunk).ok());
    }
    const Status st = w->Finish();
    EXPECT_TRUE(st.ok()) << st.message();
    return path;
  }

  std::vector<char> ReadAll(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
  }

  Status OpenBytes(const std::vector<char>& bytes) {
    auto f = ModelFile::FromBytes(std::as_bytes(std::span(bytes)), "bad.etm");
    return f.ok() ? OkStatus() : f.status();
  }

  // A header with the micro model's tensors after `edit`, followed by zeroed data.
  std::vector<char> CraftFile(const std::function<void(ModelMetadata&, std::vector<TensorInfo>&)>& edit) {
    ModelMetadata m = testing::MicroMetadata();
    std::vector<TensorInfo> tensors;
    uint64_t off = 4096;
    for (const TensorDecl& d : testing::DeclsFor(m.config, DType::kF32)) {
      TensorInfo t{d.name, d.dtype, d.shape, off, *TensorBytes(d.dtype, d.shape), 0};
      off += (t.size + 63) / 64 * 64;
      tensors.push_back(t);
    }
    edit(m, tensors);
    flatbuffers::FlatBufferBuilder b;
    etm_internal::BuildHeader(m, tensors, 4096, b);
    std::vector<char> bytes(off, 0);
    std::memcpy(bytes.data(), b.GetBufferPointer(), b.GetSize());
    return bytes;
  }

  std::unique_ptr<testing::TempDir> temp_;
  fs::path dir_;
};

TEST_F(EtmTest, RoundTripsMetadataAndBytes) {
  for (DType dtype : {DType::kF32, DType::kF16, DType::kQ8_0, DType::kQ4_0}) {
    const std::string path = WriteMicro(dtype);
    auto f = ModelFile::Open(path);
    ASSERT_TRUE(f.ok()) << f.status().message();
    EXPECT_EQ(f->format_version(), kEtmFormatVersion);
    EXPECT_EQ(f->config().hidden_size, 32);
    EXPECT_EQ(f->metadata().tokenizer.vocab.size(), 60u);
    EXPECT_EQ(f->metadata().tokenizer.merges[1], "t 2");
    EXPECT_EQ(f->metadata().tokenizer.added_tokens[0].content, "<|endoftext|>");
    EXPECT_EQ(f->metadata().chat.end_tokens.size(), 2u);
    EXPECT_EQ(f->metadata().source, "unit test");
    ASSERT_EQ(f->tensors().size(), ExpectedTensors(testing::MicroConfig()).size());
    uint8_t counter = 0;
    for (const TensorInfo& t : f->tensors()) {
      EXPECT_EQ(t.offset % 64, 0u) << t.name;
      const auto data = f->TensorData(t);
      ASSERT_EQ(data.size(), t.size);
      // The writer appended in 100-byte chunks of a running counter.
      uint64_t left = t.size;
      size_t i = 0;
      while (left > 0) {
        const uint64_t n = std::min<uint64_t>(left, 100);
        for (uint64_t k = 0; k < n; ++k, ++i) ASSERT_EQ(data[i], std::byte{counter++}) << t.name << " byte " << i;
        left -= n;
      }
    }
    EXPECT_TRUE(f->VerifyChecksums().ok());
    EXPECT_EQ(f->Find("model.layers.1.mlp.down_proj.weight")->dtype, dtype);
    EXPECT_EQ(f->Find("model.norm.weight")->dtype, DType::kF32);
  }
}

TEST_F(EtmTest, DataStartsOnAPage) {
  auto f = ModelFile::Open(WriteMicro());
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->tensors().front().offset % 4096, 0u);
}

TEST_F(EtmTest, EveryTruncationIsACleanError) {
  const std::vector<char> whole = ReadAll(WriteMicro());
  std::mt19937 rng(7);
  std::vector<size_t> cuts = {0, 3, 7, 8, 12, 100, 4095, 4096, whole.size() - 1};
  for (int i = 0; i < 50; ++i) cuts.push_back(rng() % whole.size());
  for (size_t cut : cuts) {
    const std::vector<char> part(whole.begin(), whole.begin() + static_cast<std::ptrdiff_t>(cut));
    const Status st = OpenBytes(part);
    EXPECT_FALSE(st.ok()) << "cut at " << cut;
    EXPECT_THAT(st.message(), HasSubstr("bad.etm: ")) << st.message();
  }
}

TEST_F(EtmTest, WrongIdentifier) {
  std::vector<char> bytes = ReadAll(WriteMicro());
  bytes[8] = 'X';
  const Status st = OpenBytes(bytes);
  EXPECT_EQ(st.code(), StatusCode::kCorruptFile);
  EXPECT_THAT(st.message(), HasSubstr("not an edge-rt model file"));
}

TEST_F(EtmTest, OffsetPastEnd) {
  const auto bytes = CraftFile([](ModelMetadata&, std::vector<TensorInfo>& t) { t[3].offset = 1ull << 40; });
  EXPECT_THAT(OpenBytes(bytes).message(), HasSubstr("past end of file"));
}

TEST_F(EtmTest, MisalignedAndOverlappingTensors) {
  auto bytes = CraftFile([](ModelMetadata&, std::vector<TensorInfo>& t) { t[2].offset += 4; });
  EXPECT_THAT(OpenBytes(bytes).message(), HasSubstr("not 64-byte aligned"));
  bytes = CraftFile([](ModelMetadata&, std::vector<TensorInfo>& t) { t[2].offset = t[1].offset; });
  EXPECT_THAT(OpenBytes(bytes).message(), HasSubstr("overlap"));
}

TEST_F(EtmTest, ShapeThatContradictsTheConfig) {
  const auto bytes = CraftFile([](ModelMetadata& m, std::vector<TensorInfo>&) { m.config.intermediate_size = 96; });
  const Status st = OpenBytes(bytes);
  EXPECT_THAT(st.message(), HasSubstr("but the config implies [96, 32]"));
}

TEST_F(EtmTest, MissingAndUnexpectedTensors) {
  auto bytes = CraftFile([](ModelMetadata&, std::vector<TensorInfo>& t) { t.pop_back(); });
  EXPECT_THAT(OpenBytes(bytes).message(), HasSubstr("'model.norm.weight' is missing"));
  bytes = CraftFile([](ModelMetadata&, std::vector<TensorInfo>& t) {
    TensorInfo extra = t.back();
    extra.name = "lm_head.weight";
    extra.offset = 0;  // never reached: rejected by name first
    t.push_back(extra);
  });
  EXPECT_FALSE(OpenBytes(bytes).ok());
}

TEST_F(EtmTest, UnknownDtype) {
  const auto bytes = CraftFile([](ModelMetadata&, std::vector<TensorInfo>& t) { t[1].dtype = static_cast<DType>(42); });
  EXPECT_THAT(OpenBytes(bytes).message(), HasSubstr("unknown dtype 42"));
}

TEST_F(EtmTest, SizeThatContradictsShape) {
  const auto bytes = CraftFile([](ModelMetadata&, std::vector<TensorInfo>& t) { t[1].size -= 4; });
  EXPECT_THAT(OpenBytes(bytes).message(), HasSubstr("needs"));
}

TEST_F(EtmTest, InvalidConfig) {
  const auto bytes = CraftFile([](ModelMetadata& m, std::vector<TensorInfo>&) { m.config.num_key_value_heads = 3; });
  EXPECT_THAT(OpenBytes(bytes).message(), HasSubstr("not a multiple of num_key_value_heads"));
}

TEST_F(EtmTest, TokenizerLargerThanEmbedding) {
  const auto bytes = CraftFile([](ModelMetadata& m, std::vector<TensorInfo>&) {
    m.tokenizer.added_tokens[0].id = 64;
  });
  EXPECT_THAT(OpenBytes(bytes).message(), HasSubstr("outside the vocabulary"));
}

TEST_F(EtmTest, ChecksumCatchesAFlippedByte) {
  const std::string path = WriteMicro();
  std::vector<char> bytes = ReadAll(path);
  auto f = ModelFile::Open(path);
  ASSERT_TRUE(f.ok());
  const TensorInfo& victim = f->tensors()[5];
  bytes[victim.offset + 3] ^= 1;
  auto damaged = ModelFile::FromBytes(std::as_bytes(std::span(bytes)), "bad.etm");
  ASSERT_TRUE(damaged.ok());
  const Status st = damaged->VerifyChecksums();
  EXPECT_THAT(st.message(), HasSubstr("tensor '" + victim.name + "': checksum mismatch"));
}

// Issue 23 item 5: one-byte flips in the metadata (the default system
// prompt, the repetition penalty, a BPE merge) passed every check.
TEST_F(EtmTest, HeaderChecksumCatchesEveryFlippedMetadataByte) {
  const std::vector<char> good = ReadAll(WriteMicro());
  uint32_t prefix = 0;
  std::memcpy(&prefix, good.data(), 4);
  const size_t header_size = prefix + 4;
  ASSERT_LT(header_size, good.size());
  size_t accepted = 0;
  for (size_t i = 0; i < header_size; ++i) {
    std::vector<char> bad = good;
    bad[i] = static_cast<char>(bad[i] ^ 0x04);
    auto f = ModelFile::FromBytes(std::as_bytes(std::span(bad)), "bad.etm");
    if (f.ok()) ++accepted;
  }
  EXPECT_EQ(accepted, 0u);
  std::vector<char> bad = good;
  const std::string prompt = "You are Qwen";
  auto at = std::search(bad.begin(), bad.begin() + static_cast<std::ptrdiff_t>(header_size), prompt.begin(), prompt.end());
  ASSERT_NE(at, bad.begin() + static_cast<std::ptrdiff_t>(header_size));
  *at = 'Y' ^ 0x20;
  EXPECT_THAT(ModelFile::FromBytes(std::as_bytes(std::span(bad)), "bad.etm").status().message(),
              HasSubstr("bad.etm: header checksum mismatch"));
}

// Two flipped bits turn format version 2 into 1 (no header checksum): with
// a damaged metadata byte beside them, the header opened unchecked.
TEST_F(EtmTest, ADowngradedVersionDoesNotSwitchTheHeaderChecksumOff) {
  const std::vector<char> good = ReadAll(WriteMicro());
  uint32_t prefix = 0;
  std::memcpy(&prefix, good.data(), 4);
  const size_t header_size = prefix + 4;
  const std::string prompt = "You are Qwen";
  const auto at = std::search(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(header_size), prompt.begin(),
                              prompt.end()) - good.begin();
  ASSERT_LT(static_cast<size_t>(at), header_size);
  int candidates = 0;
  for (size_t i = 0; i + 4 <= header_size; ++i) {
    if (std::memcmp(good.data() + i, "\x02\0\0\0", 4) != 0) continue;
    ++candidates;  // the version field among them
    std::vector<char> downgraded = good;
    downgraded[i] = 1;
    downgraded[static_cast<size_t>(at)] = 'Y' ^ 0x20;
    EXPECT_FALSE(ModelFile::FromBytes(std::as_bytes(std::span(downgraded)), "bad.etm").ok())
        << "version 1 at byte " << i << " hid a damaged system prompt";
  }
  EXPECT_GE(candidates, 1);
}

// Bytes appended after the last tensor were accepted by loading and by
// --verify (no checksum covers them): the format has nothing after its data.
TEST_F(EtmTest, BytesAfterTheDataAreRefused) {
  std::vector<char> bytes = ReadAll(WriteMicro());
  ASSERT_TRUE(ModelFile::FromBytes(std::as_bytes(std::span(bytes)), "ok.etm").ok());
  bytes.push_back('x');
  EXPECT_THAT(ModelFile::FromBytes(std::as_bytes(std::span(bytes)), "bad.etm").status().message(),
              HasSubstr("1 bytes after the end of the data"));
}

// Version 1 files have no header checksum: they still open.
TEST_F(EtmTest, VersionOneFilesStillOpen) {
  auto f = ModelFile::Open(EDGERT_FUZZ_CORPUS_DIR "/etm_fuzz/micro.etm");
  ASSERT_TRUE(f.ok()) << f.status().message();
  EXPECT_EQ(f->format_version(), 1u);
  EXPECT_TRUE(f->VerifyChecksums().ok());
}

TEST_F(EtmTest, UnfinishedWriterLeavesNothing) {
  const std::string path = (dir_ / "never.etm").string();
  {
    auto w = EtmWriter::Create(path, testing::MicroMetadata(), testing::DeclsFor(testing::MicroConfig(), DType::kF32));
    ASSERT_TRUE(w.ok());
    std::vector<std::byte> some(10);
    ASSERT_TRUE(w->Append(some).ok());
    EXPECT_FALSE(w->Finish().ok());  // incomplete
  }
  EXPECT_TRUE(fs::is_empty(dir_)) << "temporary file left behind";
}

TEST_F(EtmTest, UnfinishedWriterKeepsTheOldFile) {
  const std::string path = WriteMicro();
  const auto before = ReadAll(path);
  {
    auto w = EtmWriter::Create(path, testing::MicroMetadata(), testing::DeclsFor(testing::MicroConfig(), DType::kQ8_0));
    ASSERT_TRUE(w.ok());
  }
  EXPECT_EQ(ReadAll(path), before);
}

TEST_F(EtmTest, WriterRefusesBytesPastATensor) {
  auto w = EtmWriter::Create((dir_ / "x.etm").string(), testing::MicroMetadata(),
                             testing::DeclsFor(testing::MicroConfig(), DType::kF32));
  ASSERT_TRUE(w.ok());
  std::vector<std::byte> too_many(w->remaining_in_current() + 1);
  EXPECT_FALSE(w->Append(too_many).ok());
}

TEST_F(EtmTest, WriterRefusesPartialQuantBlocks) {
  ModelMetadata m = testing::MicroMetadata();
  m.config.hidden_size = 40;
  m.config.head_dim = 10;
  auto w = EtmWriter::Create((dir_ / "x.etm").string(), m, testing::DeclsFor(m.config, DType::kQ8_0));
  ASSERT_FALSE(w.ok());
  EXPECT_THAT(w.status().message(), HasSubstr("not a multiple of 32"));
}

TEST_F(EtmTest, MissingFileNamesThePath) {
  auto f = ModelFile::Open((dir_ / "nope.etm").string());
  ASSERT_FALSE(f.ok());
  EXPECT_THAT(f.status().message(), HasSubstr("nope.etm: cannot open"));
}

}  // namespace
}  // namespace edgert
