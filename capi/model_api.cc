// capi/model_api.cc: edgert_model_* and the tokenizer calls.
#include <cstring>

#include "capi/c_status.h"
#include "capi/edgert.h"
#include "capi/handles.h"
#include "capi/objects.h"

static_assert(EDGERT_VERSION_MAJOR == EDGERT_PROJECT_VERSION_MAJOR && EDGERT_VERSION_MINOR == EDGERT_PROJECT_VERSION_MINOR &&
                  EDGERT_VERSION_PATCH == EDGERT_PROJECT_VERSION_PATCH,
              "edgert.h's version macros must equal the project's version (CMakeLists.txt)");

using namespace edgert;
using namespace edgert::capi;

extern "C" {

edgert_status edgert_model_open(const char* path, edgert_model* out_model) {
  return Call([&] {
    if (out_model == nullptr) return Fail(EDGERT_ERR_INVALID_ARGUMENT, "edgert_model_open: out_model is NULL");
    *out_model = nullptr;
    if (path == nullptr) return Fail(EDGERT_ERR_INVALID_ARGUMENT, "edgert_model_open: path is NULL");
    auto model = Model::Open(path);
    if (!model.ok()) return FromStatus(model.status());
    auto tokenizer = Tokenizer::Create((*model)->file().metadata().tokenizer);
    if (!tokenizer.ok()) return FromStatus(tokenizer.status().WithContext(path));
    auto object = std::make_shared<ModelObject>(ModelObject{*model, std::move(*tokenizer), {}});
    object->end_ids = EndTokenIds(object->tokenizer, (*model)->file().metadata().chat.end_tokens);
    *out_model = MakeHandle<edgert_model>(Kind::kModel, std::shared_ptr<const ModelObject>(std::move(object)));
    return EDGERT_OK;
  });
}

edgert_status edgert_model_close(edgert_model model) {
  return Call([&] { return Unregister(reinterpret_cast<uintptr_t>(model), Kind::kModel); });
}

edgert_status edgert_model_get_info(edgert_model model, edgert_model_info* out_info) {
  return Call([&] {
    std::shared_ptr<const ModelObject> m;
    EDGERT_C_RETURN_IF_ERROR(Get(model, Kind::kModel, &m));
    if (out_info == nullptr) return Fail(EDGERT_ERR_INVALID_ARGUMENT, "edgert_model_get_info: out_info is NULL");
    const ModelConfig& c = m->model->config();
    edgert_model_info info;
    info.architecture = ArchitectureName(c.architecture);
    info.vocab_size = c.vocab_size;
    info.hidden_size = c.hidden_size;
    info.intermediate_size = c.intermediate_size;
    info.num_layers = c.num_hidden_layers;
    info.num_heads = c.num_attention_heads;
    info.num_kv_heads = c.num_key_value_heads;
    info.head_dim = c.head_dim;
    info.max_context = c.max_position_embeddings;
    info.parameter_count = ParameterCount(c);
    info.file_bytes = m->model->file().file_size();
    info.tokenizer_size = m->tokenizer.size();
    *out_info = info;
    return EDGERT_OK;
  });
}

edgert_status edgert_tokenize(edgert_model model, const char* text, size_t length, int32_t* ids, size_t capacity,
                              size_t* out_count) {
  return Call([&] {
    std::shared_ptr<const ModelObject> m;
    EDGERT_C_RETURN_IF_ERROR(Get(model, Kind::kModel, &m));
    if (out_count == nullptr) return Fail(EDGERT_ERR_INVALID_ARGUMENT, "edgert_tokenize: out_count is NULL");
    if (text == nullptr && length > 0) return Fail(EDGERT_ERR_INVALID_ARGUMENT, "edgert_tokenize: text is NULL");
    if (ids == nullptr && capacity > 0) return Fail(EDGERT_ERR_INVALID_ARGUMENT, "edgert_tokenize: ids is NULL");
    const std::vector<int32_t> got = m->tokenizer.Encode(std::string_view(text ? text : "", length));
    *out_count = got.size();
    if (got.size() > capacity) {
      return Fail(EDGERT_ERR_OUT_OF_RANGE, "edgert_tokenize: " + std::to_string(got.size()) + " ids, room for " +
                                               std::to_string(capacity));
    }
    if (!got.empty()) std::memcpy(ids, got.data(), got.size() * sizeof(int32_t));
    return EDGERT_OK;
  });
}

edgert_status edgert_detokenize(edgert_model model, const int32_t* ids, size_t count, char* text, size_t capacity,
                                size_t* out_length) {
  return Call([&] {
    std::shared_ptr<const ModelObject> m;
    EDGERT_C_RETURN_IF_ERROR(Get(model, Kind::kModel, &m));
    if (out_length == nullptr) return Fail(EDGERT_ERR_INVALID_ARGUMENT, "edgert_detokenize: out_length is NULL");
    if (ids == nullptr && count > 0) return Fail(EDGERT_ERR_INVALID_ARGUMENT, "edgert_detokenize: ids is NULL");
    if (text == nullptr && capacity > 0) return Fail(EDGERT_ERR_INVALID_ARGUMENT, "edgert_detokenize: text is NULL");
    auto got = m->tokenizer.DecodeChecked(std::span<const int32_t>(ids, count));
    if (!got.ok()) return FromStatus(got.status().WithContext("edgert_detokenize"));
    *out_length = got->size();
    if (got->size() + 1 > capacity) {
      return Fail(EDGERT_ERR_OUT_OF_RANGE, "edgert_detokenize: " + std::to_string(got->size() + 1) +
                                               " bytes with the NUL, room for " + std::to_string(capacity));
    }
    std::memcpy(text, got->c_str(), got->size() + 1);
    return EDGERT_OK;
  });
}

}  // extern "C"
