#include "operator/util/read_file.h"

#include <fstream>
#include <sstream>

namespace lg {

Result<std::string> readWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return makeError("cannot read " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return makeError("cannot read " + path);
  return ss.str();
}

}  // namespace lg
