#pragma once
// A bearer token read from a file that is rewritten while we run: projected service account
// tokens are rotated by kubelet (an atomic symlink swap), kubeconfig tokenFile by whoever owns
// it. The file is re-read when its identity (inode, size, mtime) changes or when the cached copy
// is older than maxAge, whichever comes first; a failed re-read keeps the last good token
// (kubelet's swap is atomic, so a failure is transient) and is logged.

#include <sys/types.h>

#include <chrono>
#include <mutex>
#include <string>

#include "operator/util/clock.h"
#include "operator/util/result.h"

namespace lg::kube {

class FileTokenSource {
 public:
  FileTokenSource(std::string path, const Clock& clock,
                  std::chrono::seconds maxAge = std::chrono::seconds(60));

  // The token, whitespace-trimmed. An error names the file, and only when no token was ever
  // read (missing, unreadable or empty file). Thread-safe.
  Result<std::string> token();
  const std::string& path() const { return path_; }

 private:
  struct Identity {
    ino_t inode = 0;
    off_t size = -1;
    int64_t mtimeNs = 0;
    bool operator==(const Identity&) const = default;
  };

  const std::string path_;
  const Clock& clock_;
  const std::chrono::seconds maxAge_;
  std::mutex mu_;
  std::string token_;
  Identity identity_;
  std::chrono::steady_clock::time_point readAt_;
};

}  // namespace lg::kube
