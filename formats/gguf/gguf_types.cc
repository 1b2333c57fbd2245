// formats/gguf/gguf_types.cc: ggml's type table (numbers, names, block sizes).
#include "formats/gguf/gguf_types.h"

#include <array>

namespace edgert {
namespace {

struct Row {
  uint32_t type;
  GgmlTypeInfo info;
};

// From ggml's type traits (ggml.h / ggml.c). Numbers 4, 5, 31-33 and 36-38 are
// deprecated or removed there and stay unknown here.
constexpr std::array<Row, 35> kTypes = {{
    {0, {"f32", 1, 4}},        {1, {"f16", 1, 2}},         {2, {"q4_0", 32, 18}},     {3, {"q4_1", 32, 20}},
    {6, {"q5_0", 32, 22}},     {7, {"q5_1", 32, 24}},      {8, {"q8_0", 32, 34}},     {9, {"q8_1", 32, 36}},
    {10, {"q2_K", 256, 84}},   {11, {"q3_K", 256, 110}},   {12, {"q4_K", 256, 144}},  {13, {"q5_K", 256, 176}},
    {14, {"q6_K", 256, 210}},  {15, {"q8_K", 256, 292}},   {16, {"iq2_xxs", 256, 66}}, {17, {"iq2_xs", 256, 74}},
    {18, {"iq3_xxs", 256, 98}}, {19, {"iq1_s", 256, 50}},  {20, {"iq4_nl", 32, 18}},  {21, {"iq3_s", 256, 110}},
    {22, {"iq2_s", 256, 82}},  {23, {"iq4_xs", 256, 136}}, {24, {"i8", 1, 1}},        {25, {"i16", 1, 2}},
    {26, {"i32", 1, 4}},       {27, {"i64", 1, 8}},        {28, {"f64", 1, 8}},       {29, {"iq1_m", 256, 56}},
    {30, {"bf16", 1, 2}},      {34, {"tq1_0", 256, 54}},   {35, {"tq2_0", 256, 66}},  {39, {"mxfp4", 32, 17}},
    {40, {"nvfp4", 64, 36}},   {41, {"q1_0", 128, 18}},    {42, {"q2_0", 64, 18}},
}};

}  // namespace

std::optional<GgmlTypeInfo> GetGgmlTypeInfo(uint32_t ggml_type) {
  for (const Row& r : kTypes) {
    if (r.type == ggml_type) return r.info;
  }
  return std::nullopt;
}

std::string GgmlTypeName(uint32_t ggml_type) {
  if (auto info = GetGgmlTypeInfo(ggml_type)) return std::string(info->name);
  return "type " + std::to_string(ggml_type);
}

std::optional<DType> DTypeFromGgml(uint32_t t) {
  switch (t) {
    case static_cast<uint32_t>(GgmlType::kF32): return DType::kF32;
    case static_cast<uint32_t>(GgmlType::kF16): return DType::kF16;
    case static_cast<uint32_t>(GgmlType::kQ4_0): return DType::kQ4_0;
    case static_cast<uint32_t>(GgmlType::kQ8_0): return DType::kQ8_0;
    case static_cast<uint32_t>(GgmlType::kBF16): return DType::kBF16;
    default: return std::nullopt;
  }
}

uint32_t GgmlFromDType(DType d) {
  switch (d) {
    case DType::kF32: return static_cast<uint32_t>(GgmlType::kF32);
    case DType::kF16: return static_cast<uint32_t>(GgmlType::kF16);
    case DType::kQ4_0: return static_cast<uint32_t>(GgmlType::kQ4_0);
    case DType::kQ8_0: return static_cast<uint32_t>(GgmlType::kQ8_0);
    case DType::kBF16: return static_cast<uint32_t>(GgmlType::kBF16);
  }
  return static_cast<uint32_t>(GgmlType::kF32);
}

}  // namespace edgert
