#include "operator/kube/file_token_source.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "operator/util/logger.h"

namespace lg::kube {
namespace {

std::string trim(std::string s) {
  const char* ws = " \t\r\n";
  s.erase(s.find_last_not_of(ws) + 1);
  s.erase(0, s.find_first_not_of(ws));
  return s;
}

}  // namespace

FileTokenSource::FileTokenSource(std::string path, const Clock& clock, std::chrono::seconds maxAge)
    : path_(std::move(path)), clock_(clock), maxAge_(maxAge) {}

Result<std::string> FileTokenSource::token() {
  std::lock_guard lock(mu_);
  const auto now = clock_.steadyNow();
  struct stat st {};
  Identity id;
  const bool statOk = ::stat(path_.c_str(), &st) == 0;
  if (statOk) {
    id = Identity{st.st_ino, st.st_size,
                  static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec};
  }
  const bool fresh = !token_.empty() && statOk && id == identity_ && now - readAt_ < maxAge_;
  if (fresh) return token_;

  std::string failure;
  std::string text;
  if (!statOk) {
    failure = std::strerror(errno);
  } else {
    std::ifstream in(path_, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    if (!in) {
      failure = "cannot read";
    } else {
      text = trim(ss.str());
      if (text.empty()) failure = "empty";
    }
  }
  if (failure.empty()) {
    token_ = std::move(text);
    identity_ = id;
    readAt_ = now;
    return token_;
  }
  if (token_.empty()) return makeError("token file " + path_ + ": " + failure);
  LG_LOG(warn, "token file re-read failed; keeping the last token",
         {{"path", path_}, {"error", failure}});
  readAt_ = now;  // retry after maxAge, or as soon as the file changes
  return token_;
}

}  // namespace lg::kube
