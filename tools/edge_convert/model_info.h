// tools/edge_convert/model_info.h: --info and --verify.
#pragma once

#include <string>

namespace edgert {

int PrintModelInfo(const std::string& path, bool json);  // exit code
int VerifyModel(const std::string& path);                // exit code

}  // namespace edgert
