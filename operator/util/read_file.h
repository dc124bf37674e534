#pragma once
// A whole file read into memory: PEM files, kubeconfigs, tokens. The error names the file.

#include <string>

#include "operator/util/result.h"

namespace lg {

Result<std::string> readWholeFile(const std::string& path);

}  // namespace lg
